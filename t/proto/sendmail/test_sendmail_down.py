"""With the mail system down sendmail exits 75 (EX_TEMPFAIL) with one line
on standard error: no socket at all, a socket file that nothing listens
on, and an instance that was running and was stopped.  -bs also answers
its client with 421."""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402

MSG = b"Subject: down\n\nbody\n"


class Down(st.ConfDirTest):
    def assertDown(self, r):
        self.assertEqual(r.returncode, st.EX_TEMPFAIL, r.stderr)
        lines = r.stderr.decode().strip().split("\n")
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertRegex(lines[0], r"^sendmail: mail system is down: ")

    def test_no_socket(self):
        r = st.sendmail(self.conf.dir, "someone@example.org", input=MSG)
        self.assertDown(r)
        self.assertIn(b"No such file or directory", r.stderr)

    def test_nothing_listens(self):
        # A socket file left behind by a server that is gone.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.conf.socket)
        s.close()
        self.assertTrue(os.path.exists(self.conf.socket))
        r = st.sendmail(self.conf.dir, "someone@example.org", input=MSG)
        self.assertDown(r)
        self.assertIn(b"Connection refused", r.stderr)

    def test_instance_stopped(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True)
        self.instances.append(inst)
        inst.start()
        r = st.sendmail(inst.dir, "alice@example.org", input=MSG)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(inst.stop(), 0)
        r = st.sendmail(inst.dir, "alice@example.org", input=MSG)
        self.assertDown(r)
        self.assertEqual(len(inst.queue_files()), 1)

    def test_bs_says_421(self):
        r = st.sendmail(self.conf.dir, "-bs", input=b"EHLO x\r\nQUIT\r\n")
        self.assertDown(r)
        self.assertRegex(r.stdout, rb"^421 4\.3\.0 host\.example .*\r\n$")


if __name__ == "__main__":
    pt.run()
