"""STORE, EXPUNGE, UID EXPUNGE, COPY and MOVE (COPYUID), read-only
EXAMINE refusing changes, and a second session seeing flags, expunges and
new mail at its next NOOP with message numbers renumbered (also for
scattered expunges in a long mailbox, its UIDs then in many runs)."""

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

    def deliver_many(self, n, first):
        """n messages over one LMTP connection, subjects mFIRST on."""
        c = self.inst.lmtp()
        for i in range(first, first + n):
            c.mail("sender@remote.example")
            c.rcpt("alice@example.org")
            self.assertEqual(pt.lmtp_data(c, b"Subject: m%d\r\n\r\nx\r\n" % i,
                                          1)[0][0], 250)
        c.quit()

    def uid_map(self, c, what="1:*"):
        """{message number: UID} of FETCH what (UID)."""
        typ, data = c.fetch(what, "(UID)")
        self.assertEqual(typ, "OK")
        got = {}
        for d in data:
            m = re.match(rb"(\d+) \(UID (\d+)\)", d)
            got[int(m.group(1))] = int(m.group(2))
        return got

    def expunge_numbers(self, view, gone):
        """The EXPUNGE numbers of gone (ascending UIDs) out of view (a
        list, changed here), one at a time as RFC 3501 7.4.1 numbers
        them."""
        out = []
        for u in sorted(gone):
            if u in view:
                out.append(b"%d" % (view.index(u) + 1))
                view.remove(u)
        return out

    def check_view(self, c, view):
        """c's message numbers map to view's UIDs, whichever way asked."""
        self.assertEqual(self.uid_map(c), {i + 1: u for i, u in enumerate(view)})
        picks = [1, len(view) // 3, len(view) // 2, len(view)]
        got = self.uid_map(c, ",".join(str(i) for i in picks))
        self.assertEqual(got, {i: view[i - 1] for i in picks})
        # UID ranges, some starting or ending in gaps.
        lo, hi = view[len(view) // 4] - 1, view[len(view) // 2] + 1
        typ, data = c.uid("FETCH", "%d:%d,%d:*" % (lo, hi, view[-3]), "(UID)")
        want = [(i + 1, u) for i, u in enumerate(view)
                if lo <= u <= hi or u >= view[-3]]
        self.assertEqual([tuple(int(x) for x in re.match(rb"(\d+) \(UID (\d+)\)",
                                                          d).groups())
                          for d in data], want)
        typ, data = c.search(None, "UID %d:%d" % (lo, hi))
        self.assertEqual([int(x) for x in data[0].split()],
                         [i + 1 for i, u in enumerate(view) if lo <= u <= hi])
        typ, data = c.uid("SEARCH", "%d:*" % (len(view) - 5))
        self.assertEqual([int(x) for x in data[0].split()],
                         view[len(view) - 6:])
        # A flag new each time, so that the STORE changes something.
        self.stores = getattr(self, "stores", 0) + 1
        typ, data = c.uid("STORE", str(view[-2]), "+FLAGS", "($k%d)" % self.stores)
        self.assertRegex(data[0], rb"^%d \(.*UID %d" % (len(view) - 1, view[-2]))

    def test_scattered_expunges_in_long_mailbox(self):
        """300 messages, one stretch of UIDs; another session expunges a
        scattered set (first, last, run ends, a whole stretch, singles)
        and then more after new mail: numbers and UIDs stay right."""
        self.deliver_many(295, 6)
        other = self.login()
        self.assertEqual(other.select("INBOX")[1], [b"300"])
        self.c.noop()
        view = list(range(1, 301))
        mine = list(view)
        gone = ([1, 2, 300, 150] + list(range(100, 121)) +
                list(range(160, 260, 7)) + [121, 123, 99, 299])
        self.c.uid("STORE", ",".join(map(str, gone)), "+FLAGS", "(\\Deleted)")
        typ, data = self.c.expunge()
        self.assertEqual(data, self.expunge_numbers(mine, gone))
        self.check_view(self.c, mine)
        other.noop()
        self.assertEqual(other.response("EXPUNGE")[1],
                         self.expunge_numbers(view, gone))
        other.response("FETCH")
        self.assertEqual(view, mine)
        self.check_view(other, view)

        # New mail, then expunges of old and new UIDs together.
        self.deliver_many(20, 301)
        other.noop()
        self.assertEqual(other.response("EXISTS")[1][-1], b"%d" % (len(view) + 20))
        other.response("FETCH")
        view += list(range(301, 321))
        self.check_view(other, view)
        gone = [3, 122, 124, 298, 301, 310, 311, 320, 5000]
        self.c.noop()
        self.c.uid("STORE", ",".join(map(str, gone)), "+FLAGS", "(\\Deleted)")
        self.c.expunge()
        other.noop()
        self.assertEqual(other.response("EXPUNGE")[1],
                         self.expunge_numbers(view, gone))
        other.response("FETCH")
        self.check_view(other, view)

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
