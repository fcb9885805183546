"""A second master on the same instance is refused while the first runs."""

import subprocess
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class SecondRefused(pt.InstanceTest):
    def test_second_master(self):
        port = pt.free_port()
        inst = self.instance()
        inst.write_master("svc inet 127.0.0.1:%d n 1 - %s/testsvc\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        r = subprocess.run([pt.POSTERN, "run", "--dir", inst.dir], capture_output=True,
                           text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already running (pid %d)" % inst.master_pid(), r.stderr)
        r = subprocess.run([pt.POSTERN, "-c", inst.dir, "status"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn("running (pid %d)" % inst.master_pid(), r.stdout)
        self.assertEqual(len(inst.children("svc")), 1, "the first keeps running")


if __name__ == "__main__":
    pt.run()
