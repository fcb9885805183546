"""sendmail -bs speaks SMTP on standard input and output, relayed to
smtpd's local socket: a session driven step by step through pipes queues
a message recorded as local, from the submitting uid; a session written
all at once and then closed still gets every reply."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


class SmtpOnStdio(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True)
        self.instances.append(self.inst)
        self.inst.start()

    def start(self):
        return subprocess.Popen([st.SENDMAIL, "-C", self.inst.dir, "-bs"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def reply(self, p):
        """One whole reply (its lines) from p's standard output."""
        lines = []
        while True:
            line = p.stdout.readline()
            self.assertTrue(line.endswith(b"\r\n"), (lines, line))
            lines.append(line)
            if line[3:4] == b" ":
                return b"".join(lines)

    def say(self, p, text, want):
        p.stdin.write(text + b"\r\n")
        p.stdin.flush()
        r = self.reply(p)
        self.assertTrue(r.startswith(want), (text, r))
        return r

    def test_step_by_step(self):
        p = self.start()
        try:
            self.assertTrue(self.reply(p).startswith(b"220 "))
            ehlo = self.say(p, b"EHLO client.example", b"250")
            self.assertIn(b"8BITMIME", ehlo)
            self.say(p, b"MAIL FROM:<me@example.net>", b"250")
            self.say(p, b"RCPT TO:<nobody-here@example.org>", b"550")
            self.say(p, b"RCPT TO:<alice@example.org>", b"250")
            self.say(p, b"DATA", b"354")
            r = self.say(p, b"Subject: bs\r\n\r\n..dotted\r\n.", b"250")
            qid = r.split(b"queued as ")[1].strip().decode()
            self.say(p, b"QUIT", b"221")
            p.stdin.close()
            self.assertEqual(p.stdout.read(), b"")
            self.assertEqual(p.wait(30), 0)
            self.assertEqual(p.stderr.read(), b"")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        files = self.inst.queue_files()
        self.assertEqual([os.path.basename(f) for f in files], [qid])
        info = st.qinfo(files[0])
        self.assertEqual((info["uid"], info["proto"], info["sender"], info["rcpt"]),
                         (str(os.getuid()), "local", "me@example.net", ["alice@example.org"]))
        data = st.content(files[0])
        self.assertIn(b"(Postern, from userid %d)" % os.getuid(), data)
        self.assertTrue(data.endswith(b"\r\n\r\n.dotted\r\n"), data)

    def test_all_at_once_then_eof(self):
        session = (b"EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\n"
                   b"DATA\r\nSubject: burst\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        r = subprocess.run([st.SENDMAIL, "-C", self.inst.dir, "-bs"], input=session,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        codes = [line[:3] for line in r.stdout.split(b"\r\n") if line[3:4] == b" "]
        self.assertEqual(codes, [b"220", b"250", b"250", b"250", b"354", b"250", b"221"],
                         r.stdout)
        self.assertEqual(len(self.inst.queue_files()), 1)


if __name__ == "__main__":
    pt.run()
