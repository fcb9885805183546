"""RETR of a 100 MB message streams from the file with back-pressure:
while a raw-socket client reads slowly, the pop3d processes' resident
memory (VmRSS) stays far below the message size, and the message arrives
whole and unchanged (dot-stuffing undone), over STLS and implicit TLS
too.  A client that disconnects in the middle of a RETR leaves the
process serving other sessions, and its lock goes."""

import hashlib
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "secret"
BIG = 100 * 1024 * 1024
# More growth than this while the client reads slowly means the message
# (or a large part of it) was held in memory.
MAX_GROWTH_KB = 24 * 1024


def big_body():
    """About BIG bytes of numbered lines, every tenth starting with a dot."""
    n = BIG // 100
    head = b"From: bob@example.net\r\nSubject: big\r\n\r\n"
    return head + b"".join((b"." if i % 10 == 0 else b"x") + b"%09d " % i + b"y" * 88 + b"\r\n"
                           for i in range(n))


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

    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=[(USER, PASSWORD)], params={
            "auth_allow_plaintext": "yes",
            "lmtpd_message_size_limit": str(2 * BIG)})
        self.instances.append(self.inst)
        # ASan keeps freed memory in quarantine (256 MB by default), which
        # would count as resident; a small one leaves pop3d's own use.
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, ASAN_OPTIONS=(asan + ":" if asan else "") +
                   "quarantine_size_mb=4")
        self.inst.start(env=env)
        c = self.inst.lmtp(timeout=300)
        c.mail("bob@example.net")
        c.rcpt(USER)
        self.assertEqual(pt.lmtp_data(c, self.body, 1)[0][0], 250)
        c.quit()
        self.inst.deliver(USER)   # a small one
        self.stored = self.inst.message(USER, 1)
        self.assertTrue(self.stored.endswith(self.body))
        self.pids = self.inst.children("pop3") + self.inst.children("pop3s")
        self.assertTrue(self.pids, "no pop3d process found")

    def raw_login(self, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(60)
        s.connect(("127.0.0.1", self.inst.pop3_port))
        f = s.makefile("rb")
        f.readline()
        for line in (b"USER %s\r\n" % USER.encode(), b"PASS %s\r\n" % PASSWORD.encode()):
            s.sendall(line)
            got = f.readline()
            self.assertTrue(got.startswith(b"+OK"), got)
        return s, f

    def test_slow_reader_keeps_rss_small(self):
        s, f = self.raw_login(rcvbuf=32 * 1024)
        base = {pid: rss_kb(pid) for pid in self.pids}
        s.sendall(b"RETR 1\r\n")
        self.assertEqual(f.readline(), b"+OK %d octets\r\n" % len(self.stored))
        got = hashlib.sha256()
        peak = dict(base)
        lines = 0
        # Slowly: 100 lines, then 10 ms, for 3 s (a few percent).
        deadline = time.monotonic() + 3.0
        next_sample = 0.0
        while time.monotonic() < deadline:
            line = f.readline()
            got.update(line[1:] if line.startswith(b".") else line)
            lines += 1
            if lines % 100 == 0:
                time.sleep(0.01)
            if time.monotonic() >= next_sample:
                for pid in self.pids:
                    peak[pid] = max(peak[pid], rss_kb(pid))
                next_sample = time.monotonic() + 0.1
        self.assertLess(lines * 100, BIG // 2, "the client was meant to read slowly")
        sys.stderr.write("# VmRSS growth while streaming: %s kB\n"
                         % ", ".join(str(peak[p] - base[p]) for p in self.pids))
        for pid in self.pids:
            growth = peak[pid] - base[pid]
            self.assertLess(growth, MAX_GROWTH_KB,
                            "pop3d %d grew by %d kB while streaming a %d kB message"
                            % (pid, growth, len(self.stored) // 1024))
        # The rest at full speed; the message is the stored one.
        while True:
            line = f.readline()
            self.assertTrue(line, "connection closed")
            if line == b".\r\n":
                break
            got.update(line[1:] if line.startswith(b".") else line)
        self.assertEqual(got.hexdigest(), hashlib.sha256(self.stored).hexdigest())
        s.sendall(b"NOOP\r\nQUIT\r\n")
        self.assertEqual(f.readline(), b"+OK Nothing done\r\n")
        self.assertTrue(f.readline().startswith(b"+OK Logging out"))
        f.close()
        s.close()

    def test_over_tls(self):
        # The drain callback also comes through the TLS layer.
        for c in (self.inst.pop3(), self.inst.pop3s()):
            c.user(USER)
            c.pass_(PASSWORD)
            c._MAXLINE = 1 << 20
            resp, lines, octets = c.retr(1)
            self.assertEqual(resp, b"+OK %d octets" % len(self.stored))
            self.assertEqual(hashlib.sha256(b"\r\n".join(lines) + b"\r\n").hexdigest(),
                             hashlib.sha256(self.stored).hexdigest())
            c.quit()

    def test_disconnect_mid_retr(self):
        for _ in range(3):
            s, f = self.raw_login(rcvbuf=32 * 1024)
            s.sendall(b"RETR 1\r\n")
            self.assertTrue(f.readline().startswith(b"+OK"))
            f.read(1 << 20)
            f.close()
            s.close()
        # The same processes serve the next session (the lock is free).
        pt.wait_for(lambda: len(re.findall(r"P\w+: disconnect from .* user=",
                                           self.inst.logtext())) >= 3,
                    what="the sessions to end")
        s, f = self.raw_login()
        s.sendall(b"TOP 2 0\r\nNOOP\r\n")
        self.assertEqual(f.readline(), b"+OK Top of message follows\r\n")
        while f.readline() != b".\r\n":
            pass
        self.assertEqual(f.readline(), b"+OK Nothing done\r\n")
        f.close()
        s.close()
        self.assertEqual(self.inst.children("pop3") + self.inst.children("pop3s"), self.pids)


if __name__ == "__main__":
    pt.run()
