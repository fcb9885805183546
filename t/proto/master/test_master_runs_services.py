"""master starts every service's processes with their listeners, passes
-o overrides down, and serves inet and unix listeners."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


class RunsServices(pt.InstanceTest):
    def test_children_listen(self):
        p1, p2 = pt.free_port(), pt.free_port()
        inst = self.instance(params={"myhostname": "mx.example.org"})
        sock = inst.path("queue/private/two")
        inst.write_master(
            "# a comment\n"
            "one  inet  127.0.0.1:%d,[::1]:%d  n  3  -  %s/testsvc\n"
            "two  unix  %s  n  -  -\n"
            "     %s/testsvc\n" % (p1, p2, pt.TESTBIN, sock, pt.TESTBIN))
        inst.start("-o", "myhostname=override.example", wait=[("127.0.0.1", p1), sock])
        pt.wait_for(lambda: len(inst.children("one")) == 3, what="3 processes of one")
        self.assertEqual(len(inst.children("two")), 1)
        r = pt.parse_reply(pt.connect_line(("127.0.0.1", p1)))
        self.assertEqual(r["service"], "one")
        self.assertIn(int(r["pid"]), inst.children("one"))
        self.assertEqual(r["myhostname"], "override.example")
        r = pt.parse_reply(pt.connect_line(sock))
        self.assertEqual(r["service"], "two")
        import socket
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.connect(("::1", p2))
            self.assertTrue(s.recv(100).startswith(b"testsvc "))
        finally:
            s.close()
        self.assertEqual(inst.stop(), 0)
        self.assertFalse(os.path.exists(sock), "unix socket removed at exit")
        self.assertFalse(os.path.exists(inst.path("data/master.pid")))


if __name__ == "__main__":
    pt.run()
