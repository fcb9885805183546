"""pop3d's AUTH (RFC 5034) and the mailbox lock: PLAIN with an initial
response (and with "=" then a response line), PLAIN and LOGIN through
challenges, cancel with "*", bad base64, an unknown mechanism, AUTH with
no mechanism listing them, failures answered [AUTH]; a second POP3
session of a mailbox gets [IN-USE] (by USER/PASS and by AUTH, from
another process too) while IMAP sessions go on, and the lock goes when
the first session ends (QUIT or a dropped connection)."""

import base64
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER, PASSWORD = "alice@example.org", "s3cret pass"
BOB = ("bob@example.org", "bob pass")


def b64(data):
    return base64.b64encode(data)


class Raw:
    def __init__(self, inst, port=None):
        s = socket.create_connection(("127.0.0.1", port or inst.pop3s_port), 60)
        self.s = inst.ssl_context().wrap_socket(s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        self.greeting = self.f.readline()

    def cmd(self, text):
        self.s.sendall(text + b"\r\n")
        return self.f.readline()

    def close(self):
        self.f.close()
        self.s.close()


class Auth(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.Pop3dInstance(users=[(USER, PASSWORD), BOB], params={
            "pop3d_auth_failure_delay": "0"})
        self.instances.append(self.inst)
        self.inst.start()
        self.inst.deliver(USER)

    def plain(self, user=USER, password=PASSWORD):
        return b64(b"\0" + user.encode() + b"\0" + password.encode())

    def test_plain_initial_response(self):
        r = Raw(self.inst)
        self.assertEqual(r.cmd(b"AUTH PLAIN " + self.plain())[:14], b"+OK Logged in,")
        self.assertTrue(r.cmd(b"STAT").startswith(b"+OK 1 "))
        r.cmd(b"QUIT")
        r.close()
        self.assertIn("login user=%s mech=PLAIN tls" % USER, self.inst.logtext())

    def test_plain_challenge(self):
        r = Raw(self.inst)
        self.assertEqual(r.cmd(b"AUTH plain"), b"+ \r\n")
        self.assertTrue(r.cmd(self.plain()).startswith(b"+OK Logged in"))
        r.cmd(b"QUIT")
        # "=": an empty initial response; PLAIN then fails (no NULs).
        r = Raw(self.inst)
        self.assertEqual(r.cmd(b"AUTH PLAIN ="), b"-ERR Malformed authentication response\r\n")
        r.close()

    def test_login_mechanism(self):
        r = Raw(self.inst)
        ch = r.cmd(b"AUTH LOGIN")
        self.assertTrue(ch.startswith(b"+ "), ch)
        self.assertIn(base64.b64decode(ch[2:].strip()), (b"Username:", b"User Name"))
        ch = r.cmd(b64(USER.encode()))
        self.assertTrue(ch.startswith(b"+ "), ch)
        self.assertTrue(r.cmd(b64(PASSWORD.encode())).startswith(b"+OK Logged in"))
        r.cmd(b"QUIT")
        r.close()

    def test_failures(self):
        r = Raw(self.inst)
        self.assertEqual(r.cmd(b"AUTH PLAIN " + self.plain(password="nope")),
                         b"-ERR [AUTH] Authentication failed\r\n")
        self.assertEqual(r.cmd(b"AUTH PLAIN"), b"+ \r\n")
        self.assertEqual(r.cmd(b"*"), b"-ERR AUTH cancelled\r\n")
        self.assertEqual(r.cmd(b"AUTH PLAIN"), b"+ \r\n")
        self.assertEqual(r.cmd(b"!!notbase64"),
                         b"-ERR Bad base64 in the authentication response\r\n")
        self.assertEqual(r.cmd(b"AUTH CRAM-MD5"), b"-ERR Unsupported authentication mechanism\r\n")
        self.assertEqual(r.cmd(b"AUTH PLAIN !"), b"-ERR AUTH: bad initial response\r\n")
        self.assertEqual(r.cmd(b"AUTH"), b"+OK Mechanisms follow\r\n")
        self.assertEqual(r.f.readline(), b"PLAIN\r\n")
        self.assertEqual(r.f.readline(), b"LOGIN\r\n")
        self.assertEqual(r.f.readline(), b".\r\n")
        # Still in AUTHORIZATION, and a good login works.
        self.assertTrue(r.cmd(b"AUTH PLAIN " + self.plain()).startswith(b"+OK"))
        r.cmd(b"QUIT")
        r.close()
        # A response longer than any SASL response: the exchange ends.
        r = Raw(self.inst)
        self.assertEqual(r.cmd(b"AUTH PLAIN"), b"+ \r\n")
        self.assertEqual(r.cmd(b"A" * 20000), b"-ERR Authentication response too long\r\n")
        self.assertTrue(r.cmd(b"USER " + USER.encode()).startswith(b"+OK"))
        r.close()

    def test_in_use(self):
        first = self.inst.pop3_login(USER, PASSWORD)
        # Another pop3d process (STLS port), and the same one.
        second = self.inst.pop3()
        second.user(USER)
        with self.assertRaises(Exception) as e:
            second.pass_(PASSWORD)
        self.assertIn(b"-ERR [IN-USE] ", e.exception.args[0])
        r = Raw(self.inst)
        self.assertTrue(r.cmd(b"AUTH PLAIN " + self.plain()).startswith(b"-ERR [IN-USE] "))
        # Not a failed login: no delay, the session goes on, and another
        # user's mailbox is free.
        self.assertTrue(r.cmd(b"AUTH PLAIN " + self.plain(*BOB)).startswith(b"+OK"))
        r.cmd(b"QUIT")
        r.close()
        # IMAP meanwhile.
        c = self.inst.imaps()
        c.login(USER, PASSWORD)
        self.assertEqual(c.select("INBOX")[1], [b"1"])
        c.logout()
        self.assertEqual(first.stat()[0], 1)
        first.quit()
        second.user(USER)
        self.assertTrue(second.pass_(PASSWORD).startswith(b"+OK"))
        # A dropped connection releases the lock too.
        second.sock.close()
        second.file.close()
        pt.wait_for(lambda: Raw(self.inst).cmd(b"AUTH PLAIN " + self.plain())
                    .startswith(b"+OK"), what="the lock to go")
        self.assertIn("maildrop of %s in use" % USER, self.inst.logtext())
        self.assertTrue(os.path.exists(os.path.join(
            self.inst.store_dir, self.store_subdir(USER), "pop3.lock")))

    def test_authd_unreachable(self):
        os.rename(self.inst.socket, self.inst.socket + ".away")
        try:
            r = Raw(self.inst)
            self.assertTrue(r.cmd(b"AUTH PLAIN " + self.plain())
                            .startswith(b"-ERR [SYS/TEMP] "))
            r.cmd(b"USER " + USER.encode())
            self.assertTrue(r.cmd(b"PASS " + PASSWORD.encode()).startswith(b"-ERR [SYS/TEMP] "))
        finally:
            os.rename(self.inst.socket + ".away", self.inst.socket)
        self.assertTrue(r.cmd(b"AUTH PLAIN " + self.plain()).startswith(b"+OK"))
        r.cmd(b"QUIT")
        r.close()

    def store_subdir(self, user):
        for root, dirs, files in os.walk(self.inst.store_dir):
            if os.path.basename(root) == user:
                return os.path.relpath(root, self.inst.store_dir)
        raise AssertionError("no store directory for " + user)


class Delay(pt.InstanceTest):
    def test_client_leaves_while_delayed(self):
        inst = pt.Pop3dInstance(users=[(USER, PASSWORD)], params={
            "pop3d_auth_failure_delay": "2s"})
        self.instances.append(inst)
        inst.start()
        r = Raw(inst)
        r.s.sendall(b"USER %s\r\nPASS wrong\r\n" % USER.encode())
        self.assertTrue(r.f.readline().startswith(b"+OK"))
        r.close()
        # The session is freed when the delay ends; pop3d goes on.
        c = inst.pop3_login(USER, PASSWORD)
        pt.wait_for(lambda: inst.logtext().count(": connect from") ==
                    inst.logtext().count("disconnect from") + 1,
                    what="the delayed session to end")
        self.assertEqual(c.stat(), (0, 0))
        c.quit()


if __name__ == "__main__":
    pt.run()
