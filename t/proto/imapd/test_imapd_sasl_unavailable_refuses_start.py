"""When Cyrus SASL cannot start (here: its plugin directory is empty),
imapd logs an error and refuses to start, as smtpd does, instead of
running without AUTHENTICATE; with auth_mechanisms empty it needs no SASL
and starts."""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


def as_fd3(fd):
    """In the child: fd as descriptor 3 (master's pipe), kept over exec."""
    if fd == 3:
        os.set_inheritable(3, True)
    else:
        os.dup2(fd, 3)


class SaslUnavailable(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Instance(params={"auth_mechanisms": "PLAIN, LOGIN"})
        self.instances.append(self.inst)
        self.plugins = tempfile.mkdtemp(prefix="postern-t-sasl-")
        # Cyrus looks for its plugins in $SASL_PATH: an empty directory.
        self.env = dict(os.environ, SASL_PATH=self.plugins)

    def tearDown(self):
        os.rmdir(self.plugins)
        super().tearDown()

    def run_daemon(self, program, *args):
        """Run a daemon in the foreground without master (no listeners,
        a pipe as master's): (exit status, its log) when it stops by
        itself, or (None, log) once it says it is ready (then stopped)."""
        alive_r, alive_w = os.pipe()
        p = subprocess.Popen([os.path.join(pt.LIBEXEC, program), "-c", self.inst.dir,
                              "-n", program, "-f"] + list(args),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=self.env, close_fds=False,
                             preexec_fn=lambda: as_fd3(alive_r))
        os.close(alive_r)
        log = []
        try:
            for line in p.stdout:
                log.append(line.decode(errors="replace"))
                if ": ready: " in log[-1]:
                    p.send_signal(signal.SIGTERM)
                    p.wait(30)
                    log.append(p.stdout.read().decode(errors="replace"))
                    return None, "".join(log)
            return p.wait(30), "".join(log)
        finally:
            os.close(alive_w)
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()

    def test_imapd_refuses_to_start(self):
        status, log = self.run_daemon("imapd")
        self.assertEqual(status, 1, "imapd must not run without SASL:\n" + log)
        self.assertIn("error: SASL: SASL PLAIN or LOGIN plugin not found", log)

    def test_smtpd_refuses_to_start_too(self):
        status, log = self.run_daemon("smtpd", "-o", "smtpd_sasl_auth_enable=yes")
        self.assertEqual(status, 1, log)
        self.assertIn("error: SASL: SASL PLAIN or LOGIN plugin not found", log)

    def test_imapd_without_mechanisms_needs_no_sasl(self):
        status, log = self.run_daemon("imapd", "-o", "auth_mechanisms=")
        self.assertIsNone(status, "imapd with LOGIN only starts:\n" + log)
        self.assertNotIn("SASL", log)
        for bad in pt.BAD_LOG:
            self.assertNotIn(bad, log)


if __name__ == "__main__":
    pt.run()
