"""Cyrus SASL PLAIN and LOGIN exchanges through the SASL glue, with the
password checked by a running authd; authd gone is a temporary failure."""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def saslcheck(inst, tls, mech, user, password):
    return subprocess.run([os.path.join(pt.TESTBIN, "saslcheck"), inst.dir, tls, mech, user,
                           password], capture_output=True, text=True, timeout=60)


class Sasl(pt.InstanceTest):
    def test_plain_and_login(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "s3cret")],
                                params={"authd_failure_delay": "0"})
        self.instances.append(inst)
        inst.start()
        for mech in ("PLAIN", "LOGIN"):
            r = saslcheck(inst, "tls", mech, "Alice@example.org", "s3cret")
            self.assertEqual(r.stdout, "MECHS PLAIN LOGIN\nOK Alice@example.org\n", r.stderr)
            r = saslcheck(inst, "tls", mech, "alice@example.org", "nope")
            self.assertEqual(r.stdout, "MECHS PLAIN LOGIN\nFAIL\n", r.stderr)
        self.assertIn("auth-failure: service=imap user=<alice@example.org> rip=127.0.0.1",
                      inst.logtext())
        # Without TLS no password mechanism is offered (auth_allow_plaintext = no).
        r = saslcheck(inst, "plain", "PLAIN", "alice@example.org", "s3cret")
        self.assertTrue(r.stdout.startswith("MECHS \nBADPROT"), r.stdout)
        inst.stop()
        r = saslcheck(inst, "tls", "PLAIN", "alice@example.org", "s3cret")
        self.assertTrue(r.stdout.startswith("MECHS PLAIN LOGIN\nTEMP "), r.stdout)

    def test_mechanism_parameters(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "s3cret")],
                                params={"auth_mechanisms": "LOGIN",
                                        "auth_allow_plaintext": "yes"})
        self.instances.append(inst)
        inst.start()
        r = saslcheck(inst, "plain", "LOGIN", "alice@example.org", "s3cret")
        self.assertEqual(r.stdout, "MECHS LOGIN\nOK alice@example.org\n", r.stderr)
        r = saslcheck(inst, "plain", "PLAIN", "alice@example.org", "s3cret")
        self.assertTrue(r.stdout.startswith("MECHS LOGIN\nBADPROT"), r.stdout)


if __name__ == "__main__":
    pt.run()
