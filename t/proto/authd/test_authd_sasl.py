"""Cyrus SASL PLAIN and LOGIN exchanges through the SASL glue, with the
password checked by a running authd; authd gone is a temporary failure;
a failure hands authd's delay back to the caller (not waited out in the
check); auth_mechanisms in list syntax."""

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
            self.assertEqual(r.stdout, "MECHS PLAIN LOGIN\nFAIL delay=0\n", r.stderr)
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

    def test_mechanism_list_with_commas(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "s3cret")],
                                params={"auth_mechanisms": "LOGIN, PLAIN"})
        self.instances.append(inst)
        inst.start()
        for mech in ("PLAIN", "LOGIN"):
            r = saslcheck(inst, "tls", mech, "alice@example.org", "s3cret")
            self.assertEqual(r.stdout, "MECHS LOGIN PLAIN\nOK alice@example.org\n", r.stderr)

    def test_failure_delay_passed_back(self):
        # authd answers at once and names the delay; it grows with the
        # client address's failures (a success does not reset those).
        inst = pt.AuthdInstance(users=[("alice@example.org", "s3cret")],
                                params={"authd_failure_delay": "1s",
                                        "authd_failure_delay_max": "3s"})
        self.instances.append(inst)
        inst.start()
        want = [("PLAIN", "nope", "FAIL delay=1000"), ("LOGIN", "nope", "FAIL delay=2000"),
                ("PLAIN", "s3cret", "OK alice@example.org"),
                ("LOGIN", "nope", "FAIL delay=3000"), ("PLAIN", "nope", "FAIL delay=3000")]
        for mech, password, line in want:
            r = saslcheck(inst, "tls", mech, "alice@example.org", password)
            self.assertEqual(r.stdout, "MECHS PLAIN LOGIN\n%s\n" % line, r.stderr)


if __name__ == "__main__":
    pt.run()
