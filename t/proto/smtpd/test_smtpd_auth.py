"""SMTP AUTH on the submission services: STARTTLS before AUTH, AUTH
before MAIL, PLAIN and LOGIN (with and without an initial response),
failures, cancellation, malformed responses, and relaying once
authenticated."""

import base64
import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402

MSG = b"Subject: auth\r\n\r\nsubmitted\r\n"


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Auth(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        # Relay only for authenticated clients: 127.0.0.1 is not trusted.
        self.inst = pt.SmtpdInstance(
            users=[("alice@example.org", "secret1")], tls=True,
            params={"mynetworks": "192.0.2.0/24", "authd_failure_delay": "0"})
        self.instances.append(self.inst)
        self.inst.start()
        self.ctx = self.inst.client_context()

    def submission(self):
        """A raw session on 587 after STARTTLS and EHLO."""
        c = smtp_raw.RawSMTP(self.inst.submission_port)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("STARTTLS")[0], 220)
        c.starttls(self.ctx)
        code, lines = c.cmd("EHLO client.example")
        self.assertEqual(code, 250)
        self.assertIn("250-AUTH PLAIN LOGIN", lines)
        return c

    def test_tls_required_before_auth_and_mail(self):
        c = smtp_raw.RawSMTP(self.inst.submission_port)
        code, lines = c.cmd("EHLO client.example")
        self.assertIn("250-STARTTLS", lines)
        self.assertFalse([l for l in lines if "AUTH" in l], "no AUTH in clear")
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0secret1")),
                         (530, ["530 5.7.0 Must issue a STARTTLS command first"]))
        self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>")[0], 530)
        c.close()

    def test_auth_required_before_mail(self):
        c = self.submission()
        self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>"),
                         (530, ["530 5.7.0 Authentication required"]))
        c.close()

    def test_plain_with_initial_response_then_relay(self):
        c = self.submission()
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0secret1")),
                         (235, ["235 2.7.0 Authentication successful"]))
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0secret1"))[0],
                         503, "AUTH only once")
        self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<friend@remote.example>")[0], 250,
                         "an authenticated client may relay")
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 503, "not in a transaction")
        self.assertEqual(c.cmd("DATA")[0], 354)
        self.assertEqual(c.cmd("Subject: x\r\n\r\nbody\r\n.")[0], 250)
        c.close()
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            data = f.read()
        self.assertIn(b"with ESMTPSA id", data)
        self.assertIn(b"alice@example.org", data)
        self.assertIn("AUTH PLAIN user=<alice@example.org>", self.inst.logtext())

    def test_plain_without_initial_response_and_login(self):
        c = self.submission()
        self.assertEqual(c.cmd("AUTH PLAIN"), (334, ["334 "]))
        self.assertEqual(c.cmd(b64("\0alice@example.org\0secret1"))[0], 235)
        c.close()
        c = self.submission()
        code, lines = c.cmd("AUTH LOGIN")
        self.assertEqual(code, 334)
        self.assertEqual(base64.b64decode(lines[0][4:]).lower(), b"username:")
        code, lines = c.cmd(b64("alice@example.org"))
        self.assertEqual(code, 334)
        self.assertEqual(base64.b64decode(lines[0][4:]).lower(), b"password:")
        self.assertEqual(c.cmd(b64("secret1"))[0], 235)
        c.close()

    def test_smtplib_login(self):
        with smtplib.SMTP("127.0.0.1", self.inst.submission_port, timeout=30) as s:
            s.starttls(context=self.ctx)
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("alice@example.org", "wrong")
            s.login("alice@example.org", "secret1")
            s.sendmail("alice@example.org", ["x@remote.example"], MSG)
        self.assertEqual(len(self.inst.queue_files()), 1)

    def test_failures(self):
        c = self.submission()
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0nope")),
                         (535, ["535 5.7.8 Error: authentication failed"]))
        self.assertEqual(c.cmd("AUTH CRAM-MD5")[0], 504)
        self.assertEqual(c.cmd("AUTH PLAIN not*base64")[0], 501)
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd("*"), (501, ["501 5.0.0 Authentication aborted"]))
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd("%%%")[0], 501)
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("no-nul-bytes"))[0], 501)
        self.assertEqual(c.cmd("NOOP")[0], 250, "the session goes on")
        self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>")[0], 530)
        c.close()
        log = self.inst.logtext()
        self.assertIn("auth-failure: service=smtp user=<alice@example.org> rip=127.0.0.1",
                      log)
        self.assertNotIn("nope", log, "no password in the log")

    def test_no_auth_on_mx_and_relay_refused(self):
        c = smtp_raw.RawSMTP(self.inst.smtp_port)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice@example.org\0secret1"))[0],
                         503)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<b@remote.example>")[0], 554)
        c.close()


if __name__ == "__main__":
    pt.run()
