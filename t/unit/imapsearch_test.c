/*
 * imapsearch_test.c - unit tests for lib/mail/imapsearch: every SEARCH
 * key, parsed and evaluated against a message, every rejection branch,
 * CHARSET and RETURN, dates in their zones, case folding of UTF-8, and
 * matching time that stays linear on hostile needles.
 */
#include <time.h>

#include "base/xmem.h"
#include "mail/imapsearch.h"
#include "tap.h"

struct hdr {
	const char *name;
	const char *value;
};

/* The message the evaluations look at. */
struct fake {
	const struct hdr *hdr;
	const char *body;
	const char *whole;
	const char *const *kw;
};

static bool
fake_keyword(void *arg, struct span kw)
{
	const struct fake *f = arg;
	size_t i;

	for (i = 0; f->kw != NULL && f->kw[i] != NULL; i++)
		if (span_eq_nocase(kw, f->kw[i]))
			return true;
	return false;
}

static bool
fake_header(void *arg, struct span name, size_t i, struct span *out)
{
	const struct fake *f = arg;
	size_t k;

	for (k = 0; f->hdr != NULL && f->hdr[k].name != NULL; k++) {
		if (!span_eq_nocase(name, f->hdr[k].name))
			continue;
		if (i-- == 0) {
			*out = span_str(f->hdr[k].value);
			return true;
		}
	}
	return false;
}

static bool
fake_text(void *arg, bool whole, struct span *out)
{
	const struct fake *f = arg;
	const char *t = whole ? f->whole : f->body;

	if (t == NULL)
		return false;
	*out = span_str(t);
	return true;
}

static const struct hdr hdrs[] = {
    {"From", "Alice Example <alice@example.org>"},
    {"To", "bob@example.net"},
    {"Cc", "Carol <carol@example.com>"},
    {"Cc", "Dave <dave@example.com>"},
    {"Subject", "Gr\xc3\xbc\xc3\x9f"
                "e aus K\xc3\x96LN, \xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91"},
    {"Date", "Tue, 1 Jul 2003 23:52:37 -0700 (PDT)"},
    {"X-Empty", ""},
    {NULL, NULL},
};
static const char *const kws[] = {"$Forwarded", "work", NULL};
static struct fake fk = {hdrs, "Hello Wörld\r\nThe BODY text. \xff\xfe raw",
                         "From: x\r\n\r\nHello Wörld", kws};
static struct imapsearch_msg msg;
static struct arena ar;

static void
msg_init(void)
{
	memset(&msg, 0, sizeof(msg));
	msg.msn = 5;
	msg.uid = 105;
	msg.flags = IMAPCMD_F_SEEN | IMAPCMD_F_FLAGGED;
	msg.size = 2000;
	msg.modseq = 700;
	/* 2003-07-02 05:30 UTC, received in +0200: 07:30 on the 2nd. */
	msg.internal = 1057123800;
	msg.internal_tz = 120;
	msg.arg = &fk;
	msg.keyword = fake_keyword;
	msg.header = fake_header;
	msg.text = fake_text;
}

/* Parse "SEARCH args" through imapcmd; -1 on a parse error. */
static int
search(const char *args, const struct imapsearch **s, struct why *why,
       enum imapcmd_err *err)
{
	struct imapcmd_limits lim;
	struct imapcmd c;
	struct buf b;
	struct imapcmd_input in = {{NULL, 0}, NULL, 0};
	int r;

	imapcmd_limits_default(&lim);
	buf_init(&b, 1 << 20);
	buf_addf(&b, "t SEARCH %s", args);
	in.text = buf_span(&b);
	arena_reset(&ar);
	r = imapcmd_parse(&in, &lim, &ar, &c, why);
	*err = c.err;
	*s = r == 0 ? c.u.search : NULL;
	/* Keep the text alive as long as the arena: leak-free by design,
	 * freed at the next call. */
	static struct buf keep;
	buf_fini(&keep);
	keep = b;
	return r;
}

/* 1: matches, 0: does not, -1: parse error. */
static int
match(const char *args)
{
	const struct imapsearch *s;
	enum imapcmd_err err;
	struct why why;

	if (search(args, &s, &why, &err) == -1) {
		diag("'%s': %s", args, why.msg);
		return -1;
	}
	return imapsearch_eval(s, &msg, 10, 110) ? 1 : 0;
}

static const struct {
	const char *args;
	int want;
} evals[] = {
    {"ALL", 1},
    {"SEEN", 1},
    {"UNSEEN", 0},
    {"FLAGGED", 1},
    {"UNFLAGGED", 0},
    {"ANSWERED", 0},
    {"UNANSWERED", 1},
    {"DELETED", 0},
    {"UNDELETED", 1},
    {"DRAFT", 0},
    {"UNDRAFT", 1},
    {"RECENT", 0},
    {"OLD", 1},
    {"NEW", 0},
    {"KEYWORD work", 1},
    {"KEYWORD $forwarded", 1},
    {"KEYWORD play", 0},
    {"UNKEYWORD play", 1},
    {"UNKEYWORD work", 0},
    {"LARGER 1999", 1},
    {"LARGER 2000", 0},
    {"SMALLER 2001", 1},
    {"SMALLER 2000", 0},
    {"5", 1},
    {"1:4,6", 0},
    {"*", 0},
    {"5:*", 1},
    {"UID 105", 1},
    {"UID 100:104", 0},
    {"UID 106:*", 0},
    {"UID *:105", 1},
    {"ON 2-Jul-2003", 1},
    {"ON 1-Jul-2003", 0},
    {"SINCE 2-Jul-2003", 1},
    {"SINCE 3-Jul-2003", 0},
    {"BEFORE 2-Jul-2003", 0},
    {"BEFORE 3-Jul-2003", 1},
    {"ON \"2-Jul-2003\"", 1},
    {"SENTON 1-Jul-2003", 1},
    {"SENTON 2-Jul-2003", 0},
    {"SENTBEFORE 2-Jul-2003", 1},
    {"SENTBEFORE 1-Jul-2003", 0},
    {"SENTSINCE 1-Jul-2003", 1},
    {"SENTSINCE 2-Jul-2003", 0},
    {"FROM alice", 1},
    {"FROM ALICE@EXAMPLE", 1},
    {"FROM bob", 0},
    {"TO bob", 1},
    {"CC dave", 1},
    {"CC erin", 0},
    {"BCC x", 0},
    {"SUBJECT \"gr\xc3\xbc\xc3\x9f\"", 1},
    {"SUBJECT \"GR\xc3\x9c\xc3\x9f\"", 1},
    {"SUBJECT \"k\xc3\xb6ln\"", 1},
    {"SUBJECT \"\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1\"", 1},
    {"SUBJECT \"\xcf\x82\xce\xbf\xcf\x86\"", 1},
    {"SUBJECT \"grss\"", 0},
    {"SUBJECT \"\"", 1},
    {"HEADER X-Empty \"\"", 1},
    {"HEADER X-Missing \"\"", 0},
    {"HEADER subject aus", 1},
    {"HEADER Subject aux", 0},
    {"BODY \"body TEXT\"", 1},
    {"BODY \"w\xc3\x96rld\"", 1},
    {"BODY from:", 0},
    {"BODY \"\xff\xfe raw\"", 1},
    {"TEXT from:", 1},
    {"TEXT \"body\"", 0},
    {"NOT SEEN", 0},
    {"NOT NOT SEEN", 1},
    {"OR SEEN DELETED", 1},
    {"OR DELETED ANSWERED", 0},
    {"OR DELETED (FLAGGED FROM alice)", 1},
    {"(SEEN UNFLAGGED)", 0},
    {"SEEN FLAGGED LARGER 10 UID 1:200", 1},
    {"SEEN FLAGGED LARGER 10 UID 1:100", 0},
    {"MODSEQ 700", 1},
    {"MODSEQ 701", 0},
    {"MODSEQ \"/flags/\\\\Seen\" all 600", 1},
    {"CHARSET UTF-8 SUBJECT \"K\xc3\xb6LN\"", 1},
    {"charset us-ascii FROM alice", 1},
    {"RETURN (COUNT) ALL", 1},
};

static void
test_eval(void)
{
	size_t i;

	for (i = 0; i < sizeof(evals) / sizeof(evals[0]); i++)
		is_int(match(evals[i].args), evals[i].want, "SEARCH %zu", i);
}

static const struct {
	const char *args;
	enum imapcmd_err err;
	const char *why;
} bad[] = {
    {"", IMAPCMD_ERR_BAD, "search key expected"},
    {"FOO", IMAPCMD_ERR_BAD, "unknown search key"},
    {"CHARSET KOI8-R ALL", IMAPCMD_ERR_BADCHARSET, "charset"},
    {"CHARSET", IMAPCMD_ERR_BAD, "charset expected"},
    {"CHARSET UTF-8", IMAPCMD_ERR_BAD, "search key expected"},
    {"RETURN (FOO) ALL", IMAPCMD_ERR_BAD, "unknown RETURN option"},
    {"RETURN ALL", IMAPCMD_ERR_BAD, "RETURN options: list expected"},
    {"NOT", IMAPCMD_ERR_BAD, "search key expected"},
    {"OR ALL", IMAPCMD_ERR_BAD, "search key expected"},
    {"BEFORE 32-Jan-2000", IMAPCMD_ERR_BAD, "bad date"},
    {"BEFORE 1-Jan-99", IMAPCMD_ERR_BAD, "bad date"},
    {"BEFORE 1-Jam-1999", IMAPCMD_ERR_BAD, "bad date"},
    {"BEFORE 29-Feb-1900", IMAPCMD_ERR_BAD, "bad date"},
    {"ON (1-Jan-2000)", IMAPCMD_ERR_BAD, "bad date"},
    {"SINCE", IMAPCMD_ERR_BAD, "date expected"},
    {"LARGER x", IMAPCMD_ERR_BAD, "number expected"},
    {"SMALLER 99999999999999999999999", IMAPCMD_ERR_BAD, "too large"},
    {"KEYWORD \\Seen", IMAPCMD_ERR_BAD, "keyword expected"},
    {"KEYWORD \"x\"", IMAPCMD_ERR_BAD, "flag expected"},
    {"UNKEYWORD", IMAPCMD_ERR_BAD, "flag expected"},
    {"HEADER Subject", IMAPCMD_ERR_BAD, "search string expected"},
    {"HEADER", IMAPCMD_ERR_BAD, "header field expected"},
    {"FROM (a)", IMAPCMD_ERR_BAD, "string expected"},
    {"()", IMAPCMD_ERR_BAD, "search key expected"},
    {"UID", IMAPCMD_ERR_BAD, "UID set expected"},
    {"UID x", IMAPCMD_ERR_BAD, "number or *"},
    {"1:0", IMAPCMD_ERR_BAD, "zero"},
    {"MODSEQ", IMAPCMD_ERR_BAD, "MODSEQ expected"},
    {"MODSEQ \"/flags/x\" bogus 5", IMAPCMD_ERR_BAD, "entry type"},
    {"MODSEQ \"/flags/x\" all", IMAPCMD_ERR_BAD, "MODSEQ expected"},
    {"MODSEQ 9223372036854775808", IMAPCMD_ERR_BAD, "out of range"},
};

static void
test_bad(void)
{
	const struct imapsearch *s;
	enum imapcmd_err err;
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = search(bad[i].args, &s, &why, &err);

		ok(r == -1 && err == bad[i].err && strstr(why.msg, bad[i].why),
		   "refused '%s': %s", bad[i].args, why.msg);
	}
}

static void
test_parse_fields(void)
{
	const struct imapsearch *s;
	enum imapcmd_err err;
	struct why why;

	ok(search("RETURN (MIN MAX COUNT ALL SAVE) CHARSET UTF-8 MODSEQ 5", &s,
	          &why, &err) == 0 &&
	       s->esearch && s->has_charset && s->modseq &&
	       s->ret == (IMAPSEARCH_RET_MIN | IMAPSEARCH_RET_MAX |
	                  IMAPSEARCH_RET_COUNT | IMAPSEARCH_RET_ALL |
	                  IMAPSEARCH_RET_SAVE),
	   "RETURN, CHARSET, MODSEQ flags");
	ok(search("ALL", &s, &why, &err) == 0 && !s->esearch && !s->modseq &&
	       s->root->op == IMAPSEARCH_AND &&
	       s->root->kid->op == IMAPSEARCH_ALL,
	   "a plain search: an AND of ALL");
	ok(search("OR (FROM a) TO b", &s, &why, &err) == 0 &&
	       s->root->kid->op == IMAPSEARCH_OR &&
	       s->root->kid->kid->op == IMAPSEARCH_AND &&
	       s->root->kid->kid->next->op == IMAPSEARCH_HEADER,
	   "OR with a group");
	/* A message without callbacks: string keys match nothing. */
	msg.header = NULL;
	msg.text = NULL;
	msg.keyword = NULL;
	ok(match("FROM a") == 0 && match("BODY a") == 0 &&
	       match("KEYWORD a") == 0 && match("UNKEYWORD a") == 1 &&
	       match("SENTON 2-Jul-2003") == 1,
	   "no callbacks: no text, no keywords, SENT* on the internal date");
	msg_init();
}

static void
test_dates(void)
{
	static const struct {
		const char *v;
		int y, m, d;
	} good[] = {
	    {"Tue, 1 Jul 2003 10:52:37 +0200", 2003, 7, 1},
	    {"1 Jul 2003 10:52:37 +0200", 2003, 7, 1},
	    {"  Wed,  02 jul 03 10:52 EST", 2003, 7, 2},
	    {"Fri, 31 Dec 99 23:59:59 -0000", 1999, 12, 31},
	    {"Fri, 31 Dec 103 23:59:59 -0000", 2003, 12, 31},
	    {"29 Feb 2004 00:00 +0000", 2004, 2, 29},
	    {"1-Jan-1970", 1970, 1, 1},
	};
	static const char *const badv[] = {
	    "",
	    "Tue,",
	    "Tue, 1",
	    "Tue, 1 Foo 2003",
	    "1 Jul",
	    "123 Jul 2003",
	    "1 Jul 12345",
	    "x 1 y 2003",
	    "32 Jul 2003",
	    "1 Jul x",
	};
	size_t i;
	int32_t d;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tm tm;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = good[i].y - 1900;
		tm.tm_mon = good[i].m - 1;
		tm.tm_mday = good[i].d;
		t = timegm(&tm);
		ok(imapsearch_date_day(span_str(good[i].v), &d) &&
		       d == t / 86400,
		   "date '%s'", good[i].v);
	}
	for (i = 0; i < sizeof(badv) / sizeof(badv[0]); i++)
		ok(!imapsearch_date_day(span_str(badv[i]), &d),
		   "not a date: '%s'", badv[i]);
	/* The internal date counts in its own zone: 2003-07-01 23:30
	 * -0700 is the 2nd in UTC but the 1st for SEARCH. */
	msg.internal = 1057127400;
	msg.internal_tz = -420;
	ok(match("ON 1-Jul-2003") == 1 && match("ON 2-Jul-2003") == 0,
	   "ON uses the internal date's own zone");
	msg.internal = -1;
	msg.internal_tz = 0;
	ok(match("ON 31-Dec-1969") == 1, "a date before 1970");
	msg_init();
}

static void
test_fold(void)
{
	static const struct {
		const char *hay, *needle;
		bool want;
	} c[] = {
	    {"Hello", "hELLO", true},
	    {"\xc3\x84pfel", "\xc3\xa4PFEL", true}, /* Ä / ä */
	    {"\xc5\x81\xc3\xb3"
	     "d\xc5\xba",
	     "\xc5\x82\xc3\x93"
	     "D\xc5\xb9",
	     true},
	    {"\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", /* Москва */
	     "\xd0\xbc\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90", true},
	    {"\xd0\x81", "\xd1\x91", true},         /* Ё / ё */
	    {"\xd4\xb1", "\xd5\xa1", true},         /* Armenian */
	    {"\xef\xbc\xa1", "\xef\xbd\x81", true}, /* fullwidth A */
	    {"\xe1\xba\x9e", "\xc3\x9f", true},     /* ẞ / ß */
	    {"stra\xc3\x9f"
	     "e",
	     "STRASSE", false},       /* no expansion */
	    {"\xc5\xbf", "S", true},  /* long s */
	    {"\xc4\xb0", "i", false}, /* İ not folded */
	    {"abc", "", true},
	    {"", "a", false},
	    {"ab", "abc", false},
	    {"aab", "ab", true},
	    {"abababc", "ababc", true},
	    {"\xff", "\xff", true},
	    {"\xc3", "\xc3\x84", false},
	    {"x\xc3\x84", "\xc3", false},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ok(imapsearch_contains(span_str(c[i].hay),
		                       span_str(c[i].needle)) == c[i].want,
		   "contains %zu", i);
	ok(imapsearch_fold('Z') == 'z' && imapsearch_fold(0xc0) == 0xe0 &&
	       imapsearch_fold(0xd7) == 0xd7 &&
	       imapsearch_fold(0x100) == 0x101 &&
	       imapsearch_fold(0x101) == 0x101 &&
	       imapsearch_fold(0x139) == 0x13a &&
	       imapsearch_fold(0x178) == 0xff &&
	       imapsearch_fold(0x3a3) == 0x3c3 &&
	       imapsearch_fold(0x3c2) == 0x3c3 &&
	       imapsearch_fold(0x4c1) == 0x4c2 &&
	       imapsearch_fold(0x1e00) == 0x1e01 &&
	       imapsearch_fold(0x4e00) == 0x4e00,
	   "fold table spot checks");
}

/* "aaa...ab" in "aaa...a": quadratic for a naive search. */
static void
test_linear(void)
{
	enum { HAY = 4 * 1024 * 1024, NEEDLE = 64 * 1024 };
	char *hay = xmalloc(HAY + 1), *needle = xmalloc(NEEDLE + 1);
	clock_t t0 = clock();

	memset(hay, 'a', HAY);
	hay[HAY] = '\0';
	memset(needle, 'A', NEEDLE);
	needle[NEEDLE - 1] = 'b';
	needle[NEEDLE] = '\0';
	ok(!imapsearch_contains(span_str(hay), span_str(needle)),
	   "no match in 4 MB of a");
	hay[HAY - 1] = 'B';
	ok(imapsearch_contains(span_str(hay), span_str(needle)),
	   "a match at the very end");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0,
	   "linear time (%.2f s CPU)", (double)(clock() - t0) / CLOCKS_PER_SEC);
	xfree(&hay);
	xfree(&needle);
}

int
main(void)
{
	arena_init(&ar, 16 * 1024 * 1024);
	msg_init();
	test_eval();
	test_bad();
	test_parse_fields();
	test_dates();
	test_fold();
	test_linear();
	arena_reset(&ar);
	return done_testing();
}
