/*
 * imapcmd_fetch.c - the arguments of FETCH (RFC 3501 section 6.4.5):
 * the macros, every fetch attribute with BODY[section]<partial>, BINARY
 * (RFC 3516), MODSEQ and the CHANGEDSINCE and VANISHED modifiers (RFC
 * 7162).
 * Linked into: imapd.  Trust: nodes hold peer data; part numbers, partial
 * ranges and modifiers are range-checked.
 */
#include <string.h>

#include "mail/imapcmd_impl.h"

#define BAD IMAPCMD_ERR_BAD
#define MODSEQ_MAX ((UINT64_C(1) << 63) - 1)

static const struct {
	const char *name;
	enum imapcmd_fetch_item item;
} simple[] = {
    {"ENVELOPE", IMAPCMD_FI_ENVELOPE},
    {"FLAGS", IMAPCMD_FI_FLAGS},
    {"INTERNALDATE", IMAPCMD_FI_INTERNALDATE},
    {"RFC822", IMAPCMD_FI_RFC822},
    {"RFC822.HEADER", IMAPCMD_FI_RFC822_HEADER},
    {"RFC822.SIZE", IMAPCMD_FI_RFC822_SIZE},
    {"RFC822.TEXT", IMAPCMD_FI_RFC822_TEXT},
    {"BODY", IMAPCMD_FI_BODY},
    {"BODYSTRUCTURE", IMAPCMD_FI_BODYSTRUCTURE},
    {"UID", IMAPCMD_FI_UID},
    {"MODSEQ", IMAPCMD_FI_MODSEQ},
};

/* The items of the macros (RFC 3501 section 6.4.5). */
static const enum imapcmd_fetch_item fast[] = {
    IMAPCMD_FI_FLAGS, IMAPCMD_FI_INTERNALDATE, IMAPCMD_FI_RFC822_SIZE,
    IMAPCMD_FI_ENVELOPE, IMAPCMD_FI_BODY};

static const struct {
	const char *text;
	enum imapcmd_sectext sec;
} sectexts[] = {
    {"HEADER", IMAPCMD_SEC_HEADER},
    {"HEADER.FIELDS", IMAPCMD_SEC_HEADER_FIELDS},
    {"HEADER.FIELDS.NOT", IMAPCMD_SEC_HEADER_FIELDS_NOT},
    {"TEXT", IMAPCMD_SEC_TEXT},
    {"MIME", IMAPCMD_SEC_MIME},
};

/* "1.2.3" and then, unless binary, ".HEADER" etc. or the text alone. */
static int
section_spec(struct imapcmd_cx *cx, struct span s, bool binary,
             struct imapcmd_section *sec)
{
	size_t i = 0, k;

	while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9') {
		uint64_t v = 0;
		size_t start = i;

		for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
			if ((v = v * 10 + (s.p[i] - '0')) > UINT32_MAX)
				return imapcmd_fail(cx, BAD,
				                    "part number too "
				                    "large");
		if (v == 0 || s.p[start] == '0')
			return imapcmd_fail(cx, BAD, "bad part number");
		if (sec->npart == IMAPCMD_MAX_PART)
			return imapcmd_fail(cx, IMAPCMD_ERR_LIMIT,
			                    "section nested too deep");
		sec->part[sec->npart++] = (uint32_t)v;
		if (i == s.len)
			return 0;
		if (s.p[i] != '.' || i + 1 == s.len)
			return imapcmd_fail(cx, BAD, "bad section");
		i++;
	}
	s = span_make(s.p + i, s.len - i);
	if (binary)
		return imapcmd_fail(cx, BAD, "BINARY takes part numbers only");
	for (k = 0; k < sizeof(sectexts) / sizeof(sectexts[0]); k++) {
		if (!span_eq_nocase(s, sectexts[k].text))
			continue;
		if (sectexts[k].sec == IMAPCMD_SEC_MIME && sec->npart == 0)
			return imapcmd_fail(cx, BAD,
			                    "MIME needs a part number");
		sec->text = sectexts[k].sec;
		return 0;
	}
	return imapcmd_fail(cx, BAD, "bad section");
}

static int
header_fields(struct imapcmd_cx *cx, const struct imapcmd_node **c,
              struct imapcmd_section *sec)
{
	const struct imapcmd_node *n;
	struct span *f;
	size_t k = 0;

	if (imapcmd_arg_list(cx, c, "header field list", &n) == -1)
		return -1;
	if (n == NULL)
		return imapcmd_fail(cx, BAD, "empty header field list");
	if ((f = imapcmd_alloc(cx, imapcmd_count(n), sizeof(*f))) == NULL)
		return -1;
	while (n != NULL)
		if (imapcmd_arg_astring(cx, &n, "header field", &f[k++]) == -1)
			return -1;
	sec->field = f;
	sec->nfield = k;
	return 0;
}

static int
section_att(struct imapcmd_cx *cx, const struct imapcmd_node *n,
            struct imapcmd_fetch_att *att)
{
	const struct imapcmd_node *c = n->child;
	bool binary;

	if (span_eq_nocase(n->s, "BODY") || span_eq_nocase(n->s, "BODY.PEEK"))
		att->item = IMAPCMD_FI_BODY_SECTION;
	else if (span_eq_nocase(n->s, "BINARY.SIZE"))
		att->item = IMAPCMD_FI_BINARY_SIZE;
	else
		att->item = IMAPCMD_FI_BINARY;
	att->peek = span_eq_nocase(n->s, "BODY.PEEK") ||
	            span_eq_nocase(n->s, "BINARY.PEEK");
	binary = att->item != IMAPCMD_FI_BODY_SECTION;
	if (c != NULL) {
		if ((c->type != IMAPCMD_N_ATOM &&
		     c->type != IMAPCMD_N_NUMBER) ||
		    section_spec(cx, c->s, binary, &att->sec) == -1)
			return cx->err != IMAPCMD_ERR_NONE
			           ? -1
			           : imapcmd_fail(cx, BAD, "bad section");
		c = c->next;
		if ((att->sec.text == IMAPCMD_SEC_HEADER_FIELDS ||
		     att->sec.text == IMAPCMD_SEC_HEADER_FIELDS_NOT) &&
		    header_fields(cx, &c, &att->sec) == -1)
			return -1;
		if (c != NULL)
			return imapcmd_fail(cx, BAD, "bad section");
	}
	if (!n->partial)
		return 0;
	/* RFC 3501: <number "." nz-number>, both 32-bit. */
	if (att->item == IMAPCMD_FI_BINARY_SIZE || n->len == 0 ||
	    n->off > UINT32_MAX || n->len > UINT32_MAX)
		return imapcmd_fail(cx, BAD, "bad <partial>");
	att->partial = true;
	att->off = (uint32_t)n->off;
	att->len = (uint32_t)n->len;
	return 0;
}

static int
one_att(struct imapcmd_cx *cx, const struct imapcmd_node *n,
        struct imapcmd_fetch_att *att)
{
	size_t k;

	memset(att, 0, sizeof(*att));
	if (n->type == IMAPCMD_N_SECTION)
		return section_att(cx, n, att);
	for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
		if (imapcmd_is(n, simple[k].name)) {
			att->item = simple[k].item;
			return 0;
		}
	}
	return imapcmd_fail(cx, BAD, "unknown fetch attribute");
}

static int
macro(struct imapcmd_cx *cx, size_t count, struct imapcmd_fetch *f)
{
	struct imapcmd_fetch_att *att;
	size_t k;

	if ((att = imapcmd_alloc(cx, count, sizeof(*att))) == NULL)
		return -1;
	for (k = 0; k < count; k++) {
		att[k].item = fast[k];
		f->items |= 1u << fast[k];
	}
	f->att = att;
	f->natt = count;
	return 0;
}

static int
modifiers(struct imapcmd_cx *cx, const struct imapcmd_node *m, bool uid,
          struct imapcmd_fetch *f)
{
	while (m != NULL) {
		if (imapcmd_is(m, "CHANGEDSINCE") && !f->has_changedsince) {
			m = m->next;
			if (imapcmd_arg_number(cx, &m, "CHANGEDSINCE", 1,
			                       MODSEQ_MAX,
			                       &f->changedsince) == -1)
				return -1;
			f->has_changedsince = true;
		} else if (imapcmd_is(m, "VANISHED") && !f->vanished) {
			f->vanished = true;
			m = m->next;
		} else {
			return imapcmd_fail(cx, BAD,
			                    "unknown or repeated "
			                    "FETCH modifier");
		}
	}
	/* RFC 7162 section 3.2.6: UID FETCH only, with CHANGEDSINCE. */
	if (f->vanished && (!uid || !f->has_changedsince))
		return imapcmd_fail(cx, BAD,
		                    "VANISHED needs UID FETCH and "
		                    "CHANGEDSINCE");
	return 0;
}

int
imapcmd_parse_fetch(struct imapcmd_cx *cx, const struct imapcmd_node *c,
                    struct imapcmd *cmd)
{
	struct imapcmd_fetch *f = &cmd->u.fetch;
	struct imapcmd_fetch_att *att;
	const struct imapcmd_node *items, *n;
	size_t k = 0;

	if (imapcmd_arg_seq(cx, &c, "sequence set", &f->set) == -1)
		return -1;
	if ((items = c) == NULL)
		return imapcmd_fail(cx, BAD, "fetch attributes expected");
	c = c->next;
	if (imapcmd_is(items, "ALL") || imapcmd_is(items, "FAST") ||
	    imapcmd_is(items, "FULL")) {
		if (macro(cx,
		          imapcmd_is(items, "FAST")  ? 3
		          : imapcmd_is(items, "ALL") ? 4
		                                     : 5,
		          f) == -1)
			return -1;
	} else {
		n = items->type == IMAPCMD_N_LIST ? items->child : items;
		if (n == NULL)
			return imapcmd_fail(cx, BAD,
			                    "empty fetch attribute "
			                    "list");
		if ((att = imapcmd_alloc(
		         cx,
		         items->type == IMAPCMD_N_LIST ? imapcmd_count(n) : 1,
		         sizeof(*att))) == NULL)
			return -1;
		for (; n != NULL;
		     n = items->type == IMAPCMD_N_LIST ? n->next : NULL) {
			if (one_att(cx, n, &att[k]) == -1)
				return -1;
			f->items |= 1u << att[k++].item;
		}
		f->att = att;
		f->natt = k;
	}
	if (c != NULL) {
		if (imapcmd_arg_list(cx, &c, "FETCH modifiers", &n) == -1 ||
		    modifiers(cx, n, cmd->uid, f) == -1)
			return -1;
	}
	return imapcmd_arg_end(cx, c);
}
