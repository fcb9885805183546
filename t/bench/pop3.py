"""Benchmark (make bench, not make check): pop3d on 1,000-message
mailboxes.

  1. USER/PASS + QUIT, repeated (sessions per second).
  2. One session: USER/PASS + STAT + UIDL + RETR of every message + QUIT.
  3. The same in 50 concurrent sessions, each on its own user's
     1,000-message mailbox (a mailbox takes one POP3 session at a time).

    python3 t/bench/pop3.py [--messages N] [--clients N]

The load generator is a raw-socket client (no poplib parsing) that sends
one command and reads up to the end of its response; while it runs, its
own CPU time is printed next to pop3d's, which shows which side is the
limit."""

import argparse
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402

PASSWORD = "bench pass"


def user(k):
    return "bench%d@example.org" % k


class Raw:
    """A minimal POP3 client: command() returns the whole response."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.read(False)

    def read(self, multi):
        end = b"\r\n.\r\n" if multi else b"\r\n"
        out = bytearray()
        while True:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError("pop3d closed the connection")
            out += chunk
            if not out.startswith(b"+OK"):
                if out.endswith(b"\r\n"):
                    raise RuntimeError(bytes(out[:200]))
                continue
            if out.endswith(end) and (multi or out.count(b"\r\n") == 1):
                return bytes(out)

    def command(self, text, multi=False):
        self.s.sendall(text.encode() + b"\r\n")
        return self.read(multi)

    def close(self):
        self.s.close()


def message(i):
    size = (1500, 3000, 6000, 20000)[i % 4]
    body = (b"%06d " % i) + b"x" * 70 + b"\r\n"
    return (b"From: Sender %d <sender%d@remote.example>\r\nTo: you\r\n"
            b"Subject: bench message %d\r\nMessage-ID: <p%d@remote.example>\r\n"
            b"Date: Mon, 2 Nov 2026 10:%02d:00 +0000\r\n\r\n"
            % (i, i % 97, i, i, i % 60) + body * (size // len(body)))


def fill(inst, n, users):
    """n messages, each to every user in one LMTP transaction."""
    def worker(lo, hi):
        c = inst.lmtp()
        for i in range(lo, hi):
            c.mail("sender@remote.example")
            for u in users:
                c.rcpt(u)
            if any(r[0] != 250 for r in pt.lmtp_data(c, message(i), len(users))):
                raise RuntimeError("delivery %d refused" % i)
        c.quit()
    step = (n + 3) // 4
    ts = [threading.Thread(target=worker, args=(k, min(n, k + step))) for k in range(0, n, step)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def pop3d_pids(inst):
    out = []
    for pid in inst.children():
        cmd = pt.proc_cmdline(pid) or []
        if cmd and os.path.basename(cmd[0].decode()) == "pop3d":
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
    rss = max(status_kb(p, "VmHWM") for p in pop3d_pids(inst))
    print("POP3 %s: %s (%.2f s; pop3d CPU %.2f s, client CPU %.2f s) | pop3d %d MB"
          % (label, rate, elapsed, server_cpu, client_cpu, rss // 1024))
    sys.stdout.flush()


def measured(inst, fn):
    pids = pop3d_pids(inst)
    s0, c0, t0 = cpu_s(pids), time.process_time(), time.monotonic()
    fn()
    return time.monotonic() - t0, cpu_s(pids) - s0, time.process_time() - c0


def login(port, k):
    c = Raw(port)
    c.command("USER " + user(k))
    c.command("PASS " + PASSWORD)
    return c


def download(port, k, nmsg):
    """LOGIN + STAT + UIDL + RETR of every message + QUIT; bytes read."""
    c = login(port, k)
    n = int(c.command("STAT").split()[1])
    if n != nmsg:
        raise RuntimeError("%s has %d messages, not %d" % (user(k), n, nmsg))
    c.command("UIDL", True)
    got = 0
    for i in range(1, n + 1):
        got += len(c.command("RETR %d" % i, True))
    c.command("QUIT")
    c.close()
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    a = ap.parse_args()
    users = [user(k) for k in range(a.clients)]
    inst = pt.Pop3dInstance(users=[(u, PASSWORD) for u in users], params={
        "log_level": "info", "auth_allow_plaintext": "yes",
        "pop3d_client_connection_limit": "0"})
    try:
        inst.start()
        t0 = time.monotonic()
        fill(inst, a.messages, users)
        el = time.monotonic() - t0
        print("LMTP fill for POP3 (4 connections, %d recipients, 1.5-20 KB): %.0f msg/s "
              "(%d in %.1f s) | -" % (a.clients, a.messages * a.clients / el,
                                      a.messages * a.clients, el))
        port = inst.pop3_port
        n = 20

        def logins():
            for _ in range(n):
                c = login(port, 0)
                c.command("QUIT")
                c.close()
        el, scpu, ccpu = measured(inst, logins)
        row("USER/PASS+QUIT (%d, %d-message mailbox)" % (n, a.messages),
            "%.0f sessions/s" % (n / el), inst, scpu, ccpu, el)
        size = [0]

        def one():
            size[0] = download(port, 0, a.messages)
        el, scpu, ccpu = measured(inst, one)
        row("LOGIN+STAT+UIDL+RETR all (%d msg, %.1f MB)" % (a.messages, size[0] / 1e6),
            "%.0f msg/s, %.1f MB/s" % (a.messages / el, size[0] / 1e6 / el),
            inst, scpu, ccpu, el)
        sizes = [0] * a.clients
        errors = []

        def worker(k):
            try:
                sizes[k] = download(port, k, a.messages)
            except Exception as e:  # reported below
                errors.append("%s: %s" % (user(k), e))

        def many():
            ts = [threading.Thread(target=worker, args=(k,)) for k in range(a.clients)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        el, scpu, ccpu = measured(inst, many)
        if errors:
            print("POP3 %d concurrent sessions: failed (%s) | -" % (a.clients, errors[0]))
        else:
            total = a.messages * a.clients
            row("%d concurrent sessions LOGIN+STAT+UIDL+RETR all (%d msg, %.0f MB)"
                % (a.clients, total, sum(sizes) / 1e6),
                "%.0f msg/s, %.1f MB/s" % (total / el, sum(sizes) / 1e6 / el),
                inst, scpu, ccpu, el)
    finally:
        inst.stop()
        inst.cleanup()


if __name__ == "__main__":
    main()
