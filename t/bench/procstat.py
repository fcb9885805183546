"""What a server side costs, read from /proc (make bench; t/bench/bench.py).

A side is a Group: the process trees under some root pids, optionally
only the processes whose program (basename of argv[0], or Dovecot's
"dovecot/NAME" title) is in a set of names.

  cpu(group)      CPU seconds (user + system) of the group's processes,
                  with the children they have reaped (so Postfix's and
                  Dovecot's short-lived processes are counted once they
                  exit; an unfiltered tree only: a filtered group counts
                  its members alone).
  pss_kb(group)   the sum of the processes' PSS (proportional set size:
                  each shared page divided among the processes that map
                  it).  RSS summed over processes would count every
                  shared library once per process and so charge a design
                  with many processes for pages it has once.
  Sampler(group)  a separate process (python3 procstat.py sample ...)
                  that adds up the PSS every 0.2 s while a workload runs
                  and reports the peak; being another process, it costs
                  the load generator's CPU nothing.  A process that lives
                  less than 0.2 s can be missed.
"""

import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


class Group:
    def __init__(self, roots, names=None):
        self.roots = list(roots)
        self.names = set(names) if names else None

    def args(self):
        return ([str(p) for p in self.roots] + ["--"] +
                sorted(self.names or []))

    @staticmethod
    def from_args(argv):
        at = argv.index("--")
        return Group([int(p) for p in argv[:at]], argv[at + 1:] or None)


def _stat(pid):
    """(ppid, utime+stime, cutime+cstime) in ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[1]), int(fields[11]) + int(fields[12]),
            int(fields[13]) + int(fields[14]))


def program(pid):
    """The program's name: basename of argv[0] ("dovecot/imap" for
    Dovecot's processes, which set their title so)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            arg0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return ""
    if arg0.startswith("dovecot/"):
        return arg0
    return os.path.basename(arg0.split(" ", 1)[0])


def members(group):
    """The live pids of the group."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                children.setdefault(st[0], []).append(int(name))
    out, todo = [], [p for p in group.roots if os.path.exists("/proc/%d" % p)]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    if group.names is not None:
        out = [p for p in out if program(p) in group.names]
    return out


def cpu(group):
    total = 0
    for pid in members(group):
        st = _stat(pid)
        if st:
            total += st[1] + (st[2] if group.names is None else 0)
    return total / TICK


def pss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def group_pss_kb(group):
    return pss_kb(members(group))


class Sampler:
    """Peak PSS of a group while a workload runs: start(), stop() -> KB."""

    def __init__(self, group, interval=0.2):
        self.group = group
        self.interval = interval
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "sample", str(self.interval)]
            + self.group.args(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.proc.stdout.readline()          # "ready": it has one sample
        return self

    def stop(self):
        out, _ = self.proc.communicate(b"")
        return int(out.split()[0])


def _sample_main(argv):
    import select
    interval = float(argv[0])
    group = Group.from_args(argv[1:])
    peak = group_pss_kb(group)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        r, _, _ = select.select([sys.stdin], [], [], interval)
        peak = max(peak, group_pss_kb(group))
        if r:
            break
    sys.stdout.write("%d\n" % peak)


def wait_stable(group, seconds=1.0, timeout=30.0):
    """Wait until the group's PSS stops moving (after connections were
    opened or closed); return the last value in KB."""
    last = group_pss_kb(group)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(seconds)
        now = group_pss_kb(group)
        if abs(now - last) <= max(64, last // 200):
            return now
        last = now
    return last


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "sample":
    _sample_main(sys.argv[2:])
