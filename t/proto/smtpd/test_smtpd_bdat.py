"""CHUNKING (RFC 3030): BDAT chunks and LAST, empty chunks, pipelining,
refused chunks whose octets are still read, DATA after BDAT, the size
limit, bare LF in chunks, and a BDAT line that cannot be parsed."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


def content_of(path):
    """The bytes of a queue file (envelope, Received: header and text)."""
    with open(path, "rb") as f:
        data = f.read()
    return data


class Bdat(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")],
                                     params={"message_size_limit": "2048",
                                             "mynetworks": "192.0.2.0/24",
                                             "smtpd_forbid_bare_newline_exclusions": ""})
        self.instances.append(self.inst)
        self.inst.start()
        self.c = smtp_raw.RawSMTP(self.inst.smtp_port)
        self.assertIn("250 CHUNKING", self.c.cmd("EHLO client.example")[1])

    def begin(self):
        self.assertEqual(self.c.cmd("MAIL FROM:<bob@remote.example>")[0], 250)
        self.assertEqual(self.c.cmd("RCPT TO:<alice@example.org>")[0], 250)

    def test_chunks(self):
        c = self.c
        self.begin()
        part1 = b"Subject: chunks\r\n\r\nfirst line\r"
        part2 = b"\n.second line starts with a dot\r\n"
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(c.reply(), (250, ["250 2.0.0 Ok: %d octets received" % len(part1)]))
        c.send(b"BDAT 0\r\n")
        self.assertEqual(c.reply()[0], 250, "an empty chunk")
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        code, lines = c.reply()
        self.assertEqual(code, 250)
        self.assertIn("queued as", lines[0])
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        data = content_of(files[0])
        # No dot-unstuffing in BDAT: the dot stays.
        self.assertIn(part1 + part2, data)

    def test_pipelined_and_bdat_0_last(self):
        c = self.c
        body = b"Subject: p\r\n\r\nx\r\n"
        c.send(b"MAIL FROM:<bob@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
               b"BDAT %d\r\n" % len(body) + body + b"BDAT 0 LAST\r\nNOOP\r\n")
        self.assertEqual([c.reply()[0] for _ in range(5)], [250, 250, 250, 250, 250])
        self.assertEqual(len(self.inst.queue_files()), 1)

    def test_refused_chunk_octets_are_skipped(self):
        c = self.c
        # No transaction: 503, and "QUIT\r\n" inside the chunk is no command.
        c.send(b"BDAT 6\r\nQUIT\r\nNOOP\r\n")
        self.assertEqual(c.reply(), (503, ["503 5.5.1 Error: need MAIL command"]))
        self.assertEqual(c.reply()[0], 250, "NOOP after the skipped octets")
        self.assertEqual(c.cmd("MAIL FROM:<bob@remote.example>")[0], 250)
        c.send(b"BDAT 4 LAST\r\nRSET")
        self.assertEqual(c.reply()[0], 503, "no recipient yet")
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(self.inst.queue_files(), [])

    def test_data_after_bdat(self):
        c = self.c
        self.begin()
        c.send(b"BDAT 3\r\nabc")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 503)
        self.assertEqual(c.cmd("RSET")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<bob@remote.example>")[0], 250)

    def test_too_big(self):
        c = self.c
        self.begin()
        big = b"x" * 70 + b"\r\n"
        c.send(b"BDAT %d\r\n" % (len(big) * 40) + big * 40)
        self.assertEqual(c.reply()[0], 552)
        # The transaction is over: a later chunk gets 503, octets skipped.
        c.send(b"BDAT 5 LAST\r\nhello")
        self.assertEqual(c.reply()[0], 503)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(self.inst.queue_files(), [])

    def test_bare_lf_in_chunk(self):
        c = self.c
        self.begin()
        body = b"Subject: lf\n\nbare\n"
        c.send(b"BDAT %d LAST\r\n" % len(body) + body)
        self.assertEqual(c.reply()[0], 550)
        self.assertEqual(self.inst.queue_files(), [])

    def test_unparsable_bdat_closes(self):
        c = self.c
        self.begin()
        c.send(b"BDAT lots\r\nMAIL FROM:<x@remote.example>\r\n")
        self.assertEqual(c.reply()[0], 501)
        self.assertEqual(c.reply(), (None, []), "closed: the octets cannot be found")


if __name__ == "__main__":
    pt.run()
