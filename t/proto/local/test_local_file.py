"""An alias file (allow_mail_to_files = yes, a root-owned alias table):
local(8) appends each message in mbox format as default_privs: a From_
line, Return-Path and Delivered-To, the message with LF line ends and
mboxrd quoting (>From), a blank line at the end; the file is made 0600.
A file that others may write, a symbolic link or a non-regular file is
refused (the sender gets a failure notice)."""

import os
import re
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]
FROM_LINE = rb"From sender@remote\.test [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\n"


class LocalFile(pt.InstanceTest):
    def make(self, aliases):
        pt.need_root(self)
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_files": "yes"})
        self.instances.append(inst)
        inst.write_table("aliases", aliases % {"out": inst.out})
        inst.start()
        return inst

    def test_mbox_entries(self):
        inst = self.make("save: %(out)s/mbox\n")
        mbox = os.path.join(inst.out, "mbox")
        inst.send("sender@remote.test", ["save@localhost"],
                  b"Subject: one\r\n\r\nFrom me\r\n>From you\r\nFromage\r\n")
        pt.wait_for(lambda: os.path.exists(mbox) and os.path.getsize(mbox) > 0,
                    what="the first entry")
        inst.send("sender@remote.test", ["save@localhost"], b"Subject: two\r\n\r\nbody\r\n")
        pt.wait_for(lambda: open(mbox, "rb").read().count(b"\nSubject: ") == 2,
                    what="the second entry")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        data = open(mbox, "rb").read()
        entry = (FROM_LINE + rb"Return-Path: <sender@remote\.test>\n"
                 rb"Delivered-To: save@localhost\n"
                 rb"(?:[^\n]+\n)*Subject: %s\n\n%s\n")
        want = (entry % (b"one", rb"\>From me\n\>\>From you\nFromage\n") +
                entry % (b"two", rb"body\n"))
        self.assertRegex(data, re.compile(b"^" + want + b"$"))
        self.assertNotIn(b"\r", data)
        st = os.stat(mbox)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, pt.default_privs_uid())
        self.assertRegex(inst.logtext(), r"to=<%s>, orig_to=<save@localhost>, relay=local, "
                                         r".*status=sent \(delivered to file " % re.escape(mbox))

    def test_unsafe_files_refused(self):
        inst = self.make("open: %(out)s/open\nlink: %(out)s/link\nfifo: %(out)s/fifo\n")
        out = inst.out
        with open(os.path.join(out, "open"), "w"):
            pass
        os.chmod(os.path.join(out, "open"), 0o666)
        os.chown(os.path.join(out, "open"), pt.default_privs_uid(), -1)
        os.symlink(os.path.join(out, "target"), os.path.join(out, "link"))
        os.mkfifo(os.path.join(out, "fifo"), 0o600)
        os.chown(os.path.join(out, "fifo"), pt.default_privs_uid(), -1)
        cases = [("open@localhost", "is writable by others"),
                 ("link@localhost", "is a symbolic link"),
                 ("fifo@localhost", "not a regular file")]
        for n, (rcpt, reason) in enumerate(cases, 1):
            inst.send("alice@example.org", [rcpt], b"Subject: unsafe\r\n\r\nx\r\n")
            fields, text = inst.dsn_fields("alice@example.org", n)
            self.assertEqual(fields["Status"], "5.2.0", rcpt)
            self.assertIn(reason, " ".join(text.split()), rcpt)
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertEqual(os.path.getsize(os.path.join(out, "open")), 0)
        self.assertFalse(os.path.exists(os.path.join(out, "target")))


if __name__ == "__main__":
    pt.run()
