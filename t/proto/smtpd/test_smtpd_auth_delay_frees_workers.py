"""Failed AUTH on the submission service waits out authd's failure delay
on smtpd's event loop, not on its worker threads: while more clients than
smtpd has workers (4) wait for the 535 of a wrong password (PLAIN with an
initial response, and LOGIN), another client authenticates and has a
message queued (which needs the workers) before any of them is answered;
and no 535 comes before authd's delay has passed."""

import base64
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402

WORKERS = 4                 # smtpd's worker pool
FAILING = WORKERS + 3
DELAY = 5.0                 # authd_failure_delay = authd_failure_delay_max
SLACK = 0.05                # timer rounding


def b64(text):
    return base64.b64encode(text.encode()).decode()


class FreesWorkers(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.clients = []
        # Relay only for authenticated clients: 127.0.0.1 is not trusted.
        self.inst = pt.SmtpdInstance(
            users=[("alice@example.org", "secret1"), ("bob@example.org", "secret2")],
            tls=True, params={"mynetworks": "192.0.2.0/24",
                              "authd_failure_delay": "%ds" % DELAY,
                              "authd_failure_delay_max": "%ds" % DELAY,
                              "authd_lockout_failures": "1000"})
        self.instances.append(self.inst)
        self.inst.start()
        self.ctx = self.inst.client_context()

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def submission(self):
        """A raw session on 587 after STARTTLS and EHLO."""
        c = smtp_raw.RawSMTP(self.inst.submission_port)
        self.clients.append(c)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("STARTTLS")[0], 220)
        c.starttls(self.ctx)
        code, lines = c.cmd("EHLO client.example")
        self.assertIn("250-AUTH PLAIN LOGIN", lines)
        return c

    @staticmethod
    def answered(c):
        """Whether anything (or the end) has arrived that was not read."""
        return bool(c.buf or c.sock.pending() or select.select([c.sock], [], [], 0)[0])

    def failures_logged(self):
        return self.inst.logtext().count("auth-failure: service=smtp")

    def test_other_clients_served_while_failures_wait(self):
        failing = [self.submission() for _ in range(FAILING)]
        good = self.submission()
        # LOGIN's user name first: the password is the step that fails.
        for i, c in enumerate(failing):
            if i % 2:
                self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
                self.assertEqual(c.cmd(b64("bob@example.org"))[0], 334)
        sent = []
        for i, c in enumerate(failing):
            if i % 2:
                c.send(b64("wrong") + "\r\n")
            else:
                c.send("AUTH PLAIN " + b64("\0bob@example.org\0wrong") + "\r\n")
            sent.append(time.monotonic())
        # With the delay waited out on workers, every one of them would
        # now be held by a failure.
        pt.wait_for(lambda: self.failures_logged() >= WORKERS, timeout=60,
                    what="authd to see the failures")

        self.assertEqual(good.cmd("AUTH PLAIN " + b64("\0alice@example.org\0secret1")),
                         (235, ["235 2.7.0 Authentication successful"]))
        self.assertEqual(good.cmd("MAIL FROM:<alice@example.org>")[0], 250)
        self.assertEqual(good.cmd("RCPT TO:<friend@remote.example>")[0], 250)
        self.assertEqual(good.cmd("DATA")[0], 354)
        self.assertEqual(good.cmd("Subject: x\r\n\r\nbody\r\n.")[0], 250)
        self.assertEqual(len(self.inst.queue_files()), 1)
        self.assertEqual([i for i, c in enumerate(failing) if self.answered(c)], [],
                         "failures answered before the other client was served")

        for i, c in enumerate(failing):
            code, lines = c.reply()
            waited = time.monotonic() - sent[i]
            self.assertEqual((code, lines), (535, ["535 5.7.8 Error: authentication failed"]))
            self.assertGreaterEqual(waited, DELAY - SLACK, "client %d answered early" % i)
            # The session goes on after the failure.
            self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(self.failures_logged(), FAILING)


if __name__ == "__main__":
    pt.run()
