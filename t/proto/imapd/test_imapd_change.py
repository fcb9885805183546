"""STORE, EXPUNGE, UID EXPUNGE, COPY and MOVE (COPYUID), read-only
EXAMINE refusing changes, and a second session seeing flags, expunges and
new mail at its next NOOP with message numbers renumbered."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]


class Change(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.clients = []
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        for i in range(5):
            self.inst.deliver("alice@example.org",
                              b"Subject: m%d\r\n\r\nbody %d\r\n" % (i + 1, i + 1))
        self.c = self.login()
        self.assertEqual(self.c.select("INBOX")[0], "OK")

    def login(self):
        c = self.inst.imap()
        c.login("alice@example.org", "secret")
        self.clients.append(c)
        return c

    def tearDown(self):
        try:
            for c in self.clients:
                c.logout()
        finally:
            super().tearDown()

    def flags(self, c, msn):
        typ, data = c.fetch(str(msn), "(FLAGS)")
        return set(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).decode().split())

    def test_store(self):
        typ, data = self.c.store("1:2", "+FLAGS", "(\\Flagged $Work)")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 2)
        self.assertIn(b"$Work", data[0])
        self.assertEqual(self.flags(self.c, 1) - {"\\Recent"}, {"\\Flagged", "$Work"})
        self.c.store("1", "-FLAGS", "($Work)")
        self.assertEqual(self.flags(self.c, 1) - {"\\Recent"}, {"\\Flagged"})
        typ, data = self.c.store("3", "FLAGS.SILENT", "(\\Seen)")
        self.assertEqual((typ, data), ("OK", [None]))
        self.assertEqual(self.flags(self.c, 3) - {"\\Recent"}, {"\\Seen"})
        typ, data = self.c.uid("STORE", "5", "+FLAGS", "(\\Answered)")
        self.assertIn(b"UID 5", data[0])

    def test_expunge_and_other_session(self):
        other = self.login()
        other.select("INBOX")
        self.c.store("2,4", "+FLAGS", "(\\Deleted)")
        typ, data = self.c.expunge()
        # Message 2 goes, then what was 4 is 3.
        self.assertEqual(data, [b"2", b"3"])
        typ, data = self.c.fetch("1:*", "(UID)")
        self.assertEqual([re.search(rb"UID (\d+)", d).group(1) for d in data],
                         [b"1", b"3", b"5"])
        # The other session learns of it at its NOOP.
        self.inst.deliver("alice@example.org")
        typ, data = other.noop()
        self.assertEqual(other.response("EXPUNGE")[1], [b"2", b"3"])
        self.assertEqual(other.response("EXISTS")[1][-1], b"4")
        typ, data = other.fetch("1:*", "(UID)")
        self.assertEqual([re.search(rb"UID (\d+)", d).group(1) for d in data],
                         [b"1", b"3", b"5", b"6"])

    def test_select_again_after_changes(self):
        """SELECT of an unchanged mailbox may reuse what imapd read before
        (shared between sessions); any change by anyone shows."""
        other = self.login()

        def select(c):
            typ, data = c.select("INBOX")
            self.assertEqual(typ, "OK")
            unseen = c.response("UNSEEN")[1][0]
            return int(data[0]), unseen and int(unseen)
        self.assertEqual(select(other), (5, 1))
        self.assertEqual(select(other), (5, 1))
        self.c.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(select(other), (5, 2))
        self.c.store("2", "+FLAGS", "(\\Deleted)")
        self.c.expunge()
        self.assertEqual(select(other), (4, 2))
        self.inst.deliver("alice@example.org", b"Subject: m6\r\n\r\nbody 6\r\n")
        self.assertEqual(select(other), (5, 2))
        typ, data = other.fetch("1:*", "(UID)")
        self.assertEqual([int(x.split()[2].rstrip(b")")) for x in data], [1, 3, 4, 5, 6])

    def test_uid_expunge(self):
        self.c.store("1:3", "+FLAGS", "(\\Deleted)")
        typ, data = self.c.uid("EXPUNGE", "2")
        self.assertEqual(typ, "OK")
        # imaplib files the untagged EXPUNGE apart from a UID answer.
        self.assertEqual(self.c.response("EXPUNGE")[1], [b"2"])
        typ, data = self.c.fetch("1:*", "(UID)")
        self.assertEqual(len(data), 4)

    def test_copy_move(self):
        self.c.create("Archive")
        typ, data = self.c.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2 1:2\]")
        typ, data = self.c._simple_command("MOVE", "3", "Archive")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.c.response("EXPUNGE")[1], [b"3"])
        typ, data = self.c.status("Archive", "(MESSAGES)")
        self.assertIn(b"MESSAGES 3", data[0])
        typ, data = self.c.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])

    def test_examine_is_read_only(self):
        self.c.close()
        self.c.select("INBOX", readonly=True)
        typ, data = self.c.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"READ-ONLY", data[0])


if __name__ == "__main__":
    pt.run()
