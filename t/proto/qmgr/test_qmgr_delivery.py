"""qmgr moves messages from incoming/ to their delivery agents: routes
by domain class and transport_maps, one request per destination, one log
line per recipient, retries of deferred recipients after the back-off,
alias expansion into a new queue file, the removal of finished files."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
from agentsink import AgentSink  # noqa: E402

USERS = [("alice@example.org", "pw"), ("carol@example.org", "pw")]


class Delivery(pt.InstanceTest):
    def make(self, params=None, rule=None, virtual="", **kw):
        inst = pt.QmgrInstance(params=params, users=USERS, virtual=virtual)
        self.instances.append(inst)
        self.sink = AgentSink(inst.path("queue"), "sink", **({"rule": rule} if rule else {}), **kw)
        self.addCleanup(self.sink.close)
        inst.start()
        self.inst = inst
        return inst

    def test_routes_and_log(self):
        inst = self.make(params={"transport_maps": "inline:{special.test=sink:[10.0.0.1]:2525}"})
        inst.send("sender@remote.test", ["alice@example.org", "bob@remote.test",
                                         "x@special.test"])
        pt.wait_for(lambda: len(self.sink.delivered()) == 3, what="three deliveries")
        hops = sorted((r["nexthop"], tuple(r["rcpt"])) for r in self.sink.requests)
        self.assertEqual(hops, [("[10.0.0.1]:2525", ("x@special.test",)),
                                ("remote.test", ("bob@remote.test",)),
                                ("store", ("alice@example.org",))])
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        log = inst.logtext()
        qid = self.sink.requests[0]["queue_id"]
        self.assertIn("%s: from=<sender@remote.test>, size=" % qid, log)
        self.assertIn("nrcpt=3 (queue active)", log)
        line = re.search(r"%s: to=<alice@example.org>, relay=sink.test\[127.0.0.1\]:25, "
                         r"delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/0.01/0.01, dsn=2.0.0, "
                         r"status=sent \(delivered to alice@example.org\)" % qid, log)
        self.assertIsNotNone(line, log[-3000:])
        pt.wait_for(lambda: "%s: removed" % qid in inst.logtext(), what="removed")

    def test_retry_after_backoff(self):
        tries = {}

        def rule(addr, hop):
            tries[addr] = tries.get(addr, 0) + 1
            if addr == "carol@example.org" and tries[addr] < 3:
                return ("D", "4.2.0", "450 4.2.0 try later", "host said: 450")
            return ("S", "2.0.0", "250 ok", "ok")
        inst = self.make(rule=rule)
        inst.send("sender@remote.test", ["alice@example.org", "carol@example.org"])
        pt.wait_for(lambda: tries.get("carol@example.org", 0) == 3, timeout=30,
                    what="carol tried three times")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        # alice is never delivered twice: her result was recorded.
        self.assertEqual(tries["alice@example.org"], 1)
        log = inst.logtext()
        self.assertEqual(log.count("to=<carol@example.org>"), 3)
        self.assertEqual(log.count("status=deferred (host said: 450)"), 2)
        self.assertIn(": deferred for ", log)
        # The second wait is longer than the first (1s, then 2s).
        times = [r["time"] for r in self.sink.requests if "carol@example.org" in r["rcpt"]]
        self.assertGreaterEqual(times[1] - times[0], 0.9)
        self.assertGreaterEqual(times[2] - times[1], 1.9)

    def test_alias_expansion(self):
        inst = self.make(virtual="team@example.org alice@example.org, bob@remote.test, "
                                 "carol@example.org\n"
                                 "list@example.org alice@example.org, team@example.org\n")
        inst.send("sender@remote.test", ["list@example.org", "carol@example.org"])
        pt.wait_for(lambda: len(self.sink.delivered()) == 3, what="three deliveries")
        got = sorted(a for _q, a in self.sink.delivered())
        # alice twice and carol twice in the expansion: once each.
        self.assertEqual(got, ["alice@example.org", "bob@remote.test", "carol@example.org"])
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        log = inst.logtext()
        m = re.search(r"(\w+): aliases expanded: continued as (\w+)", log)
        self.assertIsNotNone(m, log)
        self.assertEqual({r["queue_id"] for r in self.sink.requests}, {m.group(2)})
        self.assertRegex(log, r"%s: to=<bob@remote.test>, orig_to=<list@example.org>," % m.group(2))
        # carol came first through list: she is delivered once, as such.
        self.assertEqual(log.count("to=<carol@example.org>"), 1)

    def test_concurrency_limit(self):
        inst = self.make(params={"default_destination_concurrency_limit": "2"}, delay=0.3)
        for i in range(8):
            inst.send("sender@remote.test", ["u%d@far.test" % i])
        pt.wait_for(lambda: len(self.sink.delivered()) == 8, timeout=30, what="8 deliveries")
        self.assertEqual(self.sink.max_active, 2)
        pt.wait_for(inst.queue_empty, what="the queue to empty")

    def test_dead_destination(self):
        def rule(addr, hop):
            if hop == "dead.test":
                return ("D", "4.4.1", "", "connect to dead.test: refused", "d")
            return ("S", "2.0.0", "250 ok", "ok")
        inst = self.make(params={"default_destination_concurrency_limit": "1",
                                 "minimal_backoff_time": "30s"},
                         rule=rule, delay=0.5)
        for i in range(4):
            inst.send("sender@remote.test", ["u%d@dead.test" % i])
        inst.send("sender@remote.test", ["alice@example.org"])
        pt.wait_for(lambda: inst.logtext().count("to=<u") == 4, timeout=30,
                    what="four results")
        dead = [r for r in self.sink.requests if r["nexthop"] == "dead.test"]
        # The first failure suspends the destination: what waited is
        # deferred without another try.
        self.assertLess(len(dead), 4)
        log = inst.logtext()
        self.assertIn("destination sink:dead.test suspended for 30s", log)
        self.assertIn("delivery temporarily suspended: connect to dead.test: refused", log)
        self.assertIn(("store", ["alice@example.org"]),
                      [(r["nexthop"], r["rcpt"]) for r in self.sink.requests])
        pt.wait_for(lambda: len(inst.queue_ids("deferred")) == 4,
                    what="four messages in deferred/")


if __name__ == "__main__":
    pt.run()
