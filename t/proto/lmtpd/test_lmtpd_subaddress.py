"""user+folder@domain: with lmtpd_subaddress_folders the message goes
into the mailbox "folder" when it exists, else into INBOX; without it,
always INBOX.  Delivered-To: names the user without the extension."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402


def send(inst, rcpt):
    c = inst.lmtp()
    c.mail("a@remote.example")
    assert c.rcpt(rcpt)[0] == 250
    assert pt.lmtp_data(c, b"Subject: sub\r\n\r\nx\r\n", 1)[0][0] == 250
    c.quit()


class Subaddress(pt.InstanceTest):
    def test_folders(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw")],
                                params={"lmtpd_subaddress_folders": "yes"})
        self.instances.append(inst)
        inst.start()
        send(inst, "alice@example.org")
        inst.create_mailbox("alice@example.org", "lists")
        send(inst, "alice+lists@example.org")
        send(inst, "alice+nosuch@example.org")
        self.assertEqual(len(inst.mailbox("alice@example.org")), 2)
        box = inst.mailbox("alice@example.org", "lists")
        self.assertEqual(len(box), 1)
        msg = inst.message("alice@example.org", box[0][0], "lists")
        self.assertIn(b"\r\nDelivered-To: alice@example.org\r\n", msg)
        self.assertIn("to=<alice+lists@example.org>, mailbox=lists, uid=1", inst.logtext())

    def test_off(self):
        inst = pt.LmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        send(inst, "alice@example.org")
        inst.create_mailbox("alice@example.org", "lists")
        send(inst, "alice+lists@example.org")
        self.assertEqual(len(inst.mailbox("alice@example.org")), 2)
        self.assertEqual(inst.mailbox("alice@example.org", "lists"), [])


if __name__ == "__main__":
    pt.run()
