"""Even with allow_mail_to_commands and allow_mail_to_files on, a
command or file is refused when the alias table's file or its directory
is not root's or is writable by group or others, and always when it
comes from virtual_alias_maps: the message returns to its sender (5.3.0)
with the reason, and nothing runs."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]


class UntrustedTable(pt.InstanceTest):
    def test_refused(self):
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_commands": "yes",
                                                     "allow_mail_to_files": "yes"})
        self.instances.append(inst)
        out = inst.out
        inst.write_table("aliases", 'run: "|touch %s/ran"\nsave: %s/mbox\n' % (out, out))
        inst.write_table("virtual", 'virt@example.org "|touch %s/virt"\n' % out)
        inst.start()
        db = inst.path("aliases.db")
        cases = [("virt@example.org", "only alias_maps may name commands")]
        if os.geteuid() == 0:
            cases.append(("run@localhost", "is not owned by root"))
        else:
            cases.append(("save@localhost", "is not owned by root"))
        n = 0
        for rcpt, reason in cases:
            if reason == "is not owned by root" and os.geteuid() == 0:
                os.chown(db, 999, -1)
            n += 1
            inst.queue_incoming("alice@example.org", [rcpt])
            fields, text = inst.dsn_fields("alice@example.org", n)
            self.assertEqual(fields["Status"], "5.3.0", rcpt)
            self.assertIn(reason, " ".join(text.split()), rcpt)
            if rcpt.endswith("@localhost"):
                self.assertIn("file %s is not owned by root" % db, " ".join(text.split()))
        if os.geteuid() == 0:
            os.chown(db, 0, -1)
            for mode, path in ((0o664, db), (0o757, inst.dir)):
                os.chmod(path, mode)
                n += 1
                inst.queue_incoming("alice@example.org", ["save@localhost"])
                fields, text = inst.dsn_fields("alice@example.org", n)
                self.assertEqual(fields["Status"], "5.3.0")
                self.assertIn("writable by group or others", " ".join(text.split()))
                os.chmod(path, 0o644 if path == db else 0o755)
            # Root's table again: the same alias works.
            inst.send("alice@example.org", ["run@localhost"])
            pt.wait_for(lambda: os.path.exists(os.path.join(out, "ran")), what="the command")
            os.unlink(os.path.join(out, "ran"))
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertEqual(os.listdir(out), [], "nothing ran, nothing was written")


if __name__ == "__main__":
    pt.run()
