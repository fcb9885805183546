"""Malformed or oversized requests get an ERROR answer and the session
goes on (an over-long line ends it); authd keeps serving everyone."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class Malformed(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.inst = pt.AuthdInstance(users=[("alice@example.org", "pw")],
                                     params={"authd_request_limit": "1k"})
        self.instances.append(self.inst)
        self.inst.start()

    def test_bad_lines(self):
        c = self.inst.client()
        cases = [(b"hello\n", 0), (b"0\tLOOKUP\ta@b\n", 0), (b"5\tlookup\ta@b\n", 5),
                 (b"6\tNOSUCH\ta@b\n", 6), (b"7\tLOOKUP\n", 7), (b"8\tLOOKUP\ta\tb\n", 8),
                 (b"9\tLOOKUP\ta\qb\n", 9), (b"10\tLOOKUP\ta\x00b\n", 10),
                 (b"11\tVERIFY\t\ta@b\tpw\t\n", 11), (b"12\tLOOKUP\t\n", 12),
                 (b"13\tLOOKUP\t" + b"x" * 300 + b"@example.org\n", 13),
                 (b"99999999999\tLOOKUP\ta@b\n", 0), (b"14\tLOOKUP\ta\rb\n", 14)]
        for raw, rid in cases:
            c.send_raw(raw)
            answer = c.read()
            self.assertIsNotNone(answer, raw)
            self.assertEqual((answer[0], answer[1]), (rid, "ERROR"), raw)
        self.assertEqual(c.call("LOOKUP", "alice@example.org")[0], "OK",
                         "the session goes on after errors")
        c.send_raw(b"15\tLOOKUP\t" + b"y" * 5000 + b"\n")
        self.assertEqual(c.read()[1], "ERROR")
        try:
            end = c.read()
        except ConnectionResetError:
            end = None  # closed with the rest of the line unread
        self.assertIsNone(end, "an over-long line ends the session")
        c2 = self.inst.client()
        self.assertEqual(c2.call("LOOKUP", "alice@example.org")[0], "OK")

    def test_disconnect_with_requests_in_flight(self):
        for _ in range(20):
            c = self.inst.client()
            for _ in range(10):
                c.send("VERIFY", "imap", "alice@example.org", "wrong", "192.0.2.50")
            c.close()
        c = self.inst.client()
        self.assertEqual(c.call("LOOKUP", "alice@example.org")[0], "OK")


if __name__ == "__main__":
    pt.run()
