"""Failed logins wait out authd's failure delay on imapd's event loop, not
on its worker threads: while more clients than imapd has workers (8) wait
for the NO of a wrong password (LOGIN and AUTHENTICATE PLAIN), another
client logs in and reads its mailbox before any of them is answered; and
no failure is answered before authd's delay (or imapd's own, when that is
the larger) has passed."""

import base64
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret"), ("bob@example.org", "other")]
WORKERS = 8                 # IMAPD_THREADS
FAILING = WORKERS + 4
DELAY = 5.0                 # authd_failure_delay = authd_failure_delay_max
SLACK = 0.05                # timer rounding


class Client:
    """A raw plaintext IMAP connection (auth_allow_plaintext is on)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 60)
        self.f = self.sock.makefile("rb")
        self.greeting = self.f.readline()

    def send(self, line):
        self.sock.sendall(line + b"\r\n")

    def until_tagged(self, tag):
        """The lines up to and including the tagged one."""
        lines = []
        while True:
            line = self.f.readline()
            lines.append(line)
            if not line or line.startswith(tag + b" "):
                return lines

    def answered(self):
        """Whether anything (or the end) has arrived since the greeting,
        which is all that was read."""
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
        self.inst = pt.ImapdInstance(users=USERS, params=params)
        self.instances.append(self.inst)
        self.inst.start()

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def client(self):
        c = Client(self.inst.imap_port)
        self.clients.append(c)
        self.assertTrue(c.greeting.startswith(b"* OK"), c.greeting)
        return c

    def failures_logged(self):
        return self.inst.logtext().count("auth-failure: service=imap")


class FreesWorkers(Base):
    PARAMS = {"authd_failure_delay": "%ds" % DELAY, "authd_failure_delay_max": "%ds" % DELAY,
              "imapd_auth_failure_delay": "0"}

    def test_other_clients_served_while_failures_wait(self):
        self.assertEqual(self.inst.deliver("alice@example.org",
                                           b"Subject: hello\r\n\r\nbody text\r\n")[0][0], 250)
        failing = [self.client() for _ in range(FAILING)]
        good = self.client()
        sent = []
        # Half by LOGIN, half by AUTHENTICATE PLAIN (the SASL glue's
        # check runs on a worker during the SASL step).
        for i, c in enumerate(failing):
            if i % 2:
                c.send(b"f%d AUTHENTICATE PLAIN %s" % (i, plain("bob@example.org", "wrong")))
            else:
                c.send(b"f%d LOGIN bob@example.org wrong" % i)
            sent.append(time.monotonic())
        # With the delay waited out on workers, every one of them would
        # now be held by a failure.
        pt.wait_for(lambda: self.failures_logged() >= WORKERS, timeout=60,
                    what="authd to see the failures")

        good.send(b"g1 LOGIN alice@example.org secret")
        self.assertTrue(good.until_tagged(b"g1")[-1].startswith(b"g1 OK"))
        good.send(b"g2 SELECT INBOX")
        lines = good.until_tagged(b"g2")
        self.assertIn(b"* 1 EXISTS\r\n", lines)
        self.assertTrue(lines[-1].startswith(b"g2 OK"), lines[-1])
        good.send(b"g3 FETCH 1 BODY[TEXT]")
        lines = good.until_tagged(b"g3")
        self.assertIn(b"body text", b"".join(lines))
        self.assertTrue(lines[-1].startswith(b"g3 OK"), lines[-1])
        good.send(b"g4 NOOP")
        self.assertEqual(good.until_tagged(b"g4")[-1], b"g4 OK NOOP completed\r\n")
        self.assertEqual([i for i, c in enumerate(failing) if c.answered()], [],
                         "failures answered before the other client was served")

        for i, c in enumerate(failing):
            reply = c.f.readline()
            waited = time.monotonic() - sent[i]
            self.assertTrue(reply.startswith(b"f%d NO [AUTHENTICATIONFAILED]" % i), reply)
            self.assertGreaterEqual(waited, DELAY - SLACK, "client %d answered early" % i)
        self.assertEqual(self.failures_logged(), FAILING)


class LargerDelayWins(Base):
    # authd's delay (3s) is larger than imapd's own (1s): it decides.
    PARAMS = {"authd_failure_delay": "3s", "imapd_auth_failure_delay": "1s"}

    def test_authd_delay_when_larger(self):
        c = self.client()
        for tag, line in ((b"a1", b"a1 LOGIN bob@example.org wrong"),
                          (b"a2", b"a2 AUTHENTICATE PLAIN " + plain("bob@example.org", "x"))):
            start = time.monotonic()
            c.send(line)
            reply = c.f.readline()
            self.assertTrue(reply.startswith(tag + b" NO [AUTHENTICATIONFAILED]"), reply)
            # The second failure of the address: authd doubles to 6s.
            want = 3.0 if tag == b"a1" else 6.0
            self.assertGreaterEqual(time.monotonic() - start, want - SLACK)


if __name__ == "__main__":
    pt.run()
