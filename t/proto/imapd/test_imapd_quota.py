"""QUOTA (RFC 9208), read-only: GETQUOTAROOT and GETQUOTA "" report the
store's usage against the limits authd gave at login (STORAGE in units of
1024 octets, MESSAGE), only the resources that have a limit; an unknown
root or mailbox is NO; SETQUOTA is NO [NOPERM]; STATUS DELETED,
DELETED-STORAGE and SIZE; the capabilities."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret", "--quota", "100k", "--quota-messages", "50"),
         ("bob@example.org", "secret", "--quota-messages", "7"),
         ("carol@example.org", "secret")]
BODY = b"Subject: q\r\n\r\n" + b"x" * 3000 + b"\r\n"


class Quota(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        self.clients = []

    def tearDown(self):
        try:
            for c in self.clients:
                c.logout()
        finally:
            super().tearDown()

    def login(self, user):
        c = self.inst.imap()
        self.assertEqual(c.login(user, "secret")[0], "OK")
        self.clients.append(c)
        return c

    def quota(self, c, *args):
        """A raw command's untagged lines and tagged status."""
        tag = c._new_tag()
        c.send(tag + b" " + b" ".join(a.encode() for a in args) + b"\r\n")
        lines = []
        while True:
            line = c._get_line()
            if line.startswith(tag + b" "):
                return lines, line[len(tag) + 1:]
            lines.append(line)

    def usage(self, user):
        """(octets, messages) of the user's store, from the stored messages."""
        size = n = 0
        for uid in range(1, 100):
            r = self.inst.storedump("-c", self.inst.store_dir, user, "INBOX", str(uid),
                                    text=False)
            if r.returncode != 0:
                break
            size += len(r.stdout)
            n += 1
        return size, n

    def test_capability(self):
        c = self.login("carol@example.org")
        caps = c.capabilities
        for cap in ("QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "STATUS=SIZE"):
            self.assertIn(cap, caps)
        self.assertNotIn("QUOTASET", caps)

    def test_usage_and_limits(self):
        for _ in range(3):
            self.inst.deliver("alice@example.org", BODY)
        octets, n = self.usage("alice@example.org")
        self.assertEqual(n, 3)
        c = self.login("alice@example.org")
        lines, done = self.quota(c, "GETQUOTAROOT", "INBOX")
        self.assertTrue(done.startswith(b"OK"), done)
        self.assertEqual(lines, [b'* QUOTAROOT INBOX ""',
                                 b'* QUOTA "" (STORAGE %d 100 MESSAGE 3 50)' % (octets // 1024)])
        self.assertGreater(octets // 1024, 8)
        lines, done = self.quota(c, "GETQUOTA", '""')
        self.assertTrue(done.startswith(b"OK"), done)
        self.assertEqual(lines, [b'* QUOTA "" (STORAGE %d 100 MESSAGE 3 50)' % (octets // 1024)])
        # Usage follows the store: an append to another mailbox counts.
        self.assertEqual(c.append("Sent", None, None, BODY)[0], "OK")
        lines, done = self.quota(c, "GETQUOTA", '""')
        self.assertRegex(lines[0], rb'^\* QUOTA "" \(STORAGE \d+ 100 MESSAGE 4 50\)$')
        # Any mailbox has the same root; a missing one is NO.
        lines, done = self.quota(c, "GETQUOTAROOT", "Sent")
        self.assertEqual(lines[0], b'* QUOTAROOT Sent ""')
        lines, done = self.quota(c, "GETQUOTAROOT", "Nope")
        self.assertTrue(done.startswith(b"NO [NONEXISTENT]"), done)
        self.assertEqual(lines, [])
        lines, done = self.quota(c, "GETQUOTA", "other")
        self.assertTrue(done.startswith(b"NO [NONEXISTENT]"), done)
        lines, done = self.quota(c, "SETQUOTA", '""', "(STORAGE 1000)")
        self.assertTrue(done.startswith(b"NO [NOPERM]"), done)
        lines, done = self.quota(c, "GETQUOTA")
        self.assertTrue(done.startswith(b"BAD"), done)

    def test_only_limited_resources(self):
        self.inst.deliver("bob@example.org", BODY)
        c = self.login("bob@example.org")
        lines, done = self.quota(c, "GETQUOTAROOT", "inbox")
        self.assertEqual(lines, [b'* QUOTAROOT INBOX ""', b'* QUOTA "" (MESSAGE 1 7)'])
        # No limit at all: the root, but no QUOTA response.
        d = self.login("carol@example.org")
        lines, done = self.quota(d, "GETQUOTAROOT", "INBOX")
        self.assertTrue(done.startswith(b"OK"), done)
        self.assertEqual(lines, [b'* QUOTAROOT INBOX ""'])
        lines, done = self.quota(d, "GETQUOTA", '""')
        self.assertEqual((lines, done[:2]), ([], b"OK"))

    def test_status_deleted_and_size(self):
        for _ in range(3):
            self.inst.deliver("alice@example.org", BODY)
        stored = [len(self.inst.message("alice@example.org", uid)) for uid in (1, 2, 3)]
        c = self.login("alice@example.org")
        c.select("INBOX")
        c.store("1,3", "+FLAGS", "(\\Deleted)")
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE SIZE MESSAGES)")
        self.assertEqual(typ, "OK")
        m = re.search(rb"\((.*)\)", data[0])
        items = m.group(1).split()
        got = dict(zip(items[::2], items[1::2]))
        self.assertEqual(got, {b"MESSAGES": b"3", b"SIZE": b"%d" % sum(stored),
                               b"DELETED": b"2",
                               b"DELETED-STORAGE": b"%d" % ((stored[0] + stored[2]) // 1024)})
        c.expunge()
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE)")
        self.assertIn(b"(DELETED 0 DELETED-STORAGE 0)", data[0])


if __name__ == "__main__":
    pt.run()
