/*
 * hdr_test.c - unit tests for lib/mail/hdr: fields of a header block
 * (folding, CRLF and LF, lines without a colon, continuation lines with
 * no field, the empty line that ends the block, NULs), the block's
 * length, and unfolding.
 */
#include "mail/hdr.h"
#include "tap.h"

#define L(s) s, sizeof(s) - 1

/* want: each field as "name=value" joined by "|", value unfolded. */
static const struct {
	const char *in;
	size_t len;
	const char *want;
	size_t block;
} cases[] = {
    {L(""), "", 0},
    {L("A: 1\r\nB:2\r\n\r\nC: body\r\n"), "A=1|B=2", 13},
    {L("A: 1\nB:2\n\nC: body\n"), "A=1|B=2", 10},
    {L("Subject: a\r\n folded\r\n\tline\r\nX: y"), "Subject=a folded\tline|X=y",
     32},
    {L("Name  \t: v\r\n"), "Name=v", 12},
    {L("no colon here\r\nA: 1\r\n"), "A=1", 21},
    {L("  orphan continuation\r\nA: 1\r\n"), "A=1", 29},
    {L("\r\nA: not a field\r\n"), "", 2},
    {L("A: 1\r\n \r\nB: 2\r\n"), "A=1|B=2", 15},
    {L("A: x\0y\r\nB: 2\r\n\r\n"), "A=x\\0y|B=2", 16},
    {L("A:\r\n\r\n"), "A=", 6},
    {L(": no name\r\n"), "=no name", 11},
    {L("A: 1\r"), "A=1", 5},
};

static void
test_cases(void)
{
	struct hdr_iter it;
	struct hdr_field f;
	struct buf got;
	size_t i;
	size_t k;

	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span in = span_make(cases[i].in, cases[i].len);

		buf_reset(&got);
		hdr_init(&it, in);
		while (hdr_next(&it, &f)) {
			size_t start = got.len;

			if (got.len > 0)
				buf_addc(&got, '|');
			buf_addspan(&got, f.name);
			buf_addc(&got, '=');
			hdr_unfold(f.value, &got);
			/* Show NULs; check the spans' relations. */
			for (k = start; k < got.len; k++)
				if (got.p[k] == '\0') {
					buf_truncate(&got, k);
					buf_adds(&got, "\\0y");
				}
			if (f.line.p != f.name.p ||
			    f.value.p + f.value.len > f.line.p + f.line.len ||
			    f.line.p + f.line.len > in.p + in.len)
				buf_adds(&got, "<BAD SPAN>");
		}
		ok(!hdr_next(&it, &f), "case %zu: stays at the end", i);
		is_str(buf_str(&got), cases[i].want, "case %zu: fields", i);
		is_int(hdr_block_len(in), cases[i].block, "case %zu: block", i);
	}
	buf_fini(&got);
}

static void
test_unfold(void)
{
	struct buf b;

	buf_init(&b, 8);
	ok(hdr_unfold(span_str(" \r\n a\r\n b \r\n"), &b) == 0 &&
	       strcmp(buf_str(&b), "a b") == 0,
	   "unfold and trim");
	buf_reset(&b);
	buf_adds(&b, "xy");
	ok(hdr_unfold(span_str("123456789"), &b) == -1 &&
	       strcmp(buf_str(&b), "xy") == 0,
	   "too long: the buffer is left as it was");
	buf_fini(&b);
}

int
main(void)
{
	test_cases();
	test_unfold();
	return done_testing();
}
