"""After DATA, one reply per accepted recipient in RCPT order (RFC 2033
4.2): good, unknown, disabled, over-quota and mailbox-elsewhere
recipients in one transaction, over the unix socket and over TCP; the
log has one line per recipient."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw"),
         ("bob@example.org", "pw", "--quota", "1k"),
         ("carol@example.org", "pw", "--disabled"),
         ("dave@example.org", "pw", "--host", "b2.example.org"),
         ("erin@example.org", "pw", "--quota-messages", "1")]


class Recipients(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.LmtpdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()

    def transaction(self, tcp):
        c = self.inst.lmtp(tcp=tcp)
        self.assertEqual(c.mail("sender@remote.example")[0], 250)
        codes = [c.rcpt(r)[0] for r in ("alice@example.org", "nobody@example.org",
                                        "carol@example.org", "bob@example.org",
                                        "dave@example.org", "erin@example.org")]
        self.assertEqual(codes, [250, 550, 550, 250, 451, 250])
        body = b"Subject: mix\r\n\r\n" + b"x" * 1500 + b"\r\n"
        replies = pt.lmtp_data(c, body, 3)
        c.quit()
        return replies

    def test_unix_socket(self):
        replies = self.transaction(tcp=False)
        self.assertEqual([r[0] for r in replies], [250, 552, 250])
        self.assertTrue(replies[0][1].startswith(b"2.0.0 <alice@example.org>"))
        self.assertTrue(replies[1][1].startswith(b"5.2.2 <bob@example.org>"))
        self.assertEqual(len(self.inst.mailbox("alice@example.org")), 1)
        self.assertEqual(len(self.inst.mailbox("erin@example.org")), 1)
        # erin's second message is over her message quota.
        replies = self.transaction(tcp=True)
        self.assertEqual([r[0] for r in replies], [250, 552, 552])
        self.assertEqual(len(self.inst.mailbox("alice@example.org")), 2)
        log = self.inst.logtext()
        self.assertIn("to=<alice@example.org>, mailbox=INBOX, uid=1, size=", log)
        self.assertIn("to=<alice@example.org>, mailbox=INBOX, uid=2, size=", log)
        self.assertRegex(log, r"to=<bob@example.org>, mailbox=INBOX, uid=0, "
                              r"size=\d+, status=bounced \(over quota\)")
        self.assertIn("<dave@example.org>: Mailbox is on host b2.example.org", log)
        self.assertIn("<carol@example.org>: Mailbox disabled", log)
        self.assertIn("<nobody@example.org>: User unknown", log)

    def test_quota_tempfail(self):
        inst = pt.LmtpdInstance(users=USERS, params={"lmtpd_quota_full_tempfail": "yes"})
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        c.mail("")
        self.assertEqual(c.rcpt("bob@example.org")[0], 250)
        self.assertEqual(c.rcpt("alice@example.org")[0], 250)
        replies = pt.lmtp_data(c, b"Subject: q\r\n\r\n" + b"y" * 2000 + b"\r\n", 2)
        self.assertEqual([r[0] for r in replies], [452, 250])
        self.assertTrue(replies[0][1].startswith(b"4.2.2 "))
        msg = inst.message("alice@example.org", 1)
        self.assertTrue(msg.startswith(b"Return-Path: <>\r\n"), msg[:80])
        c.quit()

    def test_authd_down(self):
        # authd stopped: the look-up times out, 451 4.3.0.
        inst = pt.LmtpdInstance(users=USERS, params={"authd_timeout": "2s"})
        self.instances.append(inst)
        inst.start()
        c = inst.lmtp()
        c.mail("sender@remote.example")
        self.assertEqual(c.rcpt("alice@example.org")[0], 250)
        authd = inst.children("authd")
        for pid in authd:
            os.kill(pid, signal.SIGSTOP)
        try:
            code, text = c.rcpt("bob@example.org")
        finally:
            for pid in authd:
                os.kill(pid, signal.SIGCONT)
        self.assertEqual((code, text[:6]), (451, b"4.3.0 "))
        self.assertEqual([r[0] for r in pt.lmtp_data(c, b"\r\nhi\r\n", 1)], [250])
        c.quit()


if __name__ == "__main__":
    pt.run()
