"""postern config prints effective values (-n only the changed ones, NAME
just those); bad values exit 2 with file:line; unknown names warn."""

import subprocess
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def postern(*args):
    return subprocess.run([pt.POSTERN] + list(args), capture_output=True, text=True,
                          timeout=30)


class PosternConfig(unittest.TestCase):
    def setUp(self):
        self.inst = pt.Instance(params={"myhostname": "mx.example.org",
                                        "myorigin": "$mydomain", "mydomain": "example.org",
                                        "mydestination": "$myhostname,\n  other.example"})

    def tearDown(self):
        self.inst.cleanup()

    def test_all(self):
        r = postern("-c", self.inst.dir, "config")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = dict(l.split(" = ", 1) for l in r.stdout.splitlines())
        self.assertEqual(lines["myorigin"], "example.org")
        self.assertEqual(lines["mydestination"], "mx.example.org, other.example")
        self.assertEqual(lines["master_stop_timeout"], "10s")
        self.assertEqual(lines["config_directory"], self.inst.dir)
        self.assertEqual(lines["tls_cert_file"], self.inst.dir + "/tls/cert.pem")
        self.assertGreaterEqual(len(lines), 29)

    def test_mydomain_follows_myhostname(self):
        self.inst.write_conf({"myhostname": "mx.branch.example.net"})
        r = postern("-c", self.inst.dir, "config", "mydomain", "mydestination")
        self.assertEqual(r.stdout, "mydomain = branch.example.net\nmydestination = "
                         "mx.branch.example.net, localhost.branch.example.net, localhost\n")

    def test_changed_only_and_names(self):
        r = postern("-c", self.inst.dir, "config", "-n")
        names = [l.split(" = ")[0] for l in r.stdout.splitlines()]
        self.assertEqual(sorted(names), sorted(["queue_directory", "data_directory",
                         "daemon_directory", "myhostname", "myorigin", "mydomain",
                         "mydestination"]))
        r = postern("-c", self.inst.dir, "config", "myorigin", "syslog_name")
        self.assertEqual(r.stdout, "myorigin = example.org\nsyslog_name = postern\n")
        r = postern("-c", self.inst.dir, "config", "nonesuch")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown parameter nonesuch", r.stderr)

    def test_errors(self):
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("bogus_name = 1\n")
        r = postern("-c", self.inst.dir, "config", "myorigin")
        self.assertEqual(r.returncode, 0)
        self.assertIn("postern.conf:9: unknown parameter bogus_name", r.stderr)
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("default_process_limit = 0\n")
        r = postern("-c", self.inst.dir, "config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("postern.conf:10: default_process_limit: value 0 is out of range", r.stderr)
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("default_process_limit = 1\nauth_mechanisms = PLAIN CRAM-MD5\n")
        r = postern("-c", self.inst.dir, "config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("postern.conf:12: auth_mechanisms: unknown mechanism \"CRAM-MD5\"",
                      r.stderr)
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("auth_mechanisms = login\nthis is not an assignment\n")
        r = postern("-c", self.inst.dir, "config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("postern.conf:14: missing '='", r.stderr)


if __name__ == "__main__":
    pt.run()
