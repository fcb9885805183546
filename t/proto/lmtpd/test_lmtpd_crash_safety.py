"""lmtpd killed with SIGKILL at random points of a stream of deliveries,
100 times (master restarts it): every message that got 250 is in its
mailbox exactly once, no message is there twice, UIDs follow the order
in which each sender's messages were acknowledged, and `postern store
check` finds every index entry's file (files of unacknowledged messages
may be left over: orphans, which the check removes)."""

import os
import random
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

KILLS = 100
USERS = ("alice@example.org", "bob@example.org")
# Message n of a sender has n bytes of body: its stored size names it.
BASE = 1000


def sender(inst, user, stop, acked, errors):
    n = 0
    while not stop.is_set():
        try:
            c = smtplib.LMTP(inst.lmtp_socket, timeout=30)
            c.ehlo_or_helo_if_needed()
            while not stop.is_set():
                n += 1
                c.mail("crash@remote.example")
                if c.rcpt(user)[0] != 250:
                    raise smtplib.SMTPException("rcpt")
                code, _ = c.data(b"Subject: crash\r\n\r\n" + b"x" * (BASE + n - 2) + b"\r\n")
                if code == 250:
                    acked.append(n)
                elif code != 451:
                    errors.append((user, n, code))
            c.quit()
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)


class CrashSafety(pt.InstanceTest):
    def test_sigkill_during_deliveries(self):
        inst = pt.LmtpdInstance(users=[(u, "pw") for u in USERS],
                                params={"service_restart_delay": "1s",
                                        "service_throttle_time": "1s"})
        self.instances.append(inst)
        inst.write_master(pt.AUTHD_MASTER +
                          "lmtp unix $lmtp_listen n 2 $store_owner lmtpd\n"
                          "lmtp-inet inet 127.0.0.1:%d n - $store_owner lmtpd\n"
                          % inst.lmtp_port)
        inst.start()
        stop = threading.Event()
        acked = {u: [] for u in USERS}
        errors = []
        threads = [threading.Thread(target=sender, args=(inst, u, stop, acked[u], errors))
                   for u in USERS]
        for t in threads:
            t.start()
        rng = random.Random(os.getpid())
        try:
            killed = set()
            while len(killed) < KILLS:
                time.sleep(rng.uniform(0.0, 0.25))
                pids = [p for p in inst.children("lmtp") if p not in killed]
                if not pids:
                    continue
                pid = rng.choice(pids)
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
                pt.wait_for(lambda: pid not in inst.children("lmtp"), timeout=30,
                            what="the killed lmtpd to go")
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        self.assertEqual(errors, [])
        total = 0
        for user in USERS:
            box = inst.mailbox(user)
            names = [size - BASE - len(b"Return-Path: <crash@remote.example>\r\n"
                                       b"Delivered-To: \r\n") - len(user) - 18
                     for _uid, size in box]
            self.assertEqual(len(set(names)), len(names), "a message stored twice")
            self.assertTrue(set(acked[user]) <= set(names),
                            "acknowledged but lost: %r" % sorted(set(acked[user]) - set(names)))
            uids = [uid for uid, _size in box]
            self.assertEqual(uids, sorted(uids))
            # The acknowledged ones got their UIDs in the order sent.
            order = [n for n in names if n in set(acked[user])]
            self.assertEqual(order, sorted(order))
            rep = inst.check_store(user)
            self.assertEqual(rep["missing"], 0, rep)
            self.assertEqual(rep["messages"], len(box), rep)
            total += len(acked[user])
        self.assertGreater(total, KILLS, "too few deliveries between the kills")
        self.assertGreaterEqual(inst.logtext().count("was killed by signal 9"), KILLS)


if __name__ == "__main__":
    pt.run()
