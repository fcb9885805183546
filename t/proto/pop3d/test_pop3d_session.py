"""pop3d's session: the greeting, CAPA in each state, no password before
STLS (USER and AUTH refused, neither listed), STLS with the discard of
pipelined plaintext, implicit TLS, USER/PASS (good, bad with [AUTH] and
a growing delay, three failures close), commands in the wrong state,
malformed and over-long lines (-ERR, and the session goes on), too many
bad commands, QUIT in AUTHORIZATION, the per-address connection limit,
and USER/PASS over plaintext when auth_allow_plaintext says so."""

import os
import poplib
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "s3cret pass"
USERS = [(USER, PASSWORD)]


class Raw:
    """A line-at-a-time POP3 client on a raw socket (TLS optional)."""

    def __init__(self, port, tls_ctx=None):
        s = socket.create_connection(("127.0.0.1", port), 30)
        if tls_ctx is not None:
            s = tls_ctx.wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.f = s.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline()

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.line()

    def multi(self):
        out = []
        while True:
            line = self.line()
            if line in (b".\r\n", b""):
                return out
            out.append(line)

    def close(self):
        # The file holds the socket open too.
        self.f.close()
        self.s.close()


class Session(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=USERS, params={
            "pop3d_auth_failure_delay": "1s", "pop3d_auth_failure_delay_max": "2s"})
        self.instances.append(self.inst)
        self.inst.start()

    def raw(self):
        r = Raw(self.inst.pop3_port)
        self.assertTrue(r.greeting.startswith(b"+OK "), r.greeting)
        return r

    def stls(self, r):
        self.assertTrue(r.cmd(b"STLS").startswith(b"+OK"))
        s = self.inst.ssl_context().wrap_socket(r.s, server_hostname="localhost")
        r.s = s
        r.f = s.makefile("rb")

    def capa(self, r):
        self.assertEqual(r.cmd(b"CAPA"), b"+OK Capability list follows\r\n")
        return [x.rstrip(b"\r\n").decode() for x in r.multi()]

    def test_capa_by_state(self):
        r = self.raw()
        plain = self.capa(r)
        self.assertEqual(plain, ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                                 "PIPELINING", "STLS", "IMPLEMENTATION Postern"])
        self.stls(r)
        tls = self.capa(r)
        self.assertEqual(tls, ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                               "PIPELINING", "USER", "SASL PLAIN LOGIN",
                               "IMPLEMENTATION Postern"])
        self.assertTrue(r.cmd(b"USER " + USER.encode()).startswith(b"+OK"))
        self.assertTrue(r.cmd(b"PASS " + PASSWORD.encode()).startswith(b"+OK"))
        # RFC 2449 5: what AUTHORIZATION offers is announced in both states.
        self.assertEqual(self.capa(r), tls)
        self.assertTrue(r.cmd(b"QUIT").startswith(b"+OK"))
        self.assertEqual(r.line(), b"")
        self.assertIn("login user=%s tls" % USER, self.inst.logtext())

    def test_no_password_before_tls(self):
        r = self.raw()
        self.assertTrue(r.cmd(b"USER " + USER.encode()).startswith(b"-ERR [AUTH] "))
        self.assertTrue(r.cmd(b"PASS " + PASSWORD.encode()).startswith(b"-ERR "))
        self.assertTrue(r.cmd(b"AUTH PLAIN").startswith(b"-ERR [AUTH] "))
        self.assertTrue(r.cmd(b"AUTH").startswith(b"-ERR [AUTH] "))
        r.close()
        c = self.inst.pop3(stls=False)
        with self.assertRaises(poplib.error_proto):
            c.user(USER)
        c.quit()

    def test_stls_discards_pipelined_plaintext(self):
        r = self.raw()
        # Sent before the handshake, in clear: must not count after it.
        r.send(b"STLS\r\nUSER mallory@example.org\r\nPASS x\r\n")
        self.assertTrue(r.line().startswith(b"+OK"))
        s = self.inst.ssl_context().wrap_socket(r.s, server_hostname="localhost")
        r.s, r.f = s, s.makefile("rb")
        self.assertEqual(r.cmd(b"NOOP"), b"-ERR NOOP is not allowed before login\r\n")
        # No USER survived: PASS alone is refused, not checked.
        self.assertEqual(r.cmd(b"PASS x"), b"-ERR PASS must follow USER\r\n")
        self.assertTrue(r.cmd(b"STLS").startswith(b"-ERR TLS is already active"))
        self.assertTrue(r.cmd(b"QUIT").startswith(b"+OK"))
        pt.wait_for(lambda: "bytes sent before the TLS handshake discarded"
                    in self.inst.logtext(), what="the discard in the log")

    def test_implicit_tls(self):
        r = Raw(self.inst.pop3s_port, self.inst.ssl_context())
        self.assertTrue(r.greeting.startswith(b"+OK "), r.greeting)
        self.assertNotIn("STLS", self.capa(r))
        r.close()
        c = self.inst.pop3s()
        c.user(USER)
        c.pass_(PASSWORD)
        self.assertEqual(c.stat(), (0, 0))
        c.quit()

    def test_bad_password_delay_and_close(self):
        r = Raw(self.inst.pop3s_port, self.inst.ssl_context())
        times = []
        for _ in range(3):
            self.assertTrue(r.cmd(b"USER " + USER.encode()).startswith(b"+OK"))
            t0 = time.monotonic()
            self.assertEqual(r.cmd(b"PASS wrong"), b"-ERR [AUTH] Authentication failed\r\n")
            times.append(time.monotonic() - t0)
        # 1 s, 2 s, 2 s (the maximum), then the connection ends.
        self.assertGreaterEqual(times[0], 0.9)
        self.assertGreaterEqual(times[1], 1.9)
        self.assertGreaterEqual(times[2], 1.9)
        self.assertEqual(r.line(), b"")
        self.assertIn("login failed for %s" % USER, self.inst.logtext())
        # A failure, then success in the same session.
        c = self.inst.pop3s()
        c.user(USER)
        with self.assertRaises(poplib.error_proto) as e:
            c.pass_("wrong")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        c.user(USER)
        self.assertTrue(c.pass_(PASSWORD).startswith(b"+OK"))
        c.quit()

    def test_states_and_bad_lines(self):
        r = self.raw()
        for line, want in ((b"STAT", b"-ERR STAT is not allowed before login"),
                           (b"RETR 1", b"-ERR RETR is not allowed before login"),
                           (b"NOOP", b"-ERR NOOP is not allowed before login"),
                           (b"FROB", b"-ERR unknown command"),
                           (b"", b"-ERR unknown command"),
                           (b"LIST x", b"-ERR LIST: bad message number"),
                           (b"PASS x", b"-ERR PASS must follow USER"),
                           (b"A" * 5000, b"-ERR Line too long"),
                           (b"NOOP \x00", b"-ERR bad character"),
                           (b"CAPA", b"+OK")):
            got = r.cmd(line)
            self.assertTrue(got.startswith(want), (line[:20], got))
        r.multi()
        # Over 16 KB: the framing layer's limit, also just an -ERR.
        self.assertEqual(r.cmd(b"B" * 40000), b"-ERR Line too long\r\n")
        self.stls(r)
        r.cmd(b"USER " + USER.encode())
        self.assertTrue(r.cmd(b"PASS " + PASSWORD.encode()).startswith(b"+OK"))
        for line, want in ((b"USER x", b"-ERR USER is not allowed after login"),
                           (b"PASS x", b"-ERR PASS is not allowed after login"),
                           (b"AUTH PLAIN", b"-ERR AUTH is not allowed after login"),
                           (b"STLS", b"-ERR STLS is not allowed after login"),
                           (b"RETR", b"-ERR RETR: bad message number"),
                           (b"TOP 1", b"-ERR TOP: TOP needs"),
                           (b"NOOP", b"+OK")):
            got = r.cmd(line)
            self.assertTrue(got.startswith(want), (line, got))
        self.assertTrue(r.cmd(b"QUIT").startswith(b"+OK"))

    def test_too_many_bad_commands(self):
        r = self.raw()
        for i in range(19):
            self.assertEqual(r.cmd(b"FROB"), b"-ERR unknown command\r\n", i)
        self.assertEqual(r.cmd(b"FROB"), b"-ERR unknown command\r\n")
        self.assertEqual(r.line(), b"-ERR Too many bad commands, closing\r\n")
        self.assertEqual(r.line(), b"")
        # A good command in between starts the count again.
        r = self.raw()
        for i in range(30):
            self.assertEqual(r.cmd(b"FROB"), b"-ERR unknown command\r\n", i)
            if i % 10 == 9:
                r.cmd(b"CAPA")
                r.multi()
        r.close()

    def test_quit_before_login(self):
        r = self.raw()
        self.assertEqual(r.cmd(b"quit"), b"+OK Bye\r\n")
        self.assertEqual(r.line(), b"")


class Plaintext(pt.InstanceTest):
    def test_user_pass_allowed(self):
        inst = pt.Pop3dInstance(users=USERS, params={"auth_allow_plaintext": "yes"})
        self.instances.append(inst)
        inst.start()
        c = inst.pop3(stls=False)
        caps = c.capa()
        self.assertIn("USER", caps)
        self.assertEqual(caps["SASL"], ["PLAIN", "LOGIN"])
        self.assertIn("STLS", caps)
        c.user(USER)
        self.assertTrue(c.pass_(PASSWORD).startswith(b"+OK"))
        c.quit()
        self.assertIn("login user=%s messages=0" % USER, inst.logtext())


class ConnectionLimit(pt.InstanceTest):
    def test_per_address(self):
        inst = pt.Pop3dInstance(users=USERS, params={"pop3d_client_connection_limit": "2"})
        self.instances.append(inst)
        inst.start()
        # pop3 and pop3s count together, over both processes.  (The
        # start-up probe's connection may still count for a moment.)
        def greeted(tls):
            r = Raw(inst.pop3s_port, inst.ssl_context()) if tls else Raw(inst.pop3_port)
            if r.greeting.startswith(b"+OK"):
                return r
            self.assertTrue(r.greeting.startswith(b"-ERR [SYS/TEMP]"), r.greeting)
            r.close()
            return None
        a = pt.wait_for(lambda: greeted(False), what="a first connection")
        b = pt.wait_for(lambda: greeted(True), what="a second connection")
        c = Raw(inst.pop3_port)
        self.assertEqual(c.greeting, b"-ERR [SYS/TEMP] Too many connections from your address\r\n")
        self.assertEqual(c.line(), b"")
        d = Raw(inst.pop3s_port, inst.ssl_context())
        self.assertTrue(d.greeting.startswith(b"-ERR [SYS/TEMP]"))
        a.cmd(b"QUIT")
        a.close()
        pt.wait_for(lambda: Raw(inst.pop3_port).greeting.startswith(b"+OK"),
                    what="a free slot after QUIT")
        b.close()
        self.assertTrue(os.path.exists(inst.path("data/store/pop3d.connections")))


if __name__ == "__main__":
    pt.run()
