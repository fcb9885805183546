"""Helpers for the sendmail(1) tests: run the command (as another user or
under another name), read what it queued, and a scripted fake smtpd on
the submission socket for the replies a real one rarely gives."""

import os
import socket
import subprocess
import tempfile
import threading

import postern_test as pt

SENDMAIL = os.path.join(pt.BUILD, "sendmail")
QCHECK = os.path.join(pt.TESTBIN, "qcheck")

# sysexits.h
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_NOUSER = 67
EX_UNAVAILABLE = 69
EX_CANTCREAT = 73
EX_TEMPFAIL = 75
EX_PROTOCOL = 76
EX_NOPERM = 77
EX_CONFIG = 78

NOBODY = (65534, 65534)


def sendmail(confdir, *args, input=b"", argv0="sendmail", user=None, env=None,
             timeout=60):
    """Run sendmail -C confdir ARGS with input on stdin; argv0 names the
    program (mailq, newaliases); user=(uid, gid) runs it as that user."""
    preexec = None
    if user is not None:
        def preexec():
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run([argv0, "-C", confdir] + list(args), executable=SENDMAIL,
                          input=input, capture_output=True, timeout=timeout,
                          preexec_fn=preexec, env=env)


def qinfo(path):
    """qcheck's fields of one queue file: a dict, rcpt as a list."""
    r = subprocess.run([QCHECK, path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    words = r.stdout.split()
    assert words[0] == "OK", r.stdout
    out = dict(w.split("=", 1) for w in words[2:])
    out["rcpt"] = [a.strip("<>") for a in out["rcpt"].split(",")] if out["rcpt"] else []
    out["sender"] = out["sender"].strip("<>")
    return out


def content(path):
    """The message content (headers and body) of a queue file."""
    r = subprocess.run([QCHECK, "-c", path], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def header_body(data):
    """(header, body) of a message: bytes split at the first empty line."""
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data
    return head + b"\r\n", body


def fields(head, name):
    """The values of every field called name (unfolded, in order)."""
    out = []
    for f in head.replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t").split(b"\r\n"):
        n, colon, v = f.partition(b":")
        if colon and n.strip().lower() == name.lower().encode():
            out.append(v.strip())
    return out


class FakeSmtpd(threading.Thread):
    """One SMTP session on a unix socket with scripted replies.

    replies maps a verb (GREETING, EHLO, MAIL, RCPT, DATA, END for the end
    of the text, QUIT) to its reply text (CRLF added; several lines
    allowed), or to None to close the connection instead of answering.
    The commands and the raw message text are kept in self.commands and
    self.data."""

    EHLO = "250-fake.example\r\n250-8BITMIME\r\n250-SIZE 100000\r\n250-DSN\r\n250 SMTPUTF8"
    DEFAULTS = {"GREETING": "220 fake.example ESMTP", "EHLO": EHLO,
                "DATA": "354 go ahead", "END": "250 2.0.0 Ok: queued as FAKE",
                "QUIT": "221 2.0.0 Bye"}

    def __init__(self, path, replies=None):
        super().__init__(daemon=True)
        self.replies = dict(self.DEFAULTS)
        self.replies.update(replies or {})
        self.commands = []
        self.data = None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(60)

    def reply(self, f, verb):
        text = self.replies.get(verb, "250 2.0.0 Ok")
        if text is None:
            return False
        f.write(text.encode() + b"\r\n")
        f.flush()
        return True

    def run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(60)
        with conn, conn.makefile("rwb") as f:
            if not self.reply(f, "GREETING"):
                return
            while True:
                line = f.readline()
                if not line:
                    return
                self.commands.append(line.decode(errors="replace").rstrip("\r\n"))
                verb = line.split(b" ")[0].strip().upper().decode(errors="replace")
                if not self.reply(f, verb):
                    return
                if verb == "DATA" and self.replies["DATA"].startswith("354"):
                    data = b""
                    while not data.endswith(b"\r\n.\r\n") and data != b".\r\n":
                        chunk = f.readline()
                        if not chunk:
                            return
                        data += chunk
                    self.data = data
                    if not self.reply(f, "END"):
                        return
                if verb == "QUIT":
                    return

    def close(self):
        self.sock.close()


class ConfDir:
    """An instance directory with only postern.conf: no daemon runs."""

    def __init__(self, params=None):
        self.dir = tempfile.mkdtemp(prefix="postern-sm-")
        os.chmod(self.dir, 0o755)
        p = {"queue_directory": self.dir + "/queue", "data_directory": self.dir + "/data",
             "myhostname": "host.example", "myorigin": "origin.example"}
        p.update(params or {})
        os.makedirs(self.dir + "/queue/public")
        with open(os.path.join(self.dir, "postern.conf"), "w") as f:
            for k, v in p.items():
                f.write("%s = %s\n" % (k, v))
        self.socket = self.dir + "/queue/public/submit"

    def cleanup(self):
        subprocess.run(["rm", "-rf", self.dir], check=False)


class ConfDirTest(pt.InstanceTest):
    """A test with self.conf, a ConfDir removed after the test."""

    def setUp(self):
        super().setUp()
        self.conf = ConfDir()

    def tearDown(self):
        self.conf.cleanup()
        super().tearDown()
