"""qmgr's notices (RFC 3461/3464): a bounce for a failed recipient that
python's email package parses, NOTIFY=NEVER and NOTIFY=SUCCESS, one
delay notice and then expiry after maximal_queue_lifetime, and a bounce
of a bounce that goes to the postmaster once and never loops."""

import email
import email.policy
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
from agentsink import AgentSink  # noqa: E402

USERS = [("alice@example.org", "pw"), ("carol@example.org", "pw")]


def rule(addr, hop):
    if addr.startswith("dave@"):
        return ("B", "5.1.1", "550 5.1.1 <dave@far.test>: no such user",
                "host sink.test[127.0.0.1] said: 550 5.1.1 <dave@far.test>: no such user "
                "(in reply to RCPT TO command)")
    if addr == "carol@example.org":
        return ("D", "4.2.0", "450 4.2.0 mailbox busy", "host sink.test said: 450 busy")
    if addr.startswith("postmaster@") and hop == "mx.test":
        return ("B", "5.1.1", "550 5.1.1 no postmaster here", "no postmaster")
    return ("S", "2.0.0", "250 2.0.0 ok", "ok")


def report(msg_bytes):
    """(message, [per-recipient delivery-status field dicts], returned part)."""
    m = email.message_from_bytes(msg_bytes, policy=email.policy.default)
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "delivery-status"
    parts = list(m.iter_parts())
    assert len(parts) == 3, [p.get_content_type() for p in parts]
    ds = parts[1]
    assert ds.get_content_type() == "message/delivery-status"
    groups = [dict(g.items()) for g in ds.get_payload()]
    return m, groups[1:], parts[2]


class Notices(pt.InstanceTest):
    def make(self, params=None):
        inst = pt.QmgrInstance(params=params, users=USERS)
        self.instances.append(inst)
        self.sink = AgentSink(inst.path("queue"), "sink", rule=rule)
        self.addCleanup(self.sink.close)
        inst.start()
        return inst

    def notices(self):
        return [r for r in self.sink.requests if r["sender"] == ""]

    def test_bounce(self):
        inst = self.make()
        inst.send("sender@remote.test", ["alice@example.org", "dave@far.test"],
                  b"Subject: hello there\r\nMessage-ID: <m1@remote.test>\r\n\r\nbody\r\n")
        pt.wait_for(lambda: len(self.notices()) == 1, what="a notice")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        n = self.notices()[0]
        self.assertEqual(n["rcpt"], ["sender@remote.test"])
        m, rcpts, orig = report(n["content"])
        self.assertEqual(m["To"], "sender@remote.test")
        self.assertIn("MAILER-DAEMON@mx.test", m["From"])
        self.assertEqual(m["Auto-Submitted"], "auto-replied")
        self.assertEqual(len(rcpts), 1)
        r = rcpts[0]
        self.assertEqual(r["Final-Recipient"], "rfc822; dave@far.test")
        self.assertEqual(r["Action"], "failed")
        self.assertEqual(r["Status"], "5.1.1")
        self.assertEqual(r["Remote-MTA"], "dns; sink.test")
        self.assertEqual(r["Diagnostic-Code"], "smtp; 550 5.1.1 <dave@far.test>: no such user")
        self.assertEqual(orig.get_content_type(), "message/rfc822")
        self.assertEqual(orig.get_payload()[0]["Subject"], "hello there")
        log = inst.logtext()
        self.assertIn("sender non-delivery notice: " + n["queue_id"], log)
        # Sent only once, and the notice itself is delivered.
        self.assertEqual(log.count("sender non-delivery notice"), 1)

    def test_notify_never_and_success(self):
        import smtplib
        inst = self.make()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60) as c:
            c.ehlo()
            c.mail("sender@remote.test")
            self.assertEqual(c.rcpt("dave@far.test", ["NOTIFY=NEVER"])[0], 250)
            self.assertEqual(c.rcpt("alice@example.org", ["NOTIFY=SUCCESS,FAILURE"])[0], 250)
            self.assertEqual(c.data(b"Subject: dsn\r\n\r\nx\r\n")[0], 250)
        pt.wait_for(lambda: len(self.notices()) == 1, what="a success notice")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        m, rcpts, orig = report(self.notices()[0]["content"])
        # Handed to a transport other than lmtp (the store): "relayed".
        self.assertEqual([(r["Final-Recipient"], r["Action"], r["Status"]) for r in rcpts],
                         [("rfc822; alice@example.org", "relayed", "2.0.0")])
        # No failure notice for NOTIFY=NEVER.
        self.assertNotIn("non-delivery notice", inst.logtext())

    def test_delay_then_expiry(self):
        inst = self.make({"delay_warning_time": "1s", "maximal_queue_lifetime": "4s"})
        inst.send("sender@remote.test", ["carol@example.org"])
        pt.wait_for(lambda: len(self.notices()) == 2, timeout=30, what="two notices")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        kinds = []
        for n in self.notices():
            m, rcpts, orig = report(n["content"])
            self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; carol@example.org")
            kinds.append((rcpts[0]["Action"], rcpts[0]["Status"]))
        self.assertEqual(kinds, [("delayed", "4.2.0"), ("failed", "5.4.7")])
        log = inst.logtext()
        self.assertEqual(log.count("sender delay notice"), 1)
        self.assertIn("recipients expired: returned to sender", log)

    def test_double_bounce(self):
        import smtplib
        inst = self.make()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60) as c:
            c.sendmail("<>", ["dave@far.test"], b"Subject: a notice\r\n\r\nx\r\n")
        pt.wait_for(lambda: "undeliverable notice to the postmaster dropped" in inst.logtext(),
                    timeout=30, what="the double bounce to fail and be dropped")
        pt.wait_for(inst.queue_empty, what="the queue to empty")
        to_pm = [r for r in self.sink.requests if r["rcpt"] == ["postmaster@mx.test"]]
        self.assertEqual(len(to_pm), 1)
        self.assertEqual(to_pm[0]["sender"], "double-bounce@mx.test")
        # Nothing was ever sent to the null sender.
        self.assertEqual([r for r in self.sink.requests if r["rcpt"] == [""]], [])


if __name__ == "__main__":
    pt.run()
