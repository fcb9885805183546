"""As root, authd runs as postern-auth and its socket (mode 0660, group
postern-auth, in a 0750 directory) is reachable by the daemons' users,
members of that group, and by nobody else."""

import grp
import pwd
import stat
import unittest
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



def try_as(user, path):
    """Fork, become user (with its groups), try to connect; True if it can."""
    pw = pwd.getpwnam(user)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.initgroups(user, pw.pw_gid)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            c = pt.AuthClient(path, timeout=5)
            ok = c.call("DOMAIN", "example.org")[0] == "OK"
            os.write(w, b"1" if ok else b"0")
        except OSError:
            os.write(w, b"0")
        finally:
            os._exit(0)
    os.close(w)
    answer = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    return answer == b"1"


@unittest.skipUnless(os.geteuid() == 0, "privilege separation needs root")
class SocketAccess(pt.InstanceTest):
    def test_access(self):
        inst = pt.AuthdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        st = os.stat(inst.socket)
        auth = pwd.getpwnam("postern-auth")
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual((st.st_uid, st.st_gid), (auth.pw_uid, auth.pw_gid))
        dst = os.stat(os.path.dirname(inst.socket))
        self.assertEqual(stat.S_IMODE(dst.st_mode), 0o750)
        group = grp.getgrgid(auth.pw_gid).gr_name
        for member in ("postern", "vmail"):
            self.assertIn(member, grp.getgrnam(group).gr_mem)
            self.assertTrue(try_as(member, inst.socket), member)
        self.assertFalse(try_as("nobody", inst.socket))
        authd = inst.children("authd")[0]
        with open("/proc/%d/status" % authd) as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0]
        self.assertEqual(int(uid_line.split()[1]), auth.pw_uid)
        users_db = os.stat(inst.path("users.db"))
        self.assertEqual(stat.S_IMODE(users_db.st_mode) & 0o007, 0, "hashes not world-readable")


if __name__ == "__main__":
    pt.run()
