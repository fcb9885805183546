/*
 * authproto_test.c - unit tests for lib/auth/authproto: parsing and
 * formatting authd protocol lines, every rejection branch, escaping
 * round trips.
 */
#include "auth/authproto.h"
#include "tap.h"

static const struct {
	const char *line;
	size_t len;		/* 0: strlen */
	int ret;
	uint32_t id;
	const char *word;
	size_t nfield;
} cases[] = {
	{ "1\tLOOKUP\ta@b", 0, 0, 1, "LOOKUP", 1 },
	{ "42\tOK", 0, 0, 42, "OK", 0 },
	{ "7\tOK\t", 0, 0, 7, "OK", 1 },
	{ "7\tOK\t\t", 0, 0, 7, "OK", 2 },
	{ "7\tOK\ta\t\tb", 0, 0, 7, "OK", 3 },
	{ "4294967295\tOK", 0, 0, 4294967295u, "OK", 0 },
	{ "4294967296\tOK", 0, -1, 0, NULL, 0 },
	{ "0\tOK", 0, -1, 0, NULL, 0 },
	{ "x\tOK", 0, -1, 0, NULL, 0 },
	{ "", 0, -1, 0, NULL, 0 },
	{ "5", 0, -1, 5, NULL, 0 },
	{ "5\t", 0, -1, 5, NULL, 0 },
	{ "5\tok", 0, -1, 5, NULL, 0 },
	{ "5\tVERYLONGCOMMANDWORD", 0, -1, 5, NULL, 0 },
	{ "5\tOK\ta\\", 0, -1, 5, "OK", 0 },
	{ "5\tOK\ta\\x", 0, -1, 5, "OK", 0 },
	{ "5\tOK\ta\rb", 0, -1, 5, "OK", 0 },
	{ "5\tOK\ta\0b", 8, -1, 5, "OK", 0 },
	{ "+5\tOK", 0, -1, 0, NULL, 0 },
};

static void
test_parse(void)
{
	struct authproto_msg m;
	struct why why;
	size_t i;

	authproto_init(&m, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span line = span_make(cases[i].line, cases[i].len ?
		    cases[i].len : strlen(cases[i].line));
		int r = authproto_parse(line, &m, &why);

		is_int(r, cases[i].ret, "parse case %zu", i);
		is_int(m.id, cases[i].id, "id of case %zu", i);
		if (cases[i].ret == 0) {
			ok(span_eq(m.word, cases[i].word), "word of case %zu",
			    i);
			is_int(m.nfield, cases[i].nfield, "fields of case %zu",
			    i);
		}
	}
	ok(authproto_parse(span_str("9\tOK\ta\\tb\\nc\\\\d\\re"), &m, &why) ==
		    0 && m.nfield == 1 &&
		span_eq(m.field[0], "a\tb\nc\\d\re"),
	    "escapes decoded");
	authproto_fini(&m);

	authproto_init(&m, 4);
	ok(authproto_parse(span_str("9\tOK\t12345"), &m, &why) == -1,
	    "text over the maximum refused");
	authproto_fini(&m);
}

static void
test_many_fields(void)
{
	struct authproto_msg m;
	struct why why;
	struct buf line;
	int i;

	buf_init(&line, 1 << 20);
	buf_adds(&line, "3\tOK");
	for (i = 0; i < AUTHPROTO_MAX_FIELDS; i++)
		buf_adds(&line, "\tx");
	authproto_init(&m, 1 << 20);
	ok(authproto_parse(buf_span(&line), &m, &why) == 0 &&
		m.nfield == AUTHPROTO_MAX_FIELDS,
	    "the most fields allowed");
	buf_adds(&line, "\tx");
	ok(authproto_parse(buf_span(&line), &m, &why) == -1,
	    "one field too many refused");
	authproto_fini(&m);
	buf_fini(&line);
}

static void
test_format(void)
{
	struct span f[3] = { span_str("a\tb"), span_make("x\ny\\z\r", 6),
		span_make(NULL, 0) };
	struct authproto_msg m;
	struct why why;
	struct buf out;

	buf_init(&out, 1024);
	ok(authproto_format(&out, 12, "VERIFY", f, 3) == 0, "format");
	is_str(buf_str(&out), "12\tVERIFY\ta\\tb\tx\\ny\\\\z\\r\t\n",
	    "formatted line");
	authproto_init(&m, 1024);
	ok(authproto_parse(span_make(out.p, out.len - 1), &m, &why) == 0 &&
		m.id == 12 && m.nfield == 3 &&
		span_eq_span(m.field[0], f[0]) &&
		span_eq_span(m.field[1], f[1]) && m.field[2].len == 0,
	    "format and parse round trip");
	authproto_fini(&m);
	buf_reset(&out);
	f[0] = span_make("a\0b", 3);
	ok(authproto_format(&out, 1, "OK", f, 1) == -1 && out.len == 0,
	    "a NUL cannot be formatted, nothing written");
	buf_fini(&out);
	buf_init(&out, 8);
	ok(authproto_format(&out, 1, "OK", f + 1, 1) == -1 && out.len == 0,
	    "past the buffer's max: refused, nothing written");
	buf_fini(&out);
}

int
main(void)
{
	test_parse();
	test_many_fields();
	test_format();
	return done_testing();
}
