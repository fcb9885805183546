"""POP3 and IMAP on the same mailbox at once, and UIDL: an IMAP session
selected on the INBOX (one in IDLE, one polling with NOOP) sees nothing
while a POP3 session marks messages deleted, and sees them EXPUNGEd
after the POP3 QUIT; the same messages and sizes either way; UIDL is the
UID and UIDVALIDITY in Dovecot's form, unique, stable across sessions,
after other messages are deleted, and for new mail."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "s3cret pass"


def after_expunges(numbers, n=5):
    """Messages 1..n left after EXPUNGE responses of these numbers."""
    left = list(range(1, n + 1))
    for x in numbers:
        del left[int(x) - 1]
    return left


class PopImap(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=[(USER, PASSWORD)])
        self.instances.append(self.inst)
        self.inst.start()
        for i in range(1, 6):
            self.inst.deliver(USER, b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))

    def uidl(self, c):
        resp, lines, _ = c.uidl()
        return dict(l.decode().split() for l in lines)

    def test_expunge_seen_by_imap_after_quit(self):
        noop = self.inst.imaps()
        noop.login(USER, PASSWORD)
        typ, data = noop.select("INBOX")
        self.assertEqual(data, [b"5"])
        typ, data = noop.fetch("1:*", "(UID RFC822.SIZE)")
        imap_sizes = [int(re.search(rb"RFC822.SIZE (\d+)", d).group(1)) for d in data]
        # A raw IMAP client in IDLE.
        raw = self.inst.ssl_context().wrap_socket(
            socket.create_connection(("127.0.0.1", self.inst.imaps_port), 60),
            server_hostname="localhost")
        rf = raw.makefile("rb")
        rf.readline()
        raw.sendall(b'a LOGIN %s "%s"\r\nb SELECT INBOX\r\nc IDLE\r\n'
                    % (USER.encode(), PASSWORD.encode()))
        while not rf.readline().startswith(b"+ "):
            pass

        p = self.inst.pop3_login(USER, PASSWORD)
        resp, lines, _ = p.list()
        self.assertEqual([int(l.split()[1]) for l in lines], imap_sizes)
        p.dele(2)
        p.dele(4)
        # Nothing is expunged before QUIT.
        typ, data = noop.noop()
        self.assertEqual(noop.response("EXPUNGE"), ("EXPUNGE", [None]))
        raw.settimeout(1.5)
        try:
            early = raw.recv(1000)
        except socket.timeout:
            early = b""
        self.assertNotIn(b"EXPUNGE", early)
        raw.settimeout(60)
        self.assertTrue(p.quit().startswith(b"+OK Logging out (3 messages left)"))
        # IDLE: at once, from the store's change notice.
        got = b""
        while got.count(b"EXPUNGE") < 2:
            line = rf.readline()
            self.assertTrue(line, "IDLE connection closed")
            got += line
        self.assertEqual(after_expunges(re.findall(rb"\* (\d+) EXPUNGE", got)), [1, 3, 5])
        raw.sendall(b"DONE\r\nd LOGOUT\r\n")
        rf.close()
        raw.close()
        # NOOP.
        typ, data = noop.noop()
        self.assertEqual(after_expunges(noop.response("EXPUNGE")[1]), [1, 3, 5])
        typ, data = noop.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = [re.search(rb"m(\d)", d[1]).group(1) for d in data if isinstance(d, tuple)]
        self.assertEqual(subjects, [b"1", b"3", b"5"])
        noop.logout()

    def test_uidl_stable_and_unique(self):
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        c.select("INBOX", readonly=True)
        uidvalidity = int(c.response("UIDVALIDITY")[1][0])
        c.logout()
        p = self.inst.pop3_login(USER, PASSWORD)
        first = self.uidl(p)
        # Dovecot's default: %08Xu%08Xv.
        self.assertEqual(first, {str(i): "%08x%08x" % (i, uidvalidity) for i in range(1, 6)})
        self.assertEqual(p.uidl(3), b"+OK 3 %08x%08x" % (3, uidvalidity))
        p.quit()
        p = self.inst.pop3_login(USER, PASSWORD)
        self.assertEqual(self.uidl(p), first)
        p.dele(1)
        p.dele(3)
        # Deleted messages leave the listing at once.
        self.assertEqual(sorted(self.uidl(p)), ["2", "4", "5"])
        p.quit()
        self.inst.deliver(USER, b"Subject: m6\r\n\r\nbody 6\r\n")
        p = self.inst.pop3_login(USER, PASSWORD)
        now = self.uidl(p)
        p.quit()
        # The survivors keep their UIDL under new message numbers.
        self.assertEqual(list(now.values())[:3], [first["2"], first["4"], first["5"]])
        self.assertEqual(now["4"], "%08x%08x" % (6, uidvalidity))
        self.assertEqual(len(set(now.values())), 4)
        self.assertEqual(len(set(now.values()) & {first["1"], first["3"]}), 0)

    def test_imap_and_pop3_see_the_same(self):
        p = self.inst.pop3_login(USER, PASSWORD)
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        c.select("INBOX", readonly=True)
        for i in range(1, 6):
            typ, data = c.fetch(str(i), "(BODY.PEEK[])")
            resp, lines, _ = p.retr(i)
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", data[0][1])
        # \Seen from RETR shows in IMAP after the POP3 session ends.
        p.quit()
        c.noop()
        typ, data = c.fetch("1:*", "(FLAGS)")
        self.assertTrue(all(b"\\Seen" in d for d in data), data)
        c.logout()


if __name__ == "__main__":
    pt.run()
