"""An alias command (allow_mail_to_commands = yes, a root-owned alias
table): local(8) runs it through /bin/sh as default_privs with the
message on its standard input (Return-Path and Delivered-To added, LF
line ends) and a minimal environment; exit 0 means delivered."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USERS = [("alice@example.org", "pw")]


class LocalCommand(pt.InstanceTest):
    def test_command_gets_message_and_environment(self):
        pt.need_root(self)
        inst = pt.LocalInstance(users=USERS, params={"allow_mail_to_commands": "yes"})
        self.instances.append(inst)
        out = inst.out
        inst.write_table("aliases",
                         'run: "|cat > %s/msg; env > %s/env; id -u > %s/uid; '
                         'id -G > %s/gid; pwd > %s/pwd"\n' % ((out,) * 5))
        inst.start()
        body = (b"Subject: to a command\r\nMessage-ID: <cmd-1@remote.test>\r\n\r\n"
                b"line one\r\nFrom the start\r\n")
        inst.send("sender@remote.test", ["run@localhost"], body)
        pt.wait_for(lambda: os.path.exists(os.path.join(out, "pwd")), what="the command")
        msg = inst.read_out("msg")
        self.assertTrue(msg.startswith(b"Return-Path: <sender@remote.test>\n"
                                       b"Delivered-To: run@localhost\n"), msg)
        self.assertNotIn(b"\r", msg)
        # No mbox quoting for a command: it gets the message as it is.
        self.assertTrue(msg.endswith(b"\n\nline one\nFrom the start\n"), msg)
        self.assertIn(b"\nSubject: to a command\n", msg)
        env = dict(line.split("=", 1) for line in
                   inst.read_out("env").decode().splitlines())
        env.pop("PWD", None)      # /bin/sh's own
        home = "/nonexistent" if os.geteuid() == 0 else os.environ.get("HOME", "")
        want = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh",
                "SENDER": "sender@remote.test", "RECIPIENT": "run@localhost",
                "ORIGINAL_RECIPIENT": "run@localhost"}
        for k, v in want.items():
            self.assertEqual(env.get(k), v, k)
        self.assertEqual(env["USER"], env["LOGNAME"])
        if os.geteuid() == 0:
            self.assertEqual(env["USER"], "nobody")
            self.assertEqual(env["HOME"], home)
        self.assertEqual(set(env), set(want) | {"USER", "LOGNAME", "HOME"},
                         "nothing else in the environment")
        self.assertEqual(int(inst.read_out("uid")), pt.default_privs_uid())
        if os.geteuid() == 0:
            self.assertEqual(inst.read_out("gid").split(), [b"65534"],
                             "nogroup only: no supplementary group")
        self.assertEqual(inst.read_out("pwd"), b"/\n")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        log = inst.logtext()
        self.assertRegex(log, r"to=<\|cat > .*>, orig_to=<run@localhost>, relay=local, "
                              r".*status=sent \(delivered to command\)")


if __name__ == "__main__":
    pt.run()
