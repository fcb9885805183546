"""SMTP and LMTP load for make bench (t/bench/bench.py): the same code
drives Postern (smtpd, lmtpd) and the peers (Postfix's smtpd, Dovecot's
lmtp).

A raw-socket client, not smtplib: each message is one pipelined write of
MAIL, RCPT and DATA (every server here offers PIPELINING, RFC 2920), a
read of their three replies, one write of the text and the final dot, a
read of the reply.  Replies are read with a buffered readline in C, so a
message costs the client a few system calls and no parsing beyond the
reply code.  Threads share one list of messages; each keeps its
connection open for as long as there are messages left.

    send(target, messages, conns, lmtp=False) -> seconds
    idle_sessions(port, n) -> [sockets] after greeting and EHLO
    LogCounter(path, pattern): counts new log lines matching a pattern,
        reading only what was appended since the last call
"""

import re
import socket
import threading
import time


class ServerError(Exception):
    pass


class Body:
    """The text of messages of one size without keeping them all: the
    header differs, the body is shared."""

    def __init__(self, size):
        self.size = size
        self.body = (b"z" * 76 + b"\r\n") * max(1, (size - 200) // 78)

    def text(self, i, rcpt, tag):
        return (b"From: Bench Sender <sender@remote.test>\r\nTo: <%s>\r\n"
                b"Subject: bench %s %d\r\nMessage-ID: <%s.%d@remote.test>\r\n"
                b"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n"
                % (rcpt.encode(), tag.encode(), i, tag.encode(), i)) + self.body


def connect(target, timeout=120):
    if isinstance(target, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(target)
    else:
        s = socket.create_connection(target, timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Client:
    def __init__(self, target, lmtp=False):
        self.s = connect(target)
        self.f = self.s.makefile("rb", buffering=1 << 16)
        self.expect(220, "greeting")
        self.s.sendall(b"LHLO bench.test\r\n" if lmtp else b"EHLO bench.test\r\n")
        ehlo = self.reply()
        if ehlo[0] != 250:
            raise ServerError("EHLO: %r" % (ehlo,))
        self.pipelining = b"PIPELINING" in ehlo[1].upper()

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if len(line) < 4:
                raise ServerError("connection closed or bad reply %r" % line)
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    def expect(self, code, what):
        r = self.reply()
        if r[0] != code:
            raise ServerError("%s: %r" % (what, r[1][:300]))

    def deliver(self, sender, rcpt, text):
        cmds = [b"MAIL FROM:<%s>\r\n" % sender.encode(),
                b"RCPT TO:<%s>\r\n" % rcpt.encode(), b"DATA\r\n"]
        if self.pipelining:
            self.s.sendall(b"".join(cmds))
            for code, what in ((250, "MAIL"), (250, "RCPT"), (354, "DATA")):
                self.expect(code, what)
        else:
            for cmd, code in zip(cmds, (250, 250, 354)):
                self.s.sendall(cmd)
                self.expect(code, cmd[:4].decode())
        self.s.sendall(text + b".\r\n")
        self.expect(250, "end of data for %s" % rcpt)

    def quit(self):
        try:
            self.s.sendall(b"QUIT\r\n")
            self.reply()
        except (OSError, ServerError):
            pass
        self.s.close()


def send(target, jobs, conns, lmtp=False, sender="bench@remote.test"):
    """Deliver every job, (rcpt, text) or a callable returning it, over
    conns connections at once; seconds elapsed.  Raises on any refusal."""
    jobs = list(reversed(jobs))
    errors = []

    def worker():
        try:
            c = Client(target, lmtp)
            while True:
                try:
                    job = jobs.pop()
                except IndexError:
                    break
                rcpt, text = job() if callable(job) else job
                c.deliver(sender, rcpt, text)
            c.quit()
        except Exception as e:  # reported by the caller
            errors.append(e)
            jobs.clear()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise ServerError(str(errors[0]))
    return time.monotonic() - t0


def idle_sessions(port, n):
    """n SMTP sessions left open after the greeting and EHLO."""
    out = []
    for _ in range(n):
        c = Client(("127.0.0.1", port))
        out.append(c)
    return out


class LogCounter:
    """Counts lines matching pattern appended to a log file."""

    def __init__(self, path, pattern):
        self.path = path
        self.re = re.compile(pattern.encode())
        self.pos = 0
        self.rest = b""
        self.count = 0
        self.skip()

    def skip(self):
        """Forget what is already there."""
        self.poll()
        self.count = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return self.count
        self.pos += len(data)
        data = self.rest + data
        end = data.rfind(b"\n") + 1
        self.rest = data[end:]
        self.count += len(self.re.findall(data[:end]))
        return self.count

    def wait(self, n, timeout=900, interval=0.02):
        """Until n lines have matched; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.poll() < n:
            if time.monotonic() > deadline:
                return False
            time.sleep(interval)
        return True
