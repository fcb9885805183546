/*
 * mime.c - parse a message into its MIME tree in one pass over its lines.
 * Linked into: the message cache (lmtpd, imapd, the store tools), the
 * unit test and the fuzz target.  Trust: the message is hostile.  The
 * walk keeps a stack of the open parts (at most MIME_MAX_DEPTH + 1, in
 * a fixed array: no recursion); each line is found once with memchr; a
 * line starting with "--" is compared with the boundaries on the stack
 * (bounded length each); each part's header is read once when it ends.
 * So the time is linear in the message, whatever its shape.
 */
#include <string.h>

#include "base/log.h"
#include "mail/hdr.h"
#include "mail/mime.h"
#include "mail/mimeparam.h"

/* One open part. */
struct frame {
	uint32_t part;
	bool in_body;
	bool active; /* a multipart still looking for its boundary */
	struct mime_ref boundary;
	size_t body_start;
	size_t lines_at_body; /* LFs before body_start */
};

struct ctx {
	struct mime *m;
	struct span msg; /* borrowed for the parse */
	size_t lines;    /* LFs before the current line */
	size_t sp;       /* frames in use; st[d] is the part at depth d */
	size_t nactive;  /* frames with active set */
	bool failed;     /* memory bounds were reached */
	struct buf scratch;
	struct frame st[MIME_MAX_DEPTH + 1];
};

/* The content fields read from a part's header. */
enum field { F_TYPE, F_DISP, F_ENC, F_ID, F_DESC, F_MD5, F_LANG, F_LOC, F_N };

static const char *const field_names[F_N] = {
    "type",        "disposition", "transfer-encoding", "id",
    "description", "md5",         "language",          "location",
};

static struct mime_part *
part_at(struct ctx *c, uint32_t i)
{
	return (struct mime_part *)(void *)c->m->parts.p + i;
}

static struct mime_ref
add_str(struct ctx *c, struct span s)
{
	struct mime_ref r = {MIME_NONE, 0};

	if (c->failed || buf_addspan(&c->m->text, s) == -1) {
		c->failed = true;
		return r;
	}
	/* text's max (BUF_MAX_CEILING) keeps offsets under MIME_NONE. */
	r.off = (uint32_t)(c->m->text.len - s.len);
	r.len = (uint32_t)s.len;
	return r;
}

static struct mime_ref
add_unfolded(struct ctx *c, struct span v)
{
	struct mime_ref r = {MIME_NONE, 0};
	size_t old = c->m->text.len;

	if (c->failed || hdr_unfold(v, &c->m->text) == -1) {
		c->failed = true;
		return r;
	}
	r.off = (uint32_t)old;
	r.len = (uint32_t)(c->m->text.len - old);
	return r;
}

static void
add_param(struct ctx *c, struct mime_ref attr, struct mime_ref value)
{
	struct mime_param p = {attr, value};

	if (c->failed || buf_add(&c->m->params, &p, sizeof(p)) == -1)
		c->failed = true;
	else
		c->m->nparams++;
}

static int
sink_param(void *arg, struct span attr, struct span value)
{
	struct ctx *c = arg;
	uint32_t before = c->m->nparams;

	add_param(c, add_str(c, attr), add_str(c, value));
	return c->m->nparams > before ? 0 : -1;
}

/* Add the parameters of mp; returns how many were added. */
static uint32_t
add_params(struct ctx *c, const struct mimeparam *mp)
{
	uint32_t before = c->m->nparams;

	if (mimeparam_each(mp, &c->scratch, sink_param, c) == -1)
		c->failed = true;
	return c->m->nparams - before;
}

/* Content-Language: a comma-separated list of tags. */
static uint32_t
add_languages(struct ctx *c, struct span v)
{
	struct mime_ref nil = {MIME_NONE, 0};
	uint32_t before = c->m->nparams;
	size_t i = 0;

	while (i < v.len && c->m->nparams - before < MIMEPARAM_MAX) {
		size_t start = i;
		struct span tag;

		while (i < v.len && v.p[i] != ',')
			i++;
		tag = span_trim(span_make(v.p + start, i - start));
		if (tag.len > 0)
			add_param(c, nil, add_unfolded(c, tag));
		i++;
	}
	return c->m->nparams - before;
}

static bool
ref_is(const struct ctx *c, struct mime_ref r, const char *lit)
{
	return span_eq_nocase(mime_str(c->m, r), lit);
}

/* Is part i a message/rfc822 (or RFC 6532 message/global)? */
static bool
is_message(struct ctx *c, uint32_t i)
{
	const struct mime_part *p = part_at(c, i);

	/* RFC 2046 5.2.1: never encoded; an encoded one stays opaque. */
	return ref_is(c, p->type, "message") &&
	       (ref_is(c, p->subtype, "rfc822") ||
	        ref_is(c, p->subtype, "global")) &&
	       !ref_is(c, p->encoding, "base64") &&
	       !ref_is(c, p->encoding, "quoted-printable");
}

/* Content-Type, or its default (RFC 2045 5.2, RFC 2046 5.1.5). */
static void
content_type(struct ctx *c, uint32_t i, const struct span *v)
{
	struct mimeparam mp;
	uint32_t parent = part_at(c, i)->parent;
	bool digest = parent != MIME_NONE &&
	              (part_at(c, parent)->flags & MIME_F_MULTIPART) &&
	              ref_is(c, part_at(c, parent)->subtype, "digest");
	struct mime_part *p;

	mp.valid = false;
	if (v != NULL)
		mimeparam_parse(*v, true, &mp);
	if (!mp.valid) {
		mp.type = span_str(digest ? "message" : "text");
		mp.subtype = span_str(digest ? "rfc822" : "plain");
		mp.n = 0;
		if (!digest) {
			mp.item[0].attr = span_str("charset");
			mp.item[0].value = span_str("us-ascii");
			mp.item[0].quoted = false;
			mp.n = 1;
		}
	}
	p = part_at(c, i);
	p->type = add_str(c, mp.type);
	p->subtype = add_str(c, mp.subtype);
	p->n_type_params = add_params(c, &mp);
	if (!mp.valid)
		p->flags |= MIME_F_DEFAULT;
	if (ref_is(c, p->type, "multipart"))
		p->flags |= MIME_F_MULTIPART;
}

static void
content_disposition(struct ctx *c, uint32_t i, struct span v)
{
	struct mimeparam mp;
	struct mime_ref r;

	mimeparam_parse(v, false, &mp);
	if (!mp.valid)
		return;
	r = add_str(c, mp.type);
	part_at(c, i)->disposition = r;
	part_at(c, i)->n_disp_params = add_params(c, &mp);
}

/* Which content field name is: an F_* or F_N. */
static enum field
field_of(struct span name)
{
	struct span rest;
	int k;

	if (!span_startswith_nocase(name, "content-"))
		return F_N;
	rest = span_make(name.p + 8, name.len - 8);
	for (k = 0; k < F_N; k++)
		if (span_eq_nocase(rest, field_names[k]))
			return (enum field)k;
	return F_N;
}

/* Read the content fields of part i's header (the first of each). */
static void
process_header(struct ctx *c, uint32_t i)
{
	struct mime_part *p = part_at(c, i);
	struct span f[F_N];
	bool seen[F_N] = {false};
	struct hdr_iter it;
	struct hdr_field fld;
	enum field k;

	hdr_init(&it, span_make(c->msg.p + p->off, p->header_len));
	while (hdr_next(&it, &fld)) {
		k = field_of(fld.name);
		if (k != F_N && !seen[k]) {
			seen[k] = true;
			f[k] = fld.value;
		}
	}
	p->params = c->m->nparams;
	content_type(c, i, seen[F_TYPE] ? &f[F_TYPE] : NULL);
	if (seen[F_DISP])
		content_disposition(c, i, f[F_DISP]);
	if (seen[F_LANG])
		part_at(c, i)->n_lang = add_languages(c, f[F_LANG]);
	p = part_at(c, i);
	p->encoding =
	    add_unfolded(c, seen[F_ENC] ? f[F_ENC] : span_str("7BIT"));
	p->id = seen[F_ID] ? add_unfolded(c, f[F_ID]) : p->id;
	p->description =
	    seen[F_DESC] ? add_unfolded(c, f[F_DESC]) : p->description;
	p->md5 = seen[F_MD5] ? add_unfolded(c, f[F_MD5]) : p->md5;
	p->location = seen[F_LOC] ? add_unfolded(c, f[F_LOC]) : p->location;
}

/* A new part at off, pushed as the innermost frame. */
static void
new_part(struct ctx *c, uint32_t parent, size_t off, uint32_t flags)
{
	struct mime_ref nil = {MIME_NONE, 0};
	struct mime_part p;
	struct frame *f;

	ASSERT(c->sp <= MIME_MAX_DEPTH);
	memset(&p, 0, sizeof(p));
	p.parent = parent;
	p.end = MIME_NONE;
	p.depth = (uint32_t)c->sp;
	p.flags = flags;
	p.off = off;
	p.type = p.subtype = p.id = p.description = nil;
	p.encoding = p.md5 = p.disposition = p.location = nil;
	p.params = c->m->nparams;
	if (c->failed || buf_add(&c->m->parts, &p, sizeof(p)) == -1) {
		c->failed = true;
		return;
	}
	f = &c->st[c->sp++];
	memset(f, 0, sizeof(*f));
	f->part = c->m->nparts++;
}

static void
limit(struct ctx *c, uint32_t i)
{
	part_at(c, i)->flags |= MIME_F_LIMIT;
	c->m->limited = true;
}

/* A multipart's header ended: start looking for its boundary. */
static void
start_multipart(struct ctx *c, struct frame *f)
{
	const struct mime_part *p = part_at(c, f->part);
	const struct mime_param *prm = NULL;
	uint32_t k;

	for (k = 0; k < p->n_type_params; k++) {
		prm = mime_param(c->m, p->params + k);
		if (ref_is(c, prm->attr, "boundary"))
			break;
	}
	if (k == p->n_type_params || prm->value.len == 0 ||
	    prm->value.len > MIME_MAX_BOUNDARY)
		return;
	if (p->depth >= MIME_MAX_DEPTH) {
		limit(c, f->part);
		return;
	}
	f->active = true;
	f->boundary = prm->value;
	c->nactive++;
}

/* The empty line that ends the innermost part's header; next follows. */
static void
end_header(struct ctx *c, size_t next)
{
	struct frame *f = &c->st[c->sp - 1];
	uint32_t i = f->part;

	part_at(c, i)->header_len = next - part_at(c, i)->off;
	f->in_body = true;
	f->body_start = next;
	f->lines_at_body = c->lines + 1;
	process_header(c, i);
	if (part_at(c, i)->flags & MIME_F_MULTIPART) {
		start_multipart(c, f);
	} else if (is_message(c, i)) {
		if (part_at(c, i)->depth >= MIME_MAX_DEPTH ||
		    c->m->nparts >= MIME_MAX_PARTS) {
			limit(c, i);
			return;
		}
		new_part(c, i, next, MIME_F_MESSAGE);
		if (!c->failed)
			part_at(c, i)->flags |= MIME_F_RFC822;
	}
}

/*
 * The innermost part ends at *end, with *lines_end LFs before it.  A part
 * that starts after *end (it starts on the delimiter line: the line end
 * before it was the delimiter's) is empty where it starts, and *end moves
 * there (past that one line end) for its ancestors too, so that every
 * part stays inside its parent.
 */
static void
close_frame(struct ctx *c, size_t *end, size_t *lines_end)
{
	struct frame *f = &c->st[--c->sp];
	struct mime_part *p = part_at(c, f->part);

	if (f->active)
		c->nactive--;
	if (*end < p->off) {
		*end = p->off;
		(*lines_end)++;
	}
	if (!f->in_body || *end < f->body_start) {
		/* Also the empty line's end when the delimiter took it. */
		p->header_len = *end - p->off;
		if (!f->in_body)
			process_header(c, f->part);
		p = part_at(c, f->part);
	} else if (*end > f->body_start) {
		p->body_len = *end - f->body_start;
		p->body_lines = *lines_end - f->lines_at_body +
		                (c->msg.p[*end - 1] != '\n');
	}
	p->end = c->m->nparts;
}

/* A delimiter of the multipart at depth k, on the line [pos, next). */
static void
delimiter(struct ctx *c, size_t k, size_t pos, size_t next, bool close)
{
	struct frame *f = &c->st[k];
	size_t eol = 0;
	size_t end;
	size_t lines_end;

	/* RFC 2046 5.1.1: the line end before "--" is the delimiter's. */
	if (pos > 0 && c->msg.p[pos - 1] == '\n')
		eol = pos > 1 && c->msg.p[pos - 2] == '\r' ? 2 : 1;
	end = pos - eol;
	lines_end = c->lines - (eol > 0);
	while (c->sp > k + 1)
		close_frame(c, &end, &lines_end);
	if (!close && c->m->nparts >= MIME_MAX_PARTS)
		limit(c, f->part);
	if (close || c->m->nparts >= MIME_MAX_PARTS) {
		f->active = false;
		c->nactive--;
		return;
	}
	new_part(c, f->part, next, 0);
}

/* Is the line [pos, cend) a delimiter of an open multipart?  Acts on it. */
static bool
try_boundary(struct ctx *c, size_t pos, size_t cend, size_t next)
{
	const unsigned char *m = c->msg.p;
	size_t tend = cend;
	size_t k;

	while (tend > pos && hdr_is_blank(m[tend - 1]))
		tend--;
	for (k = c->sp; k-- > 0;) {
		struct span b;
		size_t i;
		bool close;

		if (!c->st[k].active)
			continue;
		b = mime_str(c->m, c->st[k].boundary);
		if (tend - pos < 2 + b.len || memcmp(m + pos + 2, b.p, b.len))
			continue;
		i = pos + 2 + b.len;
		close = tend - i >= 2 && m[i] == '-' && m[i + 1] == '-';
		if (!close && i != tend)
			continue;
		delimiter(c, k, pos, next, close);
		return true;
	}
	return false;
}

static void
walk(struct ctx *c)
{
	const unsigned char *m = c->msg.p;
	size_t pos = 0;

	while (pos < c->msg.len) {
		size_t cend;
		size_t next;

		hdr_line_at(c->msg, pos, &cend, &next);
		if (c->nactive > 0 && cend - pos >= 2 && m[pos] == '-' &&
		    m[pos + 1] == '-' && try_boundary(c, pos, cend, next))
			;
		else if (!c->st[c->sp - 1].in_body && cend == pos)
			end_header(c, next);
		if (m[next - 1] == '\n')
			c->lines++;
		pos = next;
	}
}

void
mime_init(struct mime *m)
{
	buf_init(&m->parts, MIME_MAX_PARTS * sizeof(struct mime_part));
	buf_init(&m->params, (size_t)MIME_MAX_PARTS * 3 * MIMEPARAM_MAX *
	                         sizeof(struct mime_param));
	buf_init(&m->text, BUF_MAX_CEILING);
	m->nparts = 0;
	m->nparams = 0;
	m->limited = false;
}

void
mime_fini(struct mime *m)
{
	buf_fini(&m->parts);
	buf_fini(&m->params);
	buf_fini(&m->text);
	m->nparts = 0;
	m->nparams = 0;
	m->limited = false;
}

static void
clear(struct mime *m)
{
	buf_reset(&m->parts);
	buf_reset(&m->params);
	buf_reset(&m->text);
	m->nparts = 0;
	m->nparams = 0;
	m->limited = false;
}

int
mime_parse(struct mime *m, struct span msg, struct why *why)
{
	struct ctx c;
	size_t end;

	clear(m);
	if (msg.len >= MIME_NONE)
		return why_set(why, "message too large (4 GiB or more)");
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.msg = msg;
	buf_init(&c.scratch, BUF_MAX_CEILING);
	new_part(&c, MIME_NONE, 0, MIME_F_MESSAGE);
	walk(&c);
	end = msg.len;
	while (c.sp > 0)
		close_frame(&c, &end, &c.lines);
	buf_fini(&c.scratch);
	if (c.failed) {
		clear(m);
		return why_set(why, "message structure too large");
	}
	return 0;
}

const struct mime_part *
mime_part(const struct mime *m, uint32_t i)
{
	ASSERT(i < m->nparts);
	return (const struct mime_part *)(const void *)m->parts.p + i;
}

const struct mime_param *
mime_param(const struct mime *m, uint32_t i)
{
	ASSERT(i < m->nparams);
	return (const struct mime_param *)(const void *)m->params.p + i;
}

struct span
mime_str(const struct mime *m, struct mime_ref r)
{
	if (r.off == MIME_NONE)
		return span_make(NULL, 0);
	return span_make(m->text.p + r.off, r.len);
}
