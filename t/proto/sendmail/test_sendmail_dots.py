"""The message text: without -i a line "." alone ends it; with -i or -oi
that line is text and arrives intact (dot-stuffed on the wire); LF and
CRLF input both become CRLF; a last line without newline is kept; 8-bit
text is submitted as BODY=8BITMIME, UTF-8 in the header with SMTPUTF8;
message_size_limit is enforced before connecting."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402

TEXT = b"Subject: dots\n\nfirst\n.leading dot\n..two\n.\nafter the dot\nlast"


class Dots(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True,
                                     params={"message_size_limit": "20000"})
        self.instances.append(self.inst)
        self.inst.start()

    def queue(self, *args, input=b""):
        r = st.sendmail(self.inst.dir, *args, input=input)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        info = st.qinfo(files[0])
        data = st.content(files[0])
        os.unlink(files[0])
        return info, data

    def test_lone_dot_ends_input(self):
        _, data = self.queue("alice@example.org", input=TEXT)
        _, body = st.header_body(data)
        self.assertEqual(body, b"first\r\n.leading dot\r\n..two\r\n")
        # ".\r\n" counts as well.
        _, data = self.queue("alice@example.org", input=b"Subject: x\r\n\r\na\r\n.\r\nb\r\n")
        self.assertEqual(st.header_body(data)[1], b"a\r\n")

    def test_i_keeps_dot_lines(self):
        for flag in ("-i", "-oi"):
            _, data = self.queue(flag, "alice@example.org", input=TEXT)
            _, body = st.header_body(data)
            self.assertEqual(body, b"first\r\n.leading dot\r\n..two\r\n.\r\nafter the dot\r\nlast\r\n",
                             flag)

    def test_crlf_input_not_doubled(self):
        _, data = self.queue("-i", "alice@example.org",
                             input=b"Subject: crlf\r\n\r\none\r\ntwo\nthree\r\n")
        self.assertEqual(st.header_body(data)[1], b"one\r\ntwo\r\nthree\r\n")
        self.assertNotIn(b"\r\r", data)

    def test_eight_bit(self):
        info, data = self.queue("alice@example.org", input="Subject: x\n\nGr\u00fc\u00dfe\n".encode())
        self.assertEqual(info["body"], "8BITMIME")
        self.assertEqual(info["smtputf8"], "0")
        self.assertIn("Gr\u00fc\u00dfe\r\n".encode(), data)
        info, _ = self.queue("alice@example.org", input=b"Subject: plain\n\nascii\n")
        self.assertEqual(info["body"], "7BIT")
        info, _ = self.queue("alice@example.org",
                             input="Subject: J\u00fcrgen\n\nx\n".encode())
        self.assertEqual(info["smtputf8"], "1", "UTF-8 in the header")

    def test_too_large(self):
        big = b"Subject: big\n\n" + (b"x" * 99 + b"\n") * 300
        r = st.sendmail(self.inst.dir, "alice@example.org", input=big)
        self.assertEqual(r.returncode, st.EX_DATAERR, r.stderr)
        self.assertIn(b"message too large", r.stderr)
        self.assertEqual(self.inst.queue_files(), [])
        # Just under the limit (with the added fields) goes through.
        ok = b"Subject: big\n\n" + (b"x" * 99 + b"\n") * 190
        self.queue("alice@example.org", input=ok)


if __name__ == "__main__":
    pt.run()
