"""IMAP load for make bench (t/bench/bench.py): the same code drives
Postern's imapd and Dovecot's imap.

The client is a raw socket, not imaplib: a command is one write, and its
response is read in chunks of up to 1 MB until the tagged reply, looking
only at the end of each chunk; nothing in the response is parsed beyond
what the workload needs.
So a command that returns 5,000 envelopes costs the client a few recv()
calls and the server the work.

    mailbox_message(i, user)  the text of message i of a benchmark
                          mailbox: 1.5 to 20 KB, one in 100 with "needle"
                          in its Subject (for the header SEARCH)
    Imap(port).command(text) -> the whole response (raises unless OK)
    imap_login(port, user, password)
    imap_sessions(...)    LOGIN + SELECT + LOGOUT, repeated
    imap_loop(conns, ...) connections looping SELECT + UID FETCH of headers
    imap_idle(...)        connections left logged in, in IDLE
"""

import socket
import threading
import time


class ServerError(Exception):
    pass


def mailbox_message(i, user):
    size = (1500, 3000, 6000, 20000)[i % 4]
    body = (b"%06d " % i) + b"x" * 70 + b"\r\n"
    return (b"From: Sender %d <sender%d@remote.test>\r\nTo: %s\r\n"
            b"Subject: bench message %d %s\r\nMessage-ID: <m%d@remote.test>\r\n"
            b"Date: Mon, 2 Nov 2026 10:%02d:00 +0000\r\n\r\n"
            % (i, i % 97, user.encode(), i, b"needle" if i % 100 == 0 else b"hay",
               i, i % 60)
            + body * (size // len(body)))


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=300)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Imap:
    """A minimal IMAP client: command() returns the whole response."""

    def __init__(self, port):
        self.s = connect(port)
        self.n = 0
        self.read_line()

    def read_line(self):
        out = bytearray()
        while not out.endswith(b"\r\n"):
            chunk = self.s.recv(4096)
            if not chunk:
                raise ServerError("the IMAP server closed the connection")
            out += chunk
        return bytes(out)

    def command(self, text):
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = bytearray()
        while True:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise ServerError("the IMAP server closed the connection")
            out += chunk
            if not out.endswith(b"\r\n"):
                continue
            at = out.rfind(b"\r\n", 0, len(out) - 2)
            last = out[at + 2:] if at != -1 else out
            if last.startswith(tag + b" "):
                if not last.startswith(tag + b" OK"):
                    raise ServerError("%s: %s" % (text, bytes(last[:200])))
                return bytes(out)

    def idle(self):
        self.n += 1
        self.s.sendall(b"b%d IDLE\r\n" % self.n)
        line = self.read_line()
        if not line.startswith(b"+"):
            raise ServerError("IDLE: %r" % line[:200])

    def close(self):
        self.s.close()


def imap_login(port, user, password):
    c = Imap(port)
    c.command('LOGIN "%s" "%s"' % (user, password))
    return c


def imap_sessions(port, user, password, n):
    """n times LOGIN, SELECT INBOX, LOGOUT."""
    for _ in range(n):
        c = imap_login(port, user, password)
        c.command("SELECT INBOX")
        c.command("LOGOUT")
        c.close()


def imap_loop(conns, seconds, nmsg):
    """Each of conns (logged in) loops SELECT INBOX + UID FETCH of 50
    messages' (UID FLAGS RFC822.SIZE ENVELOPE) for seconds, all at once;
    the number of commands answered.  Logs the connections out."""
    counts = [0] * len(conns)
    errors = []
    start = threading.Barrier(len(conns))

    def loop(k):
        c = conns[k]
        try:
            start.wait()
            stop = time.monotonic() + seconds
            lo = 1 + (k * 50) % max(1, nmsg - 50)
            while time.monotonic() < stop:
                c.command("SELECT INBOX")
                c.command("UID FETCH %d:%d (UID FLAGS RFC822.SIZE ENVELOPE)"
                          % (lo, lo + 49))
                counts[k] += 2
                lo = lo + 50 if lo + 99 <= nmsg else 1
            c.command("LOGOUT")
        except Exception as e:  # reported below
            errors.append(e)
        c.close()
    ts = [threading.Thread(target=loop, args=(k,)) for k in range(len(conns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise ServerError(str(errors[0]))
    return sum(counts)


def imap_idle(port, user, password, n):
    """n connections logged in, INBOX selected, in IDLE."""
    out = []
    for _ in range(n):
        c = imap_login(port, user, password)
        c.command("SELECT INBOX")
        c.idle()
        out.append(c)
    return out
