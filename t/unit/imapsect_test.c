/*
 * imapsect_test.c - unit tests for lib/mail/imapsect: every section kind
 * of a hand-checked message with an attached message (byte ranges as
 * msgcache_test has them), missing parts, bad specs, HEADER.FIELDS and
 * HEADER.FIELDS.NOT from the cache and from the header bytes against a
 * plain reference filter, the two-call protocol, partial ranges at and
 * past every edge, labels, NUL fixing, full buffers, and a hostile header
 * with a long name list in bounded time.
 */
#include <time.h>

#include "mail/hdr.h"
#include "mail/imapsect.h"
#include "mcheck.h"
#include "tap.h"

#define L(s) s, sizeof(s) - 1

static bool
open_msg(struct span msg, struct buf *blob, struct msgcache *mc)
{
	struct why why;

	buf_reset(blob);
	if (msgcache_build(msg, blob, &why) == -1 ||
	    msgcache_open(buf_span(blob), mc, &why) == -1) {
		diag("cache: %s", why.msg);
		return false;
	}
	return true;
}

/*
 * Put the answer's bytes into out, checking that every piece lies inside
 * the message or the text and that the pieces add up to s->len.
 */
static bool
assemble(const struct imapsect *s, struct span msg, struct buf *out)
{
	uint64_t sum = 0;
	size_t i;

	buf_reset(out);
	for (i = 0; i < s->npieces; i++) {
		const struct imapsect_piece *p = imapsect_piece(s, i);
		size_t lim = p->in_text ? s->text.len : msg.len;
		const unsigned char *base = p->in_text ? s->text.p : msg.p;

		if (p->len == 0 || p->off > lim || p->len > lim - p->off) {
			diag("piece %zu (%llu+%llu) outside its %zu bytes", i,
			     (unsigned long long)p->off,
			     (unsigned long long)p->len, lim);
			return false;
		}
		buf_add(out, base + p->off, p->len);
		sum += p->len;
	}
	if (sum != s->len) {
		diag("pieces add up to %llu, len says %llu",
		     (unsigned long long)sum, (unsigned long long)s->len);
		return false;
	}
	return true;
}

/* Answer spec in full (reading the header when asked to): 0, or -1. */
static int
answer(struct imapsect *s, const struct msgcache *mc, struct span msg,
       const struct imapsect_spec *spec, struct buf *out, struct why *why)
{
	int r = imapsect_get(s, mc, spec, span_make(NULL, 0), why);

	if (r == 1) {
		if (s->need_off > msg.len ||
		    s->need_len > msg.len - s->need_off)
			return why_set(why, "need outside the message");
		r = imapsect_get(s, mc, spec,
		                 span_make(msg.p + s->need_off, s->need_len),
		                 why);
		if (r == 1)
			return why_set(why, "asked twice");
	}
	if (r == -1)
		return -1;
	return assemble(s, msg, out) ? 0 : why_set(why, "bad pieces");
}

/* Parse "1.2.HEADER.FIELDS (A B)" style text (no partial) into spec;
 * its numbers go to a static array. */
static void
make_spec(const char *text, struct imapsect_spec *spec, struct span *names,
          size_t max)
{
	static const struct {
		const char *name;
		enum imapsect_text text;
	} kinds[] = {
	    {"HEADER.FIELDS.NOT", IMAPSECT_FIELDS_NOT},
	    {"HEADER.FIELDS", IMAPSECT_FIELDS},
	    {"HEADER", IMAPSECT_HEADER},
	    {"TEXT", IMAPSECT_TEXT},
	    {"MIME", IMAPSECT_MIME},
	};
	static uint32_t nums[IMAPSECT_MAX_PART];
	size_t n = 0;
	size_t k;
	const char *p = text;

	memset(spec, 0, sizeof(*spec));
	while (*p >= '0' && *p <= '9' && spec->npart < IMAPSECT_MAX_PART) {
		uint32_t v = 0;

		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint32_t)(*p++ - '0');
		nums[spec->npart++] = v;
		if (*p == '.')
			p++;
	}
	spec->part = nums;
	spec->text = IMAPSECT_BODY;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strncmp(p, kinds[k].name, strlen(kinds[k].name)) == 0) {
			spec->text = kinds[k].text;
			p += strlen(kinds[k].name);
			break;
		}
	}
	if (*p == ' ' && p[1] == '(') {
		struct span rest = span_str(p + 2);
		struct span tok;

		while (n < max && span_token(&rest, " )", &tok))
			names[n++] = tok;
	}
	spec->names = names;
	spec->nnames = n;
}

/* The RFC 3501 reading of HEADER.FIELDS (.NOT), done plainly. */
static void
reference_fields(struct span hdr, const struct imapsect_spec *spec,
                 struct buf *out)
{
	struct hdr_iter it;
	struct hdr_field f;
	size_t k;

	buf_reset(out);
	hdr_init(&it, hdr);
	while (hdr_next(&it, &f)) {
		bool named = false;

		for (k = 0; k < spec->nnames; k++)
			named |= span_eq_span_nocase(f.name, spec->names[k]);
		if (named != (spec->text == IMAPSECT_FIELDS))
			continue;
		buf_addspan(out, f.line);
		if (f.line.p[f.line.len - 1] != '\n')
			buf_adds(out, "\r\n");
	}
	buf_adds(out, "\r\n");
}

/* mcheck_rfc822's parts (msgcache_test): 0 0+70+302, 1 77+28+12,
 * 2 126+64+171, 3 190+86+85, 4 283+2+10, 5 304+42+4. */
static const struct {
	const char *spec;
	long off; /* -1: missing; -2: refused */
	long len;
} sections[] = {
    {"", 0, 372},
    {"HEADER", 0, 70},
    {"TEXT", 70, 302},
    {"1", 105, 12},
    {"1.MIME", 77, 28},
    {"2", 190, 171},
    {"2.MIME", 126, 64},
    {"2.HEADER", 190, 86},
    {"2.TEXT", 276, 85},
    {"2.1", 285, 10},
    {"2.1.MIME", 283, 2},
    {"2.2", 346, 4},
    {"2.2.MIME", 304, 42},
    {"3", -1, 0},
    {"2.3", -1, 0},
    {"1.1", -1, 0},
    {"1.HEADER", -1, 0},
    {"1.TEXT", -1, 0},
    {"1.HEADER.FIELDS (From)", -1, 0},
    {"2.1.HEADER", -1, 0},
    {"2.1.1", -1, 0},
    {"4294967295", -1, 0},
    {"2.4294967295", -1, 0},
    {"MIME", -2, 0},
    {"0", -2, 0},
    {"1.0", -2, 0},
    {"0.1.MIME", -2, 0},
};

static void
test_sections(void)
{
	struct span msg = span_str(mcheck_rfc822);
	struct span names[8];
	struct imapsect_spec spec;
	struct imapsect s;
	struct buf blob;
	struct buf got;
	struct msgcache mc;
	struct why why;
	size_t i;

	buf_init(&blob, 1 << 20);
	buf_init(&got, 1 << 20);
	imapsect_init(&s, 1 << 20);
	if (!ok(open_msg(msg, &blob, &mc), "cache of the rfc822 case"))
		return;
	is_int(msg.len, 372, "372 bytes");
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		int r;

		make_spec(sections[i].spec, &spec, names, 8);
		r = answer(&s, &mc, msg, &spec, &got, &why);
		if (sections[i].off == -2) {
			ok(r == -1, "BODY[%s] refused: %s", sections[i].spec,
			   why.msg);
		} else if (sections[i].off == -1) {
			ok(r == 0 && s.missing && s.len == 0 && s.npieces == 0,
			   "BODY[%s] missing: empty", sections[i].spec);
		} else {
			ok(r == 0 && !s.missing && s.npieces == 1 &&
			       span_eq_span(buf_span(&got),
			                    span_sub(msg,
			                             (size_t)sections[i].off,
			                             (size_t)sections[i].len)),
			   "BODY[%s] is %ld+%ld, one piece", sections[i].spec,
			   sections[i].off, sections[i].len);
		}
	}
	/* Part numbers the grammar has no room for. */
	{
		uint32_t deep[IMAPSECT_MAX_PART + 1];

		for (i = 0; i <= IMAPSECT_MAX_PART; i++)
			deep[i] = 1;
		memset(&spec, 0, sizeof(spec));
		spec.part = deep;
		spec.npart = IMAPSECT_MAX_PART;
		ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 && s.missing,
		   "%d levels: missing", IMAPSECT_MAX_PART);
		spec.npart = IMAPSECT_MAX_PART + 1;
		ok(imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why) ==
		           -1 &&
		       strstr(why.msg, "part number") != NULL,
		   "%d levels refused", IMAPSECT_MAX_PART + 1);
		spec.npart = 0;
		spec.text = (enum imapsect_text)(IMAPSECT_MIME + 1);
		ok(imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why) ==
		           -1 &&
		       imapsect_label(&got, &spec) == -1,
		   "an unknown section text refused");
	}
	/* A message that is not multipart: part 1 is its body. */
	msg = span_str("Subject: x\r\n\r\nbody\r\n");
	open_msg(msg, &blob, &mc);
	make_spec("1", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "body\r\n"),
	   "single part: BODY[1] is the body");
	make_spec("1.MIME", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "Subject: x\r\n\r\n"),
	   "single part: BODY[1.MIME] is the message header");
	/* An empty message. */
	msg = span_make("", 0);
	open_msg(msg, &blob, &mc);
	make_spec("", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 && s.len == 0 &&
	       !s.missing,
	   "empty message: BODY[] is empty, not missing");
	make_spec("HEADER.FIELDS (Subject)", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "\r\n"),
	   "empty message: HEADER.FIELDS is the empty line");
	imapsect_fini(&s);
	buf_fini(&blob);
	buf_fini(&got);
}

static const char fields_msg[] = "Received: from a\r\n"
                                 "Received: from b\r\n"
                                 "\tby c\r\n"
                                 "From: Ann <ann@example.org>\r\n"
                                 "Subject: first\r\n"
                                 "X-Other: one\r\n"
                                 "not a field\r\n"
                                 "subject: second\r\n"
                                 "To: b@example.org\r\n"
                                 " , c@example.org\r\n"
                                 "Content-Type: message/rfc822\r\n"
                                 "\r\n"
                                 "From: inner@example.org\r\n"
                                 "Subject: inner\r\n"
                                 "X-Inner: yes\r\n"
                                 "\r\n"
                                 "inner body\r\n";

static void
test_fields(void)
{
	static const struct {
		const char *spec;
		bool cached; /* answered without the header bytes */
	} cases[] = {
	    {"HEADER.FIELDS (SUBJECT)", true},
	    {"HEADER.FIELDS (subject FROM)", true},
	    {"HEADER.FIELDS (To)", true},
	    {"HEADER.FIELDS (Bcc)", true},
	    {"HEADER.FIELDS (Subject Subject)", true},
	    {"HEADER.FIELDS (Received)", false},
	    {"HEADER.FIELDS (Subject X-Other)", false},
	    {"HEADER.FIELDS (X-Nothing)", false},
	    {"HEADER.FIELDS (not)", false},
	    {"HEADER.FIELDS.NOT (Subject)", false},
	    {"HEADER.FIELDS.NOT (Received To Content-Type)", false},
	    {"HEADER.FIELDS.NOT (X-Nothing)", false},
	    {"1.HEADER.FIELDS (Subject)", false},
	    {"1.HEADER.FIELDS.NOT (Subject)", false},
	    {"1.HEADER.FIELDS (X-INNER FROM)", false},
	};
	struct span msg = span_str(fields_msg);
	struct span names[8];
	struct imapsect_spec spec;
	struct imapsect s;
	struct buf blob;
	struct buf got;
	struct buf want;
	struct msgcache mc;
	struct msgcache_part p;
	struct why why;
	size_t i;

	buf_init(&blob, 1 << 20);
	buf_init(&got, 1 << 20);
	buf_init(&want, 1 << 20);
	imapsect_init(&s, 1 << 20);
	if (!ok(open_msg(msg, &blob, &mc), "fields message: cache"))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t part = cases[i].spec[0] == '1' ? 1 : 0;
		int r;

		make_spec(cases[i].spec, &spec, names, 8);
		r = imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why);
		msgcache_part(&mc, part, &p);
		if (cases[i].cached)
			ok(r == 0, "%s: from the cache", cases[i].spec);
		else
			ok(r == 1 && s.need_off == p.off &&
			       s.need_len == p.header_len,
			   "%s: asks for the header at %u+%u", cases[i].spec,
			   p.off, p.header_len);
		reference_fields(span_sub(msg, p.off, p.header_len), &spec,
		                 &want);
		ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
		       span_eq_span(buf_span(&got), buf_span(&want)),
		   "%s: the right fields", cases[i].spec);
	}
	make_spec("HEADER.FIELDS (Subject)", &spec, names, 8);
	answer(&s, &mc, msg, &spec, &got, &why);
	ok(span_eq(buf_span(&got),
	           "Subject: first\r\nsubject: second\r\n\r\n") &&
	       s.npieces == 1,
	   "every Subject, as written, then the empty line: one piece");
	make_spec("HEADER.FIELDS.NOT (X-Other Subject)", &spec, names, 8);
	answer(&s, &mc, msg, &spec, &got, &why);
	ok(span_eq(buf_span(&got),
	           "Received: from a\r\nReceived: from b\r\n\tby c\r\n"
	           "From: Ann <ann@example.org>\r\n"
	           "To: b@example.org\r\n , c@example.org\r\n"
	           "Content-Type: message/rfc822\r\n\r\n") &&
	       s.npieces == 3,
	   "the rest, folding kept, the line that is no field left out; "
	   "neighbours joined into 2 ranges + CRLF");
	/* The header bytes must be the ones asked for. */
	make_spec("HEADER.FIELDS (Received)", &spec, names, 8);
	ok(imapsect_get(&s, &mc, &spec, span_make(fields_msg, 10), &why) ==
	           -1 &&
	       strstr(why.msg, "wrong length") != NULL,
	   "header bytes of the wrong length refused");
	/* Too many names. */
	{
		static struct span many[IMAPSECT_MAX_NAMES + 1];

		for (i = 0; i <= IMAPSECT_MAX_NAMES; i++)
			many[i] = span_str("X-A");
		spec.names = many;
		spec.nnames = IMAPSECT_MAX_NAMES + 1;
		ok(imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why) ==
		           -1 &&
		       strstr(why.msg, "too many") != NULL,
		   "%d names refused", IMAPSECT_MAX_NAMES + 1);
		spec.nnames = IMAPSECT_MAX_NAMES;
		ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
		       span_eq(buf_span(&got), "\r\n"),
		   "%d names work", IMAPSECT_MAX_NAMES);
	}
	/* A header without its empty line, its last field without CRLF. */
	msg = span_str("Subject: s\r\nX-A: a");
	open_msg(msg, &blob, &mc);
	make_spec("HEADER.FIELDS (X-A)", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "X-A: a\r\n\r\n"),
	   "a last field without its line end gets one, then the empty line");
	make_spec("HEADER.FIELDS.NOT (Subject)", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "X-A: a\r\n\r\n"),
	   "the same from the header bytes");
	msg = span_str("From: a@b");
	open_msg(msg, &blob, &mc);
	make_spec("HEADER.FIELDS (From)", &spec, names, 8);
	ok(answer(&s, &mc, msg, &spec, &got, &why) == 0 &&
	       span_eq(buf_span(&got), "From: a@b\r\n\r\n"),
	   "the same from the cache");
	imapsect_fini(&s);
	buf_fini(&blob);
	buf_fini(&got);
	buf_fini(&want);
}

/* Every partial of some answers against the substring of the whole. */
static void
test_partial(void)
{
	static const char *const specs[] = {
	    "",
	    "2",
	    "HEADER.FIELDS.NOT (Subject)",
	    "HEADER.FIELDS (Subject To)",
	    "1.HEADER.FIELDS (From X-Inner)",
	    "3",
	};
	static const uint64_t starts[] = {0,   1,    2,          5,         17,
	                                  100, 1000, UINT32_MAX, UINT64_MAX};
	static const uint64_t lens[] = {
	    0, 1, 2, 3, 10, 50, 500, UINT64_MAX - 1, UINT64_MAX};
	struct span msg = span_str(fields_msg);
	struct span names[8];
	struct imapsect_spec spec;
	struct imapsect s;
	struct buf blob;
	struct buf whole;
	struct buf got;
	struct msgcache mc;
	struct why why;
	size_t bad = 0;
	size_t tries = 0;
	size_t i;
	size_t a;
	size_t b;

	buf_init(&blob, 1 << 20);
	buf_init(&whole, 1 << 20);
	buf_init(&got, 1 << 20);
	imapsect_init(&s, 1 << 20);
	open_msg(msg, &blob, &mc);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		make_spec(specs[i], &spec, names, 8);
		answer(&s, &mc, msg, &spec, &whole, &why);
		for (a = 0; a < sizeof(starts) / sizeof(starts[0]); a++) {
			for (b = 0; b < sizeof(lens) / sizeof(lens[0]); b++) {
				struct span want = span_sub(
				    buf_span(&whole),
				    starts[a] < whole.len ? starts[a]
				                          : whole.len,
				    lens[b] < whole.len ? lens[b] : whole.len);

				spec.partial = true;
				spec.start = starts[a];
				spec.len = lens[b];
				tries++;
				if (answer(&s, &mc, msg, &spec, &got, &why) ==
				        -1 ||
				    !span_eq_span(buf_span(&got), want)) {
					if (bad++ == 0)
						diag("%s <%llu.%llu> wrong",
						     specs[i],
						     (unsigned long long)
						         starts[a],
						     (unsigned long long)
						         lens[b]);
				}
			}
		}
		/* Every start and length up to the end and one past it. */
		for (a = 0; a <= whole.len + 1; a++) {
			for (b = 0; b <= whole.len + 1 - a; b += 3) {
				spec.partial = true;
				spec.start = a;
				spec.len = b;
				tries++;
				if (answer(&s, &mc, msg, &spec, &got, &why) ==
				        -1 ||
				    !span_eq_span(
				        buf_span(&got),
				        span_sub(buf_span(&whole), a, b)))
					bad++;
			}
		}
	}
	ok(bad == 0, "%zu partial ranges, each the substring of the whole",
	   tries);
	imapsect_fini(&s);
	buf_fini(&blob);
	buf_fini(&whole);
	buf_fini(&got);
}

static void
test_label(void)
{
	static const struct span names[] = {
	    {(const unsigned char *)"Subject", 7},
	    {(const unsigned char *)"a b", 3},
	    {(const unsigned char *)"NIL", 3},
	    {(const unsigned char *)"X-]", 3},
	};
	static const uint32_t nums[] = {1, 2, 4294967295u, 0};
	static const struct {
		size_t first;
		size_t npart;
		enum imapsect_text text;
		size_t nnames;
		bool partial;
		uint64_t start;
		const char *want; /* NULL: refused */
	} cases[] = {
	    {0, 0, IMAPSECT_BODY, 0, false, 0, "BODY[]"},
	    {0, 0, IMAPSECT_BODY, 0, true, 5, "BODY[]<5>"},
	    {0, 0, IMAPSECT_HEADER, 0, false, 0, "BODY[HEADER]"},
	    {0, 0, IMAPSECT_TEXT, 0, true, UINT64_MAX,
	     "BODY[TEXT]<18446744073709551615>"},
	    {0, 2, IMAPSECT_BODY, 0, false, 0, "BODY[1.2]"},
	    {0, 2, IMAPSECT_MIME, 0, false, 0, "BODY[1.2.MIME]"},
	    {2, 1, IMAPSECT_HEADER, 0, true, 0, "BODY[4294967295.HEADER]<0>"},
	    {0, 0, IMAPSECT_FIELDS, 1, false, 0,
	     "BODY[HEADER.FIELDS (Subject)]"},
	    {1, 1, IMAPSECT_FIELDS_NOT, 4, false, 0,
	     "BODY[2.HEADER.FIELDS.NOT (Subject \"a b\" \"NIL\" X-])]"},
	    {2, 2, IMAPSECT_BODY, 0, false, 0, NULL},
	    {0, IMAPSECT_MAX_PART + 1, IMAPSECT_BODY, 0, false, 0, NULL},
	};
	uint32_t many[IMAPSECT_MAX_PART + 1];
	struct imapsect_spec spec;
	struct buf b;
	size_t need;
	size_t bad = 0;
	size_t i;

	for (i = 0; i <= IMAPSECT_MAX_PART; i++)
		many[i] = 4294967295u;
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&spec, 0, sizeof(spec));
		spec.part = cases[i].npart > 4 ? many : nums + cases[i].first;
		spec.npart = cases[i].npart;
		spec.text = cases[i].text;
		spec.names = names;
		spec.nnames = cases[i].nnames;
		spec.partial = cases[i].partial;
		spec.start = cases[i].start;
		buf_set(&b, "x", 1);
		if (cases[i].want == NULL)
			ok(imapsect_label(&b, &spec) == -1 && b.len == 1,
			   "label of case %zu refused", i);
		else
			ok(imapsect_label(&b, &spec) == 0 &&
			       strcmp(buf_str(&b) + 1, cases[i].want) == 0,
			   "label %s", cases[i].want);
	}
	spec.part = many;
	spec.npart = IMAPSECT_MAX_PART;
	spec.text = IMAPSECT_MIME;
	buf_reset(&b);
	ok(imapsect_label(&b, &spec) == 0 && b.len == 5 + 10 * 32 + 31 + 5 + 1,
	   "the longest part number fits");
	buf_fini(&b);
	/* A full buffer is left as it was. */
	spec.part = nums + 1;
	spec.npart = 1;
	spec.text = IMAPSECT_FIELDS;
	spec.nnames = 4;
	buf_init(&b, 1 << 20);
	imapsect_label(&b, &spec);
	need = b.len;
	buf_fini(&b);
	for (i = 0; i < need; i++) {
		buf_init(&b, i);
		if (imapsect_label(&b, &spec) != -1 || b.len != 0)
			bad++;
		buf_fini(&b);
	}
	buf_init(&b, need);
	ok(bad == 0 && imapsect_label(&b, &spec) == 0,
	   "label in every too-small buffer: -1, unchanged; fits in %zu", need);
	buf_fini(&b);
}

static void
test_fix_nul(void)
{
	unsigned char x[] = {'a', 0, 'b', 0, 0, 0x80, 0};

	imapsect_fix_nul(x, sizeof(x));
	ok(memcmp(x,
	          "a\x80"
	          "b\x80\x80\x80\x80",
	          7) == 0,
	   "every NUL becomes 0x80");
	imapsect_fix_nul(NULL, 0);
	ok(true, "nothing to fix");
}

/* Answers that pass the buffers' max: -1, never a crash. */
static void
test_full(void)
{
	struct buf msg;
	struct buf blob;
	struct buf got;
	struct span names[8];
	struct imapsect_spec spec;
	struct imapsect s;
	struct msgcache mc;
	struct why why;
	int k;

	buf_init(&msg, 1 << 22);
	buf_init(&blob, 1 << 22);
	buf_init(&got, 1 << 22);
	for (k = 0; k < 1000; k++)
		buf_addf(&msg, "X-%d: %s\r\n", k, k % 2 ? "keep" : "drop");
	buf_adds(&msg, "Subject: s\r\n\r\nbody\r\n");
	open_msg(buf_span(&msg), &blob, &mc);
	/* 500 ranges of 24 bytes = 12000 bytes of pieces. */
	imapsect_init(&s, 4096);
	make_spec("HEADER.FIELDS.NOT (X-0 X-2 X-4 X-6)", &spec, names, 8);
	ok(answer(&s, &mc, buf_span(&msg), &spec, &got, &why) == 0,
	   "few ranges fit in 4 KB");
	for (k = 0; k < 8; k++)
		names[k] = span_str("x");
	spec.nnames = 0;
	spec.text = IMAPSECT_FIELDS_NOT;
	ok(answer(&s, &mc, buf_span(&msg), &spec, &got, &why) == 0 &&
	       s.npieces == 2,
	   "HEADER.FIELDS.NOT (): the whole header in one range + CRLF");
	{
		static struct span odd[500];
		char(*bufs)[16] = malloc(500 * 16);

		for (k = 0; k < 500; k++) {
			snprintf(bufs[k], 16, "X-%d", 2 * k);
			odd[k] = span_str(bufs[k]);
		}
		spec.names = odd;
		spec.nnames = 500;
		ok(answer(&s, &mc, buf_span(&msg), &spec, &got, &why) == -1 &&
		       strstr(why.msg, "too large") != NULL,
		   "500 separate ranges do not fit in 4 KB: %s", why.msg);
		imapsect_fini(&s);
		imapsect_init(&s, 1 << 20);
		ok(answer(&s, &mc, buf_span(&msg), &spec, &got, &why) == 0 &&
		       s.npieces == 501,
		   "but in 1 MB: 500 ranges and the CRLF");
		free(bufs);
	}
	imapsect_fini(&s);
	/* The cache's copy of the fields passes a small max. */
	imapsect_init(&s, 8);
	make_spec("HEADER.FIELDS (Subject)", &spec, names, 8);
	ok(imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why) == -1,
	   "cached fields do not fit in 8 bytes");
	imapsect_fini(&s);
	buf_fini(&msg);
	buf_fini(&blob);
	buf_fini(&got);
}

/* 200,000 header fields against 1024 names: bounded time. */
static void
test_hostile(void)
{
	static struct span names[IMAPSECT_MAX_NAMES];
	static char text[IMAPSECT_MAX_NAMES][16];
	struct buf msg;
	struct buf blob;
	struct buf got;
	struct imapsect_spec spec;
	struct imapsect s;
	struct msgcache mc;
	struct why why;
	struct timespec t0;
	struct timespec t1;
	double ms;
	size_t want;
	int k;

	buf_init(&msg, 1 << 24);
	buf_init(&blob, 1 << 24);
	buf_init(&got, 1 << 24);
	for (k = 0; k < 200000; k++)
		buf_addf(&msg, "X-Name-%d: v\r\n", k % 3000);
	buf_adds(&msg, "\r\n");
	for (k = 0; k < IMAPSECT_MAX_NAMES; k++) {
		snprintf(text[k], sizeof(text[k]), "x-name-%d", k * 2);
		names[k] = span_str(text[k]);
	}
	open_msg(buf_span(&msg), &blob, &mc);
	memset(&spec, 0, sizeof(spec));
	spec.text = IMAPSECT_FIELDS;
	spec.names = names;
	spec.nnames = IMAPSECT_MAX_NAMES;
	imapsect_init(&s, 1 << 24);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(answer(&s, &mc, buf_span(&msg), &spec, &got, &why) == 0,
	   "200,000 fields, 1024 names");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* The fields of the even names up to 2046 are kept. */
	want = 2;
	for (k = 0; k < 200000; k++) {
		char f[32];
		int n = k % 3000;

		if (n % 2 == 0 && n <= 2046)
			want += (size_t)snprintf(f, sizeof(f),
			                         "X-Name-%d: v\r\n", n);
	}
	is_int(got.len, want, "the kept fields' bytes");
	ok(ms < 3000, "in %.0f ms", ms);
	imapsect_fini(&s);
	buf_fini(&msg);
	buf_fini(&blob);
	buf_fini(&got);
}

int
main(void)
{
	test_sections();
	test_fields();
	test_partial();
	test_label();
	test_fix_nul();
	test_full();
	test_hostile();
	return done_testing();
}
