"""Independent IMAP clients from Debian against imapd: mbsync (isync)
syncs a 1,000-message mailbox down to a Maildir, then flag changes made on
either side reach the other on the next run; fetchmail in IMAP mode
downloads the messages to an MDA, keeping them with --keep and deleting
them without."""

import email
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "s3cret pass"
NMSG = 1000


def message(i):
    """Message i: distinct subject, a body of varied length, some 8-bit."""
    body = b"".join(b"line %d of message %d\r\n" % (k, i) for k in range(i % 40 + 1))
    if i % 7 == 0:
        body += "caf\u00e9 na\u00efve\r\n".encode()
    return (b"From: sender%d@remote.example\r\nTo: %s\r\nSubject: interop %d\r\n"
            b"Message-ID: <interop-%d@remote.example>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n" % (i, USER.encode(), i, i)) + body


class Interop(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=[(USER, PASSWORD)])
        self.instances.append(self.inst)
        self.inst.start()
        self.home = self.inst.path("home")
        os.makedirs(self.home)
        self.env = dict(os.environ, HOME=self.home)

    def deliver_all(self, n):
        c = self.inst.lmtp()
        for i in range(1, n + 1):
            c.mail("sender%d@remote.example" % i)
            c.rcpt(USER)
            self.assertEqual(pt.lmtp_data(c, message(i), 1)[0][0], 250)
        c.quit()

    def run_tool(self, argv):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=self.env,
                           cwd=self.home)
        return r

    # --- mbsync -------------------------------------------------------

    def mbsyncrc(self):
        rc = os.path.join(self.home, ".mbsyncrc")
        os.makedirs(os.path.join(self.home, "mail"), exist_ok=True)
        with open(rc, "w") as f:
            f.write("IMAPAccount postern\nHost localhost\nPort %d\nUser %s\nPass \"%s\"\n"
                    "SSLType IMAPS\nCertificateFile %s\n\n"
                    "IMAPStore remote\nAccount postern\n\n"
                    "MaildirStore local\nPath %s/mail/\nInbox %s/mail/INBOX\nSubFolders Verbatim\n\n"
                    "Channel sync\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\n"
                    "Expunge Both\nSync All\nSyncState *\n"
                    % (self.inst.imaps_port, USER, PASSWORD, self.inst.cert, self.home,
                       self.home))
        return rc

    def mbsync(self, rc):
        r = self.run_tool(["mbsync", "-c", rc, "-a"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("rror", r.stderr)
        self.assertNotIn("arning", r.stderr)
        return r

    def local_files(self, folder="INBOX"):
        """{subject number: (path, maildir flags)} of the local Maildir."""
        out = {}
        for p in glob.glob(os.path.join(self.home, "mail", folder, "cur", "*")) + \
                glob.glob(os.path.join(self.home, "mail", folder, "new", "*")):
            with open(p, "rb") as f:
                m = email.message_from_binary_file(f)
            n = int(m["Subject"].split()[-1])
            flags = p.rsplit(":2,", 1)[1] if ":2," in p else ""
            out[n] = (p, flags)
        return out

    def server_flags(self, c):
        """{subject number: set of flags} from the server."""
        typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK")
        out = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            n = int(re.search(rb"interop (\d+)", item[1]).group(1))
            out[n] = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
        return out

    def test_mbsync(self):
        self.deliver_all(NMSG)
        rc = self.mbsyncrc()
        self.mbsync(rc)
        local = self.local_files()
        self.assertEqual(sorted(local), list(range(1, NMSG + 1)))
        # Every message arrived whole (after the headers lmtpd adds; mbsync
        # stores LF line ends and adds its X-TUID header).
        for i in (1, 7, 500, NMSG):
            with open(local[i][0], "rb") as f:
                text = re.sub(rb"X-TUID: [^\n]*\n", b"", f.read())
            self.assertTrue(text.startswith(b"Return-Path: <sender%d@remote.example>\n" % i))
            self.assertTrue(text.endswith(b"\n" + message(i).replace(b"\r\n", b"\n")))
        # Local changes: seen on 1..10, flagged on 11; remote changes:
        # \Answered and \Flagged on 21..25 by another client.
        for i in range(1, 12):
            path, flags = local[i]
            new = "".join(sorted(set(flags) | {"S" if i <= 10 else "F"}))
            dest = os.path.join(os.path.dirname(os.path.dirname(path)), "cur",
                                os.path.basename(path).split(":2,")[0] + ":2," + new)
            os.rename(path, dest)
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        c.select("INBOX")
        byn = {}
        typ, data = c.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if isinstance(item, tuple):
                byn[int(re.search(rb"interop (\d+)", item[1]).group(1))] = \
                    int(re.search(rb"UID (\d+)", item[0]).group(1))
        uids = ",".join(str(byn[i]) for i in range(21, 26))
        self.assertEqual(c.uid("STORE", uids, "+FLAGS", "(\\Answered \\Flagged)")[0], "OK")
        self.mbsync(rc)
        flags = self.server_flags(c)
        for i in range(1, 11):
            self.assertIn("\\Seen", flags[i], i)
        self.assertIn("\\Flagged", flags[11])
        self.assertNotIn("\\Seen", flags[12])
        local = self.local_files()
        for i in range(21, 26):
            self.assertIn("R", local[i][1], i)
            self.assertIn("F", local[i][1], i)
        self.assertEqual(local[26][1].replace("S", ""), "")
        # A message deleted on the server disappears locally, and a new
        # one appears.
        c.uid("STORE", str(byn[30]), "+FLAGS", "(\\Deleted)")
        c.expunge()
        self.deliver_all_one(NMSG + 1)
        self.mbsync(rc)
        local = self.local_files()
        self.assertNotIn(30, local)
        self.assertIn(NMSG + 1, local)
        self.assertEqual(len(local), NMSG)
        c.logout()
        self.inst.check_log()

    def deliver_all_one(self, i):
        c = self.inst.lmtp()
        c.mail("x@remote.example")
        c.rcpt(USER)
        self.assertEqual(pt.lmtp_data(c, message(i), 1)[0][0], 250)
        c.quit()

    # --- fetchmail -----------------------------------------------------

    def fetchmail(self, keep):
        rc = os.path.join(self.home, ".fetchmailrc")
        out = os.path.join(self.home, "mbox")
        with open(rc, "w") as f:
            f.write("poll localhost via 127.0.0.1 protocol IMAP port %d\n"
                    "  user \"%s\" password \"%s\" is \"%s\" here\n"
                    "  ssl sslcertck sslcommonname localhost sslcertfile \"%s\"\n"
                    "  mda \"/bin/sh -c 'cat >> %s; echo ==END== >> %s'\"\n"
                    % (self.inst.imaps_port, USER, PASSWORD, "someone", self.inst.cert,
                       out, out))
        os.chmod(rc, 0o600)
        argv = ["fetchmail", "-f", rc, "--nodetach", "--nosyslog", "-a"]
        if keep:
            argv.append("--keep")
        r = self.run_tool(argv)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, "rb") as f:
            return f.read().split(b"==END==\n")[:-1]

    def count(self):
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        typ, data = c.select("INBOX", readonly=True)
        c.logout()
        return int(data[0])

    def test_fetchmail(self):
        n = 50
        self.deliver_all(n)
        got = self.fetchmail(keep=True)
        self.assertEqual(len(got), n)
        for i, text in enumerate(got, 1):
            self.assertIn(b"Subject: interop %d\r\n" % i, text.replace(b"\r\n", b"\n")
                          .replace(b"\n", b"\r\n"))
        self.assertEqual(self.count(), n)
        os.unlink(os.path.join(self.home, "mbox"))
        got = self.fetchmail(keep=False)
        self.assertEqual(len(got), n)
        self.assertEqual(self.count(), 0)
        self.inst.check_log()


if __name__ == "__main__":
    pt.run()
