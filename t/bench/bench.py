"""make bench: Postern's throughput and memory in one table, and with
PEERS=1 the same workloads, in the same run, against Postfix + Dovecot.

    python3 t/bench/bench.py [--peers DIR] [--quick] [--only ROWS]
                             [--dovecot-format maildir|mdbox]

(make bench runs it on the release build, make bench PEERS=1 with the
peers unpacked by build-aux/peers.sh into build/peers.)  Figures, not
pass/fail: nothing here fails because a number is low.

Rows (each a rate, and the peak memory of the server side while it ran):
  1  SMTP to mailbox: 5,000 messages of 2 KB, then 5,000 of 50 KB, over 20
     connections, to 100 users; the clock stops when the last message is
     in the store (Postern: qmgr logs status=sent after lmtpd's 250;
     peers: Postfix logs status=sent after Dovecot's lmtp said 250).
  2  LMTP direct: the same messages over 20 connections on the unix socket
     of lmtpd / Dovecot's lmtp; and the 5,000 messages (1.5-20 KB) of the
     IMAP mailbox into that one mailbox over 4 connections, then 5,000
     more into another mailbox with the sides in the other order (file
     creation is slow for minutes after mass deletions on ext4, which
     would otherwise weigh on whichever side goes first); the rate is of
     both rounds together.
  3  Relay: 5,000 x 2 KB in over SMTP, out over SMTP to t/bin/benchsink (a
     C sink, the same for both); the clock stops at the last status=sent.
  4  IMAP on the 5,000-message mailbox: LOGIN+SELECT+LOGOUT, SELECT,
     UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE) twice
     (first after delivery, then again), every body, UID STORE 1:*
     +FLAGS (\\Seen), UID SEARCH HEADER Subject; then 50 clients looping
     SELECT + UID FETCH of 50 messages' headers for 20 s.  SELECT is
     timed over 200 in a row; the bodies and the SEARCH, which take a
     fraction of a second, are run five times and the median is shown.
  5  POP3: USER/PASS, STAT, UIDL and RETR of all of a 1,000-message
     mailbox, median of five sessions ("pop3d not built" while Postern
     has no pop3d).
  6  Memory: PSS per idle IMAP connection (1,000 logged in, the
     5,000-message INBOX selected, in IDLE) and per idle SMTP session
     (200, after EHLO), measured right after the IMAP mailbox is filled,
     while every daemon is fresh (a process that served earlier rows has
     freed memory to reuse, and Postfix keeps idle smtpd processes for
     the next sessions); for Dovecot also with imap_hibernate_timeout
     (its way of parking IDLE connections outside the imap processes), as
     an extra row at the end.

Memory is the sum of the PSS of the side's server processes (procstat.py
says why PSS and not RSS): for a rate row its peak, sampled every 0.2 s
by a separate process; for a memory row the growth per connection.  A
side's processes: Postern's master and the daemons of the row (smtpd,
qmgr, delivery and lmtpd for mail, authd where logins happen); the
peers' whole Postfix and/or Dovecot process trees.

The load generator is the same Python code for both sides (loadsmtp.py,
loadimap.py, loadpop3.py: raw sockets, pipelined SMTP, no parsing beyond
reply codes).  Next to each side's figures the table prints the CPU
seconds of the servers and of the load generator during the row: the
load generator is one process (Python threads share one core), so it is
the limit only if its CPU time comes near the elapsed time.  Rows where
it used more than 60% of a core are marked "!"; the others were limited
by the servers (or their disk), not by the client.

The peers (peers.py): Postfix 3.7 and Dovecot 2.3 from Debian's packages,
run privately as the same users as Postern, with the same durability
(fsync before 250: Postfix always does; Dovecot mail_fsync = always),
Dovecot's mailboxes in maildir (--dovecot-format mdbox for the other).
Each side's settings are its defaults apart from ports, paths, users and
the limits a benchmark from one address needs lifted (connections per
client and per user).  Dovecot's imap needs an inotify instance per
connection: fs.inotify.max_user_instances is raised for the run if it is
lower than that, and put back (the output says so).

--perf DIR records Postern's processes of each row with perf (DWARF call
graphs) into DIR/ROW.data, for `perf report -i DIR/ROW.data`; the
figures of such a run are slowed by perf.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import postern_test as pt  # noqa: E402
import procstat  # noqa: E402
import loadsmtp  # noqa: E402
import loadimap  # noqa: E402
import loadpop3  # noqa: E402

PASSWORD = "bench pass"
IMAP_USER = "imap@example.org"
POP3_USER = "pop@example.org"
FILL_USER = "fill@example.org"      # 2c's second round


def users_list(n):
    return ["u%d@example.org" % i for i in range(n)]


class Result:
    def __init__(self, rate=None, unit="", elapsed=0.0, server_cpu=None,
                 client_cpu=None, mem_kb=None, note=None, per_conn_kb=None):
        self.rate, self.unit, self.elapsed = rate, unit, elapsed
        self.server_cpu, self.client_cpu = server_cpu, client_cpu
        self.mem_kb, self.note, self.per_conn_kb = mem_kb, note, per_conn_kb

    def client_bound(self):
        return (self.client_cpu is not None and self.elapsed > 0 and
                self.client_cpu > 0.6 * self.elapsed)


# --perf DIR: perf record (DWARF call graphs) of Postern's processes during each row,
# into DIR/ROW.data (the figures of such a run are not comparable).
PERF = {"dir": None}


def perf_start(rid, group):
    if not PERF["dir"] or not group.names:
        return None
    pids = ",".join(str(p) for p in procstat.members(group))
    out = os.path.join(PERF["dir"], "%s.data" % rid)
    p = subprocess.Popen(["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384",
                          "-o", out, "-p", pids],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)          # perf attaches before the workload starts
    return p


def perf_stop(p):
    if p is not None:
        p.send_signal(2)
        p.wait()


def measured(rid, group, fn, count, unit):
    """Run fn() (it returns the count, or None to use count) while
    sampling the group's memory; the Result."""
    sampler = procstat.Sampler(group).start()
    perf = perf_start(rid, group)
    s0, c0, t0 = procstat.cpu(group), time.process_time(), time.monotonic()
    try:
        n = fn()
    except Exception as e:  # a failed workload is a row that says so
        perf_stop(perf)
        sampler.stop()
        return Result(note="failed: %s" % str(e)[:120])
    el = time.monotonic() - t0
    ccpu, scpu = time.process_time() - c0, procstat.cpu(group) - s0
    perf_stop(perf)
    peak = sampler.stop()
    n = count if n is None else n
    return Result(rate=n / el if el > 0 else 0, unit=unit, elapsed=el,
                  server_cpu=scpu, client_cpu=ccpu, mem_kb=peak)


def both(r1, r2):
    """Two runs of one workload as one Result: the count over the time of both."""
    if r1.note or r2.note:
        return r1 if r1.note else r2
    el = r1.elapsed + r2.elapsed
    n = r1.rate * r1.elapsed + r2.rate * r2.elapsed
    return Result(rate=n / el if el > 0 else 0, unit=r1.unit, elapsed=el,
                  server_cpu=r1.server_cpu + r2.server_cpu,
                  client_cpu=r1.client_cpu + r2.client_cpu, mem_kb=max(r1.mem_kb, r2.mem_kb))


def median_of(k, rid, group, fn, count, unit):
    """measured() k times; the run with the median rate.  For rows of a
    fraction of a second, where one run is at the mercy of whatever else
    the machine does at that moment."""
    runs = [measured(rid, group, fn, count, unit) for _ in range(k)]
    if any(r.note for r in runs):
        return next(r for r in runs if r.note)
    return sorted(runs, key=lambda r: r.rate)[k // 2]


# ---------------------------------------------------------------- sides

class PosternSide:
    name = "Postern"
    ROLES = {
        "mail": ("master", "authd", "smtpd", "qmgr", "delivery", "lmtpd"),
        "relay": ("master", "smtpd", "qmgr", "delivery"),
        "lmtp": ("master", "authd", "lmtpd"),
        "imap": ("master", "authd", "imapd"),
        "pop3": ("master", "authd", "pop3d"),
        "imap-idle": ("imapd",),
        "smtp-idle": ("smtpd",),
    }

    def __init__(self, users, sink_port):
        self.has_pop3d = os.path.exists(os.path.join(pt.LIBEXEC, "pop3d"))
        params = {
            "log_level": "info",
            "transport_maps": "inline:{remote.test=smtp:[127.0.0.1]:%d}" % sink_port,
            "auth_allow_plaintext": "yes",
            # One client address opens every connection here.
            "smtpd_client_connection_count_limit": "0",
            "imapd_client_connection_limit": "0",
            "imapd_user_connection_limit": "0",
        }
        if self.has_pop3d:
            params["pop3d_client_connection_limit"] = "0"
        self.inst = pt.MailInstance(users=[(u, PASSWORD) for u in users], params=params)
        self.imap_port = pt.free_port()
        self.pop3_port = pt.free_port() if self.has_pop3d else None
        pt.make_cert(self.inst.path("tls"))
        master = pt.AUTHD_MASTER + pt.MAIL_MASTER
        master += "imap inet 127.0.0.1:%d n - $store_owner imapd\n" % self.imap_port
        if self.has_pop3d:
            master += "pop3 inet 127.0.0.1:%d n - $store_owner pop3d\n" % self.pop3_port
        self.inst.write_master(master)
        self.smtp_port = self.inst.smtp_port
        self.lmtp_target = self.inst.path("queue/private/lmtp")
        self.log = self.inst.logpath

    def start(self):
        self.inst.start()
        pt.wait_for(lambda: (pt.try_connect_line(self.lmtp_target) or "").startswith("220"),
                    what="lmtpd")
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", self.imap_port)) or "")
                    .startswith("* OK"), what="imapd")
        if self.has_pop3d:
            pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", self.pop3_port)) or "")
                        .startswith("+OK"), what="pop3d")

    def stop(self):
        self.inst.cleanup()

    def group(self, kind):
        return procstat.Group([self.inst.master_pid()], self.ROLES[kind])

    def mailbox_counter(self):
        return loadsmtp.LogCounter(
            self.log, r"postern/qmgr\[\d+\]: \S+: to=<[^>]*>, relay=localhost\[[^]]*lmtp\]"
            r".*status=sent")

    def relay_counter(self):
        return loadsmtp.LogCounter(
            self.log, r"postern/qmgr\[\d+\]: \S+: to=<[^>]*>, "
            r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+,.*status=sent")

    def hashes(self):
        """{address: crypt hash} from the users file."""
        out = {}
        with open(self.inst.path("users")) as f:
            for line in f:
                if line.startswith("#") or "\t" not in line:
                    continue
                addr, rec = line.rstrip("\n").split("\t", 1)
                out[addr] = rec.split(":", 1)[0]
        return out

    def owners(self):
        r = pt.postern_cmd("-c", self.inst.dir, "config")
        conf = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
        return (conf.get("mail_owner", "postern"), conf.get("store_owner", "vmail"),
                conf.get("auth_owner", "postern-auth"))


class PeerSide:
    name = "Postfix+Dovecot"

    def __init__(self, peers_dir, users, hashes, owners, sink_port, fmt):
        import peers
        self.peers_mod = peers
        self.peers_dir = peers_dir
        self.base = tempfile.mkdtemp(prefix="postern-peers-")
        os.chmod(self.base, 0o755)
        self.users = [(u, hashes[u]) for u in users]
        self.owners = owners
        self.fmt = fmt
        self.imap_port = pt.free_port()
        self.pop3_port = pt.free_port()
        self.smtp_port = pt.free_port()
        self.dovecot = self._dovecot(False)
        self.postfix = peers.Postfix(peers_dir, self.base, users, owners, self.smtp_port,
                                     self.dovecot.lmtp_socket, sink_port)
        self.lmtp_target = self.dovecot.lmtp_socket
        self.log = self.postfix.log

    def _dovecot(self, hibernate):
        return self.peers_mod.Dovecot(self.peers_dir, self.base, self.users, self.owners,
                                      self.imap_port, self.pop3_port, self.fmt, hibernate)

    INOTIFY = "/proc/sys/fs/inotify/max_user_instances"

    def start(self, idle):
        # Dovecot's imap takes an inotify instance a process (a process a
        # connection), all under the mailbox owner's uid: past the limit
        # it warns, watches by polling and cannot hibernate.  Postern's
        # imapd takes one per process.  The limit is raised for the run
        # (as Dovecot's documentation tells its users) and put back.
        self.inotify_was = None
        try:
            with open(self.INOTIFY) as f:
                was = int(f.read())
            if was < idle + 200:
                with open(self.INOTIFY, "w") as f:
                    f.write("%d\n" % (idle + 200))
                self.inotify_was = was
        except OSError:
            pass
        self.dovecot.start()
        self.postfix.start()

    def stop(self):
        try:
            self.postfix.stop()
        finally:
            self.dovecot.stop()
            if self.inotify_was is not None:
                with open(self.INOTIFY, "w") as f:
                    f.write("%d\n" % self.inotify_was)
            if not os.environ.get("POSTERN_KEEP"):
                subprocess.run(["rm", "-rf", self.base], check=False)

    def restart_dovecot(self, hibernate):
        self.dovecot.stop()
        self.dovecot = self._dovecot(hibernate)
        self.dovecot.start()

    def group(self, kind):
        if kind in ("mail",):
            return procstat.Group([self.postfix.root(), self.dovecot.root()])
        if kind in ("relay", "smtp-idle"):
            return procstat.Group([self.postfix.root()])
        return procstat.Group([self.dovecot.root()])

    def mailbox_counter(self):
        return loadsmtp.LogCounter(self.log, r"postfix/lmtp\[\d+\]: \S+: to=<.*status=sent")

    def relay_counter(self):
        return loadsmtp.LogCounter(self.log, r"postfix/smtp\[\d+\]: \S+: to=<.*status=sent")


# ------------------------------------------------------------ workloads

def smtp_to_mailbox(side, a, size, rid):
    body = loadsmtp.Body(size)
    users = users_list(a.users)
    tag = "m%d" % size
    jobs = [(lambda i=i: (users[i % len(users)], body.text(i, users[i % len(users)], tag)))
            for i in range(a.messages)]
    counter = side.mailbox_counter()

    def run():
        loadsmtp.send(("127.0.0.1", side.smtp_port), jobs, a.connections)
        if not counter.wait(a.messages):
            raise RuntimeError("only %d of %d delivered" % (counter.count, a.messages))
    return measured(rid, side.group("mail"), run, a.messages, "msg/s")


def lmtp_direct(side, a, size, rid):
    body = loadsmtp.Body(size)
    users = users_list(a.users)
    tag = "l%d" % size
    jobs = [(lambda i=i: (users[i % len(users)], body.text(i, users[i % len(users)], tag)))
            for i in range(a.messages)]
    return measured(rid, side.group("lmtp"),
                    lambda: loadsmtp.send(side.lmtp_target, jobs, a.connections, lmtp=True)
                    and None, a.messages, "msg/s")


def lmtp_fill(side, user, n, conns):
    jobs = [(lambda i=i: (user, loadimap.mailbox_message(i, user))) for i in range(n)]
    return measured("2c", side.group("lmtp"),
                    lambda: loadsmtp.send(side.lmtp_target, jobs, conns, lmtp=True) and None,
                    n, "msg/s")


def relay(side, a):
    body = loadsmtp.Body(2048)
    jobs = [(lambda i=i: ("r%d@remote.test" % i, body.text(i, "r%d@remote.test" % i, "r")))
            for i in range(a.messages)]
    counter = side.relay_counter()

    def run():
        loadsmtp.send(("127.0.0.1", side.smtp_port), jobs, a.connections)
        if not counter.wait(a.messages):
            raise RuntimeError("only %d of %d relayed" % (counter.count, a.messages))
    return measured("3", side.group("relay"), run, a.messages, "msg/s")


class ImapSession:
    """One logged-in connection with INBOX selected, kept across rows."""

    def __init__(self, side):
        self.c = loadimap.imap_login(side.imap_port, IMAP_USER, PASSWORD)
        self.c.command("SELECT INBOX")


def imap_rows(side, a):
    """{row id: Result} of the single-connection IMAP rows."""
    out = {}
    g = side.group("imap")
    port = side.imap_port
    n = 10
    out["4a"] = measured("4a", g, lambda: loadimap.imap_sessions(port, IMAP_USER, PASSWORD, n),
                         n, "sessions/s")
    s = ImapSession(side)
    c = s.c
    k = 200

    def selects():
        for _ in range(k):
            c.command("SELECT INBOX")
    out["4b"] = measured("4b", g, selects, k, "SELECT/s")
    fetch = "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"
    out["4c"] = measured("4c", g, lambda: c.command(fetch) and None, a.imap_messages, "msg/s")
    out["4d"] = measured("4d", g, lambda: c.command(fetch) and None, a.imap_messages, "msg/s")
    out["4e"] = median_of(5, "4e", g, lambda: c.command("UID FETCH 1:* BODY.PEEK[]") and None,
                          a.imap_messages, "msg/s")
    out["4f"] = measured("4f", g, lambda: c.command("UID STORE 1:* +FLAGS (\\Seen)") and None,
                         a.imap_messages, "msg/s")
    out["4g"] = median_of(5, "4g", g,
                          lambda: c.command('UID SEARCH HEADER Subject "needle"') and None,
                          a.imap_messages, "msg/s")
    c.command("LOGOUT")
    c.close()
    try:
        conns = open_parallel(lambda: loadimap.imap_login(port, IMAP_USER, PASSWORD),
                              a.clients)
    except Exception as e:  # a failed workload is a row that says so
        out["4h"] = Result(note="failed: %s" % str(e)[:120])
        return out
    out["4h"] = measured("4h", g, lambda: loadimap.imap_loop(conns, a.seconds, a.imap_messages),
                         0, "commands/s")
    return out


def pop3_row(side, a):
    if side.pop3_port is None:
        return Result(note="pop3d not built")
    return median_of(5, "5", side.group("pop3"),
                     lambda: loadpop3.pop3_download(side.pop3_port, POP3_USER, PASSWORD,
                                                    a.pop3_messages) and None,
                     a.pop3_messages, "msg/s")


def open_parallel(fn, n, threads=8):
    out, errors = [], []
    lock = threading.Lock()
    left = [n]

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            try:
                c = fn()
            except Exception as e:  # reported below
                errors.append(e)
                return
            with lock:
                out.append(c)
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        for c in out:
            c.s.close()
        raise RuntimeError(str(errors[0]))
    return out


def idle_memory(group, opener, n):
    before = procstat.wait_stable(group)
    t0 = time.monotonic()
    try:
        conns = open_parallel(opener, n)
    except Exception as e:  # a failed workload is a row that says so
        return Result(note="failed: %s" % str(e)[:120])
    el = time.monotonic() - t0
    after = procstat.wait_stable(group, seconds=1.5)
    for c in conns:
        try:
            c.s.close()
        except OSError:
            pass
    return Result(rate=(after - before) / n, unit="KB/conn", elapsed=el, mem_kb=after,
                  per_conn_kb=(after - before) / n)


def imap_idle(side, a):
    return idle_memory(side.group("imap-idle"),
                       lambda: one_idle(side.imap_port), a.idle)


def one_idle(port):
    c = loadimap.imap_login(port, IMAP_USER, PASSWORD)
    c.command("SELECT INBOX")
    c.idle()
    return c


def smtp_idle(side, a):
    return idle_memory(side.group("smtp-idle"),
                       lambda: loadsmtp.Client(("127.0.0.1", side.smtp_port)), a.sessions)


# ---------------------------------------------------------------- table

def fmt_rate(r):
    if r is None:
        return "-"
    if r.note:
        return r.note
    if r.unit == "KB/conn":
        return "%.1f KB/conn" % r.rate
    return ("%.0f %s" % (r.rate, r.unit) if r.rate >= 10 else "%.2f %s" % (r.rate, r.unit))


def fmt_mem(r):
    if r is None or r.mem_kb is None:
        return "-"
    return "%.1f MB" % (r.mem_kb / 1024.0)


def fmt_cpu(r):
    if r is None or r.server_cpu is None:
        return "-"
    return "%.2f/%.2f/%.2f%s" % (r.elapsed, r.server_cpu, r.client_cpu,
                                 " !" if r.client_bound() else "")


def ratio(a, b):
    if a is None or b is None or a.rate is None or b.rate is None or not b.rate:
        return "-"
    return "%.2f" % (a.rate / b.rate)


def mem_ratio(a, b):
    if (a is None or b is None or not a.mem_kb or not b.mem_kb or a.note or b.note or
            a.per_conn_kb is not None):
        return "-"
    return "%.2f" % (a.mem_kb / b.mem_kb)


def print_table(rows, results, sides, extra):
    peers = len(sides) > 1
    head = ["#", "workload", "Postern rate", "mem", "wall/srv/cli s"]
    if peers:
        head += ["peers rate", "mem", "wall/srv/cli s", "rate P/peer", "mem P/peer"]
    table = [head]
    for rid, label in rows:
        if rid not in results:
            continue
        p = results[rid].get("Postern")
        line = [rid, label, fmt_rate(p), fmt_mem(p), fmt_cpu(p)]
        if peers:
            q = results[rid].get(sides[1].name)
            line += [fmt_rate(q), fmt_mem(q), fmt_cpu(q), ratio(p, q), mem_ratio(p, q)]
        table.append(line)
    for label, rate, mem in extra:
        line = ["-", label, rate, mem, "-"]
        if peers:
            line += ["-"] * 5
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for k, r in enumerate(table):
        print(" | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    sys.stdout.flush()


def machine():
    model, mem = "?", 0
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
        with open("/proc/meminfo") as f:
            mem = int(next(l.split()[1] for l in f if l.startswith("MemTotal")))
    except (OSError, StopIteration):
        pass
    return "%s, %d x %s, %.0f GB, Linux %s" % (os.uname().nodename, os.cpu_count(), model,
                                               mem / 1048576.0, os.uname().release)


def c_benches(build):
    """Rows printed by the C benchmarks (BUILD/t/bench/*): label | rate | mem."""
    out = []
    d = os.path.join(build, "t", "bench")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if not os.access(path, os.X_OK):
            continue
        r = subprocess.run([path], capture_output=True, text=True, timeout=600)
        for line in r.stdout.splitlines():
            f = [x.strip() for x in line.split("|")]
            if len(f) == 3:
                mem = f[2]
                if mem.endswith(" KB") and mem[:-3].isdigit():
                    mem = "%.1f MB" % (int(mem[:-3]) / 1024.0)
                out.append((f[0], f[1].split(" (")[0], mem))
    return out


ROWS = [
    ("1a", "SMTP to mailbox, 2 KB x {messages}, {connections} conns, {users} users"),
    ("1b", "SMTP to mailbox, 50 KB x {messages}"),
    ("2a", "LMTP direct, 2 KB x {messages}, {connections} conns"),
    ("2b", "LMTP direct, 50 KB x {messages}"),
    ("2c", "LMTP into one mailbox, 1.5-20 KB x {imap_messages}, 4 conns, x2"),
    ("3", "Relay SMTP in, SMTP out to a sink, 2 KB x {messages}"),
    ("4a", "IMAP LOGIN+SELECT+LOGOUT ({imap_messages}-message INBOX)"),
    ("4b", "IMAP SELECT ({imap_messages} messages)"),
    ("4c", "IMAP UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"),
    ("4d", "IMAP the same FETCH again"),
    ("4e", "IMAP UID FETCH 1:* BODY.PEEK[] (every body), median of 5"),
    ("4f", "IMAP UID STORE 1:* +FLAGS (\\Seen)"),
    ("4g", "IMAP UID SEARCH HEADER Subject (every message), median of 5"),
    ("4h", "IMAP {clients} clients looping SELECT + UID FETCH 50 headers, {seconds:.0f} s"),
    ("5", "POP3 USER/PASS+STAT+UIDL+RETR all ({pop3_messages} msgs), median of 5"),
    ("6a", "Idle IMAP connections ({idle}, logged in, IDLE): per connection"),
    ("6b", "Idle SMTP sessions ({sessions}, after EHLO): per session"),
    ("6c", "6a against Dovecot with imap_hibernate_timeout = 1s"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", metavar="DIR", help="the peers unpacked by build-aux/peers.sh")
    ap.add_argument("--dovecot-format", choices=("maildir", "mdbox"), default="maildir")
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--imap-messages", type=int, default=5000)
    ap.add_argument("--pop3-messages", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--only", help="comma-separated row groups to run (1,2,3,4,5,6)")
    ap.add_argument("--quick", action="store_true", help="small numbers, to try the harness")
    ap.add_argument("--perf", metavar="DIR",
                    help="perf record Postern's processes of each row into DIR/ROW.data")
    a = ap.parse_args()
    if a.quick:
        a.messages, a.imap_messages, a.pop3_messages = 300, 500, 100
        a.clients, a.seconds, a.idle, a.sessions = 10, 3, 50, 20
    only = set(a.only.split(",")) if a.only else set("123456")
    if a.perf:
        os.makedirs(a.perf, exist_ok=True)
        PERF["dir"] = a.perf
    rows = [(rid, label.format(**vars(a))) for rid, label in ROWS]

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * a.idle + 1000)), hard))

    load0 = os.getloadavg()
    sink = subprocess.Popen([os.path.join(pt.TESTBIN, "benchsink")], stdout=subprocess.PIPE)
    sink_port = int(sink.stdout.readline().split()[1])
    users = users_list(a.users) + [IMAP_USER, POP3_USER, FILL_USER]
    sides = []
    results = {}

    def record(rid, side, r):
        results.setdefault(rid, {})[side.name] = r
        print("bench: %-3s %-16s %s" % (rid, side.name, fmt_rate(r)), file=sys.stderr)

    try:
        postern = PosternSide(users, sink_port)
        sides.append(postern)
        postern.start()
        if a.peers:
            sides.append(PeerSide(a.peers, users, postern.hashes(), postern.owners(),
                                  sink_port, a.dovecot_format))
            sides[1].start(a.idle)
        print("make bench: %s; load average %.2f %.2f %.2f at start; peers: %s"
              % (machine(), *load0, ("Postfix 3.7 + Dovecot 2.3 (%s)" % a.dovecot_format)
                 if a.peers else "none (make bench PEERS=1)"))
        sys.stdout.flush()
        # The IMAP mailbox first, then the idle connections while every
        # daemon is fresh: a process that served earlier rows has memory
        # it can reuse (Postfix even keeps idle smtpd processes around for
        # the next sessions), which would hide what a connection costs.
        # 2c twice, the sides in one order and then in the other: creating
        # files is slow for minutes after many were deleted (ext4 passes over
        # recently freed inodes), and whichever side went first alone would
        # pay for the clean-up of whatever ran before.
        if only & set("46"):
            first = {side.name: lmtp_fill(side, IMAP_USER, a.imap_messages, 4)
                     for side in sides}
            for side in reversed(sides):
                record("2c", side, both(first[side.name],
                                        lmtp_fill(side, FILL_USER, a.imap_messages, 4)))
        if "6" in only:
            for side in sides:
                record("6a", side, imap_idle(side, a))
            for side in sides:
                record("6b", side, smtp_idle(side, a))
        if "1" in only:
            for side in sides:
                record("1a", side, smtp_to_mailbox(side, a, 2048, "1a"))
            for side in sides:
                record("1b", side, smtp_to_mailbox(side, a, 50 * 1024, "1b"))
        if "2" in only:
            for side in sides:
                record("2a", side, lmtp_direct(side, a, 2048, "2a"))
            for side in sides:
                record("2b", side, lmtp_direct(side, a, 50 * 1024, "2b"))
        if "3" in only:
            for side in sides:
                record("3", side, relay(side, a))
        if "4" in only:
            for side in sides:
                for rid, r in imap_rows(side, a).items():
                    record(rid, side, r)
        if "5" in only:
            for side in sides:
                if side.pop3_port is not None:
                    lmtp_fill(side, POP3_USER, a.pop3_messages, 4)
                record("5", side, pop3_row(side, a))
        if "6" in only and a.peers:
            sides[1].restart_dovecot(True)
            record("6c", sides[0], results["6a"]["Postern"])
            record("6c", sides[1], imap_idle(sides[1], a))
    finally:
        for side in reversed(sides):
            try:
                side.stop()
            except Exception as e:  # keep stopping the others
                print("bench: stopping %s: %s" % (side.name, e), file=sys.stderr)
        sink.terminate()
        sink.wait()
    print()
    print_table(rows, results, sides, c_benches(os.path.dirname(pt.LIBEXEC)))
    load1 = os.getloadavg()
    print()
    print("load average %.2f %.2f %.2f at the end (other work on the machine shares "
          "its %d CPUs)" % (*load1, os.cpu_count()))
    print("rate: per second of wall-clock time; mem: peak sum of the server processes' "
          "PSS (rows 6: growth per connection, then total)")
    print("wall/srv/cli s: elapsed seconds / CPU seconds of the server processes / CPU "
          "seconds of the load generator; it is one Python process, so it limits a row only "
          "when its CPU nears the elapsed time: '!' marks rows where it passed 60%")
    if a.peers:
        print("rate P/peer > 1: Postern faster; mem P/peer < 1: Postern smaller "
              "(rows 6: per connection)")
        print("durability: a 250 means on disk on both sides (Postern by design; Postfix "
              "fsyncs its queue files; Dovecot mail_fsync = always); Dovecot's mailboxes "
              "are %s" % a.dovecot_format)
        if sides[1].inotify_was is not None:
            print("fs.inotify.max_user_instances was raised from %d to %d for the run "
                  "(Dovecot's imap takes one per connection) and put back"
                  % (sides[1].inotify_was, a.idle + 200))


if __name__ == "__main__":
    main()
