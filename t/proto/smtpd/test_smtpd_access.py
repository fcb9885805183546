"""Access tables (postern-access(5)) by client, HELO, sender and
recipient, with OK, REJECT, DEFER, explicit codes, DISCARD and HOLD;
checked by authd for a chrooted smtpd; OK never opens relaying."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402
import smtp_raw  # noqa: E402


class Access(pt.InstanceTest):
    def start(self, chroot=False, tables=None, **params):
        p = {"mynetworks": "192.0.2.0/24"}
        p.update(params)
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw"),
                                       ("bob@example.org", "pw")],
                                params=p, chroot=chroot)
        for name, text in (tables or {}).items():
            inst.write_table(name, text)
        self.instances.append(inst)
        inst.start()
        self.inst = inst
        c = smtp_raw.RawSMTP(inst.smtp_port)
        c.cmd("EHLO client.example")
        return c

    def send(self, c, sender, rcpts, text="Subject: a\r\n\r\nbody\r\n"):
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % sender)[0], 250)
        codes = [c.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts]
        if 250 in codes:
            self.assertEqual(c.cmd("DATA")[0], 354)
            codes.append(c.cmd(text + ".")[0])
        return codes

    def test_client_reject_in_chroot(self):
        c = self.start(chroot=True, tables={"client": "127.0.0 REJECT go away\n"},
                       smtpd_client_access="hash:$config_directory/client")
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>"),
                         (554, ["554 5.7.1 <alice@example.org>: Client host rejected: "
                                "go away"]))
        self.assertEqual(self.inst.queue_files(), [])

    def test_helo_sender_recipient(self):
        c = self.start(
            tables={"helo": "bad.example REJECT\n",
                    "sender": "spammer@remote.example 550 5.7.1 No spam here\n"
                              "remote.example DUNNO\n",
                    "rcpt": "bob@example.org DEFER mailbox moving\n"},
            smtpd_helo_access="hash:$config_directory/helo",
            smtpd_sender_access="hash:$config_directory/sender",
            smtpd_recipient_access="hash:$config_directory/rcpt")
        self.assertEqual(c.cmd("MAIL FROM:<spammer@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>"),
                         (550, ["550 5.7.1 <alice@example.org>: Sender address rejected: "
                                "No spam here"]))
        c.cmd("RSET")
        self.assertEqual(self.send(c, "friend@remote.example",
                                   ["alice@example.org", "bob@example.org"]),
                         [250, 450, 250])
        c.cmd("EHLO host.bad.example")
        code, lines = c.cmd("MAIL FROM:<friend@remote.example>")
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>"),
                         (554, ["554 5.7.1 <alice@example.org>: Helo command rejected: "
                                "Access denied"]))
        self.assertEqual(len(self.inst.queue_files()), 1)

    def test_ok_never_opens_relaying(self):
        c = self.start(smtpd_client_access="inline:{127.0.0.1=OK}")
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<y@elsewhere.example>")[0], 554)
        self.assertEqual(c.cmd("RCPT TO:<nobody@example.org>")[0], 550)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.org>")[0], 250)

    def test_discard_and_hold(self):
        c = self.start(smtpd_sender_access="inline:{dropped@remote.example=DISCARD, "
                                           "held@remote.example=HOLD review}")
        self.assertEqual(self.send(c, "dropped@remote.example", ["alice@example.org"]),
                         [250, 250])
        self.assertEqual(self.inst.queue_files(), [])
        self.assertIn("discard: from=<dropped@remote.example>", self.inst.logtext())
        self.assertEqual(self.send(c, "held@remote.example", ["alice@example.org"]),
                         [250, 250])
        self.assertEqual(self.inst.queue_files(), [], "nothing in incoming/")
        held = []
        for root, _d, files in os.walk(self.inst.path("queue/hold")):
            held += [f for f in files if not f.endswith(".tmp")]
        self.assertEqual(len(held), 1)
        self.assertIn("hold: sender review", self.inst.logtext())

    def test_bad_action_is_temporary(self):
        c = self.start(smtpd_recipient_access="inline:{alice@example.org=PREPEND X: y}")
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.example>")[0], 250)
        code, lines = c.cmd("RCPT TO:<alice@example.org>")
        self.assertEqual(code, 451)
        self.assertIn("4.3.0", lines[0])
        self.assertIn("access recipient", self.inst.logtext())


if __name__ == "__main__":
    pt.run()
