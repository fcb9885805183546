"""STARTTLS in lmtpd: offered to TCP clients with
lmtpd_tls_security_level=may, required before MAIL with encrypt,
plaintext pipelined after STARTTLS dropped, LHLO again after it; never
offered on the unix socket.  AUTH through authd, required with
lmtpd_auth_required."""

import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class StartTls(pt.InstanceTest):
    def test_encrypt_and_auth(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "secret")], tls=True,
                                inet_args="-o lmtpd_tls_security_level=encrypt "
                                          "-o lmtpd_sasl_auth_enable=yes "
                                          "-o lmtpd_auth_required=yes")
        self.instances.append(inst)
        inst.start()
        ctx = pt.SmtpdInstance.client_context(inst)
        c = smtp_raw.RawSMTP(inst.lmtp_port)
        lines = c.cmd("LHLO gw.example")[1]
        self.assertIn("250-STARTTLS", lines)
        self.assertFalse([x for x in lines if "AUTH" in x], "no AUTH before TLS")
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 530)
        # Plaintext after STARTTLS is never taken as sent under TLS.
        c.send(b"STARTTLS\r\nNOOP\r\n")
        self.assertEqual(c.reply()[0], 220)
        c.starttls(ctx)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 503, "LHLO again")
        lines = c.cmd("LHLO gw.example")[1]
        self.assertNotIn("250-STARTTLS", lines)
        self.assertIn("250-AUTH PLAIN LOGIN", lines)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>"),
                         (530, ["530 5.7.0 Authentication required"]))
        bad = base64.b64encode(b"\0alice@example.org\0wrong").decode()
        self.assertEqual(c.cmd("AUTH PLAIN " + bad)[0], 535)
        good = base64.b64encode(b"\0alice@example.org\0secret").decode()
        self.assertEqual(c.cmd("AUTH PLAIN " + good)[0], 235)
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        self.assertEqual(c.cmd("Subject: tls\r\n\r\nx\r\n.")[0], 250)
        c.cmd("QUIT")
        log = inst.logtext()
        self.assertIn("bytes sent in clear after STARTTLS were discarded", log)
        self.assertIn("TLS established", log)
        self.assertIn("AUTH PLAIN user=<alice@example.org>", log)
        # The unix socket: local, no TLS offered or required, no AUTH.
        lm = inst.lmtp()
        self.assertNotIn(b"STARTTLS", lm.ehlo_resp)
        self.assertNotIn(b"AUTH", lm.ehlo_resp)
        self.assertEqual(lm.mail("a@remote.example")[0], 250)
        lm.quit()


if __name__ == "__main__":
    pt.run()
