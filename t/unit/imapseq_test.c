/*
 * imapseq_test.c - unit tests for lib/mail/imapseq: parsing (every
 * rejection branch), merging in either order, "*", membership, iteration,
 * formatting, and a million-element set in bounded memory.
 */
#include <time.h>

#include "base/xmem.h"
#include "mail/imapseq.h"
#include "tap.h"

#define MAXR 64

/* Parse s and format it (resolved with star when star > 0). */
static int
fmt(const char *s, size_t max, uint32_t star, char *out, size_t size)
{
	struct imapseq_range r[MAXR];
	struct imapseq q;
	struct why why;
	struct buf b;
	int ret;

	imapseq_init(&q, r, max);
	if ((ret = imapseq_parse(span_str(s), &q, &why)) != 0) {
		snprintf(out, size, "ERR %.200s", why.msg);
		return ret;
	}
	if (star > 0 && imapseq_resolve(&q, star) == -1)
		return -2;
	buf_init(&b, 1024);
	ret = imapseq_format(&q, &b);
	snprintf(out, size, "%s", buf_str(&b));
	buf_fini(&b);
	return ret;
}

static const struct {
	const char *in;
	uint32_t star;
	const char *out; /* NULL: refused */
	const char *why;
} cases[] = {
    {"1", 0, "1", NULL},
    {"1:3,5", 0, "1:3,5", NULL},
    {"5:3", 0, "3:5", NULL},
    {"1,2,3,4", 0, "1:4", NULL},
    {"3,1,2", 0, "1:3", NULL},
    {"7,1:3,2:5,9", 0, "1:5,7,9", NULL},
    {"10:20,1:30", 0, "1:30", NULL},
    {"4294967295", 0, "4294967295", NULL},
    {"1:4294967295", 0, "1:4294967295", NULL},
    {"1:*", 0, "1:*", NULL},
    {"*", 0, "*", NULL},
    {"*:4,2", 0, "2,4:*", NULL},
    {"3:*,9:*", 0, "3:*,9:*", NULL},
    {"1:*", 9, "1:9", NULL},
    {"5:*", 3, "3:5", NULL},
    {"*:5", 3, "3:5", NULL},
    {"*", 7, "7", NULL},
    {"1:3,5,7:*", 9, "1:3,5,7:9", NULL},
    {"1,*", 2, "1:2", NULL},
    {"", 0, NULL, "empty"},
    {"0", 0, NULL, "zero"},
    {"01", 0, NULL, "leading zero"},
    {"1:0", 0, NULL, "zero"},
    {"4294967296", 0, NULL, "too large"},
    {"99999999999999999999999", 0, NULL, "too large"},
    {"1,", 0, NULL, "number or *"},
    {",1", 0, NULL, "number or *"},
    {"1:", 0, NULL, "number or *"},
    {"1::2", 0, NULL, "number or *"},
    {"1:2:3", 0, NULL, "bad character"},
    {"a", 0, NULL, "number or *"},
    {"1 2", 0, NULL, "bad character"},
    {"-1", 0, NULL, "number or *"},
    {"**", 0, NULL, "bad character"},
    {"$", 0, NULL, "number or *"},
};

static void
test_cases(void)
{
	size_t i;
	char out[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = fmt(cases[i].in, MAXR, cases[i].star, out, sizeof(out));

		if (cases[i].out != NULL) {
			is_int(r, 0, "parse '%s'", cases[i].in);
			is_str(out, cases[i].out, "format of '%s'",
			       cases[i].in);
		} else {
			is_int(r, -1, "refuse '%s'", cases[i].in);
			ok(strstr(out, cases[i].why) != NULL, "reason: %s",
			   out);
		}
	}
}

/*
 * Orders chosen to make a naive merge quadratic: descending, then the
 * same numbers again and again once the set is nearly full.  CPU time is
 * measured, not waited for.
 */
static void
test_hostile_order(void)
{
	enum { N = 100000 };
	struct imapseq_range *r = xcalloc(N + 1, sizeof(*r));
	struct imapseq q;
	struct why why;
	struct buf big;
	clock_t t0 = clock();
	size_t i;

	buf_init(&big, 16 * 1024 * 1024);
	for (i = N; i >= 1; i--)
		buf_addf(&big, "%s%zu", i < N ? "," : "", 2 * i);
	for (i = 0; i < 300000; i++)
		buf_addf(&big, ",%zu", 2 * (i % 3 + 1));
	imapseq_init(&q, r, N + 1);
	ok(imapseq_parse(buf_span(&big), &q, &why) == 0 && q.n == N &&
	       q.r[0].lo == 2 && q.r[N - 1].lo == 2 * N,
	   "100000 descending, then 300000 repeats: %s", why.msg);
	/* Full, merged, still three quarters full: new ranges must join. */
	buf_reset(&big);
	for (i = 1; i <= N; i++)
		buf_addf(&big, "%zu,", 2 * i);
	buf_adds(&big, "3,999999,5");
	imapseq_init(&q, r, N + 1);
	ok(imapseq_parse(buf_span(&big), &q, &why) == -2,
	   "a new range in a full set is refused");
	buf_truncate(&big, big.len - 9);
	imapseq_init(&q, r, N + 1);
	ok(imapseq_parse(buf_span(&big), &q, &why) == 0 && q.n == N - 1,
	   "one that joins two is taken");
	/* Then the gaps, each joining two ranges. */
	buf_reset(&big);
	for (i = 1; i <= 3 * N / 4; i++)
		buf_addf(&big, "%zu,", 2 * i - 1);
	for (i = 1; i < 3 * N / 4; i++)
		buf_addf(&big, "%zu,", 2 * i);
	buf_adds(&big, "1");
	imapseq_init(&q, r, N + 1);
	ok(imapseq_parse(buf_span(&big), &q, &why) == 0 && q.n == 1 &&
	       q.r[0].hi == 3 * N / 2 - 1,
	   "odd numbers, then the even ones between: one range");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0,
	   "in bounded time (%.2f s CPU)",
	   (double)(clock() - t0) / CLOCKS_PER_SEC);
	buf_fini(&big);
	xfree(&r);
}

static void
test_limits(void)
{
	struct imapseq_range r[4];
	struct imapseq q;
	struct why why;
	struct buf big;
	size_t i;
	char out[64];

	/* max 4: three ranges fit (one slot kept for "*"), four do not. */
	is_int(fmt("1,3,5", 4, 0, out, sizeof(out)), 0, "3 ranges in 4");
	is_int(fmt("1,3,5,7", 4, 0, out, sizeof(out)), -2, "4 ranges in 4");
	ok(strstr(out, "too many") != NULL, "reason: %s", out);
	is_int(fmt("1", 1, 0, out, sizeof(out)), -2, "no room at all");
	/* Found by fuzz_imapseq: a range touching the last one after the
	 * set was merged for room, and a round trip through the format. */
	ok(fmt("1,3,53,3,53,1,3,53,5,7,9,11,13,119,21,7,9,1,9,11,120", 16, 0,
	       out, sizeof(out)) == 0 &&
	       strcmp(out, "1,3,5,7,9,11,13,21,53,119:120") == 0,
	   "merged after a full set: %s", out);
	ok(fmt("1,3,53,5,7,5,7,9,119,11,13,15,17,19,21,7,9,11,13,15,17,19,21",
	       16, 0, out, sizeof(out)) == 0 &&
	       strcmp(out, "1,3,5,7,9,11,13,15,17,19,21,53,119") == 0 &&
	       fmt(out, 16, 0, out, sizeof(out)) == 0,
	   "a full set formats to text that parses: %s", out);

	/* A million consecutive elements merge as they are read. */
	buf_init(&big, 16 * 1024 * 1024);
	for (i = 1; i <= 1000000; i++)
		buf_addf(&big, "%s%zu", i > 1 ? "," : "", i);
	imapseq_init(&q, r, 4);
	ok(imapseq_parse(buf_span(&big), &q, &why) == 0 && q.n == 1 &&
	       q.r[0].lo == 1 && q.r[0].hi == 1000000,
	   "1,2,...,1000000: one range in a 4-slot set");
	is_int(imapseq_count(&q), 1000000, "count");
	/* A million disjoint elements are refused in bounded memory. */
	buf_reset(&big);
	for (i = 1; i <= 1000000; i++)
		buf_addf(&big, "%s%zu", i > 1 ? "," : "", 2 * i);
	imapseq_init(&q, r, 4);
	ok(imapseq_parse(buf_span(&big), &q, &why) == -2 &&
	       strstr(why.msg, "too many") != NULL,
	   "2,4,...,2000000 refused: %s", why.msg);
	ok(imapseq_need(buf_span(&big)) == 1000001, "need counts commas");
	buf_fini(&big);
	test_hostile_order();
}

static void
test_has(void)
{
	struct imapseq_range r[MAXR];
	struct imapseq q;
	struct why why;

	imapseq_init(&q, r, MAXR);
	ok(imapseq_parse(span_str("2:4,8,10:*"), &q, &why) == 0, "parse");
	ok(!imapseq_has(&q, 1, 20) && imapseq_has(&q, 2, 20) &&
	       imapseq_has(&q, 4, 20) && !imapseq_has(&q, 5, 20) &&
	       imapseq_has(&q, 8, 20) && !imapseq_has(&q, 9, 20) &&
	       imapseq_has(&q, 10, 20) && imapseq_has(&q, 20, 20) &&
	       !imapseq_has(&q, 21, 20),
	   "membership with * = 20");
	/* RFC 3501: 10:* with 6 the highest is 6:10, and holds 6. */
	ok(imapseq_has(&q, 6, 6) && imapseq_has(&q, 7, 6) &&
	       !imapseq_has(&q, 5, 6) && imapseq_has(&q, 10, 6) &&
	       !imapseq_has(&q, 11, 6),
	   "membership with * = 6 (below 10)");
	ok(!imapseq_has(&q, 10, 0) && !imapseq_has(&q, 11, 0) &&
	       imapseq_has(&q, 8, 0),
	   "an empty mailbox: the * ranges cover nothing");
	ok(imapseq_resolve(&q, 0) == 0 && !q.star && q.n == 2,
	   "resolve with 0 drops them");
	imapseq_init(&q, r, MAXR);
	ok(imapseq_parse(span_str("*"), &q, &why) == 0 &&
	       imapseq_has(&q, 5, 5) && !imapseq_has(&q, 4, 5),
	   "a lone * is the highest only");
}

static void
test_iter_build(void)
{
	struct imapseq_range r[3];
	struct imapseq q;
	struct imapseq_iter it = {0, 0};
	struct why why;
	struct buf b;
	uint32_t v, got[8];
	size_t n = 0;

	imapseq_init(&q, r, 3);
	ok(imapseq_parse(span_str("7,1:3"), &q, &why) == 0, "parse 7,1:3");
	while (n < 8 && imapseq_next(&q, &it, &v))
		got[n++] = v;
	ok(n == 4 && got[0] == 1 && got[1] == 2 && got[2] == 3 && got[3] == 7,
	   "iterates 1 2 3 7");
	ok(imapseq_min(&q) == 1 && imapseq_max(&q) == 7, "min and max");

	imapseq_init(&q, r, 3);
	ok(imapseq_add(&q, 9, 9) == 0 && imapseq_add(&q, 2, 1) == 0 &&
	       imapseq_add(&q, 5, 5) == 0 && imapseq_add(&q, 3, 3) == 0,
	   "build 9, 2:1, 5, 3");
	ok(imapseq_add(&q, 7, 7) == -1, "a full set refuses");
	ok(imapseq_add(&q, 0, 1) == -1, "0 is no number");
	imapseq_finish(&q);
	buf_init(&b, 64);
	ok(imapseq_format(&q, &b) == 0 && strcmp(buf_str(&b), "1:3,5,9") == 0,
	   "formats 1:3,5,9 (%s)", buf_str(&b));
	buf_fini(&b);
	buf_init(&b, 4);
	ok(imapseq_format(&q, &b) == -1 && b.len == 0,
	   "a full buffer: -1, unchanged");
	buf_fini(&b);

	imapseq_init(&q, r, 3);
	ok(imapseq_parse(span_str("4294967294:*"), &q, &why) == 0 &&
	       imapseq_resolve(&q, 4294967295u) == 0 && q.n == 1 &&
	       imapseq_count(&q) == 2,
	   "the top of the range");
	memset(&it, 0, sizeof(it));
	n = 0;
	while (imapseq_next(&q, &it, &v))
		n++;
	is_int(n, 2, "iteration stops at 4294967295");
}

int
main(void)
{
	test_cases();
	test_limits();
	test_has();
	test_iter_build();
	return done_testing();
}
