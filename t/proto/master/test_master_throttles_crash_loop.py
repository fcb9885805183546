"""A service that crashes at every start is restarted with a growing delay
(throttled), never in a fork storm, while other services keep working."""

import time
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class ThrottlesCrashLoop(pt.InstanceTest):
    def test_crash_loop_is_throttled(self):
        port = pt.free_port()
        inst = self.instance(params={"service_restart_delay": "1s",
                                     "service_throttle_time": "2s"})
        inst.write_master(
            "bad  inet 127.0.0.1:%d n 1 - %s/testsvc crash\n"
            "good inet 127.0.0.1:%d n 1 - %s/testsvc\n"
            % (pt.free_port(), pt.TESTBIN, port, pt.TESTBIN))
        start = time.monotonic()
        inst.start(wait=[("127.0.0.1", port)])
        pt.wait_for(lambda: "throttling" in inst.logtext(), what="throttling")
        # Let the window run to 6 seconds after start; delays 1s, 2s, 2s...
        time.sleep(max(0.0, 6.0 - (time.monotonic() - start)))
        forks = inst.logtext().count("crashing on purpose")
        elapsed = time.monotonic() - start
        # Starts at about 0, 1, 3, 5 s: at most one per second after the first.
        self.assertGreaterEqual(forks, 2)
        self.assertLessEqual(forks, 2 + int(elapsed), "fork storm: %d starts" % forks)
        self.assertIn("service bad: process", inst.logtext())
        self.assertEqual(pt.parse_reply(pt.connect_line(("127.0.0.1", port)))["service"], "good")


if __name__ == "__main__":
    pt.run()
