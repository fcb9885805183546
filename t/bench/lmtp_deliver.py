"""Benchmark (not run by make check): LMTP deliveries per second into the
store, 2 KB and 50 KB messages, 20 concurrent connections over lmtpd's
unix socket, each delivering to its own user (and, with --one-user, all
to the same one).  Every delivery is a durable store_append (fsync)
before its 250.

    python3 t/bench/lmtp_deliver.py [--seconds N] [--connections N] [--one-user]

Uses the build in build/ (POSTERN_BUILD to change it); prints one line a
message size: deliveries/s, MB/s, and the 50th and 99th percentile
latency of one transaction (MAIL to the reply after the data)."""

import argparse
import os
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402


def client(inst, user, body, deadline, out):
    lat = []
    c = smtplib.LMTP(inst.lmtp_socket, timeout=60)
    c.ehlo_or_helo_if_needed()
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        c.mail("bench@remote.example")
        c.rcpt(user)
        code, _ = c.data(body)
        if code != 250:
            raise RuntimeError("delivery refused: %d" % code)
        lat.append(time.monotonic() - t0)
    c.quit()
    out.append(lat)


def run(inst, users, size, seconds, conns):
    body = b"Subject: bench\r\n\r\n" + (b"y" * 76 + b"\r\n") * (size // 78)
    out = []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client,
                                args=(inst, users[i % len(users)], body, deadline, out))
               for i in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat = sorted(x for lst in out for x in lst)
    n = len(lat)
    print("%3d KB x %d connections: %6.0f deliveries/s, %6.1f MB/s, "
          "latency p50 %.1f ms, p99 %.1f ms (%d in %.1f s)"
          % (size // 1024, conns, n / elapsed, n * len(body) / elapsed / 1e6,
             lat[n // 2] * 1000, lat[int(n * 0.99)] * 1000, n, elapsed))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--one-user", action="store_true")
    a = ap.parse_args()
    nusers = 1 if a.one_user else a.connections
    users = ["u%d@example.org" % i for i in range(nusers)]
    inst = pt.LmtpdInstance(users=[(u, "pw") for u in users])
    try:
        inst.start()
        for size in (2 * 1024, 50 * 1024):
            run(inst, users, size, a.seconds, a.connections)
    finally:
        inst.stop()
        inst.cleanup()


if __name__ == "__main__":
    main()
