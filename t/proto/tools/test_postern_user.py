"""postern user adds, changes, lists, shows and deletes users in the text
source of the users table (keeping its comments), rebuilds the table,
never prints a hash, refuses bad input, and (as root) leaves both files
mode 0640 owned by root and the group of postern-auth."""

import grp
import os
import pty
import pwd
import stat
import subprocess
import sys
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # noqa: E402 (removed in Python 3.13)
except ImportError:
    crypt = None


class PosternUser(unittest.TestCase):
    def setUp(self):
        self.inst = pt.Instance()
        self.users = self.inst.path("users")
        with open(self.users, "w") as f:
            f.write("# users of the test instance\n\n")

    def tearDown(self):
        self.inst.cleanup()

    def user(self, *args, stdin=None):
        return subprocess.run([pt.POSTERN, "-c", self.inst.dir, "user"] + list(args),
                              input=stdin, capture_output=True, text=True, timeout=60)

    def ok(self, *args, stdin=None):
        r = self.user(*args, stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("$y$", r.stdout + r.stderr)
        self.assertNotIn("$6$", r.stdout + r.stderr)
        return r

    def table(self):
        """The built users.db as {key: value}, trailing NULs removed."""
        out = subprocess.run(["db5.3_dump", "-p", self.users + ".db"], capture_output=True,
                             text=True, check=True).stdout
        data = out.split("HEADER=END\n", 1)[1].split("DATA=END", 1)[0].splitlines()
        rows = [l[1:].replace("\\00", "") for l in data]
        return dict(zip(rows[0::2], rows[1::2]))

    def text(self):
        with open(self.users) as f:
            return f.read()

    def show(self, addr):
        r = self.ok("show", addr)
        return dict(l.split(": ", 1) if ": " in l else (l.rstrip(":"), "")
                    for l in r.stdout.splitlines())

    def assert_password(self, stored, password):
        if crypt is not None:
            self.assertEqual(crypt.crypt(password, stored), stored)

    def test_lifecycle(self):
        self.ok("add", "Alice@Example.org", "--name", "Alice: L", "--quota", "1g",
                "--quota-messages", "500", "--password-stdin", stdin="s3cret\n")
        self.ok("add", "bob@example.org", "--host", "b1.example.org", "--disabled",
                "--scheme", "sha512", "--password-stdin", stdin="pw2\n")
        t = self.table()
        self.assertTrue(t["alice@example.org"].startswith("$y$"), t)
        self.assertTrue(t["alice@example.org"].endswith(":y:1g:500::Alice: L"), t)
        self.assert_password(t["alice@example.org"].split(":")[0], "s3cret")
        self.assertTrue(t["bob@example.org"].startswith("$6$"), t)
        self.assertTrue(t["bob@example.org"].endswith(":n:0:0:b1.example.org"), t)
        self.assertTrue(self.text().startswith("# users of the test instance\n\n"))

        r = self.ok("list")
        self.assertEqual(r.stdout, "alice@example.org enabled quota=1g messages=500\n"
                                   "bob@example.org disabled quota=unlimited "
                                   "messages=unlimited\n")
        s = self.show("ALICE@example.org")
        self.assertEqual(s["address"], "alice@example.org")
        self.assertEqual(s["password"], "set")
        self.assertEqual(s["enabled"], "yes")
        self.assertEqual(s["quota"], "1g")
        self.assertEqual(s["quota-messages"], "500")
        self.assertEqual(s["name"], "Alice: L")
        self.assertEqual(self.show("bob@example.org")["mailhost"], "b1.example.org")

        old = self.table()["alice@example.org"]
        self.ok("passwd", "alice@example.org", "--password-stdin", stdin="n3w\n")
        new = self.table()["alice@example.org"]
        self.assertNotEqual(old, new)
        self.assertTrue(new.startswith("$y$") and new.endswith(":y:1g:500::Alice: L"), new)
        self.assert_password(new.split(":")[0], "n3w")

        self.ok("disable", "alice@example.org")
        self.assertEqual(self.show("alice@example.org")["enabled"], "no")
        self.assertIn(":n:1g:", self.table()["alice@example.org"])
        self.ok("enable", "bob@example.org")
        self.assertEqual(self.show("bob@example.org")["enabled"], "yes")

        self.ok("del", "alice@example.org")
        self.assertEqual(list(self.table()), ["bob@example.org"])
        self.assertNotIn("alice", self.text())
        self.assertTrue(self.text().startswith("# users of the test instance\n\n"))

    def test_keeps_other_lines(self):
        with open(self.users, "a") as f:
            f.write("carol@example.org :y:0:0::Carol\n# about carol\n  Smith\n"
                    "dave@example.org !locked:y\n")
        self.ok("passwd", "carol@example.org", "--password-stdin", stdin="pw\r\n")
        lines = self.text().splitlines()
        self.assertEqual(lines[:2], ["# users of the test instance", ""])
        self.assertTrue(lines[2].startswith("carol@example.org\t$y$"), lines)
        self.assertTrue(lines[2].endswith(":y:0:0::Carol Smith"), lines)
        self.assertEqual(lines[3:], ["# about carol", "dave@example.org !locked:y"])
        self.assert_password(self.table()["carol@example.org"].split(":")[0], "pw")
        self.assertEqual(self.show("dave@example.org")["password"], "locked")

    def test_errors(self):
        self.ok("add", "a@example.org", "--password-stdin", stdin="pw\n")
        before = (self.text(), open(self.users + ".db", "rb").read())
        r = self.user("add", "a@example.org", "--password-stdin", stdin="pw\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("a@example.org: user exists", r.stderr)
        for cmd in ("del", "passwd", "enable", "disable", "show"):
            r = self.user(cmd, "missing@example.org", "--password-stdin"
                          if cmd == "passwd" else "--", stdin="pw\n")
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn("missing@example.org: no such user", r.stderr)
        for bad in ("nodomain", "@example.org", "a@", "a@b@c", "a b@c", "a:b@c",
                    "#a@b", "a\x01@b", "a" * 251 + "@b.c"):
            r = self.user("add", bad, "--password-stdin", stdin="pw\n")
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("bad address", r.stderr)
        for stdin in ("\n", "", "\r\n"):
            r = self.user("add", "e@example.org", "--password-stdin", stdin=stdin)
            self.assertEqual(r.returncode, 1)
            self.assertIn("empty password refused", r.stderr)
        r = self.user("add", "e@example.org", "--password-stdin", stdin="x" * 600 + "\n")
        self.assertEqual(r.returncode, 1)
        r = self.user("add", "e@example.org", "--disabled", "--password-stdin", stdin="")
        self.assertEqual(r.returncode, 1)
        r = subprocess.run([pt.POSTERN, "-c", self.inst.dir, "user", "add", "e@example.org"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=30, start_new_session=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/dev/tty", r.stderr)
        for args in (["add", "e@example.org", "--quota", "lots", "--password-stdin"],
                     ["add", "e@example.org", "--host", "bad_host", "--password-stdin"],
                     ["add", "e@example.org", "--name", "a\tb", "--password-stdin"],
                     ["add", "e@example.org", "--scheme", "md5", "--password-stdin"],
                     ["del", "a@example.org", "--name", "x"], ["list", "extra"],
                     ["frob"], [], ["show"], ["add", "e@example.org", "--nope"]):
            r = self.user(*args, stdin="pw\n")
            self.assertEqual(r.returncode, 2, args)
            self.assertRegex(r.stderr, "^(usage|postern): ", args)
        self.assertEqual((self.text(), open(self.users + ".db", "rb").read()), before)
        self.assertEqual(sorted(os.listdir(self.inst.dir)),
                         sorted(["data", "master.conf", "postern.conf", "queue", "users",
                                 "users.db"]))

    def test_longest_address(self):
        addr = "a" * 250 + "@b.c"
        self.ok("add", addr.upper(), "--password-stdin", stdin="pw\n")
        self.assertIn(addr, self.table())

    def tty_user(self, *answers):
        """Run user add on a new terminal; answer each prompt in turn."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(pt.POSTERN, [pt.POSTERN, "-c", self.inst.dir, "user", "add",
                                  "t@example.org"])
        seen = b""
        for answer in answers:
            while not seen.rstrip().endswith(b":"):
                seen += os.read(fd, 1024)
            os.write(fd, answer)
            seen += b"|"
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(fd)
        return os.waitpid(pid, 0)[1], seen.decode()

    def test_terminal(self):
        status, seen = self.tty_user(b"t0pS3cret\n", b"t0pS3cret\n")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, seen)
        self.assertNotIn("t0pS3cret", seen)
        self.assertIn("Password:", seen)
        self.assertIn("Again:", seen)
        self.assert_password(self.table()["t@example.org"].split(":")[0], "t0pS3cret")
        self.ok("del", "t@example.org")
        status, seen = self.tty_user(b"one\n", b"two\n")
        self.assertEqual(os.waitstatus_to_exitcode(status), 1, seen)
        self.assertIn("the passwords do not match", seen)
        self.assertNotIn("t@example.org", self.text())

    def test_bad_file_refused(self):
        with open(self.users, "a") as f:
            f.write("lonely\n")
        r = self.user("add", "a@example.org", "--password-stdin", stdin="pw\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.users + ":3: ", r.stderr)
        self.assertFalse(os.path.exists(self.users + ".db"))

    def test_other_tables(self):
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("virtual_mailbox_maps = ldap:$config_directory/ldap-users.cf\n")
        r = self.user("add", "a@example.org", "--password-stdin", stdin="pw\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("users in ldap: tables are managed in the directory", r.stderr)
        self.assertEqual(self.user("list").returncode, 1)
        with open(self.inst.path("postern.conf"), "a") as f:
            f.write("virtual_mailbox_maps = lmdb:$config_directory/vusers\n")
        self.ok("add", "a@example.org", "--password-stdin", stdin="pw\n")
        dump = subprocess.run(["mdb_dump", "-n", "-p", self.inst.path("vusers.lmdb")],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn(" a@example.org\\00\n $y$", dump)

    @unittest.skipUnless(os.geteuid() == 0, "ownership needs root")
    def test_owner_and_mode(self):
        self.ok("add", "a@example.org", "--password-stdin", stdin="pw\n")
        gid = pwd.getpwnam("postern-auth").pw_gid
        for path in (self.users, self.users + ".db"):
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o640, path)
            self.assertEqual(st.st_uid, 0, path)
            self.assertEqual(st.st_gid, gid, "%s group %s" % (path, grp.getgrgid(st.st_gid)))


if __name__ == "__main__":
    pt.run()
