/*
 * pop3top_test.c - unit tests for lib/mail/pop3top: where TOP cuts a
 * message, for every line count, fed whole, byte by byte and in random
 * pieces.
 */
#include "mail/pop3top.h"
#include "tap.h"

/* The bytes of msg TOP with n lines sends, fed in pieces of step bytes
 * (0: random). */
static size_t
cut(const char *msg, uint64_t n, size_t step)
{
	struct pop3top t;
	size_t len = strlen(msg), at = 0, out = 0;

	pop3top_init(&t, n);
	while (at < len) {
		size_t k = step != 0 ? step : (size_t)(rand() % 7) + 1;
		size_t took;

		if (k > len - at)
			k = len - at;
		took = pop3top_take(&t, span_make(msg + at, k));
		out += took;
		if (took < k) {
			if (!t.done)
				return (size_t)-1;
			break;
		}
		at += k;
	}
	/* Once done, nothing more is taken. */
	if (t.done && pop3top_take(&t, span_str("more\r\n")) != 0)
		return (size_t)-1;
	return out;
}

static const struct {
	const char *msg;
	uint64_t lines;
	const char *want;	/* the prefix sent */
} cases[] = {
	{ "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n", 0, "A: 1\r\nB: 2\r\n\r\n" },
	{ "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n", 1,
	    "A: 1\r\nB: 2\r\n\r\nl1\r\n" },
	{ "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n", 2,
	    "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n" },
	{ "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n", 3,
	    "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n" },
	{ "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n", 99,
	    "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n" },
	/* Empty body lines count as lines. */
	{ "A: 1\r\n\r\n\r\n\r\nx\r\n", 2, "A: 1\r\n\r\n\r\n\r\n" },
	/* A last line without its line end. */
	{ "A: 1\r\n\r\nl1\r\nend", 5, "A: 1\r\n\r\nl1\r\nend" },
	{ "A: 1\r\n\r\nl1\r\nend", 1, "A: 1\r\n\r\nl1\r\n" },
	/* No empty line: all header, sent whole. */
	{ "A: 1\r\nB: 2\r\n", 0, "A: 1\r\nB: 2\r\n" },
	{ "A: 1", 0, "A: 1" },
	/* An empty message, and one that is only the empty line. */
	{ "", 0, "" },
	{ "\r\nbody\r\n", 0, "\r\n" },
	{ "\r\nbody\r\nmore\r\n", 1, "\r\nbody\r\n" },
	/* Bare LF ends lines too; a lone CR does not make a line empty
	 * unless LF follows at once. */
	{ "A: 1\n\nl1\nl2\n", 1, "A: 1\n\nl1\n" },
	{ "A: 1\r\n\r\r\nx\r\n\r\nb\r\n", 0, "A: 1\r\n\r\r\nx\r\n\r\n" },
	/* Dots and 8-bit bytes are only bytes here. */
	{ "S: \xc3\xa4\r\n\r\n.\r\n..x\r\n", 1, "S: \xc3\xa4\r\n\r\n.\r\n" },
};

static void
test_cases(void)
{
	size_t i, step;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t want = strlen(cases[i].want);
		bool same = true;

		ok(strncmp(cases[i].msg, cases[i].want, want) == 0,
		    "case %zu: the want is a prefix", i);
		for (step = 1; step <= 8; step++)
			same &= cut(cases[i].msg, cases[i].lines, step) ==
			    want;
		same &= cut(cases[i].msg, cases[i].lines, 4096) == want;
		for (step = 0; step < 50; step++)
			same &= cut(cases[i].msg, cases[i].lines, 0) == want;
		ok(same, "case %zu (TOP %llu): %zu bytes in every split", i,
		    (unsigned long long)cases[i].lines, want);
	}
}

int
main(void)
{
	srand(1);
	test_cases();
	return done_testing();
}
