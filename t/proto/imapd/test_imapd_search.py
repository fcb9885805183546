"""SEARCH, UID SEARCH and ESEARCH against a reference: a generated
mailbox of about 200 varied messages (plain, quoted-printable, base64,
multipart/alternative, attachments, an embedded message, RFC 2047
subjects and names in UTF-8 and Latin-1, different dates, sizes, flags
and keywords) is appended over IMAP with set INTERNALDATEs; an evaluator
written here with the python email module computes what every one of
about 100 generated and hand-picked search expressions must find, and
imapd's SEARCH, UID SEARCH and ESEARCH answers must be the same.  Also:
errors (BAD syntax, BADCHARSET, message numbers past the end), MODSEQ,
no EXPUNGE during SEARCH, and header keys answered from the cache with
the message files gone."""

import base64
import email
import email.header
import email.utils
import glob
import os
import quopri
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
import postern_test as pt  # noqa: E402

USER = "alice@example.org"
USERS = [(USER, "secret")]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]
ASCII_WORDS = ("apple banana cherry delta echo foxtrot golf hotel india "
               "juliet kilo lima mango nectar oscar papa quebec romeo "
               "sierra tango umbrella victor whiskey xray yankee zulu").split()
LATIN_WORDS = ["café", "naïve", "Jörg", "Ærø", "élan", "Übung", "façade"]
OTHER_WORDS = ["Привет", "мир", "Καλημέρα", "Ωμέγα"]
WORDS = ASCII_WORDS + LATIN_WORDS + OTHER_WORDS
KEYWORDS = ["$Work", "$Later", "Project-X"]
SYSFLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]
TAGS = ["alpha", "beta", "gamma"]


# ---- The generated mailbox ----

def qword(text, charset):
    """An RFC 2047 Q-encoded word."""
    out = []
    for b in text.encode(charset):
        c = chr(b)
        if c == " ":
            out.append("_")
        elif c.isalnum() and b < 128:
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset, "".join(out))


def bword(text, charset):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def crlf(b):
    return re.sub(rb"\r?\n", b"\r\n", b)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def words(self, pool, lo, hi):
        return " ".join(self.r.choice(pool) for _ in range(self.r.randint(lo, hi)))

    def encoded(self, text):
        """text as a header value: plain when ASCII, else encoded words."""
        if all(ord(ch) < 128 for ch in text):
            return text
        latin = all(ord(ch) < 256 for ch in text)
        charset = self.r.choice(["iso-8859-1", "utf-8"]) if latin else "utf-8"
        enc = self.r.choice([qword, bword])
        if self.r.random() < 0.5:
            return enc(text, charset)
        # One word each, blanks between them dropped by the decoder.
        return " ".join(enc(w + (" " if i + 1 < len(text.split()) else ""), charset)
                        for i, w in enumerate(text.split()))

    def person(self):
        name = self.words(ASCII_WORDS + LATIN_WORDS, 1, 2).title()
        addr = "%s@%s.example" % (self.r.choice(ASCII_WORDS), self.r.choice(ASCII_WORDS))
        return "%s <%s>" % (self.encoded(name), addr)

    def date(self):
        y = self.r.randint(2019, 2024)
        return y, self.r.randint(1, 12), self.r.randint(1, 28)

    def date_header(self):
        y, m, d = self.date()
        zone = self.r.choice(["+0000", "-0700", "+0530", "+1200"])
        return "%s, %d %s %d %02d:%02d:00 %s" % (
            self.r.choice(["Mon", "Tue", "Wed"]), d, MONTHS[m - 1], y,
            self.r.randint(0, 23), self.r.randint(0, 59), zone)

    def internaldate(self):
        y, m, d = self.date()
        zone = self.r.choice(["+0000", "-0500", "+0100", "+0900"])
        return '"%02d-%s-%d %02d:%02d:%02d %s"' % (
            d, MONTHS[m - 1], y, self.r.randint(0, 23), self.r.randint(0, 59),
            self.r.randint(0, 59), zone)

    def text_part(self, pool=WORDS):
        """(headers, body bytes) of one text part in some encoding."""
        text = "\n".join(self.words(pool, 3, 12) for _ in range(self.r.randint(1, 8))) + "\n"
        kind = self.r.choice(["7bit", "qp", "b64", "latin1", "8bit", "long"])
        if kind == "long":
            text = self.words(pool, 40, 80) + "\n"
            kind = "qp"
        if kind == "7bit" or (kind != "latin1" and all(ord(ch) < 128 for ch in text)
                              and self.r.random() < 0.3):
            text = "".join(ch for ch in text if ord(ch) < 128)
            return ("Content-Type: text/plain; charset=us-ascii\r\n", crlf(text.encode()))
        if kind == "latin1":
            text = "".join(ch for ch in text if ord(ch) < 256)
            return ("Content-Type: text/plain; charset=ISO-8859-1\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n",
                    crlf(quopri.encodestring(text.encode("latin-1"))))
        if kind == "qp":
            return ("Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n",
                    crlf(quopri.encodestring(crlf(text.encode()))))
        if kind == "b64":
            return ("Content-Type: text/plain; charset=\"UTF-8\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n",
                    crlf(base64.encodebytes(crlf(text.encode()))))
        return ("Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n", crlf(text.encode()))

    def body(self):
        """(top-level content headers, body bytes)."""
        kind = self.r.choice(["single", "single", "none", "alternative", "mixed",
                              "rfc822"])
        if kind == "none":
            return "", crlf(self.words(ASCII_WORDS, 5, 20).encode() + b"\n")
        if kind == "single":
            return self.text_part()
        b = "=_b%d" % self.r.randint(0, 10 ** 6)
        parts = []
        if kind == "alternative":
            h, body = self.text_part()
            parts.append(h.encode() + b"\r\n" + body)
            html = "<html><body><p>%s</p></body></html>\n" % self.words(WORDS, 3, 10)
            parts.append(b"Content-Type: text/html; charset=utf-8\r\n"
                         b"Content-Transfer-Encoding: base64\r\n\r\n" +
                         crlf(base64.encodebytes(html.encode())))
        else:
            h, body = self.text_part()
            parts.append(h.encode() + b"\r\n" + body)
            if kind == "mixed":
                # Words in an attachment that is no text: not searched.
                blob = ("secretattach %s" % self.words(ASCII_WORDS, 2, 5)).encode()
                parts.append(b"Content-Type: application/octet-stream\r\n"
                             b"Content-Disposition: attachment; filename=\"report.bin\"\r\n"
                             b"Content-Transfer-Encoding: base64\r\n\r\n" +
                             crlf(base64.encodebytes(blob)))
            else:
                ih, ibody = self.text_part()
                inner = ("From: %s\r\nSubject: inner zebra %s\r\n%s\r\n" %
                         (self.person(), self.words(ASCII_WORDS, 1, 2), ih)).encode() + ibody
                parts.append(b"Content-Type: message/rfc822\r\n\r\n" + inner)
        out = b"This is a multi-part message; preamble quokka.\r\n"
        for p in parts:
            out += b"--" + b.encode() + b"\r\n" + p
            if not out.endswith(b"\r\n"):
                out += b"\r\n"
        out += b"--" + b.encode() + b"--\r\n"
        sub = "alternative" if kind == "alternative" else "mixed"
        return 'Content-Type: multipart/%s; boundary="%s"\r\n' % (sub, b), out

    def message(self, i):
        h = ["From: %s" % self.person(), "To: %s" % self.person()]
        if self.r.random() < 0.4:
            h.append("Cc: %s, %s" % (self.person(), self.person()))
        if self.r.random() < 0.2:
            h.append("Bcc: %s" % self.person())
        subject = self.words(WORDS, 1, 4)
        value = self.encoded(subject)
        if len(value) > 60 and " " in value:
            # Folded over two lines.
            cut = value.index(" ", len(value) // 2) if " " in value[len(value) // 2:] else -1
            if cut > 0:
                value = value[:cut] + "\r\n " + value[cut + 1:]
        h.append("Subject: %s" % value)
        if self.r.random() < 0.85:
            h.append("Date: %s" % self.date_header())
        h.append("Message-ID: <m%d.%d@gen.example>" % (i, self.r.randint(0, 10 ** 6)))
        if self.r.random() < 0.5:
            h.append("X-Tag: %s" % self.r.choice(TAGS))
        if self.r.random() < 0.1:
            h.append("X-Tag: %s" % self.r.choice(TAGS))
        h.append("MIME-Version: 1.0")
        ch, body = self.body()
        head = "\r\n".join(h) + "\r\n" + ch
        return head.encode() + b"\r\n" + body

    def flags(self):
        # \Deleted comes later: these messages are expunged at first.
        fl = [f for f in SYSFLAGS if f != "\\Deleted" and self.r.random() < 0.3]
        fl += [k for k in KEYWORDS if self.r.random() < 0.25]
        return fl


# ---- The reference ----

def unfold(v):
    return re.sub(r"[\r\n]", "", v).strip(" \t")


def dec(v):
    v = unfold(v)
    try:
        return str(email.header.make_header(email.header.decode_header(v)))
    except (email.errors.HeaderParseError, LookupError, UnicodeDecodeError):
        return v


def fold(s):
    return s.lower()


def part_text(part):
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    if charset.lower() in ("us-ascii", "utf-8"):
        charset = "utf-8"
    return payload.decode(charset, errors="replace")


class Ref:
    """One message as the reference sees it."""

    def __init__(self, msn, uid, flags, internal, size, modseq, raw):
        self.msn = msn
        self.uid = uid
        self.flags = {f.lower() for f in flags}
        # The day of INTERNALDATE as shown, in its own zone.
        d, mon, y = re.match(r" ?(\d+)-(\w+)-(\d+)", internal).groups()
        self.internal = (int(y), MONTHS.index(mon) + 1, int(d))
        self.size = size
        self.modseq = modseq
        self.msg = email.message_from_bytes(raw)
        date = self.msg.get("Date")
        parsed = email.utils.parsedate_tz(dec(date)) if date else None
        self.sent = parsed[:3] if parsed else self.internal
        body, text = [], []
        for part in self.msg.walk():
            for k, v in part.items():
                text.append("%s: %s\n" % (k, dec(v)))
            if not part.is_multipart() and part.get_content_maintype() == "text":
                body.append(part_text(part) + "\n")
        self.body = fold("".join(body))
        self.text = fold("".join(text) + "".join(body))

    def header(self, name, needle):
        return any(fold(needle) in fold(dec(v)) for v in self.msg.get_all(name) or [])


def in_set(spec, v, star):
    for item in spec.split(","):
        lo, _, hi = item.partition(":")
        lo = star if lo == "*" else int(lo)
        hi = lo if not hi else (star if hi == "*" else int(hi))
        if min(lo, hi) <= v <= max(lo, hi):
            return True
    return False


FLAG_KEYS = {"ANSWERED": ("\\answered", True), "DELETED": ("\\deleted", True),
             "DRAFT": ("\\draft", True), "FLAGGED": ("\\flagged", True),
             "RECENT": ("\\recent", True), "SEEN": ("\\seen", True),
             "UNANSWERED": ("\\answered", False), "UNDELETED": ("\\deleted", False),
             "UNDRAFT": ("\\draft", False), "UNFLAGGED": ("\\flagged", False),
             "UNSEEN": ("\\seen", False), "OLD": ("\\recent", False)}


def evaluate(k, m, n, maxuid):
    op = k[0]
    if op == "AND":
        return all(evaluate(x, m, n, maxuid) for x in k[1])
    if op == "OR":
        return evaluate(k[1], m, n, maxuid) or evaluate(k[2], m, n, maxuid)
    if op == "NOT":
        return not evaluate(k[1], m, n, maxuid)
    if op == "ALL":
        return True
    if op in FLAG_KEYS:
        flag, want = FLAG_KEYS[op]
        return (flag in m.flags) == want
    if op == "NEW":
        return "\\recent" in m.flags and "\\seen" not in m.flags
    if op in ("KEYWORD", "UNKEYWORD"):
        return (k[1].lower() in m.flags) == (op == "KEYWORD")
    if op in ("BCC", "CC", "FROM", "SUBJECT", "TO"):
        return m.header(op, k[1])
    if op == "HEADER":
        return m.header(k[1], k[2])
    if op == "BODY":
        return fold(k[1]) in m.body
    if op == "TEXT":
        return fold(k[1]) in m.text
    if op in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"):
        day = m.sent if op.startswith("SENT") else m.internal
        rel = op[4:] if op.startswith("SENT") else op
        return {"BEFORE": day < k[1], "ON": day == k[1], "SINCE": day >= k[1]}[rel]
    if op == "LARGER":
        return m.size > k[1]
    if op == "SMALLER":
        return m.size < k[1]
    if op == "UID":
        return in_set(k[1], m.uid, maxuid)
    if op == "SEQ":
        return in_set(k[1], m.msn, n)
    if op == "MODSEQ":
        return m.modseq >= k[1]
    raise ValueError(op)


def astring(s):
    """A quoted string, or a non-synchronising literal for 8-bit text."""
    b = s.encode()
    if all(32 <= c < 127 and c not in b'"\\' for c in b):
        return b'"' + b + b'"'
    return b"{%d+}\r\n" % len(b) + b


def render(k):
    op = k[0]
    if op == "AND":
        return b"(" + b" ".join(render(x) for x in k[1]) + b")"
    if op == "OR":
        return b"OR " + render(k[1]) + b" " + render(k[2])
    if op == "NOT":
        return b"NOT " + render(k[1])
    if op in ("SEQ",):
        return k[1].encode()
    if op in ("UID",):
        return b"UID " + k[1].encode()
    if op == "HEADER":
        return b"HEADER " + astring(k[1]) + b" " + astring(k[2])
    if op in ("BCC", "CC", "FROM", "SUBJECT", "TO", "BODY", "TEXT"):
        return op.encode() + b" " + astring(k[1])
    if op in ("KEYWORD", "UNKEYWORD"):
        return op.encode() + b" " + k[1].encode()
    if op in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"):
        y, mo, d = k[1]
        return ("%s %d-%s-%d" % (op, d, MONTHS[mo - 1], y)).encode()
    if op in ("LARGER", "SMALLER", "MODSEQ"):
        return ("%s %d" % (op, k[1])).encode()
    return op.encode()


class ExprGen:
    def __init__(self, seed, refs):
        self.r = random.Random(seed)
        self.refs = refs

    def needle(self):
        r = self.r
        w = r.choice(WORDS + ["nothere", "quokka", "zebra", "secretattach", "report.bin"])
        if r.random() < 0.3 and len(w) > 3:
            a = r.randint(0, len(w) - 3)
            w = w[a:a + r.randint(2, len(w) - a)]
        return r.choice([w, w.upper(), w.lower(), w.title()])

    def day(self):
        if self.r.random() < 0.5:
            m = self.r.choice(self.refs)
            return m.sent if self.r.random() < 0.5 else m.internal
        return (self.r.randint(2019, 2024), self.r.randint(1, 12), self.r.randint(1, 28))

    def set(self, top):
        r = self.r
        items = []
        for _ in range(r.randint(1, 3)):
            a = r.randint(1, top)
            if r.random() < 0.2:
                items.append("*")
            elif r.random() < 0.5:
                items.append(str(a))
            else:
                b = r.choice([str(r.randint(1, top)), "*"])
                items.append("%s:%s" % ((a, b) if r.random() < 0.7 else (b, a)))
        return ",".join(items)

    def leaf(self):
        r = self.r
        n = len(self.refs)
        kind = r.choice(["flag", "flag", "keyword", "addr", "subject", "header",
                         "body", "text", "text", "date", "size", "uid", "seq"])
        if kind == "flag":
            return (r.choice(list(FLAG_KEYS) + ["NEW", "ALL"]),)
        if kind == "keyword":
            return (r.choice(["KEYWORD", "UNKEYWORD"]),
                    r.choice(KEYWORDS + ["$none"]).swapcase() if r.random() < 0.3
                    else r.choice(KEYWORDS + ["$none"]))
        if kind == "addr":
            return (r.choice(["FROM", "TO", "CC", "BCC"]), self.needle())
        if kind == "subject":
            return ("SUBJECT", self.needle())
        if kind == "header":
            return ("HEADER", r.choice(["X-Tag", "x-tag", "Message-ID", "Subject",
                                        "Content-Type", "X-None"]),
                    r.choice(TAGS + ["", "gen.example", "MULTIPART", "ALP"]))
        if kind in ("body", "text"):
            return (kind.upper(), self.needle())
        if kind == "date":
            return (r.choice(["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON",
                              "SENTSINCE"]), self.day())
        if kind == "size":
            return (r.choice(["LARGER", "SMALLER"]),
                    r.choice(self.refs).size + r.randint(-2, 2))
        if kind == "uid":
            return ("UID", self.set(self.refs[-1].uid + 5))
        return ("SEQ", self.set(n))

    def key(self, depth):
        r = self.r
        if depth >= 3 or r.random() < 0.45:
            return self.leaf()
        c = r.random()
        if c < 0.35:
            return ("OR", self.key(depth + 1), self.key(depth + 1))
        if c < 0.55:
            return ("NOT", self.key(depth + 1))
        return ("AND", [self.key(depth + 1) for _ in range(r.randint(1, 3))])


HAND_PICKED = [
    ("ALL",), ("SUBJECT", "zebra"), ("TEXT", "zebra"), ("BODY", "zebra"),
    ("BODY", "quokka"), ("TEXT", "quokka"), ("BODY", "secretattach"),
    ("TEXT", "secretattach"), ("TEXT", "REPORT.BIN"), ("BODY", "CAFÉ"),
    ("SUBJECT", "JÖRG"), ("FROM", "ærø"), ("BODY", "привет"), ("TEXT", "ΚΑΛΗΜΈΡΑ"),
    ("SUBJECT", "ωμέγα"), ("HEADER", "X-Tag", ""), ("HEADER", "x-TAG", "BETA"),
    ("NOT", ("HEADER", "X-Tag", "")), ("HEADER", "Content-Type", "alternative"),
    ("BODY", "<p>"), ("SUBJECT", ""), ("BCC", ""), ("NEW",), ("OLD",),
    ("AND", [("SEEN",), ("UNFLAGGED",), ("KEYWORD", "$work")]),
    ("OR", ("DRAFT",), ("OR", ("DELETED",), ("UNKEYWORD", "Project-X"))),
    ("NOT", ("NOT", ("RECENT",))), ("SEQ", "*"), ("SEQ", "1"), ("UID", "*"),
    ("UID", "1:*"), ("UID", "100000"), ("AND", [("SEQ", "2:*"), ("UID", "1:10")]),
    ("LARGER", 2000), ("SMALLER", 700), ("SENTON", (2021, 1, 1)),
    ("SENTSINCE", (2022, 6, 1)), ("BEFORE", (2020, 1, 1)), ("SINCE", (2024, 12, 1)),
    ("AND", [("SUBJECT", "an"), ("NOT", ("BODY", "a"))]),
    ("AND", [("FROM", "example"), ("TO", ".EXAMPLE")]),
]


class Search(pt.InstanceTest):
    def setUp(self):
        super().setUp()
        self.clients = []
        self.inst = pt.ImapdInstance(users=USERS)
        self.instances.append(self.inst)
        self.inst.start()
        self.ntag = 0

    def tearDown(self):
        try:
            for c in self.clients:
                c.logout()
        finally:
            super().tearDown()

    def login(self):
        c = self.inst.imap()
        c.login(USER, "secret")
        self.clients.append(c)
        return c

    def raw(self, c, cmd):
        """Send one command (literals non-synchronising); the untagged
        lines and the tagged one."""
        self.ntag += 1
        tag = b"S%d" % self.ntag
        c.send(tag + b" " + cmd + b"\r\n")
        lines = []
        while True:
            line = c.readline()
            self.assertTrue(line, "connection closed")
            line = line.rstrip(b"\r\n")
            if line.startswith(tag + b" "):
                return lines, line[len(tag) + 1:], tag
            lines.append(line)

    def build(self, count=210):
        """Append the mailbox (the first half claimed as \\Recent by
        another session), expunge some; the searching session, and the
        reference of each message."""
        gen = Gen(7)
        first = self.login()
        for i in range(count):
            if i == count // 2:
                first.select("INBOX")
            typ, _ = first.append("INBOX", "(%s)" % " ".join(gen.flags()),
                                  gen.internaldate(), gen.message(i))
            self.assertEqual(typ, "OK")
        # Holes: message numbers are no longer UIDs.
        first.noop()
        first.store("3,10:12,%d,%d" % (count // 3, count - 7), "+FLAGS", "(\\Deleted)")
        first.expunge()
        first.store(",".join(str(i) for i in range(2, count - 10, 7)), "+FLAGS", "(\\Deleted)")
        c = self.login()
        self.assertEqual(c.select("INBOX")[0], "OK")
        typ, data = c.fetch("1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        refs = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta = item[0].decode()
            msn = int(meta.split()[0])
            uid = int(re.search(r"UID (\d+)", meta).group(1))
            flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
            internal = re.search(r'INTERNALDATE "([^"]+)"', meta).group(1)
            size = int(re.search(r"RFC822.SIZE (\d+)", meta).group(1))
            modseq = int(re.search(r"MODSEQ \((\d+)\)", meta).group(1))
            self.assertEqual(size, len(item[1]))
            refs.append(Ref(msn, uid, flags, internal, size, modseq, item[1]))
        self.assertEqual([m.msn for m in refs], list(range(1, len(refs) + 1)))
        self.assertTrue(any("\\recent" in m.flags for m in refs))
        self.assertTrue(any("\\recent" not in m.flags for m in refs))
        return c, refs

    def expect(self, refs, key):
        n, maxuid = len(refs), refs[-1].uid
        return [m for m in refs if evaluate(key, m, n, maxuid)]

    def check(self, c, refs, key):
        want = self.expect(refs, key)
        text = render(("AND", [key]))[1:-1]
        charset = b"CHARSET UTF-8 " if any(b > 127 for b in text) else b""
        lines, status, _ = self.raw(c, b"SEARCH " + charset + text)
        self.assertTrue(status.startswith(b"OK"), (text, status))
        self.assertEqual(lines, [(b"* SEARCH " + b" ".join(b"%d" % m.msn for m in want))
                                 .rstrip()], text)
        lines, status, _ = self.raw(c, b"UID SEARCH " + charset + text)
        self.assertEqual(lines, [(b"* SEARCH " + b" ".join(b"%d" % m.uid for m in want))
                                 .rstrip()], text)
        lines, status, tag = self.raw(c, b"UID SEARCH RETURN (MIN MAX COUNT ALL) " +
                                      charset + text)
        self.assertEqual(lines, [esearch(tag, True, want, "MIN MAX COUNT ALL")], text)
        return want

    def test_reference(self):
        c, refs = self.build()
        self.assertIn("ESEARCH", c.capabilities)
        exprs = list(HAND_PICKED)
        gen = ExprGen(11, refs)
        while len(exprs) < 110:
            exprs.append(gen.key(0))
        nonempty = 0
        for key in exprs:
            nonempty += bool(self.check(c, refs, key))
        # The expressions must mean something: most find some but not all.
        self.assertGreater(nonempty, 50)
        # Several keys at the top level, with CHARSET US-ASCII.
        key = ("AND", [("UNSEEN",), ("OR", ("SUBJECT", "a"), ("BODY", "e")), ("SEQ", "5:100")])
        want = self.expect(refs, key)
        lines, status, _ = self.raw(c, b"SEARCH CHARSET US-ASCII " + render(key)[1:-1])
        self.assertTrue(status.startswith(b"OK"), status)
        self.assertEqual(lines, [(b"* SEARCH " + b" ".join(b"%d" % m.msn for m in want)).rstrip()])
        # ESEARCH forms with message numbers.
        for ret in ["", "MIN", "MAX", "COUNT", "ALL", "MIN MAX", "COUNT MIN"]:
            for key in [("SUBJECT", "apple"), ("BODY", "nothere"), ("SEEN",)]:
                want = self.expect(refs, key)
                lines, status, tag = self.raw(c, b"SEARCH RETURN (%s) %s" % (ret.encode(), render(key)))
                self.assertTrue(status.startswith(b"OK"))
                self.assertEqual(lines, [esearch(tag, False, want, ret or "ALL")], (ret, key))
        # A search never sets \Seen or changes anything.
        typ, data = c.fetch("1:*", "(FLAGS)")
        self.assertEqual(len(data), len(refs))
        for m, d in zip(refs, data):
            got = {f.lower() for f in re.search(rb"FLAGS \(([^)]*)\)", d).group(1).decode().split()}
            self.assertEqual(got, m.flags)

    def test_cache_without_files(self):
        c, refs = self.build(60)
        moved = []
        for path in glob.glob(os.path.join(self.inst.store_dir, "**", "mbox", "*", "*.*"),
                              recursive=True):
            os.rename(path, path + ".away")
            moved.append(path)
        self.assertGreater(len(moved), 40)
        try:
            # Cached fields: answered as before, no file read.
            for key in [("SUBJECT", "a"), ("FROM", "EXAMPLE"), ("HEADER", "Message-ID", "m1"),
                        ("SENTSINCE", (2022, 1, 1)), ("OR", ("TO", "o"), ("LARGER", 900))]:
                self.check(c, refs, key)
            # Body keys and uncached fields find nothing now.
            for key in [b"BODY e", b"TEXT e", b"HEADER X-Tag \"\""]:
                lines, status, _ = self.raw(c, b"SEARCH " + key)
                self.assertTrue(status.startswith(b"OK"))
                self.assertEqual(lines, [b"* SEARCH"])
        finally:
            for path in moved:
                os.rename(path + ".away", path)
        self.check(c, refs, ("HEADER", "X-Tag", ""))

    def test_modseq(self):
        c, refs = self.build(40)
        c.store("5:9", "+FLAGS", "($Later)")
        typ, data = c.fetch("1:*", "(MODSEQ)")
        mods = [int(re.search(rb"MODSEQ \((\d+)\)", d).group(1)) for d in data]
        cut = sorted(mods)[-6]
        want = [i + 1 for i, v in enumerate(mods) if v >= cut]
        # The first MODSEQ key enables CONDSTORE (RFC 7162 3.1).
        fresh = self.login()
        fresh.select("INBOX")
        lines, status, _ = self.raw(fresh, b"SEARCH MODSEQ %d" % cut)
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(re.match(rb"\* OK \[HIGHESTMODSEQ \d+\]", lines[0]), lines)
        self.assertEqual(lines[1], b"* SEARCH %s (MODSEQ %d)" % (
            b" ".join(b"%d" % x for x in want), max(mods)))
        lines, status, _ = self.raw(fresh, b"SEARCH MODSEQ %d" % cut)
        self.assertEqual(lines, [b"* SEARCH %s (MODSEQ %d)" % (
            b" ".join(b"%d" % x for x in want), max(mods))])
        lines, status, tag = self.raw(c, b'SEARCH RETURN (MIN) MODSEQ "/flags/\\\\draft" all %d' % cut)
        self.assertEqual(lines, [b'* ESEARCH (TAG "%s") MIN %d MODSEQ %d' % (
            tag, want[0], mods[want[0] - 1])])
        lines, status, tag = self.raw(c, b"SEARCH RETURN (COUNT) MODSEQ %d" % cut)
        self.assertEqual(lines, [b'* ESEARCH (TAG "%s") COUNT %d MODSEQ %d' % (
            tag, len(want), max(mods))])
        lines, status, _ = self.raw(c, b"SEARCH MODSEQ %d" % (max(mods) + 1))
        self.assertEqual(lines, [b"* SEARCH"])

    def test_errors_and_expunge(self):
        for i in range(5):
            self.inst.deliver(USER, b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))
        c = self.login()
        lines, status, _ = self.raw(c, b"SEARCH ALL")
        self.assertTrue(status.startswith(b"BAD"), status)
        c.select("INBOX")
        for bad in [b"SEARCH", b"SEARCH FOO", b"SEARCH (ALL", b"SEARCH ALL)",
                    b"SEARCH OR ALL", b"SEARCH NOT", b"SEARCH BEFORE 32-Jan-2020",
                    b"SEARCH LARGER x", b"SEARCH UID x", b"SEARCH RETURN (BOGUS) ALL",
                    b"SEARCH RETURN (SAVE) ALL", b"SEARCH KEYWORD \\Seen",
                    b"SEARCH 6", b"SEARCH 1:6", b"SEARCH NOT 3,9", b"SEARCH OR 1 7:*",
                    b"SEARCH " + b"NOT " * 200 + b"ALL"]:
            lines, status, _ = self.raw(c, bad)
            self.assertTrue(status.startswith(b"BAD"), (bad, status))
            self.assertEqual(lines, [], bad)
        lines, status, _ = self.raw(c, b"SEARCH CHARSET KOI8-R ALL")
        self.assertTrue(re.match(rb"NO \[BADCHARSET \((US-ASCII UTF-8|UTF-8 US-ASCII)\)\]",
                                 status), status)
        for ok, want in [(b"SEARCH 5", b"* SEARCH 5"), (b"SEARCH 5:*", b"* SEARCH 5"),
                         (b"UID SEARCH UID 4:1000", b"* SEARCH 4 5"),
                         (b"SEARCH CHARSET utf-8 SUBJECT M3", b"* SEARCH 4"),
                         (b"SEARCH UID 9999", b"* SEARCH")]:
            lines, status, _ = self.raw(c, ok)
            self.assertTrue(status.startswith(b"OK"), (ok, status))
            self.assertEqual(lines, [want], ok)
        # Another session expunges: this one's SEARCH gets no EXPUNGE and
        # keeps its numbers; the expunged message matches nothing.
        other = self.login()
        other.select("INBOX")
        other.store("2", "+FLAGS", "(\\Deleted)")
        other.expunge()
        lines, status, _ = self.raw(c, b"SEARCH ALL")
        self.assertEqual(lines, [b"* SEARCH 1 3 4 5"])
        lines, status, tag = self.raw(c, b"SEARCH RETURN () 3:5")
        self.assertEqual(lines, [b'* ESEARCH (TAG "%s") ALL 3:5' % tag])
        lines, status, _ = self.raw(c, b"NOOP")
        self.assertIn(b"* 2 EXPUNGE", lines)
        lines, status, _ = self.raw(c, b"SEARCH ALL")
        self.assertEqual(lines, [b"* SEARCH 1 2 3 4"])
        # A message of nothing but a header line, and one with no bytes.
        c.create("Odd")
        c.append("Odd", None, None, b"Subject: only a header")
        self.assertEqual(c.append("Odd", None, None, b"")[0], "OK")
        c.select("Odd")
        for key, want in [(b"TEXT header", b"* SEARCH 1"), (b"BODY header", b"* SEARCH"),
                          (b'HEADER Subject ""', b"* SEARCH 1"), (b'TEXT ""', b"* SEARCH 1 2")]:
            lines, status, _ = self.raw(c, b"SEARCH " + key)
            self.assertEqual(lines, [want], key)
        # An empty mailbox.
        c.create("Empty")
        c.select("Empty")
        lines, status, tag = self.raw(c, b"UID SEARCH RETURN (MIN MAX COUNT ALL) ALL")
        self.assertEqual(lines, [b'* ESEARCH (TAG "%s") UID COUNT 0' % tag])
        lines, status, _ = self.raw(c, b"SEARCH *")
        self.assertEqual(lines, [b"* SEARCH"])
        lines, status, _ = self.raw(c, b"SEARCH 1")
        self.assertTrue(status.startswith(b"BAD"))


def esearch(tag, uid, want, ret):
    vals = [m.uid if uid else m.msn for m in want]
    out = b'* ESEARCH (TAG "%s")' % tag + (b" UID" if uid else b"")
    opts = ret.split()
    if "MIN" in opts and vals:
        out += b" MIN %d" % vals[0]
    if "MAX" in opts and vals:
        out += b" MAX %d" % vals[-1]
    if "COUNT" in opts:
        out += b" COUNT %d" % len(vals)
    if "ALL" in opts and vals:
        runs, i = [], 0
        while i < len(vals):
            k = i
            while k + 1 < len(vals) and vals[k + 1] == vals[k] + 1:
                k += 1
            runs.append(b"%d" % vals[i] if k == i else b"%d:%d" % (vals[i], vals[k]))
            i = k + 1
        out += b" ALL " + b",".join(runs)
    return out


if __name__ == "__main__":
    pt.run()
