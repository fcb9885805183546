""":include: files (allowed when either allow_mail_to_* parameter is on):
a root-owned file of more targets (addresses, commands, files, '#'
comments) is expanded like the alias's own value; an include file that
is not root's is refused."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw"), ("bob@example.org", "pw")]


class Include(pt.InstanceTest):
    def test_include(self):
        pt.need_root(self)
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_commands": "yes",
                                                     "allow_mail_to_files": "yes"})
        self.instances.append(inst)
        out = inst.out
        members = inst.path("members")
        with open(members, "w") as f:
            f.write("# the list\nalice@example.org\n"
                    '"|cat > %s/cmd", %s/mbox\n' % (out, out))
        os.chmod(members, 0o644)
        inst.write_table("aliases", "list: :include:%s\n" % members)
        inst.start()
        inst.send("bob@example.org", ["list@localhost"], b"Subject: to the list\r\n\r\nhi\r\n")
        inst.wait_mailbox("alice@example.org", 1)
        self.assertIn(b"Subject: to the list", inst.read_out("cmd"))
        self.assertTrue(inst.read_out("mbox").startswith(b"From bob@example.org "))
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        if os.geteuid() == 0:
            os.chown(members, 999, -1)
            inst.queue_incoming("bob@example.org", ["list@localhost"])
            fields, text = inst.dsn_fields("bob@example.org")
            self.assertEqual(fields["Status"], "5.3.0")
            self.assertIn("file %s is not owned by root" % members, " ".join(text.split()))
            self.assertEqual(len(inst.mailbox("alice@example.org")), 1, "no second copy")


if __name__ == "__main__":
    pt.run()
