"""delivery smtp and STARTTLS: may uses TLS when offered (any
certificate) and plaintext when not, and falls back to plaintext on a
new connection when the handshake fails; encrypt defers (4.7.4, the
destination) without STARTTLS; verify fails against a self-signed
certificate (4.7.5) unless smtp_tls_CAfile trusts it;
smtp_tls_policy_maps sets the level per destination domain."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import dnsserver  # noqa: E402
import postern_test as pt  # noqa: E402
import smtpsink  # noqa: E402

TEXT = b"Subject: tls\r\n\r\nsecret\r\n"


class SmtpTls(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.tmp = pt.tempfile.mkdtemp(prefix="postern-tls-")
        self.addCleanup(pt.subprocess.run, ["rm", "-rf", self.tmp])
        self.cert = pt.make_cert(self.tmp)
        self.key = os.path.join(self.tmp, "key.pem")

    def agent(self, **params):
        a = pt.DeliveryInstance(params=params)
        self.instances.append(a)
        a.start()
        return a

    def sink(self, **kw):
        kw.setdefault("cert", self.cert)
        kw.setdefault("key", self.key)
        s = smtpsink.SmtpSink(**kw).start()
        self.addCleanup(s.stop)
        return s

    def send(self, agent, sink, hop=None, text=TEXT):
        qid = agent.queue_file(text, ["a@x.test"])
        results, done = agent.deliver("smtp", qid, hop or "[127.0.0.1]:%d" % sink.port, [0])
        self.assertTrue(done)
        return results[0]

    def test_may(self):
        agent = self.agent()
        sink = self.sink(starttls=True)
        self.assertEqual(self.send(agent, sink)["state"], "S")
        self.assertTrue(sink.messages[0].tls, "sent under TLS")
        cmds = sink.sessions[0].commands
        self.assertEqual([c.split()[0] for c in cmds[:3]], ["EHLO", "STARTTLS", "EHLO"])
        # A large text streams through TLS whole.
        big = b"Subject: big\r\n\r\n" + b"".join(b"%07d .x\r\n" % i for i in range(300000))
        self.assertEqual(self.send(agent, sink, text=big)["state"], "S")
        self.assertEqual(sink.messages[1].data, big)
        self.assertTrue(sink.messages[1].tls)
        sink = self.sink(starttls=False)
        self.assertEqual(self.send(agent, sink)["state"], "S")
        self.assertFalse(sink.messages[0].tls)

    def test_may_handshake_fails(self):
        agent = self.agent()
        sink = self.sink(starttls=True, starttls_broken=True)
        r = self.send(agent, sink)
        self.assertEqual(r["state"], "S", r)
        self.assertEqual(sink.connections, 2)
        self.assertFalse(sink.messages[0].tls)
        self.assertNotIn("STARTTLS", sink.sessions[1].commands)
        self.assertIn("TLS handshake failed", agent.logtext())

    def test_plaintext_after_starttls_discarded(self):
        agent = self.agent()
        sink = self.sink(starttls=True, starttls_inject=b"554 5.7.1 injected\r\n")
        r = self.send(agent, sink)
        self.assertEqual(r["state"], "S", r)
        self.assertTrue(sink.messages[0].tls)
        cmds = [c.split()[0] for c in sink.sessions[0].commands]
        # Taken as the reply to the second EHLO, it would have made HELO.
        self.assertEqual(cmds[:4], ["EHLO", "STARTTLS", "EHLO", "MAIL"])

    def test_none(self):
        agent = self.agent(smtp_tls_security_level="none")
        sink = self.sink(starttls=True)
        self.assertEqual(self.send(agent, sink)["state"], "S")
        self.assertFalse(sink.messages[0].tls)

    def test_encrypt(self):
        agent = self.agent(smtp_tls_security_level="encrypt")
        sink = self.sink(starttls=False)
        r = self.send(agent, sink)
        self.assertEqual((r["state"], r["dsn"], r["scope"]), ("D", "4.7.4", "d"), r)
        self.assertIn("TLS is required, but was not offered", r["text"])
        self.assertFalse(sink.messages)
        sink = self.sink(starttls=True)
        self.assertEqual(self.send(agent, sink)["state"], "S")
        self.assertTrue(sink.messages[0].tls)
        # A broken handshake is no reason for plaintext here.
        sink = self.sink(starttls=True, starttls_broken=True)
        r = self.send(agent, sink)
        self.assertEqual((r["state"], r["dsn"]), ("D", "4.7.5"), r)
        self.assertEqual(sink.connections, 1)

    def test_verify(self):
        agent = self.agent(smtp_tls_security_level="verify")
        sink = self.sink(starttls=True)
        r = self.send(agent, sink)
        self.assertEqual((r["state"], r["dsn"], r["scope"]), ("D", "4.7.5", "d"), r)
        self.assertIn("certificate", r["text"])
        self.assertFalse(sink.messages)

    def test_verify_with_ca(self):
        agent = self.agent(smtp_tls_security_level="verify", smtp_tls_CAfile=self.cert)
        sink = self.sink(starttls=True)
        r = self.send(agent, sink)
        self.assertEqual(r["state"], "S", r)
        self.assertTrue(sink.messages[0].tls)

    def test_policy_maps(self):
        dns = dnsserver.DNSServer()
        dns.add("plain.test", "A", "127.0.0.1")
        dns.add("mx.secure.test", "A", "127.0.0.1")
        dns.start()
        self.addCleanup(dns.stop)
        agent = self.agent(dns_servers=dns.address, smtp_tls_policy_maps=
                           "inline:{plain.test=none, .secure.test=encrypt, bad.test=maybe}")
        sink = self.sink(starttls=False)
        r = self.send(agent, sink, "[mx.secure.test]:%d" % sink.port)
        self.assertEqual((r["state"], r["dsn"]), ("D", "4.7.4"), r)
        sink2 = self.sink(starttls=True)
        r = self.send(agent, sink2, "[plain.test]:%d" % sink2.port)
        self.assertEqual(r["state"], "S", r)
        self.assertFalse(sink2.messages[0].tls, "policy none: no STARTTLS")
        r = self.send(agent, sink2, "[bad.test]:%d" % sink2.port)
        self.assertEqual((r["state"], r["dsn"]), ("D", "4.3.0"), r)
        self.assertIn('bad TLS level "maybe"', agent.logtext())


if __name__ == "__main__":
    pt.run()
