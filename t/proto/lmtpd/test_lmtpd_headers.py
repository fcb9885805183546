"""Each stored copy starts with Return-Path: <sender> and Delivered-To:
the recipient's user name (authd's key), then the message as sent
(the domains in lower case, as smtpaddr writes addresses)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class Headers(pt.InstanceTest):
    def test_prepended(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw"), ("bob@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp(tcp=True)
        c.mail("Sender@Remote.Example")
        c.rcpt("Alice@Example.ORG")
        c.rcpt("bob@example.org")
        body = b"From: s@remote.example\r\nSubject: h\r\n\r\nbody\r\n"
        self.assertEqual([r[0] for r in pt.lmtp_data(c, body, 2)], [250, 250])
        c.quit()
        self.assertEqual(inst.message("alice@example.org", 1),
                         b"Return-Path: <Sender@remote.example>\r\n"
                         b"Delivered-To: alice@example.org\r\n" + body)
        self.assertEqual(inst.message("bob@example.org", 1),
                         b"Return-Path: <Sender@remote.example>\r\n"
                         b"Delivered-To: bob@example.org\r\n" + body)


if __name__ == "__main__":
    pt.run()
