"""Cyrus SASL PLAIN and LOGIN exchanges through the SASL glue, with the
password checked by a running authd; authd gone is a temporary failure."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def saslcheck(sock, mech, user, password):
    return subprocess.run([os.path.join(pt.TESTBIN, "saslcheck"), sock, mech, user, password],
                          capture_output=True, text=True, timeout=60)


class Sasl(pt.InstanceTest):
    def test_plain_and_login(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "s3cret")],
                                params={"authd_failure_delay": "0"})
        self.instances.append(inst)
        inst.start()
        for mech in ("PLAIN", "LOGIN"):
            r = saslcheck(inst.socket, mech, "alice@example.org", "s3cret")
            self.assertEqual(r.stdout, "OK alice@example.org alice@example.org\n", r.stderr)
            r = saslcheck(inst.socket, mech, "alice@example.org", "nope")
            self.assertEqual(r.stdout, "FAIL\n", r.stderr)
        self.assertIn("auth-failure: service=imap user=<alice@example.org> rip=127.0.0.1",
                      inst.logtext())
        inst.stop()
        r = saslcheck(inst.socket, "PLAIN", "alice@example.org", "s3cret")
        self.assertTrue(r.stdout.startswith("TEMP "), r.stdout)


if __name__ == "__main__":
    pt.run()
