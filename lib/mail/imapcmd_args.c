/*
 * imapcmd_args.c - the typed readers of IMAP argument nodes (strings,
 * mailboxes, numbers, sequence sets, flags, dates) and the argument
 * grammar of every command but FETCH (imapcmd_fetch.c) and SEARCH
 * (imapsearch.c).
 * Linked into: imapd.  Trust: nodes hold peer data; every value is
 * checked against its RFC grammar and range before it reaches a struct.
 */
#include <string.h>

#include "mail/imapcmd_impl.h"
#include "mail/imapsearch.h"

#define BAD IMAPCMD_ERR_BAD
#define ID_MAX_PAIRS 30 /* RFC 2971 section 3.3 */
#define ID_MAX_FIELD 30
#define ID_MAX_VALUE 1024
#define MODSEQ_MAX ((UINT64_C(1) << 63) - 1) /* RFC 7162 mod-sequence */

/* ---- Readers ---- */

size_t
imapcmd_count(const struct imapcmd_node *n)
{
	size_t k = 0;

	for (; n != NULL; n = n->next)
		k++;
	return k;
}

bool
imapcmd_is(const struct imapcmd_node *n, const char *lit)
{
	return n != NULL &&
	       (n->type == IMAPCMD_N_ATOM || n->type == IMAPCMD_N_NIL ||
	        n->type == IMAPCMD_N_NUMBER) &&
	       span_eq_nocase(n->s, lit);
}

static int
missing(struct imapcmd_cx *cx, const char *what)
{
	return imapcmd_fail(cx, BAD, "%s expected", what);
}

int
imapcmd_arg_end(struct imapcmd_cx *cx, const struct imapcmd_node *c)
{
	if (c != NULL)
		return imapcmd_fail(cx, BAD, "unexpected extra arguments");
	return 0;
}

/* An atom holding list-wildcards or a flag's backslash is no astring. */
static bool
is_astring_atom(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] == '%' || s.p[i] == '*' || s.p[i] == '\\')
			return false;
	return true;
}

int
imapcmd_arg_astring(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                    const char *what, struct span *out)
{
	const struct imapcmd_node *n = *c;

	if (n == NULL)
		return missing(cx, what);
	switch (n->type) {
	case IMAPCMD_N_ATOM:
		if (!is_astring_atom(n->s))
			return imapcmd_fail(cx, BAD,
			                    "%s: bad character in atom", what);
		break;
	case IMAPCMD_N_NUMBER:
	case IMAPCMD_N_NIL:
	case IMAPCMD_N_QUOTED:
	case IMAPCMD_N_LITERAL:
		break;
	default:
		return imapcmd_fail(cx, BAD, "%s: string expected", what);
	}
	*out = n->s;
	*c = n->next;
	return 0;
}

int
imapcmd_arg_mbox(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                 const char *what, struct imapcmd_mbox *out)
{
	if (imapcmd_arg_astring(cx, c, what, &out->name) == -1)
		return -1;
	/* RFC 3501 section 5.1: INBOX is case-insensitive. */
	out->inbox = span_eq_nocase(out->name, "INBOX");
	if (out->inbox)
		out->name = span_str("INBOX");
	return 0;
}

int
imapcmd_arg_atom(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                 const char *what, struct span *out)
{
	const struct imapcmd_node *n = *c;

	if (n == NULL)
		return missing(cx, what);
	if (n->type != IMAPCMD_N_ATOM && n->type != IMAPCMD_N_NIL &&
	    n->type != IMAPCMD_N_NUMBER)
		return imapcmd_fail(cx, BAD, "%s: atom expected", what);
	*out = n->s;
	*c = n->next;
	return 0;
}

int
imapcmd_arg_number(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                   const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	const struct imapcmd_node *n = *c;
	size_t i;

	if (n == NULL)
		return missing(cx, what);
	if (n->type == IMAPCMD_N_ATOM) {
		for (i = 0; i < n->s.len; i++)
			if (n->s.p[i] < '0' || n->s.p[i] > '9')
				break;
		if (i == n->s.len)
			return imapcmd_fail(cx, BAD, "%s: number too large",
			                    what);
	}
	if (n->type != IMAPCMD_N_NUMBER)
		return imapcmd_fail(cx, BAD, "%s: number expected", what);
	if (n->num < min || n->num > max)
		return imapcmd_fail(cx, BAD, "%s: number out of range", what);
	*out = n->num;
	*c = n->next;
	return 0;
}

int
imapcmd_arg_seq(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                const char *what, struct imapseq *out)
{
	const struct imapcmd_node *n = *c;
	struct imapseq_range *r;
	size_t need;

	if (n == NULL)
		return missing(cx, what);
	if (n->type != IMAPCMD_N_ATOM && n->type != IMAPCMD_N_NUMBER)
		return imapcmd_fail(cx, BAD, "%s: sequence set expected", what);
	need = imapseq_need(n->s);
	if (need > cx->lim->max_seq)
		need = cx->lim->max_seq;
	if ((r = imapcmd_alloc(cx, need, sizeof(*r))) == NULL)
		return -1;
	imapseq_init(out, r, need);
	switch (imapseq_parse(n->s, out, cx->why)) {
	case 0:
		break;
	case -2:
		/* The array was sized from the text: only max_seq binds. */
		cx->err = IMAPCMD_ERR_LIMIT;
		return -1;
	default:
		cx->err = BAD;
		return -1;
	}
	*c = n->next;
	return 0;
}

int
imapcmd_arg_list(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                 const char *what, const struct imapcmd_node **first_out)
{
	const struct imapcmd_node *n = *c;

	if (n == NULL)
		return missing(cx, what);
	if (n->type != IMAPCMD_N_LIST)
		return imapcmd_fail(cx, BAD, "%s: list expected", what);
	*first_out = n->child;
	*c = n->next;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} sysflags[] = {
    {"\\Answered", IMAPCMD_F_ANSWERED}, {"\\Flagged", IMAPCMD_F_FLAGGED},
    {"\\Deleted", IMAPCMD_F_DELETED},   {"\\Seen", IMAPCMD_F_SEEN},
    {"\\Draft", IMAPCMD_F_DRAFT},       {"\\Recent", IMAPCMD_F_RECENT},
};

int
imapcmd_flag(struct imapcmd_cx *cx, const struct imapcmd_node *n, bool search,
             unsigned *bit_out, struct span *kw_out)
{
	size_t i;

	if (n == NULL)
		return missing(cx, "flag");
	if (n->type != IMAPCMD_N_ATOM && n->type != IMAPCMD_N_NUMBER &&
	    n->type != IMAPCMD_N_NIL)
		return imapcmd_fail(cx, BAD, "flag expected");
	*bit_out = 0;
	*kw_out = n->s;
	if (n->s.p[0] != '\\') {
		/* flag-keyword is an atom: no wildcards, no "]". */
		for (i = 0; i < n->s.len; i++)
			if (strchr("%*]", n->s.p[i]) != NULL)
				return imapcmd_fail(cx, BAD, "bad keyword");
		return 0;
	}
	for (i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++) {
		if (!span_eq_nocase(n->s, sysflags[i].name))
			continue;
		/* \Recent is the server's (RFC 3501 section 2.3.2). */
		if (sysflags[i].bit == IMAPCMD_F_RECENT && !search)
			break;
		*bit_out = sysflags[i].bit;
		return 0;
	}
	return imapcmd_fail(cx, BAD, "unknown system flag");
}

int
imapcmd_arg_flags(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                  bool bare, struct imapcmd_flags *out)
{
	const struct imapcmd_node *first, *n;
	struct span *kw;
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	if (*c != NULL && (*c)->type == IMAPCMD_N_LIST) {
		first = (*c)->child;
		*c = (*c)->next;
	} else if (bare && *c != NULL) {
		first = *c;
		*c = NULL;
	} else {
		return missing(cx, "flag list");
	}
	if ((kw = imapcmd_alloc(cx, imapcmd_count(first) + 1, sizeof(*kw))) ==
	    NULL)
		return -1;
	for (n = first; n != NULL; n = n->next) {
		unsigned bit;

		if (imapcmd_flag(cx, n, false, &bit, &kw[k]) == -1)
			return -1;
		if (bit == 0)
			k++;
		out->sys |= bit;
	}
	out->kw = kw;
	out->nkw = k;
	return 0;
}

int32_t
imapcmd_days(int y, unsigned m, unsigned d)
{
	/* Days from civil: March-based years make February the last. */
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

unsigned
imapcmd_month(const unsigned char *p)
{
	static const char mon[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	unsigned k;

	for (k = 0; k < 12; k++)
		if ((p[0] | 0x20) == mon[3 * k] &&
		    (p[1] | 0x20) == mon[3 * k + 1] &&
		    (p[2] | 0x20) == mon[3 * k + 2])
			return k + 1;
	return 0;
}

static bool
valid_day(int y, unsigned m, unsigned d)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30,
	                                      31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 || leap;
}

static bool
digits(const unsigned char *p, size_t n, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*out = *out * 10 + (p[i] - '0');
	}
	return true;
}

/* d-Mon-yyyy or dd-Mon-yyyy (or " d", fixed) at p; its length or 0. */
static size_t
date_text(struct span s, bool fixed, int *y, unsigned *m, unsigned *d)
{
	size_t dl, i = 0;
	unsigned yy;

	if (fixed && s.len > 0 && s.p[0] == ' ')
		i = 1;
	for (dl = 0; i + dl < s.len && dl < 3 && s.p[i + dl] >= '0' &&
	             s.p[i + dl] <= '9';)
		dl++;
	if (dl < 1 || dl > 2 || (i == 1 && dl != 1) || (fixed && i + dl != 2))
		return 0;
	digits(s.p + i, dl, d);
	i += dl;
	if (i + 9 > s.len || s.p[i] != '-' || s.p[i + 4] != '-')
		return 0;
	if ((*m = imapcmd_month(s.p + i + 1)) == 0 ||
	    !digits(s.p + i + 5, 4, &yy))
		return 0;
	*y = (int)yy;
	if (!valid_day(*y, *m, *d))
		return 0;
	return i + 9;
}

int
imapcmd_arg_date(struct imapcmd_cx *cx, const struct imapcmd_node **c,
                 int32_t *days_out)
{
	const struct imapcmd_node *n = *c;
	unsigned m, d;
	int y;

	if (n == NULL)
		return missing(cx, "date");
	if ((n->type != IMAPCMD_N_ATOM && n->type != IMAPCMD_N_QUOTED) ||
	    date_text(n->s, false, &y, &m, &d) != n->s.len)
		return imapcmd_fail(cx, BAD, "bad date (want 1-Jan-2000)");
	*days_out = imapcmd_days(y, m, d);
	*c = n->next;
	return 0;
}

/* RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d"). */
static int
date_time(struct imapcmd_cx *cx, const struct imapcmd_node *n,
          struct imapcmd_append_msg *msg)
{
	struct span s = n->s;
	unsigned m, d, hh, mi, ss, zh, zm;
	size_t i;
	int y;

	if (n->type != IMAPCMD_N_QUOTED || s.len != 26 ||
	    (i = date_text(s, true, &y, &m, &d)) != 11 || s.p[11] != ' ' ||
	    !digits(s.p + 12, 2, &hh) || s.p[14] != ':' ||
	    !digits(s.p + 15, 2, &mi) || s.p[17] != ':' ||
	    !digits(s.p + 18, 2, &ss) || s.p[20] != ' ' ||
	    (s.p[21] != '+' && s.p[21] != '-') || !digits(s.p + 22, 2, &zh) ||
	    !digits(s.p + 24, 2, &zm) || hh > 23 || mi > 59 || ss > 60 ||
	    zm > 59)
		return imapcmd_fail(cx, BAD, "bad date-time");
	msg->tz = (int)(zh * 60 + zm) * (s.p[21] == '-' ? -1 : 1);
	msg->date = (time_t)imapcmd_days(y, m, d) * 86400 +
	            (time_t)(hh * 3600 + mi * 60 + ss) - (time_t)msg->tz * 60;
	msg->has_date = true;
	return 0;
}

/* ---- Commands ---- */

/* RFC 4959 initial response: "=" or base64 with correct padding. */
static bool
base64_ok(struct span s)
{
	size_t i, pad = 0;

	if (s.len == 1 && s.p[0] == '=')
		return true;
	if (s.len == 0 || s.len % 4 != 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned c = s.p[i];

		if (c == '=')
			pad++;
		else if (pad > 0 ||
		         !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return pad <= 2;
}

static int
p_auth(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	struct imapcmd_auth *au = &cmd->u.auth;

	if (imapcmd_arg_atom(cx, &c, "mechanism", &au->mech) == -1)
		return -1;
	if (c != NULL) {
		if (c->type != IMAPCMD_N_ATOM || !base64_ok(c->s))
			return imapcmd_fail(cx, BAD, "bad initial response");
		au->has_ir = true;
		au->ir = c->s;
		c = c->next;
	}
	return imapcmd_arg_end(cx, c);
}

static int
p_login(struct imapcmd_cx *cx, const struct imapcmd_node *c,
        struct imapcmd *cmd)
{
	if (imapcmd_arg_astring(cx, &c, "user name", &cmd->u.login.user) ==
	        -1 ||
	    imapcmd_arg_astring(cx, &c, "password", &cmd->u.login.pass) == -1)
		return -1;
	return imapcmd_arg_end(cx, c);
}

static int
p_mbox(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	if (imapcmd_arg_mbox(cx, &c, "mailbox", &cmd->u.mbox) == -1)
		return -1;
	return imapcmd_arg_end(cx, c);
}

static int
p_rename(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	if (imapcmd_arg_mbox(cx, &c, "mailbox", &cmd->u.rename.from) == -1 ||
	    imapcmd_arg_mbox(cx, &c, "new mailbox", &cmd->u.rename.to) == -1)
		return -1;
	return imapcmd_arg_end(cx, c);
}

/* QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)]), RFC 7162. */
static int
qresync(struct imapcmd_cx *cx, const struct imapcmd_node *c,
        struct imapcmd_select *sel)
{
	const struct imapcmd_node *m;
	uint64_t v;

	if (imapcmd_arg_number(cx, &c, "UIDVALIDITY", 1, UINT32_MAX, &v) == -1)
		return -1;
	sel->uidvalidity = (uint32_t)v;
	if (imapcmd_arg_number(cx, &c, "MODSEQ", 0, MODSEQ_MAX, &sel->modseq) ==
	    -1)
		return -1;
	if (c != NULL && c->type != IMAPCMD_N_LIST) {
		if (imapcmd_arg_seq(cx, &c, "known UIDs", &sel->known_uids) ==
		    -1)
			return -1;
		if (sel->known_uids.star)
			return imapcmd_fail(cx, BAD, "* in known UIDs");
		sel->has_known_uids = true;
	}
	if (c != NULL) {
		if (imapcmd_arg_list(cx, &c, "sequence match data", &m) == -1 ||
		    imapcmd_arg_seq(cx, &m, "known sequence set",
		                    &sel->match_seq) == -1 ||
		    imapcmd_arg_seq(cx, &m, "known UID set", &sel->match_uid) ==
		        -1 ||
		    imapcmd_arg_end(cx, m) == -1)
			return -1;
		sel->has_match = true;
	}
	return imapcmd_arg_end(cx, c);
}

static int
p_select(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	struct imapcmd_select *sel = &cmd->u.select;
	const struct imapcmd_node *p, *q;

	if (imapcmd_arg_mbox(cx, &c, "mailbox", &sel->mbox) == -1)
		return -1;
	if (c == NULL)
		return 0;
	if (imapcmd_arg_list(cx, &c, "select parameters", &p) == -1 ||
	    imapcmd_arg_end(cx, c) == -1)
		return -1;
	while (p != NULL) {
		if (imapcmd_is(p, "CONDSTORE") && !sel->condstore) {
			sel->condstore = true;
			p = p->next;
		} else if (imapcmd_is(p, "QRESYNC") && !sel->qresync) {
			p = p->next;
			if (imapcmd_arg_list(cx, &p, "QRESYNC parameters",
			                     &q) == -1 ||
			    qresync(cx, q, sel) == -1)
				return -1;
			sel->qresync = true;
		} else {
			return imapcmd_fail(cx, BAD,
			                    "unknown or repeated "
			                    "select parameter");
		}
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} status_items[] = {
    {"MESSAGES", IMAPCMD_ST_MESSAGES},
    {"RECENT", IMAPCMD_ST_RECENT},
    {"UIDNEXT", IMAPCMD_ST_UIDNEXT},
    {"UIDVALIDITY", IMAPCMD_ST_UIDVALIDITY},
    {"UNSEEN", IMAPCMD_ST_UNSEEN},
    {"HIGHESTMODSEQ", IMAPCMD_ST_HIGHESTMODSEQ},
    {"SIZE", IMAPCMD_ST_SIZE},
    {"DELETED", IMAPCMD_ST_DELETED},
    {"DELETED-STORAGE", IMAPCMD_ST_DELETED_STORAGE},
};

static int
status_list(struct imapcmd_cx *cx, const struct imapcmd_node **c,
            unsigned *items)
{
	const struct imapcmd_node *n;
	size_t i;

	*items = 0;
	if (imapcmd_arg_list(cx, c, "status items", &n) == -1)
		return -1;
	if (n == NULL)
		return imapcmd_fail(cx, BAD, "empty status item list");
	for (; n != NULL; n = n->next) {
		for (i = 0; i < sizeof(status_items) / sizeof(status_items[0]);
		     i++)
			if (imapcmd_is(n, status_items[i].name))
				break;
		if (i == sizeof(status_items) / sizeof(status_items[0]))
			return imapcmd_fail(cx, BAD, "unknown status item");
		*items |= status_items[i].bit;
	}
	return 0;
}

static int
p_status(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	if (imapcmd_arg_mbox(cx, &c, "mailbox", &cmd->u.status.mbox) == -1 ||
	    status_list(cx, &c, &cmd->u.status.items) == -1)
		return -1;
	return imapcmd_arg_end(cx, c);
}

/* list-mailbox: an atom that may hold % and *, or a string. */
static int
pattern(struct imapcmd_cx *cx, const struct imapcmd_node *n, struct span *out)
{
	if (n->type == IMAPCMD_N_ATOM) {
		if (n->s.p[0] == '\\')
			return imapcmd_fail(cx, BAD, "bad mailbox pattern");
		*out = n->s;
		return 0;
	}
	return imapcmd_arg_astring(cx, &n, "mailbox pattern", out);
}

static int
list_options(struct imapcmd_cx *cx, const struct imapcmd_node *n, unsigned *sel)
{
	for (; n != NULL; n = n->next) {
		if (imapcmd_is(n, "SUBSCRIBED"))
			*sel |= IMAPCMD_LSEL_SUBSCRIBED;
		else if (imapcmd_is(n, "REMOTE"))
			*sel |= IMAPCMD_LSEL_REMOTE;
		else if (imapcmd_is(n, "RECURSIVEMATCH"))
			*sel |= IMAPCMD_LSEL_RECURSIVEMATCH;
		else if (imapcmd_is(n, "SPECIAL-USE"))
			*sel |= IMAPCMD_LSEL_SPECIAL_USE;
		else
			/* RFC 5258 section 3: unknown options are BAD. */
			return imapcmd_fail(cx, BAD, "unknown LIST option");
	}
	/* RECURSIVEMATCH only refines another option. */
	if (*sel == IMAPCMD_LSEL_RECURSIVEMATCH ||
	    *sel == (IMAPCMD_LSEL_RECURSIVEMATCH | IMAPCMD_LSEL_REMOTE))
		return imapcmd_fail(cx, BAD, "RECURSIVEMATCH alone");
	return 0;
}

static int
list_return(struct imapcmd_cx *cx, const struct imapcmd_node *n,
            struct imapcmd_list *l)
{
	while (n != NULL) {
		if (imapcmd_is(n, "SUBSCRIBED"))
			l->ret |= IMAPCMD_LRET_SUBSCRIBED;
		else if (imapcmd_is(n, "CHILDREN"))
			l->ret |= IMAPCMD_LRET_CHILDREN;
		else if (imapcmd_is(n, "SPECIAL-USE"))
			l->ret |= IMAPCMD_LRET_SPECIAL_USE;
		else if (imapcmd_is(n, "STATUS") &&
		         !(l->ret & IMAPCMD_LRET_STATUS)) {
			l->ret |= IMAPCMD_LRET_STATUS;
			n = n->next;
			if (status_list(cx, &n, &l->status) == -1)
				return -1;
			continue;
		} else {
			return imapcmd_fail(cx, BAD,
			                    "unknown LIST return "
			                    "option");
		}
		n = n->next;
	}
	return 0;
}

static int
p_list(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	struct imapcmd_list *l = &cmd->u.list;
	const struct imapcmd_node *n;
	struct span *pat;
	size_t k = 0;

	if (cmd->name == IMAPCMD_LIST && c != NULL &&
	    c->type == IMAPCMD_N_LIST) {
		l->extended = true;
		if (list_options(cx, c->child, &l->sel) == -1)
			return -1;
		c = c->next;
	}
	if (imapcmd_arg_astring(cx, &c, "reference", &l->ref) == -1)
		return -1;
	if (c == NULL)
		return missing(cx, "mailbox pattern");
	n = c;
	if (cmd->name == IMAPCMD_LIST && c->type == IMAPCMD_N_LIST) {
		l->extended = true;
		n = c->child;
		if (n == NULL)
			return imapcmd_fail(cx, BAD, "empty pattern list");
	}
	if ((pat = imapcmd_alloc(
	         cx, c->type == IMAPCMD_N_LIST ? imapcmd_count(n) : 1,
	         sizeof(*pat))) == NULL)
		return -1;
	for (; n != NULL; n = c->type == IMAPCMD_N_LIST ? n->next : NULL)
		if (pattern(cx, n, &pat[k++]) == -1)
			return -1;
	l->pat = pat;
	l->npat = k;
	c = c->next;
	if (cmd->name == IMAPCMD_LIST && imapcmd_is(c, "RETURN")) {
		l->extended = true;
		c = c->next;
		if (imapcmd_arg_list(cx, &c, "return options", &n) == -1 ||
		    list_return(cx, n, l) == -1)
			return -1;
	}
	return imapcmd_arg_end(cx, c);
}

static int
p_append(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	struct imapcmd_append *ap = &cmd->u.append;
	struct imapcmd_append_msg *msg;
	size_t k = 0;

	if (imapcmd_arg_mbox(cx, &c, "mailbox", &ap->mbox) == -1)
		return -1;
	if (c == NULL)
		return missing(cx, "message literal");
	/* Each message takes a node at least (MULTIAPPEND, RFC 3502). */
	if ((msg = imapcmd_alloc(cx, imapcmd_count(c), sizeof(*msg))) == NULL)
		return -1;
	while (c != NULL) {
		if (c->type == IMAPCMD_N_LIST &&
		    imapcmd_arg_flags(cx, &c, false, &msg[k].flags) == -1)
			return -1;
		if (c != NULL && c->type == IMAPCMD_N_QUOTED) {
			if (date_time(cx, c, &msg[k]) == -1)
				return -1;
			c = c->next;
		}
		if (c == NULL || c->type != IMAPCMD_N_LITERAL)
			return imapcmd_fail(cx, BAD,
			                    "message must be a "
			                    "literal");
		msg[k++].data = c->s;
		c = c->next;
	}
	ap->msg = msg;
	ap->nmsg = k;
	return 0;
}

static int
p_store(struct imapcmd_cx *cx, const struct imapcmd_node *c,
        struct imapcmd *cmd)
{
	struct imapcmd_store *st = &cmd->u.store;
	const struct imapcmd_node *m;
	struct span a;

	if (imapcmd_arg_seq(cx, &c, "sequence set", &st->set) == -1)
		return -1;
	if (c != NULL && c->type == IMAPCMD_N_LIST) {
		m = c->child;
		c = c->next;
		if (!imapcmd_is(m, "UNCHANGEDSINCE"))
			return imapcmd_fail(cx, BAD, "unknown STORE modifier");
		m = m->next;
		if (imapcmd_arg_number(cx, &m, "UNCHANGEDSINCE", 0, MODSEQ_MAX,
		                       &st->unchangedsince) == -1 ||
		    imapcmd_arg_end(cx, m) == -1)
			return -1;
		st->has_unchangedsince = true;
	}
	if (imapcmd_arg_atom(cx, &c, "FLAGS", &a) == -1)
		return -1;
	st->op = IMAPCMD_STORE_SET;
	if (a.len > 0 && (a.p[0] == '+' || a.p[0] == '-')) {
		st->op =
		    a.p[0] == '+' ? IMAPCMD_STORE_ADD : IMAPCMD_STORE_REMOVE;
		a = span_make(a.p + 1, a.len - 1);
	}
	if (span_eq_nocase(a, "FLAGS.SILENT"))
		st->silent = true;
	else if (!span_eq_nocase(a, "FLAGS"))
		return imapcmd_fail(cx, BAD,
		                    "FLAGS, +FLAGS or -FLAGS "
		                    "expected");
	return imapcmd_arg_flags(cx, &c, true, &st->flags);
}

static int
p_copy(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	if (imapcmd_arg_seq(cx, &c, "sequence set", &cmd->u.copy.set) == -1 ||
	    imapcmd_arg_mbox(cx, &c, "mailbox", &cmd->u.copy.mbox) == -1)
		return -1;
	return imapcmd_arg_end(cx, c);
}

static int
p_expunge(struct imapcmd_cx *cx, const struct imapcmd_node *c,
          struct imapcmd *cmd)
{
	/* UID EXPUNGE needs a set (RFC 4315 section 2.1). */
	if (cmd->uid) {
		if (imapcmd_arg_seq(cx, &c, "UID set", &cmd->u.expunge.set) ==
		    -1)
			return -1;
		cmd->u.expunge.has_set = true;
	}
	return imapcmd_arg_end(cx, c);
}

static int
p_enable(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	struct span *cap;
	size_t k = 0;

	if (c == NULL)
		return missing(cx, "capability");
	if ((cap = imapcmd_alloc(cx, imapcmd_count(c), sizeof(*cap))) == NULL)
		return -1;
	while (c != NULL)
		if (imapcmd_arg_atom(cx, &c, "capability", &cap[k++]) == -1)
			return -1;
	cmd->u.enable.cap = cap;
	cmd->u.enable.ncap = k;
	return 0;
}

static int
p_id(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	struct imapcmd_idpair *pair;
	const struct imapcmd_node *n;
	size_t k = 0, cnt;

	if (c != NULL && c->type == IMAPCMD_N_NIL) {
		cmd->u.id.nil = true;
		return imapcmd_arg_end(cx, c->next);
	}
	if (imapcmd_arg_list(cx, &c, "ID parameter list", &n) == -1 ||
	    imapcmd_arg_end(cx, c) == -1)
		return -1;
	cnt = imapcmd_count(n);
	if (cnt % 2 != 0 || cnt / 2 > ID_MAX_PAIRS)
		return imapcmd_fail(cx, BAD, "bad ID parameter list");
	if ((pair = imapcmd_alloc(cx, cnt / 2 + 1, sizeof(*pair))) == NULL)
		return -1;
	while (n != NULL) {
		if (imapcmd_arg_astring(cx, &n, "ID field", &pair[k].key) == -1)
			return -1;
		if (n->type == IMAPCMD_N_NIL) {
			pair[k].val_nil = true;
			n = n->next;
		} else if (imapcmd_arg_astring(cx, &n, "ID value",
		                               &pair[k].val) == -1) {
			return -1;
		}
		if (pair[k].key.len > ID_MAX_FIELD ||
		    pair[k].val.len > ID_MAX_VALUE)
			return imapcmd_fail(cx, BAD, "ID field too long");
		k++;
	}
	cmd->u.id.pair = pair;
	cmd->u.id.npair = k;
	return 0;
}

static int
p_quota(struct imapcmd_cx *cx, const struct imapcmd_node *c,
        struct imapcmd *cmd)
{
	struct imapcmd_quota *q = &cmd->u.quota;
	struct imapcmd_quota_res *res;
	const struct imapcmd_node *n;
	size_t k = 0;

	if (imapcmd_arg_astring(cx, &c, "quota root", &q->root) == -1)
		return -1;
	if (cmd->name == IMAPCMD_GETQUOTA)
		return imapcmd_arg_end(cx, c);
	if (imapcmd_arg_list(cx, &c, "resource limits", &n) == -1 ||
	    imapcmd_arg_end(cx, c) == -1)
		return -1;
	if ((res = imapcmd_alloc(cx, imapcmd_count(n) / 2 + 1, sizeof(*res))) ==
	    NULL)
		return -1;
	while (n != NULL) {
		if (imapcmd_arg_atom(cx, &n, "resource", &res[k].name) == -1 ||
		    imapcmd_arg_number(cx, &n, "limit", 0, MODSEQ_MAX,
		                       &res[k].limit) == -1)
			return -1;
		k++;
	}
	q->res = res;
	q->nres = k;
	return 0;
}

static int
p_search(struct imapcmd_cx *cx, const struct imapcmd_node *c,
         struct imapcmd *cmd)
{
	return imapsearch_parse_cx(cx, c, &cmd->u.search);
}

static int
p_fetch(struct imapcmd_cx *cx, const struct imapcmd_node *c,
        struct imapcmd *cmd)
{
	return imapcmd_parse_fetch(cx, c, cmd);
}

static int
p_none(struct imapcmd_cx *cx, const struct imapcmd_node *c, struct imapcmd *cmd)
{
	(void)cmd;
	return imapcmd_arg_end(cx, c);
}

static int (*const parsers[IMAPCMD_NAME_COUNT])(struct imapcmd_cx *,
                                                const struct imapcmd_node *,
                                                struct imapcmd *) = {
    [IMAPCMD_AUTHENTICATE] = p_auth,
    [IMAPCMD_LOGIN] = p_login,
    [IMAPCMD_SELECT] = p_select,
    [IMAPCMD_EXAMINE] = p_select,
    [IMAPCMD_CREATE] = p_mbox,
    [IMAPCMD_DELETE] = p_mbox,
    [IMAPCMD_RENAME] = p_rename,
    [IMAPCMD_SUBSCRIBE] = p_mbox,
    [IMAPCMD_UNSUBSCRIBE] = p_mbox,
    [IMAPCMD_LIST] = p_list,
    [IMAPCMD_LSUB] = p_list,
    [IMAPCMD_STATUS] = p_status,
    [IMAPCMD_APPEND] = p_append,
    [IMAPCMD_EXPUNGE] = p_expunge,
    [IMAPCMD_SEARCH] = p_search,
    [IMAPCMD_FETCH] = p_fetch,
    [IMAPCMD_STORE] = p_store,
    [IMAPCMD_COPY] = p_copy,
    [IMAPCMD_MOVE] = p_copy,
    [IMAPCMD_ENABLE] = p_enable,
    [IMAPCMD_ID] = p_id,
    [IMAPCMD_GETQUOTA] = p_quota,
    [IMAPCMD_GETQUOTAROOT] = p_mbox,
    [IMAPCMD_SETQUOTA] = p_quota,
};

int
imapcmd_parse_args(struct imapcmd_cx *cx, struct imapcmd *cmd)
{
	if (parsers[cmd->name] != NULL)
		return parsers[cmd->name](cx, cmd->args, cmd);
	return p_none(cx, cmd->args, cmd);
}
