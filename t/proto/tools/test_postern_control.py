"""postern start detaches a master and returns once it listens; status,
reload and stop drive it; check reports what is wrong with an instance."""

import subprocess
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



SANLOG = {}


def postern(*args):
    env = dict(os.environ, **SANLOG)
    return subprocess.run([pt.POSTERN] + list(args), capture_output=True, text=True,
                          timeout=60, env=env)


class PosternControl(unittest.TestCase):
    def setUp(self):
        self.port = pt.free_port()
        self.inst = pt.Instance(master_conf="svc inet 127.0.0.1:%d n 1 - %s/testsvc\n"
                                % (self.port, pt.TESTBIN))
        # A detached master and its children have no stderr: sanitizer
        # reports go to files, which must not exist afterwards.
        self.sandir = self.inst.path("sanitizer")
        os.mkdir(self.sandir)
        SANLOG["ASAN_OPTIONS"] = "log_path=%s/asan" % self.sandir
        SANLOG["UBSAN_OPTIONS"] = "log_path=%s/ubsan" % self.sandir

    def tearDown(self):
        postern("-c", self.inst.dir, "stop")
        reports = os.listdir(self.sandir)
        text = "".join(open(os.path.join(self.sandir, r)).read() for r in reports)
        self.inst.cleanup()
        self.assertEqual(reports, [], text)

    def test_lifecycle(self):
        d = self.inst.dir
        r = postern("-c", d, "status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running", r.stdout)
        r = postern("-c", d, "start")
        self.assertEqual(r.returncode, 0, r.stderr)
        # start returns only once the listeners exist.
        self.assertTrue(pt.try_connect_line(("127.0.0.1", self.port)))
        r = postern("-c", d, "status")
        self.assertEqual(r.returncode, 0)
        pid = int(r.stdout.split("pid ")[1].rstrip(")\n"))
        self.assertIn(pid, pt.pids_with_arg(d))
        self.assertNotEqual(postern("-c", d, "start").returncode, 0, "second start refused")
        child = pt.parse_reply(pt.connect_line(("127.0.0.1", self.port)))["pid"]
        with open(self.inst.path("master.conf"), "a") as f:
            f.write("two inet 127.0.0.1:%d n 1 - %s/testsvc\n" % (pt.free_port(), pt.TESTBIN))
        self.assertEqual(postern("-c", d, "reload").returncode, 0)
        pt.wait_for(lambda: len(pt.pids_with_arg(d)) == 3, what="service two to start")
        self.assertEqual(pt.parse_reply(pt.connect_line(("127.0.0.1", self.port)))["pid"], child)
        r = postern("-c", d, "stop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(pt.pids_with_arg(d), [])
        self.assertEqual(postern("-c", d, "stop").returncode, 1)
        self.assertEqual(postern("-c", d, "reload").returncode, 1)

    def test_check(self):
        d = self.inst.dir
        for table in ("users", "virtual", "aliases"):
            open(self.inst.path(table), "w").close()
            self.assertEqual(postern("map", self.inst.path(table)).returncode, 0)
        # start prepares the directories (as root: owners and modes).
        self.assertEqual(postern("-c", d, "start").returncode, 0)
        self.assertEqual(postern("-c", d, "stop").returncode, 0)
        r = postern("-c", d, "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is fine", r.stdout)
        os.chmod(self.inst.path("queue"), 0o777)
        with open(self.inst.path("master.conf"), "a") as f:
            f.write("gone inet 127.0.0.1:1 n 1 - nosuchprogram\n")
        r = postern("-c", d, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("queue_directory %s is writable by group or others" % self.inst.path("queue"),
                      r.stderr)
        self.assertIn("master.conf:2: service gone: %s/nosuchprogram is not an executable"
                      % pt.LIBEXEC, r.stderr)
        os.unlink(self.inst.path("virtual.db"))
        r = postern("-c", d, "check")
        self.assertIn("table hash:%s/virtual: %s/virtual.db: No such file" % (d, d), r.stderr)
        with open(self.inst.path("master.conf"), "a") as f:
            f.write("broken\n")
        r = postern("-c", d, "check")
        self.assertEqual(r.returncode, 2)
        self.assertIn("master.conf:3:", r.stderr)


if __name__ == "__main__":
    pt.run()
