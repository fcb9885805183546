/*
 * imapenc_test.c - unit tests for lib/mail/imapenc: atoms, quoted
 * strings and literals (every byte class, the length bound, NUL),
 * astrings, modified UTF-7 both ways (RFC 3501 5.1.3 examples, every
 * rejection, round trips of generated names), mailbox names, flag lists,
 * INTERNALDATE against gmtime_r, and ENVELOPE, BODYSTRUCTURE and BODY of
 * hand-checked messages (RFC 3501 7.4.2), read back with a strict
 * grammar reader; every appending function leaves a full buffer as it
 * was.
 */
#include <time.h>

#include "icheck.h"
#include "mail/imapenc.h"
#include "mcheck.h"
#include "tap.h"

#define L(s) s, sizeof(s) - 1

/* Printable form of n bytes for a TAP line. */
static const char *
esc(const void *p, size_t n, char out[256])
{
	char tmp[256];

	if (n > 250)
		n = 250;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	/* NUL would end the string: show it as \x80's neighbour \x00. */
	for (size_t i = 0; i < n; i++)
		if (tmp[i] == '\0')
			tmp[i] = '\x01';
	return mcheck_esc(tmp, out);
}

static bool
same(const struct buf *b, const char *want, size_t wlen)
{
	char e1[256];
	char e2[256];

	size_t d = 0;

	if (b->len == wlen && (wlen == 0 || memcmp(b->p, want, wlen) == 0))
		return true;
	/* Show both from a little before the first difference. */
	while (d < b->len && d < wlen && b->p[d] == (unsigned char)want[d])
		d++;
	d = d > 40 ? d - 40 : 0;
	diag("got  (from byte %zu) '%s'", d, esc(b->p + d, b->len - d, e1));
	diag("want (from byte %zu) '%s'", d, esc(want + d, wlen - d, e2));
	return false;
}

static void
test_atom(void)
{
	static const struct {
		const char *s;
		bool atom;
	} cases[] = {
	    {"abc", true},   {"$Junk", true},  {"a.b-c+d&", true},
	    {"", false},     {"a b", false},   {"a(", false},
	    {"a)", false},   {"{", false},     {"a%", false},
	    {"*", false},    {"\"", false},    {"\\Seen", false},
	    {"a]", false},   {"a\x7f", false}, {"\xc3\xa9", false},
	    {"a\tb", false}, {"[x", true},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(imapenc_is_atom(span_str(cases[i].s)) == cases[i].atom,
		   "atom '%s': %s", cases[i].s, cases[i].atom ? "yes" : "no");
}

static void
test_string(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
		size_t wlen;
	} cases[] = {
	    {L(""), L("\"\"")},
	    {L("abc"), L("\"abc\"")},
	    {L("a\"b\\c"), L("\"a\\\"b\\\\c\"")},
	    {L("\"\\"), L("\"\\\"\\\\\"")},
	    {L("tab\there \x01\x7f"), L("\"tab\there \x01\x7f\"")},
	    {L("a\r\nb"), L("{4}\r\na\r\nb")},
	    {L("a\rb"), L("{3}\r\na\rb")},
	    {L("a\nb"), L("{3}\r\na\nb")},
	    {L("caf\xc3\xa9"), L("{5}\r\ncaf\xc3\xa9")},
	    {L("a\0b"), L("{3}\r\na\x80"
	                  "b")},
	    {L("\0"), L("{1}\r\n\x80")},
	    {L("\"\xff"), L("{2}\r\n\"\xff")},
	};
	struct buf b;
	struct buf big;
	struct span s;
	char e[256];
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		ok(imapenc_string(&b, span_make(cases[i].in, cases[i].len)) ==
		           0 &&
		       same(&b, cases[i].want, cases[i].wlen),
		   "string '%s'", esc(cases[i].in, cases[i].len, e));
	}
	/* The length bound. */
	buf_init(&big, 1 << 20);
	for (i = 0; i < IMAPENC_QUOTED_MAX; i++)
		buf_addc(&big, 'x');
	buf_reset(&b);
	imapenc_string(&b, buf_span(&big));
	ok(b.len == IMAPENC_QUOTED_MAX + 2 && b.p[0] == '"',
	   "%d bytes go quoted", IMAPENC_QUOTED_MAX);
	buf_addc(&big, 'x');
	buf_reset(&b);
	imapenc_string(&b, buf_span(&big));
	ok(b.len == IMAPENC_QUOTED_MAX + 1 + 8 &&
	       memcmp(b.p, "{1025}\r\n", 8) == 0,
	   "one more goes as a literal");

	{
		struct span none = {NULL, 0};
		struct why why;

		buf_reset(&b);
		ok(imapenc_string(&b, none) == 0 &&
		       imapenc_astring(&b, none) == 0 &&
		       imapenc_mailbox(&b, none, true) == 0 &&
		       imapenc_mailbox(&b, none, false) == 0 &&
		       imapenc_mutf7_encode(&b, none) == 0 &&
		       imapenc_mutf7_decode(&b, none, &why) == 0 &&
		       same(&b, L("\"\"\"\"\"\"\"\"")),
		   "empty spans without a pointer");
	}
	buf_reset(&b);
	ok(imapenc_nstring(&b, NULL) == 0 && same(&b, L("NIL")),
	   "nstring NULL: NIL");
	s = span_str("NIL");
	buf_reset(&b);
	ok(imapenc_nstring(&b, &s) == 0 && same(&b, L("\"NIL\"")),
	   "nstring \"NIL\" is a string");
	buf_reset(&b);
	ok(imapenc_literal_head(&b, 4294967296ULL) == 0 &&
	       same(&b, L("{4294967296}\r\n")),
	   "literal head");
	buf_fini(&b);
	buf_fini(&big);
}

static void
test_astring(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"abc", "abc"},
	    {"a]b", "a]b"},
	    {"[Gmail]/Sent", "[Gmail]/Sent"},
	    {"NIL", "\"NIL\""},
	    {"nIl", "\"nIl\""},
	    {"NILS", "NILS"},
	    {"", "\"\""},
	    {"a b", "\"a b\""},
	    {"a%", "\"a%\""},
	    {"a*", "\"a*\""},
	    {"{3}", "\"{3}\""},
	    {"a\"b", "\"a\\\"b\""},
	    {"a\\b", "\"a\\\\b\""},
	    {"(x)", "\"(x)\""},
	    {"\xc3\xa9", "{2}\r\n\xc3\xa9"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		ok(imapenc_astring(&b, span_str(cases[i].in)) == 0 &&
		       same(&b, cases[i].want, strlen(cases[i].want)),
		   "astring '%s'", cases[i].in);
	}
	buf_fini(&b);
}

/* Names in UTF-8 and their modified UTF-7 (RFC 3501 5.1.3 and more). */
static const struct {
	const char *utf8;
	const char *mutf7;
} utf7_cases[] = {
    {"", ""},
    {"INBOX", "INBOX"},
    {"~peter/mail/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe5\x8f\xb0\xe5\x8c"
     "\x97",
     "~peter/mail/&ZeVnLIqe-/&U,BTFw-"},
    {"&", "&-"},
    {"A&B", "A&-B"},
    {"&&", "&-&-"},
    {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
    {"\xc3\xa9", "&AOk-"},
    {"\xc3\xa9&", "&AOk-&-"},
    {"\xc3\xa9\xc3\xa9", "&AOkA6Q-"},
    {"\xc3\xa9 \xc3\xa9", "&AOk- &AOk-"},
    {"\x01", "&AAE-"},
    {"\x7f", "&AH8-"},
    {"a\tb", "a&AAk-b"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"},
    {"x\xf0\x9f\x98\x80\xe2\x82\xac-y", "x&2D3eACCs--y"},
    {"\xef\xbf\xbf", "&,,8-"},
    {"\xe2\x82\xac", "&IKw-"},
    {"~ /+,-", "~ /+,-"},
};

static void
test_mutf7(void)
{
	static const char *const bad_utf8[] = {
	    "\xc3", "\xc3(",     "\xed\xa0\x80", "\xc0\x80", "\xf5\x80\x80\x80",
	    "\xff", "a\xe2\x82",
	};
	struct buf b;
	struct why why;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(utf7_cases) / sizeof(utf7_cases[0]); i++) {
		buf_reset(&b);
		ok(imapenc_mutf7_encode(&b, span_str(utf7_cases[i].utf8)) ==
		           0 &&
		       same(&b, utf7_cases[i].mutf7,
		            strlen(utf7_cases[i].mutf7)),
		   "encode -> '%s'", utf7_cases[i].mutf7);
		buf_reset(&b);
		ok(imapenc_mutf7_decode(&b, span_str(utf7_cases[i].mutf7),
		                        &why) == 0 &&
		       same(&b, utf7_cases[i].utf8, strlen(utf7_cases[i].utf8)),
		   "decode '%s'", utf7_cases[i].mutf7);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		buf_set(&b, "keep", 4);
		ok(imapenc_mutf7_encode(&b, span_str(bad_utf8[i])) == -1 &&
		       same(&b, L("keep")),
		   "encode refuses bad UTF-8 %zu, buffer unchanged", i);
	}
	buf_set(&b, "keep", 4);
	ok(imapenc_mutf7_encode(&b, span_make("a\0b", 3)) == -1 &&
	       same(&b, L("keep")),
	   "encode refuses NUL");
	buf_fini(&b);
}

static void
test_mutf7_bad(void)
{
	static const struct {
		const char *in;
		const char *why;
	} cases[] = {
	    {"&", "without its '-'"},
	    {"abc&AOk", "without its '-'"},
	    {"&AOk-&AOk-", "two encoded runs"},
	    {"&AOk-&AOk", "without its '-'"},
	    {"&AGE-", "printable ASCII"},
	    {"&ACY-", "printable ASCII"},
	    {"&AAA-", "NUL"},
	    {"&AOl-", "bad end"},
	    {"&AOkA-", "bad end"},
	    {"&AO-", "bad end"},
	    {"&A-", "bad end"},
	    {"&2D0-", "bad end"},
	    {"&2D3YPQ-", "unpaired surrogate"},
	    {"&3gA-", "unpaired surrogate"},
	    {"&A/k-", "BASE64 character"},
	    {"&AO=-", "BASE64 character"},
	    {"&AO k-", "BASE64 character"},
	    {"caf\xc3\xa9", "outside printable"},
	    {"a\tb", "outside printable"},
	    {"a\x7f", "outside printable"},
	    {"a\rb", "outside printable"},
	};
	struct buf b;
	struct why why;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_set(&b, "keep", 4);
		why.msg[0] = '\0';
		ok(imapenc_mutf7_decode(&b, span_str(cases[i].in), &why) ==
		           -1 &&
		       strstr(why.msg, cases[i].why) != NULL &&
		       same(&b, L("keep")),
		   "decode refuses '%s': %s", cases[i].in, why.msg);
	}
	buf_set(&b, "keep", 4);
	ok(imapenc_mutf7_decode(&b, span_make("a\0b", 3), &why) == -1,
	   "decode refuses a raw NUL");
	buf_fini(&b);
	/* A name past the buffer's max. */
	buf_init(&b, 3);
	ok(imapenc_mutf7_decode(&b, span_str("&AOkA6Q-"), &why) == -1 &&
	       strstr(why.msg, "too long") != NULL && b.len == 0,
	   "decode into a full buffer: too long");
	ok(imapenc_mutf7_decode(&b, span_str("abcd"), &why) == -1 && b.len == 0,
	   "ASCII into a full buffer too");
	buf_fini(&b);
}

/* A pseudo-random generator of our own, for repeatable runs. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A random valid UTF-8 code point's encoding appended to b. */
static void
add_random_char(struct buf *b)
{
	static const uint32_t ranges[][2] = {
	    {0x1, 0x7f},     {0x20, 0x7e},     {0x80, 0x7ff},
	    {0x800, 0xd7ff}, {0xe000, 0xffff}, {0x10000, 0x10ffff},
	    {'&', '&'},      {'-', '-'},
	};
	uint32_t k = rnd() % 8;
	uint32_t cp = ranges[k][0] + rnd() % (ranges[k][1] - ranges[k][0] + 1);
	unsigned char u[4];

	if (cp < 0x80) {
		buf_addc(b, (int)cp);
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

static void
test_mutf7_roundtrip(void)
{
	struct buf name;
	struct buf enc;
	struct buf dec;
	struct buf enc2;
	struct why why;
	size_t fails = 0;
	size_t seven_bit_fails = 0;
	int k;
	int n;

	buf_init(&name, 1 << 20);
	buf_init(&enc, 1 << 20);
	buf_init(&dec, 1 << 20);
	buf_init(&enc2, 1 << 20);
	for (k = 0; k < 20000; k++) {
		buf_reset(&name);
		for (n = (int)(rnd() % 12); n > 0; n--)
			add_random_char(&name);
		buf_reset(&enc);
		buf_reset(&dec);
		buf_reset(&enc2);
		if (imapenc_mutf7_encode(&enc, buf_span(&name)) == -1 ||
		    imapenc_mutf7_decode(&dec, buf_span(&enc), &why) == -1 ||
		    !span_eq_span(buf_span(&dec), buf_span(&name)) ||
		    imapenc_mutf7_encode(&enc2, buf_span(&dec)) == -1 ||
		    !span_eq_span(buf_span(&enc2), buf_span(&enc)))
			fails++;
		for (size_t i = 0; i < enc.len; i++)
			if (enc.p[i] < 0x20 || enc.p[i] > 0x7e)
				seven_bit_fails++;
	}
	ok(fails == 0, "20,000 random names: decode(encode(x)) == x, and back");
	ok(seven_bit_fails == 0, "every encoding is printable US-ASCII");

	/* Random printable strings: whatever decodes encodes back to it. */
	fails = 0;
	for (k = 0; k < 50000; k++) {
		static const char alpha[] = "&-AOkIw2D3eCs,+/ab";

		buf_reset(&name);
		for (n = (int)(rnd() % 10); n > 0; n--)
			buf_addc(&name, alpha[rnd() % (sizeof(alpha) - 1)]);
		buf_reset(&dec);
		buf_reset(&enc);
		if (imapenc_mutf7_decode(&dec, buf_span(&name), &why) == 0 &&
		    (imapenc_mutf7_encode(&enc, buf_span(&dec)) == -1 ||
		     !span_eq_span(buf_span(&enc), buf_span(&name))))
			fails++;
	}
	ok(fails == 0, "50,000 random strings: every valid one is canonical");
	buf_fini(&name);
	buf_fini(&enc);
	buf_fini(&dec);
	buf_fini(&enc2);
}

static void
test_mailbox(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"INBOX", "INBOX"},
	    {"inbox", "INBOX"},
	    {"InBoX", "INBOX"},
	    {"INBOX/sub", "INBOX/sub"},
	    {"Sent Items", "\"Sent Items\""},
	    {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
	    {"a&b", "a&-b"},
	    {"NIL", "\"NIL\""},
	    {"50%", "\"50%\""},
	    {"caf\xc3\xa9 au lait", "\"caf&AOk- au lait\""},
	    {"[Gmail]", "[Gmail]"},
	    {"", "\"\""},
	};
	static const struct {
		const char *in;
		const char *want;
	} utf8[] = {
	    {"inbox", "INBOX"},
	    {"Sent", "Sent"},
	    {"Sent Items", "\"Sent Items\""},
	    {"Entw\xc3\xbcrfe", "\"Entw\xc3\xbcrfe\""},
	    {"\xe6\x97\xa5 \"q\"", "\"\xe6\x97\xa5 \\\"q\\\"\""},
	    {"a&b", "a&b"},
	    {"\xc3\xa9\r\n", "{4}\r\n\xc3\xa9\r\n"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		ok(imapenc_mailbox(&b, span_str(cases[i].in), false) == 0 &&
		       same(&b, cases[i].want, strlen(cases[i].want)),
		   "mailbox -> %s", cases[i].want);
	}
	for (i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		buf_reset(&b);
		ok(imapenc_mailbox(&b, span_str(utf8[i].in), true) == 0 &&
		       same(&b, utf8[i].want, strlen(utf8[i].want)),
		   "UTF8=ACCEPT mailbox %zu", i);
	}
	for (i = 0; i < 2; i++) {
		buf_set(&b, "keep", 4);
		ok(imapenc_mailbox(&b, span_str("bad\xff"), i) == -1 &&
		       same(&b, L("keep")),
		   "mailbox: bad UTF-8 refused (UTF8=ACCEPT %zu)", i);
		ok(imapenc_mailbox(&b, span_make("a\0b", 3), i) == -1 &&
		       same(&b, L("keep")),
		   "mailbox: NUL refused (UTF8=ACCEPT %zu)", i);
	}
	buf_fini(&b);
}

static void
test_flags(void)
{
	static const char *const names[] = {"$Junk", "work", NULL, "bad word",
	                                    "$Forwarded"};
	struct buf b;

	buf_init(&b, 1 << 20);
	ok(imapenc_flags(&b, 0, 0, NULL, 0) == 0 && same(&b, L("()")),
	   "no flags");
	buf_reset(&b);
	ok(imapenc_flags(&b, 0x3f, 0, NULL, 0) == 0 &&
	       same(&b, L("(\\Seen \\Answered \\Flagged \\Deleted \\Draft "
	                  "\\Recent)")),
	   "every system flag, in order");
	buf_reset(&b);
	ok(imapenc_flags(&b, IMAPENC_DELETED, 0x1f, names, 5) == 0 &&
	       same(&b, L("(\\Deleted $Junk work $Forwarded)")),
	   "keywords; NULL and non-atom names left out");
	buf_reset(&b);
	ok(imapenc_flags(&b, 0, (uint64_t)1 << 63 | 2, names, 5) == 0 &&
	       same(&b, L("(work)")),
	   "a keyword bit past the names is left out");
	buf_reset(&b);
	ok(imapenc_flags(&b, 0xffffffc0u, 0, NULL, 0) == 0 && same(&b, L("()")),
	   "unknown flag bits are left out");
	buf_fini(&b);
}

static void
test_date_time(void)
{
	static const struct {
		int64_t t;
		int zone;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {0, 0, "\" 1-Jan-1970 00:00:00 +0000\""},
	    {837596665, -420, "\"17-Jul-1996 02:44:25 -0700\""},
	    {951782400, 0, "\"29-Feb-2000 00:00:00 +0000\""},
	    {-2203891200LL, 0, "\" 1-Mar-1900 00:00:00 +0000\""},
	    {-1, 0, "\"31-Dec-1969 23:59:59 +0000\""},
	    {-1, 60, "\" 1-Jan-1970 00:59:59 +0100\""},
	    {0, -1, "\"31-Dec-1969 23:59:00 -0001\""},
	    {0, 5999, "\" 5-Jan-1970 03:59:00 +9959\""},
	    {0, -5999, "\"27-Dec-1969 20:01:00 -9959\""},
	    {0, 6000, NULL},
	    {0, -6000, NULL},
	    {253402300799LL, 0, "\"31-Dec-9999 23:59:59 +0000\""},
	    {253402300800LL, 0, NULL},
	    {253402300799LL, 1, NULL},
	    {-62167219200LL, 0, "\" 1-Jan-0000 00:00:00 +0000\""},
	    {-62167219201LL, 0, NULL},
	    {-62167219200LL, -1, NULL},
	    {INT64_MAX, 0, NULL},
	    {INT64_MIN, 0, NULL},
	};
	struct buf b;
	struct tm tm;
	char want[64];
	size_t bad = 0;
	size_t i;
	int k;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_set(&b, "x", 1);
		if (cases[i].want == NULL)
			ok(imapenc_date_time(&b, cases[i].t, cases[i].zone) ==
			           -1 &&
			       same(&b, L("x")),
			   "date-time %lld %+d refused", (long long)cases[i].t,
			   cases[i].zone);
		else
			ok(imapenc_date_time(&b, cases[i].t, cases[i].zone) ==
			           0 &&
			       b.len == 1 + strlen(cases[i].want) &&
			       strcmp((const char *)b.p + 1, cases[i].want) ==
			           0,
			   "date-time %s", cases[i].want);
	}
	/* Against the C library, over 5,500 years either side of 1970. */
	for (k = 0; k < 100000; k++) {
		int64_t t = (int64_t)(((uint64_t)rnd() << 32 | rnd()) %
		                      (2 * 173000000000ULL)) -
		            173000000000LL;
		int zone = (int)(rnd() % 1440) - 720;
		time_t local = (time_t)(t + zone * 60);
		int az = zone < 0 ? -zone : zone;

		if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 < 0 ||
		    tm.tm_year + 1900 > 9999)
			continue;
		snprintf(want, sizeof(want),
		         "\"%2d-%.3s-%04d %02d:%02d:%02d %c%02d%02d\"",
		         tm.tm_mday,
		         &"JanFebMarAprMayJunJulAugSepOctNovDec"[3 * tm.tm_mon],
		         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         zone < 0 ? '-' : '+', az / 60, az % 60);
		buf_reset(&b);
		if (imapenc_date_time(&b, t, zone) == -1 ||
		    strcmp(buf_str(&b), want) != 0) {
			if (bad++ == 0)
				diag("t=%lld zone=%d: got %s, want %s",
				     (long long)t, zone, buf_str(&b), want);
		}
	}
	ok(bad == 0, "100,000 random times agree with gmtime_r");
	buf_fini(&b);
}

/* Every appending function, into every too-small buffer: -1, and the
 * buffer as it was. */
static void
test_full(void)
{
	static const char *const names[] = {"$Junk"};
	struct buf want;
	struct buf b;
	size_t max;
	size_t bad = 0;
	int f;

	buf_init(&want, 1 << 20);
	for (f = 0; f < 9; f++) {
		size_t n;

		buf_reset(&want);
		for (max = 0;; max++) {
			struct why why;
			int r = -1;

			buf_init(&b, max);
			buf_add(&b, "x", max > 0 ? 1 : 0);
			n = b.len;
			switch (f) {
			case 0:
				r = imapenc_string(&b, span_str("a\"b"));
				break;
			case 1:
				r = imapenc_string(&b, span_str("a\r\nb"));
				break;
			case 2:
				r = imapenc_astring(&b, span_str("abc"));
				break;
			case 3:
				r = imapenc_mailbox(&b, span_str("\xc3\xa9 x"),
				                    false);
				break;
			case 4:
				r = imapenc_flags(&b, 3, 1, names, 1);
				break;
			case 5:
				r = imapenc_date_time(&b, 0, 0);
				break;
			case 6:
				r = imapenc_mutf7_encode(
				    &b, span_str("a\xc3\xa9&b"));
				break;
			case 7:
				r = imapenc_mutf7_decode(
				    &b, span_str("a&AOk-&-b"), &why);
				break;
			case 8:
				r = imapenc_literal_head(&b, 12345);
				break;
			}
			if (r == 0) {
				buf_fini(&b);
				break;
			}
			if (b.len != n)
				bad++;
			buf_fini(&b);
			if (max > 1000) {
				bad++;
				break;
			}
		}
	}
	ok(bad == 0, "a full buffer is left as it was, by every function");
	buf_fini(&want);
}

/* --- ENVELOPE and BODYSTRUCTURE --- */

static bool
open_msg(const char *msg, size_t len, struct buf *blob, struct msgcache *mc)
{
	struct why why;

	buf_reset(blob);
	if (msgcache_build(span_make(msg, len), blob, &why) == -1 ||
	    msgcache_open(buf_span(blob), mc, &why) == -1) {
		diag("cache: %s", why.msg);
		return false;
	}
	return true;
}

/* BODYSTRUCTURE and BODY read back by the grammar, with one body node
 * a part written (imapenc_struct.c: message/global hides its subtree, a
 * childless multipart and an empty message/rfc822 add an empty part). */
static bool
struct_ok(const struct msgcache *mc, const struct buf *b, bool ext)
{
	struct icheck c;
	struct msgcache_part p;
	unsigned want = 0;
	uint32_t i;

	for (i = 0; i < mc->nparts; i++) {
		bool rfc822;

		msgcache_part(mc, i, &p);
		rfc822 = span_eq_nocase(p.type.s, "message") &&
		         span_eq_nocase(p.subtype.s, "rfc822");
		want++;
		if (((p.flags & MIME_F_MULTIPART) && p.end == i + 1) ||
		    (rfc822 && !(p.flags & MIME_F_RFC822)))
			want++;
		if ((p.flags & MIME_F_RFC822) && !rfc822)
			i = p.end - 1;
	}
	icheck_init(&c, buf_span(b));
	if (!icheck_body(&c, ext, 0) || !icheck_at_end(&c)) {
		diag("grammar: %s", c.why[0] ? c.why : "trailing bytes");
		return false;
	}
	if (c.bodies != want) {
		diag("%u body nodes, want %u", c.bodies, want);
		return false;
	}
	return true;
}

static const char mixed_msg[] =
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    "hello\r\n"
    "world\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream; name=\"a b.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a\\\"b.bin\"\r\n"
    "Content-Language: en, de\r\n"
    "Content-Location: http://x.example/a\r\n"
    "Content-ID: <id1@x.example>\r\n"
    "Content-Description: some data\r\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    "\r\n"
    "AAAA\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative\r\n"
    "\r\n"
    "no boundary here\r\n"
    "--b1--\r\n"
    "epilogue\r\n";

#define NILENV "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"
#define EMPTY                                                                  \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

static const struct {
	const char *what;
	const char *msg;
	size_t len;
	const char *bodystructure;
	const char *body;
} struct_cases[] = {
    {"one text part", L("Subject: x\r\n\r\nbody\r\n"),
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 6 1 "
     "NIL NIL NIL NIL)",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 6 1)"},
    {"an empty message", L(""),
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 0 0 "
     "NIL NIL NIL NIL)",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)"},
    {"every field, a childless multipart", L(mixed_msg),
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 2 "
     "NIL NIL NIL NIL)"
     "(\"application\" \"octet-stream\" (\"name\" \"a b.bin\") "
     "\"<id1@x.example>\" \"some data\" \"base64\" 4 "
     "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" "
     "\"a\\\"b.bin\")) (\"en\" \"de\") \"http://x.example/a\")"
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 "
     "NIL NIL NIL NIL) \"alternative\" NIL NIL NIL NIL)"
     " \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 2)"
     "(\"application\" \"octet-stream\" (\"name\" \"a b.bin\") "
     "\"<id1@x.example>\" \"some data\" \"base64\" 4)"
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
     " \"alternative\") \"mixed\")"},
    {"message/rfc822 with a multipart inside", L(mcheck_rfc822),
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 "
     "NIL NIL NIL NIL)"
     "(\"message\" \"rfc822\" NIL NIL \"forwarded\" \"7BIT\" 171 "
     "(NIL \"inner\" ((NIL NIL \"y\" \"example.org\")) "
     "((NIL NIL \"y\" \"example.org\")) ((NIL NIL \"y\" \"example.org\")) "
     "NIL NIL NIL NIL NIL) "
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 10 1 "
     "NIL NIL NIL NIL)"
     "(\"application\" \"octet-stream\" NIL NIL NIL \"7BIT\" 4 NIL NIL NIL "
     "NIL) \"mixed\" (\"boundary\" \"=_b\") NIL NIL NIL) 12 NIL NIL NIL NIL)"
     " \"mixed\" (\"boundary\" \"=_a\") NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 12 1)"
     "(\"message\" \"rfc822\" NIL NIL \"forwarded\" \"7BIT\" 171 "
     "(NIL \"inner\" ((NIL NIL \"y\" \"example.org\")) "
     "((NIL NIL \"y\" \"example.org\")) ((NIL NIL \"y\" \"example.org\")) "
     "NIL NIL NIL NIL NIL) "
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 10 1)"
     "(\"application\" \"octet-stream\" NIL NIL NIL \"7BIT\" 4) \"mixed\") 12)"
     " \"mixed\")"},
    {"an encoded message/rfc822 is a basic part",
     L("Content-Type: message/rfc822\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQo=\r\n"),
     "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 " NILENV " " EMPTY
     " NIL NIL NIL NIL) 1 NIL NIL NIL NIL)",
     "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22 " NILENV " " EMPTY
     ") 1)"},
    {"a message/rfc822 header without a body",
     L("Content-Type: Message/RFC822\r\n"),
     "(\"Message\" \"RFC822\" NIL NIL NIL \"7BIT\" 0 " NILENV " " EMPTY
     " NIL NIL NIL NIL) 0 NIL NIL NIL NIL)",
     "(\"Message\" \"RFC822\" NIL NIL NIL \"7BIT\" 0 " NILENV " " EMPTY ") 0)"},
    {"message/global is a basic part",
     L("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
       "Content-Type: message/global\r\n\r\nSubject: g\r\n\r\nx\r\n--x--\r\n"),
     "((\"message\" \"global\" NIL NIL NIL \"7BIT\" 15 NIL NIL NIL NIL) "
     "\"mixed\" (\"boundary\" \"x\") NIL NIL NIL)",
     "((\"message\" \"global\" NIL NIL NIL \"7BIT\" 15) \"mixed\")"},
    {"text parameters without a charset",
     L("Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\nx"),
     "(\"text\" \"plain\" (\"format\" \"flowed\" \"delsp\" \"yes\" "
     "\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL)",
     "(\"text\" \"plain\" (\"format\" \"flowed\" \"delsp\" \"yes\" "
     "\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 1 1)"},
    {"a charset in any case is kept as it is",
     L("Content-Type: Text/Enriched; CharSet=iso-8859-1\r\n\r\n"),
     "(\"Text\" \"Enriched\" (\"CharSet\" \"iso-8859-1\") NIL NIL "
     "\"7BIT\" 0 0 NIL NIL NIL NIL)",
     "(\"Text\" \"Enriched\" (\"CharSet\" \"iso-8859-1\") NIL NIL "
     "\"7BIT\" 0 0)"},
    {"a top-level message/rfc822, 8-bit and a literal",
     L("Content-Type: message/rfc822\r\n\r\n"
       "Subject: caf\xc3\xa9\r\nFrom: \"A \\\"Q\\\"\" <a@b>\r\n"
       "Content-Type: text/html; charset=\"utf-8\"\r\n\r\n<p>\r\n"),
     "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 88 "
     "(NIL {5}\r\ncaf\xc3\xa9 ((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) "
     "((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) ((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) "
     "NIL NIL NIL NIL NIL) "
     "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 5 1 NIL "
     "NIL NIL NIL) 5 NIL NIL NIL NIL)",
     "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 88 "
     "(NIL {5}\r\ncaf\xc3\xa9 ((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) "
     "((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) ((\"A \\\"Q\\\"\" NIL \"a\" \"b\")) "
     "NIL NIL NIL NIL NIL) "
     "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 5 1) 5)"},
    {"a message/rfc822 without a body",
     L("Content-Type: message/rfc822\r\n\r\n"),
     "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 0 (NIL NIL NIL NIL NIL NIL "
     "NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
     "\"7BIT\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)",
     "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 0 (NIL NIL NIL NIL NIL NIL "
     "NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
     "\"7BIT\" 0 0) 0)"},
};

static void
test_bodystructure(void)
{
	struct buf blob;
	struct buf b;
	struct msgcache mc;
	size_t i;

	buf_init(&blob, 1 << 20);
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(struct_cases) / sizeof(struct_cases[0]); i++) {
		if (!ok(open_msg(struct_cases[i].msg, struct_cases[i].len,
		                 &blob, &mc),
		        "%s: cache", struct_cases[i].what))
			continue;
		buf_reset(&b);
		ok(imapenc_bodystructure(&b, &mc, 0, true) == 0 &&
		       same(&b, struct_cases[i].bodystructure,
		            strlen(struct_cases[i].bodystructure)) &&
		       struct_ok(&mc, &b, true),
		   "%s: BODYSTRUCTURE", struct_cases[i].what);
		buf_reset(&b);
		ok(imapenc_bodystructure(&b, &mc, 0, false) == 0 &&
		       same(&b, struct_cases[i].body,
		            strlen(struct_cases[i].body)) &&
		       struct_ok(&mc, &b, false),
		   "%s: BODY", struct_cases[i].what);
	}
	buf_fini(&blob);
	buf_fini(&b);
}

/* msgcache_test's envelope message, as one ENVELOPE. */
static const char envelope_msg[] =
    "Received: from somewhere\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25\r\n"
    " -0800 (PST)\r\n"
    "From: \"Fred Foobar\" <foobar@Blurdybloop.example>\r\n"
    "Subject: afternoon meeting\r\n"
    "Reply-To:\r\n"
    "To: mooch@owatagu.siam.edu.example, Team: a@x.example,\r\n"
    "\tBee (the boss) <b@x.example>;, (Zed) z@y.example\r\n"
    "Cc: <@relay.example:c@z.example>, root, undisclosed:;\r\n"
    "Bcc: \"Joe \\\\ Q\" <joe@q.example>\r\n"
    "In-Reply-To: <x@y>\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

static void
test_envelope(void)
{
	static const char want[] =
	    "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\" "
	    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
	    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
	    "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) "
	    "((NIL NIL \"mooch\" \"owatagu.siam.edu.example\")"
	    "(NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.example\")"
	    "(\"Bee\" NIL \"b\" \"x.example\")(NIL NIL NIL NIL)"
	    "(\"Zed\" NIL \"z\" \"y.example\")) "
	    "((NIL \"@relay.example\" \"c\" \"z.example\")"
	    "(NIL NIL \"root\" \"\")"
	    "(NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL)) "
	    "((\"Joe \\\\ Q\" NIL \"joe\" \"q.example\")) "
	    "\"<x@y>\" \"<B27397-0100000@Blurdybloop.example>\")";
	struct buf blob;
	struct buf b;
	struct msgcache mc;
	struct icheck c;

	buf_init(&blob, 1 << 20);
	buf_init(&b, 1 << 20);
	if (!ok(open_msg(L(envelope_msg), &blob, &mc), "envelope: cache"))
		return;
	ok(imapenc_envelope(&b, &mc, 0) == 0 && same(&b, L(want)),
	   "ENVELOPE: groups, routes, an empty Reply-To falls back to From");
	icheck_init(&c, buf_span(&b));
	ok(icheck_envelope(&c) && icheck_at_end(&c), "grammar");
	/* No header at all. */
	open_msg(L("\r\nbody"), &blob, &mc);
	buf_reset(&b);
	ok(imapenc_envelope(&b, &mc, 0) == 0 &&
	       same(&b, L("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")),
	   "no fields: all NIL");
	/* A part that is no message. */
	open_msg(L(mcheck_rfc822), &blob, &mc);
	buf_reset(&b);
	ok(imapenc_envelope(&b, &mc, 1) == 0 &&
	       same(&b, L("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")),
	   "a text part: all NIL");
	buf_reset(&b);
	ok(imapenc_envelope(&b, &mc, 3) == 0 &&
	       same(&b, L("(NIL \"inner\" ((NIL NIL \"y\" \"example.org\")) "
	                  "((NIL NIL \"y\" \"example.org\")) "
	                  "((NIL NIL \"y\" \"example.org\")) "
	                  "NIL NIL NIL NIL NIL)")),
	   "the embedded message's envelope");
	/* Quoted local parts lose their quoting; a group name keeps it. */
	open_msg(L("From: \"a b\".c@x, \"q\\\"x\\\\\"@y, \"\"@z, \"G q\": "
	           "d@e;\r\n\r\n"),
	         &blob, &mc);
	buf_reset(&b);
	ok(imapenc_envelope(&b, &mc, 0) == 0 &&
	       same(&b, L("(NIL NIL ((NIL NIL \"a b.c\" \"x\")"
	                  "(NIL NIL \"q\\\"x\\\\\" \"y\")(NIL NIL \"\" \"z\")"
	                  "(NIL NIL \"G q\" NIL)(NIL NIL \"d\" \"e\")"
	                  "(NIL NIL NIL NIL)) "
	                  "((NIL NIL \"a b.c\" \"x\")"
	                  "(NIL NIL \"q\\\"x\\\\\" \"y\")(NIL NIL \"\" \"z\")"
	                  "(NIL NIL \"G q\" NIL)(NIL NIL \"d\" \"e\")"
	                  "(NIL NIL NIL NIL)) "
	                  "((NIL NIL \"a b.c\" \"x\")"
	                  "(NIL NIL \"q\\\"x\\\\\" \"y\")(NIL NIL \"\" \"z\")"
	                  "(NIL NIL \"G q\" NIL)(NIL NIL \"d\" \"e\")"
	                  "(NIL NIL NIL NIL)) NIL NIL NIL NIL NIL)")),
	   "quoted local parts are unquoted");
	/* Empty and absent fields, an 8-bit name. */
	open_msg(L("Subject:\r\nDate: \r\nTo: \xc3\xa9 <a@b>\r\n\r\n"), &blob,
	         &mc);
	buf_reset(&b);
	ok(imapenc_envelope(&b, &mc, 0) == 0 &&
	       same(&b, L("(\"\" \"\" NIL NIL NIL (({2}\r\n\xc3\xa9 NIL \"a\" "
	                  "\"b\")) NIL NIL NIL NIL)")),
	   "empty Subject and Date are \"\"; 8-bit goes as a literal");
	buf_fini(&blob);
	buf_fini(&b);
}

/* A blob whose strings are shared by many records: output bounded by the
 * buffer's max, and a full buffer is left as it was. */
static void
test_struct_full(void)
{
	struct buf msg;
	struct buf blob;
	struct buf b;
	struct msgcache mc;
	size_t need;
	size_t max;
	size_t bad = 0;
	int k;

	buf_init(&msg, 1 << 20);
	buf_init(&blob, 1 << 22);
	buf_adds(&msg, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	for (k = 0; k < 2000; k++)
		buf_adds(&msg, "--x\r\nContent-Type: message/rfc822\r\n\r\n"
		               "From: a@b\r\n\r\nx\r\n");
	buf_adds(&msg, "--x--\r\n");
	if (!ok(open_msg((const char *)msg.p, msg.len, &blob, &mc),
	        "2,000 attached messages: cache"))
		return;
	buf_init(&b, 1 << 24);
	ok(imapenc_bodystructure(&b, &mc, 0, true) == 0 &&
	       struct_ok(&mc, &b, true),
	   "BODYSTRUCTURE of 4,001 parts, %zu bytes", b.len);
	need = b.len;
	buf_fini(&b);
	for (max = 0; max < need; max += 1 + max / 3) {
		buf_init(&b, max);
		if (imapenc_bodystructure(&b, &mc, 0, true) != -1 || b.len != 0)
			bad++;
		buf_fini(&b);
	}
	buf_init(&b, need);
	ok(bad == 0 && imapenc_bodystructure(&b, &mc, 0, true) == 0,
	   "every smaller max refused, with the buffer left empty; "
	   "the exact size works");
	buf_fini(&b);
	buf_init(&b, 100);
	ok(imapenc_envelope(&b, &mc, 2) == 0, "an envelope in 100 bytes");
	buf_fini(&b);
	buf_init(&b, 10);
	ok(imapenc_envelope(&b, &mc, 2) == -1 && b.len == 0, "not in 10 bytes");
	buf_fini(&b);
	buf_fini(&msg);
	buf_fini(&blob);
}

int
main(void)
{
	test_atom();
	test_string();
	test_astring();
	test_mutf7();
	test_mutf7_bad();
	test_mutf7_roundtrip();
	test_mailbox();
	test_flags();
	test_date_time();
	test_full();
	test_bodystructure();
	test_envelope();
	test_struct_full();
	return done_testing();
}
