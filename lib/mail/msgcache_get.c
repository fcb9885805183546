/*
 * msgcache_get.c - read parts, part numbers, envelopes, addresses and
 * cached header fields out of a message cache blob.
 * Linked into: imapd, pop3d and the store tools.  Trust: the blob was
 * checked whole by msgcache_open (msgcache.c), so every offset and index
 * read here is known to be inside it; an index passed by the caller out
 * of range is our bug (ASSERT).
 */
#include "base/log.h"
#include "base/parse.h"
#include "mail/msgcache.h"
#include "mail/msgcache_format.h"

void
msgcache_part(const struct msgcache *mc, uint32_t i, struct msgcache_part *out)
{
	const unsigned char *p;

	ASSERT(i < mc->nparts);
	p = mc_part_rec(mc, i);
	out->parent = mc_get32(p + MC_P_PARENT);
	out->end = mc_get32(p + MC_P_END);
	out->flags = mc_get32(p + MC_P_FLAGS);
	out->off = mc_get32(p + MC_P_OFF);
	out->header_len = mc_get32(p + MC_P_HLEN);
	out->body_len = mc_get32(p + MC_P_BLEN);
	out->body_lines = mc_get32(p + MC_P_LINES);
	out->type = mc_str(mc, mc_get32(p + MC_P_STR));
	out->subtype = mc_str(mc, mc_get32(p + MC_P_STR + 4));
	out->id = mc_str(mc, mc_get32(p + MC_P_STR + 8));
	out->description = mc_str(mc, mc_get32(p + MC_P_STR + 12));
	out->encoding = mc_str(mc, mc_get32(p + MC_P_STR + 16));
	out->md5 = mc_str(mc, mc_get32(p + MC_P_STR + 20));
	out->disposition = mc_str(mc, mc_get32(p + MC_P_STR + 24));
	out->location = mc_str(mc, mc_get32(p + MC_P_STR + 28));
	out->params = mc_get32(p + MC_P_PARAMS);
	out->n_type_params = mc_get16(p + MC_P_NTYPE);
	out->n_disp_params = mc_get16(p + MC_P_NDISP);
	out->n_lang = mc_get16(p + MC_P_NLANG);
	out->env = mc_get32(p + MC_P_ENV);
}

uint32_t
msgcache_first_child(const struct msgcache *mc, uint32_t i)
{
	ASSERT(i < mc->nparts);
	return i + 1 < mc_pget(mc, i, MC_P_END) ? i + 1 : MSGCACHE_NONE;
}

uint32_t
msgcache_next_sibling(const struct msgcache *mc, uint32_t i)
{
	uint32_t parent;
	uint32_t end;

	ASSERT(i < mc->nparts);
	parent = mc_pget(mc, i, MC_P_PARENT);
	end = mc_pget(mc, i, MC_P_END);
	if (parent == MC_NONE || end >= mc_pget(mc, parent, MC_P_END))
		return MSGCACHE_NONE;
	return end;
}

/* Child n (1-based) of part i, or MSGCACHE_NONE. */
static uint32_t
nth_child(const struct msgcache *mc, uint32_t i, uint64_t n)
{
	uint32_t c = msgcache_first_child(mc, i);

	while (c != MSGCACHE_NONE && --n > 0)
		c = msgcache_next_sibling(mc, c);
	return c;
}

/*
 * One step of a part number from cur.  is_msg: cur stands for a whole
 * message (part 0, or an embedded one), whose part 1 is its body when it
 * is not multipart.
 */
static uint32_t
step(const struct msgcache *mc, uint32_t cur, bool is_msg, uint64_t n)
{
	uint32_t flags = mc_pget(mc, cur, MC_P_FLAGS);

	if (flags & MIME_F_MULTIPART)
		return nth_child(mc, cur, n);
	if (is_msg)
		return n == 1 ? cur : MSGCACHE_NONE;
	if (flags & MIME_F_RFC822)
		return step(mc, cur + 1, true, n);
	return MSGCACHE_NONE;
}

int
msgcache_find(const struct msgcache *mc, struct span number, uint32_t *part_out)
{
	uint32_t cur = 0;
	bool is_msg = true;
	size_t i = 0;
	size_t j;
	uint64_t n;

	for (;;) {
		for (j = i; j < number.len && number.p[j] != '.'; j++)
			;
		if (parse_u64(span_make(number.p + i, j - i), 1, UINT32_MAX,
		              &n) == -1)
			return -1;
		cur = step(mc, cur, is_msg, n);
		if (cur == MSGCACHE_NONE)
			return -1;
		is_msg = false;
		if (j == number.len)
			break;
		i = j + 1;
	}
	*part_out = cur;
	return 0;
}

void
msgcache_param(const struct msgcache *mc, uint32_t i,
               struct msgcache_str *attr_out, struct msgcache_str *value_out)
{
	const unsigned char *p;

	ASSERT(i < mc->nparams);
	p = mc->params + (size_t)i * MC_PARAM_LEN;
	*attr_out = mc_str(mc, mc_get32(p));
	*value_out = mc_str(mc, mc_get32(p + 4));
}

int
msgcache_envelope(const struct msgcache *mc, uint32_t i,
                  struct msgcache_env *out)
{
	const unsigned char *r;
	uint32_t e;
	int k;

	ASSERT(i < mc->nparts);
	e = mc_pget(mc, i, MC_P_ENV);
	if (e == MC_NONE)
		return -1;
	r = mc_env_rec(mc, e);
	out->present = mc_get32(r + MC_E_PRESENT);
	out->date = mc_str(mc, mc_get32(r + MC_E_STR));
	out->subject = mc_str(mc, mc_get32(r + MC_E_STR + 4));
	out->in_reply_to = mc_str(mc, mc_get32(r + MC_E_STR + 8));
	out->message_id = mc_str(mc, mc_get32(r + MC_E_STR + 12));
	for (k = 0; k < MSGCACHE_NLISTS; k++) {
		out->first[k] = mc_get32(r + MC_E_LISTS + 8 * k);
		out->count[k] = mc_get32(r + MC_E_LISTS + 8 * k + 4);
	}
	/* RFC 3501 7.4.2: the server puts From where these are missing. */
	for (k = MSGCACHE_SENDER; k <= MSGCACHE_REPLY_TO; k++) {
		if (out->count[k] == 0) {
			out->first[k] = out->first[MSGCACHE_FROM];
			out->count[k] = out->count[MSGCACHE_FROM];
		}
	}
	return 0;
}

void
msgcache_addr(const struct msgcache *mc, uint32_t i, struct msgcache_addr *out)
{
	const unsigned char *a;

	ASSERT(i < mc->naddrs);
	a = mc_addr_rec(mc, i);
	out->name = mc_str(mc, mc_get32(a));
	out->route = mc_str(mc, mc_get32(a + 4));
	out->mailbox = mc_str(mc, mc_get32(a + 8));
	out->host = mc_str(mc, mc_get32(a + 12));
}

bool
msgcache_field_cached(const struct msgcache *mc, struct span name)
{
	int id = msgcache_field_id(name);

	return id >= 0 && (mc->mask & 1u << id);
}

void
msgcache_field(const struct msgcache *mc, uint32_t i, struct span *name_out,
               struct span *field_out)
{
	const unsigned char *f;

	ASSERT(i < mc->nfields);
	f = mc->fields + (size_t)i * MC_FIELD_LEN;
	*name_out = span_str(msgcache_field_names[mc_get16(f + 6)]);
	*field_out = span_make(mc->fdata + mc_get32(f), mc_get16(f + 4));
}

int
msgcache_field_find(const struct msgcache *mc, struct span name,
                    struct span *field_out)
{
	int id = msgcache_field_id(name);
	uint32_t i;

	if (id < 0 || !(mc->mask & 1u << id))
		return -1;
	for (i = 0; i < mc->nfields; i++) {
		const unsigned char *f = mc->fields + (size_t)i * MC_FIELD_LEN;

		if (mc_get16(f + 6) == id) {
			*field_out =
			    span_make(mc->fdata + mc_get32(f), mc_get16(f + 4));
			return 1;
		}
	}
	return 0;
}
