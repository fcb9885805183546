/*
 * fuzz_imapenc.c - libFuzzer target for lib/mail/imapenc and imapsect.
 * The input is (1) a message: its cache is built and opened, then the
 * ENVELOPE of every message part and the BODYSTRUCTURE and BODY of every
 * part are read back by a strict grammar reader (icheck.h, with the body
 * count imapenc promises), and every section of every part number up to
 * three levels answers with pieces inside the message that add up to
 * the literal's length, header fields equal to a plain filter of the
 * header, and partial ranges equal to substrings of the whole; (2) a blob
 * given the right magic, length and checksum, formatted the same way
 * against a message of zeros; (3) a string: quoted or literal and read
 * back, an astring, a mailbox name, modified UTF-7 both ways with round
 * trips, and an INTERNALDATE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icheck.h"
#include "mail/hdr.h"
#include "mail/imapenc.h"
#include "mail/imapsect.h"
#include "mail/msgcache_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			abort();                                               \
	} while (0)

/* One body node a part written (see imapenc_test's struct_ok). */
static unsigned
nodes_want(const struct msgcache *mc, uint32_t first)
{
	struct msgcache_part p;
	unsigned want = 0;
	uint32_t end;
	uint32_t i;

	msgcache_part(mc, first, &p);
	end = p.end;
	for (i = first; i < end; i++) {
		bool rfc822;

		msgcache_part(mc, i, &p);
		rfc822 = span_eq_nocase(p.type.s, "message") &&
		         span_eq_nocase(p.subtype.s, "rfc822");
		want++;
		if (((p.flags & MIME_F_MULTIPART) && p.end == i + 1) ||
		    (rfc822 && !(p.flags & MIME_F_RFC822)))
			want++;
		if ((p.flags & MIME_F_RFC822) && !rfc822)
			i = p.end - 1;
	}
	return want;
}

static void
structures(const struct msgcache *mc)
{
	struct buf b;
	struct icheck c;
	struct msgcache_part p;
	uint32_t i;
	int ext;

	buf_init(&b, 1 << 26);
	for (i = 0; i < mc->nparts; i++) {
		msgcache_part(mc, i, &p);
		buf_reset(&b);
		CHECK(imapenc_envelope(&b, mc, i) == 0);
		icheck_init(&c, buf_span(&b));
		CHECK(icheck_envelope(&c) && icheck_at_end(&c));
		if ((p.flags & MIME_F_MESSAGE) == 0)
			CHECK(span_eq(buf_span(&b), "(NIL NIL NIL NIL NIL NIL "
			                            "NIL NIL NIL NIL)"));
		for (ext = 0; ext < 2; ext++) {
			buf_reset(&b);
			CHECK(imapenc_bodystructure(&b, mc, i, ext) == 0);
			icheck_init(&c, buf_span(&b));
			CHECK(icheck_body(&c, ext, 0) && icheck_at_end(&c));
			CHECK(c.bodies == nodes_want(mc, i));
		}
	}
	buf_fini(&b);
}

/* The plain reading of HEADER.FIELDS (.NOT), for comparison. */
static void
reference(struct span hdr, const struct imapsect_spec *spec, struct buf *out)
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

/* The answer's bytes, every piece checked to lie inside its source. */
static void
assemble(const struct imapsect *s, struct span msg, uint32_t msg_size,
         struct buf *out)
{
	uint64_t sum = 0;
	size_t i;

	buf_reset(out);
	for (i = 0; i < s->npieces; i++) {
		const struct imapsect_piece *p = imapsect_piece(s, i);
		uint64_t lim = p->in_text ? s->text.len : msg_size;

		CHECK(p->len > 0 && p->off <= lim && p->len <= lim - p->off);
		if (p->in_text)
			buf_add(out, s->text.p + p->off, p->len);
		else if (msg.p != NULL)
			buf_add(out, msg.p + p->off, p->len);
		sum += p->len;
	}
	CHECK(sum == s->len);
}

/* One section of the message (msg.p NULL: a blob's message, all zeros,
 * of which at most zeros.len bytes exist). */
static void
section(const struct msgcache *mc, struct span msg, struct span zeros,
        struct imapsect_spec *spec, struct imapsect *s, struct buf *whole,
        struct buf *part, uint64_t seed)
{
	struct why why;
	struct span hdr = span_make(NULL, 0);
	int r;

	spec->partial = false;
	r = imapsect_get(s, mc, spec, hdr, &why);
	if (r == -1) {
		CHECK(spec->text == IMAPSECT_MIME && spec->npart == 0);
		return;
	}
	if (r == 1) {
		CHECK(spec->text == IMAPSECT_FIELDS ||
		      spec->text == IMAPSECT_FIELDS_NOT);
		CHECK(s->need_off <= mc->msg_size &&
		      s->need_len <= mc->msg_size - s->need_off &&
		      s->need_len > 0);
		if (msg.p != NULL)
			hdr = span_make(msg.p + s->need_off, s->need_len);
		else if (s->need_len <= zeros.len)
			hdr = span_make(zeros.p, s->need_len);
		else
			return;
		CHECK(imapsect_get(s, mc, spec, hdr, &why) == 0);
	}
	assemble(s, msg, mc->msg_size, whole);
	if (msg.p != NULL && r == 1) {
		struct buf want;

		buf_init(&want, 1 << 26);
		reference(hdr, spec, &want);
		CHECK(span_eq_span(buf_span(whole), buf_span(&want)));
		buf_fini(&want);
	} else if (msg.p != NULL && !s->missing &&
	           (spec->text == IMAPSECT_FIELDS ||
	            spec->text == IMAPSECT_FIELDS_NOT)) {
		/* From the cache (of the message's own header) or from an
		 * empty header: what that header says. */
		struct buf want;

		CHECK(s->need_len == 0 ||
		      (s->need_off == 0 && s->need_len == mc->header_size));
		buf_init(&want, 1 << 26);
		reference(span_make(msg.p + s->need_off, s->need_len), spec,
		          &want);
		CHECK(span_eq_span(buf_span(whole), buf_span(&want)));
		buf_fini(&want);
	}
	if (s->missing)
		CHECK(s->len == 0);
	/* A partial range is the substring of the whole. */
	spec->partial = true;
	spec->start = seed % (whole->len + 2);
	spec->len = (seed >> 16) % (whole->len + 2);
	CHECK(imapsect_get(s, mc, spec, hdr, &why) == 0);
	assemble(s, msg, mc->msg_size, part);
	if (msg.p != NULL)
		CHECK(span_eq_span(
		    buf_span(part),
		    span_sub(buf_span(whole), spec->start, spec->len)));
	CHECK(s->len == span_sub(buf_span(whole), spec->start, spec->len).len ||
	      msg.p == NULL);
	buf_reset(part);
	CHECK(imapsect_label(part, spec) == 0);
	CHECK(memchr(part->p, '\n', part->len) == NULL);
}

/* Every section kind of the part numbers up to three levels of 1 .. 3. */
static void
sections(const struct msgcache *mc, struct span msg, struct span zeros,
         uint64_t seed)
{
	/* Part numbers: the count, then the levels. */
	static const uint32_t numbers[][4] = {
	    {0},          {1, 1},       {1, 2},       {1, 3},
	    {2, 1, 1},    {2, 1, 2},    {2, 2, 1},    {2, 2, 2},
	    {2, 3, 1},    {3, 1, 1, 1}, {3, 1, 1, 2}, {3, 1, 2, 1},
	    {3, 2, 1, 1}, {3, 2, 1, 2}, {3, 2, 2, 1}, {3, 2, 2, 2},
	    {3, 3, 1, 1}, {2, 1, 3},    {2, 2, 3},    {2, 3, 2},
	};
	static const struct span names[] = {
	    {(const unsigned char *)"subject", 7},
	    {(const unsigned char *)"FROM", 4},
	    {(const unsigned char *)"Received", 8},
	    {(const unsigned char *)"content-type", 12},
	};
	struct imapsect_spec spec;
	struct imapsect s;
	struct buf whole;
	struct buf part;
	size_t n;
	int k;

	imapsect_init(&s, 1 << 26);
	buf_init(&whole, 1 << 26);
	buf_init(&part, 1 << 26);
	for (n = 0; n < sizeof(numbers) / sizeof(numbers[0]); n++) {
		for (k = IMAPSECT_BODY; k <= IMAPSECT_MIME; k++) {
			memset(&spec, 0, sizeof(spec));
			spec.part = numbers[n] + 1;
			spec.npart = numbers[n][0];
			spec.text = (enum imapsect_text)k;
			spec.names = names;
			spec.nnames = 1 + (seed + n) % 4;
			section(mc, msg, zeros, &spec, &s, &whole, &part,
			        seed * 31 + n * 7 + (uint64_t)k);
		}
	}
	buf_fini(&whole);
	buf_fini(&part);
	imapsect_fini(&s);
}

static uint64_t
seed_of(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < size && i < 64; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h;
}

static void
as_message(struct span in, uint64_t seed)
{
	struct buf blob;
	struct msgcache mc;
	struct why why;

	buf_init(&blob, BUF_MAX_CEILING);
	if (msgcache_build(in, &blob, &why) == 0 &&
	    msgcache_open(buf_span(&blob), &mc, &why) == 0) {
		structures(&mc);
		sections(&mc, in, span_make(NULL, 0), seed);
	}
	buf_fini(&blob);
}

static void
as_blob(const uint8_t *data, size_t size, uint64_t seed)
{
	static unsigned char zeros[1 << 16];
	struct msgcache mc;
	struct why why;
	unsigned char *p;
	uint64_t v;

	if (size < MC_HDR_LEN + MC_SUM_LEN)
		return;
	p = malloc(size);
	memcpy(p, data, size);
	memcpy(p, MC_MAGIC, 4);
	mc_put16(p + 4, MC_VERSION);
	mc_put16(p + 6, MC_HDR_LEN);
	mc_put32(p + MC_H_SIZE, (uint32_t)size);
	v = msgcache_sum(p, size - MC_SUM_LEN);
	mc_put32(p + size - 8, (uint32_t)v);
	mc_put32(p + size - 4, (uint32_t)(v >> 32));
	if (msgcache_open(span_make(p, size), &mc, &why) == 0) {
		structures(&mc);
		struct span none = {NULL, 0}; /* not span_make: it gives "" */

		sections(&mc, none, span_make(zeros, sizeof(zeros)), seed);
	}
	free(p);
}

static void
as_string(struct span in, uint64_t seed)
{
	struct buf b;
	struct buf v;
	struct buf back;
	struct icheck c;
	struct why why;
	size_t i;

	buf_init(&b, 1 << 26);
	buf_init(&v, 1 << 26);
	buf_init(&back, 1 << 26);
	/* The value read back is the input, each NUL as 0x80. */
	buf_set(&back, in.p, in.len);
	for (i = 0; i < back.len; i++)
		if (back.p[i] == 0)
			back.p[i] = 0x80;
	CHECK(imapenc_string(&b, in) == 0);
	icheck_init(&c, buf_span(&b));
	CHECK(icheck_string(&c, &v) && icheck_at_end(&c));
	CHECK(span_eq_span(buf_span(&v), buf_span(&back)));
	buf_reset(&b);
	CHECK(imapenc_astring(&b, in) == 0);
	icheck_init(&c, buf_span(&b));
	CHECK(icheck_astring(&c, &v) && icheck_at_end(&c));
	CHECK(span_eq_span(buf_span(&v), buf_span(&back)));
	buf_reset(&b);
	if (imapenc_mailbox(&b, in, true) == 0) {
		/* UTF8=ACCEPT: an atom, or the name quoted or as a literal. */
		icheck_init(&c, buf_span(&b));
		CHECK(b.p[0] == '"' || icheck_astring(&c, &v));
	}
	if (!span_eq_nocase(in, "INBOX") &&
	    imapenc_mailbox(&b, in, false) == 0) {
		/* A name is valid UTF-8; decode gives it back. */
		buf_reset(&b);
		CHECK(imapenc_mutf7_encode(&b, in) == 0);
		for (i = 0; i < b.len; i++)
			CHECK(b.p[i] >= 0x20 && b.p[i] <= 0x7e);
		buf_reset(&v);
		CHECK(imapenc_mutf7_decode(&v, buf_span(&b), &why) == 0);
		CHECK(span_eq_span(buf_span(&v), in));
	}
	buf_reset(&v);
	if (imapenc_mutf7_decode(&v, in, &why) == 0) {
		buf_reset(&b);
		CHECK(imapenc_mutf7_encode(&b, buf_span(&v)) == 0);
		CHECK(span_eq_span(buf_span(&b), in));
	}
	buf_reset(&b);
	if (imapenc_date_time(&b, (int64_t)seed, (int)(seed >> 48) % 7000) == 0)
		CHECK(b.len == 28 && b.p[0] == '"' && b.p[27] == '"');
	buf_fini(&b);
	buf_fini(&v);
	buf_fini(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = seed_of(data, size);

	as_message(span_make(data, size), seed);
	as_blob(data, size, seed);
	as_string(span_make(data, size), seed);
	return 0;
}
