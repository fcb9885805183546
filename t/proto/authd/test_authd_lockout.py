"""Failed logins lock out the user and the client address for a while:
then even the right password fails, without a password check."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class Lockout(pt.InstanceTest):
    def test_locked_out_failure_is_delayed(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw")],
                                params={"authd_lockout_failures": "2",
                                        "authd_failure_delay": "2s",
                                        "authd_lockout_time": "1h"})
        self.instances.append(inst)
        inst.start()
        c = inst.client()
        delays = [c.call("VERIFY", "imap", "alice@example.org", "bad", "192.0.2.5")[1][1]
                  for _ in range(2)]
        self.assertEqual(delays, ["2000", "4000"])
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", "pw", "192.0.2.5"),
                         ("FAIL", ["authentication failed", "8000"]),
                         "locked out: the right password fails, and waits longer")


    def test_lockout(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw"), ("bob@example.org", "pw")],
                                params={"authd_lockout_failures": "3",
                                        "authd_failure_delay": "0",
                                        "authd_lockout_time": "1h"})
        self.instances.append(inst)
        inst.start()
        c = inst.client()
        self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", "pw", "192.0.2.1")[0], "OK")
        for _ in range(3):
            self.assertEqual(c.call("VERIFY", "imap", "alice@example.org", "bad", "192.0.2.2"),
                             ("FAIL", ["authentication failed", "0"]))
        self.assertIn("auth-lockout: user=<alice@example.org> after 3 failures", inst.logtext())
        self.assertIn("auth-lockout: rip=192.0.2.2 after 3 failures", inst.logtext())
        word, f = c.call("VERIFY", "imap", "alice@example.org", "pw", "192.0.2.3")
        self.assertEqual(word, "FAIL", "the user is locked out, whatever the password")
        self.assertEqual(f, ["authentication failed", "0"], "a locked-out FAIL names its delay")
        pt.wait_for(lambda: "reason=locked out" in inst.logtext(), what="lockout log")
        word, _ = c.call("VERIFY", "imap", "bob@example.org", "pw", "192.0.2.2")
        self.assertEqual(word, "FAIL", "the client address is locked out too")
        self.assertEqual(c.call("VERIFY", "imap", "bob@example.org", "pw", "192.0.2.4")[0], "OK",
                         "others are not")


if __name__ == "__main__":
    pt.run()
