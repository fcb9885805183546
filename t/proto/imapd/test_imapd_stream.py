"""FETCH of a 100 MB message streams from the file with back-pressure: while
a raw-socket client reads slowly, the imapd processes' resident memory
(VmRSS) stays far below the message size, and the literal arrives whole
and unchanged, over TLS too.  A client that disconnects in the middle of
such a FETCH leaves the process serving other sessions (the sanitizers
check the rest when the instance stops)."""

import hashlib
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]
BIG = 100 * 1024 * 1024
# More growth than this while the client reads slowly means the message
# (or a large part of it) was held in memory.
MAX_GROWTH_KB = 24 * 1024


def big_body():
    """About BIG bytes of numbered lines (so a reordering shows)."""
    line = b"%09d " + b"x" * 88 + b"\r\n"
    n = BIG // len(line % 0)
    head = b"From: bob@example.net\r\nSubject: big\r\n\r\n"
    return head + b"".join(line % i for i in range(n))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class Stream(pt.InstanceTest):
    @classmethod
    def setUpClass(cls):
        cls.body = big_body()
        cls.digest = hashlib.sha256(cls.body).hexdigest()

    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS, params={
            "auth_allow_plaintext": "yes",
            "lmtpd_message_size_limit": str(2 * BIG)})
        self.instances.append(self.inst)
        # ASan keeps freed memory in quarantine (256 MB by default), which
        # would count as resident; a small one leaves imapd's own use.
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, ASAN_OPTIONS=(asan + ":" if asan else "") +
                   "quarantine_size_mb=4")
        self.inst.start(env=env)
        c = self.inst.lmtp(timeout=300)
        c.mail("bob@example.net")
        c.rcpt("alice@example.org")
        self.assertEqual(pt.lmtp_data(c, self.body, 1)[0][0], 250)
        c.quit()
        self.inst.deliver("alice@example.org")   # a small one, UID 2
        self.pids = self.inst.children("imap") + self.inst.children("imaps")
        self.assertTrue(self.pids, "no imapd process found")

    def raw_login(self, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(60)
        s.connect(("127.0.0.1", self.inst.imap_port))
        f = s.makefile("rb")
        f.readline()
        for line in (b"a LOGIN alice@example.org secret\r\n", b"b SELECT INBOX\r\n"):
            s.sendall(line)
            while True:
                got = f.readline()
                self.assertTrue(got, "connection closed")
                if got.startswith(line[:2]):
                    self.assertTrue(got.startswith(line[:2] + b"OK"), got)
                    break
        return s, f

    def literal_head(self, f):
        line = f.readline()
        m = re.match(rb"\* 1 FETCH \(BODY\[\] \{(\d+)\}\r\n$", line)
        self.assertIsNotNone(m, line)
        return int(m.group(1))

    def test_slow_reader_keeps_rss_small(self):
        s, f = self.raw_login(rcvbuf=32 * 1024)
        base = {pid: rss_kb(pid) for pid in self.pids}
        s.sendall(b"f FETCH 1 BODY.PEEK[]\r\n")
        size = self.literal_head(f)
        self.assertGreater(size, BIG)
        got = hashlib.sha256()
        done = 0
        peak = dict(base)
        # Slowly: 16 KB every 5 ms for 3 s (about a tenth of the message).
        deadline = time.monotonic() + 3.0
        next_sample = 0.0
        tail = b""
        while time.monotonic() < deadline:
            chunk = f.read(min(16384, size - done))
            got.update(chunk)
            done += len(chunk)
            tail = (tail + chunk)[-200:]
            if time.monotonic() >= next_sample:
                for pid in self.pids:
                    peak[pid] = max(peak[pid], rss_kb(pid))
                next_sample = time.monotonic() + 0.1
            time.sleep(0.005)
        self.assertLess(done, size // 2, "the client was meant to read slowly")
        sys.stderr.write("# VmRSS growth while streaming: %s kB\n"
                         % ", ".join(str(peak[p] - base[p]) for p in self.pids))
        for pid in self.pids:
            growth = peak[pid] - base[pid]
            self.assertLess(growth, MAX_GROWTH_KB,
                            "imapd %d grew by %d kB while streaming a %d kB message"
                            % (pid, growth, size // 1024))
        # The rest at full speed; the literal is the stored message.
        while done < size:
            chunk = f.read(min(1 << 20, size - done))
            self.assertTrue(chunk, "connection closed after %d of %d" % (done, size))
            got.update(chunk)
            done += len(chunk)
            tail = (tail + chunk)[-200:]
        self.assertEqual(f.readline(), b")\r\n")
        self.assertEqual(f.readline(), b"f OK FETCH completed\r\n")
        stored = self.inst.message("alice@example.org", 1)
        self.assertEqual(len(stored), size)
        self.assertEqual(got.hexdigest(), hashlib.sha256(stored).hexdigest())
        self.assertTrue(stored.endswith(self.body))
        s.sendall(b"g LOGOUT\r\n")
        s.close()

    def test_over_tls(self):
        # The drain callback also comes through the TLS layer.
        for c in (self.inst.imap(), self.inst.imaps()):
            c.login("alice@example.org", "secret")
            c.select("INBOX", readonly=True)
            typ, data = c.fetch("1:2", "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertEqual(hashlib.sha256(data[0][1]).hexdigest(),
                             hashlib.sha256(self.inst.message("alice@example.org", 1)).hexdigest())
            self.assertEqual(data[2][1], self.inst.message("alice@example.org", 2))
            c.logout()

    def test_disconnect_mid_fetch(self):
        for _ in range(3):
            s, f = self.raw_login(rcvbuf=32 * 1024)
            s.sendall(b"f FETCH 1 BODY[]\r\n")
            self.literal_head(f)
            f.read(1 << 20)
            s.close()
        # The same processes serve the next session as if nothing happened.
        s, f = self.raw_login()
        s.sendall(b"h FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)])\r\nn NOOP\r\n")
        lines = []
        while not lines or not lines[-1].startswith(b"n "):
            lines.append(f.readline())
            self.assertTrue(lines[-1], lines)
        self.assertIn(b"h OK FETCH completed\r\n", lines)
        self.assertEqual(lines[-1], b"n OK NOOP completed\r\n")
        s.close()
        self.assertEqual(self.inst.children("imap") + self.inst.children("imaps"), self.pids)
        # The store is intact and BODY[] (not PEEK) set \Seen on the way.
        c = self.inst.imap()
        c.login("alice@example.org", "secret")
        c.select("INBOX")
        typ, data = c.fetch("1", "(FLAGS RFC822.SIZE)")
        self.assertIn(b"\\Seen", data[0])
        c.logout()


if __name__ == "__main__":
    pt.run()
