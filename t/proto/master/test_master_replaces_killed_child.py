"""A child killed with SIGKILL is replaced, and the service answers again."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class ReplacesKilledChild(pt.InstanceTest):
    def test_sigkill_replaced(self):
        port = pt.free_port()
        inst = self.instance()
        inst.write_master("svc inet 127.0.0.1:%d n 2 - %s/testsvc\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        pt.wait_for(lambda: len(inst.children("svc")) == 2, what="2 processes")
        before = inst.children("svc")
        os.kill(before[0], signal.SIGKILL)
        pt.wait_for(lambda: len(inst.children("svc")) == 2 and
                    inst.children("svc") != before, what="a replacement")
        after = inst.children("svc")
        self.assertNotIn(before[0], after)
        self.assertIn(before[1], after, "the other process is untouched")
        self.assertIn("process %d was killed by signal 9" % before[0], inst.logtext())
        for _ in range(4):
            r = pt.parse_reply(pt.connect_line(("127.0.0.1", port)))
            self.assertIn(int(r["pid"]), after)


if __name__ == "__main__":
    pt.run()
