"""Benchmark (make bench, not make check): imapd on a 5,000-message
mailbox.

  1. LOGIN + SELECT, repeated.
  2. UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE).
  3. UID FETCH 1:* BODY.PEEK[] (every body).
  4. UID STORE 1:* +FLAGS.SILENT (\\Seen).
  5. UID SEARCH HEADER Subject (a header search over every message).
  6. 50 concurrent clients looping SELECT + UID FETCH of 50 messages'
     headers for 20 s.
  7. RSS per idle logged-in connection (1,000 connections in IDLE).

    python3 t/bench/imap.py [--messages N] [--clients N] [--seconds S]
                            [--idle N]

The load generator is a raw-socket client (no imaplib parsing): it
sends a command and reads until the tagged reply, so it costs one
recv() per 1 MB at most; while it runs, its own CPU time is printed
next to the server's, which shows which side is the limit."""

import argparse
import os
import re
import resource
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "bench@example.org", "bench pass"


class Raw:
    """A minimal IMAP client: command() returns the whole response."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.n = 0
        self.read_until(b"\r\n")

    def read_until(self, end):
        while not self.buf.endswith(end):
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError("imapd closed the connection")
            self.buf += chunk
        out, self.buf = self.buf, b""
        return out

    def command(self, text):
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = bytearray()
        while True:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError("imapd closed the connection")
            out += chunk
            if not out.endswith(b"\r\n"):
                continue
            at = out.rfind(b"\r\n", 0, len(out) - 2)
            last = out[at + 2:] if at != -1 else out
            if last.startswith(tag + b" "):
                if not last.startswith(tag + b" OK"):
                    raise RuntimeError("%s: %s" % (text, bytes(last[:200])))
                return bytes(out)

    def close(self):
        self.s.close()


def message(i):
    size = (1500, 3000, 6000, 20000)[i % 4]
    body = (b"%06d " % i) + b"x" * 70 + b"\r\n"
    return (b"From: Sender %d <sender%d@remote.example>\r\nTo: %s\r\n"
            b"Subject: bench message %d %s\r\nMessage-ID: <b%d@remote.example>\r\n"
            b"Date: Mon, 2 Nov 2026 10:%02d:00 +0000\r\n\r\n"
            % (i, i % 97, USER.encode(), i, b"needle" if i % 100 == 0 else b"hay", i, i % 60)
            + body * (size // len(body)))


def fill(inst, n):
    def worker(lo, hi):
        c = inst.lmtp()
        for i in range(lo, hi):
            c.mail("sender@remote.example")
            c.rcpt(USER)
            if pt.lmtp_data(c, message(i), 1)[0][0] != 250:
                raise RuntimeError("delivery %d refused" % i)
        c.quit()
    step = (n + 3) // 4
    ts = [threading.Thread(target=worker, args=(k, min(n, k + step))) for k in range(0, n, step)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def imapd_pids(inst):
    out = []
    for pid in inst.children():
        cmd = pt.proc_cmdline(pid) or []
        if cmd and os.path.basename(cmd[0].decode()) == "imapd":
            out.append(pid)
    return out


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(field + r":\s+(\d+)", f.read())
    return int(m.group(1)) if m else 0


def cpu_s(pids):
    t = 0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        t += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return t


def row(label, rate, inst, server_cpu, client_cpu, elapsed):
    rss = max(status_kb(p, "VmHWM") for p in imapd_pids(inst))
    print("IMAP %s: %s (%.2f s; imapd CPU %.2f s, client CPU %.2f s) | imapd %d MB"
          % (label, rate, elapsed, server_cpu, client_cpu, rss // 1024))
    sys.stdout.flush()


def timed(inst, label, fn, count, unit):
    pids = imapd_pids(inst)
    s0, c0, t0 = cpu_s(pids), time.process_time(), time.monotonic()
    fn()
    el = time.monotonic() - t0
    row(label, "%.0f %s/s" % (count / el, unit), inst, cpu_s(pids) - s0,
        time.process_time() - c0, el)


def login(port):
    c = Raw(port)
    c.command('LOGIN "%s" "%s"' % (USER, PASSWORD))
    return c


def concurrent(inst, port, clients, seconds, nmsg):
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def loop(k):
        c = login(port)
        lo = 1
        while time.monotonic() < stop:
            c.command("SELECT INBOX")
            c.command("UID FETCH %d:%d (UID FLAGS RFC822.SIZE ENVELOPE)" % (lo, lo + 49))
            counts[k] += 2
            lo = lo + 50 if lo + 99 <= nmsg else 1
        c.command("LOGOUT")
        c.close()
    pids = imapd_pids(inst)
    s0, c0, t0 = cpu_s(pids), time.process_time(), time.monotonic()
    ts = [threading.Thread(target=loop, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    row("%d clients SELECT+FETCH loop" % clients, "%.0f commands/s" % (sum(counts) / el),
        inst, cpu_s(pids) - s0, time.process_time() - c0, el)


def idle_memory(inst, port, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 200)), hard))
    pids = imapd_pids(inst)
    before = sum(status_kb(p, "VmRSS") for p in pids)
    conns = []
    for _ in range(n):
        c = login(port)
        c.command("SELECT INBOX")
        c.n += 1
        c.s.sendall(b"i%d IDLE\r\n" % c.n)
        c.read_until(b"\r\n")
        conns.append(c)
    after = sum(status_kb(p, "VmRSS") for p in imapd_pids(inst))
    print("IMAP %d idle logged-in connections (SELECT + IDLE): %.1f KB each | "
          "imapd total %d MB" % (n, (after - before) / n, after // 1024))
    sys.stdout.flush()
    for c in conns:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--idle", type=int, default=1000)
    a = ap.parse_args()
    inst = pt.ImapdInstance(users=[(USER, PASSWORD)], params={
        "log_level": "info", "auth_allow_plaintext": "yes",
        "imapd_user_connection_limit": "0", "imapd_client_connection_limit": "0"})
    try:
        inst.start()
        t0 = time.monotonic()
        fill(inst, a.messages)
        el = time.monotonic() - t0
        print("LMTP fill (4 connections, 1.5-20 KB): %.0f msg/s (%d in %.1f s) | -"
              % (a.messages / el, a.messages, el))
        port = inst.imap_port
        n = 20

        def logins():
            for _ in range(n):
                c = login(port)
                c.command("SELECT INBOX")
                c.command("LOGOUT")
                c.close()
        timed(inst, "LOGIN+SELECT+LOGOUT (%d)" % n, logins, n, "sessions")
        c = login(port)
        c.command("SELECT INBOX")
        timed(inst, "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)",
              lambda: c.command("UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"),
              a.messages, "msg")
        timed(inst, "UID FETCH 1:* BODY.PEEK[]", lambda: c.command("UID FETCH 1:* BODY.PEEK[]"),
              a.messages, "msg")
        timed(inst, "UID STORE 1:* +FLAGS.SILENT (\\Seen)",
              lambda: c.command("UID STORE 1:* +FLAGS.SILENT (\\Seen)"), a.messages, "msg")
        try:
            timed(inst, "UID SEARCH HEADER Subject needle",
                  lambda: c.command('UID SEARCH HEADER Subject "needle"'), a.messages, "msg")
        except RuntimeError as e:
            print("IMAP UID SEARCH HEADER: failed (%s) | -" % e)
        c.command("LOGOUT")
        c.close()
        concurrent(inst, port, a.clients, a.seconds, a.messages)
        idle_memory(inst, port, a.idle)
    finally:
        inst.stop()
        inst.cleanup()


if __name__ == "__main__":
    main()
