"""Mail hosts and host addresses from lib/base/dns (dns_mx, dns_host),
driven through t/bin/dnsq against t/lib/dnsserver.py on 127.0.0.1: MX
order and randomisation among equal preferences, the implicit MX, null
MX, NXDOMAIN, SERVFAIL, time-outs, forged answers, TC, CNAME chains, MX
hosts without addresses, address literals, malformed names and the hosts
file."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import dnsserver  # noqa: E402
import postern_test as pt  # noqa: E402

DNSQ = os.path.join(pt.TESTBIN, "dnsq")


def zone(dns):
    dns.add("order.test", "MX", (30, "mx30.order.test"))
    dns.add("order.test", "MX", (10, "mx10.order.test"))
    dns.add("order.test", "MX", (20, "mx20.order.test"))
    dns.add("mx10.order.test", "A", "127.0.0.10")
    dns.add("mx20.order.test", "A", "127.0.0.20")
    dns.add("mx30.order.test", "A", "127.0.0.30")
    dns.add("mx30.order.test", "AAAA", "2001:db8::30")

    dns.add("rand.test", "MX", (5, "first.rand.test"))
    dns.add("rand.test", "MX", (10, "a.rand.test"))
    dns.add("rand.test", "MX", (10, "b.rand.test"))
    dns.add("rand.test", "MX", (20, "last.rand.test"))
    for h in ("first", "a", "b", "last"):
        dns.add(h + ".rand.test", "A", "127.0.1.1")

    dns.add("plain.test", "A", "127.0.0.40")
    dns.add("plain.test", "AAAA", "2001:db8::40")
    dns.add("bare.test", "PTR", "other.test")   # exists, no MX, no address
    dns.add("null.test", "MX", (0, "."))
    dns.add("null.test", "A", "127.0.0.41")
    dns.fail("fail.test")
    dns.drop("silent.test")
    dns.add("silent.test", "A", "127.0.0.42")

    dns.add("forged.test", "MX", (10, "mx.forged.test"))
    dns.add("mx.forged.test", "A", "127.0.0.50")
    dns.add("evil.forged.test", "A", "127.0.0.66")
    dns.forge("forged.test", "MX", (10, "evil.forged.test"))
    dns.forge("mx.forged.test", "A", "127.0.0.66")

    dns.add("tc.test", "MX", (10, "mx.tc.test"))
    dns.add("mx.tc.test", "A", "127.0.0.51")
    dns.truncate("tc.test")

    dns.add("cname.test", "MX", (10, "alias.cname.test"))
    dns.add("alias.cname.test", "CNAME", "real.cname.test")
    dns.add("real.cname.test", "A", "127.0.0.60")
    dns.add("loop1.test", "CNAME", "loop2.test")
    dns.add("loop2.test", "CNAME", "loop1.test")

    dns.add("partial.test", "MX", (10, "nx.partial.test"))
    dns.add("partial.test", "MX", (20, "ok.partial.test"))
    dns.add("ok.partial.test", "A", "127.0.0.70")
    dns.add("gone.test", "MX", (10, "nx1.gone.test"))
    dns.add("gone.test", "MX", (20, "nx2.gone.test"))
    dns.add("tempmx.test", "MX", (10, "sf.tempmx.test"))
    dns.add("tempmx.test", "MX", (20, "nx.tempmx.test"))
    dns.add("sf.tempmx.test", "A", "127.0.0.71")
    dns.fail("sf.tempmx.test")
    dns.add("badmx.test", "MX", (10, "-bad.badmx.test"))
    dns.add("badmx.test", "MX", (20, "1.2.3.4"))
    dns.add("hostsmx.test", "MX", (10, "filehost.test"))


class DnsMx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = dnsserver.DNSServer().start()
        zone(cls.dns)
        fd, cls.hosts = tempfile.mkstemp(prefix="dnsq-hosts.")
        with os.fdopen(fd, "w") as f:
            f.write("127.0.0.77 filehost.test fh.alias\n"
                    "::1 filehost.test\n")

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()
        os.unlink(cls.hosts)

    def dnsq(self, kind, name, *opts, status=None):
        """Run dnsq; returns its output lines."""
        r = subprocess.run([DNSQ, "-s", self.dns.address, "-H", self.hosts]
                           + list(opts) + [kind, name],
                           capture_output=True, text=True, timeout=60)
        for bad in pt.BAD_LOG:
            self.assertNotIn(bad, r.stderr)
        if status is not None:
            self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        return r.stdout.splitlines()

    def test_mx_order(self):
        self.assertEqual(self.dnsq("mx", "order.test", status=0),
                         ["10 mx10.order.test 127.0.0.10",
                          "20 mx20.order.test 127.0.0.20",
                          "30 mx30.order.test 2001:db8::30 127.0.0.30"])

    def test_equal_preferences_randomised(self):
        orders = set()
        for _ in range(50):
            lines = self.dnsq("mx", "rand.test", status=0)
            names = [l.split()[1] for l in lines]
            self.assertEqual(names[0], "first.rand.test")
            self.assertEqual(names[3], "last.rand.test")
            self.assertEqual(sorted(names[1:3]), ["a.rand.test", "b.rand.test"])
            orders.add(tuple(names[1:3]))
        self.assertEqual(len(orders), 2, "50 runs gave one order only")

    def test_no_mx_is_implicit(self):
        self.assertEqual(self.dnsq("mx", "plain.test", status=0),
                         ["0 plain.test 2001:db8::40 127.0.0.40"])

    def test_no_mx_no_address(self):
        out = self.dnsq("mx", "bare.test", status=1)
        self.assertEqual(out, ["NONAME domain bare.test has no MX record and no address: "
                               "bare.test: AAAA: no AAAA record; A: no A record"])

    def test_null_mx(self):
        self.assertEqual(self.dnsq("mx", "null.test", status=1),
                         ["NONAME domain null.test accepts no mail (null MX)"])
        self.assertFalse(self.dns.asked("null.test", "A"))

    def test_nxdomain(self):
        self.assertEqual(self.dnsq("mx", "nosuch.test", status=1),
                         ["NONAME domain nosuch.test does not exist (NXDOMAIN)"])

    def test_servfail(self):
        out = self.dnsq("mx", "fail.test", status=2)
        self.assertEqual(out, ["TEMP MX look-up for fail.test failed: SERVFAIL from %s"
                               % self.dns.address])

    def test_timeout(self):
        before = self.dns.count("silent.test", "MX")
        out = self.dnsq("mx", "silent.test", "-t", "200", "-a", "3", status=2)
        self.assertEqual(len(out), 1)
        self.assertTrue(out[0].startswith("TEMP MX look-up for silent.test failed: "
                                          "no answer from %s (3 tries" % self.dns.address),
                        out[0])
        self.assertEqual(self.dns.count("silent.test", "MX") - before, 3)

    def test_forged_answers_ignored(self):
        self.assertEqual(self.dnsq("mx", "forged.test", status=0),
                         ["10 mx.forged.test 127.0.0.50"])
        self.assertFalse(self.dns.asked("evil.forged.test"))
        self.assertEqual(self.dnsq("host", "mx.forged.test", status=0),
                         ["0 mx.forged.test 127.0.0.50"])

    def test_truncated(self):
        out = self.dnsq("mx", "tc.test", status=2)
        self.assertEqual(out, ["TEMP MX look-up for tc.test failed: truncated answer "
                               "from %s (no TCP fallback)" % self.dns.address])

    def test_cname(self):
        self.assertEqual(self.dnsq("mx", "cname.test", status=0),
                         ["10 alias.cname.test 127.0.0.60"])
        out = self.dnsq("host", "loop1.test", status=2)
        self.assertIn("CNAME chain longer than 8", out[0])

    def test_mx_host_without_address_skipped(self):
        self.assertEqual(self.dnsq("mx", "partial.test", status=0),
                         ["20 ok.partial.test 127.0.0.70"])
        out = self.dnsq("mx", "gone.test", status=1)
        self.assertEqual(out, ["NONAME no address for any mail host of gone.test: "
                               "nx1.gone.test: AAAA: no such domain (NXDOMAIN); "
                               "A: no such domain (NXDOMAIN); "
                               "nx2.gone.test: AAAA: no such domain (NXDOMAIN); "
                               "A: no such domain (NXDOMAIN)"])
        out = self.dnsq("mx", "tempmx.test", status=2)
        self.assertTrue(out[0].startswith("TEMP no address for any mail host of "
                                          "tempmx.test: sf.tempmx.test: AAAA: SERVFAIL"),
                        out[0])

    def test_malformed_names(self):
        out = self.dnsq("mx", "badmx.test", status=1)
        self.assertEqual(out, ['NONAME no usable MX host for badmx.test: malformed MX '
                               'host name "-bad.badmx.test"; malformed MX host name '
                               '"1.2.3.4"'])
        out = self.dnsq("mx", "bad..name", status=1)
        self.assertEqual(out, ['NONAME malformed domain name "bad..name"'])
        self.assertFalse(self.dns.asked("bad..name"))

    def test_address_literals(self):
        before = len(self.dns.queries)
        self.assertEqual(self.dnsq("host", "192.0.2.1", status=0), ["0 192.0.2.1 192.0.2.1"])
        self.assertEqual(self.dnsq("host", "[192.0.2.1]", status=0),
                         ["0 [192.0.2.1] 192.0.2.1"])
        self.assertEqual(self.dnsq("mx", "[IPv6:2001:db8::1]", status=0),
                         ["0 [IPv6:2001:db8::1] 2001:db8::1"])
        self.assertEqual(len(self.dns.queries), before, "a literal was looked up")

    def test_hosts_file(self):
        self.assertEqual(self.dnsq("host", "filehost.test", status=0),
                         ["0 filehost.test ::1 127.0.0.77"])
        self.assertEqual(self.dnsq("host", "FH.alias.", status=0),
                         ["0 FH.alias 127.0.0.77"])
        self.assertEqual(self.dnsq("mx", "hostsmx.test", status=0),
                         ["10 filehost.test ::1 127.0.0.77"])
        self.assertFalse(self.dns.asked("filehost.test"))
        self.assertFalse(self.dns.asked("fh.alias"))


if __name__ == "__main__":
    pt.run()
