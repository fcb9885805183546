"""authd remembers found users for authd_cache_ttl and unknown ones for
authd_cache_negative_ttl; with both at 0 every request reads the tables."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def add(inst, address, *options):
    r = pt.postern_cmd("-c", inst.dir, "user", "add", address, "--password-stdin", *options,
                       stdin="pw\n")
    assert r.returncode == 0, r.stderr


class Cache(pt.InstanceTest):
    def test_cached(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw")],
                                params={"authd_cache_ttl": "1h",
                                        "authd_cache_negative_ttl": "1h"})
        self.instances.append(inst)
        inst.start()
        c = inst.client()
        self.assertEqual(c.call("LOOKUP", "alice@example.org")[1][1], "y")
        self.assertEqual(c.call("LOOKUP", "carol@example.org")[0], "NOTFOUND")
        r = pt.postern_cmd("-c", inst.dir, "user", "disable", "alice@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        add(inst, "carol@example.org")
        self.assertEqual(c.call("LOOKUP", "ALICE@example.org")[1][1], "y",
                         "a found user is remembered")
        self.assertEqual(c.call("LOOKUP", "carol@example.org")[0], "NOTFOUND",
                         "an unknown user is remembered")
        self.assertEqual(c.call("EXPAND", "carol@example.org"), ("OK", ["+carol@example.org"]),
                         "expansion reads the tables")

    def test_uncached(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw")],
                                params={"authd_cache_ttl": "0",
                                        "authd_cache_negative_ttl": "0"})
        self.instances.append(inst)
        inst.start()
        c = inst.client()
        self.assertEqual(c.call("LOOKUP", "carol@example.org")[0], "NOTFOUND")
        add(inst, "carol@example.org")
        self.assertEqual(c.call("LOOKUP", "carol@example.org")[0], "OK")
        r = pt.postern_cmd("-c", inst.dir, "user", "disable", "carol@example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(c.call("LOOKUP", "carol@example.org")[1][1], "n")


if __name__ == "__main__":
    pt.run()
