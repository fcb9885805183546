/*
 * mcheck.h - checks shared by msgcache_test and fuzz_msgcache: that an
 * opened message cache says exactly what a fresh parse of its message
 * says (parts, parameters, envelopes with their addresses, cached header
 * fields), the invariants of any MIME tree, and a walk through every
 * record of a cache.  Each check returns false at the first difference.
 * Linked into: those, mime_test and fuzz_mime.  Trust: not applicable.
 */
#ifndef POSTERN_MCHECK_H
#define POSTERN_MCHECK_H

#include <stdio.h>
#include <string.h>

#include "mail/hdr.h"
#include "mail/hdraddr.h"
#include "mail/mime.h"
#include "mail/msgcache.h"

/*
 * Invariants of any parse: pre-order links, each part inside the message
 * and inside its parent's body, line counts no larger than the body,
 * strings inside the text, parameters inside the list.
 */
/* A message/rfc822 attachment with its own multipart (mime_test has its
 * hand-checked parts, msgcache_test its IMAP sections). */
static const char mcheck_rfc822[] =
    "From: x@example.org\r\n"
    "Content-Type: multipart/mixed; boundary=\"=_a\"\r\n"
    "\r\n"
    "--=_a\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "see attached\r\n"
    "--=_a\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Description: forwarded\r\n"
    "\r\n"
    "From: y@example.org\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"
    "\r\n"
    "--=_b\r\n"
    "\r\n"
    "inner text\r\n"
    "--=_b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "data\r\n"
    "--=_b--\r\n"
    "\r\n"
    "--=_a--\r\n";

/* Text for a TAP line: CR and LF as \r and \n, other control bytes and
 * non-ASCII as \xHH; cut at 250 bytes. */
static inline const char *
mcheck_esc(const char *s, char out[256])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	while (*s != '\0' && n + 4 < 256) {
		unsigned char c = (unsigned char)*s++;

		if (c == '\r' || c == '\n') {
			out[n++] = '\\';
			out[n++] = c == '\r' ? 'r' : 'n';
		} else if (c < 0x20 || c >= 0x7f) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return out;
}

static inline bool
mcheck_tree(const struct mime *m, size_t len)
{
	uint32_t i;

	if (m->nparts == 0 || m->nparts > MIME_MAX_PARTS)
		return false;
	for (i = 0; i < m->nparts; i++) {
		const struct mime_part *p = mime_part(m, i);
		size_t end = p->off + p->header_len + p->body_len;

		if (end > len || p->end <= i || p->end > m->nparts ||
		    p->body_lines > p->body_len || p->depth > MIME_MAX_DEPTH ||
		    p->params + p->n_type_params + p->n_disp_params +
		            p->n_lang >
		        m->nparams ||
		    mime_is_nil(p->type) || mime_is_nil(p->encoding))
			return false;
		if (i == 0 ? p->parent != MIME_NONE || p->off != 0 ||
		                 end != len || p->end != m->nparts
		           : p->parent >= i)
			return false;
		if (i > 0) {
			const struct mime_part *q = mime_part(m, p->parent);
			size_t body = q->off + q->header_len;

			if (p->off < body || end > body + q->body_len ||
			    p->end > q->end || p->depth != q->depth + 1)
				return false;
		}
	}
	return true;
}

/* Read every record through the accessors (ASan sees any stray read). */
static inline size_t
mcheck_walk(const struct msgcache *mc)
{
	struct msgcache_part p;
	struct msgcache_env e;
	struct msgcache_addr a;
	struct msgcache_str s1;
	struct msgcache_str s2;
	struct span name;
	struct span line;
	size_t sum = 0;
	uint32_t i;
	uint32_t c;

	for (i = 0; i < mc->nparts; i++) {
		msgcache_part(mc, i, &p);
		sum += p.type.s.len + p.location.s.len + p.body_len;
		for (c = msgcache_first_child(mc, i); c != MSGCACHE_NONE;
		     c = msgcache_next_sibling(mc, c))
			sum++;
		if (msgcache_envelope(mc, i, &e) == 0)
			sum += e.subject.s.len + e.count[MSGCACHE_TO];
	}
	for (i = 0; i < mc->nparams; i++) {
		msgcache_param(mc, i, &s1, &s2);
		sum += s1.s.len + s2.s.len;
	}
	for (i = 0; i < mc->naddrs; i++) {
		msgcache_addr(mc, i, &a);
		sum += a.name.s.len + a.host.s.len;
	}
	for (i = 0; i < mc->nfields; i++) {
		msgcache_field(mc, i, &name, &line);
		sum += line.len;
	}
	if (msgcache_find(mc, span_str("1.2.1"), &i) == 0)
		sum++;
	return sum;
}

static inline bool
mcheck_str(struct msgcache_str a, const struct mime *m, struct mime_ref r)
{
	return a.nil == mime_is_nil(r) && span_eq_span(a.s, mime_str(m, r));
}

static inline bool
mcheck_part(const struct msgcache *mc, const struct mime *m, uint32_t i)
{
	const struct mime_part *p = mime_part(m, i);
	struct msgcache_part c;
	struct msgcache_str a;
	struct msgcache_str v;
	uint32_t n = p->n_type_params + p->n_disp_params + p->n_lang;
	uint32_t k;

	msgcache_part(mc, i, &c);
	if (c.parent != p->parent || c.end != p->end || c.flags != p->flags ||
	    c.off != p->off || c.header_len != p->header_len ||
	    c.body_len != p->body_len || c.body_lines != p->body_lines ||
	    c.n_type_params != p->n_type_params ||
	    c.n_disp_params != p->n_disp_params || c.n_lang != p->n_lang ||
	    (c.env != MSGCACHE_NONE) != !!(p->flags & MIME_F_MESSAGE))
		return false;
	if (!mcheck_str(c.type, m, p->type) ||
	    !mcheck_str(c.subtype, m, p->subtype) ||
	    !mcheck_str(c.id, m, p->id) ||
	    !mcheck_str(c.description, m, p->description) ||
	    !mcheck_str(c.encoding, m, p->encoding) ||
	    !mcheck_str(c.md5, m, p->md5) ||
	    !mcheck_str(c.disposition, m, p->disposition) ||
	    !mcheck_str(c.location, m, p->location))
		return false;
	for (k = 0; k < n; k++) {
		const struct mime_param *prm = mime_param(m, p->params + k);

		msgcache_param(mc, c.params + k, &a, &v);
		if (!mcheck_str(a, m, prm->attr) ||
		    !mcheck_str(v, m, prm->value))
			return false;
	}
	return true;
}

/* One cached address against one item of a fresh walk. */
static inline bool
mcheck_addr(const struct msgcache_addr *c, const struct hdraddr *a)
{
	if (a->kind == HDRADDR_GROUP_END)
		return c->name.nil && c->route.nil && c->mailbox.nil &&
		       c->host.nil;
	if (a->kind == HDRADDR_GROUP_START)
		return c->name.nil && c->route.nil && c->host.nil &&
		       !c->mailbox.nil && span_eq_span(c->mailbox.s, a->name);
	return c->name.nil == (a->name.len == 0) &&
	       span_eq_span(c->name.s, a->name) &&
	       c->route.nil == (a->route.len == 0) &&
	       span_eq_span(c->route.s, a->route) && !c->mailbox.nil &&
	       span_eq_span(c->mailbox.s, a->mailbox) && !c->host.nil &&
	       span_eq_span(c->host.s, a->host);
}

/*
 * The list of value v (absent: NULL) against count addresses from
 * first.  A list cut short (flag MSGCACHE_F_ADDR_CUT) only needs to be
 * a prefix, closed by a group end if a group was open.
 */
static inline bool
mcheck_list(const struct msgcache *mc, const struct span *v, uint32_t first,
            uint32_t count)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct msgcache_addr c;
	struct buf text;
	bool cut = (mc->flags & MSGCACHE_F_ADDR_CUT) != 0;
	uint32_t n = 0;
	bool good = true;
	int r;

	buf_init(&text, MSGCACHE_MAX_ADDR_TEXT);
	hdraddr_init(&it, v != NULL ? *v : span_make(NULL, 0));
	while (good && n < count && (r = hdraddr_next(&it, &a, &text)) != 0) {
		msgcache_addr(mc, first + n++, &c);
		/* A list cut inside a group ends with a group end of its own.
		 */
		if (!mcheck_addr(&c, &a))
			good = cut && n == count && c.mailbox.nil && c.host.nil;
	}
	if (good && n == count && hdraddr_next(&it, &a, &text) != 0)
		good = cut;
	buf_fini(&text);
	return good && n == count;
}

/* The envelope of message part i against its header, read afresh. */
static inline bool
mcheck_env(const struct msgcache *mc, struct span msg, const struct mime *m,
           uint32_t i)
{
	static const char *const names[10] = {
	    "date", "subject", "from", "sender",      "reply-to",
	    "to",   "cc",      "bcc",  "in-reply-to", "message-id"};
	static const int strs[4] = {0, 1, 8, 9};
	const struct mime_part *p = mime_part(m, i);
	struct msgcache_env e;
	struct msgcache_str s4[4];
	struct span v[10];
	uint32_t present = 0;
	struct hdr_iter it;
	struct hdr_field f;
	struct buf u;
	bool good = true;
	int k;

	if (msgcache_envelope(mc, i, &e) == -1)
		return false;
	hdr_init(&it, span_make(msg.p + p->off, p->header_len));
	while (hdr_next(&it, &f))
		for (k = 0; k < 10; k++)
			if (!(present & 1u << k) &&
			    span_eq_nocase(f.name, names[k])) {
				present |= 1u << k;
				v[k] = f.value;
			}
	s4[0] = e.date;
	s4[1] = e.subject;
	s4[2] = e.in_reply_to;
	s4[3] = e.message_id;
	buf_init(&u, BUF_MAX_CEILING);
	for (k = 0; k < 4 && good; k++) {
		buf_reset(&u);
		if (present & 1u << strs[k])
			hdr_unfold(v[strs[k]], &u);
		good = s4[k].nil == !(present & 1u << strs[k]) &&
		       span_eq_span(s4[k].s, buf_span(&u));
	}
	buf_fini(&u);
	for (k = 0; k < MSGCACHE_NLISTS && good; k++) {
		int b = k + 2;

		/* Sender and Reply-To fall back on From when empty. */
		if ((k == MSGCACHE_SENDER || k == MSGCACHE_REPLY_TO) &&
		    e.first[k] == e.first[MSGCACHE_FROM] &&
		    e.count[k] == e.count[MSGCACHE_FROM] && e.count[k] > 0)
			b = 2;
		good = e.present == present &&
		       mcheck_list(mc, present & 1u << b ? &v[b] : NULL,
		                   e.first[k], e.count[k]);
	}
	return good;
}

/* The cached fields: each one of the message header's, in order. */
static inline bool
mcheck_fields(const struct msgcache *mc, struct span msg)
{
	struct hdr_iter it;
	struct hdr_field f;
	struct span name;
	struct span line;
	uint32_t i = 0;

	hdr_init(&it, span_make(msg.p, mc->header_size));
	while (hdr_next(&it, &f)) {
		if (!msgcache_field_cached(mc, f.name))
			continue;
		if (i >= mc->nfields)
			return false;
		msgcache_field(mc, i++, &name, &line);
		if (!span_eq_nocase(f.name, (const char *)name.p) ||
		    !span_eq_span(f.line, line))
			return false;
	}
	return i == mc->nfields;
}

/* Everything. */
static inline bool
mcheck_all(const struct msgcache *mc, struct span msg, const struct mime *m)
{
	uint32_t i;

	if (mc->msg_size != msg.len || mc->nparts != m->nparts ||
	    !!(mc->flags & MSGCACHE_F_LIMITED) != m->limited ||
	    mc->header_size != mime_part(m, 0)->header_len)
		return false;
	for (i = 0; i < m->nparts; i++)
		if (!mcheck_part(mc, m, i) ||
		    ((mime_part(m, i)->flags & MIME_F_MESSAGE) &&
		     !mcheck_env(mc, msg, m, i)))
			return false;
	return mcheck_fields(mc, msg);
}

#endif
