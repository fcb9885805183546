/*
 * msgcache.c - open a message cache blob, checking every rule of
 * mail/msgcache_format.h (the reading itself is in msgcache_get.c).
 * Linked into: imapd, pop3d and the store tools.  Trust: the blob comes
 * from an index file that may be damaged or planted: nothing is used
 * before msgcache_open has checked the checksum, every length and
 * offset against the blob, every index against its section, every part
 * against the message size and its parent, and the order of the lists
 * (so each check is one pass; no allocation, a fixed stack for the tree).
 * After that the accessors need no checks of their own.
 */
#include <string.h>

#include "mail/msgcache.h"
#include "mail/msgcache_format.h"

const char *const msgcache_field_names[MC_NFIELDNAMES] = {
    "date",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
    "importance",
    "priority",
    "x-priority",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "delivered-to",
    "return-path",
    "newsgroups",
    "mime-version",
};

#define ALL_FLAGS (MSGCACHE_F_LIMITED | MSGCACHE_F_ADDR_CUT)
#define ALL_MIME_FLAGS                                                         \
	(MIME_F_MULTIPART | MIME_F_RFC822 | MIME_F_MESSAGE | MIME_F_DEFAULT |  \
	 MIME_F_LIMIT)

static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 31);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)mc_get32(p) | (uint64_t)mc_get32(p + 4) << 32;
}

/* Two independent lanes of 8 bytes each, so that the multiplies overlap;
 * each step is a bijection of the lane, so any one changed word changes
 * the result. */
uint64_t
msgcache_sum(const unsigned char *p, size_t n)
{
	uint64_t a = 0x9e3779b97f4a7c15ull ^ n;
	uint64_t b = 0x6a09e667f3bcc909ull;
	uint64_t w = 0;
	size_t i = 0;
	size_t j;

	for (; i + 16 <= n; i += 16) {
		a = mix(a, get64(p + i));
		b = mix(b, get64(p + i + 8));
	}
	if (i + 8 <= n) {
		a = mix(a, get64(p + i));
		i += 8;
	}
	for (j = 0; i + j < n; j++)
		w |= (uint64_t)p[i + j] << (8 * j);
	a = mix(a, w);
	a = mix(a, b);
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ull;
	return a ^ (a >> 33);
}

/* Is r NIL or a string wholly inside the strings section? */
static bool
str_ok(const struct msgcache *mc, uint32_t r, bool nil_ok)
{
	if (r == MC_NONE)
		return nil_ok;
	return r <= mc->strings_len && mc->strings_len - r >= 4 &&
	       mc_get32(mc->strings + r) <= mc->strings_len - r - 4;
}

/* The fixed header: magic, version, sizes, checksum, section bounds. */
static int
read_header(struct span blob, struct msgcache *mc, struct why *why)
{
	const unsigned char *h = blob.p;
	const unsigned char **sec[7] = {&mc->parts,  &mc->envs,   &mc->addrs,
	                                &mc->params, &mc->fields, &mc->strings,
	                                &mc->fdata};
	uint64_t len[7];
	uint64_t off = MC_HDR_LEN;
	uint64_t sum;
	int s;

	if (blob.len < MC_HDR_LEN + MC_SUM_LEN || memcmp(h, MC_MAGIC, 4) != 0)
		return why_set(why, "not a message cache blob");
	if (mc_get16(h + 4) != MC_VERSION)
		return why_set(why, "message cache version %u unknown",
		               mc_get16(h + 4));
	if (mc_get16(h + 6) != MC_HDR_LEN ||
	    mc_get32(h + MC_H_SIZE) != blob.len)
		return why_set(why, "message cache blob has the wrong length");
	sum = get64(h + blob.len - MC_SUM_LEN);
	if (msgcache_sum(h, blob.len - MC_SUM_LEN) != sum)
		return why_set(why, "message cache checksum mismatch");
	mc->blob = blob;
	mc->flags = mc_get32(h + MC_H_FLAGS);
	mc->msg_size = mc_get32(h + MC_H_MSG_SIZE);
	mc->header_size = mc_get32(h + MC_H_HDR_SIZE);
	mc->nparts = mc_get32(h + MC_H_NPARTS);
	mc->nenvs = mc_get32(h + MC_H_NPARTS + 4);
	mc->naddrs = mc_get32(h + MC_H_NPARTS + 8);
	mc->nparams = mc_get32(h + MC_H_NPARTS + 12);
	mc->nfields = mc_get32(h + MC_H_NPARTS + 16);
	mc->strings_len = mc_get32(h + MC_H_STRINGS);
	mc->fdata_len = mc_get32(h + MC_H_FDATA);
	mc->mask = mc_get32(h + MC_H_MASK);
	len[0] = (uint64_t)mc->nparts * MC_PART_LEN;
	len[1] = (uint64_t)mc->nenvs * MC_ENV_LEN;
	len[2] = (uint64_t)mc->naddrs * MC_ADDR_LEN;
	len[3] = (uint64_t)mc->nparams * MC_PARAM_LEN;
	len[4] = (uint64_t)mc->nfields * MC_FIELD_LEN;
	len[5] = mc->strings_len;
	len[6] = mc->fdata_len;
	for (s = 0; s < 7; s++) {
		*sec[s] = h + off;
		off += len[s];
	}
	if (off != blob.len - MC_SUM_LEN || (mc->flags & ~ALL_FLAGS) ||
	    mc->msg_size == MC_NONE || mc->nparts == 0 ||
	    mc->nparts > MIME_MAX_PARTS || (mc->mask >> MC_NFIELDNAMES) != 0 ||
	    get64(h + 56) != 0)
		return why_set(why, "bad message cache header");
	return 0;
}

/* The tree links of part i, given the stack of its open ancestors. */
static int
check_links(const struct msgcache *mc, uint32_t i, uint32_t *stack, size_t *sp)
{
	uint32_t parent = mc_pget(mc, i, MC_P_PARENT);
	uint32_t end = mc_pget(mc, i, MC_P_END);

	while (*sp > 0 && mc_pget(mc, stack[*sp - 1], MC_P_END) <= i)
		(*sp)--;
	if (end <= i || end > mc->nparts)
		return -1;
	if (i == 0 ? parent != MC_NONE || end != mc->nparts
	           : *sp == 0 || parent != stack[*sp - 1] ||
	                 end > mc_pget(mc, parent, MC_P_END))
		return -1;
	if (*sp > MIME_MAX_DEPTH)
		return -1;
	stack[(*sp)++] = i;
	return 0;
}

/* The offsets and flags of part i, against the message and its parent. */
static int
check_extent(const struct msgcache *mc, uint32_t i)
{
	uint32_t parent = mc_pget(mc, i, MC_P_PARENT);
	uint32_t flags = mc_pget(mc, i, MC_P_FLAGS);
	uint64_t off = mc_pget(mc, i, MC_P_OFF);
	uint64_t blen = mc_pget(mc, i, MC_P_BLEN);
	uint64_t end = off + mc_pget(mc, i, MC_P_HLEN) + blen;
	uint32_t pflags = i > 0 ? mc_pget(mc, parent, MC_P_FLAGS) : 0;
	uint64_t pbody;

	if ((flags & ~ALL_MIME_FLAGS) || mc_pget(mc, i, MC_P_LINES) > blen ||
	    end > mc->msg_size)
		return -1;
	if (i == 0)
		return off == 0 && end == mc->msg_size &&
		               mc_pget(mc, 0, MC_P_HLEN) == mc->header_size &&
		               (flags & MIME_F_MESSAGE)
		           ? 0
		           : -1;
	pbody = mc_pget(mc, parent, MC_P_OFF) + mc_pget(mc, parent, MC_P_HLEN);
	if (off < pbody || end > pbody + mc_pget(mc, parent, MC_P_BLEN))
		return -1;
	/* An embedded message is the one child of a message/rfc822 part. */
	if (!(flags & MIME_F_MESSAGE) != !(pflags & MIME_F_RFC822))
		return -1;
	if ((pflags & MIME_F_RFC822) &&
	    (i != parent + 1 ||
	     mc_pget(mc, i, MC_P_END) != mc_pget(mc, parent, MC_P_END)))
		return -1;
	return 0;
}

/* The strings, parameters and envelope link of part i. */
static int
check_fields(const struct msgcache *mc, uint32_t i, uint64_t *next_param)
{
	const unsigned char *p = mc_part_rec(mc, i);
	uint32_t flags = mc_get32(p + MC_P_FLAGS);
	uint32_t end = mc_get32(p + MC_P_END);
	uint32_t env = mc_get32(p + MC_P_ENV);
	int k;

	for (k = 0; k < 8; k++)
		/* type, subtype and encoding are never NIL */
		if (!str_ok(mc, mc_get32(p + MC_P_STR + 4 * k),
		            k != 0 && k != 1 && k != 4))
			return -1;
	if (mc_get32(p + MC_P_PARAMS) != *next_param ||
	    mc_get16(p + MC_P_NLANG + 2) != 0)
		return -1;
	*next_param += (uint64_t)mc_get16(p + MC_P_NTYPE) +
	               mc_get16(p + MC_P_NDISP) + mc_get16(p + MC_P_NLANG);
	if (*next_param > mc->nparams)
		return -1;
	if ((flags & MIME_F_MULTIPART) && (flags & MIME_F_RFC822))
		return -1;
	if ((flags & MIME_F_RFC822)
	        ? end == i + 1
	        : !(flags & MIME_F_MULTIPART) && end != i + 1)
		return -1;
	if (flags & MIME_F_MESSAGE)
		return env < mc->nenvs &&
		               mc_get32(mc_env_rec(mc, env) + MC_E_PART) == i
		           ? 0
		           : -1;
	return env == MC_NONE ? 0 : -1;
}

static int
check_parts(const struct msgcache *mc, struct why *why)
{
	uint32_t stack[MIME_MAX_DEPTH + 1];
	uint64_t next_param = 0;
	size_t sp = 0;
	uint32_t i;

	for (i = 0; i < mc->nparts; i++) {
		if (check_links(mc, i, stack, &sp) == -1)
			return why_set(why, "bad links of cached part %u", i);
		if (check_extent(mc, i) == -1)
			return why_set(why, "bad extent of cached part %u", i);
		if (check_fields(mc, i, &next_param) == -1)
			return why_set(why, "bad fields of cached part %u", i);
	}
	if (next_param != mc->nparams)
		return why_set(why, "bad count of cached parameters");
	return 0;
}

/* Address i: its strings, and its kind against the open group. */
static int
check_addr(const struct msgcache *mc, uint32_t i, bool *open)
{
	const unsigned char *a = mc_addr_rec(mc, i);
	uint32_t name = mc_get32(a);
	uint32_t route = mc_get32(a + 4);
	uint32_t mailbox = mc_get32(a + 8);
	uint32_t host = mc_get32(a + 12);

	if (!str_ok(mc, name, true) || !str_ok(mc, route, true) ||
	    !str_ok(mc, mailbox, true) || !str_ok(mc, host, true))
		return -1;
	if (host != MC_NONE)
		return mailbox != MC_NONE ? 0 : -1;
	if (name != MC_NONE || route != MC_NONE)
		return -1;
	/* (NIL NIL name NIL) starts a group, (NIL NIL NIL NIL) ends it. */
	if ((mailbox != MC_NONE) == *open)
		return -1;
	*open = !*open;
	return 0;
}

/* Envelopes: strings, and lists that follow each other through addrs. */
static int
check_envs(const struct msgcache *mc)
{
	static const int str_bit[4] = {0, 1, 8, 9};
	uint32_t next = 0;
	uint32_t e;
	int k;

	for (e = 0; e < mc->nenvs; e++) {
		const unsigned char *r = mc_env_rec(mc, e);
		uint32_t present = mc_get32(r + MC_E_PRESENT);
		uint32_t part = mc_get32(r + MC_E_PART);

		if ((present >> 10) != 0 || part >= mc->nparts ||
		    mc_pget(mc, part, MC_P_ENV) != e)
			return -1;
		for (k = 0; k < 4; k++) {
			uint32_t s = mc_get32(r + MC_E_STR + 4 * k);

			if (!str_ok(mc, s, true) ||
			    (s == MC_NONE) == ((present >> str_bit[k]) & 1))
				return -1;
		}
		for (k = 0; k < MSGCACHE_NLISTS; k++) {
			uint32_t first = mc_get32(r + MC_E_LISTS + 8 * k);
			uint32_t n = mc_get32(r + MC_E_LISTS + 8 * k + 4);
			bool open = false;

			if (first != next || n > mc->naddrs - next ||
			    (n > 0 && !((present >> (k + 2)) & 1)))
				return -1;
			for (; next < first + n; next++)
				if (check_addr(mc, next, &open) == -1)
					return -1;
			if (open)
				return -1;
		}
	}
	return next == mc->naddrs ? 0 : -1;
}

static int
check_params(const struct msgcache *mc)
{
	uint32_t i;

	for (i = 0; i < mc->nparams; i++) {
		const unsigned char *p = mc->params + (size_t)i * MC_PARAM_LEN;

		if (!str_ok(mc, mc_get32(p), true) ||
		    !str_ok(mc, mc_get32(p + 4), false))
			return -1;
	}
	return 0;
}

/* Fields: in fdata one after the other, of names the mask covers. */
static int
check_field_recs(const struct msgcache *mc)
{
	uint32_t next = 0;
	uint32_t i;

	for (i = 0; i < mc->nfields; i++) {
		const unsigned char *f = mc->fields + (size_t)i * MC_FIELD_LEN;
		uint32_t id = mc_get16(f + 6);

		if (mc_get32(f) != next || id >= MC_NFIELDNAMES ||
		    !(mc->mask & 1u << id))
			return -1;
		next += mc_get16(f + 4);
		if (next > mc->fdata_len)
			return -1;
	}
	return next == mc->fdata_len ? 0 : -1;
}

int
msgcache_open(struct span blob, struct msgcache *out, struct why *why)
{
	memset(out, 0, sizeof(*out));
	if (read_header(blob, out, why) == -1)
		return -1;
	if (check_parts(out, why) == -1)
		goto bad;
	if (check_envs(out) == -1) {
		why_set(why, "bad cached envelope");
		goto bad;
	}
	if (check_params(out) == -1 || check_field_recs(out) == -1) {
		why_set(why, "bad cached parameter or header field");
		goto bad;
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

int
msgcache_field_id(struct span name)
{
	int k;

	for (k = 0; k < MC_NFIELDNAMES; k++)
		if (span_eq_nocase(name, msgcache_field_names[k]))
			return k;
	return -1;
}
