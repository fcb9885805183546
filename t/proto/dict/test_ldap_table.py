"""ldap: tables against a real slapd loaded with conf/ldap/directory.ldif,
through `postern map -q`, using the shipped example tables
(conf/ldap/*.cf) with only the server and the password file replaced:
users come back as user records, aliases as joined values, domains as
themselves; unknown keys and injection attempts are "not found"; a
stopped server is a temporary failure (exit 75, with a reason), never
"not found", and a restarted one is used again, also by a process that
kept its connection; a dead first server fails over to the next; a
wrong password and a failed StartTLS are temporary failures."""

import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import slapd  # noqa: E402

CONF = os.path.join(pt.ROOT, "conf", "ldap")

ALICE = ("{CRYPT}$6$PosternDemoSalt1$XSBpUhIuZpn8IhR/cAFBWh36bdwOdwfTnPG1"
         "sgXMJ19qoTnEhSg15xEKkNpxHbCOPM8fjMGvRwwqIWRAQspOG."
         ":TRUE:1073741824:100000:store1.example.org:Alice Liddell")
BOB = ("{CRYPT}$6$PosternDemoSalt2$G1b1AtO/VVTWF6tiGndrrulwhWsp4gcfz3itC"
       "DR59pova5mKmSRRxAzZaZZIYtKZQO4u.c3oWmcN8PzHPeuzD/"
       ":FALSE::::Bob Builder")
EX_TEMPFAIL = 75


def postern(*args, stdin=None):
    r = subprocess.run([pt.POSTERN] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    for bad in pt.BAD_LOG:
        if bad in r.stderr:
            raise AssertionError("postern reported %r:\n%s" % (bad, r.stderr))
    return r


class Querier:
    """`postern map -q - TABLE` kept running: one key at a time, each
    answered on stdout (found) or stderr (failed) within a deadline."""

    def __init__(self, table):
        self.proc = subprocess.Popen([pt.POSTERN, "map", "-q", "-", table],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.threads = [threading.Thread(target=self._read, args=(f, n), daemon=True)
                        for f, n in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for t in self.threads:
            t.start()

    def _read(self, f, name):
        for line in f:
            self.lines.put((name, line.rstrip("\n")))

    def ask(self, key, timeout=30):
        self.proc.stdin.write(key + "\n")
        self.proc.stdin.flush()
        try:
            src, line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no answer for %r within %ds" % (key, timeout))
        for bad in pt.BAD_LOG:
            if bad in line:
                raise AssertionError("postern reported %r: %s" % (bad, line))
        return src, line

    def close(self):
        self.proc.stdin.close()
        status = self.proc.wait(30)
        for t in self.threads:
            t.join(10)
        while not self.lines.empty():
            src, line = self.lines.get()
            raise AssertionError("unexpected output on std%s: %s" % (src, line))
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


class LdapTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postern-ldap-")
        cls.slapd = slapd.Slapd()
        try:
            cls.slapd.start()
        except BaseException:
            cls.slapd.cleanup()
            shutil.rmtree(cls.dir)
            raise
        cls.pwfile = os.path.join(cls.dir, "bind.pw")
        with open(cls.pwfile, "w") as f:
            f.write(slapd.READER_PW + "\n")
        os.chmod(cls.pwfile, 0o600)

    @classmethod
    def tearDownClass(cls):
        pid = cls.slapd.pid
        cls.slapd.cleanup()
        shutil.rmtree(cls.dir)
        if pid is not None and not pt.is_zombie(pid):
            raise AssertionError("slapd %d is still running" % pid)

    def setUp(self):
        if self.slapd.pid is None:
            self.slapd.start()

    def cf(self, example, name=None, **settings):
        """The shipped example with settings replaced (None: removed)
        or added; returns "ldap:PATH"."""
        base = {"server_host": self.slapd.uri, "start_tls": "no",
                "tls_ca_cert_file": None}
        if example == "users":
            base["bind_pw_file"] = self.pwfile
        base.update(settings)
        with open(os.path.join(CONF, example + ".cf")) as f:
            text = f.read()
        for k, v in base.items():
            line = "" if v is None else "%s = %s\n" % (k, v)
            text, n = re.subn(r"(?m)^%s = .*\n" % k, line, text)
            if n == 0 and v is not None:
                text += line
        path = os.path.join(self.dir, (name or example) + ".cf")
        with open(path, "w") as f:
            f.write(text)
        return "ldap:" + path

    def found(self, key, table):
        r = postern("map", "-q", key, table)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        return r.stdout

    def not_found(self, key, table):
        r = postern("map", "-q", key, table)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", ""))

    def tempfail(self, key, table):
        r = postern("map", "-q", key, table)
        self.assertEqual(r.returncode, EX_TEMPFAIL, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("postern: " + table + ": "),
                        r.stderr)
        return r.stderr

    def test_user_records(self):
        users = self.cf("users")
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")
        self.assertEqual(self.found("Alice@EXAMPLE.org", users), ALICE + "\n")
        self.assertEqual(self.found("bob@example.net", users), BOB + "\n")
        self.not_found("carol@example.org", users)
        self.not_found("alice", users)

    def test_aliases_join_values(self):
        aliases = self.cf("aliases")
        self.assertEqual(self.found("sales@example.org", aliases),
                         "alice@example.org, bob@example.net\n")
        self.assertEqual(self.found("postmaster@example.org", aliases),
                         "alice@example.org\n")
        self.not_found("nobody@example.org", aliases)

    def test_domains(self):
        domains = self.cf("domains")
        self.assertEqual(self.found("example.org", domains), "example.org\n")
        self.assertEqual(self.found("EXAMPLE.NET", domains), "example.net\n")
        self.not_found("example.com", domains)
        # A template without %{attr} asks for no attribute ("1.1").
        ok = self.cf("domains", "constant", result_attribute=None,
                     result_template="OK")
        self.assertEqual(self.found("example.org", ok), "OK\n")
        self.not_found("example.com", ok)

    def test_injection_is_literal(self):
        # The same search with a real wildcard matches every alias, so
        # an unescaped '*' in a key would be seen.
        wild = self.cf("aliases", "wild", query_filter="(cn=*)")
        self.assertIn("bob@example.net", self.found("x", wild))
        aliases = self.cf("aliases")
        users = self.cf("users")
        for key in ("*", "*@example.org", "*)(cn=*", "*)(|(cn=*",
                    "sales@example.org)(cn=*", "\\2a", "sales@example.or*"):
            self.not_found(key, aliases)
            self.not_found(key, users)

    def test_template_needs_one_entry(self):
        users = self.cf("users", "everyone",
                        query_filter="(|(mail=%s)(objectClass=posternAccount))")
        self.assertIn("2 entries match; result_template needs exactly one",
                      self.tempfail("alice@example.org", users))

    def test_size_limit(self):
        aliases = self.cf("aliases", "limited", size_limit="1",
                          query_filter="(|(cn=%s)(objectClass=nisMailAlias))")
        self.assertIn("size limit", self.tempfail("x", aliases))

    def test_server_down_then_restarted(self):
        users = self.cf("users")
        aliases = self.cf("aliases")
        self.slapd.stop()
        try:
            err = self.tempfail("alice@example.org", users)
            self.assertIn(self.slapd.uri, err)
            self.assertIn("Can't contact LDAP server", err)
            self.tempfail("nobody@example.org", aliases)
            # %d of a key without '@' cannot match: no server is asked.
            nodomain = self.cf("domains", "nodomain",
                               query_filter="(associatedDomain=%d)")
            self.not_found("example.org", nodomain)
        finally:
            self.slapd.start()
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")

    def test_kept_connection_survives_restart(self):
        q = Querier(self.cf("users"))
        try:
            self.assertEqual(q.ask("alice@example.org"), ("out", "alice@example.org\t" + ALICE))
            self.slapd.restart()
            self.assertEqual(q.ask("bob@example.net"), ("out", "bob@example.net\t" + BOB))
            self.slapd.stop()
            src, line = q.ask("alice@example.org")
            self.assertEqual(src, "err")
            self.assertIn("Can't contact LDAP server", line)
            self.slapd.start()
            self.assertEqual(q.ask("alice@example.org"), ("out", "alice@example.org\t" + ALICE))
            self.assertEqual(q.close(), EX_TEMPFAIL)
        finally:
            q.kill()

    def test_failover_to_second_server(self):
        dead = "ldap://127.0.0.1:%d/" % pt.free_port()
        users = self.cf("users", "failover",
                        server_host="%s, %s" % (dead, self.slapd.uri))
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")
        both_dead = self.cf("users", "dead", server_host="%s %s" % (
            dead, "ldap://127.0.0.1:%d/" % pt.free_port()))
        self.assertIn("no server answered", self.tempfail("alice@example.org",
                                                          both_dead))

    def test_ldapi(self):
        aliases = self.cf("aliases", "ldapi", server_host=self.slapd.ldapi_uri)
        self.assertEqual(self.found("postmaster@example.org", aliases),
                         "alice@example.org\n")

    def test_wrong_password(self):
        users = self.cf("users", "wrongpw", bind_pw_file=None,
                        bind_pw="not-the-password")
        err = self.tempfail("alice@example.org", users)
        self.assertIn("bind: Invalid credentials", err)
        self.assertNotIn("not-the-password", err)

    def test_failed_starttls_is_tempfail(self):
        # This slapd has no certificate: StartTLS fails, and the lookup
        # must not go on in clear text.
        users = self.cf("users", "tls", start_tls="yes")
        self.assertIn("StartTLS", self.tempfail("alice@example.org", users))

    def test_bad_cf_files(self):
        path = self.cf("aliases", "typo", serverhost="ldap://x/")[5:]
        r = postern("map", "-q", "x", "ldap:" + path)
        self.assertEqual(r.returncode, 2)
        line = open(path).read().count("\n")
        self.assertIn("%s:%d: unknown parameter serverhost" % (path, line),
                      r.stderr)
        r = postern("map", "-q", "x", "ldap:" + os.path.join(self.dir, "nope.cf"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nope.cf", r.stderr)
        r = postern("map", "-q", "x", self.cf("users", "nopw",
                                              bind_pw_file=self.dir + "/nopw"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nopw", r.stderr)
        self.assertEqual(postern("map", "-q", "x").returncode, 2)

    def test_other_table_types(self):
        self.assertEqual(self.found("A", "inline:{a=1, b=2}"), "1\n")
        self.not_found("c", "inline:{a=1, b=2}")
        self.assertEqual(self.found("anything", "static:OK"), "OK\n")
        src = os.path.join(self.dir, "virtual")
        with open(src, "w") as f:
            f.write("sales@example.org alice@example.org\n")
        for t in ("hash", "lmdb"):
            self.assertEqual(postern("map", "%s:%s" % (t, src)).returncode, 0)
            self.assertEqual(self.found("sales@example.org", "%s:%s" % (t, src)),
                             "alice@example.org\n")
            self.not_found("x@example.org", "%s:%s" % (t, src))
        self.assertEqual(self.found("sales@example.org", src),
                         "alice@example.org\n")


class LdapTls(unittest.TestCase):
    """StartTLS and ldaps:// against a slapd with a certificate from a
    CA made for the test: used when the CA verifies it, refused (as a
    temporary failure) when it does not."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postern-ldaptls-")
        cls.slapd = slapd.Slapd(tls=True)
        try:
            cls.slapd.start()
        except BaseException:
            cls.slapd.cleanup()
            shutil.rmtree(cls.dir)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.slapd.cleanup()
        shutil.rmtree(cls.dir)

    cf = LdapTable.cf
    found = LdapTable.found
    tempfail = LdapTable.tempfail

    def setUp(self):
        self.pwfile = os.path.join(self.dir, "bind.pw")
        with open(self.pwfile, "w") as f:
            f.write(slapd.READER_PW)

    def test_starttls_verified(self):
        users = self.cf("users", "starttls", start_tls="yes",
                        tls_ca_cert_file=self.slapd.ca_file)
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")

    def test_ldaps_verified(self):
        users = self.cf("users", "ldaps", server_host=self.slapd.ldaps_uri,
                        tls_ca_cert_file=self.slapd.ca_file)
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")

    def test_unverified_certificate_refused(self):
        # The system's CAs do not know the test CA.
        users = self.cf("users", "noca", start_tls="yes")
        self.assertIn("StartTLS", self.tempfail("alice@example.org", users))
        users = self.cf("users", "noca_ldaps", server_host=self.slapd.ldaps_uri)
        self.tempfail("alice@example.org", users)

    def test_require_cert_off(self):
        users = self.cf("users", "nocheck", start_tls="yes",
                        tls_require_cert="no")
        self.assertEqual(self.found("alice@example.org", users), ALICE + "\n")


if __name__ == "__main__":
    pt.run()
