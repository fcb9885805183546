"""A raw SMTP client for tests that send what smtplib will not."""

import socket


class RawSMTP:
    def __init__(self, port, timeout=30, ctx=None, greet=True, source=None):
        """ctx: an ssl context for implicit TLS (port 465); source: the
        client's own address (e.g. "127.0.0.2": all of 127/8 is local)."""
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout,
            source_address=(source, 0) if source else None)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        self.greeting = self.reply() if greet else None

    def starttls(self, ctx):
        """TLS on the connection, after a 220 to STARTTLS."""
        assert not self.buf, "plaintext left unread before TLS"
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One reply: (code, [lines]); (None, []) at end of file."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None, lines
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        self.sock.close()
