"""qmgr after a crash: files left in active/ are delivered at the next
start, a damaged file goes to corrupt/ with one log line, and qmgr
killed with SIGKILL in the middle of a busy run loses nothing: master
restarts it and every accepted message is delivered at least once."""

import glob
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
from agentsink import AgentSink  # noqa: E402

USERS = [("alice@example.org", "pw")]


class Recovery(pt.InstanceTest):
    def test_active_and_corrupt_at_start(self):
        inst = pt.QmgrInstance(users=USERS, qmgr=False)
        self.instances.append(inst)
        inst.start()
        for i in range(3):
            inst.send("sender@remote.test", ["u%d@far.test" % i])
        inst.stop()
        files = sorted(glob.glob(inst.path("queue/incoming/*/*/*")))
        self.assertEqual(len(files), 3)
        # One as a crash in the middle of its delivery leaves it.
        moved = files[0].replace("/incoming/", "/active/")
        st = os.stat(inst.path("queue/incoming"))
        for d in (os.path.dirname(os.path.dirname(moved)), os.path.dirname(moved)):
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
                os.chown(d, st.st_uid, st.st_gid)
        os.rename(files[0], moved)
        # One torn: the end record is missing.
        with open(files[1], "r+b") as f:
            f.truncate(os.path.getsize(files[1]) - 10)
        torn = os.path.basename(files[1])
        inst.write_master(inst.master_text + pt.QMGR_MASTER)
        sink = AgentSink(inst.path("queue"), "sink")
        self.addCleanup(sink.close)
        pt.Instance.start(inst)
        pt.wait_for(lambda: len(sink.delivered()) == 2, what="two deliveries")
        pt.wait_for(lambda: len(inst.queue_ids("corrupt")) == 1, what="one corrupt file")
        self.assertEqual(inst.queue_ids("corrupt"), [torn])
        log = inst.logtext()
        self.assertIn("recovered 1 messages from the active queue", log)
        self.assertEqual(log.count("%s: moved to corrupt: " % torn), 1)
        pt.wait_for(lambda: not inst.queue_ids("incoming") and not inst.queue_ids("active"),
                    what="incoming and active to empty")

    def test_sigkill_during_a_busy_run(self):
        inst = pt.QmgrInstance(users=USERS)
        self.instances.append(inst)
        sink = AgentSink(inst.path("queue"), "sink", delay=0.05)
        self.addCleanup(sink.close)
        inst.start()
        n = 40
        for i in range(n):
            inst.send("sender@remote.test", ["u%d@far%d.test" % (i, i % 4)])
            if i in (10, 25):
                pt.wait_for(lambda: len(inst.children("qmgr")) == 1,
                            what="master to restart qmgr")
                os.kill(inst.children("qmgr")[0], signal.SIGKILL)
        pt.wait_for(lambda: len({a for _q, a in sink.delivered()}) == n, timeout=60,
                    what="every message delivered")
        pt.wait_for(inst.queue_empty, timeout=30, what="the queue to empty")
        # Each message at least once; a repeat is allowed after a crash.
        self.assertGreaterEqual(len(sink.delivered()), n)
        r = pt.postern_cmd("-c", inst.dir, "queue", "list")
        self.assertEqual((r.returncode, r.stdout), (0, "Mail queue is empty\n"), r.stderr)


if __name__ == "__main__":
    pt.run()
