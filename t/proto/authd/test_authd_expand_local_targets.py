"""EXPAND with allow_mail_to_commands and allow_mail_to_files on: a
command of a root-owned alias table comes back as "|text" (leading
blanks gone), a file as "/path", next to the "+address" fields; with
the parameters off the same alias is PERM with the reason."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

ALIASES = ('mix: alice@example.org, "|  /usr/bin/prog -x", /var/mail/archive, '
           '"|/usr/bin/prog -x"\n')


class ExpandLocalTargets(pt.InstanceTest):
    def start(self, on):
        v = "yes" if on else "no"
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw")], aliases=ALIASES,
                                params={"allow_mail_to_commands": v,
                                        "allow_mail_to_files": v})
        self.instances.append(inst)
        inst.start()
        return inst.client()

    def test_allowed(self):
        c = self.start(True)
        if os.geteuid() == 0:
            self.assertEqual(c.call("EXPAND", "Mix@localhost"),
                             ("OK", ["+alice@example.org", "|/usr/bin/prog -x",
                                     "/var/mail/archive"]))
        else:
            word, f = c.call("EXPAND", "mix@localhost")
            self.assertEqual(word, "PERM")
            self.assertIn("is not owned by root", f[0])

    def test_refused(self):
        c = self.start(False)
        word, f = c.call("EXPAND", "mix@localhost")
        self.assertEqual(word, "PERM")
        self.assertIn('alias target "|  /usr/bin/prog -x" is not allowed: '
                      'allow_mail_to_commands is off', f[0])


if __name__ == "__main__":
    pt.run()
