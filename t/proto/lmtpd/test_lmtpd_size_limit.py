"""lmtpd_message_size_limit: MAIL with a larger SIZE= is refused (552),
and a larger message is read to its end and refused for every recipient
(552 5.3.4), after which the session goes on.  The default leaves room
above message_size_limit for the headers added on the way."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class SizeLimit(pt.InstanceTest):
    def test_too_big(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw"), ("bob@example.org", "pw")],
                                params={"lmtpd_message_size_limit": "4k"})
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        self.assertIn(b"SIZE 4096", c.ehlo_resp)
        self.assertEqual(c.mail("a@remote.example", ["SIZE=5000"])[0], 552)
        c.mail("a@remote.example")
        c.rcpt("alice@example.org")
        c.rcpt("bob@example.org")
        replies = pt.lmtp_data(c, b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n", 2)
        self.assertEqual([r[0] for r in replies], [552, 552])
        self.assertFalse(inst.mailbox("alice@example.org"))
        c.mail("a@remote.example")
        c.rcpt("alice@example.org")
        self.assertEqual(pt.lmtp_data(c, b"Subject: small\r\n\r\nx\r\n", 1)[0][0], 250)
        c.quit()

    def test_default(self):
        inst = pt.LmtpdInstance(params={"message_size_limit": "10000",
                                        "header_size_limit": "2048"})
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        self.assertIn(b"SIZE 12048", c.ehlo_resp)
        c.quit()


if __name__ == "__main__":
    pt.run()
