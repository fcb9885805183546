"""imapd's mailbox commands: LIST with SPECIAL-USE and CHILDREN, LSUB,
CREATE, RENAME, DELETE, SUBSCRIBE, STATUS, NAMESPACE, modified UTF-7
names; SELECT and EXAMINE, new mail announced by NOOP, CLOSE, UNSELECT."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]


class Mailboxes(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        self.c = self.inst.imap()
        self.assertEqual(self.c.login("alice@example.org", "secret")[0], "OK")

    def tearDown(self):
        try:
            self.c.logout()
        finally:
            super().tearDown()

    def listing(self, *args):
        typ, data = self.c.list(*args)
        self.assertEqual(typ, "OK")
        out = {}
        for line in data:
            if line is None:
                continue
            m = re.match(rb'\(([^)]*)\) "/" (.*)', line)
            self.assertIsNotNone(m, line)
            out[m.group(2).strip(b'"').decode()] = set(m.group(1).decode().split())
        return out

    def test_default_mailboxes(self):
        boxes = self.listing()
        self.assertEqual(set(boxes), {"INBOX", "Sent", "Drafts", "Trash", "Junk"})
        self.assertIn("\\Sent", boxes["Sent"])
        self.assertIn("\\Junk", boxes["Junk"])
        self.assertIn("\\HasNoChildren", boxes["INBOX"])
        typ, data = self.c.list('""', '""')
        self.assertEqual(data, [b'(\\Noselect) "/" ""'])
        typ, data = self.c.namespace()
        self.assertEqual(data, [b'(("" "/")) NIL NIL'])

    def test_create_rename_delete(self):
        self.assertEqual(self.c.create("Work/2026")[0], "OK")
        boxes = self.listing()
        self.assertIn("\\HasChildren", boxes["Work"])
        self.assertEqual(set(self.listing('""', "Work/%")), {"Work/2026"})
        self.assertEqual(set(self.listing('""', "%")) & {"Work/2026"}, set())
        typ, data = self.c.create("Work")
        self.assertEqual(typ, "NO")
        self.assertIn(b"ALREADYEXISTS", data[0])
        self.assertEqual(self.c.rename("Work", "Jobs")[0], "OK")
        self.assertIn("Jobs/2026", self.listing())
        self.assertEqual(self.c.delete("Jobs/2026")[0], "OK")
        typ, data = self.c.delete("Nope")
        self.assertEqual(typ, "NO")
        self.assertIn(b"NONEXISTENT", data[0])
        self.assertEqual(self.c.delete("INBOX")[0], "NO")

    def test_utf7_names(self):
        # "Entwürfe" in modified UTF-7.
        self.assertEqual(self.c.create("Entw&APw-rfe")[0], "OK")
        self.assertIn("Entw&APw-rfe", self.listing())
        typ, data = self.c.create("Bad&Jjo")
        self.assertEqual(typ, "NO")

    def test_subscriptions(self):
        self.c.create("Lists")
        self.assertEqual(self.c.subscribe("Lists")[0], "OK")
        typ, data = self.c.lsub('""', "*")
        names = {re.match(rb'\([^)]*\) "/" "?([^"]*)"?', d).group(1) for d in data}
        self.assertIn(b"Lists", names)
        self.assertEqual(self.c.unsubscribe("Lists")[0], "OK")
        typ, data = self.c.lsub('""', "Lists")
        self.assertEqual(data, [None])

    def test_status_select_noop(self):
        self.inst.deliver("alice@example.org")
        typ, data = self.c.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb'"?INBOX"? \(MESSAGES 1 RECENT 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)')
        typ, data = self.c.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"1"]))
        self.assertEqual(self.c.response("UIDNEXT")[1], [b"2"])
        self.assertEqual(self.c.response("RECENT")[1], [b"1"])
        # A second session does not see it as recent.
        c2 = self.inst.imap()
        c2.login("alice@example.org", "secret")
        self.assertEqual(c2.select("INBOX", readonly=True)[0], "OK")
        self.assertEqual(c2.response("RECENT")[1], [b"0"])
        c2.logout()
        # New mail shows up at the next NOOP.
        self.inst.deliver("alice@example.org")
        self.inst.deliver("alice@example.org")
        typ, data = self.c.noop()
        self.assertEqual(self.c.response("EXISTS")[1][-1], b"3")
        self.assertEqual(self.c.unselect()[0], "OK")
        typ, data = self.c.select("Nope")
        self.assertEqual(typ, "NO")
        self.assertEqual(self.c.select("INBOX", readonly=True)[0], "OK")
        self.assertEqual(self.c.close()[0], "OK")


if __name__ == "__main__":
    pt.run()
