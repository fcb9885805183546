"""An unauthenticated client outside mynetworks cannot relay, whatever
trick the address uses; the tricks are literal local addresses, never
routes.  From mynetworks a plain remote address is relayed."""

import os
import signal
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


TRICKS = [
    # (address, expected code): local tricks are unknown local users (550),
    # remote ones are refused relaying (554), broken ones are syntax (501).
    ("user%remote.example@example.org", 550),
    ("remote.example!user@example.org", 550),
    ('"user@remote.example"@example.org', 550),
    ("@example.org:user@remote.example", 554),
    ("user@remote.example.", 501),
    ("user@[192.0.2.1]", 554),
    ("user@Remote.Example", 554),
    ("user@EXAMPLE.ORG.remote.example", 554),
    ("user@remote.example@example.org", 501),
    ("user@relay.example.", 501),
]


class OpenRelay(pt.InstanceTest):
    def start(self, mynetworks):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                aliases="postmaster alice@example.org\n",
                                params={"mynetworks": mynetworks,
                                        "myhostname": "mx.example.org",
                                        "mydestination": "mx.example.org, localhost"})
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual(c.cmd("EHLO client.example")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<someone@remote.example>")[0], 250)
        return inst, c

    def test_outsider(self):
        inst, c = self.start("192.0.2.0/24")
        self.assertEqual(c.cmd("RCPT TO:<friend@remote.example>")[0], 554)
        for addr, code in TRICKS:
            got = c.cmd("RCPT TO:<%s>" % addr)
            self.assertEqual(got[0], code, (addr, got))
        self.assertEqual(c.cmd("RCPT TO:<x@relay.example>")[0], 250, "relay_domains")
        self.assertEqual(c.cmd("RCPT TO:<ALICE@Example.ORG>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice+tag@example.org>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<Postmaster>")[0], 250,
                         "RFC 5321 4.1.1.3: <Postmaster> is postmaster@myhostname")
        self.assertIn("Relay access denied", inst.logtext())
        self.assertEqual(c.cmd("QUIT")[0], 221)

    def test_mynetworks(self):
        inst, c = self.start("127.0.0.0/8")
        self.assertEqual(c.cmd("RCPT TO:<friend@remote.example>")[0], 250)
        for addr, code in TRICKS:
            if code == 550:
                self.assertEqual(c.cmd("RCPT TO:<%s>" % addr)[0], 550,
                                 "%s stays a local address" % addr)


if __name__ == "__main__":
    pt.run()
