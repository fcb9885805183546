"""delivery smtp and lmtp: each stage has its timeout (shortened here by
parameters): a silent greeting, RCPT, DATA or final dot defers the
recipients waiting (4.4.2, "timed out while ..."); a server that stops
reading the text is dropped after smtp_data_xfer_timeout; the other
recipients' results stand."""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"Subject: slow\r\n\r\nbody\r\n"
FAST = {"smtp_connect_timeout": "1s", "smtp_helo_timeout": "1s", "smtp_mail_timeout": "1s",
        "smtp_rcpt_timeout": "1s", "smtp_data_init_timeout": "1s",
        "smtp_data_xfer_timeout": "1s", "smtp_data_done_timeout": "1s",
        "smtp_quit_timeout": "1s"}


class Timeouts(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.agent = pt.DeliveryInstance(params=FAST)
        self.instances.append(self.agent)
        self.agent.start()

    def run_stage(self, stage, kind="smtp", rcpts=("a@x.test",)):
        sink = smtpsink.SmtpSink(lmtp=kind == "lmtp", delays={stage: 4}).start()
        self.addCleanup(sink.stop)
        qid = self.agent.queue_file(TEXT, list(rcpts))
        start = time.monotonic()
        results, done = self.agent.deliver(kind, qid, "[127.0.0.1]:%d" % sink.port,
                                           list(range(len(rcpts))))
        self.assertTrue(done)
        self.assertLess(time.monotonic() - start, 4, "the timeout, not the server, ended it")
        return self.agent.by_index(results)

    def test_greeting(self):
        r = self.run_stage("greeting")
        self.assertEqual((r[0]["state"], r[0]["dsn"], r[0]["scope"]), ("D", "4.4.2", "d"))
        self.assertIn("timed out while receiving the initial server greeting", r[0]["text"])

    def test_rcpt(self):
        r = self.run_stage("rcpt")
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("D", "4.4.2"))
        self.assertIn("timed out while sending RCPT TO", r[0]["text"])

    def test_data(self):
        r = self.run_stage("data")
        self.assertIn("timed out while sending DATA command", r[0]["text"])

    def test_dot(self):
        r = self.run_stage("dot")
        self.assertEqual(r[0]["state"], "D")
        self.assertIn("timed out while sending end of data -- message may be sent more "
                      "than once", r[0]["text"])

    def test_lmtp_dot(self):
        r = self.run_stage("dot", kind="lmtp")
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("D", "4.4.2"))

    def test_xfer(self):
        # A server that takes the DATA command and then reads nothing.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        self.addCleanup(lsock.close)
        conns = []

        def serve():
            c, _ = lsock.accept()
            conns.append(c)
            c.sendall(b"220 stuck ESMTP\r\n")
            f = c.makefile("rb")
            for line in f:
                if line.startswith(b"EHLO"):
                    c.sendall(b"250 stuck\r\n")
                elif line.startswith((b"MAIL", b"RCPT")):
                    c.sendall(b"250 ok\r\n")
                elif line.startswith(b"DATA"):
                    c.sendall(b"354 go\r\n")
                    break
            time.sleep(8)
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.addCleanup(lambda: [c.close() for c in conns])
        text = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n" * 1
        text = text + (b"y" * 998 + b"\r\n") * 20000
        qid = self.agent.queue_file(text, ["a@x.test"])
        results, done = self.agent.deliver("smtp", qid, "[127.0.0.1]:%d" % lsock.getsockname()[1],
                                           [0])
        self.assertTrue(done)
        self.assertEqual(results[0]["state"], "D")
        self.assertIn("timed out while sending message body", results[0]["text"])


if __name__ == "__main__":
    pt.run()
