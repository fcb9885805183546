"""delivery smtp to a test server: per-recipient 250/450/550 results
with the server's reply and the command it answered; MAIL and DATA
refusals; PIPELINING used only when offered; DSN parameters (RET, ENVID,
NOTIFY, ORCPT) passed on only when DSN is offered; SIZE declared, and a
message over the server's SIZE bounced without MAIL; BODY=8BITMIME for
8-bit text when offered, the text sent as it is when not; SMTPUTF8 when
needed and offered, 5.6.7 when not; a server's recipient limit (452)
answered by further transactions on the same connection."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"From: s@origin.test\r\nSubject: smtp\r\n\r\nHello.\r\n"


class SmtpReplies(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.agent = pt.DeliveryInstance()
        self.instances.append(self.agent)
        self.agent.start()

    def sink(self, **kw):
        s = smtpsink.SmtpSink(**kw).start()
        self.addCleanup(s.stop)
        return s

    def send(self, sink, text=TEXT, rcpts=("a@x.test",), options=(), sender="s@origin.test"):
        qid = self.agent.queue_file(text, list(rcpts), sender=sender, options=options)
        results, done = self.agent.deliver("smtp", qid, "[127.0.0.1]:%d" % sink.port,
                                           list(range(len(rcpts))))
        self.assertTrue(done)
        self.assertEqual(len(results), len(rcpts))
        return self.agent.by_index(results)

    def test_mix(self):
        sink = self.sink(rcpt_replies={"b@x.test": "450 4.2.1 mailbox busy",
                                       "c@x.test": "550 5.1.1 no such user"})
        r = self.send(sink, rcpts=("a@x.test", "b@x.test", "c@x.test"))
        self.assertEqual((r[0]["state"], r[0]["dsn"], r[0]["scope"]), ("S", "2.0.0", "r"))
        self.assertEqual(r[0]["reply"], "250 2.0.0 queued")
        self.assertEqual(r[0]["relay"], "127.0.0.1[127.0.0.1]:%d" % sink.port)
        self.assertEqual((r[1]["state"], r[1]["dsn"], r[1]["scope"]), ("D", "4.2.1", "r"))
        self.assertEqual(r[1]["text"], "host 127.0.0.1[127.0.0.1] said: 450 4.2.1 mailbox "
                                       "busy (in reply to RCPT TO command)")
        self.assertEqual((r[2]["state"], r[2]["dsn"]), ("B", "5.1.1"))
        self.assertEqual(r[2]["reply"], "550 5.1.1 no such user")
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual([a for a, _p in sink.messages[0].rcpts], ["a@x.test"])
        self.assertEqual(sink.messages[0].data, TEXT)
        self.assertEqual(sink.messages[0].sender, "s@origin.test")
        self.assertEqual(sink.sessions[0].helo, "delivery.test")
        pt.wait_for(lambda: sink.sessions[0].commands[-1] == "QUIT", what="QUIT")

    def test_mail_and_data_refused(self):
        sink = self.sink(mail_reply="553 5.7.1 sender refused")
        r = self.send(sink, rcpts=("a@x.test", "b@x.test"))
        for x in r.values():
            self.assertEqual((x["state"], x["dsn"]), ("B", "5.7.1"))
            self.assertIn("(in reply to MAIL FROM command)", x["text"])
        sink = self.sink(data_reply="451 4.3.0 try later")
        r = self.send(sink, rcpts=("a@x.test",))
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("D", "4.3.0"))
        self.assertIn("(in reply to DATA command)", r[0]["text"])
        sink = self.sink(dot_reply="554 5.6.0 content refused")
        r = self.send(sink)
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.6.0"))
        self.assertIn("(in reply to end of DATA command)", r[0]["text"])
        # No enhanced code: the class alone.
        sink = self.sink(rcpt_replies={"a@x.test": "550 nope"})
        r = self.send(sink)
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.0.0"))

    def test_pipelining(self):
        sink = self.sink()
        self.send(sink, rcpts=("a@x.test", "b@x.test", "c@x.test"))
        cmds = sink.sessions[0].commands
        piped = dict(zip(cmds, sink.sessions[0].pipelined))
        self.assertTrue(cmds[1].startswith("MAIL FROM:"), cmds)
        self.assertTrue(piped[cmds[1]], "MAIL came with the RCPTs behind it")
        self.assertEqual(cmds[5], "DATA")
        sink = self.sink(pipelining=False)
        self.send(sink, rcpts=("a@x.test", "b@x.test", "c@x.test"))
        self.assertEqual(sink.sessions[0].commands[2:6],
                         ["RCPT TO:<a@x.test>", "RCPT TO:<b@x.test>",
                          "RCPT TO:<c@x.test>", "DATA"])
        self.assertFalse(any(sink.sessions[0].pipelined), sink.sessions[0].pipelined)

    def test_dsn(self):
        opts = ["-R", "FULL", "-e", "id+1 x"]
        rcpts = [("a@x.test", ["-N", "6", "-O", "rfc822;Orig=A@x.test"]),
                 ("b@x.test", ["-N", "1"]), "c@x.test"]
        sink = self.sink()
        self.send(sink, rcpts=rcpts, options=opts)
        m = sink.messages[0]
        self.assertIn("RET=FULL", m.mail_params)
        self.assertIn("ENVID=id+2B1+20x", m.mail_params)
        params = dict(m.rcpts)
        self.assertEqual(params["a@x.test"], ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Orig+3DA@x.test"])
        self.assertEqual(params["b@x.test"], ["NOTIFY=NEVER"])
        self.assertEqual(params["c@x.test"], [])
        sink = self.sink(dsn=False)
        self.send(sink, rcpts=rcpts, options=opts)
        m = sink.messages[0]
        self.assertFalse([p for p in m.mail_params if p.startswith(("RET", "ENVID"))])
        self.assertEqual([p for _a, p in m.rcpts], [[], [], []])

    def test_size(self):
        sink = self.sink(size=100000)
        self.send(sink)
        self.assertIn("SIZE=%d" % len(TEXT), sink.messages[0].mail_params)
        sink = self.sink(size=0)
        self.send(sink)
        self.assertIn("SIZE=%d" % len(TEXT), sink.messages[0].mail_params)
        sink = self.sink(size=10)
        r = self.send(sink)
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.3.4"))
        self.assertIn("message size %d exceeds size limit 10 of server" % len(TEXT),
                      r[0]["text"])
        self.assertFalse([c for c in sink.all_commands() if c.startswith("MAIL")])
        sink = self.sink(size=None)
        self.send(sink)
        self.assertFalse([p for p in sink.messages[0].mail_params if p.startswith("SIZE")])

    def test_8bit(self):
        text = "Subject: caf\u00e9\r\n\r\nna\u00efve\r\n".encode()
        sink = self.sink()
        self.send(sink, text=text)
        self.assertIn("BODY=8BITMIME", sink.messages[0].mail_params)
        self.assertEqual(sink.messages[0].data, text)
        sink = self.sink()
        self.send(sink)
        self.assertNotIn("BODY=8BITMIME", sink.messages[0].mail_params)
        # Without 8BITMIME the text goes as it is (as Postfix sends it).
        sink = self.sink(eightbitmime=False)
        r = self.send(sink, text=text)
        self.assertEqual(r[0]["state"], "S")
        self.assertEqual(sink.messages[0].data, text)
        self.assertFalse([p for p in sink.messages[0].mail_params if p.startswith("BODY")])

    def test_smtputf8(self):
        rcpts = ["j\u00f6rg@x.test"]
        sink = self.sink(smtputf8=False)
        r = self.send(sink, rcpts=rcpts, options=["-U"])
        self.assertEqual((r[0]["state"], r[0]["dsn"]), ("B", "5.6.7"), r[0])
        self.assertIn("SMTPUTF8 is required, but was not offered", r[0]["text"])
        self.assertFalse(sink.messages)
        sink = self.sink(smtputf8=True)
        r = self.send(sink, rcpts=rcpts, options=["-U"])
        self.assertEqual(r[0]["state"], "S")
        self.assertIn("SMTPUTF8", sink.messages[0].mail_params)
        # Asked for, but all ASCII: sent to any server, without it.
        sink = self.sink(smtputf8=False)
        r = self.send(sink, options=["-U"])
        self.assertEqual(r[0]["state"], "S")
        self.assertNotIn("SMTPUTF8", sink.messages[0].mail_params)

    def test_helo_fallback(self):
        sink = self.sink(ehlo_reply="502 5.5.2 EHLO not implemented")
        r = self.send(sink, rcpts=("a@x.test", "b@x.test"))
        self.assertEqual([x["state"] for x in r.values()], ["S", "S"])
        cmds = sink.sessions[0].commands
        self.assertEqual(cmds[0], "EHLO delivery.test")
        self.assertEqual(cmds[1], "HELO delivery.test")
        # No keywords after HELO: no parameters, no pipelining.
        self.assertEqual(cmds[2], "MAIL FROM:<s@origin.test>")
        self.assertFalse(any(sink.sessions[0].pipelined))

    def test_hostile_replies(self):
        sink = self.sink(greeting="hello there")
        r = self.send(sink, rcpts=("a@x.test",))
        self.assertEqual((r[0]["state"], r[0]["dsn"], r[0]["scope"]), ("D", "4.5.0", "d"))
        self.assertIn("malformed reply", r[0]["text"])
        sink = self.sink(rcpt_replies={"a@x.test": "250-2.1.5 ok\n251 2.1.5 changed"})
        r = self.send(sink, rcpts=("a@x.test",))
        self.assertEqual(r[0]["state"], "D")
        self.assertIn("reply code changed", r[0]["text"])
        # Control bytes and 8-bit text: sanitised, never in the log raw.
        sink = self.sink(rcpt_replies={"a@x.test": "550 5.1.1 bad\x01\x1b[31m\u00e9 user"})
        r = self.send(sink, rcpts=("a@x.test",))
        self.assertEqual(r[0]["reply"], "550 5.1.1 bad??[31m?? user")
        # 421 in the middle: the session is over for everyone left.
        sink = self.sink(rcpt_replies={"b@x.test": "421 4.3.2 shutting down"})
        r = self.send(sink, rcpts=("a@x.test", "b@x.test", "c@x.test"))
        self.assertEqual([x["dsn"] for x in r.values()], ["4.3.2"] * 3)
        self.assertFalse(sink.messages)

    def test_recipient_limit(self):
        sink = self.sink(max_rcpts=2)
        rcpts = ["r%d@x.test" % i for i in range(5)]
        r = self.send(sink, rcpts=rcpts)
        self.assertEqual([r[i]["state"] for i in range(5)], ["S"] * 5)
        self.assertEqual(sink.connections, 1)
        self.assertEqual([len(m.rcpts) for m in sink.messages], [2, 2, 1])
        self.assertEqual(sorted(a for m in sink.messages for a, _p in m.rcpts), rcpts)


if __name__ == "__main__":
    pt.run()
