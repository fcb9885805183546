"""A message that already carries lmtpd_delivered_to_limit Delivered-To:
fields naming the recipient is refused for that recipient (554 5.4.6)
and delivered to the others."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class Loop(pt.InstanceTest):
    def test_delivered_to_loop(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw"), ("bob@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        c.mail("a@remote.example")
        c.rcpt("alice@example.org")
        c.rcpt("bob@example.org")
        body = (b"Delivered-To: ALICE@example.org\r\nSubject: loop\r\n\r\n"
                b"Delivered-To: bob@example.org\r\n")
        replies = pt.lmtp_data(c, body, 2)
        self.assertEqual([r[0] for r in replies], [554, 250])
        self.assertTrue(replies[0][1].startswith(b"5.4.6 <alice@example.org>"))
        self.assertEqual(inst.mailbox("alice@example.org"), [])
        self.assertEqual(len(inst.mailbox("bob@example.org")), 1)
        self.assertIn("status=bounced (mail loop", inst.logtext())
        c.quit()

    def test_limit_two(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw")],
                                params={"lmtpd_delivered_to_limit": "2"})
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        for n, code in ((1, 250), (2, 554)):
            c.mail("a@remote.example")
            c.rcpt("alice@example.org")
            body = b"Delivered-To: alice@example.org\r\n" * n + b"\r\nx\r\n"
            self.assertEqual(pt.lmtp_data(c, body, 1)[0][0], code)
        c.quit()


if __name__ == "__main__":
    pt.run()
