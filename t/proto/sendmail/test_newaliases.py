"""newaliases (and sendmail -bi, -I) rebuilds every hash: and lmdb: table
of alias_maps from its text file and passes over the other types; authd
serves the new aliases at once.  A bad line leaves the old table in
place (65), a missing text file is 66, a table that cannot be written is
73."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


class NewAliases(st.ConfDirTest):
    def setUp(self):
        super().setUp()
        d = self.conf.dir
        with open(os.path.join(d, "postern.conf"), "a") as f:
            f.write("alias_maps = hash:%s/aliases, lmdb:%s/more inline:{x=y}\n" % (d, d))
        self.write("aliases", "root alice@example.org\nsales bob@example.org, carol\n")
        self.write("more", "webmaster root\n")

    def write(self, name, text):
        with open(os.path.join(self.conf.dir, name), "w") as f:
            f.write(text)

    def query(self, key, table):
        r = pt.postern_cmd("map", "-q", key, table)
        return r.stdout.strip() if r.returncode == 0 else None

    def test_builds_every_file_table(self):
        r = st.sendmail(self.conf.dir, argv0="newaliases")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"", b""))
        d = self.conf.dir
        self.assertEqual(self.query("sales", "hash:%s/aliases" % d),
                         "bob@example.org, carol")
        self.assertEqual(self.query("webmaster", "lmdb:%s/more" % d), "root")
        # Again, as sendmail -bi and -I, verbose: one line per table built.
        self.write("aliases", "root alice@example.org\nnew dave@example.org\n")
        for args in (["-bi", "-v"], ["-I", "-v"]):
            r = st.sendmail(self.conf.dir, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            err = r.stderr.decode()
            self.assertIn("/aliases: 2 entries written to %s/aliases.db" % d, err)
            self.assertIn("/more: 1 entries written to %s/more.lmdb" % d, err)
            self.assertIn("inline:{x=y}: not built from a file, skipped", err)
        self.assertEqual(self.query("new", "hash:%s/aliases" % d), "dave@example.org")
        self.assertIsNone(self.query("sales", "hash:%s/aliases" % d))

    def test_bad_line_keeps_old_table(self):
        self.assertEqual(st.sendmail(self.conf.dir, "-bi").returncode, 0)
        self.write("aliases", "root alice@example.org\nlonely\n")
        r = st.sendmail(self.conf.dir, argv0="newaliases")
        self.assertEqual(r.returncode, st.EX_DATAERR, r.stderr)
        err = r.stderr.decode()
        self.assertIn("aliases:2:", err)
        self.assertIn("newaliases: %s/aliases: 1 bad lines; table not rebuilt" % self.conf.dir,
                      err)
        self.assertEqual(self.query("sales", "hash:%s/aliases" % self.conf.dir),
                         "bob@example.org, carol")

    def test_missing_text(self):
        os.unlink(os.path.join(self.conf.dir, "more"))
        r = st.sendmail(self.conf.dir, argv0="newaliases")
        self.assertEqual(r.returncode, st.EX_NOINPUT, r.stderr)
        self.assertIn(b"/more: No such file or directory", r.stderr)
        # The other table was still built.
        self.assertIsNotNone(self.query("root", "hash:%s/aliases" % self.conf.dir))

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run as nobody")
    def test_not_writable(self):
        r = st.sendmail(self.conf.dir, argv0="newaliases", user=st.NOBODY)
        self.assertEqual(r.returncode, st.EX_CANTCREAT, r.stderr)
        self.assertIn(b"Permission denied", r.stderr)

    def test_served_at_once(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True,
                                params={"authd_cache_negative_ttl": "0"})
        self.instances.append(inst)
        inst.start()
        r = st.sendmail(inst.dir, "sales", input=b"Subject: before\n\nx\n")
        self.assertEqual(r.returncode, st.EX_NOUSER, r.stderr)
        with open(inst.path("aliases"), "w") as f:
            f.write("sales alice@example.org\n")
        r = st.sendmail(inst.dir, argv0="newaliases")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = st.sendmail(inst.dir, "sales", input=b"Subject: after\n\nx\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        files = inst.queue_files()
        self.assertEqual(len(files), 1)
        self.assertEqual(st.qinfo(files[0])["rcpt"], ["sales@localhost"])


if __name__ == "__main__":
    pt.run()
