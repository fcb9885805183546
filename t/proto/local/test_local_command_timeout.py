"""An alias command that runs longer than local_command_timeout is
killed with its whole process group, and the recipient is deferred (it
is tried again later)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not pt.is_zombie(pid)


class CommandTimeout(pt.InstanceTest):
    def test_timeout_defers(self):
        pt.need_root(self)
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_commands": "yes",
                                                     "local_command_timeout": "2s",
                                                     "minimal_backoff_time": "60s",
                                                     "maximal_backoff_time": "60s"})
        self.instances.append(inst)
        # A child in the background too: the whole group must go.
        inst.write_table("aliases", 'slow: "|sleep 300 & echo $! > %s/bg; '
                                    'echo $$ > %s/pid; wait"\n' % (inst.out, inst.out))
        inst.start()
        inst.send("alice@example.org", ["slow@localhost"])
        pid = int(inst.read_out("pid"))
        bg = int(inst.read_out("bg"))
        self.assertTrue(alive(pid) and alive(bg), "the command runs")
        pt.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, what="the deferral")
        self.assertFalse(alive(pid), "the shell was killed")
        pt.wait_for(lambda: not alive(bg), timeout=5, what="the background child to die")
        self.assertRegex(inst.logtext(), r"orig_to=<slow@localhost>, relay=local, .*dsn=4\.3\.0, "
                                         r"status=deferred \(command timed out after 2 seconds\)")
        self.assertEqual(inst.mailbox("alice@example.org") or [], [], "no notice")


if __name__ == "__main__":
    pt.run()
