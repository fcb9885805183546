"""CHUNKING (RFC 3030) in LMTP: BDAT chunks, a reply per chunk, then one
reply per recipient after BDAT LAST; a BDAT without a good recipient has
its octets skipped; no dot-unstuffing."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class Bdat(pt.InstanceTest):
    def test_bdat(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw"),
                                       ("bob@example.org", "pw", "--quota", "1k")])
        self.instances.append(inst)
        inst.start()
        c = smtp_raw.RawSMTP(inst.lmtp_port)
        self.assertIn("250 CHUNKING", c.cmd("LHLO client.example")[1])
        # Octets of a refused BDAT are not commands.
        c.send(b"BDAT 6\r\nQUIT\r\nNOOP\r\n")
        self.assertEqual(c.reply()[0], 503)
        self.assertEqual(c.reply()[0], 250)
        c.cmd("MAIL FROM:<a@remote.example>")
        c.cmd("RCPT TO:<alice@example.org>")
        c.cmd("RCPT TO:<bob@example.org>")
        part1 = b"Subject: chunks\r\n\r\n.first\r"
        part2 = b"\n" + b"z" * 2000 + b"\r\n"
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(c.reply(), (250, ["250 2.0.0 Ok: %d octets received" % len(part1)]))
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2 + b"NOOP\r\n")
        r1, r2, r3 = c.reply(), c.reply(), c.reply()
        self.assertEqual((r1[0], r2[0], r3[0]), (250, 552, 250))
        self.assertIn("<alice@example.org>", r1[1][0])
        self.assertIn("<bob@example.org>", r2[1][0])
        self.assertEqual(c.cmd("DATA")[0], 503, "the transaction is over")
        box = inst.mailbox("alice@example.org")
        self.assertEqual(len(box), 1)
        self.assertTrue(inst.message("alice@example.org", box[0][0]).endswith(part1 + part2))
        c.cmd("QUIT")


if __name__ == "__main__":
    pt.run()
