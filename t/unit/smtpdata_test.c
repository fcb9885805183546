/*
 * smtpdata_test.c - unit tests for lib/mail/smtpdata: DATA unstuffing and
 * the end marker, the SMTP smuggling variants in strict and relaxed mode,
 * the limits and counters, and BDAT chunks; every DATA case is fed
 * whole, byte by byte and in random chunks with the same result.
 */
#include <signal.h>

#include "mail/smtpdata.h"
#include "tap.h"

#define L(s) s, sizeof(s) - 1
#define ALL ((long)-1)

enum { S = 0, R = SMTPDATA_RELAXED, LFOK = SMTPDATA_BARE_LF_OK };

static const struct dcase {
	const char *name;
	const char *in;
	size_t inlen;
	unsigned flags;
	struct smtpdata_limits lim;
	const char *out;
	size_t outlen;
	enum smtpdata_status st;
	long consumed;		/* ALL: the whole input */
} dcases[] = {
	{ "simple", L("Subject: x\r\n\r\nhello\r\n.\r\n"), S, { 0, 0, 0 },
	    L("Subject: x\r\n\r\nhello\r\n"), SMTPDATA_DONE, ALL },
	{ "empty", L(".\r\n"), S, { 0, 0, 0 }, L(""), SMTPDATA_DONE, ALL },
	{ "dot stuffed", L("..\r\n...\r\n..x\r\n.y\r\n.\r\n"), S, { 0, 0, 0 },
	    L(".\r\n..\r\n.x\r\ny\r\n"), SMTPDATA_DONE, ALL },
	{ "dot line ends", L("a\r\n.\r\nb\r\n.\r\n"), S, { 0, 0, 0 },
	    L("a\r\n"), SMTPDATA_DONE, 6 },
	{ "pipelined rest", L("a\r\n.\r\nQUIT\r\n"), S, { 0, 0, 0 },
	    L("a\r\n"), SMTPDATA_DONE, 6 },
	{ "unfinished", L("a\r\n.\r"), S, { 0, 0, 0 }, L("a\r\n"),
	    SMTPDATA_MORE, ALL },
	{ "dot not at line start", L("a.\r\n.\r\n"), S, { 0, 0, 0 },
	    L("a.\r\n"), SMTPDATA_DONE, ALL },
	{ "NUL kept", L("a\0b\r\n.\r\n"), S, { 0, 0, 0 }, L("a\0b\r\n"),
	    SMTPDATA_DONE, ALL },
	/* Smuggling: a fake end then a second transaction; strict. */
	{ "LF.LF strict",
	    L("a\n.\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), S, { 0, 0, 0 },
	    L("a"), SMTPDATA_DONE_BARE_LF, 22 },
	{ "CR.CR strict",
	    L("a\r.\rMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), S, { 0, 0, 0 },
	    L("a"), SMTPDATA_DONE_BARE_CR, 22 },
	{ "LF.CRLF strict",
	    L("a\n.\r\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), S, { 0, 0, 0 },
	    L("a"), SMTPDATA_DONE_BARE_LF, 23 },
	{ "CRLF.LF strict",
	    L("a\r\n.\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), S, { 0, 0, 0 },
	    L("a\r\n"), SMTPDATA_DONE_BARE_LF, 23 },
	{ "bare LF at start strict", L("\n.\r\n.\r\n"), S, { 0, 0, 0 }, L(""),
	    SMTPDATA_DONE_BARE_LF, ALL },
	{ "bare CR before CRLF strict", L("a\r\r\n.\r\n"), S, { 0, 0, 0 },
	    L("a"), SMTPDATA_DONE_BARE_CR, ALL },
	{ "dot CR x strict", L(".\rx\r\n.\r\n"), S, { 0, 0, 0 }, L(""),
	    SMTPDATA_DONE_BARE_CR, ALL },
	{ "first error wins", L("a\rb\nc\r\n.\r\n"), S, { 0, 0, 0 }, L("a"),
	    SMTPDATA_DONE_BARE_CR, ALL },
	/* The same in relaxed mode: body text, not an end. */
	{ "LF.LF relaxed",
	    L("a\n.\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), R, { 0, 0, 0 },
	    L("a\r\n\r\nMAIL FROM:<e>\r\n"), SMTPDATA_DONE, 22 },
	{ "CR.CR relaxed",
	    L("a\r.\rMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), R, { 0, 0, 0 },
	    L("a\r.\rMAIL FROM:<e>\r\n"), SMTPDATA_DONE, 22 },
	{ "LF.CRLF relaxed",
	    L("a\n.\r\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), R, { 0, 0, 0 },
	    L("a\r\n\r\nMAIL FROM:<e>\r\n"), SMTPDATA_DONE, 23 },
	{ "CRLF.LF relaxed",
	    L("a\r\n.\nMAIL FROM:<e>\r\n.\r\nQUIT\r\n"), R, { 0, 0, 0 },
	    L("a\r\n\r\nMAIL FROM:<e>\r\n"), SMTPDATA_DONE, 23 },
	{ "dot CR x relaxed", L(".\rx\r\n.\r\n"), R, { 0, 0, 0 },
	    L("\rx\r\n"), SMTPDATA_DONE, ALL },
	{ "LF lines relaxed", L("a\nb\r\n..c\n.\r\n.\r\n"), R, { 0, 0, 0 },
	    L("a\r\nb\r\n.c\r\n\r\n"), SMTPDATA_DONE, ALL },
	{ "LF ok, CR not", L("a\nb\rc\r\n.\r\n"), LFOK, { 0, 0, 0 },
	    L("a\r\nb"), SMTPDATA_DONE_BARE_CR, ALL },
	/* SIZE: body "abc\r\n" is 5 bytes. */
	{ "size at limit", L("abc\r\n.\r\n"), S, { 5, 0, 0 }, L("abc\r\n"),
	    SMTPDATA_DONE, ALL },
	{ "size one past", L("abcd\r\n.\r\nQUIT\r\n"), S, { 5, 0, 0 },
	    L("abcd"), SMTPDATA_DONE_TOO_BIG, 9 },
	{ "size past in CRLF", L("abc\r\n.\r\n"), S, { 4, 0, 0 }, L("abc"),
	    SMTPDATA_DONE_TOO_BIG, ALL },
	{ "size past mid line", L("abcdefgh\r\n.\r\n"), S, { 3, 0, 0 },
	    L("abc"), SMTPDATA_DONE_TOO_BIG, ALL },
	{ "size then bare LF", L("abcd\n\r\n.\r\n"), S, { 3, 0, 0 },
	    L("abc"), SMTPDATA_DONE_TOO_BIG, ALL },
	/* Line length: without CRLF, dot not counted. */
	{ "line at limit", L("abcd\r\n..xyz\r\n.\r\n"), S, { 0, 4, 0 },
	    L("abcd\r\n.xyz\r\n"), SMTPDATA_DONE, ALL },
	{ "line one past", L("ab\r\nabcde\r\nx\r\n.\r\n"), S, { 0, 4, 0 },
	    L("ab\r\nabcd"), SMTPDATA_DONE_LINE_TOO_LONG, ALL },
	{ "line before size", L("abcdef\r\n.\r\n"), S, { 6, 3, 0 },
	    L("abc"), SMTPDATA_DONE_LINE_TOO_LONG, ALL },
	{ "size before line", L("abcdef\r\n.\r\n"), S, { 2, 3, 0 },
	    L("ab"), SMTPDATA_DONE_TOO_BIG, ALL },
	{ "size wins tie", L("abcdef\r\n.\r\n"), S, { 3, 3, 3 }, L("abc"),
	    SMTPDATA_DONE_TOO_BIG, ALL },
	/* Header: "A: b\r\n" is 6 bytes, the empty line is not counted. */
	{ "header at limit", L("A: b\r\n\r\nbody long line\r\n.\r\n"), S,
	    { 0, 0, 6 }, L("A: b\r\n\r\nbody long line\r\n"), SMTPDATA_DONE,
	    ALL },
	{ "header one past", L("A: bc\r\n\r\nx\r\n.\r\n"), S, { 0, 0, 6 },
	    L("A: bc"), SMTPDATA_DONE_HEADER_TOO_BIG, ALL },
	{ "header no body", L("A: b\r\nC: d\r\n.\r\n"), S, { 0, 0, 8 },
	    L("A: b\r\nC:"), SMTPDATA_DONE_HEADER_TOO_BIG, ALL },
};

struct sink {
	struct buf b;
	size_t calls;
};

static void
collect(void *arg, struct span s)
{
	struct sink *k = arg;

	k->calls++;
	if (buf_addspan(&k->b, s) == -1)
		abort();
}

static uint32_t rng = 12345;

static size_t
rnd(size_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 16) % n;
}

/* mode 0: whole, 1: byte by byte, 2: random chunks. */
static void
run_data(const struct dcase *c, int mode, struct smtpdata *d,
    struct sink *k, size_t *consumed)
{
	size_t pos = 0;

	smtpdata_init(d, &c->lim, c->flags);
	*consumed = 0;
	while (pos < c->inlen) {
		size_t n = c->inlen - pos;
		size_t got;

		if (mode == 1)
			n = 1;
		else if (mode == 2 && n > 1)
			n = 1 + rnd(n < 8 ? n : 8);
		got = smtpdata_feed(d, span_make(c->in + pos, n), collect, k);
		pos += got;
		*consumed += got;
		if (got < n)
			break;
	}
}

static void
test_data(void)
{
	static const char *mname[] = { "whole", "bytes", "chunks" };
	size_t i;
	int mode;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		size_t want = c->consumed == ALL ? c->inlen :
		    (size_t)c->consumed;

		for (mode = 0; mode < 3; mode++) {
			struct smtpdata d;
			struct sink k = { { 0 }, 0 };
			size_t consumed;

			buf_init(&k.b, 1 << 20);
			run_data(c, mode, &d, &k, &consumed);
			ok(k.b.len == c->outlen &&
				memcmp(k.b.p ? (void *)k.b.p : "", c->out,
				    c->outlen) == 0,
			    "%s (%s): output", c->name, mname[mode]);
			is_int(smtpdata_status(&d), c->st, "%s (%s): status",
			    c->name, mname[mode]);
			is_int(consumed, want, "%s (%s): consumed", c->name,
			    mname[mode]);
			if (c->st == SMTPDATA_DONE)
				is_int(d.body_size, c->outlen,
				    "%s (%s): body_size", c->name, mname[mode]);
			buf_fini(&k.b);
		}
	}
}

static void
feed_str(struct smtpdata *d, const char *s, struct sink *k)
{
	size_t n = strlen(s);

	is_int(smtpdata_feed(d, span_make(s, n), collect, k), n,
	    "all %zu bytes consumed", n);
}

static void
test_counters(void)
{
	struct smtpdata_limits none = { 0, 0, 0 };
	struct smtpdata d;
	struct sink k = { { 0 }, 0 };

	buf_init(&k.b, 1 << 20);
	smtpdata_init(&d, &none, 0);
	feed_str(&d, "From: a\r\nTo: b\r\n\r\nplain\r\n\r\nx\r\n.\r\n", &k);
	is_int(d.header_size, 16, "header_size");
	ok(!d.has_8bit, "7-bit message");
	is_int(d.longest_line, 7, "longest_line");
	ok(!smtpdata_failed(&d), "not failed");

	smtpdata_init(&d, &none, 0);
	feed_str(&d, "\r\nA: b\r\n.\r\n", &k);
	is_int(d.header_size, 0, "empty first line: no header");

	smtpdata_init(&d, &none, 0);
	feed_str(&d, "S: x\r\n\r\ncaf\xc3\xa9\r\n.\r\n", &k);
	ok(d.has_8bit, "8-bit body detected");
	smtpdata_init(&d, &none, 0);
	feed_str(&d, ".\xff\r\n.\r\n", &k);
	ok(d.has_8bit, "8-bit after a stuffed dot");

	smtpdata_init(&d, &none, 0);
	feed_str(&d, "a\nb", &k);
	ok(smtpdata_failed(&d), "failure known before the end");
	is_int(smtpdata_status(&d), SMTPDATA_MORE, "but still MORE");
	is_int(smtpdata_feed(&d, span_str("\r\n.\r\n"), collect, &k), 5,
	    "end after failure");
	is_int(smtpdata_feed(&d, span_str("x"), collect, &k), 0,
	    "nothing consumed once done");
	buf_fini(&k.b);
}

static void
test_zero_copy(void)
{
	struct smtpdata_limits none = { 0, 0, 0 };
	static const char msg[] = "l1\r\nl2\r\nl3\r\n.\r\n";
	struct smtpdata d;
	struct sink k = { { 0 }, 0 };

	buf_init(&k.b, 1 << 20);
	smtpdata_init(&d, &none, 0);
	smtpdata_feed(&d, span_make(msg, sizeof(msg) - 1), collect, &k);
	is_int(k.calls, 1, "plain lines come as one span");
	buf_fini(&k.b);
}

/* BDAT: chunks separated by '|' in the spec, the last one is LAST. */
static void
run_bdat(const char *spec, unsigned flags, const struct smtpdata_limits *lim,
    int mode, struct smtpdata *d, struct sink *k)
{
	const char *p = spec;

	smtpdata_bdat_init(d, lim, flags);
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		size_t pos = 0;

		smtpdata_bdat_chunk(d, len, bar == NULL);
		while (smtpdata_bdat_in_chunk(d)) {
			size_t n = len - pos;

			if (mode == 1 && n > 1)
				n = 1;
			else if (mode == 2 && n > 1)
				n = 1 + rnd(n < 8 ? n : 8);
			/* Offer one extra byte: must not be taken. */
			pos += smtpdata_bdat_feed(d, span_make(p + pos, n +
			    (bar != NULL)), collect, k);
		}
		if (pos != len)
			abort();
		if (bar == NULL)
			break;
		p = bar + 1;
	}
}

static const struct bcase {
	const char *name;
	const char *spec;
	unsigned flags;
	struct smtpdata_limits lim;
	const char *out;
	enum smtpdata_status st;
} bcases[] = {
	{ "one chunk", "A: b\r\n\r\n.x\r\n", S, { 0, 0, 0 },
	    "A: b\r\n\r\n.x\r\n", SMTPDATA_DONE },
	{ "CRLF split", "a\r|\nb\r\n", S, { 0, 0, 0 }, "a\r\nb\r\n",
	    SMTPDATA_DONE },
	{ "many chunks", "a|b|\r|\n|.|\r\n.\r\n|", S, { 0, 0, 0 },
	    "ab\r\n.\r\n.\r\n", SMTPDATA_DONE },
	{ "empty LAST", "a\r\n|", S, { 0, 0, 0 }, "a\r\n", SMTPDATA_DONE },
	{ "no final CRLF", "a\r\nb", S, { 0, 0, 0 }, "a\r\nb",
	    SMTPDATA_DONE },
	{ "CR at end", "a\r\nb\r", S, { 0, 0, 0 }, "a\r\nb",
	    SMTPDATA_DONE_BARE_CR },
	{ "CR at end relaxed", "a\r|", R, { 0, 0, 0 }, "a\r", SMTPDATA_DONE },
	{ "bare LF", "a\n|b\r\n", S, { 0, 0, 0 }, "a", SMTPDATA_DONE_BARE_LF },
	{ "bare LF relaxed", "a\n|b\r\n", R, { 0, 0, 0 }, "a\r\nb\r\n",
	    SMTPDATA_DONE },
	{ "bare CR split", "a\r|b\r\n", S, { 0, 0, 0 }, "a",
	    SMTPDATA_DONE_BARE_CR },
	{ "size across chunks", "abc|de\r|\n", S, { 7, 0, 0 }, "abcde\r\n",
	    SMTPDATA_DONE },
	{ "size past across chunks", "abc|def|\r\n", S, { 5, 0, 0 }, "abcde",
	    SMTPDATA_DONE_TOO_BIG },
	{ "line across chunks", "ab|cd|e\r\n", S, { 0, 4, 0 }, "abcd",
	    SMTPDATA_DONE_LINE_TOO_LONG },
	{ "header across chunks", "A: b\r|\n\r|\nbody", S, { 0, 0, 6 },
	    "A: b\r\n\r\nbody", SMTPDATA_DONE },
};

static void
test_bdat(void)
{
	static const char *mname[] = { "whole", "bytes", "chunks" };
	size_t i;
	int mode;

	for (i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		const struct bcase *c = &bcases[i];

		for (mode = 0; mode < 3; mode++) {
			struct smtpdata d;
			struct sink k = { { 0 }, 0 };

			buf_init(&k.b, 1 << 20);
			run_bdat(c->spec, c->flags, &c->lim, mode, &d, &k);
			ok(span_eq(buf_span(&k.b), c->out),
			    "bdat %s (%s): output", c->name, mname[mode]);
			is_int(smtpdata_status(&d), c->st,
			    "bdat %s (%s): status", c->name, mname[mode]);
			buf_fini(&k.b);
		}
	}
}

static void
test_bdat_api(void)
{
	struct smtpdata_limits none = { 0, 0, 0 };
	struct smtpdata_limits small = { 3, 0, 0 };
	struct smtpdata d;
	struct sink k = { { 0 }, 0 };

	buf_init(&k.b, 1 << 20);
	smtpdata_bdat_init(&d, &none, 0);
	is_int(smtpdata_bdat_feed(&d, span_str("x"), collect, &k), 0,
	    "no chunk open: nothing taken");
	smtpdata_bdat_chunk(&d, 0, true);
	is_int(smtpdata_status(&d), SMTPDATA_MORE, "BDAT 0 LAST not run yet");
	is_int(smtpdata_bdat_feed(&d, span_make(NULL, 0), collect, &k), 0,
	    "empty feed closes BDAT 0 LAST");
	is_int(smtpdata_status(&d), SMTPDATA_DONE, "empty message done");

	smtpdata_bdat_init(&d, &small, 0);
	smtpdata_bdat_chunk(&d, 6, false);
	is_int(smtpdata_bdat_feed(&d, span_str("abcdefNEXT"), collect, &k), 6,
	    "chunk octets only");
	ok(smtpdata_failed(&d), "too big known after the chunk");
	is_int(smtpdata_status(&d), SMTPDATA_MORE, "status waits for LAST");
	smtpdata_bdat_chunk(&d, 2, true);
	is_int(smtpdata_bdat_feed(&d, span_str("gh"), collect, &k), 2,
	    "LAST chunk consumed");
	is_int(smtpdata_status(&d), SMTPDATA_DONE_TOO_BIG, "552 at LAST");
	buf_fini(&k.b);
}

static void
feed_twice(void *arg)
{
	struct smtpdata *d = arg;

	smtpdata_bdat_chunk(d, 1, false);
	smtpdata_bdat_chunk(d, 1, false);
}

static void
test_panics(void)
{
	struct smtpdata_limits none = { 0, 0, 0 };
	struct smtpdata d;
	int st;

	smtpdata_bdat_init(&d, &none, 0);
	st = tap_fork(feed_twice, &d);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "a second BDAT chunk while one is open panics");
}

static void
test_refusal(void)
{
	const char *enh = NULL;
	const char *text = NULL;

	ok(smtpdata_refusal(SMTPDATA_DONE, &enh, &text) == 0 &&
	       smtpdata_refusal(SMTPDATA_MORE, &enh, &text) == 0 && enh == NULL,
	    "a good end refuses nothing");
	ok(smtpdata_refusal(SMTPDATA_DONE_BARE_LF, &enh, &text) == 550 &&
	       strcmp(enh, "5.5.2") == 0 && strstr(text, "bare <LF>") != NULL,
	    "bare LF: 550 5.5.2");
	ok(smtpdata_refusal(SMTPDATA_DONE_TOO_BIG, &enh, &text) == 552 &&
	       strcmp(enh, "5.3.4") == 0, "too big: 552 5.3.4");
	ok(smtpdata_refusal(SMTPDATA_DONE_LINE_TOO_LONG, &enh, &text) == 554 &&
	       strcmp(enh, "5.6.0") == 0, "line too long: 554 5.6.0");
	ok(smtpdata_refusal(SMTPDATA_DONE_HEADER_TOO_BIG, &enh, &text) ==
		   552 && strcmp(text, "Message header too large") == 0,
	    "header too big: 552");
}

int
main(void)
{
	test_data();
	test_counters();
	test_zero_copy();
	test_bdat();
	test_bdat_api();
	test_panics();
	test_refusal();
	return done_testing();
}
