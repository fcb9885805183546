"""imapd's session: the greeting and CAPABILITY, LOGINDISABLED until
STARTTLS, implicit TLS, LOGIN (good, bad, over plaintext when allowed),
literals (synchronising and LITERAL+), bad commands, LOGOUT, autologout."""

import imaplib
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]


class Session(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.inst.imap_port), 30)
        f = s.makefile("rwb")
        greeting = f.readline()
        self.assertTrue(greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 "), greeting)
        return s, f

    def test_capability_and_logindisabled(self):
        c = self.inst.imap(starttls=False)
        caps = c.capabilities
        self.assertIn("STARTTLS", caps)
        self.assertIn("LOGINDISABLED", caps)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.login("alice@example.org", "secret")
        self.assertIn("PRIVACYREQUIRED", str(e.exception))
        c.logout()

    def test_capability_exact(self):
        """The lists name what is implemented, and only that (each
        extension has its own tests in this directory)."""
        common = {"IMAP4rev1", "LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS",
                  "UNSELECT", "CHILDREN", "MOVE", "SPECIAL-USE", "CONDSTORE", "QRESYNC",
                  "LIST-EXTENDED", "LIST-STATUS", "QUOTA", "QUOTA=RES-STORAGE",
                  "QUOTA=RES-MESSAGE", "STATUS=SIZE", "ESEARCH"}
        c = self.inst.imap(starttls=False)
        self.assertEqual(set(c.capabilities),  # imaplib upper-cases them
                         {x.upper() for x in common | {"STARTTLS", "LOGINDISABLED"}})
        c.logout()
        c = self.inst.imap()
        typ, data = c.capability()
        self.assertEqual(set(data[0].decode().split()),
                         common | {"AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR"})
        typ, data = c.login("alice@example.org", "secret")
        caps = data[0].decode().split("[CAPABILITY ", 1)[1].split("]", 1)[0]
        self.assertEqual(set(caps.split()), common)
        typ, data = c.capability()
        self.assertEqual(set(data[0].decode().split()), common)
        c.logout()

    def test_starttls_login_logout(self):
        c = self.inst.imap()
        typ, data = c.capability()
        self.assertNotIn(b"STARTTLS", data[0])
        self.assertNotIn(b"LOGINDISABLED", data[0])
        typ, data = c.login("alice@example.org", "secret")
        self.assertEqual(typ, "OK")
        self.assertIn(b"[CAPABILITY IMAP4rev1", data[0])
        typ, data = c.logout()
        self.assertEqual(typ, "BYE")
        self.assertIn("login user=alice@example.org tls", self.inst.logtext())

    def test_implicit_tls(self):
        c = self.inst.imaps()
        self.assertEqual(c.login("alice@example.org", "secret")[0], "OK")
        c.logout()

    def test_bad_password(self):
        c = self.inst.imap()
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.login("alice@example.org", "wrong")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        self.assertEqual(c.login("alice@example.org", "secret")[0], "OK")
        c.logout()

    def test_literals(self):
        s, f = self.raw()
        f.write(b"a1 NOOP\r\n")
        f.flush()
        self.assertEqual(f.readline(), b"a1 OK NOOP completed\r\n")
        # A synchronising literal waits for the go-ahead.
        f.write(b"a2 ID ({4}\r\n")
        f.flush()
        self.assertTrue(f.readline().startswith(b"+ "))
        f.write(b"name {7+}\r\nPostern)\r\n")
        f.flush()
        self.assertTrue(f.readline().startswith(b"* ID "))
        self.assertEqual(f.readline(), b"a2 OK ID completed\r\n")
        s.close()

    def test_bad_commands(self):
        s, f = self.raw()
        for line, want in ((b"\r\n", b"* BAD"), (b"a1\r\n", (b"a1 BAD", b"* BAD")),
                           (b"a2 FROB\r\n", b"a2 BAD"),
                           (b"a3 LOGIN (unbalanced\r\n", b"a3 BAD"),
                           (b"a4 SELECT INBOX\r\n", b"a4 BAD"),
                           (b"a5 NOOP\r\n", b"a5 OK")):
            f.write(line)
            f.flush()
            self.assertTrue(f.readline().startswith(want), line)
        s.close()

    def test_literal_too_big(self):
        s, f = self.raw()
        f.write(b"a1 LOGIN {999999999999}\r\n")
        f.flush()
        self.assertTrue(f.readline().startswith(b"a1 NO [TOOBIG]"))
        f.write(b"a2 NOOP\r\n")
        f.flush()
        self.assertEqual(f.readline(), b"a2 OK NOOP completed\r\n")
        s.close()


class Autologout(pt.InstanceTest):
    def test_idle_client_is_logged_out(self):
        inst = pt.ImapdInstance(users=USERS, params={"imapd_timeout": "10s"})
        self.instances.append(inst)
        inst.start()
        s = socket.create_connection(("127.0.0.1", inst.imap_port), 60)
        f = s.makefile("rb")
        f.readline()
        self.assertTrue(f.readline().startswith(b"* BYE Autologout"))
        self.assertEqual(f.readline(), b"")


if __name__ == "__main__":
    pt.run()
