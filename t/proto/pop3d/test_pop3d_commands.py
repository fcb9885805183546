"""pop3d's TRANSACTION commands on a real maildrop: STAT and LIST sizes
exact as stored (CRLF), RETR byte for byte (dot-stuffed on the wire,
8-bit bytes and a 300 KB line intact), TOP with 0 lines, some lines and
more lines than the body, DELE and RSET, deletions only at QUIT, a
dropped connection deleting nothing, message numbers fixed at login
(new mail not shown, a message expunged meanwhile answers -ERR),
pipelined commands answered in order, and \\Seen set by RETR (also when
the connection drops) but not by TOP."""

import os
import poplib
import re
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

# A 300 KB line is more than poplib takes by default.
poplib._MAXLINE = 1 << 20

USER, PASSWORD = "alice@example.org", "s3cret pass"

BODIES = [
    b"Subject: one\r\n\r\nhello\r\n",
    # 8-bit bytes, dots at line starts, a lone dot, a very long line.
    b"Subject: caf\xc3\xa9\r\nX-Raw: \xff\xfe\r\n\r\n.starts with a dot\r\n..two\r\n.\r\n"
    b"caf\xc3\xa9 \x80\x81\r\n" + b"L" * 300000 + b"\r\nend\r\n",
    b"Subject: three\r\nX-A: 1\r\n\r\nb1\r\nb2\r\nb3\r\n\r\nb5\r\n",
]


def unstuff(lines):
    """The message from a multi-line response's lines (CRLF kept)."""
    return b"".join(l[1:] if l.startswith(b".") else l for l in lines)


class Raw:
    def __init__(self, inst):
        s = socket.create_connection(("127.0.0.1", inst.pop3s_port), 60)
        self.s = inst.ssl_context().wrap_socket(s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        assert self.f.readline().startswith(b"+OK")

    def cmd(self, text):
        self.s.sendall(text + b"\r\n")
        return self.f.readline()

    def multi(self):
        out = []
        while True:
            line = self.f.readline()
            if line == b".\r\n" or line == b"":
                return out
            out.append(line)

    def login(self):
        assert self.cmd(b"USER " + USER.encode()).startswith(b"+OK")
        line = self.cmd(b"PASS " + PASSWORD.encode())
        assert line.startswith(b"+OK"), line
        return self

    def close(self):
        # The file holds the socket open too.
        self.f.close()
        self.s.close()


class Commands(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=[(USER, PASSWORD)],
                                     params={"lmtpd_data_line_limit": "1m"})
        self.instances.append(self.inst)
        self.inst.start()
        for b in BODIES:
            self.assertEqual(self.inst.deliver(USER, b)[0][0], 250)
        self.stored = [self.inst.message(USER, uid) for uid in (1, 2, 3)]
        for b, s in zip(BODIES, self.stored):
            self.assertTrue(s.endswith(b))

    def session(self):
        return Raw(self.inst).login()

    def flags(self):
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1:*", "(UID FLAGS)")
        c.logout()
        out = {}
        for item in data:
            m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item)
            out[int(m.group(1))] = m.group(2).split()
        return out

    def disconnected(self, n):
        """Wait until n sessions have ended (their disconnect is logged)."""
        pt.wait_for(lambda: len(re.findall(r"pop3d\[\d+\]: P\w+: disconnect from .* user=",
                                           self.inst.logtext())) >= n,
                    what="%d pop3d sessions to end" % n)

    def test_stat_list_exact(self):
        r = self.session()
        sizes = [len(s) for s in self.stored]
        self.assertEqual(r.cmd(b"STAT"), b"+OK 3 %d\r\n" % sum(sizes))
        self.assertEqual(r.cmd(b"LIST"), b"+OK 3 messages (%d octets)\r\n" % sum(sizes))
        self.assertEqual(r.multi(), [b"%d %d\r\n" % (i + 1, n) for i, n in enumerate(sizes)])
        self.assertEqual(r.cmd(b"LIST 2"), b"+OK 2 %d\r\n" % sizes[1])
        self.assertEqual(r.cmd(b"LIST 0"), b"-ERR No such message\r\n")
        self.assertEqual(r.cmd(b"LIST 4"), b"-ERR No such message\r\n")
        self.assertEqual(r.cmd(b"UIDL 4"), b"-ERR No such message\r\n")
        self.assertEqual(r.cmd(b"NOOP"), b"+OK Nothing done\r\n")
        r.cmd(b"QUIT")
        r.close()

    def test_retr_exact(self):
        r = self.session()
        for i, stored in enumerate(self.stored, 1):
            self.assertEqual(r.cmd(b"RETR %d" % i), b"+OK %d octets\r\n" % len(stored))
            lines = r.multi()
            self.assertEqual(unstuff(lines), stored)
        # On the wire each line that starts with a dot has one more.
        r.cmd(b"RETR 2")
        wire = r.multi()
        self.assertIn(b"..starts with a dot\r\n", wire)
        self.assertIn(b"...two\r\n", wire)
        self.assertIn(b"..\r\n", wire)
        self.assertIn(b"L" * 300000 + b"\r\n", wire)
        self.assertEqual(r.cmd(b"RETR 4"), b"-ERR No such message\r\n")
        r.cmd(b"QUIT")
        # poplib agrees.
        c = self.inst.pop3_login(USER, PASSWORD)
        resp, lines, octets = c.retr(2)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", self.stored[1])
        c.quit()

    def test_top(self):
        stored = self.stored[2]
        head, body = stored.split(b"\r\n\r\n", 1)
        blines = body.split(b"\r\n")[:-1]
        r = self.session()
        for n in (0, 1, 3, 4, 5, 6, 1000):
            self.assertEqual(r.cmd(b"TOP 3 %d" % n), b"+OK Top of message follows\r\n")
            want = head + b"\r\n\r\n" + b"".join(l + b"\r\n" for l in blines[:n])
            self.assertEqual(unstuff(r.multi()), want, n)
        self.assertEqual(r.cmd(b"TOP 1 1000"), b"+OK Top of message follows\r\n")
        self.assertEqual(unstuff(r.multi()), self.stored[0])
        self.assertEqual(r.cmd(b"TOP 9 0"), b"-ERR No such message\r\n")
        self.assertEqual(r.cmd(b"QUIT"), b"+OK Logging out (3 messages left)\r\n")
        # TOP does not set \Seen.
        self.assertEqual(self.flags(), {1: [], 2: [], 3: []})

    def test_seen_by_retr(self):
        r = self.session()
        r.cmd(b"RETR 1")
        r.multi()
        r.cmd(b"TOP 2 0")
        r.multi()
        self.assertEqual(self.flags(), {1: [], 2: [], 3: []}, "not before the end")
        r.cmd(b"QUIT")
        self.assertEqual(self.flags(), {1: [b"\\Seen"], 2: [], 3: []})
        # A dropped connection sets \Seen on what was sent too.
        r = self.session()
        r.cmd(b"RETR 3")
        r.multi()
        r.close()
        pt.wait_for(lambda: self.flags()[3] == [b"\\Seen"], what="\\Seen on message 3")
        self.assertEqual(self.flags()[2], [])

    def test_dele_rset_quit(self):
        r = self.session()
        s1, s2, s3 = (len(s) for s in self.stored)
        self.assertEqual(r.cmd(b"DELE 1"), b"+OK Message 1 deleted\r\n")
        self.assertEqual(r.cmd(b"DELE 1"), b"-ERR Message 1 is deleted\r\n")
        self.assertEqual(r.cmd(b"STAT"), b"+OK 2 %d\r\n" % (s2 + s3))
        self.assertEqual(r.cmd(b"LIST 1"), b"-ERR Message 1 is deleted\r\n")
        self.assertEqual(r.cmd(b"RETR 1"), b"-ERR Message 1 is deleted\r\n")
        self.assertEqual(r.cmd(b"TOP 1 0"), b"-ERR Message 1 is deleted\r\n")
        self.assertEqual(r.cmd(b"UIDL 1"), b"-ERR Message 1 is deleted\r\n")
        self.assertEqual(r.cmd(b"LIST"), b"+OK 2 messages (%d octets)\r\n" % (s2 + s3))
        self.assertEqual(r.multi(), [b"2 %d\r\n" % s2, b"3 %d\r\n" % s3])
        self.assertEqual(r.cmd(b"RSET"), b"+OK Maildrop has 3 messages (%d octets)\r\n"
                         % (s1 + s2 + s3))
        self.assertEqual(r.cmd(b"LIST 1"), b"+OK 1 %d\r\n" % s1)
        r.cmd(b"DELE 2")
        r.cmd(b"DELE 3")
        # Nothing is gone before QUIT.
        self.assertEqual(len(self.inst.mailbox(USER)), 3)
        self.assertEqual(r.cmd(b"QUIT"), b"+OK Logging out (1 messages left)\r\n")
        self.assertEqual(r.f.readline(), b"")
        self.assertEqual([uid for uid, _ in self.inst.mailbox(USER)], [1])
        self.assertIn("deleted 2 messages", self.inst.logtext())

    def test_dropped_connection_deletes_nothing(self):
        r = self.session()
        for i in (1, 2, 3):
            r.cmd(b"DELE %d" % i)
        self.assertEqual(r.cmd(b"STAT"), b"+OK 0 0\r\n")
        r.close()
        self.disconnected(1)
        self.assertEqual([uid for uid, _ in self.inst.mailbox(USER)], [1, 2, 3])
        # The lock went with the connection.
        r = self.session()
        self.assertEqual(r.cmd(b"STAT"), b"+OK 3 %d\r\n" % sum(len(s) for s in self.stored))
        r.cmd(b"QUIT")

    def test_numbers_fixed_for_the_session(self):
        r = self.session()
        self.inst.deliver(USER, b"Subject: four\r\n\r\nnew\r\n")
        self.assertEqual(r.cmd(b"STAT"), b"+OK 3 %d\r\n" % sum(len(s) for s in self.stored))
        self.assertEqual(r.cmd(b"LIST 4"), b"-ERR No such message\r\n")
        # Another (IMAP) session expunges message 1 meanwhile.
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        c.select("INBOX")
        c.store("1", "+FLAGS", "(\\Deleted)")
        c.expunge()
        c.logout()
        self.assertEqual(r.cmd(b"LIST 1"), b"+OK 1 %d\r\n" % len(self.stored[0]))
        self.assertEqual(r.cmd(b"RETR 1"),
                         b"-ERR Message 1 is gone (expunged by another session)\r\n")
        self.assertEqual(r.cmd(b"RETR 2"), b"+OK %d octets\r\n" % len(self.stored[1]))
        self.assertEqual(unstuff(r.multi()), self.stored[1])
        # Deleting a message that is already gone is no error at QUIT.
        r.cmd(b"DELE 1")
        r.cmd(b"DELE 3")
        self.assertTrue(r.cmd(b"QUIT").startswith(b"+OK"))
        self.assertEqual([uid for uid, _ in self.inst.mailbox(USER)], [2, 4])
        r = self.session()
        self.assertEqual(r.cmd(b"STAT")[:6], b"+OK 2 ")
        r.cmd(b"QUIT")

    def test_pipelining(self):
        r = Raw(self.inst)
        burst = (b"CAPA\r\nUSER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 2\r\n"
                 b"TOP 3 1\r\nFROB\r\nDELE 1\r\nLIST 1\r\nRSET\r\nNOOP\r\nQUIT\r\n"
                 % (USER.encode(), PASSWORD.encode()))
        r.s.sendall(burst)
        f = r.f
        self.assertEqual(f.readline(), b"+OK Capability list follows\r\n")
        self.assertIn(b"PIPELINING\r\n", r.multi())
        self.assertTrue(f.readline().startswith(b"+OK"))
        self.assertTrue(f.readline().startswith(b"+OK Logged in, 3 messages"))
        self.assertTrue(f.readline().startswith(b"+OK 3 "))
        self.assertTrue(f.readline().startswith(b"+OK 3 messages"))
        self.assertEqual(len(r.multi()), 3)
        self.assertTrue(re.match(rb"\+OK 1 [0-9a-f]{16}\r\n$", f.readline()))
        self.assertTrue(f.readline().startswith(b"+OK %d octets" % len(self.stored[1])))
        self.assertEqual(unstuff(r.multi()), self.stored[1])
        self.assertEqual(f.readline(), b"+OK Top of message follows\r\n")
        self.assertTrue(unstuff(r.multi()).endswith(b"\r\n\r\nb1\r\n"))
        self.assertEqual(f.readline(), b"-ERR unknown command\r\n")
        self.assertEqual(f.readline(), b"+OK Message 1 deleted\r\n")
        self.assertEqual(f.readline(), b"-ERR Message 1 is deleted\r\n")
        self.assertTrue(f.readline().startswith(b"+OK Maildrop has 3 messages"))
        self.assertEqual(f.readline(), b"+OK Nothing done\r\n")
        self.assertEqual(f.readline(), b"+OK Logging out (3 messages left)\r\n")
        self.assertEqual(f.readline(), b"")
        self.assertEqual(len(self.inst.mailbox(USER)), 3)


if __name__ == "__main__":
    pt.run()
