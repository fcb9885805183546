"""Mail as users meet it: a message sent over SMTP to a local user is
announced to that user's IMAP client waiting in IDLE (pushed by the
store's change notice, no NOOP), and reads back over IMAP and over POP3
with its Return-Path, Delivered-To and Received headers; the time from
smtpd's 250 to the untagged EXISTS is printed (a figure, not an
assertion)."""

import imaplib
import os
import poplib
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "alice pw")]


class Clients(pt.InstanceTest):
    directory = "hash"

    def setUp(self):
        super().setUp()
        self.imap_port = pt.free_port()
        self.pop3_port = pt.free_port()
        self.inst = pt.MailInstance(users=USERS, directory=self.directory, params={"auth_allow_plaintext": "yes"})
        self.instances.append(self.inst)
        with open(self.inst.path("master.conf")) as f:
            text = f.read()
        self.inst.write_master(text + "imap inet 127.0.0.1:%d n - $store_owner imapd\n"
                               "pop3 inet 127.0.0.1:%d n - $store_owner pop3d\n"
                               % (self.imap_port, self.pop3_port))
        self.inst.start()
        pt.wait_for(lambda: (pt.try_connect_line(("127.0.0.1", self.imap_port)) or "")
                    .startswith("* OK"), what="imapd to answer")

    def test_idle_sees_smtp_delivery(self):
        # A raw client: IDLE, then nothing but reading.
        s = socket.create_connection(("127.0.0.1", self.imap_port), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b'a LOGIN "alice@example.org" "alice pw"\r\nb SELECT INBOX\r\n')
        while not f.readline().startswith(b"b OK"):
            pass
        s.sendall(b"c IDLE\r\n")
        self.assertTrue(f.readline().startswith(b"+ "))
        t0 = time.monotonic()
        self.inst.send("sender@remote.test", ["alice@example.org"],
                       b"Subject: pushed\r\nMessage-ID: <idle@remote.test>\r\n\r\nhello\r\n")
        acked = time.monotonic()
        line = f.readline()
        got = time.monotonic()
        self.assertEqual(line, b"* 1 EXISTS\r\n")
        print("# 250 after %.3f s; EXISTS %.3f s after the 250" % (acked - t0, got - acked))
        s.sendall(b"DONE\r\n")
        while not f.readline().startswith(b"c OK"):
            pass
        s.sendall(b"d LOGOUT\r\n")
        s.close()
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
        c.login("alice@example.org", "alice pw")
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1", "(BODY.PEEK[])")
        msg = data[0][1]
        head = msg.split(b"\r\n\r\n", 1)[0]
        self.assertTrue(head.startswith(b"Return-Path: <sender@remote.test>\r\n"))
        self.assertIn(b"\r\nDelivered-To: alice@example.org\r\n", head)
        self.assertIn(b"\r\nReceived: from ", head)
        self.assertTrue(msg.endswith(b"\r\n\r\nhello\r\n"))
        c.logout()
        # The same bytes over POP3.
        p = poplib.POP3("127.0.0.1", self.pop3_port, timeout=30)
        p.user("alice@example.org")
        p.pass_("alice pw")
        self.assertEqual(p.stat()[0], 1)
        self.assertEqual(b"\r\n".join(p.retr(1)[1]) + b"\r\n", msg)
        p.quit()


class ClientsLdap(Clients):
    """The same with the users, aliases and domains in a real slapd."""

    directory = "ldap"


if __name__ == "__main__":
    pt.run()
