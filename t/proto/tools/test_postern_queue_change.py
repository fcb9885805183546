"""postern queue hold, release, requeue, delete and flush behave as
postern(1) says: qmgr does not deliver a held message and does after its
release (also when it was held in the middle of a delivery, and released
again before that delivery ended); delete removes a message and its
deferral reasons, ALL deferred only the deferred ones; flush delivers a
message with a long back-off at once (-d DOMAIN only those for DOMAIN);
requeue takes a deferred message at once, and a damaged one back to
corrupt; bad ids and wrong states are
refused; with qmgr down the files are still moved."""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
from agentsink import AgentSink  # noqa: E402

USERS = [("alice@example.org", "pw")]
LONG = {"minimal_backoff_time": "1h", "maximal_backoff_time": "1h"}


class QueueChange(pt.InstanceTest):
    def make(self, params=None, delay=0.0, qmgr=True, defer_first=True):
        """An instance whose sink defers each address's first attempt
        (when defer_first) and delivers later ones."""
        inst = pt.QmgrInstance(params=params, users=USERS, qmgr=qmgr)
        self.instances.append(inst)
        self.tries = {}

        def rule(addr, hop):
            self.tries[addr] = self.tries.get(addr, 0) + 1
            if defer_first and self.tries[addr] == 1:
                return ("D", "4.2.0", "450 busy", "host said: 450 busy")
            return ("S", "2.0.0", "250 ok", "ok")
        self.sink = AgentSink(inst.path("queue"), "sink", rule=rule, delay=delay)
        self.addCleanup(self.sink.close)
        inst.start()
        return inst

    def queue(self, inst, *args):
        return pt.postern_cmd("-c", inst.dir, "queue", *args)

    def ok(self, inst, *args):
        r = self.queue(inst, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def deferred(self, inst, rcpt):
        """Send to rcpt and wait until the message is deferred: its id."""
        before = set(inst.queue_ids("deferred"))
        inst.send("sender@remote.test", [rcpt])
        pt.wait_for(lambda: set(inst.queue_ids("deferred")) - before, what="deferred")
        return (set(inst.queue_ids("deferred")) - before).pop()

    def test_hold_and_release(self):
        inst = self.make()     # back-off 1s: a retry comes soon
        qid = self.deferred(inst, "carol@far.test")
        self.assertEqual(self.ok(inst, "hold", qid), "%s: held (deferred -> hold)\n" % qid)
        self.assertEqual(inst.queue_ids("hold"), [qid])
        self.assertEqual(self.ok(inst, "hold", qid), "%s: already in hold\n" % qid)
        # Past the back-off and two scans: still held, not tried again.
        time.sleep(3)
        self.assertEqual(self.tries["carol@far.test"], 1)
        self.assertEqual(inst.queue_ids("hold"), [qid])
        self.assertEqual(self.ok(inst, "release", qid),
                         "%s: released (hold -> incoming)\n" % qid)
        pt.wait_for(inst.queue_empty, what="delivery after the release")
        self.assertEqual(self.tries["carol@far.test"], 2)
        self.assertIn("%s: to=<carol@far.test>, relay=sink.test[127.0.0.1]:25, " % qid,
                      inst.logtext())

    def test_hold_during_delivery(self):
        inst = self.make(params=LONG, delay=2.0, defer_first=False)
        inst.send("sender@remote.test", ["carol@far.test"])
        pt.wait_for(lambda: self.sink.requests, what="a delivery to start")
        qid = self.sink.requests[0]["queue_id"]
        self.assertEqual(self.ok(inst, "hold", qid), "%s: held (active -> hold)\n" % qid)
        pt.wait_for(lambda: "%s: moved out of the active queue meanwhile" % qid in inst.logtext(),
                    what="the round to end")
        # The result of that delivery is kept in the held file.
        self.assertEqual(inst.queue_ids("hold"), [qid])
        self.assertEqual(self.ok(inst, "release", qid),
                         "%s: released (hold -> incoming)\n" % qid)
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertEqual(len(self.sink.requests), 1)

    def test_release_before_the_round_ends(self):
        inst = self.make(params=LONG, delay=2.0)
        inst.send("sender@remote.test", ["carol@far.test"])
        pt.wait_for(lambda: self.sink.requests, what="a delivery to start")
        qid = self.sink.requests[0]["queue_id"]
        self.ok(inst, "hold", qid)
        self.ok(inst, "release", qid)
        # The file is back while qmgr still delivers it: it is taken
        # again only after that round (deferred), never twice at once.
        pt.wait_for(inst.queue_empty, timeout=20, what="the queue to empty")
        reqs = self.sink.requests
        self.assertEqual(len(reqs), 2)
        self.assertGreaterEqual(reqs[1]["time"] - reqs[0]["time"], 1.9)
        log = inst.logtext()
        self.assertIn("%s: still in the active queue: loaded after its round" % qid, log)
        self.assertEqual(log.count("%s: to=<carol@far.test>" % qid), 2)

    def test_delete(self):
        inst = self.make(params=LONG)
        one = self.deferred(inst, "carol@far.test")
        two = self.deferred(inst, "dave@far.test")
        three = self.deferred(inst, "erin@far.test")
        self.assertEqual(sorted(inst.queue_ids("defer")), sorted([one, two, three]))
        self.ok(inst, "hold", three)
        self.assertEqual(self.ok(inst, "delete", one), "%s: deleted (from deferred)\n" % one)
        self.assertNotIn(one, inst.queue_ids("deferred"))
        self.assertNotIn(one, inst.queue_ids("defer"))
        r = self.queue(inst, "delete", one)
        self.assertEqual((r.returncode, r.stderr), (1, "postern: %s: not in the queue\n" % one))
        self.assertEqual(self.ok(inst, "delete", "ALL", "deferred"),
                         "deleted 1 message from deferred\n")
        self.assertEqual(inst.queue_ids("deferred"), [])
        self.assertEqual(inst.queue_ids("hold"), [three])
        self.assertEqual(self.ok(inst, "delete", "ALL"), "deleted 1 message from the queue\n")
        self.assertTrue(inst.queue_empty())
        self.assertEqual(inst.queue_ids("defer"), [])
        self.assertEqual(self.ok(inst, "list"), "Mail queue is empty\n")

    def test_flush(self):
        inst = self.make(params=LONG)
        a = self.deferred(inst, "a@a.test")
        b = self.deferred(inst, "b@b.test")
        self.assertEqual(self.ok(inst, "flush", "-d", "A.test"),
                         "1 deferred message for A.test due now\n")
        pt.wait_for(lambda: a not in inst.queue_ids("deferred") + inst.queue_ids("active"),
                    what="a.test delivered")
        self.assertEqual(self.tries, {"a@a.test": 2, "b@b.test": 1})
        self.assertEqual(inst.queue_ids("deferred"), [b])
        self.assertEqual(self.ok(inst, "flush", b), "%s: due now\n" % b)
        pt.wait_for(inst.queue_empty, what="b.test delivered")
        self.assertEqual(self.tries["b@b.test"], 2)
        c = self.deferred(inst, "c@c.test")
        self.assertEqual(self.ok(inst, "flush"), "1 deferred message due now\n")
        pt.wait_for(inst.queue_empty, what="c.test delivered")
        r = self.queue(inst, "flush", c)
        self.assertEqual((r.returncode, r.stderr), (1, "postern: %s: not in the queue\n" % c))

    def test_requeue(self):
        inst = self.make(params=LONG)
        qid = self.deferred(inst, "carol@far.test")
        self.assertEqual(self.ok(inst, "requeue", qid),
                         "%s: requeued (deferred -> incoming)\n" % qid)
        pt.wait_for(inst.queue_empty, what="delivery after the requeue")
        self.assertEqual(self.tries["carol@far.test"], 2)

    def test_requeue_corrupt(self):
        inst = self.make(params=LONG)
        qid = self.deferred(inst, "carol@far.test")
        self.ok(inst, "hold", qid)
        path = glob.glob(inst.path("queue/hold/*/*/" + qid))[0]
        with open(path, "r+b") as f:
            f.seek(-8, os.SEEK_END)
            f.write(b"damaged!")
        self.assertEqual(self.ok(inst, "requeue", qid),
                         "%s: requeued (hold -> incoming)\n" % qid)
        pt.wait_for(lambda: inst.queue_ids("corrupt") == [qid], what="moved to corrupt")
        out = self.ok(inst, "list")
        self.assertRegex(out.split("\n")[1], r"^%s# +\d+ .*  \(cannot read: .*checksum" % qid)
        self.assertEqual(self.ok(inst, "requeue", qid),
                         "%s: requeued (corrupt -> incoming)\n" % qid)
        pt.wait_for(lambda: inst.logtext().count("%s: moved to corrupt" % qid) == 2,
                    what="moved to corrupt again")
        self.assertEqual(self.ok(inst, "delete", qid), "%s: deleted (from corrupt)\n" % qid)
        self.assertTrue(inst.queue_empty())
        self.assertEqual(self.tries["carol@far.test"], 1)

    def test_refused(self):
        inst = self.make(params=LONG)
        qid = self.deferred(inst, "carol@far.test")
        for args in (("hold", "nonsense"), ("release", "../" + qid[3:]), ("delete", "*"),
                     ("flush", qid + "x")):
            r = self.queue(inst, *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr, 'postern: bad queue id "%s"\n' % args[1])
        for args in (("frob", qid), ("hold",), ("hold", qid, qid), ("delete", "ALL", "nowhere"),
                     ("flush", "-d"), ("list", "x")):
            r = self.queue(inst, *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.startswith("usage: postern"), r.stderr)
        r = self.queue(inst, "release", qid)
        self.assertEqual((r.returncode, r.stderr),
                         (1, "postern: %s: cannot release a message in deferred\n" % qid))
        r = self.queue(inst, "hold", "0" * 18)
        self.assertEqual((r.returncode, r.stderr), (1, "postern: %s: not in the queue\n" % ("0" * 18)))
        self.assertEqual(inst.queue_ids("deferred"), [qid])

    def test_qmgr_down(self):
        inst = self.make(qmgr=False)
        inst.send("sender@remote.test", ["alice@example.org"])
        qid = inst.queue_ids("incoming")[0]
        self.assertEqual(self.ok(inst, "hold", qid), "%s: held (incoming -> hold)\n" % qid)
        r = self.queue(inst, "release", qid)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "%s: released (hold -> incoming)\n" % qid)
        self.assertRegex(r.stderr, r"^postern: qmgr is not running \(.*\): it will see the "
                         r"change when it starts\n$")
        self.assertEqual(inst.queue_ids("incoming"), [qid])
        r = self.queue(inst, "flush")
        self.assertEqual((r.returncode, r.stdout), (0, "0 deferred messages due now\n"))
        self.assertIn("qmgr is not running", r.stderr)
        self.assertEqual(self.ok(inst, "delete", qid), "%s: deleted (from incoming)\n" % qid)
        self.assertTrue(inst.queue_empty())


if __name__ == "__main__":
    pt.run()
