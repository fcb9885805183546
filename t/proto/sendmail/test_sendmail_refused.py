"""Recipients smtpd refuses: an unknown local user alone gives 67
(EX_NOUSER) and nothing is queued; with others accepted the message is
queued for them, each refusal is named on standard error and the status
is still 67.  Bare local names are qualified with $myorigin."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402


class Refused(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], submit=True,
                                     aliases="postmaster alice@example.org\n")
        self.instances.append(self.inst)
        self.inst.start()

    def test_unknown_user(self):
        r = st.sendmail(self.inst.dir, "nosuchuser", input=b"Subject: x\n\nbody\n")
        self.assertEqual(r.returncode, st.EX_NOUSER, r.stderr)
        self.assertEqual(r.stderr.decode().split("\n")[:2], [
            "sendmail: <nosuchuser@localhost>: 550 5.1.1 <nosuchuser@localhost>: "
            "Recipient address rejected: User unknown",
            "sendmail: message not sent: every recipient was refused"])
        self.assertEqual(self.inst.queue_files(), [])

    def test_some_refused(self):
        r = st.sendmail(self.inst.dir, "-t", input=b"To: alice@example.org, ghost@example.org\n"
                        b"Cc: Postmaster\n\nbody\n")
        self.assertEqual(r.returncode, st.EX_NOUSER, r.stderr)
        err = r.stderr.decode().strip().split("\n")
        self.assertEqual(len(err), 2, err)
        self.assertIn("<ghost@example.org>: 550 5.1.1", err[0])
        self.assertEqual(err[1], "sendmail: 1 of 3 recipients refused; "
                                 "the message went to the others")
        files = self.inst.queue_files()
        self.assertEqual(len(files), 1)
        self.assertEqual(st.qinfo(files[0])["rcpt"],
                         ["alice@example.org", "Postmaster@localhost"])


if __name__ == "__main__":
    pt.run()
