"""IDLE at scale: 300 sessions idle on one imapd process (more than the
kernel's default of 128 inotify instances per user), the process holds
one inotify descriptor for all of them, and one LMTP delivery wakes every
one.  A mailbox deleted under an idling session, then created and idled
on again, still gets its notices.  imapd_idle_recheck: "* OK Still here"
while idling."""

import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret"), ("bob@example.org", "secret")]
SESSIONS = 300


def inotify_fds(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:inotify":
                n += 1
        except OSError:
            pass
    return n


class Conn:
    """A raw IMAP connection with a line reader that keeps what it has
    read past a line."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 30)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def feed(self):
        """Read what is there (the socket must be readable)."""
        data = self.sock.recv(65536)
        if not data:
            raise AssertionError("connection closed")
        self.buf += data

    def line(self):
        while b"\n" not in self.buf:
            self.feed()
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def until(self, prefix):
        """Lines up to one that starts with prefix; that one."""
        while True:
            line = self.line()
            if line.startswith(prefix):
                return line

    def close(self):
        self.sock.close()


class IdleMany(pt.InstanceTest):
    # 300 sessions of one user from one address: no per-user limit.
    params = {"auth_allow_plaintext": "yes", "imapd_user_connection_limit": "0",
              "imapd_client_connection_limit": "0"}

    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS, params=self.params)
        self.instances.append(self.inst)
        self.inst.start()
        self.inst.deliver("alice@example.org")
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        super().tearDown()

    def idle(self, user="alice@example.org", mailbox=b"INBOX"):
        c = Conn(self.inst.imap_port)
        self.conns.append(c)
        c.line()
        c.send(b"a LOGIN " + user.encode() + b" secret\r\n")
        self.assertTrue(c.until(b"a ").startswith(b"a OK"))
        c.send(b"b SELECT " + mailbox + b"\r\n")
        self.assertTrue(c.until(b"b ").startswith(b"b OK"))
        c.send(b"c IDLE\r\n")
        self.assertEqual(c.line(), b"+ idling\r\n")
        return c

    def wait_all(self, conns, want, timeout):
        """Every connection in conns shows a line containing want within
        timeout seconds; returns how long it took."""
        start = time.monotonic()
        sel = selectors.DefaultSelector()
        waiting = set()
        for c in conns:
            if not self.seen(c, want):
                sel.register(c.sock, selectors.EVENT_READ, c)
                waiting.add(c)
        while waiting:
            left = start + timeout - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                c = key.data
                c.feed()
                if self.seen(c, want):
                    sel.unregister(c.sock)
                    waiting.discard(c)
        sel.close()
        self.assertEqual(len(waiting), 0, "%d of %d sessions saw no %r within %ss"
                         % (len(waiting), len(conns), want, timeout))
        return time.monotonic() - start

    @staticmethod
    def seen(c, want):
        return want in c.buf

    def done(self, c):
        c.buf = b""
        c.send(b"DONE\r\n")
        self.assertEqual(c.until(b"c "), b"c OK IDLE terminated\r\n")

    def test_300_sessions_one_inotify(self):
        pids = self.inst.children("imap")
        self.assertEqual(len(pids), 1, "one imapd process for the test")
        for _ in range(SESSIONS):
            self.idle()
        self.assertEqual(inotify_fds(pids[0]), 1,
                         "one inotify descriptor for all IDLE sessions")
        # Another user's mailbox on the same descriptor.
        bob = self.idle("bob@example.org")
        self.assertEqual(inotify_fds(pids[0]), 1)
        start = time.monotonic()
        self.inst.deliver("alice@example.org")
        self.wait_all(self.conns[:SESSIONS], b"* 2 EXISTS\r\n", 20.0)
        sys.stderr.write("# delivery and %d sessions woken in %.2fs\n"
                         % (SESSIONS, time.monotonic() - start))
        self.assertNotIn(b"EXISTS", bob.buf)
        self.inst.deliver("bob@example.org")
        self.wait_all([bob], b"* 1 EXISTS\r\n", 5.0)
        for c in self.conns:
            self.done(c)
        # Every watch is gone with its sessions; a new IDLE still works.
        c = self.idle()
        self.inst.deliver("alice@example.org")
        self.wait_all([c], b"* 3 EXISTS\r\n", 5.0)
        self.assertEqual(self.inst.children("imap"), pids)

    def test_deleted_mailbox_then_again(self):
        other = self.inst.imap()
        other.login("alice@example.org", "secret")
        self.assertEqual(other.create("Temp")[0], "OK")
        a = self.idle(mailbox=b"Temp")
        b = self.idle(mailbox=b"Temp")
        self.assertEqual(other.delete("Temp")[0], "OK")
        self.done(a)
        self.done(b)
        self.assertEqual(other.create("Temp")[0], "OK")
        c = self.idle(mailbox=b"Temp")
        self.assertEqual(other.append("Temp", None, None, b"Subject: x\r\n\r\nx\r\n")[0], "OK")
        self.wait_all([c], b"* 1 EXISTS\r\n", 5.0)
        self.done(c)
        other.logout()


class IdleRecheck(IdleMany):
    params = {"auth_allow_plaintext": "yes", "imapd_idle_recheck": "1s",
              "imapd_user_connection_limit": "0", "imapd_client_connection_limit": "0"}

    def test_still_here(self):
        c = self.idle()
        start = time.monotonic()
        self.wait_all([c], b"* OK Still here\r\n", 5.0)
        self.assertGreater(time.monotonic() - start, 0.5)
        self.done(c)
        # Not selected: the same.
        d = Conn(self.inst.imap_port)
        self.conns.append(d)
        d.line()
        d.send(b"a LOGIN alice@example.org secret\r\nc IDLE\r\n")
        self.assertEqual(d.until(b"+ "), b"+ idling\r\n")
        self.wait_all([d], b"* OK Still here\r\n", 5.0)
        self.done(d)

    # The other tests need not run again with this setting.
    test_300_sessions_one_inotify = None
    test_deleted_mailbox_then_again = None


if __name__ == "__main__":
    pt.run()
