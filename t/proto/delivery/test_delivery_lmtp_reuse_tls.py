"""delivery lmtp: an idle connection is kept for
lmtp_connection_cache_time and the next request to the same next hop
reuses it (after RSET), a stale one is replaced; STARTTLS is used when
lmtp_tls_security_level says so, and with "encrypt" a server that does
not offer it defers the message (4.7.4, the whole destination)."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"Subject: reuse\r\n\r\nbody\r\n"


class LmtpReuseTls(pt.InstanceTest):
    def test_reuse(self):
        sink = smtpsink.SmtpSink(lmtp=True).start()
        self.addCleanup(sink.stop)
        agent = pt.DeliveryInstance(params={"lmtp_connection_cache_time": "30s"})
        self.instances.append(agent)
        agent.start()
        hop = "[127.0.0.1]:%d" % sink.port
        for n in range(3):
            qid = agent.queue_file(TEXT, ["u%d@example.org" % n])
            results, done = agent.deliver("lmtp", qid, hop, [0])
            self.assertTrue(done)
            self.assertEqual(results[0]["state"], "S", results[0])
        self.assertEqual(sink.connections, 1, "one connection for three requests")
        self.assertEqual(len(sink.messages), 3)
        cmds = [c.split(" ")[0] for c in sink.all_commands()]
        self.assertEqual(cmds.count("LHLO"), 1)
        self.assertEqual(cmds.count("RSET"), 2, cmds)

    def test_per_recipient_replies(self):
        sink = smtpsink.SmtpSink(lmtp=True, rcpt_replies={"d@example.org": "550 5.1.1 unknown"},
                                 dot_replies={"b@example.org": "452 4.2.2 over quota",
                                              "c@example.org": "552 5.2.2 mailbox full"}).start()
        self.addCleanup(sink.stop)
        agent = pt.DeliveryInstance()
        self.instances.append(agent)
        agent.start()
        rcpts = ["a@example.org", "b@example.org", "c@example.org", "d@example.org",
                 "e@example.org"]
        qid = agent.queue_file(TEXT, rcpts)
        results, done = agent.deliver("lmtp", qid, "[127.0.0.1]:%d" % sink.port, range(5))
        self.assertTrue(done)
        r = agent.by_index(results)
        self.assertEqual([(r[i]["state"], r[i]["dsn"]) for i in range(5)],
                         [("S", "2.0.0"), ("D", "4.2.2"), ("B", "5.2.2"), ("B", "5.1.1"),
                          ("S", "2.0.0")])
        self.assertIn("(in reply to end of DATA command)", r[2]["text"])
        self.assertEqual(r[1]["reply"], "452 4.2.2 over quota")

    def test_stale_cached_session(self):
        sink = smtpsink.SmtpSink(lmtp=True).start()
        self.addCleanup(sink.stop)
        agent = pt.DeliveryInstance(params={"lmtp_connection_cache_time": "30s"})
        self.instances.append(agent)
        agent.start()
        hop = "[127.0.0.1]:%d" % sink.port
        qid = agent.queue_file(TEXT, ["a@example.org"])
        self.assertEqual(agent.deliver("lmtp", qid, hop, [0])[0][0]["state"], "S")
        # RSET on the kept session fails: a new session, same request.
        orig = smtpsink._Conn.do_RSET

        async def rset_closes(conn, arg):
            await conn.reply("421 4.3.2 shutting down")
            conn.closed = True
            conn.writer.close()
        smtpsink._Conn.do_RSET = rset_closes
        self.addCleanup(setattr, smtpsink._Conn, "do_RSET", orig)
        results, done = agent.deliver("lmtp", qid, hop, [0])
        self.assertTrue(done)
        self.assertEqual(results[0]["state"], "S", results[0])
        self.assertEqual(sink.connections, 2)
        self.assertEqual(len(sink.messages), 2)

    def test_cache_time_zero(self):
        sink = smtpsink.SmtpSink(lmtp=True).start()
        self.addCleanup(sink.stop)
        agent = pt.DeliveryInstance(params={"lmtp_connection_cache_time": "0"})
        self.instances.append(agent)
        agent.start()
        hop = "[127.0.0.1]:%d" % sink.port
        for n in range(2):
            qid = agent.queue_file(TEXT, ["u%d@example.org" % n])
            self.assertEqual(agent.deliver("lmtp", qid, hop, [0])[0][0]["state"], "S")
        self.assertEqual(sink.connections, 2)
        pt.wait_for(lambda: sink.all_commands().count("QUIT") == 2, what="two QUITs")

    def test_starttls_required(self):
        store = pt.LmtpdInstance(users=[("alice@example.org", "pw")], tls=True,
                                 inet_args="-o lmtpd_tls_security_level=may")
        self.instances.append(store)
        store.start()
        agent = pt.DeliveryInstance(params={"lmtp_tls_security_level": "encrypt"})
        self.instances.append(agent)
        agent.start()
        qid = agent.queue_file(TEXT, ["alice@example.org"])
        results, done = agent.deliver("lmtp", qid, "inet:127.0.0.1:%d" % store.lmtp_port, [0])
        self.assertTrue(done)
        self.assertEqual(results[0]["state"], "S", results[0])
        self.assertIn("TLS established", store.logtext())
        self.assertEqual(len(store.mailbox("alice@example.org")), 1)
        # The unix socket offers no STARTTLS: required, so deferred.
        results, done = agent.deliver("lmtp", qid, "unix:" + store.lmtp_socket, [0])
        self.assertTrue(done)
        r = results[0]
        self.assertEqual((r["state"], r["dsn"], r["scope"]), ("D", "4.7.4", "d"), r)
        self.assertIn("TLS is required, but was not offered", r["text"])
        self.assertEqual(len(store.mailbox("alice@example.org")), 1)

    def test_starttls_none_by_default(self):
        store = pt.LmtpdInstance(users=[("alice@example.org", "pw")], tls=True,
                                 inet_args="-o lmtpd_tls_security_level=may")
        self.instances.append(store)
        store.start()
        agent = pt.DeliveryInstance()
        self.instances.append(agent)
        agent.start()
        qid = agent.queue_file(TEXT, ["alice@example.org"])
        results, _ = agent.deliver("lmtp", qid, "127.0.0.1:%d" % store.lmtp_port, [0])
        self.assertEqual(results[0]["state"], "S")
        self.assertNotIn("TLS established", store.logtext())


if __name__ == "__main__":
    pt.run()
