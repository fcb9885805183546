"""POP3 load for make bench (t/bench/bench.py): the same code drives
Postern's pop3d and Dovecot's pop3.

A raw-socket client, not poplib: a command is one write, and its response
is read in chunks of up to 1 MB until its end (CRLF, or CRLF.CRLF for a
multi-line one), looking only at the end of each chunk.

    Pop3(port).command(text, multi) -> the whole response (raises on -ERR)
    pop3_download(...)    USER/PASS, STAT, UIDL, RETR of every message
"""

from loadimap import ServerError, connect


class Pop3:
    """A minimal POP3 client: command() returns the whole response."""

    def __init__(self, port):
        self.s = connect(port)
        self.read(False)

    def read(self, multi):
        end = b"\r\n.\r\n" if multi else b"\r\n"
        out = bytearray()
        while True:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise ServerError("the POP3 server closed the connection")
            out += chunk
            if not out.startswith(b"+OK"):
                if out.endswith(b"\r\n"):
                    raise ServerError(bytes(out[:200]))
                continue
            if out.endswith(end) and (multi or out.count(b"\r\n") == 1):
                return bytes(out)

    def command(self, text, multi=False):
        self.s.sendall(text.encode() + b"\r\n")
        return self.read(multi)

    def close(self):
        self.s.close()


def pop3_download(port, user, password, nmsg):
    """USER/PASS, STAT, UIDL, RETR of every message, QUIT; bytes read."""
    c = Pop3(port)
    c.command("USER " + user)
    c.command("PASS " + password)
    n = int(c.command("STAT").split()[1])
    if n != nmsg:
        raise ServerError("%s has %d messages, not %d" % (user, n, nmsg))
    got = len(c.command("UIDL", True))
    for i in range(1, n + 1):
        got += len(c.command("RETR %d" % i, True))
    c.command("QUIT")
    c.close()
    return got
