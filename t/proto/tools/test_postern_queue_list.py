"""postern queue list and show, and mailq / sendmail -bp: an empty queue,
deferred messages with the recipients still due and their deferral
reasons, the marks of active and held messages, the same listing from
the three commands, the refusal for a user who is neither root nor
mail_owner, and "show" (envelope, recipients, header without the
body)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import sendmail_test as st  # noqa: E402
from agentsink import AgentSink  # noqa: E402

USERS = [("alice@example.org", "pw")]
# Deferred messages wait: nothing retries them during a test.
LONG = {"minimal_backoff_time": "1h", "maximal_backoff_time": "1h"}
MSG_LINE = r"^%s%s +(\d+) \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  %s$"
INDENT = " " * 50


def rule(addr, hop):
    if addr.startswith("carol@"):
        return ("D", "4.2.0", "450 4.2.0 busy", "host sink.test said: 450 4.2.0 busy")
    if addr.startswith("dave@"):
        return ("D", "4.4.1", "", "connect to dave.test: Connection refused")
    return ("S", "2.0.0", "250 ok", "ok")


class QueueList(pt.InstanceTest):
    def make(self, params=None, delay=0.0, qmgr=True):
        p = dict(LONG)
        p.update(params or {})
        inst = pt.QmgrInstance(params=p, users=USERS, qmgr=qmgr)
        self.instances.append(inst)
        self.sink = AgentSink(inst.path("queue"), "sink", rule=rule, delay=delay)
        self.addCleanup(self.sink.close)
        inst.start()
        return inst

    def queue(self, inst, *args):
        return pt.postern_cmd("-c", inst.dir, "queue", *args)

    def listing(self, inst):
        r = self.queue(inst, "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_empty(self):
        inst = self.make()
        self.assertEqual(self.listing(inst), "Mail queue is empty\n")
        for argv0, args in (("mailq", ()), ("sendmail", ("-bp",))):
            r = st.sendmail(inst.dir, *args, argv0=argv0)
            self.assertEqual(r.returncode, st.EX_OK, r.stderr)
            self.assertEqual(r.stdout, b"Mail queue is empty\n")

    def test_deferred_with_reasons(self):
        inst = self.make()
        inst.send("sender@remote.test", ["alice@example.org", "carol@far.test"])
        inst.send("", ["dave@dave.test"], b"Subject: x\r\n\r\n" + b"y" * 3000 + b"\r\n")
        pt.wait_for(lambda: len(inst.queue_ids("deferred")) == 2, what="two deferred")
        first, second = sorted(inst.queue_ids("deferred"))
        out = self.listing(inst)
        lines = out.split("\n")
        self.assertRegex(lines[0], r"^-Queue ID- +--Size-- ----Arrival Time--- +-Sender/Recipient")
        # Oldest first; alice was delivered, so she is not listed.
        self.assertRegex(lines[1], MSG_LINE % (first, " ", "sender@remote.test"))
        self.assertEqual(lines[2], INDENT + "carol@far.test")
        self.assertEqual(lines[3], INDENT + "(host sink.test said: 450 4.2.0 busy)")
        self.assertEqual(lines[4], "")
        m1 = re.match(MSG_LINE % (first, " ", "sender@remote.test"), lines[1])
        m = re.match(MSG_LINE % (second, " ", "MAILER-DAEMON"), lines[5])
        self.assertIsNotNone(m, out)
        self.assertGreater(int(m.group(1)), 3000)
        kbytes = (int(m1.group(1)) + int(m.group(1)) + 1023) // 1024
        self.assertEqual(lines[6], INDENT + "dave@dave.test")
        self.assertEqual(lines[7], INDENT + "(connect to dave.test: Connection refused)")
        self.assertEqual(lines[8], "")
        self.assertEqual(lines[9], "-- %d Kbytes in 2 Requests." % kbytes)
        self.assertEqual(lines[10:], [""])
        self.assertNotIn("alice", out)
        # mailq and sendmail -bp print the same.
        for argv0, args in (("mailq", ()), ("sendmail", ("-bp",))):
            r = st.sendmail(inst.dir, *args, argv0=argv0)
            self.assertEqual(r.returncode, st.EX_OK, r.stderr)
            self.assertEqual(r.stdout.decode(), out)

    def test_marks(self):
        inst = self.make(delay=3.0)
        inst.send("sender@remote.test", ["carol@far.test"])
        pt.wait_for(lambda: self.sink.requests, what="a delivery to start")
        qid = self.sink.requests[0]["queue_id"]
        out = self.listing(inst)
        self.assertRegex(out.split("\n")[1], MSG_LINE % (qid, r"\*", "sender@remote.test"))
        pt.wait_for(lambda: inst.queue_ids("deferred"), timeout=20, what="deferred")
        r = self.queue(inst, "hold", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.listing(inst)
        self.assertRegex(out.split("\n")[1], MSG_LINE % (qid, "!", "sender@remote.test"))
        # The reasons stay with a held message.
        self.assertIn(INDENT + "(host sink.test said: 450 4.2.0 busy)\n", out)
        self.assertTrue(out.endswith("-- 1 Kbytes in 1 Request.\n"), out)

    def test_show(self):
        inst = self.make()
        inst.send("sender@remote.test", ["alice@example.org", "carol@far.test"],
                  b"Subject: hello there\r\nX-Test: 1\r\n\r\nthe body text\r\n")
        pt.wait_for(lambda: inst.queue_ids("deferred"), what="deferred")
        qid = inst.queue_ids("deferred")[0]
        r = self.queue(inst, "show", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertTrue(out.startswith("id: %s\nstate: deferred\nnext_attempt: " % qid), out)
        for line in ("sender: <sender@remote.test>", "client_address: 127.0.0.1",
                     "protocol: ESMTP", "body: 7BIT",
                     "recipient: alice@example.org\n  status: sent\n  attempts: 1\n",
                     "recipient: carol@far.test\n  status: deferred\n  attempts: 1\n",
                     "  dsn: 4.2.0\n  reason: host sink.test said: 450 4.2.0 busy\n",
                     "\nSubject: hello there\nX-Test: 1\n"):
            self.assertIn(line, out)
        self.assertRegex(out, r"\nReceived: from .*\n\tby mx.test")
        self.assertNotIn("the body text", out)
        # Not in the queue, or not an id at all.
        r = self.queue(inst, "show", "0" * 18)
        self.assertEqual((r.returncode, r.stderr), (1, "postern: %s: not in the queue\n" % ("0" * 18)))
        r = self.queue(inst, "show", "../../etc/passwd")
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad queue id", r.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run mailq as nobody")
    def test_not_for_everyone(self):
        inst = self.make()
        inst.send("sender@remote.test", ["carol@far.test"])
        pt.wait_for(lambda: inst.queue_ids("deferred"), what="deferred")
        for argv0, args in (("mailq", ()), ("sendmail", ("-bp",))):
            r = st.sendmail(inst.dir, *args, argv0=argv0, user=st.NOBODY)
            self.assertEqual(r.returncode, st.EX_NOPERM, r.stderr)
            self.assertEqual(r.stdout, b"")
            self.assertEqual(r.stderr.decode(), "%s: the queue is readable only by root "
                             "and postern (mail_owner)\n" % argv0)

    def test_qmgr_down(self):
        inst = self.make(qmgr=False)
        inst.send("sender@remote.test", ["alice@example.org"])
        qid = inst.queue_ids("incoming")[0]
        out = self.listing(inst)
        self.assertRegex(out.split("\n")[1], MSG_LINE % (qid, " ", "sender@remote.test"))
        self.assertEqual(out.split("\n")[2], INDENT + "alice@example.org")


if __name__ == "__main__":
    pt.run()
