/*
 * imapsearch.c - parse IMAP SEARCH keys into a tree, and match the tree
 * against one message: flags, numbers, sizes, dates, and case-folded
 * UTF-8 substrings of header fields and texts.
 * Linked into: imapd.  Trust: the keys are peer data (bounded nesting,
 * arena only); message text is the store's, but may be anything, so it
 * is scanned once, never backwards, whatever its bytes.
 */
#include <string.h>

#include "base/xmem.h"
#include "mail/imapcmd_impl.h"
#include "mail/imapsearch.h"

#define BAD IMAPCMD_ERR_BAD
#define MODSEQ_MAX ((UINT64_C(1) << 63) - 1)
/* A byte that is not UTF-8 becomes this plus the byte: it matches only
 * itself. */
#define RAW_BYTE 0x110000u

/* ---- Case folding and matching ---- */

uint32_t
imapsearch_fold(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c == 0x178)
		return 0xff;
	if (c == 0x17f)
		return 's';
	if (c >= 0x100 && c <= 0x17e && c != 0x130 && c != 0x131 &&
	    c != 0x138 && c != 0x149) {
		/* Pairs: even upper from U+0100, odd upper in U+0139-0148
		 * and U+0179-017E. */
		bool odd = (c >= 0x139 && c <= 0x148) || c >= 0x179;

		return (c & 1) == (odd ? 1u : 0u) ? c + 1 : c;
	}
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c == 0x3c2)
		return 0x3c3;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	     (c >= 0x4d0 && c <= 0x4ff)) &&
	    (c & 1) == 0)
		return c + 1;
	if (c >= 0x4c1 && c <= 0x4ce && (c & 1) == 1)
		return c + 1;
	if (c == 0x4c0)
		return 0x4cf;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (((c >= 0x1e00 && c <= 0x1e95) || (c >= 0x1ea0 && c <= 0x1eff)) &&
	    (c & 1) == 0)
		return c + 1;
	if (c == 0x1e9e)
		return 0xdf;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

/* The folded character at s.p[*i], advancing *i. */
static uint32_t
next_cp(struct span s, size_t *i)
{
	struct span rest = span_make(s.p + *i, s.len - *i);
	size_t n = span_utf8_len(rest);
	uint32_t c;

	if (n == 0) {
		c = RAW_BYTE + s.p[*i];
		(*i)++;
		return c;
	}
	if (n == 1)
		c = rest.p[0];
	else if (n == 2)
		c = (uint32_t)(rest.p[0] & 0x1f) << 6 | (rest.p[1] & 0x3f);
	else if (n == 3)
		c = (uint32_t)(rest.p[0] & 0x0f) << 12 |
		    (uint32_t)(rest.p[1] & 0x3f) << 6 | (rest.p[2] & 0x3f);
	else
		c = (uint32_t)(rest.p[0] & 0x07) << 18 |
		    (uint32_t)(rest.p[1] & 0x3f) << 12 |
		    (uint32_t)(rest.p[2] & 0x3f) << 6 | (rest.p[3] & 0x3f);
	*i += n;
	return imapsearch_fold(c);
}

/* Fold s into cp (room for s.len) and build the KMP failure table. */
static size_t
needle_build(struct span s, uint32_t *cp, uint32_t *fail)
{
	size_t i = 0, n = 0, k;
	uint32_t q = 0;

	while (i < s.len)
		cp[n++] = next_cp(s, &i);
	if (n > 0)
		fail[0] = 0;
	for (k = 1; k < n; k++) {
		while (q > 0 && cp[k] != cp[q])
			q = fail[q - 1];
		if (cp[k] == cp[q])
			q++;
		fail[k] = q;
	}
	return n;
}

/* Knuth-Morris-Pratt over the folded text: linear in hay. */
static bool
needle_in(const struct imapsearch_needle *nd, struct span hay)
{
	size_t i = 0;
	uint32_t q = 0;

	if (nd->n == 0)
		return true;
	while (i < hay.len) {
		uint32_t c = next_cp(hay, &i);

		while (q > 0 && nd->cp[q] != c)
			q = nd->fail[q - 1];
		if (nd->cp[q] == c && ++q == nd->n)
			return true;
	}
	return false;
}

bool
imapsearch_contains(struct span hay, struct span needle)
{
	struct imapsearch_needle nd;
	uint32_t *cp = xcalloc(needle.len + 1, sizeof(*cp));
	uint32_t *fail = xcalloc(needle.len + 1, sizeof(*fail));
	bool r;

	nd.cp = cp;
	nd.fail = fail;
	nd.n = needle_build(needle, cp, fail);
	r = needle_in(&nd, hay);
	xfree(&cp);
	xfree(&fail);
	return r;
}

/* ---- Dates ---- */

static bool
is_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 5322 date-time: [day-name ","] day month year ...; the obsolete
 * forms too (two- and three-digit years, comments and extra blanks).
 */
bool
imapsearch_date_day(struct span v, int32_t *day_out)
{
	unsigned part = 0, day = 0, mon = 0, year = 0, nd;
	size_t i = 0;

	while (i < v.len && part < 3) {
		size_t start = i;

		if (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ',' ||
		    v.p[i] == '\r' || v.p[i] == '\n') {
			i++;
			continue;
		}
		while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t' &&
		       v.p[i] != ',' && v.p[i] != '-' && v.p[i] != '\r' &&
		       v.p[i] != '\n')
			i++;
		for (nd = 0; start + nd < i && is_digit(v.p[start + nd]);)
			nd++;
		if (part == 0 && nd > 0 && nd <= 2 && start + nd == i) {
			day = (unsigned)(v.p[start] - '0');
			if (nd == 2)
				day = day * 10 + (v.p[start + 1] - '0');
			part = 1;
		} else if (part == 1 && i - start >= 3) {
			if ((mon = imapcmd_month(v.p + start)) == 0)
				return false;
			part = 2;
		} else if (part == 2 && nd >= 2 && nd <= 4 && start + nd == i) {
			for (year = 0; start < i; start++)
				year = year * 10 + (v.p[start] - '0');
			/* RFC 5322 section 4.3: 2-digit and 3-digit years. */
			if (nd == 2)
				year += year < 50 ? 2000 : 1900;
			else if (nd == 3)
				year += 1900;
			part = 3;
		} else if (part > 0) {
			return false;
		}
		if (i < v.len && v.p[i] == '-')
			i++;
	}
	if (part != 3 || day < 1 || day > 31 || year > 9999)
		return false;
	*day_out = imapcmd_days((int)year, mon, day);
	return true;
}

static int32_t
internal_day(const struct imapsearch_msg *m)
{
	int64_t t = (int64_t)m->internal + (int64_t)m->internal_tz * 60;

	return (int32_t)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

static int32_t
sent_day(const struct imapsearch_msg *m)
{
	struct span v;
	int32_t d;

	if (m->header != NULL && m->header(m->arg, span_str("Date"), 0, &v) &&
	    imapsearch_date_day(v, &d))
		return d;
	return internal_day(m);
}

/* ---- Parsing ---- */

enum kind {
	K_NONE,
	K_STR,
	K_HDR,
	K_DATE,
	K_NUM,
	K_FLAG,
	K_SET,
	K_NOT,
	K_OR,
	K_MODSEQ
};

static const struct {
	const char *name;
	enum imapsearch_op op;
	enum kind kind;
	unsigned flag;
	const char *field;
} keys[] = {
    {"ALL", IMAPSEARCH_ALL, K_NONE, 0, NULL},
    {"ANSWERED", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_ANSWERED, NULL},
    {"DELETED", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_DELETED, NULL},
    {"DRAFT", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_DRAFT, NULL},
    {"FLAGGED", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_FLAGGED, NULL},
    {"RECENT", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_RECENT, NULL},
    {"SEEN", IMAPSEARCH_FLAG, K_NONE, IMAPCMD_F_SEEN, NULL},
    {"UNANSWERED", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_ANSWERED, NULL},
    {"UNDELETED", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_DELETED, NULL},
    {"UNDRAFT", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_DRAFT, NULL},
    {"UNFLAGGED", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_FLAGGED, NULL},
    {"UNSEEN", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_SEEN, NULL},
    {"OLD", IMAPSEARCH_UNFLAG, K_NONE, IMAPCMD_F_RECENT, NULL},
    {"NEW", IMAPSEARCH_NEW, K_NONE, 0, NULL},
    {"KEYWORD", IMAPSEARCH_KEYWORD, K_FLAG, 0, NULL},
    {"UNKEYWORD", IMAPSEARCH_UNKEYWORD, K_FLAG, 0, NULL},
    {"BCC", IMAPSEARCH_HEADER, K_STR, 0, "Bcc"},
    {"CC", IMAPSEARCH_HEADER, K_STR, 0, "Cc"},
    {"FROM", IMAPSEARCH_HEADER, K_STR, 0, "From"},
    {"SUBJECT", IMAPSEARCH_HEADER, K_STR, 0, "Subject"},
    {"TO", IMAPSEARCH_HEADER, K_STR, 0, "To"},
    {"HEADER", IMAPSEARCH_HEADER, K_HDR, 0, NULL},
    {"BODY", IMAPSEARCH_BODY, K_STR, 0, NULL},
    {"TEXT", IMAPSEARCH_TEXT, K_STR, 0, NULL},
    {"BEFORE", IMAPSEARCH_BEFORE, K_DATE, 0, NULL},
    {"ON", IMAPSEARCH_ON, K_DATE, 0, NULL},
    {"SINCE", IMAPSEARCH_SINCE, K_DATE, 0, NULL},
    {"SENTBEFORE", IMAPSEARCH_SENTBEFORE, K_DATE, 0, NULL},
    {"SENTON", IMAPSEARCH_SENTON, K_DATE, 0, NULL},
    {"SENTSINCE", IMAPSEARCH_SENTSINCE, K_DATE, 0, NULL},
    {"LARGER", IMAPSEARCH_LARGER, K_NUM, 0, NULL},
    {"SMALLER", IMAPSEARCH_SMALLER, K_NUM, 0, NULL},
    {"UID", IMAPSEARCH_UID, K_SET, 0, NULL},
    {"NOT", IMAPSEARCH_NOT, K_NOT, 0, NULL},
    {"OR", IMAPSEARCH_OR, K_OR, 0, NULL},
    {"MODSEQ", IMAPSEARCH_MODSEQ, K_MODSEQ, 0, NULL},
};

static int key(struct imapcmd_cx *cx, const struct imapcmd_node **c,
               unsigned depth, struct imapsearch *s,
               struct imapsearch_key **out);

static int
str_arg(struct imapcmd_cx *cx, const struct imapcmd_node **c,
        struct imapsearch_key *k)
{
	uint32_t *cp, *fail;

	if (imapcmd_arg_astring(cx, c, "search string", &k->str) == -1)
		return -1;
	if ((cp = imapcmd_alloc(cx, k->str.len + 1, sizeof(*cp))) == NULL ||
	    (fail = imapcmd_alloc(cx, k->str.len + 1, sizeof(*fail))) == NULL)
		return -1;
	k->needle.n = needle_build(k->str, cp, fail);
	k->needle.cp = cp;
	k->needle.fail = fail;
	return 0;
}

/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162). */
static int
modseq_arg(struct imapcmd_cx *cx, const struct imapcmd_node **c,
           struct imapsearch_key *k)
{
	struct span entry, type;

	if (*c != NULL && ((*c)->type == IMAPCMD_N_QUOTED ||
	                   (*c)->type == IMAPCMD_N_LITERAL)) {
		if (imapcmd_arg_astring(cx, c, "entry name", &entry) == -1 ||
		    imapcmd_arg_atom(cx, c, "entry type", &type) == -1)
			return -1;
		if (!span_eq_nocase(type, "priv") &&
		    !span_eq_nocase(type, "shared") &&
		    !span_eq_nocase(type, "all"))
			return imapcmd_fail(cx, BAD, "bad MODSEQ entry type");
	}
	return imapcmd_arg_number(cx, c, "MODSEQ", 0, MODSEQ_MAX, &k->num);
}

static int
key_args(struct imapcmd_cx *cx, const struct imapcmd_node **c, unsigned depth,
         struct imapsearch *s, size_t t, struct imapsearch_key *k)
{
	struct imapsearch_key *b;

	switch (keys[t].kind) {
	case K_NONE:
		return 0;
	case K_HDR:
		if (imapcmd_arg_astring(cx, c, "header field", &k->field) == -1)
			return -1;
		return str_arg(cx, c, k);
	case K_STR:
		return str_arg(cx, c, k);
	case K_DATE:
		return imapcmd_arg_date(cx, c, &k->day);
	case K_NUM:
		return imapcmd_arg_number(cx, c, "size", 0, UINT64_MAX,
		                          &k->num);
	case K_FLAG:
		if (imapcmd_flag(cx, *c, true, &k->flag, &k->str) == -1)
			return -1;
		if (k->flag != 0)
			return imapcmd_fail(cx, BAD, "keyword expected");
		*c = (*c)->next;
		return 0;
	case K_SET:
		return imapcmd_arg_seq(cx, c, "UID set", &k->set);
	case K_NOT:
		return key(cx, c, depth + 1, s,
		           (struct imapsearch_key **)&k->kid);
	case K_OR:
		if (key(cx, c, depth + 1, s,
		        (struct imapsearch_key **)&k->kid) == -1 ||
		    key(cx, c, depth + 1, s, &b) == -1)
			return -1;
		((struct imapsearch_key *)k->kid)->next = b;
		return 0;
	case K_MODSEQ:
		s->modseq = true;
		return modseq_arg(cx, c, k);
	}
	return -1;
}

/* Keys up to the end of the list c, as the kids of an AND. */
static int
key_list(struct imapcmd_cx *cx, const struct imapcmd_node *c, unsigned depth,
         struct imapsearch *s, struct imapsearch_key **out)
{
	struct imapsearch_key *and, *k, **tail;

	if (c == NULL)
		return imapcmd_fail(cx, BAD, "search key expected");
	if ((and = imapcmd_alloc(cx, 1, sizeof(*and))) == NULL)
		return -1;
	and->op = IMAPSEARCH_AND;
	tail = (struct imapsearch_key **)&and->kid;
	while (c != NULL) {
		if (key(cx, &c, depth, s, &k) == -1)
			return -1;
		*tail = k;
		tail = (struct imapsearch_key **)&k->next;
	}
	*out = and;
	return 0;
}

static int
key(struct imapcmd_cx *cx, const struct imapcmd_node **c, unsigned depth,
    struct imapsearch *s, struct imapsearch_key **out)
{
	const struct imapcmd_node *n = *c;
	struct imapsearch_key *k;
	size_t t;

	/* NOT NOT NOT ... nests as deep as parentheses do. */
	if (depth > cx->lim->max_depth)
		return imapcmd_fail(cx, IMAPCMD_ERR_LIMIT,
		                    "search keys nested too deep");
	if (n == NULL)
		return imapcmd_fail(cx, BAD, "search key expected");
	if (n->type == IMAPCMD_N_LIST) {
		*c = n->next;
		return key_list(cx, n->child, depth + 1, s, out);
	}
	if ((k = imapcmd_alloc(cx, 1, sizeof(*k))) == NULL)
		return -1;
	*out = k;
	if (n->type == IMAPCMD_N_NUMBER ||
	    (n->type == IMAPCMD_N_ATOM &&
	     (n->s.p[0] == '*' || (n->s.p[0] >= '0' && n->s.p[0] <= '9')))) {
		k->op = IMAPSEARCH_SEQ;
		return imapcmd_arg_seq(cx, c, "sequence set", &k->set);
	}
	for (t = 0; t < sizeof(keys) / sizeof(keys[0]); t++)
		if (imapcmd_is(n, keys[t].name))
			break;
	if (t == sizeof(keys) / sizeof(keys[0]))
		return imapcmd_fail(cx, BAD, "unknown search key");
	*c = n->next;
	k->op = keys[t].op;
	k->flag = keys[t].flag;
	if (keys[t].field != NULL)
		k->field = span_str(keys[t].field);
	return key_args(cx, c, depth, s, t, k);
}

static int
return_opts(struct imapcmd_cx *cx, const struct imapcmd_node *n,
            struct imapsearch *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} opts[] = {{"MIN", IMAPSEARCH_RET_MIN},
	            {"MAX", IMAPSEARCH_RET_MAX},
	            {"ALL", IMAPSEARCH_RET_ALL},
	            {"COUNT", IMAPSEARCH_RET_COUNT},
	            {"SAVE", IMAPSEARCH_RET_SAVE}};
	size_t i;

	s->esearch = true;
	for (; n != NULL; n = n->next) {
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (imapcmd_is(n, opts[i].name))
				break;
		if (i == sizeof(opts) / sizeof(opts[0]))
			return imapcmd_fail(cx, BAD, "unknown RETURN option");
		s->ret |= opts[i].bit;
	}
	/* RFC 4731 section 3.1: RETURN () means ALL. */
	if (s->ret == 0)
		s->ret = IMAPSEARCH_RET_ALL;
	return 0;
}

int
imapsearch_parse_cx(struct imapcmd_cx *cx, const struct imapcmd_node *c,
                    const struct imapsearch **out)
{
	struct imapsearch *s = imapcmd_alloc(cx, 1, sizeof(*s));
	struct imapsearch_key *root;
	const struct imapcmd_node *n;
	struct span cs;

	if (s == NULL)
		return -1;
	if (imapcmd_is(c, "RETURN")) {
		c = c->next;
		if (imapcmd_arg_list(cx, &c, "RETURN options", &n) == -1 ||
		    return_opts(cx, n, s) == -1)
			return -1;
	}
	if (imapcmd_is(c, "CHARSET")) {
		c = c->next;
		if (imapcmd_arg_astring(cx, &c, "charset", &cs) == -1)
			return -1;
		if (!span_eq_nocase(cs, "UTF-8") &&
		    !span_eq_nocase(cs, "US-ASCII"))
			return imapcmd_fail(cx, IMAPCMD_ERR_BADCHARSET,
			                    "unsupported charset");
		s->has_charset = true;
	}
	if (key_list(cx, c, 0, s, &root) == -1)
		return -1;
	s->root = root;
	*out = s;
	return 0;
}

int
imapsearch_parse(const struct imapcmd_node *args,
                 const struct imapcmd_limits *lim, struct arena *a,
                 const struct imapsearch **out, enum imapcmd_err *err,
                 struct why *why)
{
	struct imapcmd_limits l = *lim;
	struct imapcmd_cx cx = {a, &l, why, IMAPCMD_ERR_NONE};

	imapcmd_limits_clamp(&l);
	if (imapsearch_parse_cx(&cx, args, out) == 0) {
		*err = IMAPCMD_ERR_NONE;
		return 0;
	}
	*err = cx.err;
	return -1;
}

/* ---- Evaluation ---- */

static bool
header_has(const struct imapsearch_key *k, const struct imapsearch_msg *m)
{
	struct span v;
	size_t i;

	if (m->header == NULL)
		return false;
	/* RFC 3501: an empty string matches any message with the field. */
	for (i = 0; m->header(m->arg, k->field, i, &v); i++)
		if (needle_in(&k->needle, v))
			return true;
	return false;
}

static bool
text_has(const struct imapsearch_key *k, const struct imapsearch_msg *m,
         bool whole)
{
	struct span v;

	return m->text != NULL && m->text(m->arg, whole, &v) &&
	       needle_in(&k->needle, v);
}

static bool
eval(const struct imapsearch_key *k, const struct imapsearch_msg *m,
     uint32_t max_msn, uint32_t max_uid)
{
	const struct imapsearch_key *x;

	switch (k->op) {
	case IMAPSEARCH_AND:
		for (x = k->kid; x != NULL; x = x->next)
			if (!eval(x, m, max_msn, max_uid))
				return false;
		return true;
	case IMAPSEARCH_OR:
		return eval(k->kid, m, max_msn, max_uid) ||
		       eval(k->kid->next, m, max_msn, max_uid);
	case IMAPSEARCH_NOT:
		return !eval(k->kid, m, max_msn, max_uid);
	case IMAPSEARCH_ALL:
		return true;
	case IMAPSEARCH_FLAG:
		return (m->flags & k->flag) == k->flag;
	case IMAPSEARCH_UNFLAG:
		return (m->flags & k->flag) == 0;
	case IMAPSEARCH_NEW:
		return (m->flags & IMAPCMD_F_RECENT) &&
		       !(m->flags & IMAPCMD_F_SEEN);
	case IMAPSEARCH_KEYWORD:
	case IMAPSEARCH_UNKEYWORD:
		return (m->keyword != NULL && m->keyword(m->arg, k->str)) ==
		       (k->op == IMAPSEARCH_KEYWORD);
	case IMAPSEARCH_SEQ:
		return imapseq_has(&k->set, m->msn, max_msn);
	case IMAPSEARCH_UID:
		return imapseq_has(&k->set, m->uid, max_uid);
	case IMAPSEARCH_LARGER:
		return m->size > k->num;
	case IMAPSEARCH_SMALLER:
		return m->size < k->num;
	case IMAPSEARCH_BEFORE:
		return internal_day(m) < k->day;
	case IMAPSEARCH_ON:
		return internal_day(m) == k->day;
	case IMAPSEARCH_SINCE:
		return internal_day(m) >= k->day;
	case IMAPSEARCH_SENTBEFORE:
		return sent_day(m) < k->day;
	case IMAPSEARCH_SENTON:
		return sent_day(m) == k->day;
	case IMAPSEARCH_SENTSINCE:
		return sent_day(m) >= k->day;
	case IMAPSEARCH_HEADER:
		return header_has(k, m);
	case IMAPSEARCH_BODY:
		return text_has(k, m, false);
	case IMAPSEARCH_TEXT:
		return text_has(k, m, true);
	case IMAPSEARCH_MODSEQ:
		return m->modseq >= k->num;
	}
	return false;
}

bool
imapsearch_eval(const struct imapsearch *s, const struct imapsearch_msg *m,
                uint32_t max_msn, uint32_t max_uid)
{
	return eval(s->root, m, max_msn, max_uid);
}
