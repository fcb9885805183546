"""A message to a local user is queued: 250 with the queue id only once
the queue file is on disk, with a Received header, the envelope and the
text dot-unstuffed exactly."""

import os
import signal
import smtplib
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402



class QueueMessage(pt.InstanceTest):
    def test_qmgr_notice(self):
        # A stand-in for qmgr on its socket gets "NEW qid" for each
        # message, in the chroot as in production.
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], chroot=True)
        self.instances.append(inst)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        os.makedirs(inst.path("queue/private"), exist_ok=True)
        listener.bind(inst.path("queue/private/qmgr"))
        os.chmod(inst.path("queue/private/qmgr"), 0o666)
        listener.listen(16)
        listener.settimeout(30)
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
            s.mail("sender@remote.example")
            s.rcpt("alice@example.org")
            code, resp = s.data("Subject: n\r\n\r\nnotice\r\n")
        self.assertEqual(code, 250)
        qid = resp.decode().split("queued as ")[1]
        conn, _ = listener.accept()
        conn.settimeout(30)
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(100)
            if not chunk:
                break
            line += chunk
        conn.close()
        listener.close()
        self.assertEqual(line, b"NEW " + qid.encode() + b"\n")

    def test_queued(self):
        # Chrooted into the queue directory as in production (as root).
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")], chroot=True)
        self.instances.append(inst)
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port)
        code, text = s.ehlo("client.example")
        self.assertEqual(code, 250)
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8", "dsn"):
            self.assertTrue(s.has_extn(ext), ext)
        body = "Subject: test\r\n\r\nline one\r\n.leading dot\r\n..two dots\r\n"
        s.mail("sender@remote.example", ["BODY=8BITMIME", "RET=HDRS", "ENVID=abc+2Bdef"])
        s.rcpt("Alice@Example.org", ["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;alice@example.org"])
        code, resp = s.data(body)
        self.assertEqual(code, 250)
        qid = resp.decode().split("queued as ")[1]
        s.quit()
        files = inst.queue_files()
        self.assertEqual([os.path.basename(f) for f in files], [qid])
        data = open(files[0], "rb").read()
        self.assertIn(("Received: from client.example (%s [127.0.0.1])\r\n\tby "
                      % (pt.hosts_name("127.0.0.1") or "unknown")).encode(), data)
        self.assertIn(b"with ESMTP id " + qid.encode() + b"\r\n\tfor <Alice@example.org>; ", data)
        self.assertIn(b"\r\nline one\r\n.leading dot\r\n..two dots\r\n", data)
        self.assertIn(b"sender@remote.example", data)
        self.assertIn(b"alice@example.org", data)
        self.assertIn(b"abc+def", data, "ENVID decoded from xtext")
        self.assertIn("%s: from=<sender@remote.example>" % qid, inst.logtext())
        if os.geteuid() == 0:
            smtpd = inst.children("smtp")[0]
            self.assertEqual(os.readlink("/proc/%d/root" % smtpd), inst.path("queue"))

    def test_null_sender_and_many_messages(self):
        inst = pt.SmtpdInstance(users=[("alice@example.org", "pw")])
        self.instances.append(inst)
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port)
        ids = []
        for i in range(5):
            s.mail("<>")
            s.rcpt("alice@example.org")
            code, resp = s.data("Subject: %d\r\n\r\nbody %d\r\n" % (i, i))
            self.assertEqual(code, 250)
            ids.append(resp.decode().split("queued as ")[1])
        s.quit()
        self.assertEqual(sorted(os.path.basename(f) for f in inst.queue_files()), sorted(ids))


if __name__ == "__main__":
    pt.run()
