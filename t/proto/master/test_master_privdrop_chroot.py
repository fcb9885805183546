"""As root, a service's processes run as its unprivileged user, inside the
chroot (the queue directory) when master.conf says so; checked in /proc."""

import pwd
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def ids(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return [int(x) for x in line.split()[1:]]
    return None


@unittest.skipUnless(os.geteuid() == 0, "privilege separation needs root")
class PrivdropChroot(pt.InstanceTest):
    def test_user_and_chroot(self):
        nobody = pwd.getpwnam("nobody")
        p1, p2 = pt.free_port(), pt.free_port()
        inst = self.instance()
        inst.write_master(
            "jail inet 127.0.0.1:%d y 1 nobody %s/testsvc\n"
            "free inet 127.0.0.1:%d n 1 nobody %s/testsvc\n" % (p1, pt.TESTBIN, p2, pt.TESTBIN))
        inst.start(wait=[("127.0.0.1", p1), ("127.0.0.1", p2)], env=pt.CHROOT_ENV)
        jail, free = inst.children("jail")[0], inst.children("free")[0]
        for pid in (jail, free):
            self.assertEqual(ids(pid, "Uid"), [nobody.pw_uid] * 4)
            self.assertEqual(ids(pid, "Gid"), [nobody.pw_gid] * 4)
            self.assertEqual(ids(pid, "Groups"), [nobody.pw_gid])
        self.assertEqual(os.readlink("/proc/%d/root" % jail), inst.path("queue"))
        self.assertEqual(os.readlink("/proc/%d/root" % free), "/")
        r = pt.parse_reply(pt.connect_line(("127.0.0.1", p1)))
        self.assertEqual(int(r["uid"]), nobody.pw_uid)
        self.assertEqual(ids(inst.master_pid(), "Uid")[0], 0, "master stays root")


if __name__ == "__main__":
    pt.run()
