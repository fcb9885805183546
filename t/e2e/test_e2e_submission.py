"""Submission end to end: a user authenticated over 587 (STARTTLS) and
over 465 (TLS from the first byte) sends to a local user and to a
remote domain, whose MX the SMTP delivery agent finds through a test DNS
server (t/lib/dnsserver.py) and reaches on a loopback address; the same
relay without authentication is refused; the local copy reads back over
IMAP."""

import imaplib
import os
import smtplib
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import dnsserver  # noqa: E402
import postern_test as pt  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

USERS = [("alice@example.org", "alice pw"), ("bob@example.org", "bob pw")]


class Submission(pt.InstanceTest):
    directory = "hash"

    def setUp(self):
        super().setUp()
        self.dns = dnsserver.DNSServer()
        self.dns.add("remote.test", "MX", (10, "mx.remote.test"))
        self.dns.add("mx.remote.test", "A", "127.0.0.2")
        self.dns.start()
        self.addCleanup(self.dns.stop)
        self.mx_port = pt.free_port()
        self.sink = SmtpSink(host="127.0.0.2", port=self.mx_port)
        self.sink.start()
        self.addCleanup(self.sink.stop)
        self.imap_port = pt.free_port()
        self.inst = pt.MailInstance(users=USERS, tls=True, directory=self.directory, params={
            "dns_servers": self.dns.address,
            # The remote domain by its MX, on the sink's port (port 25 is
            # not ours to take in a test).
            "transport_maps": "inline:{remote.test=smtp:remote.test:%d}" % self.mx_port,
            "smtp_tls_security_level": "none",
            # Only 127.0.0.1 is trusted: 127.0.0.3 plays an outside client.
            "mynetworks": "127.0.0.1/32"})
        self.instances.append(self.inst)
        with open(self.inst.path("master.conf")) as f:
            text = f.read()
        self.inst.write_master(text + pt.SUBMISSION_MASTER % ("n", "n") +
                               "imap inet 127.0.0.1:%d n - $store_owner imapd\n"
                               % self.imap_port)
        self.inst.start()
        self.ctx = ssl.create_default_context(cafile=self.inst.cert)

    def message(self, subject, to):
        return ("From: alice@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\nhello\r\n"
                % (to, subject)).encode()

    def test_587_and_465(self):
        with smtplib.SMTP("127.0.0.1", self.inst.submission_port, timeout=60) as c:
            c.starttls(context=self.ctx)
            c.login("alice@example.org", "alice pw")
            c.sendmail("alice@example.org", ["bob@example.org", "carol@remote.test"],
                       self.message("via 587", "bob@example.org, carol@remote.test"))
        with smtplib.SMTP_SSL("127.0.0.1", self.inst.smtps_port, timeout=60,
                              context=self.ctx) as c:
            c.login("alice@example.org", "alice pw")
            c.sendmail("alice@example.org", ["bob@example.org", "dave@remote.test"],
                       self.message("via 465", "bob@example.org, dave@remote.test"))
        pt.wait_for(lambda: len(self.sink.messages) == 2, what="both remote copies")
        got = sorted((m.rcpts[0][0], m.sender) for m in self.sink.messages)
        self.assertEqual(got, [("carol@remote.test", "alice@example.org"),
                               ("dave@remote.test", "alice@example.org")])
        self.assertIn(("remote.test", "MX"), [(n.lower(), t) for n, t in self.dns.queries])
        self.assertRegex(self.inst.logtext(), r"to=<carol@remote.test>, relay=mx\.remote\.test"
                                              r"\[127\.0\.0\.2\]:%d.*status=sent" % self.mx_port)
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=60)
        c.starttls(ssl_context=self.ctx)
        c.login("bob@example.org", "bob pw")
        pt.wait_for(lambda: int(c.select("INBOX", readonly=True)[1][0]) == 2,
                    what="both local copies")
        typ, data = c.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = sorted(x[1].strip() for x in data if isinstance(x, tuple))
        self.assertEqual(subjects, [b"Subject: via 465", b"Subject: via 587"])
        c.logout()

    def test_relay_refused_without_auth(self):
        # Port 25 from outside mynetworks relays nothing; submission wants
        # AUTH before MAIL.
        with smtplib.SMTP("127.0.0.1", self.inst.submission_port, timeout=60) as c:
            c.starttls(context=self.ctx)
            code, _ = c.mail("alice@example.org")
            self.assertEqual(code // 100, 5)
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=60,
                          source_address=("127.0.0.3", 0)) as c:
            c.ehlo("outside.test")
            self.assertEqual(c.mail("someone@outside.test")[0], 250)
            code, text = c.rcpt("carol@remote.test")
            self.assertEqual(code, 554, text)
            self.assertIn(b"Relay access denied", text)
        self.assertEqual(self.sink.messages, [])


class SubmissionLdap(Submission):
    """The same with the users in a real slapd."""

    directory = "ldap"


if __name__ == "__main__":
    pt.run()
