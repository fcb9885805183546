"""delivery smtp with MX look-ups against t/lib/dnsserver.py: MX
preference order, randomisation among equal preferences, the domain's
own address when it has no MX, the next MX when one is down or greets
with 4xx or 5xx (as Postfix), a 4xx recipient tried at the next MX, all
MX down deferred for the whole destination, smtp_max_hosts, NXDOMAIN
bounced, SERVFAIL deferred, and mail that would loop back to this host
bounced with 5.4.6.  The MX hosts are sinks on 127.0.0.2, 127.0.0.3 and
127.0.0.4 (all of 127/8 is local), on one port: the next hop's."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import dnsserver  # noqa: E402
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"Subject: mx\r\n\r\nbody\r\n"


class SmtpMx(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.dns = dnsserver.DNSServer()
        self.dns.start()
        self.addCleanup(self.dns.stop)
        self.port = pt.free_port()

    def agent(self, **params):
        p = {"dns_servers": self.dns.address}
        p.update(params)
        a = pt.DeliveryInstance(params=p)
        self.instances.append(a)
        a.start()
        return a

    def sink(self, host, **kw):
        s = smtpsink.SmtpSink(host=host, port=self.port, **kw).start()
        self.addCleanup(s.stop)
        return s

    def mx(self, domain, *hosts):
        """hosts: (pref, name, address)."""
        for pref, name, addr in hosts:
            self.dns.add(domain, "MX", (pref, name))
            self.dns.add(name, "A", addr)

    def send(self, agent, domain, rcpts=("a@x.test",)):
        qid = agent.queue_file(TEXT, list(rcpts))
        results, done = agent.deliver("smtp", qid, "%s:%d" % (domain, self.port),
                                      list(range(len(rcpts))))
        self.assertTrue(done)
        self.assertEqual(len(results), len(rcpts))
        return agent.by_index(results)

    def test_preference_order(self):
        self.mx("ex.test", (20, "mx2.ex.test", "127.0.0.3"), (10, "mx1.ex.test", "127.0.0.2"))
        s1, s2 = self.sink("127.0.0.2"), self.sink("127.0.0.3")
        agent = self.agent()
        r = self.send(agent, "ex.test")
        self.assertEqual(r[0]["state"], "S")
        self.assertEqual(r[0]["relay"], "mx1.ex.test[127.0.0.2]:%d" % self.port)
        self.assertEqual((len(s1.messages), len(s2.messages)), (1, 0))
        self.assertTrue(self.dns.asked("ex.test", "MX"))

    def test_next_mx(self):
        self.mx("ex.test", (10, "mx1.ex.test", "127.0.0.2"), (20, "mx2.ex.test", "127.0.0.3"),
                (30, "mx3.ex.test", "127.0.0.4"))
        agent = self.agent()
        # mx1 is down: mx2.
        s2 = self.sink("127.0.0.3")
        r = self.send(agent, "ex.test")
        self.assertEqual(r[0]["relay"], "mx2.ex.test[127.0.0.3]:%d" % self.port)
        self.assertEqual(len(s2.messages), 1)
        s2.stop()
        # 4xx greeting at mx1, 5xx greeting at mx2 (Postfix goes on): mx3.
        s1 = self.sink("127.0.0.2", greeting="421 4.3.2 busy")
        s2 = self.sink("127.0.0.3", greeting="554 5.3.2 go away")
        s3 = self.sink("127.0.0.4")
        r = self.send(agent, "ex.test")
        self.assertEqual(r[0]["state"], "S")
        self.assertEqual(r[0]["relay"], "mx3.ex.test[127.0.0.4]:%d" % self.port)
        self.assertEqual((s1.connections, s2.connections, len(s3.messages)), (1, 1, 1))
        log = agent.logtext()
        self.assertIn("host mx1.ex.test[127.0.0.2] refused to talk to me: 421 4.3.2 busy", log)
        self.assertIn("host mx2.ex.test[127.0.0.3] refused to talk to me: 554 5.3.2", log)

    def test_recipient_4xx_next_mx(self):
        self.mx("ex.test", (10, "mx1.ex.test", "127.0.0.2"), (20, "mx2.ex.test", "127.0.0.3"))
        s1 = self.sink("127.0.0.2", rcpt_replies={"b@x.test": "451 4.3.0 later",
                                                  "c@x.test": "550 5.1.1 unknown"})
        s2 = self.sink("127.0.0.3", rcpt_replies={"b@x.test": "450 4.2.0 also later"})
        agent = self.agent()
        r = self.send(agent, "ex.test", rcpts=("a@x.test", "b@x.test", "c@x.test"))
        self.assertEqual((r[0]["state"], r[1]["state"], r[2]["state"]), ("S", "D", "B"))
        self.assertEqual(r[1]["dsn"], "4.2.0")
        self.assertIn("mx2.ex.test", r[1]["text"])
        self.assertEqual([a for a, _p in s1.messages[0].rcpts], ["a@x.test"])
        self.assertEqual([c for c in s2.all_commands() if c.startswith("RCPT")],
                         ["RCPT TO:<b@x.test>"])

    def test_all_down(self):
        self.mx("ex.test", (10, "mx1.ex.test", "127.0.0.2"), (20, "mx2.ex.test", "127.0.0.3"))
        agent = self.agent()
        r = self.send(agent, "ex.test", rcpts=("a@x.test", "b@x.test"))
        for x in r.values():
            self.assertEqual((x["state"], x["dsn"], x["scope"]), ("D", "4.4.1", "d"), x)
            self.assertIn("connect to mx2.ex.test[127.0.0.3]", x["text"])
        # The last server greets 5xx: bounced, as by Postfix.
        self.sink("127.0.0.3", greeting="554 5.7.1 no service")
        r = self.send(agent, "ex.test")
        self.assertEqual((r[0]["state"], r[0]["dsn"], r[0]["scope"]), ("B", "5.7.1", "d"))

    def test_max_hosts(self):
        self.mx("ex.test", (10, "mx1.ex.test", "127.0.0.2"), (20, "mx2.ex.test", "127.0.0.3"),
                (30, "mx3.ex.test", "127.0.0.4"))
        s3 = self.sink("127.0.0.4")
        agent = self.agent(smtp_max_hosts="2")
        r = self.send(agent, "ex.test")
        self.assertEqual(r[0]["state"], "D")
        self.assertEqual(s3.connections, 0)
        self.assertIn("mx2.ex.test", r[0]["text"])

    def test_randomised(self):
        self.mx("ex.test", (10, "mx1.ex.test", "127.0.0.2"), (10, "mx2.ex.test", "127.0.0.3"))
        s1, s2 = self.sink("127.0.0.2"), self.sink("127.0.0.3")
        agent = self.agent()
        qid = agent.queue_file(TEXT, ["a@x.test"])
        # Each run picks either at 1/2: 30 runs all alike is a 2^-29 event.
        for _ in range(30):
            results, _done = agent.deliver("smtp", qid, "ex.test:%d" % self.port, [0])
            self.assertEqual(results[0]["state"], "S")
            if s1.messages and s2.messages:
                break
        self.assertTrue(s1.messages and s2.messages, (len(s1.messages), len(s2.messages)))

    def test_no_mx(self):
        self.dns.add("plain.test", "A", "127.0.0.2")
        s1 = self.sink("127.0.0.2")
        agent = self.agent()
        r = self.send(agent, "plain.test")
        self.assertEqual(r[0]["state"], "S")
        self.assertEqual(r[0]["relay"], "plain.test[127.0.0.2]:%d" % self.port)
        self.assertEqual(len(s1.messages), 1)
        # [host]: no MX look-up at all.
        self.mx("mxd.test", (10, "elsewhere.test", "127.0.0.3"))
        self.dns.add("mxd.test", "A", "127.0.0.2")
        qid = agent.queue_file(TEXT, ["a@x.test"])
        results, _ = agent.deliver("smtp", qid, "[mxd.test]:%d" % self.port, [0])
        self.assertEqual(results[0]["relay"], "mxd.test[127.0.0.2]:%d" % self.port)
        self.assertFalse(self.dns.asked("mxd.test", "MX"))

    def test_nxdomain_servfail(self):
        self.dns.add("other.test", "A", "127.0.0.2")
        self.dns.fail("broken.test")
        agent = self.agent()
        r = self.send(agent, "nonexistent.test", rcpts=("a@x.test", "b@x.test"))
        for x in r.values():
            self.assertEqual((x["state"], x["dsn"], x["scope"], x["relay"]),
                             ("B", "5.4.4", "d", "none"), x)
            self.assertIn("Host or domain name not found", x["text"])
        r = self.send(agent, "broken.test")
        self.assertEqual((r[0]["state"], r[0]["dsn"], r[0]["scope"]), ("D", "4.4.3", "d"), r[0])

    def test_loops_back(self):
        agent = self.agent()
        # The best MX is this host's smtp_listen address and port.
        self.port = agent.smtp_port
        self.mx("loop.test", (10, "mx.loop.test", "127.0.0.1"))
        r = self.send(agent, "loop.test")
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.4.6"), r[0])
        self.assertIn("mail for loop.test:%d loops back to myself" % self.port, r[0]["text"])
        # By name: an MX that is myhostname.
        self.mx("loop2.test", (10, "delivery.test", "127.0.0.9"))
        r = self.send(agent, "loop2.test")
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.4.6"))
        # A backup MX for a better one: only the better one is tried.
        self.mx("backup.test", (10, "primary.backup.test", "127.0.0.2"),
                (20, "delivery.test", "127.0.0.9"))
        s1 = self.sink("127.0.0.2")
        r = self.send(agent, "backup.test")
        self.assertEqual(r[0]["state"], "S")
        s1.stop()
        r = self.send(agent, "backup.test")
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("D", "4.4.1"))


if __name__ == "__main__":
    pt.run()
