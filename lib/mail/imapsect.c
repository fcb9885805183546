/*
 * imapsect.c - the pieces of a FETCH BODY[section]<partial> answer: byte
 * ranges of the message file, or header fields filtered from the cache
 * or from the header bytes.
 * Linked into: imapd.  Trust: the spec is a client's (part numbers are
 * checked against the grammar, name lists are bounded and looked up by
 * binary search, so a hostile header costs O(fields * log names)); the
 * cache passed msgcache_open, so every part lies inside the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/hdr.h"
#include "mail/imapenc.h"
#include "mail/imapsect.h"

void
imapsect_init(struct imapsect *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->pieces, max);
	buf_init(&s->text, max);
}

void
imapsect_fini(struct imapsect *s)
{
	buf_fini(&s->pieces);
	buf_fini(&s->text);
	s->npieces = 0;
	s->len = 0;
}

const struct imapsect_piece *
imapsect_piece(const struct imapsect *s, size_t i)
{
	return (const struct imapsect_piece *)(const void *)s->pieces.p + i;
}

static struct imapsect_piece *
piece_at(struct imapsect *s, size_t i)
{
	return (struct imapsect_piece *)(void *)s->pieces.p + i;
}

/* Append a piece, joined to the last one when it continues it. */
static int
add_piece(struct imapsect *s, uint64_t off, uint64_t len, bool in_text)
{
	struct imapsect_piece p = {off, len, in_text};
	struct imapsect_piece *last;

	if (len == 0)
		return 0;
	last = s->npieces > 0 ? piece_at(s, s->npieces - 1) : NULL;
	if (last != NULL && last->in_text == in_text &&
	    last->off + last->len == off) {
		last->len += len;
	} else {
		if (buf_add(&s->pieces, &p, sizeof(p)) == -1)
			return -1;
		s->npieces++;
	}
	s->len += len;
	return 0;
}

/* section-part = nz-number *("." nz-number) (RFC 3501 section 9), and
 * a section text we know. */
static bool
spec_ok(const struct imapsect_spec *spec)
{
	size_t k;

	if (spec->npart > IMAPSECT_MAX_PART || spec->text < IMAPSECT_BODY ||
	    spec->text > IMAPSECT_MIME)
		return false;
	for (k = 0; k < spec->npart; k++)
		if (spec->part[k] == 0)
			return false;
	return true;
}

/* The part number as text ("1.2.3") into out; returns its length. */
static size_t
part_text(const struct imapsect_spec *spec, char out[IMAPSECT_MAX_PART * 11])
{
	size_t n = 0;
	size_t k;

	for (k = 0; k < spec->npart; k++)
		n += (size_t)snprintf(out + n, IMAPSECT_MAX_PART * 11 - n,
		                      k == 0 ? "%u" : ".%u", spec->part[k]);
	return n;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct span *x = a;
	const struct span *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	size_t i;

	for (i = 0; i < n; i++) {
		int cx =
		    x->p[i] >= 'A' && x->p[i] <= 'Z' ? x->p[i] + 32 : x->p[i];
		int cy =
		    y->p[i] >= 'A' && y->p[i] <= 'Z' ? y->p[i] + 32 : y->p[i];

		if (cx != cy)
			return cx - cy;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The names asked for, sorted for binary search. */
struct names {
	struct span v[IMAPSECT_MAX_NAMES];
	size_t n;
	bool exclude; /* HEADER.FIELDS.NOT: keep the fields not named */
};

static bool
keep(const struct names *nm, struct span name)
{
	bool found = nm->n > 0 && bsearch(&name, nm->v, nm->n, sizeof(nm->v[0]),
	                                  cmp_name) != NULL;

	return found != nm->exclude;
}

/* A line end: at the end of the text when the answer ends there (one
 * piece for a cached answer), else the shared CRLF at its start. */
static int
add_crlf(struct imapsect *s)
{
	const struct imapsect_piece *last =
	    s->npieces > 0 ? imapsect_piece(s, s->npieces - 1) : NULL;

	if (last != NULL && last->in_text &&
	    last->off + last->len == s->text.len) {
		if (buf_add(&s->text, "\r\n", 2) == -1)
			return -1;
		return add_piece(s, s->text.len - 2, 2, true);
	}
	return add_piece(s, 0, 2, true);
}

/* A field, from the file at off or copied into the text. */
static int
add_field(struct imapsect *s, uint64_t off, struct span line, bool copy)
{
	if (copy) {
		off = s->text.len;
		if (buf_addspan(&s->text, line) == -1)
			return -1;
	}
	if (add_piece(s, off, line.len, copy) == -1)
		return -1;
	/* The last field of a header without an empty line may lack its
	 * line end; the empty line must still be one line of its own. */
	if (line.len > 0 && line.p[line.len - 1] != '\n')
		return add_crlf(s);
	return 0;
}

/* The fields of the message's header, from the cache. */
static int
fields_cached(struct imapsect *s, const struct msgcache *mc,
              const struct names *nm)
{
	struct span name;
	struct span field;
	uint32_t i;

	for (i = 0; i < mc->nfields; i++) {
		msgcache_field(mc, i, &name, &field);
		if (keep(nm, name) && add_field(s, 0, field, true) == -1)
			return -1;
	}
	return 0;
}

/* The fields of a header block of the file at base, given as hdr. */
static int
fields_file(struct imapsect *s, struct span hdr, uint64_t base,
            const struct names *nm)
{
	struct hdr_iter it;
	struct hdr_field f;

	hdr_init(&it, hdr);
	while (hdr_next(&it, &f))
		if (keep(nm, f.name) &&
		    add_field(s, base + (uint64_t)(f.line.p - hdr.p), f.line,
		              false) == -1)
			return -1;
	return 0;
}

/* Can the cache answer HEADER.FIELDS of part i? */
static bool
cache_answers(const struct msgcache *mc, uint32_t i, const struct names *nm)
{
	size_t k;

	if (i != 0 || nm->exclude)
		return false;
	for (k = 0; k < nm->n; k++)
		if (!msgcache_field_cached(mc, nm->v[k]))
			return false;
	return true;
}

/* HEADER.FIELDS (.NOT) of the header of part i: 0, 1 or -1 as for
 * imapsect_get. */
static int
fields(struct imapsect *s, const struct msgcache *mc, uint32_t i,
       const struct imapsect_spec *spec, struct span hdr, struct why *why)
{
	struct msgcache_part p;
	struct names nm;
	int r;

	if (spec->nnames > IMAPSECT_MAX_NAMES)
		return why_set(why, "too many header field names");
	msgcache_part(mc, i, &p);
	nm.n = spec->nnames;
	nm.exclude = spec->text == IMAPSECT_FIELDS_NOT;
	if (nm.n > 0)
		memcpy(nm.v, spec->names, nm.n * sizeof(nm.v[0]));
	qsort(nm.v, nm.n, sizeof(nm.v[0]), cmp_name);
	s->need_off = p.off;
	s->need_len = p.header_len;
	if (cache_answers(mc, i, &nm)) {
		r = buf_add(&s->text, "\r\n", 2) == -1 ||
		            fields_cached(s, mc, &nm) == -1
		        ? -1
		        : 0;
	} else if (hdr.len != p.header_len) {
		if (hdr.len == 0)
			return 1;
		return why_set(why, "header bytes of the wrong length");
	} else {
		r = buf_add(&s->text, "\r\n", 2) == -1 ||
		            fields_file(s, hdr, p.off, &nm) == -1
		        ? -1
		        : 0;
	}
	if (r == -1 || add_crlf(s) == -1)
		return why_set(why, "section answer too large");
	return 0;
}

/* Cut the answer down to bytes start .. start+len-1. */
static void
cut(struct imapsect *s, uint64_t start, uint64_t len)
{
	uint64_t skip = start;
	uint64_t left = len;
	size_t i;
	size_t n = 0;

	for (i = 0; i < s->npieces && left > 0; i++) {
		struct imapsect_piece p = *piece_at(s, i);

		if (p.len <= skip) {
			skip -= p.len;
			continue;
		}
		p.off += skip;
		p.len -= skip;
		skip = 0;
		if (p.len > left)
			p.len = left;
		left -= p.len;
		*piece_at(s, n++) = p;
	}
	s->npieces = n;
	s->len = len - left;
}

/* The part spec names, as a part index: *i, or false when missing. */
static bool
find_part(const struct msgcache *mc, const struct imapsect_spec *spec,
          uint32_t *i)
{
	struct msgcache_part p;
	char text[IMAPSECT_MAX_PART * 11];

	*i = 0;
	if (spec->npart == 0)
		return true;
	if (msgcache_find(mc, span_make(text, part_text(spec, text)), i) == -1)
		return false;
	if (spec->text == IMAPSECT_BODY || spec->text == IMAPSECT_MIME)
		return true;
	/* HEADER, TEXT, HEADER.FIELDS: of an embedded message only. */
	msgcache_part(mc, *i, &p);
	if (!(p.flags & MIME_F_RFC822))
		return false;
	(*i)++;
	return true;
}

static void
reset(struct imapsect *s)
{
	buf_reset(&s->pieces);
	buf_reset(&s->text);
	s->npieces = 0;
	s->len = 0;
	s->missing = false;
	s->need_off = 0;
	s->need_len = 0;
}

int
imapsect_get(struct imapsect *s, const struct msgcache *mc,
             const struct imapsect_spec *spec, struct span hdr, struct why *why)
{
	struct msgcache_part p;
	uint32_t i;
	int r = 0;

	reset(s);
	if (!spec_ok(spec))
		return why_set(why, "bad section part number or text");
	if (spec->text == IMAPSECT_MIME && spec->npart == 0)
		return why_set(why, "MIME needs a part number");
	if (!find_part(mc, spec, &i)) {
		s->missing = true;
		return 0;
	}
	msgcache_part(mc, i, &p);
	switch (spec->text) {
	case IMAPSECT_BODY:
		if (spec->npart == 0)
			r = add_piece(s, 0, mc->msg_size, false);
		else
			r = add_piece(s, (uint64_t)p.off + p.header_len,
			              p.body_len, false);
		break;
	case IMAPSECT_HEADER:
	case IMAPSECT_MIME:
		r = add_piece(s, p.off, p.header_len, false);
		break;
	case IMAPSECT_TEXT:
		r = add_piece(s, (uint64_t)p.off + p.header_len, p.body_len,
		              false);
		break;
	case IMAPSECT_FIELDS:
	case IMAPSECT_FIELDS_NOT:
		r = fields(s, mc, i, spec, hdr, why);
		if (r != 0)
			return r;
		break;
	}
	if (r == -1)
		return why_set(why, "section answer too large");
	if (spec->partial) {
		uint64_t start = spec->start < s->len ? spec->start : s->len;

		cut(s, start,
		    spec->len < s->len - start ? spec->len : s->len - start);
	}
	return 0;
}

void
imapsect_fix_nul(unsigned char *p, size_t n)
{
	unsigned char *end;

	if (n == 0)
		return;
	end = p + n;
	while (p < end && (p = memchr(p, 0, (size_t)(end - p))) != NULL)
		*p++ = 0x80;
}

int
imapsect_label(struct buf *out, const struct imapsect_spec *spec)
{
	static const char *const names[] = {
	    "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME",
	};
	char text[IMAPSECT_MAX_PART * 11];
	size_t old = out->len;
	size_t k;

	if (!spec_ok(spec) || buf_adds(out, "BODY[") == -1)
		return -1;
	if (buf_add(out, text, part_text(spec, text)) == -1 ||
	    (spec->npart > 0 && spec->text != IMAPSECT_BODY &&
	     buf_addc(out, '.') == -1) ||
	    buf_adds(out, names[spec->text]) == -1)
		goto full;
	if (spec->text == IMAPSECT_FIELDS ||
	    spec->text == IMAPSECT_FIELDS_NOT) {
		for (k = 0; k < spec->nnames; k++)
			if (buf_adds(out, k == 0 ? " (" : " ") == -1 ||
			    imapenc_astring(out, spec->names[k]) == -1)
				goto full;
		if (buf_adds(out, spec->nnames == 0 ? " ()" : ")") == -1)
			goto full;
	}
	if (buf_addc(out, ']') == -1 ||
	    (spec->partial &&
	     buf_addf(out, "<%llu>", (unsigned long long)spec->start) == -1))
		goto full;
	return 0;
full:
	buf_truncate(out, old);
	return -1;
}
