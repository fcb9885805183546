"""Mail flows end to end: python's smtplib -> smtpd -> qmgr -> the LMTP
delivery agent -> lmtpd -> the store, read back through the store API;
aliases fanning out to two local users and a remote address (the SMTP
delivery agent to a test server on loopback); sub-addressing; a
catch-all; a remote failure that comes back as a bounce in the
sender's own mailbox."""

import email
import email.policy
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import postern_test as pt  # noqa: E402
from smtpsink import SmtpSink  # noqa: E402

USERS = [("alice@example.org", "pw"), ("bob@example.org", "pw"),
         ("carol@example.net", "pw")]


class MailFlow(pt.InstanceTest):
    directory = "hash"

    def make(self, virtual="", params=None, aliases="", **sink):
        self.sink = SmtpSink(rcpt_replies={"nobody@remote.test": "550 5.1.1 no such user"},
                             **sink)
        self.sink.start()
        self.addCleanup(self.sink.stop)
        p = {"transport_maps": "inline:{remote.test=smtp:[127.0.0.1]:%d}" % self.sink.port,
             "lmtpd_subaddress_folders": "yes"}
        p.update(params or {})
        inst = pt.MailInstance(params=p, users=USERS, virtual=virtual, aliases=aliases,
                               directory=self.directory)
        self.instances.append(inst)
        inst.start()
        pt.wait_for(lambda: os.path.exists(inst.path("queue/private/lmtp")), what="lmtpd")
        return inst

    def test_inbound_to_mailbox(self):
        inst = self.make()
        body = b"Subject: hi alice\r\nMessage-ID: <e2e-1@remote.test>\r\n\r\nhello\r\n"
        inst.send("sender@remote.test", ["alice@example.org"], body)
        box = inst.wait_mailbox("alice@example.org", 1)
        msg = inst.message("alice@example.org", box[0][0])
        head = msg.split(b"\r\n\r\n", 1)[0]
        self.assertIn(b"Return-Path: <sender@remote.test>", head)
        self.assertIn(b"Delivered-To: alice@example.org", head)
        self.assertIn(b"Received: from ", head)
        self.assertTrue(msg.endswith(b"\r\nhello\r\n"))
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertRegex(inst.logtext(), r"to=<alice@example.org>, relay=[^,]*, delay=.*"
                                         r"status=sent")
        self.assertEqual(inst.check_store("alice@example.org")["missing"], 0)

    def test_alias_fan_out(self):
        inst = self.make(virtual="team@example.org alice@example.org, bob@example.org, "
                                 "far@remote.test\n")
        inst.send("sender@remote.test", ["team@example.org"])
        inst.wait_mailbox("alice@example.org", 1)
        inst.wait_mailbox("bob@example.org", 1)
        pt.wait_for(lambda: len(self.sink.messages) == 1, what="the remote copy")
        self.assertEqual([a for a, _p in self.sink.messages[0].rcpts], ["far@remote.test"])
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        self.assertIn("orig_to=<team@example.org>", inst.logtext())

    def test_local_aliases(self):
        # /etc/aliases style, for the domains of mydestination.
        inst = self.make(aliases="staff: alice@example.org, bob@example.org, far@remote.test\n")
        inst.send("sender@remote.test", ["staff@localhost"])
        inst.wait_mailbox("alice@example.org", 1)
        inst.wait_mailbox("bob@example.org", 1)
        pt.wait_for(lambda: len(self.sink.messages) == 1, what="the remote copy")
        pt.wait_for(inst.queue_empty, what="the queue to empty")

    def test_remote_retry_after_450(self):
        inst = self.make()
        self.sink.rcpt_replies["later@remote.test"] = "450 4.2.1 try again later"
        inst.send("sender@remote.test", ["later@remote.test", "now@remote.test"])
        pt.wait_for(lambda: len(self.sink.messages) == 1, what="the first attempt")
        self.assertEqual([a for a, _p in self.sink.messages[0].rcpts], ["now@remote.test"])
        pt.wait_for(lambda: len(inst.queue_ids("deferred")) == 1, what="a deferred message")
        self.assertIn("450 4.2.1 try again later", pt.postern_cmd(
            "-c", inst.dir, "queue", "list").stdout)
        # The server turns good: the next attempt after the back-off works.
        del self.sink.rcpt_replies["later@remote.test"]
        pt.wait_for(lambda: len(self.sink.messages) == 2, timeout=30, what="the retry")
        self.assertEqual([a for a, _p in self.sink.messages[1].rcpts], ["later@remote.test"])
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        log = inst.logtext()
        self.assertRegex(log, r"to=<later@remote.test>, .*status=deferred")
        self.assertRegex(log, r"to=<later@remote.test>, .*status=sent")

    def test_concurrency_limit_to_a_slow_server(self):
        inst = self.make(params={"default_destination_concurrency_limit": "3"},
                         delays={"dot": 0.3})
        for i in range(12):
            inst.send("sender@remote.test", ["u%d@remote.test" % i])
        pt.wait_for(lambda: len(self.sink.messages) == 12, timeout=60, what="12 messages")
        self.assertEqual(self.sink.max_active, 3)
        pt.wait_for(inst.queue_empty, what="the queue to empty")

    def test_subaddress_and_catch_all(self):
        inst = self.make(virtual="@example.net carol@example.net\n")
        inst.create_mailbox = pt.LmtpdInstance.create_mailbox.__get__(inst)
        inst.create_mailbox("alice@example.org", "lists")
        inst.send("sender@remote.test", ["alice+lists@example.org", "whoever@example.net"])
        pt.wait_for(lambda: len(inst.mailbox("alice@example.org", "lists") or []) == 1,
                    what="alice's lists folder")
        inst.wait_mailbox("carol@example.net", 1)
        pt.wait_for(inst.queue_empty, what="the queue to empty")

    def test_remote_failure_bounces_home(self):
        inst = self.make()
        inst.send("alice@example.org", ["nobody@remote.test"],
                  b"Subject: to nobody\r\n\r\nlost\r\n")
        box = inst.wait_mailbox("alice@example.org", 1)
        raw = inst.message("alice@example.org", box[0][0])
        m = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(m["Return-Path"], "<>")
        self.assertEqual(m.get_content_type(), "multipart/report")
        ds = list(m.iter_parts())[1]
        fields = dict(list(ds.get_payload())[1].items())
        self.assertEqual(fields["Final-Recipient"], "rfc822; nobody@remote.test")
        self.assertEqual(fields["Action"], "failed")
        self.assertEqual(fields["Status"], "5.1.1")
        self.assertIn("550 5.1.1 no such user", fields["Diagnostic-Code"])
        pt.wait_for(inst.queue_empty, what="the queue to empty")


class MailFlowLdap(MailFlow):
    """The same with the users, aliases and domains in a real slapd."""

    directory = "ldap"


if __name__ == "__main__":
    pt.run()
