"""delivery smtp: the text arrives byte for byte: dot-stuffing of lines
that start with a dot (and of a line that is only a dot), a text that
does not end in CRLF, a bare LF sent as CRLF, and a 5 MB message
streamed (it arrives whole and exact)."""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402


class SmtpData(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.agent = pt.DeliveryInstance()
        self.instances.append(self.agent)
        self.agent.start()
        self.sink = smtpsink.SmtpSink().start()
        self.addCleanup(self.sink.stop)

    def send(self, text, kind="smtp"):
        qid = self.agent.queue_file(text, ["a@x.test"])
        results, done = self.agent.deliver(kind, qid, "[127.0.0.1]:%d" % self.sink.port, [0])
        self.assertTrue(done)
        self.assertEqual(results[0]["state"], "S", results[0])
        return self.sink.messages[-1].data

    def test_dots(self):
        text = (b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n"
                b" .space\r\n...\r\n.\r\n")
        self.assertEqual(self.send(text), text)

    def test_line_ends(self):
        self.assertEqual(self.send(b"Subject: x\r\n\r\nno end"), b"Subject: x\r\n\r\nno end\r\n")
        self.assertEqual(self.send(b"Subject: x\r\n\r\na\nb\n.c\n"),
                         b"Subject: x\r\n\r\na\r\nb\r\n.c\r\n")
        self.assertEqual(self.send(b"Subject: x\r\n\r\na\rb\r\n"), b"Subject: x\r\n\r\na\rb\r\n")
        self.assertEqual(self.send(b""), b"")

    def test_five_megabytes(self):
        rnd = random.Random(7)
        lines = []
        size = 0
        while size < 5 * 1024 * 1024:
            n = rnd.randrange(0, 990)
            line = bytes(rnd.choice(b"..abcdefghij \xc3\xa9") for _ in range(n)) + b"\r\n"
            lines.append(line)
            size += len(line)
        text = b"Subject: big\r\n\r\n" + b"".join(lines)
        got = self.send(text)
        self.assertEqual(len(got), len(text))
        self.assertEqual(got, text)
        self.assertIn("BODY=8BITMIME", self.sink.messages[-1].mail_params)

    def test_lmtp_five_megabytes(self):
        self.sink.stop()
        self.sink = smtpsink.SmtpSink(lmtp=True).start()
        text = b"Subject: big\r\n\r\n" + (b".x" * 1000 + b"\r\n") * 2700
        self.assertEqual(self.send(text, kind="lmtp"), text)


if __name__ == "__main__":
    pt.run()
