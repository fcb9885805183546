"""STARTTLS on port 25 and submission, implicit TLS on 465, the discard
of plaintext pipelined after STARTTLS, and handshake failures that end
one connection only."""

import os
import smtplib
import socket
import ssl
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402

MSG = b"Subject: tls\r\n\r\nover TLS\r\n"


class Tls(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "secret1")],
                                     tls=True)
        self.instances.append(self.inst)
        self.inst.start()
        self.ctx = self.inst.client_context()

    def smtpd_pids(self):
        return sorted(self.inst.children("smtpd"))

    def test_starttls_on_port_25(self):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("starttls"))
            self.assertTrue(s.has_extn("chunking"))
            self.assertFalse(s.has_extn("auth"), "no AUTH on the MX service")
            code, _ = s.starttls(context=self.ctx)
            self.assertEqual(code, 220)
            s.ehlo("client.example")
            self.assertFalse(s.has_extn("starttls"), "STARTTLS only once")
            self.assertEqual(s.docmd("STARTTLS")[0], 554)
            s.sendmail("bob@remote.example", ["alice@example.org"], MSG)
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            data = f.read()
        self.assertIn(b"with ESMTPS id", data)
        self.assertRegex(data, rb"\(using TLSv1\.[23] with cipher [A-Z0-9_-]+ \(\d+ bits\)\)")
        self.assertIn("TLS established", self.inst.logtext())

    def test_plaintext_injection_discarded(self):
        c = smtp_raw.RawSMTP(self.inst.smtp_port)
        self.assertEqual(c.cmd("EHLO client.example")[0], 250)
        # Commands pipelined after STARTTLS in clear must not survive it.
        c.send("STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\n"
               "RCPT TO:<alice@example.org>\r\n")
        code, lines = c.reply()
        self.assertEqual(code, 220, lines)
        c.starttls(self.ctx)
        # Any reply to the injected commands would come first.
        self.assertEqual(c.cmd("NOOP"), (250, ["250 2.0.0 Ok"]))
        # The session starts over: no transaction, EHLO needed again.
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 503)
        self.assertEqual(c.cmd("EHLO client.example")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<good@remote.example>")[0], 250)
        c.close()
        pt.wait_for(lambda: "discarded" in self.inst.logtext(),
                    what="the discard to be logged")

    def test_starttls_with_argument_and_in_transaction(self):
        c = smtp_raw.RawSMTP(self.inst.smtp_port)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("STARTTLS now")[0], 501)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 250)
        self.assertEqual(c.cmd("STARTTLS")[0], 503)
        c.close()

    def test_handshake_failure_ends_that_connection_only(self):
        before = self.smtpd_pids()
        c = smtp_raw.RawSMTP(self.inst.smtp_port)
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("STARTTLS")[0], 220)
        c.send(b"\x16\x03\x01\x00\x05garbage that is no ClientHello\r\n")
        c.sock.settimeout(30)
        try:
            end = c.sock.recv(100)
        except ConnectionResetError:
            end = b""
        self.assertIn(end[:1], (b"", b"\x15"), "closed, or a TLS alert")
        c.close()
        # Garbage on the implicit-TLS port too.
        with socket.create_connection(("127.0.0.1", self.inst.smtps_port), 30) as s:
            s.sendall(b"EHLO plain.example\r\n")
            try:
                s.recv(100)
            except ConnectionResetError:
                pass
        pt.wait_for(lambda: "TLS handshake failed" in self.inst.logtext(),
                    what="the failure to be logged")
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=30) as s:
            s.starttls(context=self.ctx)
            self.assertEqual(s.noop()[0], 250)
        self.assertEqual(self.smtpd_pids(), before, "no smtpd restarted")

    def test_implicit_tls_port_465(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.inst.smtps_port, timeout=30,
                              context=self.ctx) as s:
            s.ehlo("client.example")
            self.assertFalse(s.has_extn("starttls"), "already TLS")
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())
            s.login("alice@example.org", "secret1")
            s.sendmail("alice@example.org", ["someone@remote.example"], MSG)
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            self.assertIn(b"with ESMTPSA id", f.read())

    def test_old_protocols_refused(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.inst.cert)
        # The client offers TLS 1.1 at most (security level 0 lets it).
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            smtp_raw.RawSMTP(self.inst.smtps_port, ctx=ctx)


if __name__ == "__main__":
    pt.run()
