"""SMTP smuggling: <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF> and <CR><LF>.<LF>
never end DATA and never produce a second message; bare LF in commands
is refused."""

import os
import signal
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


FAKE_ENDS = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n"]


class Smuggling(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                     params={"mynetworks": "192.0.2.0/24"})
        self.instances.append(self.inst)
        self.inst.start()

    def test_fake_ends(self):
        for fake in FAKE_ENDS:
            c = smtp_raw.RawSMTP(self.inst.smtp_port)
            before = len(self.inst.queue_files())
            c.cmd("EHLO x")
            c.cmd("MAIL FROM:<a@remote.example>")
            c.cmd("RCPT TO:<alice@example.org>")
            self.assertEqual(c.cmd("DATA")[0], 354)
            c.send(b"Subject: one\r\n\r\nbody" + fake +
                   b"MAIL FROM:<evil@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
                   b"DATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n")
            code, lines = c.reply()
            self.assertEqual(code, 550, (fake, lines))
            self.assertIn("bare", lines[0])
            self.assertEqual(c.cmd("NOOP")[0], 250, "the session is in sync")
            c.close()
            self.assertEqual(len(self.inst.queue_files()), before, fake)

    def test_bare_lf_command(self):
        c = smtp_raw.RawSMTP(self.inst.smtp_port)
        c.send(b"EHLO x\n")
        code, lines = c.reply()
        self.assertEqual(code, 500)
        self.assertIn("bare <LF>", lines[0])

    def test_relaxed_for_exempt_clients(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                params={"smtpd_forbid_bare_newline_exclusions": "127.0.0.1"})
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual(c.cmd("EHLO x")[0], 250)
        c.send(b"MAIL FROM:<a@remote.example>\n")
        self.assertEqual(c.reply()[0], 250)
        c.cmd("RCPT TO:<alice@example.org>")
        c.cmd("DATA")
        c.send(b"Subject: relaxed\n\nline\n.\nstill body\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        data = open(inst.queue_files()[0], "rb").read()
        self.assertIn(b"Subject: relaxed\r\n\r\nline\r\n\r\nstill body\r\n", data)


if __name__ == "__main__":
    pt.run()
