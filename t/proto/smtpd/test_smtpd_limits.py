"""Message size, recipient count, header size and hop count limits; the
directory unavailable is a temporary failure (451), never a rejection."""

import os
import signal
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402



class Limits(pt.InstanceTest):
    def start(self, **params):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw"), ("bob@example.org", "pw")],
                                params=params)
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        c.cmd("EHLO client.example")
        return inst, c

    def test_size(self):
        inst, c = self.start(message_size_limit="2k")
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd("RCPT TO:<alice@example.org>")
        c.cmd("DATA")
        c.send("Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 40 + ".\r\n")
        self.assertEqual(c.reply()[0], 552)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(inst.queue_files(), [])

    def test_recipients(self):
        inst, c = self.start(smtpd_recipient_limit="1")
        c.cmd("MAIL FROM:<a@remote.example>")
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<bob@example.org>")[0], 452)

    def test_hops(self):
        inst, c = self.start(hopcount_limit="3")
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd("RCPT TO:<alice@example.org>")
        c.cmd("DATA")
        c.send("Received: a\r\nReceived: b\r\nreceived: c\r\nSubject: loop\r\n\r\nx\r\n.\r\n")
        code, lines = c.reply()
        self.assertEqual((code, lines[0][4:9]), (554, "5.4.6"))

    def test_directory_down(self):
        inst, c = self.start()
        for pid in inst.children("authd"):
            os.kill(pid, signal.SIGSTOP)
        try:
            os.unlink(inst.socket)
            c.cmd("MAIL FROM:<a@remote.example>")
            code, lines = c.cmd("RCPT TO:<alice@example.org>")
            self.assertEqual((code, lines[0][4:9]), (451, "4.3.0"))
        finally:
            for pid in inst.children("authd"):
                os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    pt.run()
