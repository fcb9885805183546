"""A broken postern.conf or master.conf refuses start-up with file:line
and exit status 2, and nothing is started."""

import subprocess
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class BadConfig(pt.InstanceTest):
    def run_master(self, inst):
        return subprocess.run([os.path.join(pt.LIBEXEC, "master"), "-c", inst.dir, "-f"],
                              capture_output=True, text=True, timeout=30)

    def test_bad_value(self):
        inst = self.instance(params={"master_stop_timeout": "soon"})
        inst.write_master("svc inet 127.0.0.1:%d n 1 - %s/testsvc\n" % (pt.free_port(), pt.TESTBIN))
        r = self.run_master(inst)
        self.assertEqual(r.returncode, 2)
        self.assertIn("postern.conf:4: master_stop_timeout: bad time value", r.stderr)
        self.assertEqual(pt.pids_with_arg(inst.dir), [])

    def test_bad_master_conf(self):
        inst = self.instance()
        inst.write_master("# ok\nsvc inet 127.0.0.1:%d n 1 - %s/testsvc\nbad unix\n"
                          % (pt.free_port(), pt.TESTBIN))
        r = self.run_master(inst)
        self.assertEqual(r.returncode, 2)
        self.assertIn("master.conf:3: expected: name type listen", r.stderr)
        self.assertFalse(os.path.exists(inst.path("data/master.pid")))

    def test_shared_address_and_missing_user(self):
        port = pt.free_port()
        inst = self.instance()
        inst.write_master("a inet 127.0.0.1:%d n 1 - %s/testsvc\n"
                          "b inet 127.0.0.1:%d n 1 - %s/testsvc\n" % (port, pt.TESTBIN, port, pt.TESTBIN))
        r = self.run_master(inst)
        self.assertEqual(r.returncode, 2)
        self.assertIn("master.conf:2: 127.0.0.1:%d is already the address of service a" % port,
                      r.stderr)
        if os.geteuid() == 0:
            inst.write_master("a inet 127.0.0.1:%d n 1 no-such-user %s/testsvc\n" % (port, pt.TESTBIN))
            r = self.run_master(inst)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("master.conf:1: service a: ", r.stderr)
            self.assertIn("no-such-user", r.stderr)
            self.assertEqual(pt.pids_with_arg(inst.dir), [])

    def test_bad_log_level(self):
        inst = self.instance(params={"log_level": "chatty"})
        r = self.run_master(inst)
        self.assertEqual(r.returncode, 2)
        self.assertIn("postern.conf:4: log_level: unknown level", r.stderr)

    def test_unknown_parameter_warns(self):
        port = pt.free_port()
        inst = self.instance(params={"no_such_thing": "1"})
        inst.write_master("svc inet 127.0.0.1:%d n 1 - %s/testsvc\n" % (port, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", port)])
        self.assertIn("postern.conf:4: unknown parameter no_such_thing", inst.logtext())

    def test_unusable_listener(self):
        inst = self.instance()
        inst.write_master("svc inet 192.0.2.1:25 n 1 - %s/testsvc\n" % pt.TESTBIN)
        r = self.run_master(inst)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("service svc: bind 192.0.2.1:25", r.stderr)
        self.assertEqual(pt.pids_with_arg(inst.dir), [])


if __name__ == "__main__":
    pt.run()
