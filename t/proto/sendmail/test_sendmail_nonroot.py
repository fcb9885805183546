"""A user without privileges can submit: sendmail run as nobody queues the
message with nobody's uid (from the socket's peer credentials) in the
queue file and the Received: field, and nobody@$myorigin as the sender,
both for a message on standard input and for -bs.  smtpd runs chrooted
into the queue directory, as in production."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


@unittest.skipUnless(os.geteuid() == 0, "needs root to run sendmail as nobody")
class NonRoot(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True,
                                     chroot=True)
        self.instances.append(self.inst)
        self.inst.start()

    def check_file(self, sender):
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        info = st.qinfo(files[0])
        self.assertEqual(info["uid"], str(st.NOBODY[0]))
        self.assertEqual(info["proto"], "local")
        self.assertEqual(info["sender"], sender)
        self.assertEqual(info["rcpt"], ["alice@example.org"])
        data = st.content(files[0])
        self.assertIn(b"(Postern, from userid %d)" % st.NOBODY[0], data)
        os.unlink(files[0])
        return data

    def test_message_from_nobody(self):
        r = st.sendmail(self.inst.dir, "alice@example.org", user=st.NOBODY,
                        input=b"Subject: from nobody\n\nhello\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        data = self.check_file("nobody@localhost")
        head, body = st.header_body(data)
        self.assertEqual(st.fields(head, "From"), [b"nobody <nobody@localhost>"])
        self.assertEqual(body, b"hello\r\n")

    def test_claimed_sender_still_records_uid(self):
        r = st.sendmail(self.inst.dir, "-f", "root@localhost", "alice@example.org",
                        user=st.NOBODY, input=b"Subject: claims root\n\nx\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_file("root@localhost")

    def test_bs_from_nobody(self):
        session = (b"EHLO c.example\r\nMAIL FROM:<x@example.net>\r\n"
                   b"RCPT TO:<alice@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nb\r\n.\r\nQUIT\r\n")
        r = st.sendmail(self.inst.dir, "-bs", user=st.NOBODY, input=session)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"queued as", r.stdout)
        self.check_file("x@example.net")


if __name__ == "__main__":
    pt.run()
