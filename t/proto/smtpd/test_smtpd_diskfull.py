"""A full queue file system: end-of-data gets 452 4.3.1, no partial or
temporary file is left in incoming/ and no space stays taken; once space
is back the next message, in the same session, gets 250 and a complete
queue file.  smtpd is the same process throughout.

The queue directory is a small tmpfs that the test mounts, so this needs
root (CAP_SYS_ADMIN); without it the test is skipped and says why."""

import errno
import os
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

TMPFS_SIZE = 2 * 1024 * 1024
ROOM = 32 * 1024                # left free for the partial-write case


def qcheck(paths):
    return subprocess.run([os.path.join(pt.TESTBIN, "qcheck")] + paths,
                          capture_output=True, text=True, timeout=60)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def files_under(top):
    out = []
    for root, _dirs, files in os.walk(top):
        out += [os.path.join(root, f) for f in files]
    return sorted(out)


def deleted_open_files(pid, top):
    """Files under top that process pid still holds open after unlink."""
    fds = "/proc/%d/fd" % pid
    out = []
    for fd in os.listdir(fds):
        try:
            target = os.readlink(os.path.join(fds, fd))
        except OSError:
            continue
        if target.startswith(top + "/") and target.endswith(" (deleted)"):
            out.append(target)
    return out


class DiskFull(unittest.TestCase):
    def setUp(self):
        self.inst = None
        self.mounted = None
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs queue directory")
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        queue = self.inst.path("queue")
        mode = os.stat(self.inst.path("queue/private")).st_mode & 0o7777
        try:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                "size=%d,mode=0755" % TMPFS_SIZE, "postern-test", queue],
                               capture_output=True, text=True, timeout=60)
            why = r.stderr.strip() or "mount status %d" % r.returncode
        except OSError as e:
            r, why = None, str(e)
        if r is None or r.returncode != 0:
            self.inst.cleanup()
            self.inst = None
            self.skipTest("cannot mount a tmpfs (no CAP_SYS_ADMIN?): " + " ".join(why.split()))
        self.mounted = queue
        # The mount hides what the instance made in queue/: make it again.
        os.mkdir(self.inst.path("queue/private"), mode)
        try:
            self.inst.start()
        except BaseException:
            self.tearDown()     # unittest does not when setUp fails
            raise

    def tearDown(self):
        inst, self.inst = self.inst, None
        try:
            if inst is not None:
                inst.stop()
                inst.check_log()
        finally:
            try:
                self.unmount()
            finally:
                if inst is not None:
                    inst.cleanup()

    def unmount(self):
        if self.mounted is None:
            return
        r = subprocess.run(["umount", self.mounted], capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", self.mounted], check=True)
        self.mounted = None

    def fill(self, path):
        """Write path until the file system is full."""
        chunk = b"f" * 65536
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        finally:
            os.close(fd)
        self.assertEqual(free_bytes(self.mounted), 0)

    def assert_nothing_left(self, pid, free_before):
        self.assertEqual(files_under(self.inst.path("queue/incoming")), [])
        self.assertEqual([f for f in files_under(self.mounted) if f.endswith(".tmp")], [])
        self.assertEqual(deleted_open_files(pid, self.mounted), [])
        self.assertEqual(free_bytes(self.mounted), free_before, "space still taken")

    def test_enospc_then_recovery(self):
        inst = self.inst
        smtpd = inst.children("smtp")
        self.assertEqual(len(smtpd), 1)
        filler = inst.path("queue/filler")
        self.fill(filler)

        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60)
        s.ehlo("client.example")

        # Not a byte free: the first write of the queue file fails.
        s.mail("bob@remote.example")
        s.rcpt("alice@example.org")
        code, resp = s.data("Subject: full\r\n\r\nno room at all\r\n")
        self.assertEqual((code, resp[:6]), (452, b"4.3.1 "), resp)
        self.assert_nothing_left(smtpd[0], 0)

        # Some room: part of the file is written before ENOSPC.
        os.truncate(filler, os.stat(filler).st_size - ROOM)
        self.assertEqual(free_bytes(self.mounted), ROOM)
        big = "Subject: big\r\n\r\n" + ("y" * 78 + "\r\n") * 4000     # 320 KB
        s.mail("bob@remote.example")
        s.rcpt("alice@example.org")
        code, resp = s.data(big)
        self.assertEqual((code, resp[:6]), (452, b"4.3.1 "), resp)
        self.assert_nothing_left(smtpd[0], ROOM)
        self.assertEqual(inst.children("smtp"), smtpd)

        # Space is back: the same session queues the same message.
        os.unlink(filler)
        s.mail("bob@remote.example")
        s.rcpt("alice@example.org")
        code, resp = s.data(big)
        self.assertEqual(code, 250, resp)
        qid = resp.decode().split("queued as ")[1]
        s.quit()
        files = inst.queue_files()
        self.assertEqual([os.path.basename(f) for f in files], [qid])
        self.assertEqual(files_under(inst.path("queue/incoming")), files, "a .tmp is left")
        r = qcheck(files)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn(" sender=<bob@remote.example> rcpt=<alice@example.org> ", r.stdout)
        with open(files[0], "rb") as f:
            data = f.read()
        self.assertIn(b"\r\n\r\n" + big.split("\r\n\r\n", 1)[1].encode(), data)
        self.assertEqual(inst.children("smtp"), smtpd, "smtpd was restarted")
        self.assertIn("No space left on device", inst.logtext())


if __name__ == "__main__":
    pt.run()
