#!/usr/bin/env python3
"""Delivery status notifications made by lib/mail/dsn (through the test
program t/bin/dsnmake) parse with Python's email package as RFC 6522
multipart/report messages: three parts, the delivery-status fields of
every recipient, and the original whole or as its header as RET,
bounce_size_limit and the notice's kind require; SMTPUTF8 originals get
the RFC 6533 types; hostile addresses and replies inject nothing."""
import email
import email.policy
import email.utils
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

DSNMAKE = os.path.join(pt.TESTBIN, "dsnmake")
QID = "0AbCdEfGhIjKlMnOpQ"
ORIG = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
        b"Subject: lunch\r\nMessage-ID: <m1@example.com>\r\n\r\n"
        b"Shall we?\r\n-- \r\nAlice\r\n")
DATE = 1700000000


def esc(value):
    """A description value with dsnmake's escapes."""
    if isinstance(value, str):
        value = value.encode()
    out = []
    for b in value:
        if b == 0x5c:
            out.append("\\\\")
        elif b == 13:
            out.append("\\r")
        elif b == 10:
            out.append("\\n")
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def notice(rcpts, content=ORIG, maxlen=None, **kw):
    """Run dsnmake: (returncode, notice bytes, stderr text)."""
    fields = dict(mta="mx.example.org", to="alice@example.com", date=DATE,
                  tz=0, msgid="%d.%s@mx.example.org" % (DATE, QID), qid=QID,
                  arrival=DATE - 3600, limit=50000)
    fields.update(kw)
    lines = ["%s %s" % (k, esc(str(v) if isinstance(v, int) else v))
             for k, v in fields.items() if v is not None]
    for r in rcpts:
        lines.append("rcpt " + esc(r["addr"]))
        lines += ["%s %s" % (k, esc(str(v) if isinstance(v, int) else v))
                  for k, v in r.items() if k != "addr"]
    with tempfile.NamedTemporaryFile() as f:
        f.write(content)
        f.flush()
        args = [DSNMAKE] + (["-m", str(maxlen)] if maxlen else []) + [f.name]
        p = subprocess.run(args, input="\n".join(lines).encode(),
                           capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


BOB = dict(addr="bob@example.net", orcpt="rfc822 Bob@Example.net",
           action="failed", status="5.1.1", remote="mx.example.net",
           diag="550 5.1.1 <bob@example.net>: no such user", last=DATE)


def u8(s):
    """Header text the bytes parser kept as surrogates, as UTF-8."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8")


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def status_blocks(part):
    """The field blocks of a delivery-status part, as lists of (name,
    value): the per-message block first.  message/delivery-status is
    parsed by the email package itself; the global one (unknown to it)
    from its text."""
    if part.get_content_type() == "message/delivery-status":
        return [list(b.items()) for b in part.get_payload()]
    (inner,) = part.get_payload()
    text = inner.as_bytes(policy=email.policy.SMTPUTF8).decode()
    blocks = []
    for chunk in text.replace("\r\n", "\n").strip("\n").split("\n\n"):
        m = email.message_from_string(chunk + "\n",
                                      policy=email.policy.default)
        blocks.append(list(m.items()))
    return blocks


def long_or_bare(raw):
    """Lines over 998 octets, or CR/LF not paired."""
    if raw.replace(b"\r\n", b"").count(b"\r") or \
            raw.replace(b"\r\n", b"").count(b"\n"):
        return True
    return any(len(line) > 998 for line in raw.split(b"\r\n"))


class DsnReport(unittest.TestCase):
    def make(self, rcpts, content=ORIG, **kw):
        rc, raw, err = notice(rcpts, content, **kw)
        self.assertEqual(rc, 0, err)
        self.assertFalse(long_or_bare(raw), "CRLF lines within 998")
        m = parse(raw)
        self.assertEqual(m.defects, [])
        for p in m.walk():
            self.assertEqual(p.defects, [], p.get_content_type())
        return raw, m, err

    def check_report(self, m, global_=False):
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"),
                         "global-delivery-status" if global_
                         else "delivery-status")
        self.assertEqual(m["Auto-Submitted"], "auto-replied")
        self.assertEqual(m["MIME-Version"], "1.0")
        parts = m.get_payload()
        self.assertEqual(len(parts), 3)
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_content_type(),
                         "message/global-delivery-status" if global_
                         else "message/delivery-status")
        return parts

    def original_raw(self, raw, m):
        """The third part's body, as bytes on the wire."""
        b = m.get_boundary().encode()
        third = raw.split(b"--" + b + b"\r\n")[3]
        body = third.split(b"\r\n\r\n", 1)[1]
        self.assertTrue(body.endswith(b"\r\n--" + b + b"--\r\n"))
        return body[:-len(b"\r\n--" + b + b"--\r\n")]

    def test_failure_mix(self):
        carol = dict(addr="carol@example.net", action="delayed",
                     status="4.4.1", reason="connection timed out",
                     retry=DATE + 5 * 86400)
        dave = dict(addr="dave@example.net", action="delivered")
        raw, m, err = self.make([BOB, carol, dave], ret="full",
                                envid="env-1", tz=-300)
        self.assertIn("kind=failure returned=full", err)
        parts = self.check_report(m)
        self.assertEqual(m["Subject"], "Undelivered Mail Returned to Sender")
        self.assertEqual(m["To"].addresses[0].addr_spec, "alice@example.com")
        self.assertEqual(m["From"].addresses[0].display_name,
                         "Mail Delivery System")
        self.assertEqual(m["From"].addresses[0].addr_spec,
                         "MAILER-DAEMON@mx.example.org")
        self.assertEqual(m["Date"].datetime.timestamp(), DATE)
        self.assertEqual(m["Message-ID"], "<%d.%s@mx.example.org>" % (DATE, QID))
        text = parts[0].get_content()
        self.assertIn("mx.example.org", text)
        for who in ("bob", "carol", "dave"):
            self.assertIn("<%s@example.net>" % who, text)
        self.assertIn("no such user", text)
        self.assertIn("connection timed out", text)

        blocks = status_blocks(parts[1])
        self.assertEqual(len(blocks), 4)
        self.assertEqual(blocks[0], [
            ("Reporting-MTA", "dns; mx.example.org"),
            ("X-Postern-Queue-ID", QID),
            ("Original-Envelope-Id", "env-1"),
            ("Arrival-Date", email.utils.format_datetime(
                email.utils.parsedate_to_datetime(
                    blocks[0][3][1]))),
        ])
        arrival = email.utils.parsedate_to_datetime(dict(blocks[0])["Arrival-Date"])
        self.assertEqual(arrival.timestamp(), DATE - 3600)
        self.assertEqual(arrival.utcoffset().total_seconds(), -300 * 60)
        bob = dict(blocks[1])
        self.assertEqual(bob["Original-Recipient"], "rfc822; Bob@Example.net")
        self.assertEqual(bob["Final-Recipient"], "rfc822; bob@example.net")
        self.assertEqual(bob["Action"], "failed")
        self.assertEqual(bob["Status"], "5.1.1")
        self.assertEqual(bob["Remote-MTA"], "dns; mx.example.net")
        self.assertEqual(bob["Diagnostic-Code"],
                         "smtp; 550 5.1.1 <bob@example.net>: no such user")
        self.assertEqual(email.utils.parsedate_to_datetime(
            bob["Last-Attempt-Date"]).timestamp(), DATE)
        self.assertNotIn("Will-Retry-Until", bob)
        carol = dict(blocks[2])
        self.assertEqual((carol["Final-Recipient"], carol["Action"],
                          carol["Status"]),
                         ("rfc822; carol@example.net", "delayed", "4.4.1"))
        self.assertEqual(email.utils.parsedate_to_datetime(
            carol["Will-Retry-Until"]).timestamp(), DATE + 5 * 86400)
        self.assertNotIn("Diagnostic-Code", carol)
        self.assertEqual(blocks[3], [("Final-Recipient", "rfc822; dave@example.net"),
                                     ("Action", "delivered"), ("Status", "2.0.0")])

        self.assertEqual(parts[2].get_content_type(), "message/rfc822")
        (orig,) = parts[2].get_payload()
        self.assertEqual(orig["Subject"], "lunch")
        self.assertEqual(orig.get_content().replace("\r\n", "\n"),
                         "Shall we?\n-- \nAlice\n")
        self.assertEqual(self.original_raw(raw, m), ORIG, "the original whole")

    def test_ret_and_limit(self):
        header = ORIG.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        cases = [  # (ret, limit, whole?)
            ("full", 50000, True),
            ("none", 50000, True),
            ("hdrs", 50000, False),
            ("full", len(ORIG), True),
            ("full", len(ORIG) - 1, False),
            ("none", len(ORIG) - 1, False),
            ("full", 0, False),
        ]
        for ret, limit, whole in cases:
            with self.subTest(ret=ret, limit=limit):
                raw, m, err = self.make([BOB], ret=ret, limit=limit)
                parts = self.check_report(m)
                if whole:
                    self.assertEqual(parts[2].get_content_type(),
                                     "message/rfc822")
                    self.assertEqual(self.original_raw(raw, m), ORIG)
                    self.assertIn("returned=full", err)
                else:
                    self.assertEqual(parts[2].get_content_type(),
                                     "text/rfc822-headers")
                    self.assertEqual(self.original_raw(raw, m), header)
                    self.assertNotIn(b"Shall we", raw)
                    self.assertIn("returned=hdrs", err)

    def test_delay_notice(self):
        r = dict(addr="bob@example.net", action="delayed", status="4.4.1",
                 reason="host mx.example.net refused to talk to us",
                 retry=DATE + 86400, last=DATE)
        raw, m, err = self.make([r], ret="full")
        parts = self.check_report(m)
        self.assertEqual(m["Subject"], "Delayed Mail (still being retried)")
        self.assertIn("kind=delay returned=hdrs", err)
        (_, rb) = status_blocks(parts[1])
        self.assertEqual(dict(rb)["Action"], "delayed")
        self.assertEqual(email.utils.parsedate_to_datetime(
            dict(rb)["Will-Retry-Until"]).timestamp(), DATE + 86400)
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")
        self.assertIn("refused to talk to us", parts[0].get_content())

    def test_success_notice(self):
        rcpts = [dict(addr="bob@example.net", action=a, status="2.0.0")
                 for a in ("delivered", "relayed", "expanded")]
        raw, m, err = self.make(rcpts, ret="full")
        parts = self.check_report(m)
        self.assertEqual(m["Subject"], "Successful Mail Delivery Report")
        self.assertEqual([dict(b)["Action"] for b in status_blocks(parts[1])[1:]],
                         ["delivered", "relayed", "expanded"])
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")

    def test_smtputf8(self):
        content = ("From: Jürgen <jürgen@bücher.example>\r\nSubject: Grüße\r\n"
                   "\r\nBis bald, Jürgen\r\n").encode()
        r = dict(addr="用户@example.net", orcpt="utf-8 Böb+x@example.net",
                 action="failed", status="5.1.1", remote="mx.example.net",
                 diag="550 5.1.1 用户 unknown")
        raw, m, err = self.make([r], content=content, smtputf8=1,
                                to="jürgen@bücher.example", ret="full")
        self.assertIn("eight_bit=1", err)
        parts = self.check_report(m, global_=True)
        self.assertEqual(u8(m["To"].addresses[0].addr_spec),
                         "jürgen@bücher.example")
        self.assertEqual(parts[0].get_content_charset(), "utf-8")
        self.assertIn("<用户@example.net>", parts[0].get_content())
        (_, rb) = status_blocks(parts[1])
        rb = dict(rb)
        self.assertEqual(rb["Final-Recipient"], "utf-8; 用户@example.net")
        self.assertEqual(rb["Original-Recipient"], "utf-8; Böb\\x{2B}x@example.net")
        self.assertEqual(rb["Diagnostic-Code"], "smtp; 550 5.1.1 用户 unknown")
        self.assertEqual(parts[2].get_content_type(), "message/global")
        self.assertEqual(self.original_raw(raw, m), content)
        raw, m, err = self.make([r], content=content, smtputf8=1,
                                to="jürgen@bücher.example", ret="hdrs")
        parts = self.check_report(m, global_=True)
        self.assertEqual(parts[2].get_content_type(), "message/global-headers")

    def test_eight_bit_original_in_ascii_notice(self):
        content = b"Subject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nBis bald\xc3\xa9\r\n"
        raw, m, err = self.make([BOB], content=content, ret="full")
        self.assertTrue(all(b < 0x80 for b in raw), "7-bit notice")
        parts = self.check_report(m)
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")
        self.assertEqual(parts[2]["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(parts[2].get_payload(decode=True),
                         b"Subject: Gr\xc3\xbc\xc3\x9fe\r\n\r\n")
        raw, m, err = self.make([BOB], content=content, ret="full", allow8bit=1)
        self.assertIn("returned=full eight_bit=1", err)
        parts = self.check_report(m)
        self.assertEqual(m["Content-Transfer-Encoding"], "8bit")
        self.assertEqual(self.original_raw(raw, m), content)

    def test_hostile_values(self):
        long_reply = "550 a\r\nBcc: evil@example.org\r\n\x01\x7f" + "A" * 5000
        r = dict(addr="bob@x\r\nBcc: evil@example.org",
                 orcpt="rfc822 x\r\nBcc: y", action="failed",
                 status="5.1.1\r\nBcc: s", remote="evil\r\nBcc: mta",
                 diag=long_reply, reason=long_reply + "\xff")
        raw, m, err = self.make(
            [r], to="alice@example.com\r\nBcc: evil@example.org",
            from_name='Mail "Daemon"\r\nBcc: n', envid="a b\r\nBcc: e")
        self.assertTrue(all(b < 0x80 for b in raw), "7-bit notice")
        self.assertIsNone(m["Bcc"])
        parts = self.check_report(m)
        for p in m.walk():
            self.assertIsNone(p["Bcc"])
        blocks = status_blocks(parts[1])
        self.assertEqual(len(blocks), 2)
        for b in blocks:
            self.assertNotIn("Bcc", dict(b))
        rb = dict(blocks[1])
        self.assertEqual(rb["Status"], "5.0.0")
        self.assertTrue(rb["Final-Recipient"].startswith("utf-8; bob@x\\x{0D}\\x{0A}"))
        self.assertTrue(rb["Diagnostic-Code"].startswith("smtp; 550 a Bcc: "))
        self.assertTrue(rb["Diagnostic-Code"].endswith("..."))
        self.assertLess(len(rb["Diagnostic-Code"]), 1000)
        self.assertEqual(dict(blocks[0])["Original-Envelope-Id"],
                         "a+20b+0D+0ABcc:+20e")
        self.assertEqual(m["From"].addresses[0].display_name,
                         'Mail "Daemon" Bcc: n')

    def test_boundary_collision(self):
        content = ORIG + b"--=_dsn.%s.0\r\n--=_dsn.%s.1--\r\n" % (
            QID.encode(), QID.encode())
        raw, m, err = self.make([BOB], content=content, ret="full")
        parts = self.check_report(m)
        self.assertEqual(m.get_boundary(), "=_dsn.%s.2" % QID)
        self.assertEqual(self.original_raw(raw, m), content)
        self.assertEqual(parts[2].get_content_type(), "message/rfc822")

    def test_limit_and_refusal(self):
        rc, raw, err = notice([BOB], maxlen=500)
        self.assertEqual((rc, raw), (1, b""))
        self.assertIn("would pass 500 bytes", err)
        rc, raw, err = notice([BOB], msgid="a b")
        self.assertEqual((rc, raw), (1, b""))
        self.assertIn("Message-ID", err)


if __name__ == "__main__":
    pt.run()
