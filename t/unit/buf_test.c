/*
 * buf_test.c - unit tests for lib/base/buf: growth, the hard maximum,
 * formatting and span helpers.
 */
#include "base/buf.h"
#include "base/xmem.h"
#include "tap.h"

static void
test_growth(void)
{
	struct buf b;
	size_t i;
	int r = 0;

	buf_init(&b, 100000);
	for (i = 0; i < 100000 && r == 0; i++)
		r = buf_addc(&b, 'a' + (int)(i % 26));
	ok(r == 0 && b.len == 100000, "grows to exactly max");
	ok(b.p[b.len] == '\0', "NUL follows len");
	ok(buf_addc(&b, 'x') == -1, "one past max is refused");
	is_int(b.len, 100000, "refused add leaves length unchanged");
	ok(b.p[99999] == 'a' + 99999 % 26, "refused add leaves contents");
	buf_fini(&b);
	ok(b.p == NULL && b.len == 0, "fini empties");
}

static void
test_max_edges(void)
{
	struct buf b;

	buf_init(&b, 5);
	ok(buf_add(&b, "12345", 5) == 0, "exactly max fits");
	ok(buf_add(&b, "", 0) == 0, "adding nothing at max is fine");
	ok(buf_add(&b, "6", 1) == -1, "past max refused");
	buf_reset(&b);
	ok(buf_add(&b, "x", SIZE_MAX) == -1, "SIZE_MAX length refused");
	ok(buf_addf(&b, "%s", "123456") == -1, "addf past max refused");
	is_int(b.len, 0, "failed addf leaves it empty");
	ok(buf_addf(&b, "%d%s", 12, "ab") == 0, "addf within max");
	is_str(buf_str(&b), "12ab", "addf contents");
	ok(buf_set(&b, "abcdefg", 7) == -1, "set past max refused");
	is_str(buf_str(&b), "12ab", "failed set leaves contents");
	buf_fini(&b);

	buf_init(&b, SIZE_MAX);
	ok(b.max == BUF_MAX_CEILING, "max is capped at the ceiling");
	buf_fini(&b);
}

static void
test_binary(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 64);
	is_str(buf_str(&b), "", "empty buffer reads as empty string");
	buf_add(&b, "a\0b", 3);
	is_int(b.len, 3, "binary-safe length");
	ok(memcmp(b.p, "a\0b", 3) == 0, "binary-safe contents");
	buf_truncate(&b, 1);
	is_str(buf_str(&b), "a", "truncate");
	s = buf_steal(&b);
	is_str(s, "a", "steal returns contents");
	ok(b.p == NULL && b.len == 0, "steal empties the buffer");
	xfree(&s);
	ok(s == NULL, "xfree clears the pointer");
	buf_adds(&b, "secret");
	buf_wipe(&b);
	ok(b.p == NULL, "wipe frees");
}

static void
test_spans(void)
{
	struct span s = span_str("  Hello World \r\n");
	struct span t;
	struct span tok;
	char *d;
	int n = 0;

	t = span_trim(s);
	ok(span_eq(t, "Hello World"), "trim");
	ok(span_eq_nocase(t, "hello world"), "eq_nocase");
	ok(!span_eq(t, "Hello"), "eq needs equal length");
	ok(span_startswith_nocase(t, "HELLO"), "startswith_nocase");
	ok(span_eq_span_nocase(span_str("Ab.C"), span_str("aB.c")),
	    "eq_span_nocase folds ASCII case");
	ok(!span_eq_span_nocase(span_make("a\0x", 3), span_make("a\0y", 3)),
	    "eq_span_nocase compares past a NUL");
	ok(!span_eq_span_nocase(span_str("ab"), span_str("abc")),
	    "eq_span_nocase needs equal lengths");
	is_int(span_chr(t, 'W'), 6, "chr found");
	is_int(span_chr(t, 'z'), -1, "chr not found");
	ok(span_eq(span_sub(t, 6, 100), "World"), "sub clamps");
	ok(span_sub(t, 100, 1).len == 0, "sub past end is empty");
	d = span_dup(span_sub(t, 0, 5));
	is_str(d, "Hello", "dup");
	free(d);

	s = span_str(" a,b  ,, c ");
	while (span_token(&s, ", ", &tok))
		n++;
	is_int(n, 3, "token splits on separator sets");
	s = span_make("a\0b c", 5);
	ok(span_token(&s, " ", &tok) && tok.len == 3, "NUL is not a separator");
	s = span_str("   ");
	ok(!span_token(&s, " ", &tok), "no token in blanks");
	ok(span_make(NULL, 0).p != NULL, "span of NULL points somewhere");
}

static void
test_has_8bit(void)
{
	ok(!span_has_8bit(span_make("", 0)), "empty: 7-bit");
	ok(!span_has_8bit(span_str("plain \x7f text\r\n")), "7-bit text");
	ok(span_has_8bit(span_str("caf\xc3\xa9")), "UTF-8 is 8-bit");
	ok(span_has_8bit(span_make("\x80", 1)), "0x80 alone");
	ok(span_has_8bit(span_make("abc\xff", 4)), "0xff at the end");
}

int
main(void)
{
	test_growth();
	test_max_edges();
	test_binary();
	test_spans();
	test_has_8bit();
	return done_testing();
}
