"""sendmail -t takes the recipients from To:, Cc: and Bcc: (address
lists with display names, groups, comments and folded lines), or from the
Resent- fields when there are any; command-line addresses are added; Bcc:
never reaches the queued message, with or without -t."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402

USERS = [("alice@example.org", "pw"), ("bob@example.org", "pw"),
         ("carol@example.org", "pw"), ("dave@example.org", "pw")]


class ExtractBcc(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=USERS, submit=True)
        self.instances.append(self.inst)
        self.inst.start()

    def submit(self, *args, input=b"", status=0):
        r = st.sendmail(self.inst.dir, *args, input=input)
        self.assertEqual(r.returncode, status, r.stderr)
        return r

    def only_file(self):
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1, files)
        return files[0]

    def test_to_cc_bcc(self):
        msg = (b"From: Sender <sender@example.org>\n"
               b"To: Alice <alice@example.org>,\n"
               b"    \"Bob, B.\" (the builder) <bob@example.org>\n"
               b"Cc: friends: Carol <carol@example.org>;\n"
               b"Bcc: dave@example.org\n"
               b"Subject: extract\n"
               b"\n"
               b"Bcc: in the body stays\n")
        self.submit("-t", "-i", input=msg)
        f = self.only_file()
        info = st.qinfo(f)
        self.assertEqual(info["rcpt"], ["alice@example.org", "bob@example.org",
                                        "carol@example.org", "dave@example.org"])
        self.assertEqual(info["sender"], "root@localhost")
        head, body = st.header_body(st.content(f))
        self.assertEqual(st.fields(head, "Bcc"), [])
        self.assertNotIn(b"dave@", head)
        self.assertIn(b"To: Alice <alice@example.org>,\r\n    \"Bob, B.\" (the builder) "
                      b"<bob@example.org>\r\n", head, "To: is kept exactly")
        self.assertIn(b"Cc: friends: Carol <carol@example.org>;\r\n", head)
        self.assertEqual(body, b"Bcc: in the body stays\r\n")

    def test_resent_fields_win(self):
        msg = (b"From: a@example.org\nTo: alice@example.org\n"
               b"Resent-From: root@localhost\nResent-To: bob@example.org\n"
               b"Resent-Bcc: carol@example.org\nSubject: resent\n\nbody\n")
        self.submit("-t", input=msg)
        f = self.only_file()
        self.assertEqual(st.qinfo(f)["rcpt"], ["bob@example.org", "carol@example.org"])
        head, _ = st.header_body(st.content(f))
        self.assertEqual(st.fields(head, "Resent-Bcc"), [])
        self.assertEqual(st.fields(head, "To"), [b"alice@example.org"])

    def test_command_line_added_and_duplicates_once(self):
        msg = b"To: alice@example.org, Alice Again <ALICE@EXAMPLE.ORG>\nSubject: x\n\nbody\n"
        self.submit("-t", "bob@example.org", "alice@example.org", input=msg)
        self.assertEqual(sorted(st.qinfo(self.only_file())["rcpt"]),
                         ["alice@example.org", "bob@example.org"])

    def test_bcc_removed_without_t(self):
        msg = (b"To: alice@example.org\nBcc: bob@example.org,\n carol@example.org\n"
               b"BCC : dave@example.org\nSubject: no -t\n\nbody\n")
        self.submit("alice@example.org", input=msg)
        f = self.only_file()
        self.assertEqual(st.qinfo(f)["rcpt"], ["alice@example.org"])
        head, _ = st.header_body(st.content(f))
        for name in (b"bob@", b"carol@", b"dave@", b"Bcc", b"BCC"):
            self.assertNotIn(name, head)
        self.assertEqual(st.fields(head, "Subject"), [b"no -t"])

    def test_no_header_recipients(self):
        r = self.submit("-t", input=b"To: undisclosed-recipients:;\nSubject: x\n\nbody\n",
                        status=st.EX_USAGE)
        self.assertIn(b"no recipient addresses found", r.stderr)
        self.assertEqual(self.inst.queue_files(), [])

    def test_bad_header_address(self):
        r = self.submit("-t", input=b"To: \"unterminated <alice@example.org>\n\nbody\n",
                        status=st.EX_DATAERR)
        self.assertIn(b"To: header", r.stderr)
        self.assertIn(b"unterminated quoted string", r.stderr)
        self.assertEqual(len(r.stderr.strip().split(b"\n")), 1, r.stderr)
        self.assertEqual(self.inst.queue_files(), [])


if __name__ == "__main__":
    pt.run()
