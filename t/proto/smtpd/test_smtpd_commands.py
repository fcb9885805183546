"""Every command's reply, in and out of order, pipelined, with syntax
errors, and the error limit that ends a session with 421."""

import os
import signal
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402



class Commands(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(self.inst)
        self.inst.start()
        self.c = smtp_raw.RawSMTP(self.inst.smtp_port)

    def test_greeting_and_simple_commands(self):
        c = self.c
        self.assertEqual(c.greeting[0], 220)
        self.assertIn("ESMTP Postern", c.greeting[1][0])
        for line, code in (("NOOP", 250), ("HELP", 214), ("VRFY alice@example.org", 252),
                           ("EXPN staff", 502), ("RSET", 250), ("HELO client.example", 250),
                           ("noop", 250)):
            self.assertEqual(c.cmd(line)[0], code, line)
        self.assertEqual(c.cmd("QUIT"), (221, ["221 2.0.0 Bye"]))
        self.assertEqual(c.reply()[0], None, "closed after QUIT")

    def test_order(self):
        c = self.c
        for line, code in (("RCPT TO:<alice@example.org>", 503), ("DATA", 503),
                           ("EHLO client.example", 250), ("DATA", 503),
                           ("MAIL FROM:<a@remote.example>", 250),
                           ("MAIL FROM:<a@remote.example>", 503), ("DATA", 503),
                           ("RCPT TO:<alice@example.org>", 250), ("RSET", 250),
                           ("RCPT TO:<alice@example.org>", 503)):
            self.assertEqual(c.cmd(line)[0], code, line)

    def test_syntax(self):
        c = self.c
        c.cmd("EHLO client.example")
        for line, code, enh in (("MAIL FROM:alice@example.org", 501, "5.1.7"),
                                ("MAIL FROM:<a@remote.example> SIZE=99999999999", 552, "5.3.4"),
                                ("MAIL FROM:<a@remote.example> FROBNICATE=1", 555, "5.5.4"),
                                ("MAIL FROM:<a@remote.example> SIZE=10 SIZE=10", 555, "5.5.4"),
                                ("FROB", 500, "5.5.2")):
            code_got, lines = c.cmd(line)
            self.assertEqual((code_got, lines[0][4:9]), (code, enh), line)

    def test_utf8_needs_smtputf8(self):
        c = self.c
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("MAIL FROM:<jörg@remote.example>")[0], 553)
        self.assertEqual(c.cmd("MAIL FROM:<jörg@remote.example> SMTPUTF8")[0], 250)

    def test_pipelining(self):
        c = self.c
        c.send("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
               "RCPT TO:<nobody@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
        codes = [c.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 550, 250, 354])
        c.send("Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 221])

    def test_error_limit(self):
        inst = pt.SmtpdInstance(params={"smtpd_hard_error_limit": "5"})
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        for _ in range(5):
            self.assertEqual(c.cmd("BOGUS")[0], 500)
        code, lines = c.reply()
        self.assertEqual((code, lines[0][4:9]), (421, "4.7.0"))
        self.assertEqual(c.reply()[0], None, "closed after 421")

    def test_long_line(self):
        c = self.c
        self.assertEqual(c.cmd("NOOP " + "x" * 600)[0], 500)
        self.assertEqual(c.cmd("NOOP " + "x" * 5000)[0], 500)
        self.assertEqual(c.cmd("NOOP")[0], 250)


if __name__ == "__main__":
    pt.run()
