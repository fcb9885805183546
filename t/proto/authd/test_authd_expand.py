"""authd expands addresses through virtual and local aliases (catch-all,
sub-addressing, loops) and classifies domains."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


VIRTUAL = """sales@example.org  alice@example.org, carol@example.net, ghost@example.org
@example.net        alice@example.org
loop1@example.org   loop2@example.org
loop2@example.org   loop1@example.org
"""
ALIASES = "postmaster  root\nroot  alice@example.org\n"


class Expand(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.AuthdInstance(users=[("alice@example.org", "pw")], virtual=VIRTUAL,
                                     aliases=ALIASES)
        self.instances.append(self.inst)
        self.inst.start()
        self.c = self.inst.client()

    def test_expand(self):
        c = self.c
        self.assertEqual(c.call("EXPAND", "alice+news@example.org"),
                         ("OK", ["+alice+news@example.org"]))
        self.assertEqual(c.call("EXPAND", "Sales@Example.org"),
                         ("OK", ["+alice@example.org", "-ghost@example.org"]))
        self.assertEqual(c.call("EXPAND", "anyone@example.net"), ("OK", ["+alice@example.org"]))
        self.assertEqual(c.call("EXPAND", "postmaster@localhost"),
                         ("OK", ["+alice@example.org"]))
        self.assertEqual(c.call("EXPAND", "someone@remote.example"),
                         ("OK", ["+someone@remote.example"]))
        self.assertEqual(c.call("EXPAND", "x@relay.example"), ("OK", ["+x@relay.example"]))
        self.assertEqual(c.call("EXPAND", "nobody@example.org"), ("NOTFOUND", []))
        word, f = c.call("EXPAND", "loop1@example.org")
        self.assertEqual(word, "PERM")
        self.assertIn("alias loop", f[0])

    def test_domain(self):
        for domain, cls in (("localhost", "local"), ("EXAMPLE.org", "virtual"),
                            ("relay.example", "relay"), ("elsewhere.example", "remote")):
            self.assertEqual(self.c.call("DOMAIN", domain), ("OK", [cls]))

    def test_table_change_is_seen(self):
        with open(self.inst.path("virtual"), "a") as f:
            f.write("new@example.org alice@example.org\n")
        self.assertEqual(pt.postern_cmd("map", self.inst.path("virtual")).returncode, 0)
        self.assertEqual(self.c.call("EXPAND", "new@example.org"),
                         ("OK", ["+alice@example.org"]))


if __name__ == "__main__":
    pt.run()
