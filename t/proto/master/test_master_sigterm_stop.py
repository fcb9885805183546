"""SIGTERM stops every child and master, leaving no process, pid file or
socket behind; a child that does not stop is killed after
master_stop_timeout."""

import time
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class SigtermStop(pt.InstanceTest):
    def test_graceful(self):
        port = pt.free_port()
        inst = self.instance()
        inst.write_master("svc inet 127.0.0.1:%d n 3 - %s/testsvc\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        pt.wait_for(lambda: len(inst.children("svc")) == 3, what="3 processes")
        self.assertTrue(os.path.exists(inst.path("data/master.pid")))
        self.assertEqual(inst.stop(), 0)
        self.assertFalse(os.path.exists(inst.path("data/master.pid")))
        self.assertIsNone(pt.try_connect_line(("127.0.0.1", port)))
        self.assertIn("stopped", inst.logtext())

    def test_stubborn_child_killed(self):
        port = pt.free_port()
        inst = self.instance(params={"master_stop_timeout": "2s"})
        inst.write_master("svc inet 127.0.0.1:%d n 1 - %s/testsvc slowstop\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        t0 = time.monotonic()
        self.assertEqual(inst.stop(), 0)
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)
        self.assertIn("still running after 2s; killing them", inst.logtext())

    def test_children_exit_when_master_dies(self):
        port = pt.free_port()
        inst = self.instance()
        inst.write_master("svc inet 127.0.0.1:%d n 2 - %s/testsvc\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        pt.wait_for(lambda: len(inst.children("svc")) == 2, what="2 processes")
        os.kill(inst.master_pid(), signal.SIGKILL)
        inst.proc.wait()
        pt.wait_for(lambda: pt.pids_with_arg(inst.dir) == [], what="children to exit")


if __name__ == "__main__":
    pt.run()
