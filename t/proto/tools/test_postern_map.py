"""postern map compiles a text table into a Berkeley DB or LMDB file that
the reference tools read back (keys folded, Postfix's trailing NULs), and
a table with bad lines reports each as file:line and writes nothing."""

import shutil
import subprocess
import tempfile
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


TEXT = "# aliases\nUser@Example.org  u1@example.org\n\nsales@example.org a@example.org,\n  b@example.org\n"


def postern(*args):
    return subprocess.run([pt.POSTERN] + list(args), capture_output=True, text=True,
                          timeout=60)


class PosternMap(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="postern-map-")
        self.src = os.path.join(self.dir, "virtual")
        with open(self.src, "w") as f:
            f.write(TEXT)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_hash(self):
        r = postern("map", self.src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 entries", r.stdout)
        dump = subprocess.run(["db5.3_dump", "-p", self.src + ".db"], capture_output=True,
                              text=True, check=True).stdout
        self.assertIn(" user@example.org\\00\n u1@example.org\\00\n", dump)
        self.assertIn(" sales@example.org\\00\n a@example.org, b@example.org\\00\n", dump)

    @unittest.skipUnless(os.access(os.environ.get("POSTERN_POSTMAP", "/usr/sbin/postmap"), os.X_OK),
                         "Postfix's postmap is not available")
    def test_postfix_reads_our_table(self):
        self.assertEqual(postern("map", self.src).returncode, 0)
        q = subprocess.run([os.environ.get("POSTERN_POSTMAP", "/usr/sbin/postmap"), "-q",
                            "USER@example.org", "hash:" + self.src],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(q.stdout, "u1@example.org\n", q.stderr)

    def test_lmdb(self):
        r = postern("map", "lmdb:" + self.src)
        self.assertEqual(r.returncode, 0, r.stderr)
        dump = subprocess.run(["mdb_dump", "-n", "-p", self.src + ".lmdb"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn(" user@example.org\\00\n u1@example.org\\00\n", dump)

    def test_errors_write_nothing(self):
        self.assertEqual(postern("map", self.src).returncode, 0)
        before = open(self.src + ".db", "rb").read()
        with open(self.src, "w") as f:
            f.write("good value\nlonely\n\n  # comment\nnul\0 x\nok x\nok y\n")
        r = postern("map", "hash:" + self.src)
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.src + ":2: expected format: key whitespace value", r.stderr)
        self.assertIn(self.src + ":5: ", r.stderr)
        self.assertIn("warning: %s:7: duplicate entry ok" % self.src, r.stderr)
        self.assertIn("nothing written", r.stderr)
        self.assertEqual(open(self.src + ".db", "rb").read(), before)
        self.assertEqual(sorted(os.listdir(self.dir)), ["virtual", "virtual.db"])

    def test_missing_and_usage(self):
        r = postern("map", os.path.join(self.dir, "nope"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("nope", r.stderr)
        self.assertEqual(postern("map").returncode, 2)
        self.assertEqual(postern("map", "ldap:/x").returncode, 2)


if __name__ == "__main__":
    pt.run()
