"""What an alias command's exit status means: 75 (EX_TEMPFAIL) defers
the recipient, and the next attempt runs it again; any other non-zero
status returns the message to its sender with the first line of the
command's output in the notice."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]

RETRY = ('n=$(cat %(out)s/count 2>/dev/null || echo 0); n=$((n + 1)); '
         'echo $n > %(out)s/count; '
         "if [ $n -lt 2 ]; then echo 'busy now'; exit 75; fi; cat > %(out)s/retried")
FAIL = "echo 'no such list:' $RECIPIENT; echo 'line' $((1 + 1)); exit 1"


class CommandStatus(pt.InstanceTest):
    def make(self):
        pt.need_root(self)
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_commands": "yes"})
        self.instances.append(inst)
        out = {"out": inst.out}
        inst.write_table("aliases", 'retry: "|%s"\nfail: "|%s"\n' % (RETRY % out, FAIL))
        inst.start()
        return inst

    def test_tempfail_is_retried(self):
        inst = self.make()
        inst.send("alice@example.org", ["retry@localhost"], b"Subject: again\r\n\r\nx\r\n")
        data = inst.read_out("retried")
        self.assertIn(b"\nSubject: again\n", data)
        self.assertEqual(inst.read_out("count"), b"2\n")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        log = inst.logtext()
        self.assertRegex(log, r"orig_to=<retry@localhost>, relay=local, .*dsn=4\.3\.0, "
                              r"status=deferred \(command exited with status 75 \(try again "
                              r"later\): busy now\)")
        self.assertRegex(log, r"orig_to=<retry@localhost>, relay=local, .*status=sent")
        self.assertEqual(inst.mailbox("alice@example.org") or [], [], "no notice")

    def test_failure_bounces_with_output(self):
        inst = self.make()
        inst.send("alice@example.org", ["fail@localhost"], b"Subject: fail\r\n\r\nx\r\n")
        fields, text = inst.dsn_fields("alice@example.org")
        self.assertEqual(fields["Status"], "5.3.0")
        text = " ".join(text.split())
        self.assertIn("command exited with status 1: no such list: fail@localhost", text)
        self.assertNotIn("line 2", text, "only the first line")
        pt.wait_for(inst.queue_empty, what="the queue to empty")


if __name__ == "__main__":
    pt.run()
