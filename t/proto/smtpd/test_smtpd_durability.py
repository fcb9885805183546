"""Every 250 has its queue file, complete and parseable, also when smtpd
and master are killed with SIGKILL right after it; many concurrent
clients get every message queued, with no daemon restart."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402



def socket_fds(pid):
    """How many sockets process pid holds."""
    fds = "/proc/%d/fd" % pid
    n = 0
    for fd in os.listdir(fds):
        try:
            n += os.readlink(os.path.join(fds, fd)).startswith("socket:")
        except OSError:
            pass
    return n


def qcheck(paths):
    return subprocess.run([os.path.join(pt.TESTBIN, "qcheck")] + paths, capture_output=True,
                          text=True, timeout=60)


class Durability(pt.InstanceTest):
    def test_kill_after_250(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port)
        s.ehlo("client.example")
        s.mail("a@remote.example")
        s.rcpt("alice@example.org")
        code, resp = s.data("Subject: durable\r\n\r\n" + ("x" * 99 + "\r\n") * 1000)
        self.assertEqual(code, 250)
        qid = resp.decode().split("queued as ")[1]
        for pid in inst.children("smtp") + [inst.master_pid()]:
            os.kill(pid, signal.SIGKILL)
        inst.proc.wait()
        pt.wait_for(lambda: pt.pids_with_arg(inst.dir) == [], what="children to go")
        files = inst.queue_files()
        self.assertEqual([os.path.basename(f) for f in files], [qid])
        r = qcheck(files)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("nrcpt=1", r.stdout)
        self.assertIn("rcpt=<alice@example.org>", r.stdout)

    def test_concurrent_clients(self):
        # 200 clients hold their sessions open at the same time (all have
        # had their EHLO answered before any sends), then each sends 10
        # messages.  Every 250 has its queue file; smtpd is never restarted.
        nclients, nmsgs = 200, 10
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        smtpd = inst.children("smtp")
        self.assertEqual(len(smtpd), 1)
        ids = []
        errors = []
        ready = []
        lock = threading.Lock()
        go = threading.Event()

        def client(n):
            try:
                s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60)
                code, _ = s.ehlo("client%d.example" % n)
                if code != 250:
                    raise AssertionError(("EHLO", code))
                with lock:
                    ready.append(n)
                if not go.wait(120):
                    raise AssertionError("never released")
                for i in range(nmsgs):
                    s.mail("c%d@remote.example" % n)
                    s.rcpt("alice@example.org")
                    code, resp = s.data("Subject: %d/%d\r\n\r\nhello\r\n" % (n, i))
                    if code != 250:
                        raise AssertionError((n, i, code, resp))
                    with lock:
                        ids.append(resp.decode().split("queued as ")[1])
                s.quit()
            except Exception as e:  # reported below
                with lock:
                    errors.append((n, repr(e)))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(nclients)]
        for t in threads:
            t.start()
        try:
            pt.wait_for(lambda: len(ready) == nclients or errors, timeout=120,
                        what="%d sessions to be open" % nclients)
            self.assertEqual(errors, [])
            # smtpd holds a socket for each of them right now.
            self.assertGreaterEqual(socket_fds(smtpd[0]), nclients)
        finally:
            go.set()
            for t in threads:
                t.join(300)
        self.assertFalse([t for t in threads if t.is_alive()], "clients hang")
        self.assertEqual(errors, [])
        self.assertEqual(len(ids), nclients * nmsgs)
        self.assertEqual(len(set(ids)), len(ids), "a queue id was given twice")
        files = inst.queue_files()
        self.assertEqual(sorted(os.path.basename(f) for f in files), sorted(ids))
        r = qcheck(files)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        self.assertEqual(r.stdout.count("rcpt=<alice@example.org>"), len(ids))
        self.assertEqual(inst.children("smtp"), smtpd, "smtpd was not restarted")
        self.assertNotIn("out of file descriptors", inst.logtext())


if __name__ == "__main__":
    pt.run()
