"""The DMZ layout in one test: a gateway instance (smtpd, qmgr, the
delivery agents; no store) accepts mail for the domain and hands it over
LMTP on TCP, with STARTTLS required, to a store instance (authd, lmtpd
allowing only the gateway's address and requiring STARTTLS).  The
message reaches the mailbox; the gateway never writes a store; a
recipient the store does not know comes back to the sender as a bounce;
a gateway that will not do TLS gets nothing through (its message
bounces)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

USERS = [("alice@example.org", "pw")]


class Gateway(pt.SmtpdInstance):
    """smtpd, qmgr and the delivery agents: no lmtpd, no store."""

    send = pt.QmgrInstance.send
    queue_ids = pt.QmgrInstance.queue_ids
    queue_empty = pt.QmgrInstance.queue_empty


class Dmz(pt.InstanceTest):
    directory = "hash"

    def make(self, gateway_tls="encrypt"):
        self.store = pt.LmtpdInstance(users=USERS, tls=True, directory=self.directory, params={
            "lmtpd_client_networks": "127.0.0.1/32",
            "lmtpd_tls_security_level": "encrypt"})
        self.instances.append(self.store)
        self.store.start()
        # Bounces to remote senders go to a sink standing in for their MX.
        self.sink = SmtpSink()
        self.sink.start()
        self.addCleanup(self.sink.stop)
        gw = Gateway(params={
            "virtual_mailbox_domains": "", "relay_domains": "example.org",
            "transport_maps": "inline:{example.org=lmtp:inet:127.0.0.1:%d, "
                              "remote.test=smtp:[127.0.0.1]:%d}"
                              % (self.store.lmtp_port, self.sink.port),
            "lmtp_tls_security_level": gateway_tls,
            "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
            "queue_run_delay": "1s", "myhostname": "gw.test"})
        with open(gw.path("master.conf")) as f:
            text = f.read()
        gw.write_master(text + pt.QMGR_MASTER + pt.DELIVERY_MASTER)
        self.instances.append(gw)
        gw.start()
        self.gw = gw
        return gw

    def test_gateway_to_store_over_lmtp_tls(self):
        gw = self.make()
        gw.send("sender@remote.test", ["alice@example.org"],
                b"Subject: through the dmz\r\n\r\nhello\r\n")
        pt.wait_for(lambda: len(self.store.mailbox("alice@example.org") or []) >= 1,
                    what="the message in the store")
        box = self.store.mailbox("alice@example.org")
        msg = self.store.message("alice@example.org", box[0][0])
        self.assertIn(b"Subject: through the dmz", msg)
        self.assertIn(b"Received: from ", msg)
        pt.wait_for(gw.queue_empty, what="the gateway's queue to empty")
        self.assertRegex(gw.logtext(), r"to=<alice@example.org>, relay=127\.0\.0\.1\["
                                       r"127\.0\.0\.1\]:\d+.*status=sent")
        self.assertIn("TLS established", self.store.logtext())
        # The gateway has no store, and made none.
        self.assertFalse(os.path.exists(gw.path("data/store")) and
                         os.listdir(gw.path("data/store")))
        # An address the store does not know: the gateway relays it, the
        # store refuses it, and the sender gets a bounce.
        gw.send("sender@remote.test", ["nobody@example.org"], b"Subject: lost\r\n\r\nx\r\n")
        pt.wait_for(lambda: len(self.sink.messages) == 1, what="the bounce")
        self.assertEqual(self.sink.messages[0].sender, "")
        self.assertIn(b"nobody@example.org", self.sink.messages[0].data)
        pt.wait_for(gw.queue_empty, what="the gateway's queue to empty")

    def test_gateway_without_tls_gets_nothing_through(self):
        gw = self.make(gateway_tls="none")
        gw.send("sender@remote.test", ["alice@example.org"], b"Subject: plain\r\n\r\nx\r\n")
        # lmtpd answers 530 5.7.0 to MAIL without STARTTLS: a permanent
        # refusal, as Postfix treats it, so the sender is told.
        pt.wait_for(lambda: len(self.sink.messages) == 1, what="the bounce")
        self.assertIn(b"Must issue a STARTTLS command first", self.sink.messages[0].data)
        pt.wait_for(gw.queue_empty, what="the gateway's queue to empty")
        self.assertFalse(self.store.mailbox("alice@example.org"))


class DmzLdap(Dmz):
    """The same with the users, aliases and domains in a real slapd."""

    directory = "ldap"


if __name__ == "__main__":
    pt.run()
