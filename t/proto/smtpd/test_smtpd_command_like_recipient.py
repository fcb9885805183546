"""A recipient whose address starts with '|' or '/' is refused (550
5.1.3) even where relaying is allowed: in the queue that form names a
local alias's command or file, which no client may name."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class CommandLikeRecipient(pt.InstanceTest):
    def test_refused(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.smtp_port)
        self.assertEqual(c.cmd("EHLO client.example")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<someone@remote.example>")[0], 250)
        for addr in ("|touch@relay.example", "/tmp/x@relay.example", '"|x"@remote.example',
                     "|x@example.org"):
            code, lines = c.cmd("RCPT TO:<%s>" % addr)[:2]
            self.assertEqual(code, 550, addr)
            self.assertIn("5.1.3", str(lines), addr)
        self.assertEqual(c.cmd("RCPT TO:<x|y@relay.example>")[0], 250, "'|' inside is fine")
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)


if __name__ == "__main__":
    pt.run()
