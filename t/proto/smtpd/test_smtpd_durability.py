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
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        smtpd = inst.children("smtp")
        ids = []
        lock = threading.Lock()
        errors = []

        def client(n):
            try:
                s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60)
                s.ehlo("client%d.example" % n)
                for i in range(10):
                    s.mail("c%d@remote.example" % n)
                    s.rcpt("alice@example.org")
                    code, resp = s.data("Subject: %d/%d\r\n\r\nhello\r\n" % (n, i))
                    if code != 250:
                        raise AssertionError((code, resp))
                    with lock:
                        ids.append(resp.decode().split("queued as ")[1])
                s.quit()
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errors, [])
        self.assertEqual(len(ids), 1000)
        files = inst.queue_files()
        self.assertEqual(sorted(os.path.basename(f) for f in files), sorted(ids))
        r = qcheck(files)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        self.assertEqual(inst.children("smtp"), smtpd, "smtpd was not restarted")


if __name__ == "__main__":
    pt.run()
