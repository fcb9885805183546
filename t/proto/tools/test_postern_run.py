"""postern run --dir DIR creates a development instance on first use
(paths inside DIR, unprivileged loopback ports, a self-signed certificate)
and runs it in the foreground until Ctrl-C, leaving nothing behind."""

import imaplib
import poplib
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class PosternRun(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="postern-run-")
        # As root the daemons run as system users, who must reach it.
        os.chmod(self.top, 0o755)
        self.dir = os.path.join(self.top, "inst")

    def tearDown(self):
        for pid in pt.pids_with_arg(self.dir):
            os.kill(pid, signal.SIGKILL)
        if not os.environ.get("POSTERN_KEEP"):
            shutil.rmtree(self.top)

    def test_first_run_and_ctrl_c(self):
        log = open(os.path.join(self.top, "log"), "w+")
        # smtpd runs chrooted as in production.
        env = pt.CHROOT_ENV
        port = "smtp_listen=127.0.0.1:%d" % pt.free_port()
        sub, smtps = pt.free_port(), pt.free_port()
        lmtp, imap, imaps = pt.free_port(), pt.free_port(), pt.free_port()
        pop3, pop3s = pt.free_port(), pt.free_port()
        ports = ["-o", port, "-o", "submission_listen=127.0.0.1:%d" % sub,
                 "-o", "smtps_listen=127.0.0.1:%d" % smtps,
                 "-o", "lmtp_listen=127.0.0.1:%d" % lmtp,
                 "-o", "local_transport=lmtp:inet:127.0.0.1:%d" % lmtp,
                 "-o", "imap_listen=127.0.0.1:%d" % imap,
                 "-o", "imaps_listen=127.0.0.1:%d" % imaps,
                 "-o", "pop3_listen=127.0.0.1:%d" % pop3,
                 "-o", "pop3s_listen=127.0.0.1:%d" % pop3s]
        proc = subprocess.Popen([pt.POSTERN, "run", "--dir", self.dir, "-o",
                                 "myhostname=run.example"] + ports, stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL, env=env)
        pt.wait_for(lambda: os.path.exists(os.path.join(self.dir, "data/master.pid")),
                    what="master to start")
        # Submission offers STARTTLS with the generated certificate, and
        # 465 speaks TLS at once; the local submission socket is there.
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "tls/cert.pem"))
        ctx.check_hostname = False
        pt.wait_for(lambda: pt.try_connect_line(("127.0.0.1", sub)),
                    what="submission to answer")
        with smtplib.SMTP("127.0.0.1", sub, timeout=30) as s:
            s.starttls(context=ctx)
            s.ehlo("run.test")
            self.assertIn("PLAIN", s.esmtp_features.get("auth", ""))
        with smtplib.SMTP_SSL("127.0.0.1", smtps, timeout=30, context=ctx) as s:
            self.assertEqual(s.noop()[0], 250)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "queue/public/submit")))
        # LMTP on TCP, into a store owned by the store's user.
        pt.wait_for(lambda: pt.try_connect_line(("127.0.0.1", lmtp)), what="lmtpd to answer")
        with smtplib.LMTP("127.0.0.1", lmtp, timeout=30) as s:
            self.assertEqual(s.ehlo("run.test")[0], 250)
        self.assertTrue(os.path.isdir(os.path.join(self.dir, "data/store")))
        # The demo user: mail sent to it over SMTP is read over IMAP with
        # the password run printed (and keeps, private, in demo-password).
        pwfile = os.path.join(self.dir, "demo-password")
        self.assertEqual(os.stat(pwfile).st_mode & 0o777, 0o600)
        pw = open(pwfile).read().strip()
        self.assertGreaterEqual(len(pw), 16)
        pt.wait_for(lambda: pt.try_connect_line(("127.0.0.1", int(port.rsplit(":", 1)[1]))),
                    what="smtpd to answer")
        with smtplib.SMTP("127.0.0.1", int(port.rsplit(":", 1)[1]), timeout=30) as s:
            s.sendmail("someone@remote.test", ["demo@example.com"],
                       b"Subject: hello demo\r\n\r\nfirst message\r\n")
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", imap)) or "").startswith("* OK"),
                    what="imapd to answer")

        def inbox_has_it():
            with imaplib.IMAP4_SSL("127.0.0.1", imaps, ssl_context=ctx, timeout=30) as c:
                c.login("demo@example.com", pw)
                typ, data = c.select("INBOX", readonly=True)
                if int(data[0]) == 0:
                    return False
                typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                return b"Subject: hello demo" in data[0][1]
        pt.wait_for(inbox_has_it, what="the message in the demo user's INBOX")
        # And over POP3: STLS on one port, implicit TLS on the other.
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", pop3)) or "").startswith("+OK"),
                    what="pop3d to answer")
        p = poplib.POP3("127.0.0.1", pop3, timeout=30)
        p.stls(context=ctx)
        p.user("demo@example.com")
        p.pass_(pw)
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        p = poplib.POP3_SSL("127.0.0.1", pop3s, timeout=30, context=ctx)
        p.user("demo@example.com")
        p.pass_(pw)
        self.assertIn(b"Subject: hello demo", p.retr(1)[1])
        p.quit()
        # The commands run printed work as printed.
        log.seek(0)
        printed = {}
        for line in log.read().splitlines():
            for what in ("send it mail:", "read it:", "or over POP3:"):
                if line.startswith("postern: " + what):
                    printed[what] = line.split(what, 1)[1].strip()
        self.assertEqual(printed["send it mail:"],
                         "swaks --server 127.0.0.1:%s --to demo@example.com"
                         % port.rsplit(":", 1)[1])
        self.assertEqual(printed["read it:"],
                         "curl --insecure 'imaps://127.0.0.1:%d/INBOX;UID=1' "
                         "-u demo@example.com:%s" % (imaps, pw))
        self.assertEqual(printed["or over POP3:"],
                         "curl --insecure 'pop3s://127.0.0.1:%d/1' -u demo@example.com:%s"
                         % (pop3s, pw))
        for what in ("send it mail:", "read it:", "or over POP3:"):
            r = subprocess.run(printed[what], shell=True, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            if what != "send it mail:":
                self.assertIn("Subject: hello demo", r.stdout)
        conf = open(os.path.join(self.dir, "postern.conf")).read()
        for line in ("queue_directory = %s/queue" % self.dir,
                     "data_directory = %s/data" % self.dir,
                     "daemon_directory = %s" % pt.LIBEXEC,
                     "smtp_listen = 127.0.0.1:2525", "submission_listen = 127.0.0.1:2587",
                     "smtps_listen = 127.0.0.1:2465", "lmtp_listen = 127.0.0.1:2424",
                     "local_transport = lmtp:inet:127.0.0.1:2424",
                     "virtual_mailbox_domains = example.com",
                     "imap_listen = 127.0.0.1:2143", "imaps_listen = 127.0.0.1:2993",
                     "pop3_listen = 127.0.0.1:2110", "pop3s_listen = 127.0.0.1:2995"):
            self.assertIn(line + "\n", conf)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "master.conf")))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.dir, "tls/cert.pem"),
                            os.path.join(self.dir, "tls/key.pem"))
        self.assertEqual(os.stat(os.path.join(self.dir, "tls/key.pem")).st_mode & 0o777, 0o600)
        r = subprocess.run([pt.POSTERN, "-c", self.dir, "config", "myhostname"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotIn("run.example", r.stdout, "-o applies to that run only")
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(30), 0)
        log.seek(0)
        text = log.read()
        self.assertIn("postern: creating a development instance in " + self.dir, text)
        self.assertIn("postern: demo user demo@example.com, password %s\n" % pw, text)
        self.assertIn("stopped", text)
        self.assertEqual(pt.pids_with_arg(self.dir), [])

        # A second run reuses the instance and keeps the admin's edits.
        with open(os.path.join(self.dir, "postern.conf"), "a") as f:
            f.write("syslog_name = mine\n")
        proc = subprocess.Popen([pt.POSTERN, "run", "--dir", self.dir] + ports,
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        pt.wait_for(lambda: os.path.exists(os.path.join(self.dir, "data/master.pid")),
                    what="master to start again")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(30), 0)
        log.seek(0)
        text = log.read()
        self.assertEqual(text.count("creating a development instance"), 1)
        for bad in pt.BAD_LOG:
            self.assertNotIn(bad, text)
        self.assertIn("mine/master[", text)
        log.close()

    @unittest.skipUnless(os.geteuid() == 0, "only root's instances run as system users")
    def test_closed_directory(self):
        os.chmod(self.top, 0o700)
        r = subprocess.run([pt.POSTERN, "run", "--dir", self.dir], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("postern: %s is closed to other users (mode 700)" % self.top, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "postern.conf")))

    def test_bad_override(self):
        r = subprocess.run([pt.POSTERN, "run", "--dir", self.dir, "-o",
                            "master_stop_timeout=never"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("-o master_stop_timeout: bad time value", r.stderr)
        r = subprocess.run([pt.POSTERN, "run"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    pt.run()
