"""Failed logins wait out authd's failure delay on pop3d's event loop, not
on its worker threads: while more clients than pop3d has workers (8) wait
for the -ERR of a wrong password (USER/PASS and AUTH PLAIN), another
client logs in and reads its mailbox before any of them is answered; no
failure is answered before authd's delay (or pop3d's own, when that is
the larger) has passed.  And when Cyrus SASL cannot start, pop3d refuses
to start (as imapd and smtpd do), unless auth_mechanisms is empty."""

import base64
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret"), ("bob@example.org", "other")]
WORKERS = 8                 # POP3D_THREADS
FAILING = WORKERS + 4
DELAY = 5.0                 # authd_failure_delay = authd_failure_delay_max
SLACK = 0.05                # timer rounding


class Client:
    """A raw plaintext POP3 connection (auth_allow_plaintext is on)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 60)
        self.f = self.sock.makefile("rb")
        self.greeting = self.f.readline()

    def cmd(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.f.readline()

    def answered(self):
        """Whether anything (or the end) has arrived that was not read."""
        return bool(select.select([self.sock], [], [], 0)[0])

    def close(self):
        self.f.close()
        self.sock.close()


def plain(user, password):
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode())


class Base(pt.InstanceTest):
    PARAMS = {}

    def setUp(self):
        super().setUp()
        self.clients = []
        params = {"auth_allow_plaintext": "yes", "authd_lockout_failures": "1000"}
        params.update(self.PARAMS)
        self.inst = pt.Pop3dInstance(users=USERS, params=params)
        self.instances.append(self.inst)
        self.inst.start()

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def client(self):
        c = Client(self.inst.pop3_port)
        self.clients.append(c)
        self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
        return c

    def failures_logged(self):
        return self.inst.logtext().count("auth-failure: service=pop3")


class FreesWorkers(Base):
    PARAMS = {"authd_failure_delay": "%ds" % DELAY, "authd_failure_delay_max": "%ds" % DELAY,
              "pop3d_auth_failure_delay": "0"}

    def test_other_clients_served_while_failures_wait(self):
        self.inst.deliver("alice@example.org", b"Subject: hello\r\n\r\nbody text\r\n")
        failing = [self.client() for _ in range(FAILING)]
        good = self.client()
        sent = []
        for i, c in enumerate(failing):
            if i % 2:
                c.sock.sendall(b"AUTH PLAIN %s\r\n" % plain("bob@example.org", "wrong"))
            else:
                self.assertTrue(c.cmd(b"USER bob@example.org").startswith(b"+OK"))
                c.sock.sendall(b"PASS wrong\r\n")
            sent.append(time.monotonic())
        pt.wait_for(lambda: self.failures_logged() >= WORKERS, timeout=60,
                    what="authd to see the failures")
        self.assertTrue(good.cmd(b"USER alice@example.org").startswith(b"+OK"))
        self.assertTrue(good.cmd(b"PASS secret").startswith(b"+OK Logged in, 1 messages"))
        self.assertTrue(good.cmd(b"RETR 1").startswith(b"+OK"))
        text = b""
        while not text.endswith(b"\r\n.\r\n"):
            text += good.f.readline()
        self.assertIn(b"body text", text)
        self.assertEqual(good.cmd(b"NOOP"), b"+OK Nothing done\r\n")
        self.assertEqual([i for i, c in enumerate(failing) if c.answered()], [],
                         "failures answered before the other client was served")
        for i, c in enumerate(failing):
            reply = c.f.readline()
            waited = time.monotonic() - sent[i]
            self.assertEqual(reply, b"-ERR [AUTH] Authentication failed\r\n", i)
            self.assertGreaterEqual(waited, DELAY - SLACK, "client %d answered early" % i)
        self.assertEqual(self.failures_logged(), FAILING)


class LargerDelayWins(Base):
    # authd's delay (3s) is larger than pop3d's own (1s): it decides.
    PARAMS = {"authd_failure_delay": "3s", "pop3d_auth_failure_delay": "1s"}

    def test_authd_delay_when_larger(self):
        c = self.client()
        for n, line in enumerate((b"USER bob@example.org\r\nPASS wrong",
                                  b"AUTH PLAIN " + plain("bob@example.org", "x"))):
            start = time.monotonic()
            reply = c.cmd(line)
            if n == 0:
                reply = c.f.readline()
            self.assertEqual(reply, b"-ERR [AUTH] Authentication failed\r\n")
            # The second failure of the address: authd doubles to 6s.
            self.assertGreaterEqual(time.monotonic() - start, (3.0, 6.0)[n] - SLACK)


def as_fd3(fd):
    """In the child: fd as descriptor 3 (master's pipe), kept over exec."""
    if fd == 3:
        os.set_inheritable(3, True)
    else:
        os.dup2(fd, 3)


class SaslUnavailable(pt.InstanceTest):
    def run_pop3d(self, *args):
        """pop3d in the foreground without master, Cyrus looking for its
        plugins in an empty directory: (exit status, log) when it stops
        by itself, (None, log) once it is ready (then stopped)."""
        inst = pt.Instance(params={"auth_mechanisms": "PLAIN, LOGIN"})
        self.instances.append(inst)
        plugins = tempfile.mkdtemp(prefix="postern-t-sasl-")
        env = dict(os.environ, SASL_PATH=plugins)
        alive_r, alive_w = os.pipe()
        p = subprocess.Popen([os.path.join(pt.LIBEXEC, "pop3d"), "-c", inst.dir,
                              "-n", "pop3d", "-f"] + list(args),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env, close_fds=False,
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
            os.rmdir(plugins)

    def test_refuses_to_start(self):
        status, log = self.run_pop3d()
        self.assertEqual(status, 1, "pop3d must not run without SASL:\n" + log)
        self.assertIn("error: SASL: SASL PLAIN or LOGIN plugin not found", log)

    def test_without_mechanisms_needs_no_sasl(self):
        status, log = self.run_pop3d("-o", "auth_mechanisms=")
        self.assertIsNone(status, "pop3d with USER/PASS only starts:\n" + log)
        self.assertNotIn("SASL", log)


if __name__ == "__main__":
    pt.run()
