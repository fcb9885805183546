"""Each kind of smtpd answer gives its sysexits.h status and one line on
standard error (a scripted fake smtpd plays the server): 4xx anywhere and
a lost connection are 75, a refused greeting 69, a refused sender or
message 65, a policy refusal (5.7.x) 77, a refused recipient 67, a reply
that is not SMTP 76.  A 4xx for one recipient sends nothing.  On success
the wire carries the ESMTP parameters (SIZE, BODY, SMTPUTF8, DSN) and
dot-stuffed text ending in CRLF.CRLF."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402

CASES = [
    # replies, exit status, piece of the message, DATA reached
    ({"GREETING": "421 4.3.2 shutting down"}, st.EX_TEMPFAIL, "4.3.2 shutting down", False),
    ({"GREETING": "554 5.3.2 no service here"}, st.EX_UNAVAILABLE, "no service here", False),
    ({"EHLO": "501 5.5.4 bad"}, st.EX_PROTOCOL, "EHLO refused", False),
    ({"MAIL": "552 5.3.4 too big"}, st.EX_DATAERR, "sender refused: 552 5.3.4 too big", False),
    ({"MAIL": "553 5.7.1 not you"}, st.EX_NOPERM, "5.7.1 not you", False),
    ({"MAIL": "451 4.3.0 later"}, st.EX_TEMPFAIL, "4.3.0 later", False),
    ({"RCPT": "451 4.3.0 directory down"}, st.EX_TEMPFAIL,
     "recipient deferred, message not sent: 451", False),
    ({"RCPT": "550 5.1.1 unknown"}, st.EX_NOUSER, "every recipient was refused", False),
    ({"DATA": "554 5.5.1 no valid recipients"}, st.EX_DATAERR, "message refused", True),
    ({"END": "451 4.3.0 queue write error"}, st.EX_TEMPFAIL, "queue write error", True),
    ({"END": "554 5.6.0 bad content"}, st.EX_DATAERR, "5.6.0 bad content", True),
    ({"END": "550 5.7.1 spam"}, st.EX_NOPERM, "5.7.1 spam", True),
    ({"MAIL": "hello there"}, st.EX_PROTOCOL, "bad reply from the mail system", False),
    ({"MAIL": "250-ok\r\n350 mixed"}, st.EX_PROTOCOL, "mixed codes", False),
    ({"RCPT": None}, st.EX_TEMPFAIL, "lost connection to the mail system", False),
    ({"END": None}, st.EX_TEMPFAIL, "lost connection to the mail system", True),
    ({"GREETING": None}, st.EX_TEMPFAIL, "lost connection to the mail system", False),
]


class ExitCodes(st.ConfDirTest):
    def session(self, replies, *args, input=b"Subject: x\n\nbody\n"):
        fake = st.FakeSmtpd(self.conf.socket, replies)
        fake.start()
        try:
            r = st.sendmail(self.conf.dir, *args, input=input)
            fake.join(30)
        finally:
            fake.close()
            os.unlink(self.conf.socket)
        self.assertFalse(fake.is_alive())
        return r, fake

    def test_cases(self):
        for replies, status, text, data in CASES:
            r, fake = self.session(replies, "a@example.org")
            what = "%r: %r" % (replies, r.stderr)
            self.assertEqual(r.returncode, status, what)
            lines = r.stderr.decode().strip().split("\n")
            self.assertIn(text, lines[-1], what)
            self.assertTrue(lines[-1].startswith("sendmail: "), what)
            self.assertEqual(len(lines), 2 if status == st.EX_NOUSER else 1, what)
            self.assertEqual(any(c == "DATA" for c in fake.commands), data,
                             "%r: %r" % (replies, fake.commands))

    def test_quit_after_refusal(self):
        r, fake = self.session({"RCPT": "550 5.1.1 unknown"}, "a@example.org")
        self.assertIn("QUIT", fake.commands)

    def test_wire(self):
        text = "Subject: wire\n\n.dot\n..two\nJ\u00fcrgen\n".encode()
        r, fake = self.session({}, "-N", "delay,Success,delay", "-R", "hdrs", "-V", "id+1=x",
                               "-f", "s@example.org", "\u00fc@example.org", "local",
                               input=text)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        self.assertEqual(fake.commands[0], "EHLO host.example")
        mail = fake.commands[1]
        self.assertRegex(mail, r"^MAIL FROM:<s@example.org> SIZE=\d+ BODY=8BITMIME SMTPUTF8 "
                               r"RET=HDRS ENVID=id\+2B1\+3Dx$")
        self.assertEqual(fake.commands[2:5], [
            "RCPT TO:<\u00fc@example.org> NOTIFY=SUCCESS,DELAY",
            "RCPT TO:<local@origin.example> NOTIFY=SUCCESS,DELAY", "DATA"])
        self.assertEqual(fake.commands[-1], "QUIT")
        self.assertTrue(fake.data.endswith("\r\n\r\n..dot\r\n...two\r\nJ\u00fcrgen\r\n.\r\n"
                                           .encode()), fake.data)
        self.assertEqual(int(mail.split("SIZE=")[1].split()[0]), len(fake.data) - 3 - 2)

    def test_seven_bit_and_verbose(self):
        r, fake = self.session({}, "-v", "a@example.org", input=b"Subject: 7\n\nplain\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(fake.commands[1], r"^MAIL FROM:<root@origin.example> SIZE=\d+$")
        err = r.stderr.decode()
        self.assertIn(">>> MAIL FROM:<root@origin.example>", err)
        self.assertIn("<<< 250 2.0.0 Ok: queued as FAKE", err)


if __name__ == "__main__":
    pt.run()
