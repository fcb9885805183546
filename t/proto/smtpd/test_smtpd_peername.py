"""smtpd looks up each client's host name as Postfix does: /etc/hosts,
then PTR, then a forward look-up (A/AAAA) that must give back the client's
address.  The verified name, or "unknown", shows in the connect line, the
Received: header and the client keys of smtpd_client_access.  The DNS
server is t/lib/dnsserver.py on 127.0.0.1; each client binds its own
loopback address (all of 127/8 reaches lo)."""

import os
import re
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import dnsserver  # noqa: E402
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402

MSG = "Subject: peer\r\n\r\nbody\r\n"


def zone(dns):
    """The names of the tests, one client address each."""
    dns.ptr("127.0.0.2", "good.example.test")
    dns.add("good.example.test", "A", "127.0.0.2")
    dns.add("good.example.test", "MX", (10, "mx.example.test"))
    dns.ptr("127.0.0.3", "liar.example.test")
    dns.add("liar.example.test", "A", "192.0.2.1")
    # 127.0.0.4 has no PTR record at all (NXDOMAIN).
    dns.ptr("127.0.0.5", "broken.example.test")
    dns.fail(dnsserver.reverse_name("127.0.0.5"))
    dns.ptr("127.0.0.6", "127.0.0.6")           # an address, not a name
    dns.add("127.0.0.6", "A", "127.0.0.6")
    dns.ptr("127.0.0.7", "gone.example.test")    # no A record: NXDOMAIN
    dns.drop(dnsserver.reverse_name("127.0.0.8"))  # never answers
    dns.ptr("::1", "six.example.test")
    dns.add("six.example.test", "AAAA", "::1")


class Peername(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.dns = dnsserver.DNSServer().start()
        zone(self.dns)

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.dns.stop()

    def start(self, chroot=False, v6=False, tables=None, tls=False, **params):
        """An smtpd asking self.dns; with v6 it listens on [::1] too
        (self.port6)."""
        p = {"dns_servers": self.dns.address, "mynetworks": "192.0.2.0/24"}
        port4 = pt.free_port()
        if v6:
            self.port6 = pt.free_port()
            p["smtp_listen"] = "127.0.0.1:%d, [::1]:%d" % (port4, self.port6)
        p.update(params)
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                params=p, chroot=chroot, tls=tls)
        if v6:
            inst.smtp_port = port4
        for name, text in (tables or {}).items():
            inst.write_table(name, text)
        self.instances.append(inst)
        inst.start()
        self.inst = inst
        return inst

    def send(self, source, host="127.0.0.1", port=None):
        """A message from source; returns its Received: line's "from"
        part, e.g. "client.example (name [addr])"."""
        with smtplib.SMTP(host, port or self.inst.smtp_port, timeout=30,
                          source_address=(source, 0)) as s:
            s.ehlo("client.example")
            s.mail("sender@remote.example")
            s.rcpt("alice@example.org")
            code, resp = s.data(MSG)
        self.assertEqual(code, 250, resp)
        qid = resp.decode().split("queued as ")[1]
        path = [f for f in self.inst.queue_files() if f.endswith(qid)][0]
        data = open(path, "rb").read()
        i = data.index(b"Received: from ")
        return data[i + 15:data.index(b"\r\n", i)].decode()

    def test_names(self):
        inst = self.start()
        self.assertEqual(self.send("127.0.0.2"),
                         "client.example (good.example.test [127.0.0.2])")
        pt.wait_for(lambda: "disconnect from good.example.test[127.0.0.2]:"
                    in inst.logtext(), what="the disconnect line")
        log = inst.logtext()
        self.assertRegex(log, r"S[0-9a-f]+: connect from good\.example\.test"
                         r"\[127\.0\.0\.2\]:\d+\n")
        self.assertIn("client=good.example.test[127.0.0.2]", log)
        self.assertTrue(self.dns.asked("good.example.test", "A"))
        self.assertNotRegex(log, "warning: S[0-9a-f]+:")

        # The PTR name's address is another's: not the client's name.
        self.assertEqual(self.send("127.0.0.3"),
                         "client.example (unknown [127.0.0.3])")
        self.assertIn("connect from unknown[127.0.0.3]:", inst.logtext())
        self.assertRegex(inst.logtext(), "warning: S[0-9a-f]+: hostname "
                         "liar.example.test does not resolve to address 127.0.0.3")
        # No name that resolves back either.
        self.assertEqual(self.send("127.0.0.7"),
                         "client.example (unknown [127.0.0.7])")
        self.assertIn("hostname gone.example.test does not resolve to address "
                      "127.0.0.7", inst.logtext())

        # No PTR record: unknown, and nothing worth a warning.
        self.assertEqual(self.send("127.0.0.4"),
                         "client.example (unknown [127.0.0.4])")
        self.assertTrue(self.dns.asked(dnsserver.reverse_name("127.0.0.4"), "PTR"))
        self.assertEqual([l for l in inst.logtext().splitlines()
                          if "warning" in l and "127.0.0.4" in l], [])

        # A PTR "name" that is an address is refused without a look-up.
        self.assertEqual(self.send("127.0.0.6"),
                         "client.example (unknown [127.0.0.6])")
        self.assertIn("malformed host name 127.0.0.6 in the PTR record of "
                      "127.0.0.6", inst.logtext())
        self.assertFalse(self.dns.asked("127.0.0.6", "A"))

        # SERVFAIL: a failure of the moment, unknown, with a warning.
        self.assertEqual(self.send("127.0.0.5"),
                         "client.example (unknown [127.0.0.5])")
        self.assertIn("PTR look-up of 127.0.0.5 failed", inst.logtext())

    def test_hosts_file_first(self):
        # 127.0.0.1 is in /etc/hosts: its first name, and no DNS query.
        name = pt.hosts_name("127.0.0.1")
        if name is None:
            self.skipTest("127.0.0.1 is not in /etc/hosts")
        self.dns.ptr("127.0.0.1", "dns.example.test")
        self.dns.add("dns.example.test", "A", "127.0.0.1")
        inst = self.start()
        self.assertEqual(self.send("127.0.0.1"),
                         "client.example (%s [127.0.0.1])" % name)
        self.assertIn("connect from %s[127.0.0.1]:" % name, inst.logtext())
        self.assertFalse(self.dns.asked(dnsserver.reverse_name("127.0.0.1")))
        self.assertEqual(self.dns.queries, [])

    def test_ipv6_chrooted(self):
        # A chrooted smtpd (as root) read its resolvers before the chroot
        # and asks AAAA to confirm an IPv6 client's name.
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback")
        self.start(chroot=True, v6=True)
        want = pt.hosts_name("::1") or "six.example.test"
        self.assertEqual(self.send("::1", host="::1", port=self.port6),
                         "client.example (%s [IPv6:::1])" % want)
        self.assertEqual(self.send("127.0.0.2"),
                         "client.example (good.example.test [127.0.0.2])")

    def test_implicit_tls(self):
        # Port 465: the greeting waits for the handshake and the name,
        # whichever comes last.
        self.dns.ptr("127.0.0.10", "late.example.test")
        self.dns.add("late.example.test", "A", "127.0.0.10")
        self.dns.delay(dnsserver.reverse_name("127.0.0.10"), 0.5)
        inst = self.start(tls=True)
        for source, name in (("127.0.0.2", "good.example.test"),
                             ("127.0.0.10", "late.example.test")):
            with smtplib.SMTP_SSL("127.0.0.1", inst.smtps_port, timeout=30,
                                  context=inst.client_context(),
                                  source_address=(source, 0)) as s:
                self.assertEqual(s.ehlo("client.example")[0], 250)
            self.assertIn("connect from %s[%s]:" % (name, source), inst.logtext())
        # The late name came after the handshake.
        log = inst.logtext()
        sid = re.search(r"(S[0-9a-f]+): connect from late", log).group(1)
        self.assertLess(log.index(sid + ": TLS established"),
                        log.index(sid + ": connect from late"))

    def test_client_access_by_name(self):
        self.start(smtpd_client_access="inline:{good.example.test=REJECT no thanks}, "
                                       "inline:{unknown=REJECT never matches}, "
                                       "hash:$config_directory/client",
                   tables={"client": "example.test REJECT parent domain\n"})
        refused = "554 5.7.1 <alice@example.org>: Client host rejected: "
        self.assertEqual(self.rcpt_from("127.0.0.2"), (554, [refused + "no thanks"]))
        # The PTR name of 127.0.0.3 is in example.test but does not
        # resolve back: the client is unknown, and "unknown" is no key.
        for source in ("127.0.0.3", "127.0.0.4"):
            self.assertEqual(self.rcpt_from(source)[0], 250, source)
        # The parent domain's key in the second table.
        self.dns.ptr("127.0.0.9", "other.example.test")
        self.dns.add("other.example.test", "A", "127.0.0.9")
        self.assertEqual(self.rcpt_from("127.0.0.9"),
                         (554, [refused + "parent domain"]))

    def rcpt_from(self, source):
        """The reply to a RCPT from source."""
        c = smtp_raw.RawSMTP(self.inst.smtp_port, source=source)
        try:
            c.cmd("EHLO client.example")
            c.cmd("MAIL FROM:<x@remote.example>")
            return c.cmd("RCPT TO:<alice@example.org>")
        finally:
            c.close()

    def test_lookup_off(self):
        inst = self.start(smtpd_peername_lookup="no")
        self.assertEqual(self.send("127.0.0.2"),
                         "client.example (unknown [127.0.0.2])")
        self.assertIn("connect from unknown[127.0.0.2]:", inst.logtext())
        self.assertEqual(self.dns.queries, [])

    def test_greeting_waits_and_client_leaves(self):
        inst = self.start()
        # The PTR query gets no answer: no greeting meanwhile.
        c = smtp_raw.RawSMTP(inst.smtp_port, source="127.0.0.8", greet=False)
        c.sock.settimeout(1.0)
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)
        pt.wait_for(lambda: self.dns.asked(dnsserver.reverse_name("127.0.0.8")),
                    what="the PTR query")
        c.close()
        pt.wait_for(lambda: "disconnect from unknown[127.0.0.8]" in inst.logtext(),
                    what="the disconnect")
        # Another client leaves a look-up running when smtpd stops; a
        # third is served meanwhile.
        c = smtp_raw.RawSMTP(inst.smtp_port, source="127.0.0.8", greet=False)
        self.assertEqual(self.send("127.0.0.2"),
                         "client.example (good.example.test [127.0.0.2])")
        time.sleep(0.2)
        inst.stop()
        c.close()
        self.assertNotRegex(inst.logtext(), r"S[0-9a-f]+: connect from "
                            r"unknown\[127\.0\.0\.8\]")


if __name__ == "__main__":
    pt.run()
