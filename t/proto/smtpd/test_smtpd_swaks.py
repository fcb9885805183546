"""swaks, an independent SMTP client, against smtpd: a message to a local
user is queued with its envelope and text intact, also pipelined and with
an 8-bit body; a message to an unknown local user is refused with
550 5.1.1 and swaks says so in its exit status."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

# swaks's exit status when the server accepted no recipient (swaks(1)).
SWAKS_NO_RCPT = 24


def qcheck(paths):
    return subprocess.run([os.path.join(pt.TESTBIN, "qcheck")] + paths,
                          capture_output=True, text=True, timeout=60)


class Swaks(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        # A missing client is a broken test machine, not a reason to skip:
        # `make deps` installs swaks.
        self.swaks = shutil.which("swaks")
        self.assertIsNotNone(self.swaks, "swaks is not installed (make deps)")
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(self.inst)
        try:
            self.inst.start()
        except BaseException:
            self.tearDown()     # unittest does not when setUp fails
            raise

    def run_swaks(self, *args):
        """Run swaks against the instance; return (status, transcript)."""
        argv = [self.swaks, "--server", "127.0.0.1", "--port", str(self.inst.smtp_port),
                "--helo", "client.example", "--from", "bob@remote.example",
                "--timeout", "60"] + list(args)
        r = subprocess.run([a.encode() if isinstance(a, str) else a for a in argv],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def queued(self, transcript):
        """The queue id of swaks's one 250, and its one queue file."""
        ids = re.findall(r"^<-  250 2\.0\.0 Ok: queued as (\S+)$", transcript, re.M)
        self.assertEqual(len(ids), 1, transcript)
        files = self.inst.queue_files()
        self.assertEqual([os.path.basename(f) for f in files], ids)
        r = qcheck(files)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn(" sender=<bob@remote.example> rcpt=<alice@example.org> ", r.stdout)
        self.assertIn(" nrcpt=1 ", r.stdout)
        with open(files[0], "rb") as f:
            return ids[0], f.read()

    def test_local_user(self):
        status, out = self.run_swaks("--to", "alice@example.org",
                                     "--header", "Subject: swaks plain",
                                     "--body", "first line\n.dot line\nlast line")
        self.assertEqual(status, 0, out)
        qid, data = self.queued(out)
        self.assertIn(("Received: from client.example (%s [127.0.0.1])\r\n\tby "
                      % (pt.hosts_name("127.0.0.1") or "unknown")).encode(), data)
        self.assertIn(b" id " + qid.encode() + b"\r\n\tfor <alice@example.org>; ", data)
        self.assertIn(b"\r\nSubject: swaks plain\r\n", data)
        self.assertIn(b"\r\nTo: alice@example.org\r\n", data)
        # swaks dot-stuffed the second line; smtpd undid it exactly.
        self.assertIn("\n -> ..dot line\r\n", out)
        self.assertIn(b"\r\n\r\nfirst line\r\n.dot line\r\nlast line\r\n", data)
        self.assertIn("%s: from=<bob@remote.example>" % qid, self.inst.logtext())

    def test_unknown_user_refused(self):
        status, out = self.run_swaks("--to", "nobody@example.org")
        self.assertEqual(status, SWAKS_NO_RCPT, out)
        self.assertRegex(out, r"(?m)^<\*\* 550 5\.1\.1 .*User unknown")
        self.assertNotIn("queued as", out)
        self.assertEqual(self.inst.queue_files(), [])
        # smtpd went on serving: the next message gets through.
        status, out = self.run_swaks("--to", "alice@example.org")
        self.assertEqual(status, 0, out)
        self.queued(out)

    def test_pipeline(self):
        status, out = self.run_swaks("--to", "alice@example.org", "--pipeline",
                                     "--header", "Subject: swaks pipelined",
                                     "--body", "pipelined body")
        self.assertEqual(status, 0, out)
        # swaks really pipelined: MAIL, RCPT and DATA went out together,
        # before the first of their replies came back.
        self.assertRegex(out, r"(?m)^ -> MAIL FROM:<bob@remote\.example>\n"
                              r" -> RCPT TO:<alice@example\.org>\n -> DATA\n"
                              r"<-  250 2\.1\.0 .*\n<-  250 2\.1\.5 .*\n<-  354 ")
        _qid, data = self.queued(out)
        self.assertIn(b"\r\nSubject: swaks pipelined\r\n", data)
        self.assertIn(b"\r\n\r\npipelined body\r\n", data)

    def test_8bit_body(self):
        # UTF-8 text and bytes that are not UTF-8 at all (Latin-1): both
        # are stored byte for byte.
        body = "Gr\u00fc\u00dfe, caf\u00e9 \u2713\n".encode() + b"latin-1: Gr\xfc\xdfe \xe9t\xe9\xff"
        status, out = self.run_swaks("--to", "alice@example.org",
                                     "--header", "Subject: swaks 8bit",
                                     "--body", body)
        self.assertEqual(status, 0, out)
        _qid, data = self.queued(out)
        self.assertIn(b"\r\n\r\n" + body.replace(b"\n", b"\r\n") + b"\r\n", data)


if __name__ == "__main__":
    pt.run()
