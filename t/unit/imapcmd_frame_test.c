/*
 * imapcmd_frame_test.c - unit tests for the framing half of
 * lib/mail/imapcmd: literal announcements, synchronising and
 * non-synchronising literals, LITERAL-, refusals and the skipping of a
 * refused command's rest, every limit, hostile input (enormous numbers,
 * deep nesting, many nodes), and the reply words for each error.
 */
#include "base/xmem.h"
#include "mail/imapcmd.h"
#include "tap.h"

#define LINE(f, s) imapcmd_frame_line((f), span_str(s))
#define DONE IMAPCMD_FRAME_DONE
#define LIT IMAPCMD_FRAME_LITERAL
#define REFUSED IMAPCMD_FRAME_REFUSED
#define SKIPPED IMAPCMD_FRAME_SKIPPED

static bool
eq(struct span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void
test_announce(void)
{
	static const struct {
		const char *line;
		bool lit;
		uint64_t n;
		bool nonsync;
	} c[] = {
	    {"a LOGIN {5}", true, 5, false},
	    {"a LOGIN {5+}", true, 5, true},
	    {"{0}", true, 0, false},
	    {"x{18446744073709551615}", true, UINT64_MAX, false},
	    {"x{18446744073709551616+}", true, UINT64_MAX, true},
	    {"x{99999999999999999999999999}", true, UINT64_MAX, false},
	    {"x{}", false, 0, false},
	    {"x{+}", false, 0, false},
	    {"x5}", false, 0, false},
	    {"x{a5}", false, 0, false},
	    {"x{ 5}", false, 0, false},
	    {"x{5} ", false, 0, false},
	    {"x{5++}", false, 0, false},
	    {"}", false, 0, false},
	    {"", false, 0, false},
	    {"5}", false, 0, false},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t n = 0;
		bool ns = false;
		bool lit = imapcmd_literal_at_end(span_str(c[i].line), &n, &ns);

		ok(lit == c[i].lit &&
		       (!lit || (n == c[i].n && ns == c[i].nonsync)),
		   "announcement in '%s'", c[i].line);
	}
}

static void
test_tag(void)
{
	struct span t;

	ok(imapcmd_tag(span_str("A001 NOOP"), &t) && eq(t, "A001"), "tag");
	ok(imapcmd_tag(span_str("a]b NOOP"), &t) && eq(t, "a]b"), "] is ok");
	ok(!imapcmd_tag(span_str("A001"), &t), "no space: no tag");
	ok(!imapcmd_tag(span_str("* NOOP"), &t), "* is no tag");
	ok(!imapcmd_tag(span_str("+ NOOP"), &t), "+ is no tag");
	ok(!imapcmd_tag(span_str("a{ NOOP"), &t), "{ is no tag char");
	ok(!imapcmd_tag(span_str(" NOOP"), &t), "empty tag");
	ok(!imapcmd_tag(span_make("a\0 NOOP", 7), &t), "NUL in a tag");
}

static void
test_sync(void)
{
	struct imapcmd_limits lim;
	struct imapcmd_frame f;
	struct imapcmd_input in;
	struct arena a;
	struct imapcmd c;
	struct why why;

	imapcmd_limits_default(&lim);
	imapcmd_frame_init(&f, &lim);
	arena_init(&a, 1 << 20);
	ok(LINE(&f, "a1 LOGIN {3}") == LIT && f.need == 3 && !f.nonsync,
	   "a synchronising literal");
	is_int(imapcmd_frame_literal(&f, span_str("bo")), 2, "two bytes");
	is_int(imapcmd_frame_literal(&f, span_str("bXYZ")), 1,
	       "one more, the rest left");
	ok(f.need == 0 && LINE(&f, " {4+}") == LIT && f.nonsync,
	   "then a non-synchronising one");
	is_int(imapcmd_frame_literal(&f, span_make("\0\r\n}", 4)), 4,
	       "four bytes, whatever they are");
	ok(LINE(&f, "") == DONE, "the command ends");
	imapcmd_frame_input(&f, &in);
	ok(in.nlit == 2 && eq(in.lit[0], "bob") && in.lit[1].len == 4 &&
	       in.text.len == strlen("a1 LOGIN {3}\r\n {4+}\r\n"),
	   "assembled: text and two literals");
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       strstr(why.msg, "NUL in literal") != NULL,
	   "a NUL in a literal is BAD: %s", why.msg);
	ok(LINE(&f, "a2 NOOP") == DONE && eq(f.tag, "a2") && f.nlit == 0,
	   "the next line starts a new command");
	imapcmd_frame_input(&f, &in);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == 0 &&
	       c.name == IMAPCMD_NOOP,
	   "and it parses");
	imapcmd_frame_fini(&f);
	arena_reset(&a);
}

static void
test_refusals(void)
{
	struct imapcmd_limits lim;
	struct imapcmd_frame f;
	const char *status;
	char big[200];

	imapcmd_limits_default(&lim);
	lim.max_literal = 1000;
	lim.max_nonsync = 100; /* LITERAL- would be 4096 */
	lim.max_line = 100;
	lim.max_literals = 2;
	lim.max_command = 3000;
	imapcmd_frame_init(&f, &lim);

	ok(LINE(&f, "t1 APPEND x {1001}") == REFUSED &&
	       f.err == IMAPCMD_ERR_TOOBIG && f.need == 0 && eq(f.tag, "t1"),
	   "a synchronising literal too large: refused, nothing to skip");
	ok(strcmp(imapcmd_err_reply(f.err, f.nonsync, &status), "[TOOBIG]") ==
	           0 &&
	       strcmp(status, "NO") == 0,
	   "its reply: NO [TOOBIG]");
	ok(LINE(&f, "t2 NOOP") == DONE && eq(f.tag, "t2"),
	   "the next line is a new command");

	ok(LINE(&f, "t3 APPEND x {101+}") == REFUSED &&
	       f.err == IMAPCMD_ERR_TOOBIG && f.need == 101 && f.nonsync,
	   "a {N+} past max_nonsync (LITERAL-): refused, N bytes to skip");
	ok(strcmp(imapcmd_err_reply(f.err, f.nonsync, &status), "[TOOBIG]") ==
	           0 &&
	       strcmp(status, "BAD") == 0,
	   "its reply: BAD [TOOBIG]");
	memset(big, 'x', sizeof(big));
	is_int(imapcmd_frame_literal(&f, span_make(big, 60)), 60, "skip 60");
	is_int(imapcmd_frame_literal(&f, span_make(big, 60)), 41, "skip 41");
	ok(LINE(&f, " {5+}") == SKIPPED && f.need == 5,
	   "the rest of the refused command, with another {5+}");
	is_int(imapcmd_frame_literal(&f, span_make(big, 5)), 5, "skip 5");
	ok(LINE(&f, " tail") == SKIPPED && f.need == 0,
	   "the refused command's last line");
	ok(LINE(&f, "t4 NOOP") == DONE && eq(f.tag, "t4") && f.text.len == 7,
	   "and a new command after it");
	ok(LINE(&f, "t4b APPEND x {101}") == LIT,
	   "{101} is fine, synchronised");
	imapcmd_frame_reset(&f);

	ok(LINE(&f, "t5 APPEND x {99999999999999999999999+}") == REFUSED &&
	       f.need == 0,
	   "a {N+} of unknown length cannot be skipped");
	ok(LINE(&f, "t6 LOGIN {1}") == LIT &&
	       imapcmd_frame_literal(&f, span_str("a")) == 1 &&
	       LINE(&f, " {1}") == LIT &&
	       imapcmd_frame_literal(&f, span_str("b")) == 1 &&
	       LINE(&f, " {1}") == REFUSED && f.err == IMAPCMD_ERR_LIMIT &&
	       strstr(f.why.msg, "too many literals") && eq(f.tag, "t6"),
	   "a third literal is one too many; the tag is still known");
	ok(strcmp(imapcmd_err_reply(f.err, false, &status), "[LIMIT]") == 0 &&
	       strcmp(status, "BAD") == 0,
	   "its reply: BAD [LIMIT]");

	memset(big, 'y', sizeof(big));
	memcpy(big, "t7 NOOP ", 8);
	big[101] = '\0';
	ok(LINE(&f, big) == REFUSED && f.err == IMAPCMD_ERR_LIMIT &&
	       strstr(f.why.msg, "line too long") && eq(f.tag, "t7"),
	   "a line of 101 bytes: refused, tag kept");
	memcpy(big + 96, "{10+}", 6);
	ok(LINE(&f, big) == REFUSED && f.need == 10,
	   "a too-long line announcing {10+}: its literal is skipped");
	imapcmd_frame_reset(&f);
	ok(LINE(&f, "* NOOP {2000}") == REFUSED && f.tag.len == 0,
	   "no tag: the reply is untagged");
	imapcmd_frame_reset(&f);

	/* max_command 3000: 2 literals of 1000, lines, then no more. */
	ok(LINE(&f, "t8 APPEND x {1000}") == LIT, "first 1000");
	imapcmd_frame_literal(&f, span_make(big, 100));
	ok(imapcmd_frame_literal(&f, span_make(big, 200)) == 200 &&
	       f.need == 700,
	   "fed in pieces");
	imapcmd_frame_reset(&f);
	lim.max_command = 1050;
	imapcmd_frame_fini(&f);
	imapcmd_frame_init(&f, &lim);
	ok(LINE(&f, "t9 APPEND x {1000}") == LIT, "1000 of 1050");
	while (f.need > 0)
		imapcmd_frame_literal(&f, span_make(big, 100));
	ok(LINE(&f, " {100}") == REFUSED && f.err == IMAPCMD_ERR_LIMIT &&
	       strstr(f.why.msg, "command too long"),
	   "the whole command past max_command");
	imapcmd_frame_fini(&f);
}

/* A very deep or very wide command stays within its limits. */
static void
test_hostile(void)
{
	struct imapcmd_limits lim;
	struct imapcmd_input in = {{NULL, 0}, NULL, 0};
	struct arena a;
	struct imapcmd c;
	struct why why;
	struct buf b;
	size_t i;

	imapcmd_limits_default(&lim);
	arena_init(&a, 64 * 1024 * 1024);
	buf_init(&b, 64 * 1024 * 1024);

	buf_adds(&b, "a FETCH 1 ");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, '(');
	in.text = buf_span(&b);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT && strstr(why.msg, "nested"),
	   "100000 '(': %s", why.msg);
	buf_reset(&b);
	buf_adds(&b, "a SEARCH");
	for (i = 0; i < 50000; i++)
		buf_adds(&b, " NOT");
	buf_adds(&b, " ALL");
	in.text = buf_span(&b);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT && strstr(why.msg, "nested"),
	   "NOT x 50000: %s", why.msg);
	buf_reset(&b);
	buf_adds(&b, "a SEARCH");
	for (i = 0; i < lim.max_depth; i++)
		buf_adds(&b, " NOT");
	buf_adds(&b, " ALL");
	in.text = buf_span(&b);
	arena_reset(&a);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == 0,
	   "NOT x max_depth is fine");

	buf_reset(&b);
	buf_adds(&b, "a ID (");
	for (i = 0; i < 200000; i++)
		buf_adds(&b, "x ");
	buf_adds(&b, ")");
	in.text = buf_span(&b);
	arena_reset(&a);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT && strstr(why.msg, "too many"),
	   "200000 atoms: %s", why.msg);
	lim.max_nodes = 5;
	in.text = span_str("a LOGIN (a b c) (d e f)");
	arena_reset(&a);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT,
	   "max_nodes 5");
	imapcmd_limits_default(&lim);

	/* An arena too small: LIMIT, not a crash. */
	arena_reset(&a);
	arena_init(&a, 64);
	in.text = span_str("a FETCH 1:* (FLAGS UID ENVELOPE BODY[])");
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT && strstr(why.msg, "too complex"),
	   "a full arena: %s", why.msg);
	arena_reset(&a);
	arena_init(&a, 1 << 20);

	/* A sequence set past max_seq ranges. */
	lim.max_seq = 10;
	buf_reset(&b);
	buf_adds(&b, "a FETCH ");
	for (i = 1; i < 40; i++)
		buf_addf(&b, "%zu,", 2 * i);
	buf_adds(&b, "1 FLAGS");
	in.text = buf_span(&b);
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
	       c.err == IMAPCMD_ERR_LIMIT && strstr(why.msg, "too many"),
	   "39 ranges with max_seq 10: %s", why.msg);
	in.text = span_str("a FETCH 1,2,3,4,5,6,7,8,9,10,11,12,13,14 FLAGS");
	ok(imapcmd_parse(&in, &lim, &a, &c, &why) == 0,
	   "14 elements in one range are fine");
	imapcmd_limits_default(&lim);

	/* A million-element set through the frame: refused as a line too
	 * long by default; with the line limit raised, merged into one
	 * range in a set of max_seq slots. */
	{
		struct imapcmd_frame f;
		struct imapcmd_input fin;

		buf_reset(&b);
		buf_adds(&b, "a UID FETCH ");
		for (i = 1; i <= 1000000; i++)
			buf_addf(&b, "%zu,", i);
		buf_adds(&b, "* FLAGS");
		imapcmd_frame_init(&f, &lim);
		ok(imapcmd_frame_line(&f, buf_span(&b)) ==
		           IMAPCMD_FRAME_REFUSED &&
		       f.err == IMAPCMD_ERR_LIMIT && eq(f.tag, "a"),
		   "a million-element set: line too long");
		imapcmd_frame_fini(&f);
		lim.max_line = IMAPCMD_MAX_LINE_CEILING;
		lim.max_seq = 4;
		imapcmd_frame_init(&f, &lim);
		buf_reset(&b);
		buf_adds(&b, "a UID FETCH ");
		for (i = 1; i <= 100000; i++)
			buf_addf(&b, "%zu,", i);
		buf_adds(&b, "* FLAGS");
		arena_reset(&a);
		ok(imapcmd_frame_line(&f, buf_span(&b)) == IMAPCMD_FRAME_DONE,
		   "100000 elements in a 1 MiB line");
		imapcmd_frame_input(&f, &fin);
		ok(imapcmd_parse(&fin, &lim, &a, &c, &why) == 0 &&
		       c.u.fetch.set.n == 1 && c.u.fetch.set.star &&
		       c.u.fetch.set.r[0].hi == 100000,
		   "merged into one range and a star");
		imapcmd_frame_fini(&f);
		imapcmd_limits_default(&lim);
	}

	/* Literal bookkeeping that does not add up (a session bug). */
	{
		struct span lit[1] = {{(const unsigned char *)"abc", 3}};

		in.text = span_str("a LOGIN {4}\r\n x");
		in.lit = lit;
		in.nlit = 1;
		ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
		       strstr(why.msg, "mismatch"),
		   "a literal of the wrong length");
		in.text = span_str("a LOGIN x y");
		ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
		       strstr(why.msg, "mismatch"),
		   "a literal left over");
		in.text = span_str("a LOGIN {3}\r\n {3}\r\n");
		ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
		       strstr(why.msg, "mismatch"),
		   "a literal missing");
		lim.max_literal = 2;
		in.text = span_str("a LOGIN {3}\r\n x");
		ok(imapcmd_parse(&in, &lim, &a, &c, &why) == -1 &&
		       c.err == IMAPCMD_ERR_TOOBIG,
		   "a literal past max_literal");
		imapcmd_limits_default(&lim);
		in.lit = NULL;
		in.nlit = 0;
	}
	buf_fini(&b);
	arena_reset(&a);
}

static void
test_misc(void)
{
	struct imapcmd_limits lim;
	const char *status;

	imapcmd_limits_default(&lim);
	lim.max_line = SIZE_MAX;
	lim.max_literal = UINT64_MAX;
	lim.max_nonsync = UINT64_MAX;
	lim.max_depth = 0xffffffff;
	lim.max_seq = 0;
	imapcmd_limits_clamp(&lim);
	ok(lim.max_line == IMAPCMD_MAX_LINE_CEILING &&
	       lim.max_literal == IMAPCMD_MAX_LITERAL_CEILING &&
	       lim.max_nonsync == lim.max_literal &&
	       lim.max_depth == IMAPCMD_MAX_DEPTH_CEILING && lim.max_seq == 2,
	   "limits are clamped to their ceilings");
	ok(strcmp(imapcmd_err_reply(IMAPCMD_ERR_BADCHARSET, false, &status),
	          "[BADCHARSET (US-ASCII UTF-8)]") == 0 &&
	       strcmp(status, "NO") == 0,
	   "BADCHARSET: NO");
	ok(strcmp(imapcmd_err_reply(IMAPCMD_ERR_BAD, false, &status),
	          "[PARSE]") == 0 &&
	       strcmp(status, "BAD") == 0,
	   "BAD [PARSE]");
	ok(strcmp(imapcmd_err_reply(IMAPCMD_ERR_UNKNOWN, false, &status), "") ==
	           0 &&
	       strcmp(status, "BAD") == 0,
	   "unknown: plain BAD");
	ok(strcmp(imapcmd_name_str(IMAPCMD_GETQUOTAROOT), "GETQUOTAROOT") ==
	           0 &&
	       strcmp(imapcmd_name_str(IMAPCMD_NONE), "?") == 0,
	   "names");
}

int
main(void)
{
	test_announce();
	test_tag();
	test_sync();
	test_refusals();
	test_hostile();
	test_misc();
	return done_testing();
}
