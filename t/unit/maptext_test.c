/*
 * maptext_test.c - unit tests for lib/mail/maptext: the text table
 * format, continuation lines, CRLF, every rejection branch with its line
 * number, duplicate warnings and stopping from the callback.
 */
#include "base/buf.h"
#include "base/xmem.h"
#include "mail/maptext.h"
#include "tap.h"

/* Renders what the parser reported: "L:key=value" / "L:E:reason". */
struct result {
	struct buf out;
	size_t stop_after;	/* 0 = never stop */
	size_t seen;
};

static int
on_entry(void *arg, size_t line, struct span key, struct span value)
{
	struct result *r = arg;

	buf_addf(&r->out, "%zu:%.*s=%.*s|", line, (int)key.len,
	    (const char *)key.p, (int)value.len, (const char *)value.p);
	if (r->stop_after != 0 && ++r->seen == r->stop_after)
		return -1;
	return 0;
}

static void
on_diag(void *arg, size_t line, bool is_error, const char *reason)
{
	struct result *r = arg;

	buf_addf(&r->out, "%zu:%c:%s|", line, is_error ? 'E' : 'W', reason);
}

/* Parse a private, exactly sized copy so ASan sees any over-read. */
static int
run(const void *text, size_t len, struct result *r,
    struct maptext_stats *st)
{
	struct maptext_cb cb = { on_entry, on_diag, r };
	unsigned char *copy = xmalloc(len ? len : 1);
	int ret;

	memcpy(copy, text, len);
	buf_init(&r->out, 1 << 20);
	buf_adds(&r->out, "");
	ret = maptext_parse(span_make(copy, len), &cb, st);
	xfree(&copy);
	return ret;
}

static const struct {
	const char *name;
	const char *in;
	int ret;
	const char *want;
} cases[] = {
	{ "one entry", "a b\n", 0, "1:a=b|" },
	{ "no final newline", "a b", 0, "1:a=b|" },
	{ "CRLF", "a b\r\nc d\r\n", 0, "1:a=b|2:c=d|" },
	{ "CRLF, no final newline", "a b\r\nc d\r", 0, "1:a=b|2:c=d|" },
	{ "empty text", "", 0, "" },
	{ "blank lines only", "\n \n\t\r\n", 0, "" },
	{ "comments", "# c\n\n  # indented\na b # not a comment\n", 0,
	    "4:a=b # not a comment|" },
	{ "tab separates", "a\tb\n", 0, "1:a=b|" },
	{ "trailing blanks trimmed", "a  b c \t \n", 0, "1:a=b c|" },
	{ "inner blanks kept", "a b   c\n", 0, "1:a=b   c|" },
	{ "continuation", "a b\n  c\n\td e\n", 0, "1:a=b c d e|" },
	{ "continuation with CRLF", "a b\r\n c\r\n", 0, "1:a=b c|" },
	{ "continuation after comment", "a b\n# x\n\n c\nd e\n", 0,
	    "1:a=b c|5:d=e|" },
	{ "key alone, value continued", "a\n b\n", 0, "1:a=b|" },
	{ "key keeps case", "MiXed Value\n", 0, "1:MiXed=Value|" },
	{ "aliases(5) colon", "staff: a, b\npostmaster:\troot\n", 0,
	    "1:staff=a, b|2:postmaster=root|" },
	{ "IPv6 keys keep colons", "2001:db8:: OK\nfe80::1: x\n", 0,
	    "1:2001:db8::=OK|2:fe80::1:=x|" },
	{ "a lone colon stays", ": x\n", 0, "1::=x|" },
	{ "missing value", "a b\nkey\nc d\n", -1,
	    "1:a=b|2:E:expected format: key whitespace value|3:c=d|" },
	{ "missing value, trailing blanks", "key \t\r\n", -1,
	    "1:E:expected format: key whitespace value|" },
	{ "orphan continuation", " x y\na b", -1,
	    "1:E:continuation line without a preceding entry|2:a=b|" },
	{ "orphan after comment", "# c\n\tx y\n", -1,
	    "2:E:continuation line without a preceding entry|" },
	{ "duplicate key", "a 1\nA 2\n# c\na 3\n", 0,
	    "1:a=1|2:W:duplicate entry A, keeping the first|"
	    "4:W:duplicate entry a, keeping the first|" },
	{ "duplicate escaped", "k\x01 1\nk\x01 2\n", 0,
	    "1:k\x01=1|2:W:duplicate entry k\\x01, keeping the first|" },
	{ "errors after CRLF lines", "a b\r\n\r\nbad\r\n \r\nc d\r\nworse\r\n",
	    -1, "1:a=b|3:E:expected format: key whitespace value|5:c=d|"
	    "6:E:expected format: key whitespace value|" },
};

static void
test_cases(void)
{
	struct result r;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		ret = run(cases[i].in, strlen(cases[i].in), &r, NULL);
		is_int(ret, cases[i].ret, "%s: return value", cases[i].name);
		is_str(buf_str(&r.out), cases[i].want, "%s: output",
		    cases[i].name);
		buf_fini(&r.out);
	}
}

static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
} nul_cases[] = {
	{ "NUL in entry", "a b\nc\0d e\nf g\n", 14,
	    "1:a=b|2:E:NUL byte in line|3:f=g|" },
	{ "NUL in value", "a b\0\n", 5, "1:E:NUL byte in line|" },
	{ "NUL in continuation", "a b\n c\0\nd e", 11,
	    "2:E:NUL byte in line|3:d=e|" },
	{ "NUL in every line of one entry", "a\0 b\n c\0\n", 9,
	    "1:E:NUL byte in line|2:E:NUL byte in line|" },
	{ "NUL in comment", "# \0\na b\n", 8, "1:E:NUL byte in line|2:a=b|" },
	{ "NUL alone", "\0", 1, "1:E:NUL byte in line|" },
};

static void
test_nul(void)
{
	struct maptext_stats st;
	struct result r;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(nul_cases) / sizeof(nul_cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		ret = run(nul_cases[i].in, nul_cases[i].len, &r, &st);
		is_int(ret, -1, "%s: rejected", nul_cases[i].name);
		is_str(buf_str(&r.out), nul_cases[i].want, "%s: output",
		    nul_cases[i].name);
		buf_fini(&r.out);
	}
}

/* "KEY VALUE\n" with a key of klen 'k's and a value of vlen 'v's. */
static char *
long_line(size_t klen, size_t vlen, size_t *len_out)
{
	char *s = xmalloc(klen + vlen + 3);

	memset(s, 'k', klen);
	s[klen] = ' ';
	memset(s + klen + 1, 'v', vlen);
	s[klen + vlen + 1] = '\n';
	s[klen + vlen + 2] = '\0';
	*len_out = klen + vlen + 2;
	return s;
}

static void
check_long(size_t klen, size_t vlen, int want, const char *reason)
{
	struct maptext_stats st;
	struct result r;
	size_t len;
	char *s = long_line(klen, vlen, &len);
	int ret;

	memset(&r, 0, sizeof(r));
	ret = run(s, len, &r, &st);
	is_int(ret, want, "key %zu, value %zu: %s", klen, vlen,
	    want == 0 ? "accepted" : "rejected");
	if (want == 0)
		ok(st.entries == 1 && st.errors == 0, "one entry, no error");
	else
		is_str(buf_str(&r.out), reason, "reason and line");
	buf_fini(&r.out);
	xfree(&s);
}

static void
test_limits(void)
{
	struct buf t;
	struct result r;
	struct maptext_stats st;
	size_t i;

	check_long(MAPTEXT_MAX_KEY, 1, 0, NULL);
	check_long(MAPTEXT_MAX_KEY + 1, 1, -1,
	    "1:E:key is longer than 1024 bytes|");
	check_long(1, MAPTEXT_MAX_VALUE, 0, NULL);
	check_long(1, MAPTEXT_MAX_VALUE + 1, -1,
	    "1:E:value is longer than 65536 bytes|");

	/* A value joined from lines passes the limit: error at line 2. */
	buf_init(&t, 1 << 20);
	buf_adds(&t, "a b\nkey first\n");
	for (i = 0; i < 70; i++)
		buf_addf(&t, " %01000d\n", 0);
	buf_adds(&t, "z y\n");
	memset(&r, 0, sizeof(r));
	is_int(run(t.p, t.len, &r, &st), -1, "joined value too long");
	is_str(buf_str(&r.out),
	    "1:a=b|2:E:value is longer than 65536 bytes|73:z=y|",
	    "joined value: reason at its first line");
	is_int(st.lines, 73, "line count");
	buf_fini(&r.out);
	buf_fini(&t);
}

static void
test_stop(void)
{
	struct maptext_stats st;
	struct result r;
	const char *in = "a 1\nb 2\nc 3\nd 4\n";

	memset(&r, 0, sizeof(r));
	r.stop_after = 2;
	is_int(run(in, strlen(in), &r, &st), -1, "stopped parse returns -1");
	is_str(buf_str(&r.out), "1:a=1|2:b=2|", "no entry after the stop");
	ok(st.stopped && st.errors == 0, "stats say stopped, no error");
	buf_fini(&r.out);

	is_int(maptext_parse(span_str(in), NULL, &st), 0, "NULL callbacks");
	is_int(st.entries, 4, "entries counted without callbacks");
}

int
main(void)
{
	test_cases();
	test_nul();
	test_limits();
	test_stop();
	return done_testing();
}
