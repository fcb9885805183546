"""authd answers LOOKUP and VERIFY over its socket: good, bad, unknown and
disabled users, failures logged in one stable line, and a failed login
answered at once with the delay its asker must wait out, growing with the
failures of the user and of the client address."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


USERS = [("alice@example.org", "correct horse", "--name", "Alice Example",
          "--quota", "10m", "--quota-messages", "500"),
         ("bob@example.org", "bobs secret", "--disabled")]


class LookupVerify(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.AuthdInstance(users=USERS, params={"authd_cache_ttl": "1s"})
        self.instances.append(self.inst)
        self.inst.start()

    def test_lookup(self):
        c = self.inst.client()
        word, f = c.call("LOOKUP", "Alice@Example.ORG")
        self.assertEqual(word, "OK")
        self.assertEqual(f, ["alice@example.org", "y", str(10 * 1024 * 1024), "500", "",
                             "Alice Example"])
        self.assertEqual(c.call("LOOKUP", "alice+lists@example.org")[1][0], "alice@example.org")
        self.assertEqual(c.call("LOOKUP", "bob@example.org")[1][1], "n")
        self.assertEqual(c.call("LOOKUP", "carol@example.org"), ("NOTFOUND", []))
        self.assertNotIn("$y$", repr(c.call("LOOKUP", "alice@example.org")),
                         "LOOKUP never returns the hash")

    def test_verify(self):
        c = self.inst.client()
        self.assertEqual(c.call("VERIFY", "imap", "ALICE@example.org", "correct horse", "192.0.2.1"),
                         ("OK", ["alice@example.org"]))
        for user, password, reason in (("alice@example.org", "wrong", "password mismatch"),
                                       ("bob@example.org", "bobs secret", "account disabled"),
                                       ("nobody@example.org", "x", "unknown user")):
            word, f = c.call("VERIFY", "smtp", user, password, "192.0.2.7")
            self.assertEqual(word, "FAIL", user)
            pt.wait_for(lambda: "auth-failure: service=smtp user=<%s> rip=192.0.2.7 reason=%s"
                        % (user, reason) in self.inst.logtext(), what="failure log line")
        self.assertNotIn("bobs secret", self.inst.logtext())
        self.assertNotIn("wrong", self.inst.logtext())

    def test_password_with_tab_and_newline(self):
        c = self.inst.client()
        r = pt.postern_cmd("-c", self.inst.dir, "user", "passwd", "alice@example.org",
                           "--password-stdin", stdin="tab\there\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The cache keeps the old record for up to authd_cache_ttl.
        pt.wait_for(lambda: c.call("VERIFY", "imap", "alice@example.org", "tab\there", "")[0]
                    == "OK", timeout=30, what="the new password")

    def test_failure_names_its_delay(self):
        # authd_failure_delay 1s, doubled per failure in a row of the user
        # or the address (the larger count), at most 15s.
        c = self.inst.client()

        def fail(user, addr):
            word, f = c.call("VERIFY", "imap", user, "wrong", addr)
            self.assertEqual((word, len(f), f[0]), ("FAIL", 2, "authentication failed"))
            return int(f[1])

        self.assertEqual(fail("alice@example.org", "192.0.2.9"), 1000)
        self.assertEqual(fail("alice@example.org", "192.0.2.9"), 2000)
        self.assertEqual(fail("nobody@example.org", "192.0.2.9"), 4000, "the address counts")
        self.assertEqual(fail("alice@example.org", "192.0.2.20"), 4000, "the user counts")
        self.assertEqual(fail("bob@example.org", "192.0.2.9"), 8000)
        self.assertEqual(fail("bob@example.org", "192.0.2.9"), 15000, "capped")
        self.assertEqual(fail("bob@example.org", "192.0.2.9"), 15000)
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", "correct horse",
                                "192.0.2.9")[0], "OK")
        self.assertEqual(fail("alice@example.org", "192.0.2.21"), 1000,
                         "a success clears the user's count")
        self.assertEqual(fail("carol@example.org", "192.0.2.9"), 15000,
                         "but not the address's")
        self.assertEqual(fail("dave@example.org", ""), 1000, "local: by user only")

    def test_postern_auth_verify_waits_out_the_delay(self):
        # The command is a client like the daemons: it tells of a failure
        # only after authd's delay (1s for a first failure).
        start = time.monotonic()
        r = pt.postern_cmd("-c", self.inst.dir, "auth", "verify", "alice@example.org", "imap",
                           "192.0.2.30", stdin="wrong\n")
        self.assertEqual((r.returncode, r.stdout), (1, "FAIL\n"), r.stderr)
        self.assertGreaterEqual(time.monotonic() - start, 1.0 - 0.05)
        r = pt.postern_cmd("-c", self.inst.dir, "auth", "verify", "alice@example.org", "imap",
                           "192.0.2.30", stdin="correct horse\n")
        self.assertEqual((r.returncode, r.stdout), (0, "OK\talice@example.org\n"), r.stderr)


if __name__ == "__main__":
    pt.run()
