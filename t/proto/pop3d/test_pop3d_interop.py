"""fetchmail (an independent POP3 client) against pop3d over implicit
TLS: 500 messages downloaded to an MDA with --keep (all still on the
server), then a second run with UIDL tracking fetches only the messages
that arrived since, then a run without --keep (fetchall) downloads
everything and deletes it.  Every message arrives whole."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "s3cret pass"
NMSG = 500


def message(i):
    """Message i: distinct subject, varied length, some 8-bit, some dots."""
    body = b"".join(b"line %d of message %d\r\n" % (k, i) for k in range(i % 30 + 1))
    if i % 7 == 0:
        body += "caf\u00e9 na\u00efve\r\n".encode()
    if i % 5 == 0:
        body += b".a line with a dot\r\n.\r\n"
    return (b"From: sender%d@remote.example\r\nTo: %s\r\nSubject: interop %d\r\n"
            b"Message-ID: <pop-interop-%d@remote.example>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n" % (i, USER.encode(), i, i)) + body


class Fetchmail(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=[(USER, PASSWORD)])
        self.instances.append(self.inst)
        self.inst.start()
        self.home = self.inst.path("home")
        os.makedirs(self.home)
        self.env = dict(os.environ, HOME=self.home)
        self.out = os.path.join(self.home, "mbox")

    def deliver(self, lo, hi):
        c = self.inst.lmtp()
        for i in range(lo, hi + 1):
            c.mail("sender%d@remote.example" % i)
            c.rcpt(USER)
            self.assertEqual(pt.lmtp_data(c, message(i), 1)[0][0], 250)
        c.quit()

    def fetchmail(self, keep):
        """Run fetchmail once; the messages the MDA got, in order."""
        rc = os.path.join(self.home, ".fetchmailrc")
        with open(rc, "w") as f:
            f.write("set idfile \"%s/.fetchids\"\n"
                    "poll localhost via 127.0.0.1 protocol POP3 port %d uidl\n"
                    "  user \"%s\" password \"%s\" is \"%s\" here\n"
                    "  ssl sslcertck sslcommonname localhost sslcertfile \"%s\"\n"
                    "  mda \"/bin/sh -c 'cat >> %s; echo ==END== >> %s'\"\n"
                    % (self.home, self.inst.pop3s_port, USER, PASSWORD, "someone",
                       self.inst.cert, self.out, self.out))
        os.chmod(rc, 0o600)
        argv = ["fetchmail", "-f", rc, "--nodetach", "--nosyslog"]
        argv += ["--keep"] if keep else ["--nokeep", "--all"]
        if os.path.exists(self.out):
            os.unlink(self.out)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=self.env,
                           cwd=self.home)
        # 1: no new mail.
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        if not os.path.exists(self.out):
            return []
        with open(self.out, "rb") as f:
            return f.read().split(b"==END==\n")[:-1]

    def numbers(self, got):
        out = []
        for text in got:
            text = text.replace(b"\r\n", b"\n")
            n = int(text.split(b"Subject: interop ", 1)[1].split(b"\n", 1)[0])
            # The whole message, after the headers lmtpd and fetchmail add.
            self.assertTrue(text.endswith(message(n).replace(b"\r\n", b"\n")), n)
            out.append(n)
        return out

    def count(self):
        return len(self.inst.mailbox(USER))

    def test_fetchmail(self):
        self.deliver(1, NMSG)
        got = self.fetchmail(keep=True)
        self.assertEqual(self.numbers(got), list(range(1, NMSG + 1)))
        self.assertEqual(self.count(), NMSG)
        # Only the new ones, by UIDL.
        self.deliver(NMSG + 1, NMSG + 20)
        got = self.fetchmail(keep=True)
        self.assertEqual(self.numbers(got), list(range(NMSG + 1, NMSG + 21)))
        self.assertEqual(self.fetchmail(keep=True), [])
        self.assertEqual(self.count(), NMSG + 20)
        # Everything, deleted from the server this time.
        got = self.fetchmail(keep=False)
        self.assertEqual(sorted(self.numbers(got)), list(range(1, NMSG + 21)))
        self.assertEqual(self.count(), 0)
        self.assertIn("deleted %d messages" % (NMSG + 20), self.inst.logtext())


if __name__ == "__main__":
    pt.run()
