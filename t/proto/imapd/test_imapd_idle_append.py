"""IDLE: mail delivered over LMTP, and a flag change and an expunge made
by another session, announced to an idling client at once (the store change notice);
DONE ends it.  APPEND with flags and a date (APPENDUID), into a missing
mailbox (TRYCREATE)."""

import os
import re
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "secret")]


class IdleAppend(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.ImapdInstance(users=USERS, params={"auth_allow_plaintext": "yes"})
        self.instances.append(self.inst)
        self.inst.start()
        self.inst.deliver("alice@example.org")

    def raw_login(self):
        s = socket.create_connection(("127.0.0.1", self.inst.imap_port), 30)
        f = s.makefile("rwb")
        f.readline()
        for line in (b"a LOGIN alice@example.org secret\r\n", b"b SELECT INBOX\r\n"):
            f.write(line)
            f.flush()
            while not f.readline().startswith(line[:2]):
                pass
        return s, f

    def read_until(self, f, sock, want, timeout):
        """Lines until one contains want; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        lines = []
        try:
            while True:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                line = f.readline()
                lines.append(line)
                if want in line or not line:
                    break
        except (socket.timeout, OSError):
            pass
        finally:
            sock.settimeout(30)
        if not lines or want not in lines[-1]:
            self.fail("no %r within %ss: %r" % (want, timeout, lines))
        return lines

    def test_idle_sees_delivery_flags_expunge(self):
        s, f = self.raw_login()
        f.write(b"c IDLE\r\n")
        f.flush()
        self.assertEqual(f.readline(), b"+ idling\r\n")
        # Announced by the store's change notice, not a poll: 3 s leave
        # room for a loaded sanitizer build.
        self.inst.deliver("alice@example.org")
        self.read_until(f, s, b"* 2 EXISTS", 3.0)
        other = self.inst.imap()
        other.login("alice@example.org", "secret")
        other.select("INBOX")
        other.store("1", "+FLAGS", "(\\Flagged)")
        self.read_until(f, s, b"* 1 FETCH (FLAGS (\\Flagged", 3.0)
        other.store("1", "+FLAGS", "(\\Deleted)")
        other.expunge()
        self.read_until(f, s, b"* 1 EXPUNGE", 3.0)
        other.logout()
        f.write(b"DONE\r\n")
        f.flush()
        self.read_until(f, s, b"c OK IDLE terminated", 2.0)
        f.write(b"d NOOP\r\n")
        f.flush()
        self.read_until(f, s, b"d OK", 2.0)
        s.close()

    def test_append(self):
        c = self.inst.imap()
        c.login("alice@example.org", "secret")
        msg = b"Subject: appended\r\n\r\nhi\r\n"
        typ, data = c.append("INBOX", "(\\Seen $Done)", '"01-Feb-2026 10:00:00 +0000"', msg)
        self.assertEqual(typ, "OK")
        m = re.search(rb"\[APPENDUID (\d+) 2\]", data[0])
        self.assertIsNotNone(m, data)
        c.select("INBOX")
        typ, data = c.fetch("2", "(FLAGS INTERNALDATE BODY.PEEK[])")
        self.assertIn(b"\\Seen", data[0][0])
        self.assertIn(b"$Done", data[0][0])
        self.assertIn(b'" 1-Feb-2026 10:00:00 +0000"', data[0][0])
        self.assertEqual(data[0][1], msg)
        typ, data = c.append("Nowhere", None, None, msg)
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        c.logout()


if __name__ == "__main__":
    pt.run()
