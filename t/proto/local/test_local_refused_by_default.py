"""Command, file and include targets are refused while
allow_mail_to_commands and allow_mail_to_files are off (the defaults):
smtpd rejects such an alias at RCPT, and a message queued before (qmgr
expands it) comes back to its sender as a failure notice (5.3.0) that
says why.  Nothing is run or written."""

import os
import smtplib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]


class RefusedByDefault(pt.InstanceTest):
    def test_refused(self):
        inst = pt.LocalInstance(users=USERS)
        self.instances.append(inst)
        out = inst.out
        with open(inst.path("list"), "w") as f:
            f.write("alice@example.org\n")
        inst.write_table("aliases",
                         'run: "|touch %s/ran"\n'
                         'save: %s/mbox\n'
                         'inc: :include:%s\n' % (out, out, inst.path("list")))
        inst.start()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            inst.send("alice@example.org", ["run@localhost"])
        self.assertEqual(cm.exception.recipients["run@localhost"][0], 550)
        cases = [("run@localhost", "allow_mail_to_commands is off"),
                 ("save@localhost", "allow_mail_to_files is off"),
                 ("inc@localhost", "allow_mail_to_commands and allow_mail_to_files are off")]
        for n, (rcpt, reason) in enumerate(cases, 1):
            inst.queue_incoming("alice@example.org", [rcpt])
            fields, text = inst.dsn_fields("alice@example.org", n)
            self.assertEqual(fields["Status"], "5.3.0", rcpt)
            self.assertEqual(fields["Final-Recipient"], "rfc822; " + rcpt)
            self.assertIn(reason, " ".join(text.split()), rcpt)
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertEqual(os.listdir(out), [], "nothing ran, nothing was written")
        self.assertNotIn("relay=local,", inst.logtext())


if __name__ == "__main__":
    pt.run()
