"""A TCP client outside lmtpd_client_networks gets a 554 greeting and
the connection closes, with a log line; the unix socket is always
open."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class Refused(pt.InstanceTest):
    def test_outside_allowlist(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw")],
                                params={"lmtpd_client_networks": "192.0.2.0/24"})
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.lmtp_port)
        self.assertEqual(c.greeting[0], 554)
        self.assertTrue(c.greeting[1][0].startswith("554 5.7.1 "))
        self.assertEqual(c.reply(), (None, []))
        self.assertIn("refused: client [127.0.0.1]", inst.logtext())
        self.assertIn("not in lmtpd_client_networks", inst.logtext())
        lm = inst.lmtp()
        lm.mail("a@remote.example")
        self.assertEqual(lm.rcpt("alice@example.org")[0], 250)
        lm.quit()


if __name__ == "__main__":
    pt.run()
