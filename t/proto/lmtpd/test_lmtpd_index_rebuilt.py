"""A store whose index was marked damaged is rebuilt when lmtpd opens
it: lmtpd logs why, the earlier message keeps its UID and the new
delivery goes on after it."""

import glob
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

BODY = b"From: s@remote.example\r\nSubject: r\r\n\r\nbody\r\n"


class IndexRebuilt(pt.InstanceTest):
    def deliver(self, inst):
        c = inst.lmtp()
        c.mail("s@remote.example")
        c.rcpt("alice@example.org")
        self.assertEqual([r[0] for r in pt.lmtp_data(c, BODY, 1)], [250])
        c.quit()

    def test_rebuilt_and_logged(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        self.deliver(inst)
        (user_dir,) = glob.glob(os.path.join(inst.store_dir, "*", "*", "alice@example.org"))
        mark = os.path.join(user_dir, "index", "damaged")
        with open(mark, "w"):
            pass
        self.assertNotIn("index rebuilt", inst.logtext())
        # New lmtpd processes open the store afresh (master restarts them).
        for pid in inst.children("lmtp"):
            os.kill(pid, signal.SIGKILL)
            pt.wait_for(lambda: pid not in inst.children("lmtp"), timeout=30,
                        what="the killed lmtpd to go")
        self.deliver(inst)
        self.assertIn("store of alice@example.org: index rebuilt: index marked damaged",
                      inst.logtext())
        self.assertFalse(os.path.exists(mark))
        self.assertEqual([uid for uid, _size in inst.mailbox("alice@example.org")], [1, 2])


if __name__ == "__main__":
    pt.run()
