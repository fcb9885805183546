/*
 * aliastarget_test.c - unit tests for lib/mail/aliastarget: splitting
 * alias values (commas, blanks, quotes), classifying targets, and every
 * rejection branch.
 */
#include <string.h>

#include "mail/aliastarget.h"
#include "tap.h"

/* Split value; the targets as "[a][b]" into out. */
static int
split(const char *value, char *out, size_t size)
{
	struct span rest = span_str(value);
	struct span item;
	struct why why = { "" };
	size_t n = 0;
	int r;

	out[0] = '\0';
	while ((r = aliastarget_next(&rest, &item, &why)) == 1)
		n += (size_t)snprintf(out + n, size - n, "[%.*s]",
		    (int)item.len, (const char *)item.p);
	return r;
}

static void
test_split(void)
{
	static const struct {
		const char *value;
		const char *want;
	} cases[] = {
		{ "a@x", "[a@x]" },
		{ "  a, b,c\t d\r\n e ", "[a][b][c][d][e]" },
		{ "\"|/usr/bin/prog -x y\", bob", "[|/usr/bin/prog -x y][bob]" },
		{ "bob,\"/var/log/mail box\"", "[bob][/var/log/mail box]" },
		{ "\":include:/etc/x\"", "[:include:/etc/x]" },
		{ "|/bin/true", "[|/bin/true]" },
		{ "a\"b@x", "[a\"b@x]" },
		{ "", "" },
		{ " ,, \t", "" },
	};
	char got[2048];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(split(cases[i].value, got, sizeof(got)) == 0 &&
			strcmp(got, cases[i].want) == 0,
		    "split #%zu", i);
		if (strcmp(got, cases[i].want) != 0)
			diag("got %s", got);
	}
}

static void
test_split_errors(void)
{
	static const struct {
		const char *value;
		const char *why;
	} cases[] = {
		{ "a, \"|/bin/prog", "closing quote" },
		{ "\"|prog\"x", "after the closing quote" },
		{ "\"\"", "empty quoted" },
	};
	char big[ALIASTARGET_MAX + 10];
	struct span rest;
	struct span item;
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[256];

		why.msg[0] = '\0';
		rest = span_str(cases[i].value);
		while (aliastarget_next(&rest, &item, &why) == 1)
			;
		ok(split(cases[i].value, got, sizeof(got)) == -1 &&
			strstr(why.msg, cases[i].why) != NULL,
		    "refused: '%s' (%s)", cases[i].value, why.msg);
	}
	rest = span_str("a, \"b");
	ok(aliastarget_next(&rest, &item, &why) == 1 &&
		aliastarget_next(&rest, &item, &why) == -1 &&
		span_eq(rest, ", \"b"),
	    "a refused target leaves the rest as it was");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rest = span_str(big);
	ok(aliastarget_next(&rest, &item, &why) == -1 &&
		strstr(why.msg, "longer than") != NULL,
	    "an over-long target is refused");
	big[ALIASTARGET_MAX] = '\0';
	rest = span_str(big);
	ok(aliastarget_next(&rest, &item, &why) == 1 &&
		item.len == ALIASTARGET_MAX,
	    "a target of exactly the limit is taken");
}

static void
test_parse(void)
{
	static const struct {
		const char *item;
		enum aliastarget_kind kind;
		const char *arg;
	} cases[] = {
		{ "alice@example.org", ALIASTARGET_ADDRESS, "alice@example.org" },
		{ "root", ALIASTARGET_ADDRESS, "root" },
		{ "|/usr/bin/prog -x", ALIASTARGET_COMMAND, "/usr/bin/prog -x" },
		{ "|  cat >>/tmp/x ", ALIASTARGET_COMMAND, "cat >>/tmp/x" },
		{ "/var/mail/archive", ALIASTARGET_FILE, "/var/mail/archive" },
		{ ":include:/etc/list", ALIASTARGET_INCLUDE, "/etc/list" },
		{ ":INCLUDE:/etc/list", ALIASTARGET_INCLUDE, "/etc/list" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum aliastarget_kind k = ALIASTARGET_ADDRESS;
		struct span arg = { NULL, 0 };
		struct why why = { "" };

		ok(aliastarget_parse(span_str(cases[i].item), &k, &arg,
		       &why) == 0 &&
			k == cases[i].kind && span_eq(arg, cases[i].arg),
		    "parse '%s'", cases[i].item);
	}
}

static void
test_parse_errors(void)
{
	static const struct {
		const char *item;
		const char *why;
	} cases[] = {
		{ "", "empty alias target" },
		{ "|", "empty command" },
		{ "|   ", "empty command" },
		{ "|prog\x01", "control character in a command" },
		{ "/var/mail/dir/", "maildir" },
		{ "/var/x\x7f", "control character" },
		{ ":include:", "absolute path" },
		{ ":include:etc/list", "absolute path" },
		{ ":include:/etc/\x1b", "control character" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum aliastarget_kind k;
		struct span arg;
		struct why why = { "" };

		ok(aliastarget_parse(span_str(cases[i].item), &k, &arg,
		       &why) == -1 &&
			strstr(why.msg, cases[i].why) != NULL,
		    "refused #%zu (%s)", i, why.msg);
	}
}

int
main(void)
{
	test_split();
	test_split_errors();
	test_parse();
	test_parse_errors();
	return done_testing();
}
