"""sendmail adds Date:, Message-ID: and From: when they are missing (From:
with the -F or passwd full name and the -f or login address), keeps the
ones present and every other field exactly, and -f sets the envelope
sender (also <>).  A message without a header, or whose first line is
not a field, gets its empty line so the added fields stay a header."""

import email.header
import email.utils
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


class Headers(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True)
        self.instances.append(self.inst)
        self.inst.start()

    def queue(self, *args, input=b""):
        r = st.sendmail(self.inst.dir, *args, input=input)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        info = st.qinfo(files[0])
        head, body = st.header_body(st.content(files[0]))
        os.unlink(files[0])
        return info, head, body

    def test_added_when_missing(self):
        info, head, body = self.queue("-F", "Test User", "alice@example.org",
                                      input=b"Subject: bare\n\nhello\n")
        self.assertEqual(info["sender"], "root@localhost")
        date = st.fields(head, "Date")
        self.assertEqual(len(date), 1)
        self.assertRegex(date[0].decode(),
                         r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|"
                         r"Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
        self.assertIsNotNone(email.utils.parsedate_to_datetime(date[0].decode()))
        mid = st.fields(head, "Message-ID")
        self.assertEqual(len(mid), 1)
        self.assertRegex(mid[0].decode(), r"^<[0-9A-Za-z]+@[^@>]+>$")
        self.assertEqual(st.fields(head, "From"), [b"Test User <root@localhost>"])
        self.assertEqual(st.fields(head, "Subject"), [b"bare"])
        self.assertEqual(body, b"hello\r\n")
        # A second message has another Message-ID.
        _, head2, _ = self.queue("alice@example.org", input=b"Subject: two\n\nx\n")
        self.assertNotEqual(st.fields(head2, "Message-ID"), mid)

    def test_present_kept(self):
        msg = (b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
               b"Message-ID: <given@example.org>\n"
               b"FROM: Given <given@example.org>\n"
               b"X-Odd:no space\n"
               b"Subject: kept  \n\tfolded\n\nbody\n")
        info, head, body = self.queue("-f", "env@example.org", "-F", "Ignored",
                                      "alice@example.org", input=msg)
        self.assertEqual(info["sender"], "env@example.org")
        # After smtpd's Received: the header is what was given, in CRLF.
        self.assertTrue(head.endswith(msg.split(b"\n\n")[0].replace(b"\n", b"\r\n") + b"\r\n"),
                        head)
        self.assertNotIn(b"Ignored", head)

    def test_f_address_and_null_sender(self):
        info, head, _ = self.queue("-f", "Some One <some.one@example.net>", "alice@example.org",
                                   input=b"Subject: f\n\nx\n")
        self.assertEqual(info["sender"], "some.one@example.net")
        self.assertEqual(st.fields(head, "From"), [b"root <some.one@example.net>"])
        info, head, _ = self.queue("-f", "<>", "-F", "", "alice@example.org",
                                   input=b"Subject: null\n\nx\n")
        self.assertEqual(info["sender"], "")
        self.assertEqual(st.fields(head, "From"), [b"MAILER-DAEMON@localhost"])
        info, _, _ = self.queue("-f", "bare", "alice@example.org", input=b"x\n")
        self.assertEqual(info["sender"], "bare@localhost", "qualified with myorigin")
        r = st.sendmail(self.inst.dir, "-f", "a@b@c", "alice@example.org", input=b"x\n")
        self.assertEqual(r.returncode, st.EX_DATAERR, r.stderr)
        self.assertIn(b"bad address in sender", r.stderr)

    def test_full_name_quoting_and_encoding(self):
        _, head, _ = self.queue("-F", "Smith, John (Jr.)", "alice@example.org", input=b"x\n")
        self.assertEqual(st.fields(head, "From"), [b"\"Smith, John (Jr.)\" <root@localhost>"])
        _, head, _ = self.queue("-F", "J\u00fcrgen M\u00fcller", "alice@example.org",
                                input=b"x\n")
        value = st.fields(head, "From")[0].decode()
        self.assertTrue(value.startswith("=?UTF-8?B?"), value)
        decoded = str(email.header.make_header(email.header.decode_header(value.split(" <")[0])))
        self.assertEqual(decoded, "J\u00fcrgen M\u00fcller")
        # A newline in the name cannot start a new field.
        _, head, _ = self.queue("-F", "Evil\nBcc: x@example.org", "alice@example.org",
                                input=b"x\n")
        self.assertEqual(st.fields(head, "Bcc"), [])
        self.assertEqual(st.fields(head, "From"), [b"\"Evil Bcc: x@example.org\" <root@localhost>"])
        # $NAME is the default full name.
        r = st.sendmail(self.inst.dir, "alice@example.org", input=b"x\n",
                        env=dict(os.environ, NAME="From Env"))
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _ = st.header_body(st.content(self.inst.queue_files()[0]))
        self.assertEqual(st.fields(head, "From"), [b"From Env <root@localhost>"])

    def test_no_header(self):
        _, head, body = self.queue("alice@example.org", input=b"just a body line\nsecond\n")
        self.assertEqual(body, b"just a body line\r\nsecond\r\n")
        self.assertEqual(len(st.fields(head, "Date")), 1)
        _, head, body = self.queue("alice@example.org",
                                   input=b"Subject: s\nnot a field\nmore\n")
        self.assertEqual(st.fields(head, "Subject"), [b"s"])
        self.assertEqual(body, b"not a field\r\nmore\r\n")
        # An mbox "From " line at the start is dropped.
        _, head, body = self.queue("alice@example.org",
                                   input=b"From someone Mon Jan  1 00:00:00 2024\nSubject: m\n\nb\n")
        self.assertNotIn(b"From someone", head)
        self.assertEqual(st.fields(head, "Subject"), [b"m"])
        # No input at all: the added fields alone, a header without a body.
        r = st.sendmail(self.inst.dir, "alice@example.org", input=b"")
        self.assertEqual(r.returncode, 0, r.stderr)
        data = st.content(self.inst.queue_files()[0])
        self.assertNotIn(b"\r\n\r\n", data)
        self.assertEqual(len(st.fields(data, "Message-ID")), 1)
        self.assertTrue(data.endswith(b"From: root <root@localhost>\r\n"), data)


if __name__ == "__main__":
    pt.run()
