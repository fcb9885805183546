"""delivery lmtp into the real lmtpd: over the unix socket and over TCP
(inet:HOST:PORT and [ADDR]:PORT), one result per recipient with the
server's reply (an unknown user bounces with 5.1.1), the text stored
byte for byte, and relay, times and "done" in the answer."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

TEXT = (b"From: sender@origin.test\r\nTo: alice@example.org\r\n"
        b"Subject: lmtp delivery\r\n\r\nHello over LMTP.\r\n.dotted line\r\n")


class LmtpDelivery(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.store = pt.LmtpdInstance(users=[("alice@example.org", "pw"),
                                             ("bob@example.org", "pw")])
        self.instances.append(self.store)
        self.store.start()
        self.agent = pt.DeliveryInstance()
        self.instances.append(self.agent)
        self.agent.start()

    def check_store(self, user, n):
        box = self.store.mailbox(user)
        self.assertEqual(len(box), n, box)
        stored = self.store.message(user, box[-1][0])
        # lmtpd adds its own header fields at the top.
        self.assertTrue(stored.endswith(TEXT), stored[-200:])

    def test_unix_socket(self):
        qid = self.agent.queue_file(TEXT, ["alice@example.org", "nobody@example.org",
                                           "bob@example.org"])
        results, done = self.agent.deliver("lmtp", qid, "unix:" + self.store.lmtp_socket,
                                           [0, 1, 2])
        self.assertTrue(done)
        r = self.agent.by_index(results)
        self.assertEqual(sorted(r), [0, 1, 2])
        self.assertEqual((r[0]["state"], r[0]["dsn"][0]), ("S", "2"))
        self.assertEqual((r[2]["state"], r[2]["dsn"][0]), ("S", "2"))
        self.assertEqual((r[1]["state"], r[1]["dsn"]), ("B", "5.1.1"), r[1])
        self.assertEqual(r[1]["scope"], "r")
        self.assertTrue(r[1]["reply"].startswith("550 5.1.1"), r[1])
        self.assertIn("said: 550 5.1.1", r[1]["text"])
        self.assertIn("(in reply to RCPT TO command)", r[1]["text"])
        self.assertIn("(in reply to end of DATA command)", r[0]["text"])
        self.assertEqual(r[0]["relay"], "localhost[%s]" % self.store.lmtp_socket)
        self.check_store("alice@example.org", 1)
        self.check_store("bob@example.org", 1)
        log = self.agent.logtext()
        self.assertIn("%s: to=<alice@example.org>, relay=localhost[" % qid, log)
        self.assertIn("status=bounced", log)

    def test_tcp(self):
        qid = self.agent.queue_file(TEXT, ["alice@example.org"])
        for hop in ("inet:127.0.0.1:%d" % self.store.lmtp_port,
                    "[127.0.0.1]:%d" % self.store.lmtp_port,
                    "localhost:%d" % self.store.lmtp_port):
            results, done = self.agent.deliver("lmtp", qid, hop, [0])
            self.assertTrue(done)
            self.assertEqual(len(results), 1)
            self.assertEqual(results[0]["state"], "S", results[0])
            self.assertRegex(results[0]["relay"], r"^(localhost|127\.0\.0\.1)\[127\.0\.0\.1\]:%d$"
                             % self.store.lmtp_port)
        self.check_store("alice@example.org", 3)

    def test_subset_of_recipients(self):
        qid = self.agent.queue_file(TEXT, ["alice@example.org", "bob@example.org"])
        results, done = self.agent.deliver("lmtp", qid, "unix:" + self.store.lmtp_socket, [1])
        self.assertTrue(done)
        self.assertEqual([(x["index"], x["state"]) for x in results], [(1, "S")])
        self.assertFalse(self.store.mailbox("alice@example.org"))
        self.check_store("bob@example.org", 1)

    def test_no_server(self):
        qid = self.agent.queue_file(TEXT, ["alice@example.org", "bob@example.org"])
        results, done = self.agent.deliver(
            "lmtp", qid, "unix:" + self.agent.path("queue/private/nothing"), [0, 1])
        self.assertTrue(done)
        self.assertEqual(len(results), 2)
        for x in results:
            self.assertEqual((x["state"], x["dsn"], x["scope"]), ("D", "4.4.1", "d"), x)
            self.assertIn("connect to localhost[", x["text"])
        port = pt.free_port()
        results, done = self.agent.deliver("lmtp", qid, "127.0.0.1:%d" % port, [0])
        self.assertEqual((results[0]["state"], results[0]["scope"]), ("D", "d"))
        self.assertIn("Connection refused", results[0]["text"])


if __name__ == "__main__":
    pt.run()
