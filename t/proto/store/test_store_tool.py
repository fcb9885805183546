#!/usr/bin/env python3
"""postern store check [-n] [USER], rebuild, stats and quota on a real
store: a dry run reports and changes nothing, a check repairs (orphan
files removed, entries without files dropped), every user is checked
without USER, rebuild keeps the messages, stats and quota print the
counters."""
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class StoreToolTest(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = self.instance()
        self.store = self.inst.path("data/store")
        os.mkdir(self.store, 0o700)
        if os.geteuid() == 0:
            # As root the command becomes store_owner, as the daemons do.
            import pwd
            pw = pwd.getpwnam("vmail")
            os.chown(self.store, pw.pw_uid, pw.pw_gid)

    def postern(self, *args):
        return pt.postern_cmd("-c", self.inst.dir, "store", *args)

    def user_dir(self, user):
        # Made on first use by any store command.
        self.assertEqual(self.postern("quota", user).returncode, 0)
        (d,) = glob.glob(os.path.join(self.store, "*", "*", user))
        return d

    def test_check_dry_run_then_repair(self):
        d = self.user_dir("alice@example.org")
        (inbox,) = [b for b in os.listdir(d + "/mbox")
                    if open(os.path.join(d, "mbox", b, "name")).read() == "INBOX"]
        orphan = os.path.join(d, "mbox", inbox, "7." + "ab" * 16)
        with open(orphan, "w") as f:
            f.write("never acknowledged\r\n")
        if os.geteuid() == 0:
            os.chown(orphan, os.stat(d).st_uid, os.stat(d).st_gid)
        r = self.postern("check", "-n", "alice@example.org")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("orphans=1", r.stdout)
        self.assertNotIn("repaired", r.stdout)
        self.assertTrue(os.path.exists(orphan), "a dry run changes nothing")
        r = self.postern("check", "alice@example.org")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("(repaired)", r.stdout)
        self.assertFalse(os.path.exists(orphan))
        r = self.postern("check", "-n", "alice@example.org")
        self.assertEqual((r.returncode, r.stdout.strip()),
                         (0, "alice@example.org: messages=0 orphans=0 "
                             "missing=0 bad_counters=0"))

    def test_check_every_user(self):
        self.user_dir("a@example.org")
        self.user_dir("b.c+x@example.org")
        r = self.postern("check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(l.split(":")[0] for l in r.stdout.splitlines()),
                         ["a@example.org", "b.c+x@example.org"])

    def test_stats_quota_rebuild(self):
        self.user_dir("bob@example.org")
        r = self.postern("stats", "bob@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [l.split(":")[0] for l in r.stdout.splitlines()]
        self.assertEqual(names, ["Drafts", "INBOX", "Junk", "Sent", "Trash"])
        self.assertIn("\\Sent subscribed", r.stdout)
        r = self.postern("quota", "bob@example.org")
        self.assertEqual(r.stdout.strip(), "bob@example.org: bytes=0 messages=0")
        def stats():
            # A rebuild raises HIGHESTMODSEQ; everything else stays.
            out = self.postern("stats", "bob@example.org").stdout
            return [" ".join(w for w in l.split() if not w.startswith("highestmodseq="))
                    for l in out.splitlines()]
        before = stats()
        r = self.postern("rebuild", "bob@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stats(), before, "a readable index: everything kept")

    def test_usage(self):
        self.assertEqual(self.postern("rebuild").returncode, 2)
        self.assertEqual(self.postern("frob", "x").returncode, 2)
        self.assertEqual(self.postern("check", "-x").returncode, 2)


if __name__ == "__main__":
    pt.run()
