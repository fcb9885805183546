"""Session and connection limits: connections per client at once and per
period, the greet pause against early talkers, the growing error delay,
commands and messages per session, the idle timeout's 421, and ESMTP
parameters that need EHLO."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402

# 127.0.0.1 is not in mynetworks here, so the per-client limits apply.
BASE = {"mynetworks": "192.0.2.0/24"}


class Limits(pt.InstanceTest):
    def start(self, **params):
        p = dict(BASE)
        p.update(params)
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                     params=p)
        self.instances.append(self.inst)
        self.inst.start()
        return self.inst

    def test_connections_per_client(self):
        inst = self.start(smtpd_client_connection_count_limit="2")
        # start() itself connected: wait until smtpd has seen those go.
        pt.wait_for(lambda: inst.logtext().count("disconnect from") >= 1,
                    what="the probe connection to end")
        a = smtp_raw.RawSMTP(inst.smtp_port)
        b = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual((a.greeting[0], b.greeting[0]), (220, 220))
        c = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual(c.greeting[0], 421)
        self.assertIn("4.7.0", c.greeting[1][0])
        self.assertEqual(c.reply(), (None, []), "then closed")
        a.cmd("QUIT")
        a.close()

        def third_accepted():
            d = smtp_raw.RawSMTP(inst.smtp_port)
            ok = d.greeting[0] == 220
            d.close()
            return ok
        pt.wait_for(third_accepted, what="a slot to free up")
        b.close()

    def test_connection_rate(self):
        inst = self.start(smtpd_client_connection_rate_limit="3",
                          smtpd_client_rate_time_unit="1h")
        # start()'s probe was the first connection of the period.
        codes = []
        for _ in range(3):
            c = smtp_raw.RawSMTP(inst.smtp_port)
            codes.append(c.greeting[0])
            c.close()
        self.assertEqual(codes, [220, 220, 421])
        self.assertIn("too many connections in this period", inst.logtext())

    def test_greet_pause(self):
        inst = self.start(smtpd_greet_pause="1s")
        # An early talker: it speaks before the greeting.
        s = socket.create_connection(("127.0.0.1", inst.smtp_port), 30)
        s.sendall(b"EHLO spammer.example\r\n")
        data = b""
        while True:
            chunk = s.recv(1000)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"554 5.5.1"), data)
        self.assertIn("early talker", inst.logtext())
        # A patient client is greeted after the pause.
        t0 = time.monotonic()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual(c.greeting[0], 220)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        c.close()

    def test_error_delay(self):
        inst = self.start(smtpd_soft_error_limit="2", smtpd_error_sleep_time="1s")
        c = smtp_raw.RawSMTP(inst.smtp_port)
        for _ in range(2):
            self.assertEqual(c.cmd("BOGUS")[0], 500)
        t0 = time.monotonic()
        c.send("BOGUS\r\nBOGUS\r\nNOOP\r\n")
        self.assertEqual([c.reply()[0] for _ in range(3)], [500, 500, 250])
        # The third error delays the next command 1 s, the fourth 2 s.
        self.assertGreaterEqual(time.monotonic() - t0, 2.9)
        c.close()

    def test_commands_per_session(self):
        inst = self.start(smtpd_session_command_limit="10")
        c = smtp_raw.RawSMTP(inst.smtp_port)
        for _ in range(10):
            self.assertEqual(c.cmd("NOOP")[0], 250)
        code, lines = c.cmd("NOOP")
        self.assertEqual(code, 421)
        self.assertIn("too many commands", lines[0])
        self.assertEqual(c.reply(), (None, []))

    def test_messages_per_session(self):
        inst = self.start(smtpd_session_message_limit="1")
        c = smtp_raw.RawSMTP(inst.smtp_port)
        c.cmd("EHLO client.example")
        for line in ("MAIL FROM:<b@remote.example>", "RCPT TO:<alice@example.org>"):
            self.assertEqual(c.cmd(line)[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        self.assertEqual(c.cmd("Subject: 1\r\n\r\none\r\n.")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<b@remote.example>")[0], 421)
        self.assertEqual(len(inst.queue_files()), 1)

    def test_idle_timeout_says_421(self):
        inst = self.start(smtpd_timeout="10s")
        c = smtp_raw.RawSMTP(inst.smtp_port, timeout=60)
        c.cmd("EHLO client.example")
        code, lines = c.reply()
        self.assertEqual(code, 421)
        self.assertIn("4.4.2", lines[0])
        self.assertIn("timeout exceeded", lines[0])
        self.assertEqual(c.reply(), (None, []))
        self.assertIn("timeout after command", inst.logtext())

    def test_esmtp_parameters_need_ehlo(self):
        inst = self.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        c.cmd("HELO client.example")
        self.assertEqual(c.cmd("MAIL FROM:<b@remote.example> SIZE=100")[0], 555)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("MAIL FROM:<b@remote.example> BODY=BINARYMIME")[0], 555)
        self.assertEqual(c.cmd("MAIL FROM:<b@remote.example> SIZE=100")[0], 250)


if __name__ == "__main__":
    pt.run()
