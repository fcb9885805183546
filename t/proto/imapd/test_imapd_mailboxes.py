r"""imapd's mailbox commands: LIST with SPECIAL-USE and CHILDREN, LSUB,
CREATE, RENAME, DELETE, SUBSCRIBE, STATUS, NAMESPACE, modified UTF-7
names; SELECT and EXAMINE, new mail announced by NOOP, CLOSE, UNSELECT.
LIST-STATUS (RFC 5819: each STATUS right after its LIST, none for
\Noselect) and LIST-EXTENDED (RFC 5258: SUBSCRIBED with \NonExistent
names, RECURSIVEMATCH with CHILDINFO, REMOTE, return options, several
patterns), over a raw socket so that the order of the lines shows."""

import os
import re
import socket
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


class ListExtended(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS, params={"auth_allow_plaintext": "yes"})
        self.instances.append(self.inst)
        self.inst.start()
        self.sock = socket.create_connection(("127.0.0.1", self.inst.imap_port), 30)
        self.f = self.sock.makefile("rb")
        self.f.readline()
        self.n = 0
        self.ok("LOGIN alice@example.org secret")

    def tearDown(self):
        self.sock.close()
        super().tearDown()

    def cmd(self, text):
        """Send a command; (untagged lines without CRLF, tagged line)."""
        self.n += 1
        tag = b"t%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            self.assertTrue(line, "connection closed")
            if line.startswith(tag + b" "):
                return lines, line[len(tag) + 1:].rstrip(b"\r\n")
            lines.append(line.rstrip(b"\r\n"))

    def ok(self, text):
        lines, done = self.cmd(text)
        self.assertTrue(done.startswith(b"OK"), (text, done))
        return lines

    @staticmethod
    def list_name(line):
        m = re.match(rb'\* LIST \([^)]*\) "/" ("[^"]*"|\S+)', line)
        return m.group(1).strip(b'"') if m else None

    def lists(self, text):
        """LIST responses as {name: (attributes, extended data)}."""
        out = {}
        for line in self.ok(text):
            m = re.match(rb'\* LIST \(([^)]*)\) "/" ("[^"]*"|\S+)(.*)$', line)
            self.assertIsNotNone(m, line)
            out[m.group(2).strip(b'"').decode()] = (set(m.group(1).decode().split()),
                                                   m.group(3).decode().strip())
        return out

    def test_capability(self):
        caps = self.ok("CAPABILITY")[0].split()
        self.assertIn(b"LIST-STATUS", caps)
        self.assertIn(b"LIST-EXTENDED", caps)

    def test_list_status(self):
        self.inst.deliver("alice@example.org")
        self.inst.deliver("alice@example.org")
        self.ok("CREATE Work/2026")
        self.ok("CREATE Old/x")
        self.ok("DELETE Old")        # has a child: kept as \Noselect
        lines = self.ok('LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT SIZE))')
        status = {}
        for i, line in enumerate(lines):
            if not line.startswith(b"* STATUS "):
                continue
            m = re.match(rb'\* STATUS ("[^"]*"|\S+) \((.*)\)$', line)
            self.assertIsNotNone(m, line)
            name = m.group(1).strip(b'"')
            # Right after the LIST of the same mailbox.
            self.assertTrue(i > 0 and self.list_name(lines[i - 1]) == name,
                            (lines[i - 1], line))
            items = m.group(2).decode().split()
            status[name.decode()] = dict(zip(items[::2], items[1::2]))
        listed = {self.list_name(ln).decode() for ln in lines
                  if ln.startswith(b"* LIST ")}
        self.assertIn("Old", listed)
        self.assertNotIn("Old", status, "no STATUS for a \\Noselect mailbox")
        self.assertEqual(set(status), listed - {"Old"})
        self.assertEqual(set(status["INBOX"]), {"MESSAGES", "UNSEEN", "UIDNEXT", "SIZE"})
        self.assertEqual((status["INBOX"]["MESSAGES"], status["INBOX"]["UNSEEN"],
                          status["INBOX"]["UIDNEXT"]), ("2", "2", "3"))
        self.assertGreater(int(status["INBOX"]["SIZE"]), 0)
        self.assertEqual(status["Work/2026"],
                         {"MESSAGES": "0", "UNSEEN": "0", "UIDNEXT": "1", "SIZE": "0"})
        # With selection options and a pattern; a bad item is BAD.
        lines = self.ok('LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES))')
        self.assertIn(b'* STATUS Sent (MESSAGES 0)', [ln.replace(b'"', b"") for ln in lines])
        self.assertNotIn(b"INBOX", b"".join(lines))
        lines, done = self.cmd('LIST "" "*" RETURN (STATUS (BOGUS))')
        self.assertTrue(done.startswith(b"BAD"), done)
        # The same numbers as STATUS.
        st = self.ok("STATUS INBOX (MESSAGES UNSEEN UIDNEXT SIZE)")[0].decode()
        items = st[st.index("(") + 1:-1].split()
        self.assertEqual(dict(zip(items[::2], items[1::2])), status["INBOX"])

    def test_list_extended(self):
        self.ok("CREATE Work/2026")
        self.ok("SUBSCRIBE Work/2026")
        self.ok("SUBSCRIBE Ghost/child")       # no such mailbox
        self.ok("SUBSCRIBE INBOX")
        self.ok("UNSUBSCRIBE Drafts")
        sub = self.lists('LIST (SUBSCRIBED) "" "*"')
        self.assertEqual(sub["Ghost/child"][0], {"\\NonExistent", "\\Subscribed",
                                                 "\\HasNoChildren"})
        self.assertIn("\\Subscribed", sub["Work/2026"][0])
        self.assertIn("\\Subscribed", sub["INBOX"][0])
        self.assertNotIn("Work", sub)
        self.assertNotIn("Drafts", sub)
        self.assertNotIn("Ghost", sub)
        self.assertTrue(all(ext == "" for _, ext in sub.values()), sub)
        # RECURSIVEMATCH: parents of subscribed names, with CHILDINFO.
        rec = self.lists('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        self.assertEqual(rec["Work"][1], '("CHILDINFO" ("SUBSCRIBED"))')
        self.assertNotIn("\\Subscribed", rec["Work"][0])
        self.assertEqual(rec["Ghost"], ({"\\NonExistent", "\\HasNoChildren"},
                                        '("CHILDINFO" ("SUBSCRIBED"))'))
        self.assertEqual(rec["INBOX"][1], "")
        self.assertNotIn("Work/2026", rec)
        self.assertNotIn("Drafts", rec)
        # Without RECURSIVEMATCH no parent; RECURSIVEMATCH alone is BAD.
        self.assertNotIn("Work", self.lists('LIST (SUBSCRIBED) "" "%"'))
        lines, done = self.cmd('LIST (RECURSIVEMATCH) "" "*"')
        self.assertTrue(done.startswith(b"BAD"), done)
        lines, done = self.cmd('LIST (REMOTE RECURSIVEMATCH) "" "*"')
        self.assertTrue(done.startswith(b"BAD"), done)
        # REMOTE: nothing remote here, the same as a plain LIST.
        self.assertEqual(self.lists('LIST (REMOTE) "" "%"'), self.lists('LIST "" "%"'))
        # Return options on a plain selection: no name without a mailbox.
        ret = self.lists('LIST () "" "*" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)')
        self.assertNotIn("Ghost/child", ret)
        self.assertEqual(ret["Work"][0], {"\\HasChildren"})
        self.assertEqual(ret["Work/2026"][0], {"\\HasNoChildren", "\\Subscribed"})
        self.assertEqual(ret["Drafts"][0], {"\\HasNoChildren", "\\Drafts"})
        # Several patterns.
        self.assertEqual(set(self.lists('LIST "" ("INBOX" "Work/%")')), {"INBOX", "Work/2026"})
        # LSUB lists a subscribed name without a mailbox too.
        lsub = self.ok('LSUB "" "*"')
        self.assertIn(b'* LSUB () "/" Ghost/child', [ln.replace(b'"Ghost/child"', b"Ghost/child")
                                                     for ln in lsub])


if __name__ == "__main__":
    pt.run()
