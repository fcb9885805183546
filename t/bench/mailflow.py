"""Benchmark (make bench, not make check): messages per second end to end.

  1. SMTP in -> qmgr -> LMTP agent -> lmtpd -> store: 2 KB (and 50 KB)
     messages from 20 concurrent SMTP connections, recipients spread over
     100 users; the clock runs from the first MAIL until qmgr has logged
     the last "status=sent" (lmtpd answers 250 only once the message is
     on disk in the store).
  2. Relay: SMTP in -> qmgr -> SMTP agent -> a test SMTP server on
     loopback (t/lib/smtpsink.py, python: it may be the limit).

    python3 t/bench/mailflow.py [--messages N] [--connections N]

Prints one line a workload with the rate and the peak RSS (VmHWM) of
smtpd, qmgr, delivery and lmtpd."""

import argparse
import os
import re
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402


def sender(port, jobs, body):
    c = smtplib.SMTP("127.0.0.1", port, timeout=120)
    while True:
        try:
            rcpt = jobs.pop()
        except IndexError:
            break
        c.sendmail("bench@remote.test", [rcpt], body)
    c.quit()


def peak_rss(inst):
    out = []
    for name in ("smtpd", "qmgr", "delivery", "lmtpd"):
        kb = 0
        for pid in inst.children():
            cmd = pt.proc_cmdline(pid) or []
            if cmd and os.path.basename(cmd[0].decode()) == name:
                with open("/proc/%d/status" % pid) as f:
                    m = re.search(r"VmHWM:\s+(\d+)", f.read())
                    kb = max(kb, int(m.group(1)) if m else 0)
        out.append("%s %d MB" % (name, kb // 1024))
    return ", ".join(out)


def run(inst, label, rcpts, size, conns, done_pattern):
    body = b"Subject: bench\r\n\r\n" + (b"z" * 76 + b"\r\n") * (size // 78)
    jobs = list(rcpts)
    def count():
        return len(re.findall(done_pattern, inst.logtext()))

    before = count()
    t0 = time.monotonic()
    threads = [threading.Thread(target=sender, args=(inst.smtp_port, jobs, body))
               for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = time.monotonic() - t0
    pt.wait_for(lambda: count() - before >= len(rcpts),
                timeout=600, what="every message delivered")
    elapsed = time.monotonic() - t0
    print("%s, %d KB x %d: %.0f msg/s (%d in %.1f s; smtpd accepted all in %.1f s) | "
          "%s" % (label, size // 1024, len(rcpts), len(rcpts) / elapsed, len(rcpts),
                  elapsed, accepted, peak_rss(inst)))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=20)
    a = ap.parse_args()
    users = ["u%d@example.org" % i for i in range(100)]
    sink = SmtpSink()
    sink.start()
    inst = pt.MailInstance(users=[(u, "pw") for u in users], params={
        "transport_maps": "inline:{remote.test=smtp:[127.0.0.1]:%d}" % sink.port,
        "log_level": "info"})
    try:
        inst.start()
        for size in (2 * 1024, 50 * 1024):
            rcpts = [users[i % len(users)] for i in range(a.messages)]
            run(inst, "SMTP to mailbox", rcpts, size, a.connections,
                r"relay=localhost\[[^]]*lmtp\].*status=sent")
        rcpts = ["r%d@remote.test" % i for i in range(a.messages)]
        run(inst, "SMTP relay to a sink", rcpts, 2 * 1024, a.connections,
            r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent")
    finally:
        inst.stop()
        inst.cleanup()
        sink.stop()


if __name__ == "__main__":
    main()
