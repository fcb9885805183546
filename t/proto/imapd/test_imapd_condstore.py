#!/usr/bin/env python3
"""CONDSTORE and QRESYNC (RFC 7162): one session changes flags, expunges
and receives mail while another is away; the other resyncs with SELECT
(QRESYNC ...) and UID FETCH (CHANGEDSINCE n VANISHED) and gets exactly the
changes; UNCHANGEDSINCE conflicts answer MODIFIED; a session's own STORE
is not reported to it again at NOOP; VANISHED replaces EXPUNGE after
ENABLE QRESYNC; STATUS HIGHESTMODSEQ; [CLOSED]; and a resync across an
index rebuild (whose expunge history starts afresh) still names every
expunged message.  Commands go over the raw connection (imaplib knows
nothing of VANISHED), after imaplib's STARTTLS and LOGIN."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER = "alice@example.org"
USERS = [(USER, "secret")]


class Raw:
    """Tagged commands over an imaplib connection; each returns (the
    tagged line, the untagged lines before it)."""

    def __init__(self, imap):
        self.imap = imap
        self.n = 0

    def cmd(self, text):
        self.n += 1
        tag = "c%d" % self.n
        self.imap.send(("%s %s\r\n" % (tag, text)).encode())
        lines = []
        while True:
            line = self.imap.readline()
            if not line:
                raise EOFError("connection closed during " + text)
            line = line.decode().rstrip("\r\n")
            if line.startswith(tag + " "):
                return line[len(tag) + 1:], lines
            lines.append(line)

    def ok(self, text):
        tagged, lines = self.cmd(text)
        if not tagged.startswith("OK"):
            raise AssertionError("%s: %s" % (text, tagged))
        return tagged, lines


def uidset(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo, hi = int(lo), int(hi or lo)
        out.update(range(min(lo, hi), max(lo, hi) + 1))
    return out


def vanished(lines, earlier):
    head = "* VANISHED (EARLIER) " if earlier else "* VANISHED "
    out = set()
    for l in lines:
        if l.startswith(head) and (earlier or not l.startswith("* VANISHED (")):
            out |= uidset(l[len(head):])
    return out


def fetches(lines):
    """{uid or msn: {"msn", "uid", "flags", "modseq"}} of FETCH lines."""
    out = {}
    for l in lines:
        m = re.match(r"\* (\d+) FETCH \((.*)\)$", l)
        if not m:
            continue
        f = {"msn": int(m.group(1))}
        u = re.search(r"\bUID (\d+)", m.group(2))
        fl = re.search(r"\bFLAGS \(([^)]*)\)", m.group(2))
        ms = re.search(r"\bMODSEQ \((\d+)\)", m.group(2))
        f["uid"] = int(u.group(1)) if u else None
        f["flags"] = set(fl.group(1).split()) - {"\\Recent"} if fl else None
        f["modseq"] = int(ms.group(1)) if ms else None
        out[f["uid"] if u else f["msn"]] = f
    return out


def code(lines, name):
    for l in lines:
        m = re.match(r"\* OK \[%s (\d+)\]" % name, l)
        if m:
            return int(m.group(1))
    return None


class CondstoreTest(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.clients = []
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        for i in range(6):
            self.inst.deliver(USER, b"Subject: m%d\r\n\r\nbody %d\r\n" % (i + 1, i + 1))

    def session(self):
        c = self.inst.imap()
        c.login(USER, "secret")
        self.clients.append(c)
        return Raw(c)

    def close_all(self):
        for c in self.clients:
            try:
                c.logout()
            except Exception:
                pass
        self.clients = []

    def tearDown(self):
        try:
            self.close_all()
        finally:
            super().tearDown()

    def highest(self, raw):
        _, lines = raw.ok("STATUS INBOX (HIGHESTMODSEQ)")
        (line,) = [l for l in lines if l.startswith("* STATUS ")]
        return int(re.search(r"HIGHESTMODSEQ (\d+)", line).group(1))

    def select(self, raw, args=""):
        _, lines = raw.ok("SELECT INBOX" + args)
        return lines, code(lines, "UIDVALIDITY"), code(lines, "HIGHESTMODSEQ")

    def test_capability_status_enable(self):
        a = self.session()
        _, lines = a.ok("CAPABILITY")
        caps = lines[0].split()
        self.assertIn("CONDSTORE", caps)
        self.assertIn("QRESYNC", caps)
        _, lines = a.ok("ENABLE CONDSTORE")
        self.assertEqual(lines, ["* ENABLED CONDSTORE"])
        _, lines = a.ok("ENABLE QRESYNC CONDSTORE")
        self.assertEqual(lines, ["* ENABLED QRESYNC"])
        h1 = self.highest(a)
        lines, _, hs = self.select(a)
        self.assertEqual(hs, h1)
        # A plain session gets no HIGHESTMODSEQ until it enables CONDSTORE
        # (then at once, for the selected mailbox).
        b = self.session()
        lines, _, hs = self.select(b)
        self.assertIsNone(hs)
        b.ok("STORE 1 +FLAGS (\\Flagged)")
        h2 = self.highest(a)
        self.assertGreater(h2, h1)
        _, lines = a.ok("FETCH 1 (MODSEQ)")
        self.assertEqual(fetches(lines)[1]["modseq"], h2)
        _, lines = b.ok("ENABLE CONDSTORE")
        self.assertEqual(code(lines, "HIGHESTMODSEQ"), h2)
        # CHANGEDSINCE implies MODSEQ, and UID/MODSEQ come in every FETCH.
        _, lines = b.ok("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h1)
        f = fetches(lines)
        self.assertEqual(set(f), {1})
        self.assertEqual((f[1]["modseq"], f[1]["flags"]), (h2, {"\\Flagged"}))

    def test_resync_after_changes(self):
        b = self.session()
        b.ok("ENABLE QRESYNC")
        lines, uv, h0 = self.select(b)
        self.assertIn("* 6 EXISTS", lines)
        self.assertIsNotNone(h0)
        self.close_all()
        # Meanwhile another client changes, expunges and gets new mail.
        a = self.session()
        self.select(a)
        a.ok("STORE 2 +FLAGS (\\Flagged)")
        a.ok("STORE 3,5 +FLAGS (\\Deleted)")
        _, lines = a.ok("EXPUNGE")
        self.assertEqual(lines, ["* 3 EXPUNGE", "* 4 EXPUNGE"])
        self.inst.deliver(USER)
        a.ok("NOOP")
        a.ok("UID STORE 7 +FLAGS (\\Seen)")
        a.ok("UID STORE 4 +FLAGS (\\Answered)")
        a.ok("UID STORE 4 -FLAGS (\\Answered)")
        now = self.highest(a)

        b = self.session()
        b.ok("ENABLE QRESYNC")
        lines, uv2, hs = self.select(b, " (QRESYNC (%d %d 1:6))" % (uv, h0))
        self.assertEqual((uv2, hs), (uv, now))
        self.assertIn("* 5 EXISTS", lines)
        self.assertEqual(vanished(lines, True), {3, 5})
        f = fetches(lines)
        self.assertEqual(set(f), {2, 4}, "known UIDs only, changed since")
        self.assertEqual(f[2]["flags"], {"\\Flagged"})
        self.assertEqual(f[4]["flags"], set())
        self.assertEqual((f[2]["msn"], f[4]["msn"]), (2, 3))
        for x in f.values():
            self.assertTrue(h0 < x["modseq"] <= now)
        # Without known UIDs: the new message too; the old one is closed.
        lines, _, _ = self.select(b, " (QRESYNC (%d %d))" % (uv, h0))
        self.assertTrue(lines[0].startswith("* OK [CLOSED]"), lines)
        self.assertEqual(vanished(lines, True), {3, 5})
        f = fetches(lines)
        self.assertEqual(set(f), {2, 4, 7})
        self.assertEqual(f[7]["flags"], {"\\Seen"})
        # The same from a selected mailbox.
        _, lines = b.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % h0)
        self.assertEqual(vanished(lines, True), {3, 5})
        self.assertEqual(set(fetches(lines)), {2, 4, 7})
        _, lines = b.ok("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % now)
        self.assertEqual(fetches(lines), {})
        # The last UID expunged: "*" still reaches it, and the session
        # hears of it as VANISHED (QRESYNC), not EXPUNGE.
        a.ok("UID STORE 7 +FLAGS (\\Deleted)")
        a.ok("EXPUNGE")
        _, lines = b.ok("NOOP")
        self.assertEqual(lines, ["* VANISHED 7"])
        _, lines = b.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % h0)
        self.assertEqual(vanished(lines, True), {3, 5, 7})
        self.assertEqual(set(fetches(lines)), {2, 4})
        # Another UIDVALIDITY: a plain SELECT.
        lines, _, _ = self.select(b, " (QRESYNC (%d %d 1:6))" % (uv + 1, h0))
        self.assertEqual((vanished(lines, True), fetches(lines)), (set(), {}))
        # QRESYNC must be enabled first; VANISHED needs UID FETCH.
        c = self.session()
        tagged, _ = c.cmd("SELECT INBOX (QRESYNC (%d %d))" % (uv, h0))
        self.assertTrue(tagged.startswith("BAD"), tagged)
        self.select(c)
        tagged, _ = c.cmd("FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)")
        self.assertTrue(tagged.startswith("BAD"), tagged)

    def test_vanished_instead_of_expunge(self):
        a = self.session()
        self.select(a)
        b = self.session()
        b.ok("ENABLE QRESYNC")
        self.select(b)
        a.ok("STORE 2,4 +FLAGS (\\Deleted)")
        _, lines = a.ok("EXPUNGE")
        self.assertEqual(lines, ["* 2 EXPUNGE", "* 3 EXPUNGE"])
        _, lines = b.ok("NOOP")
        self.assertEqual(lines, ["* VANISHED 2,4"])
        # Its own EXPUNGE and MOVE too, with the modseq to resync from.
        b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        tagged, lines = b.ok("EXPUNGE")
        self.assertEqual(lines, ["* VANISHED 1"])
        self.assertEqual(int(re.match(r"OK \[HIGHESTMODSEQ (\d+)\]", tagged).group(1)),
                         self.highest(a))
        _, lines = b.ok("UID MOVE 3 Trash")
        self.assertIn("* VANISHED 3", lines)
        self.assertFalse([l for l in lines if "EXPUNGE" in l])
        _, lines = b.ok("FETCH 1:* (UID)")
        self.assertEqual([f["uid"] for f in fetches(lines).values()], [5, 6])
        # The session without QRESYNC still gets numbers.
        _, lines = a.ok("NOOP")
        self.assertEqual(lines, ["* 1 EXPUNGE", "* 1 EXPUNGE"])

    def test_own_store_not_reported(self):
        a = self.session()
        self.select(a)
        b = self.session()
        b.ok("ENABLE CONDSTORE")
        self.select(b)
        _, lines = b.ok("STORE 1 +FLAGS (\\Seen)")
        f = fetches(lines)
        self.assertEqual(set(f), {1})
        self.assertEqual((f[1]["msn"], f[1]["flags"]), (1, {"\\Seen"}))
        self.assertIsNotNone(f[1]["modseq"])
        self.assertEqual(b.ok("NOOP")[1], [])
        b.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
        self.assertEqual(b.ok("NOOP")[1], [])
        # A FETCH that sets \Seen shows UID, FLAGS and MODSEQ: once.
        _, lines = b.ok("FETCH 6 (BODY[])")
        text = "\n".join(lines)
        self.assertRegex(text, re.compile(
            r"UID 6 .*FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$", re.S))
        self.assertEqual(b.ok("NOOP")[1], [])
        # Another session's change comes first: that one is reported at
        # NOOP, the own one not, and the STORE says how far the client
        # has seen everything.
        a.ok("STORE 3 +FLAGS (\\Flagged)")
        _, lines = b.ok("STORE 4 +FLAGS (\\Answered)")
        f = fetches(lines)
        self.assertEqual(set(f), {4})
        self.assertLess(code(lines, "HIGHESTMODSEQ"), f[4]["modseq"])
        _, lines = b.ok("NOOP")
        f = fetches(lines)
        self.assertEqual(set(f), {3})
        self.assertEqual(f[3]["flags"], {"\\Flagged"})
        self.assertEqual(b.ok("NOOP")[1], [])
        # A silent change on top of one the client has not seen: the
        # client does not know the result, so it is reported.
        a.ok("STORE 5 +FLAGS (\\Flagged)")
        self.assertEqual(b.ok("STORE 5 +FLAGS.SILENT (\\Seen)")[1], [])
        f = fetches(b.ok("NOOP")[1])
        self.assertEqual(set(f), {5})
        self.assertEqual(f[5]["flags"], {"\\Flagged", "\\Seen"})
        # Without CONDSTORE: no MODSEQ, and nothing again at NOOP.
        _, lines = a.ok("STORE 6 +FLAGS (\\Draft)")
        f = fetches(lines)
        self.assertEqual(set(f), {6})
        self.assertEqual((f[6]["uid"], f[6]["flags"], f[6]["modseq"]),
                         (None, {"\\Seen", "\\Draft"}, None))
        _, lines = a.ok("NOOP")
        self.assertEqual(set(fetches(lines)), {1, 2, 4, 5},
                         "b's changes, not a's own")

    def test_new_mail_changed_before_noop(self):
        # The change log runs in modseq order: UID 7 flagged after UID 8
        # came must still be announced as new, in UID order.
        a = self.session()
        self.select(a)
        b = self.session()
        b.ok("ENABLE CONDSTORE")
        self.select(b)
        self.inst.deliver(USER)
        self.inst.deliver(USER)
        a.ok("NOOP")
        a.ok("UID STORE 7 +FLAGS (\\Flagged)")
        _, lines = b.ok("NOOP")
        self.assertIn("* 8 EXISTS", lines)
        self.assertEqual(fetches(lines), {})
        _, lines = b.ok("FETCH 7:8 (UID FLAGS)")
        f = fetches(lines)
        self.assertEqual(sorted(f), [7, 8])
        self.assertEqual((f[7]["flags"], f[8]["flags"]), ({"\\Flagged"}, set()))

    def test_unchangedsince(self):
        a = self.session()
        self.select(a)
        a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        # Now message n has UID n + 1.
        b = self.session()
        lines, _, h = self.select(b, " (CONDSTORE)")
        self.assertIsNotNone(h)
        a.ok("UID STORE 3 +FLAGS (\\Flagged)")
        tagged, lines = b.ok("STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % h)
        self.assertTrue(tagged.startswith("OK [MODIFIED 2]"), tagged)
        f = fetches(lines)
        self.assertEqual(set(f), {2, 4})
        self.assertEqual((f[2]["msn"], f[4]["msn"]), (1, 3))
        self.assertEqual(f[2]["flags"], {"\\Seen"})
        # UID STORE answers with UIDs; all changed since h by now.
        tagged, lines = b.ok("UID STORE 2:4 (UNCHANGEDSINCE %d) -FLAGS (\\Seen)" % h)
        self.assertTrue(tagged.startswith("OK [MODIFIED 2:4]"), tagged)
        self.assertEqual(fetches(lines), {})
        _, lines = b.ok("UID FETCH 2:4 (FLAGS)")
        f = fetches(lines)
        self.assertEqual((f[2]["flags"], f[3]["flags"], f[4]["flags"]),
                         ({"\\Seen"}, {"\\Flagged"}, {"\\Seen"}))
        tagged, _ = b.ok("STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Draft)")
        self.assertTrue(tagged.startswith("OK [MODIFIED 1]"), tagged)
        # Passing, and silent: the new MODSEQ is still sent.
        m = fetches(b.ok("FETCH 1 (MODSEQ)")[1])[1]["modseq"]
        _, lines = b.ok("STORE 1 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Draft)" % m)
        f = fetches(lines)
        self.assertEqual(set(f), {2})
        self.assertIsNone(f[2]["flags"])
        self.assertGreater(f[2]["modseq"], m)

    def test_resync_across_rebuild(self):
        b = self.session()
        b.ok("ENABLE QRESYNC")
        _, uv, h0 = self.select(b)
        a = self.session()
        self.select(a)
        a.ok("STORE 3 +FLAGS (\\Deleted)")
        a.ok("EXPUNGE")
        self.close_all()
        self.inst.stop()
        r = pt.postern_cmd("-c", self.inst.dir, "store", "rebuild", USER)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.inst.users = ()    # they are in the table already
        self.inst.start()
        # The expunge records went with the old index; every message has
        # a new modseq, so the server names what the client lists and
        # the mailbox lacks.
        b = self.session()
        b.ok("ENABLE QRESYNC")
        lines, uv2, _ = self.select(b, " (QRESYNC (%d %d 1:6))" % (uv, h0))
        self.assertEqual(uv2, uv)
        self.assertEqual(vanished(lines, True), {3})
        self.assertEqual(set(fetches(lines)), {1, 2, 4, 5, 6})


if __name__ == "__main__":
    pt.run()
