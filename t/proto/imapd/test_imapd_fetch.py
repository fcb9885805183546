"""FETCH and UID FETCH: the simple items, ENVELOPE and BODYSTRUCTURE from
the cache, body sections with partial ranges, RFC822 items, \\Seen set by
BODY[] but not by BODY.PEEK[], UID FETCH with UID ranges, bad numbers."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]

MSG = (b"From: Bob <bob@example.net>\r\nTo: alice@example.org\r\n"
       b"Subject: lunch\r\nMessage-ID: <m1@example.net>\r\n"
       b"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\n"
       b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
       b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nnoon?\r\n"
       b"--b1\r\nContent-Type: text/html\r\n\r\n<p>noon?</p>\r\n--b1--\r\n")


class Fetch(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        for i in range(3):
            self.inst.deliver("alice@example.org", MSG)
        self.c = self.inst.imap()
        self.c.login("alice@example.org", "secret")
        self.assertEqual(self.c.select("INBOX")[0], "OK")

    def tearDown(self):
        try:
            self.c.logout()
        finally:
            super().tearDown()

    def test_simple_items(self):
        typ, data = self.c.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 3)
        m = re.match(rb'1 \(UID 1 FLAGS \(\\Recent\) RFC822.SIZE (\d+) '
                     rb'INTERNALDATE "[ 0-9]\d-\w{3}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"\)',
                     data[0])
        self.assertIsNotNone(m, data[0])
        stored = self.inst.message("alice@example.org", 1)
        self.assertEqual(int(m.group(1)), len(stored))

    def test_envelope_and_structure(self):
        typ, data = self.c.fetch("2", "(ENVELOPE BODYSTRUCTURE)")
        text = data[0]
        self.assertIn(b'"lunch"', text)
        self.assertIn(b'(("Bob" NIL "bob" "example.net"))', text)
        self.assertIn(b'"<m1@example.net>"', text)
        self.assertIn(b'("text" "plain" ("charset" "utf-8")', text)
        self.assertIn(b'"mixed" ("boundary" "b1")', text)

    def test_sections_and_seen(self):
        typ, data = self.c.fetch("1", "(BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)])")
        self.assertEqual(data[0][1], b"noon?")
        self.assertEqual(data[1][1], b"Subject: lunch\r\n\r\n")
        typ, data = self.c.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = self.c.fetch("1", "(BODY[]<0.4>)")
        self.assertEqual(data[0][1], b"Retu")   # lmtpd added Return-Path first
        typ, data = self.c.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])
        typ, data = self.c.fetch("2", "(RFC822)")
        stored = self.inst.message("alice@example.org", 2)
        self.assertEqual(data[0][1], stored)
        typ, data = self.c.fetch("3", "(BODY.PEEK[2.MIME] BODY.PEEK[9])")
        self.assertEqual(data[0][1], b"Content-Type: text/html\r\n\r\n")
        self.assertEqual(data[1][1], b"")

    def test_uid_fetch_and_bad_numbers(self):
        typ, data = self.c.uid("FETCH", "2:*", "(FLAGS)")
        self.assertEqual(typ, "OK")
        self.assertEqual([re.match(rb"(\d+) \(UID (\d+)", d).groups() for d in data],
                         [(b"2", b"2"), (b"3", b"3")])
        typ, data = self.c.uid("FETCH", "99", "(FLAGS)")
        self.assertEqual((typ, data), ("OK", [None]))
        with self.assertRaises(self.c.error):
            self.c.fetch("4", "(FLAGS)")


if __name__ == "__main__":
    pt.run()
