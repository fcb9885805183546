/*
 * smtpreply_test.c - unit tests for lib/mail/smtpreply: single and
 * multi-line replies, enhanced codes, EHLO keywords, sanitised and
 * bounded text, and every rejection branch.
 */
#include <string.h>

#include "mail/smtpreply.h"
#include "tap.h"

/* Feed LF-separated lines; the last result (-1 stops at once). */
static int
feed(struct smtpreply *r, const char *text, struct why *why)
{
	const char *p = text;
	int rc = 0;

	smtpreply_init(r);
	while (*p != '\0') {
		const char *lf = strchr(p, '\n');
		size_t n = lf != NULL ? (size_t)(lf - p) : strlen(p);

		rc = smtpreply_line(r, span_make(p, n), why);
		if (rc == -1)
			return rc;
		p += n + (lf != NULL);
	}
	return rc;
}

static void
test_simple(void)
{
	struct smtpreply r;
	struct why why;

	is_int(feed(&r, "250 2.1.0 Ok", &why), 1, "one line: complete");
	is_int(r.code, 250, "code");
	is_int(smtpreply_class(&r), 2, "class");
	is_str(r.enh, "2.1.0", "enhanced code");
	is_str(r.text, "250 2.1.0 Ok", "text");
	is_int(feed(&r, "354 End data with <CR><LF>.<CR><LF>", &why), 1,
	    "354");
	is_str(r.enh, "", "no enhanced code in 354");
	is_int(feed(&r, "220", &why), 1, "a bare code is a last line");
	is_str(r.text, "220", "its text");
	is_int(feed(&r, "550-5.1.1 no such\n550 5.1.1 user", &why), 1,
	    "two lines");
	is_str(r.text, "550-5.1.1 no such 550 5.1.1 user", "joined");
	is_int(r.nlines, 2, "two lines counted");
	is_int(feed(&r, "451-4.3.0 a", &why), 0, "continuation: more due");
	ok(!r.done, "not done");
	is_int(feed(&r, "550 4.1.1 wrong class", &why), 1, "class mismatch");
	is_str(r.enh, "", "enhanced code with another class ignored");
	is_int(feed(&r, "550 5.1 short", &why), 1, "two-part code");
	is_str(r.enh, "", "ignored");
	is_int(feed(&r, "550 5.1.1234 long", &why), 1, "four digits");
	is_str(r.enh, "", "ignored");
	is_int(feed(&r, "550 5.123.456 max", &why), 1, "three digits each");
	is_str(r.enh, "5.123.456", "kept");
	is_int(feed(&r, "550 5.1.1x", &why), 1, "junk after code");
	is_str(r.enh, "", "ignored");
	is_int(feed(&r, "452 4.5.3", &why), 1, "code at end of line");
	is_str(r.enh, "4.5.3", "kept");
}

static void
test_bad(void)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "\n", "valid code" },
		{ "25", "valid code" },
		{ "xyz ok", "valid code" },
		{ "150 ok", "valid code" },
		{ "650 ok", "valid code" },
		{ "260 ok", "valid code" },
		{ "25a ok", "valid code" },
		{ "250x ok", "separator" },
		{ "250\tok", "separator" },
		{ "250-a\n251 b", "changed" },
		{ "250 a\n250 b", "after the end" },
	};
	struct smtpreply r;
	struct why why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why.msg[0] = '\0';
		rc = feed(&r, bad[i].text, &why);
		ok(rc == -1 && strstr(why.msg, bad[i].why) != NULL,
		    "refused: %s (%s)", bad[i].why, why.msg);
	}
	smtpreply_init(&r);
	for (i = 0, rc = 0; rc == 0; i++)
		rc = smtpreply_line(&r, span_str("250-x"), &why);
	ok(rc == -1 && i == SMTPREPLY_MAX_LINES + 1 &&
	       strstr(why.msg, "more than") != NULL,
	    "at most SMTPREPLY_MAX_LINES lines");
	is_int(r.nlines, SMTPREPLY_MAX_LINES, "state unchanged by the refusal");
	is_int(smtpreply_line(&r, span_str("250 x"), &why), -1,
	    "even a last line is refused then");
}

static void
test_ehlo(void)
{
	struct smtpreply r;
	struct why why;

	is_int(feed(&r,
		   "250-mx.example Hello PIPELINING\n"
		   "250-pipelining\n"
		   "250-SIZE 10240000\n"
		   "250-STARTTLS\n"
		   "250-8BITMIME\n"
		   "250-DSN\n"
		   "250-SMTPUTF8\n"
		   "250-CHUNKING\n"
		   "250-AUTH PLAIN LOGIN\n"
		   "250 ENHANCEDSTATUSCODES",
		   &why),
	    1, "EHLO reply");
	is_int(r.ext, SMTPREPLY_EXT_PIPELINING | SMTPREPLY_EXT_SIZE |
		SMTPREPLY_EXT_STARTTLS | SMTPREPLY_EXT_8BITMIME |
		SMTPREPLY_EXT_DSN | SMTPREPLY_EXT_SMTPUTF8 |
		SMTPREPLY_EXT_CHUNKING | SMTPREPLY_EXT_ENHANCEDSTATUSCODES,
	    "every keyword, case-insensitive");
	is_int(r.size_max, 10240000, "SIZE value");
	is_int(feed(&r, "250-mx.example\n250-SIZE\n250 DSNX", &why), 1,
	    "SIZE without a value");
	is_int(r.ext, SMTPREPLY_EXT_SIZE, "SIZE only: DSNX is no DSN");
	is_int(r.size_max, 0, "no limit");
	is_int(feed(&r, "250-mx\n250 SIZE -5", &why), 1, "bad SIZE value");
	is_int(r.size_max, 0, "taken as no limit");
	is_int(feed(&r, "250 PIPELINING", &why), 1, "first line: the name");
	is_int(r.ext, 0, "no keyword on the first line");
	is_int(feed(&r, "550-x\n550 PIPELINING", &why), 1, "a 5xx reply");
	is_int(r.ext, 0, "no keywords in a refusal");
	is_int(feed(&r, "250-x\n250-\n250- \n250 ", &why), 1, "empty lines");
	is_int(r.ext, 0, "no keywords");
}

static void
test_text(void)
{
	char line[3000];
	struct smtpreply r;
	struct why why;
	size_t i;

	is_int(feed(&r, "250 a\tb\x01" "c\x7f\xc3\xa4", &why), 1,
	    "control and 8-bit bytes");
	is_str(r.text, "250 a b?c???", "sanitised");
	memcpy(line, "250-", 4);
	memset(line + 4, 'x', sizeof(line) - 5);
	line[sizeof(line) - 1] = '\0';
	smtpreply_init(&r);
	is_int(smtpreply_line(&r, span_str(line), &why), 0, "a long line");
	is_int(r.text_len, SMTPREPLY_TEXT_MAX, "text capped");
	ok(r.truncated, "and marked truncated");
	is_int(strlen(r.text), SMTPREPLY_TEXT_MAX, "NUL-terminated");
	is_int(smtpreply_line(&r, span_str("250 SIZE 5"), &why), 1,
	    "a later line still parses");
	is_int(r.size_max, 5, "and its keyword counts");
	for (i = 0; i < 40; i++)
		line[i] = (char)('a' + i % 26);
	smtpreply_init(&r);
	for (i = 0; i < 60; i++) {
		memcpy(line, "250-", 4);
		line[40] = '\0';
		smtpreply_line(&r, span_str(line), &why);
	}
	ok(r.text_len <= SMTPREPLY_TEXT_MAX && r.truncated,
	    "many lines: capped too");
}

static void
test_enh_len(void)
{
	static const struct {
		const char *in;
		char klass;
		size_t want;
	} cases[] = {
		{ "5.1.1", '5', 5 },
		{ "5.1.1 user unknown", '5', 5 },
		{ "4.123.456", 0, 9 },
		{ "2.0.0", 0, 5 },
		{ "3.0.0", 0, 0 },
		{ "4.1.1", '5', 0 },
		{ "5.1234.1", '5', 0 },
		{ "5.1.1234", '5', 0 },
		{ "5.1.", '5', 0 },
		{ "5..1", '5', 0 },
		{ "5.1.1x", '5', 0 },
		{ "5,1.1", '5', 0 },
		{ "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(smtpreply_enh_len(span_str(cases[i].in), cases[i].klass),
		    cases[i].want, "status code length of \"%s\"", cases[i].in);
}

int
main(void)
{
	test_simple();
	test_bad();
	test_ehlo();
	test_text();
	test_enh_len();
	return done_testing();
}
