"""SIGHUP applies a changed master.conf: unchanged services keep their
processes and listeners, changed ones restart, new ones start, removed
ones stop; a broken file is refused and changes nothing."""

import socket
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


LINE = "%s inet 127.0.0.1:%d n 1 - %s/testsvc%s\n"


class SighupReload(pt.InstanceTest):
    def test_reload(self):
        pa, pb, pc, pd = (pt.free_port() for _ in range(4))
        inst = self.instance()
        inst.write_master(LINE % ("a", pa, pt.TESTBIN, "") + LINE % ("b", pb, pt.TESTBIN, "") +
                          LINE % ("d", pd, pt.TESTBIN, ""))
        inst.start(wait=[("127.0.0.1", pa), ("127.0.0.1", pb), ("127.0.0.1", pd)])
        a0, b0 = inst.children("a"), inst.children("b")
        # A connection queued on a's listener across the reload must be served.
        held = socket.create_connection(("127.0.0.1", pa))
        inst.write_master(LINE % ("a", pa, pt.TESTBIN, "") + LINE % ("b", pb, pt.TESTBIN, " x") +
                          LINE % ("c", pc, pt.TESTBIN, ""))
        os.kill(inst.master_pid(), signal.SIGHUP)
        pt.wait_for(lambda: "reloaded:" in inst.logtext(), what="reload")
        pt.wait_for(lambda: pt.try_connect_line(("127.0.0.1", pc)), what="c to start")
        pt.wait_for(lambda: inst.children("d") == [], what="d to stop")
        pt.wait_for(lambda: len(inst.children("b")) == 1 and inst.children("b") != b0,
                    what="b to restart")
        self.assertEqual(inst.children("a"), a0, "a keeps its process")
        self.assertTrue(held.recv(100).startswith(b"testsvc "))
        held.close()
        self.assertIsNone(pt.try_connect_line(("127.0.0.1", pd)), "d's listener closed")
        self.assertIn("1 services kept, 2 started or restarted, 1 stopped", inst.logtext())

        # A broken master.conf is refused; everything keeps running.
        inst.write_master(LINE % ("a", pa, pt.TESTBIN, "") + "b inet nowhere n 1 - x\n" +
                          LINE % ("c", pc, pt.TESTBIN, ""))
        os.kill(inst.master_pid(), signal.SIGHUP)
        pt.wait_for(lambda: "reload refused" in inst.logtext(), what="refusal")
        self.assertIn("master.conf:2: nowhere:", inst.logtext())
        self.assertEqual(inst.children("a"), a0)
        self.assertTrue(pt.try_connect_line(("127.0.0.1", pc)))

    def test_postern_conf_change_restarts_all_keeps_listeners(self):
        pa = pt.free_port()
        inst = self.instance()
        inst.write_master(LINE % ("a", pa, pt.TESTBIN, ""))
        inst.start(wait=[("127.0.0.1", pa)])
        a0 = inst.children("a")
        with open(inst.path("postern.conf"), "a") as f:
            f.write("myhostname = changed.example\n")
        os.kill(inst.master_pid(), signal.SIGHUP)
        pt.wait_for(lambda: pt.parse_reply(pt.connect_line(("127.0.0.1", pa)))
                    .get("myhostname") == "changed.example", what="new config served")
        self.assertNotEqual(inst.children("a"), a0)


if __name__ == "__main__":
    pt.run()
