"""Fault injection: 20 SMTP senders keep sending for a minute while a
random one of smtpd, qmgr, the LMTP delivery agent, lmtpd and imapd is
killed with SIGKILL every few seconds (master restarts it), and IMAP
clients keep reading.  At the end every message that smtpd acknowledged
with 250 is in its mailbox (duplicates are counted and reported, not
failed: a delivery agent killed after lmtpd's 250 and before qmgr heard
of it delivers again), `postern store check` finds the index consistent
(and no more orphan files than lmtpd's kills can explain),
the queue is empty, no service was throttled and the sanitizers
reported nothing."""

import imaplib
import os
import random
import re
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("u%d@example.org" % i, "pw%d" % i) for i in range(10)]
SENDERS = 20
LOAD_SECONDS = float(os.environ.get("POSTERN_FAULT_SECONDS", "60"))
# master.conf service names of what gets killed.
VICTIMS = ["smtp", "qmgr", "delivery-lmtp", "lmtp", "imap"]


class Faults(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.imap_port = pt.free_port()
        self.inst = pt.MailInstance(users=USERS, params={
            "auth_allow_plaintext": "yes", "log_level": "info",
            # Back-offs short enough that what a kill deferred is retried
            # within the test.
            "minimal_backoff_time": "1s", "maximal_backoff_time": "2s"})
        self.instances.append(self.inst)
        with open(self.inst.path("master.conf")) as f:
            text = f.read()
        self.inst.write_master(text + "imap inet 127.0.0.1:%d n - $store_owner imapd\n"
                               % self.imap_port)
        self.inst.start()
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", self.imap_port)) or "")
                    .startswith("* OK"), what="imapd to answer")
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}         # token -> user
        self.kills = []

    def sender(self, k):
        rnd = random.Random(k)
        seq = 0
        c = None
        while not self.stop.is_set():
            try:
                if c is None:
                    c = smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=30)
                seq += 1
                token = "t%d-%d" % (k, seq)
                user = USERS[rnd.randrange(len(USERS))][0]
                body = ("Subject: fault %s\r\nMessage-ID: <%s@faults.test>\r\n\r\n"
                        "token %s\r\n" % (token, token, token)).encode()
                c.sendmail("sender@remote.test", [user], body)
                with self.lock:
                    self.acked[token] = user
            except (smtplib.SMTPException, OSError):
                # smtpd was killed (or refused while it restarts): what was
                # not acknowledged does not count.
                try:
                    if c is not None:
                        c.close()
                except OSError:
                    pass
                c = None
                time.sleep(0.1)
        if c is not None:
            try:
                c.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def reader(self, k):
        user, pw = USERS[k % len(USERS)]
        while not self.stop.is_set():
            try:
                c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
                c.login(user, pw)
                c.select("INBOX")
                for _ in range(20):
                    if self.stop.is_set():
                        break
                    c.noop()
                    c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                c.logout()
            except (imaplib.IMAP4.error, imaplib.IMAP4.abort, OSError, EOFError):
                time.sleep(0.1)

    def killer(self):
        rnd = random.Random(1)
        while not self.stop.wait(rnd.uniform(2.0, 4.0)):
            service = rnd.choice(VICTIMS)
            pids = self.inst.children(service)
            if not pids:
                continue
            pid = rnd.choice(pids)
            try:
                os.kill(pid, signal.SIGKILL)
                self.kills.append(service)
            except ProcessLookupError:
                pass

    def tokens(self, user, pw):
        """{token: copies} of user's INBOX, read over IMAP."""
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=60)
        c.login(user, pw)
        typ, data = c.select("INBOX", readonly=True)
        out = {}
        if int(data[0]) > 0:
            typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            self.assertEqual(typ, "OK")
            for item in data:
                if isinstance(item, tuple):
                    m = re.search(rb"fault (t\d+-\d+)", item[1])
                    if m:
                        t = m.group(1).decode()
                        out[t] = out.get(t, 0) + 1
        c.logout()
        return out

    def test_kill_under_load(self):
        threads = [threading.Thread(target=self.sender, args=(k,)) for k in range(SENDERS)]
        threads += [threading.Thread(target=self.reader, args=(k,)) for k in range(3)]
        threads.append(threading.Thread(target=self.killer))
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        self.stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(self.acked), 100, "the load ran")
        self.assertGreaterEqual(len(self.kills), LOAD_SECONDS / 5, "the killer ran")
        # Everything drains: the services are back (the queue empties and
        # imapd answers).
        pt.wait_for(self.inst.queue_empty, timeout=180, what="the queue to empty")
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", self.imap_port)) or "")
                    .startswith("* OK"), what="imapd to answer")
        missing, dups = [], 0
        for user, pw in USERS:
            got = self.tokens(user, pw)
            for token, u in self.acked.items():
                if u == user and token not in got:
                    missing.append(token)
            dups += sum(n - 1 for n in got.values())
        log = self.inst.logtext()
        print("# %d messages acknowledged, %d kills (%s), %d duplicates delivered"
              % (len(self.acked), len(self.kills),
                 ", ".join("%s %d" % (s, self.kills.count(s)) for s in VICTIMS), dups))
        self.assertEqual(missing, [], "acknowledged messages missing")
        # The index is consistent.  An lmtpd killed between writing a
        # message file and committing the index leaves that file behind,
        # never acknowledged (postern-store(5)): the check finds no more
        # than one per worker thread (8) per kill, removes them, and a
        # second check is clean.
        orphans = 0
        for user, _pw in USERS:
            report = self.inst.check_store(user)
            self.assertEqual((report["missing"], report["bad_counters"]), (0, 0), user)
            orphans += report["orphans"]
            self.assertEqual(self.inst.check_store(user),
                             {"messages": report["messages"], "orphans": 0, "missing": 0,
                              "bad_counters": 0}, user)
        self.assertLessEqual(orphans, 8 * self.kills.count("lmtp"))
        self.assertNotIn("throttling", log)
        self.inst.check_log()


if __name__ == "__main__":
    pt.run()
