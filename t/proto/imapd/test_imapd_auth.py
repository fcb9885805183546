"""imapd's AUTHENTICATE (PLAIN and LOGIN, SASL-IR, cancel, bad input,
authorization identities, authd unreachable), the AUTH= capabilities
before and after STARTTLS and on implicit TLS, the growing delay of a
failed login, and the connection limits per client address (across the
imap and imaps processes) and per user."""

import base64
import imaplib
import os
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "secret"
USERS = [(USER, PASSWORD), ("bob@example.org", "other")]


def plain(authz, user, password):
    return ("%s\0%s\0%s" % (authz, user, password)).encode()


def b64(data):
    return base64.b64encode(data).decode()


class Base(pt.InstanceTest):
    PARAMS = {"authd_failure_delay": "0", "imapd_auth_failure_delay": "0"}

    def setUp(self):
        super().setUp()
        self.clients = []
        self.inst = pt.ImapdInstance(users=USERS, params=self.PARAMS)
        self.instances.append(self.inst)
        self.inst.start()

    def tearDown(self):
        for c in self.clients:
            try:
                # imaplib's close() is IMAP's CLOSE.
                c.shutdown() if isinstance(c, imaplib.IMAP4) else c.close()
            except OSError:
                pass
        super().tearDown()

    def keep(self, c):
        self.clients.append(c)
        return c

    def raw(self, tls=False, port=None):
        """A raw connection (implicit TLS when tls) after the greeting:
        the socket and a file on it."""
        if tls:
            ctx = ssl.create_default_context(cafile=self.inst.cert)
            s = ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", self.inst.imaps_port), 30), server_hostname="127.0.0.1")
        else:
            s = socket.create_connection(("127.0.0.1", port or self.inst.imap_port), 30)
        self.keep(s)
        f = s.makefile("rwb")
        return s, f, f.readline()

    def hangup(self, s, f):
        """Close for real (a socket's makefile keeps it open)."""
        f.close()
        s.close()

    def send(self, f, line):
        f.write(line + b"\r\n")
        f.flush()

    def tagged(self, f, tag):
        """Lines up to the tagged reply; the tagged reply."""
        while True:
            line = f.readline()
            if line == b"" or line.startswith(tag + b" "):
                return line


class Auth(Base):
    def test_capabilities(self):
        s, f, greeting = self.raw()
        self.assertIn(b"LOGINDISABLED", greeting)
        self.assertNotIn(b"AUTH=", greeting)
        self.assertNotIn(b"SASL-IR", greeting)
        # No password mechanism in the clear.
        self.send(f, b"a1 AUTHENTICATE PLAIN " + b64(plain("", USER, PASSWORD)).encode())
        self.assertTrue(f.readline().startswith(b"a1 NO [PRIVACYREQUIRED]"))
        self.send(f, b"a2 AUTHENTICATE LOGIN")
        self.assertTrue(f.readline().startswith(b"a2 NO [PRIVACYREQUIRED]"))

        c = self.keep(self.inst.imap())
        caps = c.capability()[1][0].split()
        for cap in (b"AUTH=PLAIN", b"AUTH=LOGIN", b"SASL-IR"):
            self.assertIn(cap, caps)
        self.assertNotIn(b"LOGINDISABLED", caps)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.authenticate("CRAM-MD5", lambda ch: b"x")
        self.assertIn("Unsupported", str(e.exception))
        typ, data = c.authenticate("PLAIN", lambda ch: plain("", USER, PASSWORD))
        self.assertEqual(typ, "OK")
        self.assertIn(b"[CAPABILITY IMAP4rev1", data[0])
        self.assertNotIn(b"AUTH=", data[0])
        self.assertNotIn(b"AUTH=", c.capability()[1][0])
        c.logout()

        c = self.keep(self.inst.imaps())
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertIn("SASL-IR", c.capabilities)
        c.logout()

    def test_plain_and_login(self):
        c = self.keep(self.inst.imap())
        typ, data = c.authenticate("PLAIN", lambda ch: plain("", USER, PASSWORD))
        self.assertEqual(typ, "OK")
        self.assertEqual(c.select("INBOX")[0], "OK")
        c.logout()

        answers = iter([USER.encode(), PASSWORD.encode()])
        prompts = []

        def login(challenge):
            prompts.append(challenge)
            return next(answers)
        c = self.keep(self.inst.imap())
        self.assertEqual(c.authenticate("LOGIN", login)[0], "OK")
        self.assertEqual(len(prompts), 2)
        c.logout()

        # An authorization identity that is the user is fine.
        c = self.keep(self.inst.imaps())
        self.assertEqual(c.authenticate("PLAIN", lambda ch: plain(USER, USER, PASSWORD))[0], "OK")
        c.logout()
        log = self.inst.logtext()
        self.assertIn("login user=%s mech=PLAIN tls" % USER, log)
        self.assertIn("login user=%s mech=LOGIN tls" % USER, log)
        self.assertNotIn(PASSWORD, log)

    def test_sasl_ir(self):
        s, f, greeting = self.raw(tls=True)
        self.assertIn(b"SASL-IR", greeting)
        self.send(f, b"a1 AUTHENTICATE PLAIN " + b64(plain("", USER, PASSWORD)).encode())
        reply = f.readline()
        self.assertTrue(reply.startswith(b"a1 OK [CAPABILITY IMAP4rev1"), reply)
        self.send(f, b"a2 SELECT INBOX")
        self.assertTrue(self.tagged(f, b"a2").startswith(b"a2 OK"))
        self.send(f, b"a3 AUTHENTICATE PLAIN")
        self.assertTrue(f.readline().startswith(b"a3 BAD"), "only before login")

        # A response sent before the "+" (pipelined) is read after it.
        s, f, greeting = self.raw(tls=True)
        f.write(b"p1 AUTHENTICATE PLAIN\r\n" + b64(plain("", USER, PASSWORD)).encode() +
                b"\r\np2 NOOP\r\n")
        f.flush()
        self.assertEqual(f.readline(), b"+ \r\n")
        self.assertTrue(f.readline().startswith(b"p1 OK [CAPABILITY"))
        self.assertEqual(f.readline(), b"p2 OK NOOP completed\r\n")

        # LOGIN with its user name as the initial response.
        s, f, greeting = self.raw(tls=True)
        self.send(f, b"b1 AUTHENTICATE LOGIN " + b64(USER.encode()).encode())
        self.assertEqual(f.readline(), b"+ " + b64(b"Password:").encode() + b"\r\n")
        self.send(f, b64(PASSWORD.encode()).encode())
        self.assertTrue(f.readline().startswith(b"b1 OK [CAPABILITY"))

    def test_cancel(self):
        s, f, _ = self.raw(tls=True)
        self.send(f, b"a1 AUTHENTICATE PLAIN")
        self.assertEqual(f.readline(), b"+ \r\n")
        self.send(f, b"*")
        self.assertTrue(f.readline().startswith(b"a1 BAD"))
        self.send(f, b"a2 AUTHENTICATE LOGIN")
        self.assertEqual(f.readline(), b"+ " + b64(b"Username:").encode() + b"\r\n")
        self.send(f, b64(USER.encode()).encode())
        self.assertTrue(f.readline().startswith(b"+ "))
        self.send(f, b"*")
        self.assertTrue(f.readline().startswith(b"a2 BAD"))
        # The session goes on, not logged in.
        self.send(f, b"a3 SELECT INBOX")
        self.assertTrue(f.readline().startswith(b"a3 BAD"))
        self.send(f, b"a4 AUTHENTICATE PLAIN")
        self.assertEqual(f.readline(), b"+ \r\n")
        self.send(f, b64(plain("", USER, PASSWORD)).encode())
        self.assertTrue(f.readline().startswith(b"a4 OK"))

    def test_bad_input(self):
        s, f, _ = self.raw(tls=True)
        self.send(f, b"a1 AUTHENTICATE PLAIN !!!!")
        self.assertTrue(f.readline().startswith(b"a1 BAD"))
        self.send(f, b"a2 AUTHENTICATE PLAIN")
        f.readline()
        self.send(f, b"@@@@")
        self.assertTrue(f.readline().startswith(b"a2 BAD"))
        # A response longer than any SASL response may be.
        self.send(f, b"a3 AUTHENTICATE PLAIN")
        f.readline()
        self.send(f, b"A" * 12000)
        self.assertTrue(f.readline().startswith(b"a3 BAD [LIMIT]"))
        # Longer than a command line: the frame's limit, same answer.
        self.send(f, b"a4 AUTHENTICATE PLAIN")
        f.readline()
        self.send(f, b"A" * 70000)
        self.assertTrue(f.readline().startswith(b"a4 BAD [LIMIT]"))
        # PLAIN without its NULs is malformed.
        self.send(f, b"a5 AUTHENTICATE PLAIN " + b64(b"alice secret").encode())
        self.assertTrue(f.readline().startswith(b"a5 BAD"))
        self.send(f, b"a6 NOOP")
        self.assertEqual(f.readline(), b"a6 OK NOOP completed\r\n")

    def test_failures(self):
        c = self.keep(self.inst.imap())
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.authenticate("PLAIN", lambda ch: plain("", USER, "wrong"))
        self.assertIn("[AUTHENTICATIONFAILED]", str(e.exception))
        # Proxy authorisation is refused, even with the right password.
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.authenticate("PLAIN", lambda ch: plain("bob@example.org", USER, PASSWORD))
        self.assertIn("[AUTHENTICATIONFAILED]", str(e.exception))
        self.assertEqual(c.authenticate("PLAIN", lambda ch: plain("", USER, PASSWORD))[0], "OK")
        c.logout()
        # Three failures (LOGIN and AUTHENTICATE together) end the session.
        s, f, _ = self.raw(tls=True)
        self.send(f, b"a1 LOGIN alice@example.org wrong")
        self.assertTrue(f.readline().startswith(b"a1 NO [AUTHENTICATIONFAILED]"))
        self.send(f, b"a2 AUTHENTICATE PLAIN " + b64(plain("", USER, "wrong")).encode())
        self.assertTrue(f.readline().startswith(b"a2 NO [AUTHENTICATIONFAILED]"))
        self.send(f, b"a3 AUTHENTICATE LOGIN " + b64(b"nobody@example.org").encode())
        f.readline()
        self.send(f, b64(b"wrong").encode())
        self.assertTrue(f.readline().startswith(b"a3 NO [AUTHENTICATIONFAILED]"))
        self.assertTrue(f.readline().startswith(b"* BYE"))
        self.assertEqual(f.readline(), b"")

    def test_authd_unreachable(self):
        os.rename(self.inst.socket, self.inst.socket + ".away")
        try:
            s, f, _ = self.raw(tls=True)
            self.send(f, b"a1 AUTHENTICATE PLAIN " + b64(plain("", USER, PASSWORD)).encode())
            self.assertTrue(f.readline().startswith(b"a1 NO [UNAVAILABLE]"))
            self.send(f, b"a2 LOGIN alice@example.org secret")
            self.assertTrue(f.readline().startswith(b"a2 NO [UNAVAILABLE]"))
        finally:
            os.rename(self.inst.socket + ".away", self.inst.socket)
        self.send(f, b"a3 AUTHENTICATE PLAIN " + b64(plain("", USER, PASSWORD)).encode())
        self.assertTrue(f.readline().startswith(b"a3 OK"))


class Plaintext(Base):
    PARAMS = dict(Base.PARAMS, auth_allow_plaintext="yes")

    def test_allowed_in_the_clear(self):
        s, f, greeting = self.raw()
        self.assertIn(b"AUTH=PLAIN", greeting)
        self.assertNotIn(b"LOGINDISABLED", greeting)
        self.send(f, b"a1 AUTHENTICATE PLAIN " + b64(plain("", USER, PASSWORD)).encode())
        self.assertTrue(f.readline().startswith(b"a1 OK"))


class Delay(Base):
    PARAMS = {"authd_failure_delay": "0", "imapd_auth_failure_delay": "1s",
              "imapd_auth_failure_delay_max": "2s"}

    def timed(self, f, line, tag):
        start = time.monotonic()
        self.send(f, line)
        reply = f.readline()
        self.assertTrue(reply.startswith(tag + b" NO [AUTHENTICATIONFAILED]"), reply)
        return time.monotonic() - start

    def test_delay_grows(self):
        s, f, _ = self.raw(tls=True)
        self.assertGreaterEqual(self.timed(f, b"a1 LOGIN alice@example.org wrong", b"a1"), 0.95)
        # While the second failure waits, another session is served.
        self.send(f, b"a2 AUTHENTICATE PLAIN " + b64(plain("", USER, "wrong")).encode())
        start = time.monotonic()
        s2, f2, greeting = self.raw()
        self.send(f2, b"b1 NOOP")
        self.assertEqual(f2.readline(), b"b1 OK NOOP completed\r\n")
        self.assertEqual(select.select([s], [], [], 0)[0], [],
                         "the NO came before the other session's answer")
        self.assertTrue(f.readline().startswith(b"a2 NO [AUTHENTICATIONFAILED]"))
        self.assertGreaterEqual(time.monotonic() - start, 2.0 - 0.05)
        # Capped at the maximum; the third failure ends the session.
        self.assertGreaterEqual(self.timed(f, b"a3 LOGIN alice@example.org wrong", b"a3"), 1.95)
        self.assertTrue(f.readline().startswith(b"* BYE"))
        self.assertEqual(f.readline(), b"")

    def test_client_leaves_while_delayed(self):
        s, f, _ = self.raw()
        self.send(f, b"a1 LOGIN alice@example.org wrong")
        self.hangup(s, f)
        # The session is freed when the delay ends; imapd goes on.
        c = self.keep(self.inst.imap())
        self.assertEqual(c.login(USER, PASSWORD)[0], "OK")
        pt.wait_for(lambda: self.inst.logtext().count(": connect from") ==
                    self.inst.logtext().count("disconnect from") + 1,
                    what="the delayed session to end")
        self.assertEqual(c.noop()[0], "OK")
        c.logout()


class ClientLimit(Base):
    PARAMS = dict(Base.PARAMS, imapd_client_connection_limit="3")

    def greeted(self, tls=False):
        """A raw connection that got the OK greeting (connections of the
        start-up probe may still be counted for a moment)."""
        def attempt():
            s, f, greeting = self.raw(tls=tls)
            if greeting.startswith(b"* OK"):
                return s, f
            self.assertTrue(greeting.startswith(b"* BYE [UNAVAILABLE] Too many connections"),
                            greeting)
            self.hangup(s, f)
            return None
        return pt.wait_for(attempt, what="a connection to be let in")

    def test_per_client_address(self):
        # Both services count together: imap and imaps are two processes.
        held = [self.greeted(), self.greeted(tls=True), self.greeted()]
        for tls in (False, True):
            s, f, greeting = self.raw(tls=tls)
            self.assertEqual(greeting, b"* BYE [UNAVAILABLE] Too many connections\r\n")
            self.assertEqual(f.readline(), b"")
        self.assertIn("too many connections from [127.0.0.1] (limit 3)", self.inst.logtext())
        self.hangup(*held[1])
        self.greeted()


class UserLimit(Base):
    PARAMS = dict(Base.PARAMS, imapd_user_connection_limit="2")

    def test_per_user(self):
        c1 = self.keep(self.inst.imap())
        self.assertEqual(c1.login(USER, PASSWORD)[0], "OK")
        c2 = self.keep(self.inst.imaps())
        self.assertEqual(c2.authenticate("PLAIN", lambda ch: plain("", USER, PASSWORD))[0], "OK")
        s, f, _ = self.raw(tls=True)
        for tag in (b"a1", b"a2", b"a3"):
            self.send(f, tag + b" LOGIN alice@example.org secret")
            self.assertEqual(f.readline(),
                             tag + b" NO [LIMIT] Too many connections for this user\r\n")
        # Not a failed login: no BYE after three; another user is fine.
        self.send(f, b"a4 LOGIN bob@example.org other")
        self.assertTrue(f.readline().startswith(b"a4 OK"))
        c1.logout()
        c3 = self.keep(self.inst.imap())
        pt.wait_for(lambda: self.try_login(c3), what="a login after a logout")

    def try_login(self, c):
        try:
            return c.login(USER, PASSWORD)[0] == "OK"
        except imaplib.IMAP4.error as e:
            self.assertIn("[LIMIT]", str(e))
            return False


if __name__ == "__main__":
    pt.run()
