/*
 * msgcache_build.c - write the cache blob of a message (the layout is in
 * mail/msgcache_format.h).
 * Linked into: lmtpd and the store tools.  Trust: the message is hostile;
 * its MIME tree comes from mail/mime, its addresses from mail/hdraddr,
 * and every list copied into the blob is bounded (parts, parameters,
 * addresses, cached field bytes), so the blob's size is bounded by a
 * small multiple of the message's header bytes.
 */
#include <string.h>

#include "mail/hdr.h"
#include "mail/hdraddr.h"
#include "mail/msgcache.h"
#include "mail/msgcache_format.h"

/* The sections after the header, in blob order. */
enum sec {
	S_PARTS,
	S_ENVS,
	S_ADDRS,
	S_PARAMS,
	S_FIELDS,
	S_STRINGS,
	S_FDATA,
	S_N
};

static const size_t rec_len[S_N] = {
    MC_PART_LEN, MC_ENV_LEN, MC_ADDR_LEN, MC_PARAM_LEN, MC_FIELD_LEN, 1, 1,
};

/* Short strings are shared through a small table of recent ones. */
#define DEDUP_SLOTS 256
#define DEDUP_MAX 32

struct builder {
	struct mime m;
	struct span msg;     /* borrowed for the build */
	struct buf sec[S_N]; /* owned */
	struct buf scratch;  /* owned */
	uint32_t flags;      /* MSGCACHE_F_* */
	uint32_t mask;
	bool failed;                 /* a section passed its bounds */
	uint32_t dedup[DEDUP_SLOTS]; /* string offset + 1, or 0 */
};

/* The envelope's fields, in the order of the present bits. */
enum {
	E_DATE,
	E_SUBJECT,
	E_FROM,
	E_SENDER,
	E_REPLY_TO,
	E_TO,
	E_CC,
	E_BCC,
	E_IN_REPLY_TO,
	E_MESSAGE_ID,
	E_N
};

static const char *const env_names[E_N] = {
    "date", "subject", "from", "sender",      "reply-to",
    "to",   "cc",      "bcc",  "in-reply-to", "message-id",
};

static void
add(struct builder *b, enum sec s, const void *p, size_t n)
{
	if (!b->failed && buf_add(&b->sec[s], p, n) == -1)
		b->failed = true;
}

static uint32_t
count(const struct builder *b, enum sec s)
{
	return (uint32_t)(b->sec[s].len / rec_len[s]);
}

static uint32_t
hash(struct span s)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < s.len; i++)
		h = (h ^ s.p[i]) * 16777619u;
	return h;
}

/* A string reference for s (written, or shared with an equal one). */
static uint32_t
str_ref(struct builder *b, struct span s)
{
	struct buf *st = &b->sec[S_STRINGS];
	uint32_t slot = hash(s) % DEDUP_SLOTS;
	uint32_t off = (uint32_t)st->len;
	unsigned char len[4];

	if (s.len <= DEDUP_MAX && b->dedup[slot] != 0) {
		uint32_t o = b->dedup[slot] - 1;

		if (mc_get32(st->p + o) == s.len &&
		    memcmp(st->p + o + 4, s.p, s.len) == 0)
			return o;
	}
	if (s.len > UINT32_MAX - 8 || st->len + 4 + s.len >= MC_NONE) {
		b->failed = true;
		return MC_NONE;
	}
	mc_put32(len, (uint32_t)s.len);
	add(b, S_STRINGS, len, 4);
	add(b, S_STRINGS, s.p, s.len);
	if (s.len <= DEDUP_MAX && !b->failed)
		b->dedup[slot] = off + 1;
	return b->failed ? MC_NONE : off;
}

static uint32_t
mref(struct builder *b, struct mime_ref r)
{
	return mime_is_nil(r) ? MC_NONE : str_ref(b, mime_str(&b->m, r));
}

/* An unfolded, trimmed header value. */
static uint32_t
unfolded_ref(struct builder *b, struct span v)
{
	buf_reset(&b->scratch);
	if (hdr_unfold(v, &b->scratch) == -1) {
		b->failed = true;
		return MC_NONE;
	}
	return str_ref(b, buf_span(&b->scratch));
}

static void
add_addr(struct builder *b, uint32_t name, uint32_t route, uint32_t mailbox,
         uint32_t host)
{
	unsigned char rec[MC_ADDR_LEN];

	mc_put32(rec, name);
	mc_put32(rec + 4, route);
	mc_put32(rec + 8, mailbox);
	mc_put32(rec + 12, host);
	add(b, S_ADDRS, rec, sizeof(rec));
}

/* Like str_ref, with NIL for an empty string. */
static uint32_t
opt_ref(struct builder *b, struct span s)
{
	return s.len == 0 ? MC_NONE : str_ref(b, s);
}

/* Room left in a list of n for an item (and for a group end after it). */
static bool
list_full(uint32_t n, const struct hdraddr *a, bool open)
{
	uint32_t need = 1;

	if (a->kind == HDRADDR_GROUP_END)
		return false;
	if (open || a->kind == HDRADDR_GROUP_START)
		need++;
	return n + need > MSGCACHE_MAX_ADDRS;
}

/* The address list of value v; its (first, count) go to rec. */
static void
add_list(struct builder *b, struct span v, unsigned char *rec)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct buf text;
	uint32_t n = 0;
	bool open = false;
	int r;

	mc_put32(rec, count(b, S_ADDRS));
	buf_init(&text, MSGCACHE_MAX_ADDR_TEXT);
	hdraddr_init(&it, v);
	while ((r = hdraddr_next(&it, &a, &text)) != 0) {
		if (r == -1 || list_full(n, &a, open))
			b->flags |= MSGCACHE_F_ADDR_CUT;
		if (list_full(n, &a, open))
			break;
		n++;
		if (a.kind == HDRADDR_MAILBOX)
			add_addr(b, opt_ref(b, a.name), opt_ref(b, a.route),
			         str_ref(b, a.mailbox), str_ref(b, a.host));
		else if (a.kind == HDRADDR_GROUP_START)
			add_addr(b, MC_NONE, MC_NONE, str_ref(b, a.name),
			         MC_NONE);
		else
			add_addr(b, MC_NONE, MC_NONE, MC_NONE, MC_NONE);
		open = a.kind == HDRADDR_GROUP_START ||
		       (open && a.kind == HDRADDR_MAILBOX);
	}
	if (open) {
		add_addr(b, MC_NONE, MC_NONE, MC_NONE, MC_NONE);
		n++;
	}
	buf_fini(&text);
	mc_put32(rec + 4, n);
}

/* The envelope of message part i; returns its index. */
static uint32_t
add_env(struct builder *b, uint32_t i)
{
	const struct mime_part *p = mime_part(&b->m, i);
	static const int strs[4] = {E_DATE, E_SUBJECT, E_IN_REPLY_TO,
	                            E_MESSAGE_ID};
	unsigned char rec[MC_ENV_LEN];
	uint32_t index = count(b, S_ENVS);
	uint32_t present = 0;
	struct span v[E_N] = {{NULL, 0}};
	struct hdr_iter it;
	struct hdr_field f;
	int k;

	hdr_init(&it, span_make(b->msg.p + p->off, p->header_len));
	while (hdr_next(&it, &f)) {
		for (k = 0; k < E_N; k++) {
			if (!(present & 1u << k) &&
			    span_eq_nocase(f.name, env_names[k])) {
				present |= 1u << k;
				v[k] = f.value;
			}
		}
	}
	memset(rec, 0, sizeof(rec));
	mc_put32(rec + MC_E_PRESENT, present);
	for (k = 0; k < 4; k++)
		mc_put32(rec + MC_E_STR + 4 * k,
		         present & 1u << strs[k] ? unfolded_ref(b, v[strs[k]])
		                                 : MC_NONE);
	for (k = E_FROM; k <= E_BCC; k++) {
		unsigned char *list = rec + MC_E_LISTS + 8 * (k - E_FROM);

		if (present & 1u << k)
			add_list(b, v[k], list);
		else
			mc_put32(list, count(b, S_ADDRS));
	}
	mc_put32(rec + MC_E_PART, i);
	add(b, S_ENVS, rec, sizeof(rec));
	return index;
}

static void
add_part(struct builder *b, uint32_t i)
{
	const struct mime_part *p = mime_part(&b->m, i);
	const struct mime_ref strs[8] = {
	    p->type,     p->subtype, p->id,          p->description,
	    p->encoding, p->md5,     p->disposition, p->location,
	};
	uint32_t np = p->n_type_params + p->n_disp_params + p->n_lang;
	unsigned char rec[MC_PART_LEN];
	uint32_t k;

	memset(rec, 0, sizeof(rec));
	mc_put32(rec + MC_P_PARENT, p->parent);
	mc_put32(rec + MC_P_END, p->end);
	mc_put32(rec + MC_P_FLAGS, p->flags);
	mc_put32(rec + MC_P_OFF, (uint32_t)p->off);
	mc_put32(rec + MC_P_HLEN, (uint32_t)p->header_len);
	mc_put32(rec + MC_P_BLEN, (uint32_t)p->body_len);
	mc_put32(rec + MC_P_LINES, (uint32_t)p->body_lines);
	for (k = 0; k < 8; k++)
		mc_put32(rec + MC_P_STR + 4 * k, mref(b, strs[k]));
	mc_put32(rec + MC_P_PARAMS, count(b, S_PARAMS));
	mc_put16(rec + MC_P_NTYPE, p->n_type_params);
	mc_put16(rec + MC_P_NDISP, p->n_disp_params);
	mc_put16(rec + MC_P_NLANG, p->n_lang);
	for (k = 0; k < np; k++) {
		const struct mime_param *prm = mime_param(&b->m, p->params + k);
		unsigned char pr[MC_PARAM_LEN];

		mc_put32(pr, mref(b, prm->attr));
		mc_put32(pr + 4, mref(b, prm->value));
		add(b, S_PARAMS, pr, sizeof(pr));
	}
	mc_put32(rec + MC_P_ENV,
	         p->flags & MIME_F_MESSAGE ? add_env(b, i) : MC_NONE);
	add(b, S_PARTS, rec, sizeof(rec));
}

/* The fields of the message header worth keeping, whole names only. */
static void
add_fields(struct builder *b)
{
	const struct mime_part *p = mime_part(&b->m, 0);
	struct span hdr = span_make(b->msg.p, p->header_len);
	size_t size[MC_NFIELDNAMES] = {0};
	size_t total = 0;
	struct hdr_iter it;
	struct hdr_field f;
	int k;

	hdr_init(&it, hdr);
	while (hdr_next(&it, &f))
		if ((k = msgcache_field_id(f.name)) >= 0)
			size[k] += f.line.len;
	for (k = 0; k < MC_NFIELDNAMES; k++) {
		if (size[k] <= MSGCACHE_FIELDS_MAX - total) {
			total += size[k];
			b->mask |= 1u << k;
		}
	}
	hdr_init(&it, hdr);
	while (hdr_next(&it, &f)) {
		unsigned char rec[MC_FIELD_LEN];

		if ((k = msgcache_field_id(f.name)) < 0 || !(b->mask & 1u << k))
			continue;
		mc_put32(rec, (uint32_t)b->sec[S_FDATA].len);
		mc_put16(rec + 4, (uint32_t)f.line.len);
		mc_put16(rec + 6, (uint32_t)k);
		add(b, S_FIELDS, rec, sizeof(rec));
		add(b, S_FDATA, f.line.p, f.line.len);
	}
}

/* Write the header, the sections and the checksum to out. */
static int
assemble(struct builder *b, struct buf *out, struct why *why)
{
	unsigned char h[MC_HDR_LEN];
	unsigned char sum[MC_SUM_LEN];
	size_t total = MC_HDR_LEN + MC_SUM_LEN;
	size_t old = out->len;
	uint64_t v;
	int s;

	for (s = 0; s < S_N; s++)
		total += b->sec[s].len;
	if (total >= MC_NONE)
		return why_set(why, "message cache blob too large");
	memset(h, 0, sizeof(h));
	memcpy(h, MC_MAGIC, 4);
	mc_put16(h + 4, MC_VERSION);
	mc_put16(h + 6, MC_HDR_LEN);
	mc_put32(h + MC_H_FLAGS, b->flags);
	mc_put32(h + MC_H_SIZE, (uint32_t)total);
	mc_put32(h + MC_H_MSG_SIZE, (uint32_t)b->msg.len);
	mc_put32(h + MC_H_HDR_SIZE, (uint32_t)mime_part(&b->m, 0)->header_len);
	for (s = S_PARTS; s <= S_FIELDS; s++)
		mc_put32(h + MC_H_NPARTS + 4 * s, count(b, (enum sec)s));
	mc_put32(h + MC_H_STRINGS, (uint32_t)b->sec[S_STRINGS].len);
	mc_put32(h + MC_H_FDATA, (uint32_t)b->sec[S_FDATA].len);
	mc_put32(h + MC_H_MASK, b->mask);
	if (buf_add(out, h, sizeof(h)) == -1)
		goto full;
	for (s = 0; s < S_N; s++)
		if (buf_addspan(out, buf_span(&b->sec[s])) == -1)
			goto full;
	v = msgcache_sum(out->p + old, total - MC_SUM_LEN);
	mc_put32(sum, (uint32_t)v);
	mc_put32(sum + 4, (uint32_t)(v >> 32));
	if (buf_add(out, sum, sizeof(sum)) == 0)
		return 0;
full:
	buf_truncate(out, old);
	return why_set(why, "message cache blob would pass %zu bytes",
	               out->max);
}

int
msgcache_build(struct span msg, struct buf *out, struct why *why)
{
	struct builder b;
	uint32_t i;
	int r = -1;
	int s;

	memset(&b, 0, sizeof(b));
	b.msg = msg;
	mime_init(&b.m);
	for (s = 0; s < S_N; s++)
		buf_init(&b.sec[s], BUF_MAX_CEILING);
	buf_init(&b.scratch, BUF_MAX_CEILING);
	if (mime_parse(&b.m, msg, why) == -1)
		goto done;
	for (i = 0; i < b.m.nparts; i++)
		add_part(&b, i);
	add_fields(&b);
	if (b.m.limited)
		b.flags |= MSGCACHE_F_LIMITED;
	if (b.failed)
		why_set(why, "message cache blob too large");
	else
		r = assemble(&b, out, why);
done:
	for (s = 0; s < S_N; s++)
		buf_fini(&b.sec[s]);
	buf_fini(&b.scratch);
	mime_fini(&b.m);
	return r;
}
