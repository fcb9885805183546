"""The same directory, served once from hash: tables and once from a real
slapd (the shipped sample LDIF), answers the same through authd.  With
LDAP, a stopped server is a temporary failure, never "unknown user", and
a restarted one is used again without restarting authd."""

import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import slapd  # noqa: E402


PASSWORD = "secret"  # the sample LDIF's demo password
ALICE = ["alice@example.org", "y", "1073741824", "100000", "store1.example.org",
         "Alice Liddell"]
DOMAINS = "example.org, example.net"


class DirectoryCases:
    """Tests every backend must pass; self.inst is a running AuthdInstance."""

    def test_lookup(self):
        c = self.inst.client()
        self.assertEqual(c.call("LOOKUP", "alice@example.org"), ("OK", ALICE))
        self.assertEqual(c.call("LOOKUP", "alice+tag@example.org")[1][0], "alice@example.org")
        self.assertEqual(c.call("LOOKUP", "bob@example.net")[1][1], "n")
        self.assertEqual(c.call("LOOKUP", "nobody@example.org"), ("NOTFOUND", []))
        self.assertEqual(c.call("LOOKUP", "*"), ("NOTFOUND", []))

    def test_verify(self):
        c = self.inst.client()
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", PASSWORD, "192.0.2.1"),
                         ("OK", ["alice@example.org"]))
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", "wrong", "192.0.2.1")[0],
                         "FAIL")
        self.assertEqual(c.call("VERIFY", "pop3", "bob@example.net", PASSWORD, "192.0.2.1")[0],
                         "FAIL")
        pt.wait_for(lambda: "user=<bob@example.net> rip=192.0.2.1 reason=account disabled"
                    in self.inst.logtext(), what="disabled log line")

    def test_expand_and_domains(self):
        c = self.inst.client()
        self.assertEqual(c.call("EXPAND", "sales@example.org"),
                         ("OK", ["+alice@example.org", "+bob@example.net"]))
        self.assertEqual(c.call("EXPAND", "postmaster@example.org"),
                         ("OK", ["+alice@example.org"]))
        self.assertEqual(c.call("EXPAND", "ghost@example.net"), ("NOTFOUND", []))
        self.assertEqual(c.call("DOMAIN", "example.net"), ("OK", ["virtual"]))
        self.assertEqual(c.call("DOMAIN", "example.com"), ("OK", ["remote"]))


USERS = [("alice@example.org", PASSWORD, "--name", "Alice Liddell", "--quota", "1g",
          "--quota-messages", "100000", "--host", "store1.example.org"),
         ("bob@example.net", PASSWORD, "--disabled")]


class HashDirectory(DirectoryCases, pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.AuthdInstance(
            users=USERS,
            params={"virtual_mailbox_domains": DOMAINS, "authd_failure_delay": "0"},
            virtual="postmaster@example.org alice@example.org\n"
                    "sales@example.org alice@example.org, bob@example.net\n")
        self.instances.append(self.inst)
        self.inst.start()


def ldap_cf(server, base, extra):
    return ("server_host = %s\nbind_dn = %s\nbind_pw = %s\nsearch_base = %s,dc=example,dc=org\n"
            "scope = one\ntimeout = 5s\n%s" % (server.uri, slapd.READER_DN, slapd.READER_PW,
                                               base, extra))


class LdapDirectory(DirectoryCases, pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.slapd = slapd.Slapd().start()
        self.addCleanup(self.slapd.cleanup)
        self.inst = pt.AuthdInstance(params={
            "virtual_mailbox_maps": "ldap:$config_directory/users.cf",
            "virtual_alias_maps": "ldap:$config_directory/aliases.cf",
            "virtual_mailbox_domains": "ldap:$config_directory/domains.cf",
            "authd_cache_ttl": "0", "authd_cache_negative_ttl": "0",
            "authd_failure_delay": "0"})
        self.instances.append(self.inst)
        tables = {
            "users.cf": ldap_cf(self.slapd, "ou=people",
                                "query_filter = (&(objectClass=posternAccount)(mail=%s))\n"
                                "result_template = %{userPassword}:%{posternEnabled}:"
                                "%{posternQuotaBytes}:%{posternQuotaMessages}:"
                                "%{posternMailHost}:%{cn}\n"),
            "aliases.cf": ldap_cf(self.slapd, "ou=aliases",
                                  "query_filter = (&(objectClass=nisMailAlias)(cn=%s))\n"
                                  "result_attribute = rfc822MailMember\n"),
            "domains.cf": ldap_cf(self.slapd, "ou=domains",
                                  "query_filter = (associatedDomain=%s)\n"
                                  "result_attribute = associatedDomain\n"),
        }
        for name, text in tables.items():
            with open(self.inst.path(name), "w") as f:
                f.write(text)
        self.inst.start()

    def test_server_down_and_back(self):
        c = self.inst.client()
        authd = self.inst.children("authd")
        self.assertEqual(c.call("LOOKUP", "alice@example.org")[0], "OK")
        self.slapd.stop()
        for request in (("LOOKUP", "alice@example.org"),
                        ("VERIFY", "imap", "alice@example.org", PASSWORD, "192.0.2.1"),
                        ("EXPAND", "sales@example.org"), ("DOMAIN", "example.org")):
            word, f = c.call(*request)
            self.assertEqual(word, "TEMP", request)
        self.assertNotIn("reason=unknown user", self.inst.logtext())
        self.slapd.start()
        # Recovery needs no authd restart; it may take a look-up or two.
        pt.wait_for(lambda: c.call("LOOKUP", "alice@example.org") == ("OK", ALICE),
                    timeout=30, what="authd to use the restarted slapd")
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", PASSWORD, "")[0], "OK")
        self.assertEqual(self.inst.children("authd"), authd, "authd was not restarted")


if __name__ == "__main__":
    pt.run()
