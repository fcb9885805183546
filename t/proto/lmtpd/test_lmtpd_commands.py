"""The LMTP command set: LHLO and its extensions, HELO and EHLO refused
with 500, MAIL before LHLO, DATA without a good recipient (503), VRFY
252, HELP, NOOP, RSET, QUIT; commands pipelined in one write get their
replies in order, with one reply per recipient after the data."""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class Commands(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.LmtpdInstance(users=[("alice@example.org", "pw"),
                                            ("bob@example.org", "pw")])
        self.instances.append(self.inst)
        self.inst.start()
        self.c = smtp_raw.RawSMTP(self.inst.lmtp_port)

    def test_greeting_and_lhlo(self):
        c = self.c
        self.assertEqual(c.greeting[0], 220)
        self.assertIn("LMTP", c.greeting[1][0])
        self.assertEqual(c.cmd("HELO client.example")[0], 500)
        self.assertEqual(c.cmd("EHLO client.example")[0], 500)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>"),
                         (503, ["503 5.5.1 Error: send LHLO first"]))
        code, lines = c.cmd("LHLO client.example")
        self.assertEqual(code, 250)
        ext = [line[4:].split()[0] for line in lines[1:]]
        for e in ("PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
                  "SIZE", "CHUNKING"):
            self.assertIn(e, ext)
        self.assertNotIn("STARTTLS", ext, "lmtpd_tls_security_level is none")
        self.assertNotIn("AUTH", ext)
        self.assertEqual(c.cmd("VRFY alice@example.org")[0], 252)
        self.assertEqual(c.cmd("HELP")[0], 214)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(c.cmd("EXPN list")[0], 502)
        self.assertEqual(c.cmd("FOO")[0], 500)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 503)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<nobody@example.org>")[0], 550)
        self.assertEqual(c.cmd("DATA"), (503, ["503 5.5.1 Error: no valid recipients"]))
        self.assertEqual(c.cmd("RSET")[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertEqual(c.reply(), (None, []))

    def test_pipelining(self):
        c = self.c
        c.cmd("LHLO client.example")
        c.send(b"MAIL FROM:<a@remote.example>\r\n"
               b"RCPT TO:<alice@example.org>\r\n"
               b"RCPT TO:<nobody@example.org>\r\n"
               b"RCPT TO:<bob@example.org>\r\n"
               b"DATA\r\n")
        self.assertEqual([c.reply()[0] for _ in range(5)], [250, 250, 550, 250, 354])
        c.send(b"Subject: p\r\n\r\n..dot\r\n.\r\n"
               b"MAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
        r1, r2 = c.reply(), c.reply()
        self.assertEqual((r1[0], r2[0]), (250, 250))
        self.assertIn("<alice@example.org>", r1[1][0])
        self.assertIn("<bob@example.org>", r2[1][0])
        self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 354])
        c.send(b"\r\nsecond\r\n.\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 221])
        self.assertEqual(len(self.inst.mailbox("alice@example.org")), 1)
        self.assertEqual(len(self.inst.mailbox("bob@example.org")), 2)
        msg = self.inst.message("alice@example.org", 1)
        self.assertTrue(msg.endswith(b"Subject: p\r\n\r\n.dot\r\n"), msg)

    def test_bare_lf_refused(self):
        c = self.c
        c.cmd("LHLO client.example")
        c.send(b"NOOP\n")
        self.assertEqual(c.reply()[0], 500)
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd("RCPT TO:<alice@example.org>")
        c.cmd("RCPT TO:<bob@example.org>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: x\r\n\r\nbare\nlf\r\n.\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [550, 550])
        self.assertFalse(self.inst.mailbox("alice@example.org"))

    def test_unix_socket_is_local(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.inst.lmtp_socket)
        self.assertTrue(s.recv(100).startswith(b"220 "))
        s.close()
        self.assertIn("connect from local", self.inst.logtext())


if __name__ == "__main__":
    pt.run()
