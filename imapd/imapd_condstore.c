/*
 * imapd_condstore.c - what CONDSTORE and QRESYNC (RFC 7162) add to a
 * selected session: expunges told as VANISHED once QRESYNC is enabled,
 * the view's modseq kept at the point up to which the client has been
 * shown every change (so its own changes are not reported twice), FETCH
 * responses with UID and MODSEQ, and the resync of SELECT ... (QRESYNC
 * ...) and of FETCH ... (CHANGEDSINCE n [VANISHED]).
 *
 * Expunge history: the store keeps a record (UID, modseq) of every
 * expunge for as long as the mailbox lives; nothing prunes it.  Only
 * "postern store rebuild" starts it afresh (UIDVALIDITY kept, every
 * message given one new modseq), so a resync from a modseq that every
 * message of the mailbox has passed may reach back before the history.
 * It is then answered with every UID the client names below UIDNEXT
 * that the mailbox no longer has: RFC 7162 lets VANISHED (EARLIER) name
 * UIDs expunged before the client's modseq, and clients ignore those
 * they do not know.
 *
 * Linked into: imapd.  Runs as store_owner.  Trust: sets and modseqs
 * come from the client (parsed by mail/imapcmd); records from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmem.h"
#include "imapd_condstore.h"
#include "mail/imapenc.h"

/* A VANISHED line is split near this length (RFC 7162 section 4). */
#define VANISHED_LINE 8000

/* UID ranges being collected. */
struct uids {
	struct imapseq_range *r;
	size_t n;
	size_t cap;
};

static void
uids_add(struct uids *u, uint32_t lo, uint32_t hi)
{
	if (u->n > 0 && u->r[u->n - 1].hi != UINT32_MAX &&
	    u->r[u->n - 1].hi + 1 == lo) {
		u->r[u->n - 1].hi = hi;
		return;
	}
	if (u->n == u->cap) {
		u->cap = u->cap == 0 ? 16 : u->cap * 2;
		u->r = xreallocarray(u->r, u->cap, sizeof(*u->r));
	}
	u->r[u->n].lo = lo;
	u->r[u->n++].hi = hi;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct imapseq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort the ranges and merge those that touch or overlap. */
static void
uids_merge(struct uids *u)
{
	size_t i, k;

	if (u->n < 2)
		return;
	qsort(u->r, u->n, sizeof(*u->r), cmp_range);
	for (i = 1, k = 0; i < u->n; i++) {
		if (u->r[k].hi == UINT32_MAX || u->r[i].lo <= u->r[k].hi + 1) {
			if (u->r[i].hi > u->r[k].hi)
				u->r[k].hi = u->r[i].hi;
		} else {
			u->r[++k] = u->r[i];
		}
	}
	u->n = k + 1;
}

/* "* VANISHED [(EARLIER) ]set" lines of merged ranges (none when empty).
 * 0, or -1 when out is full. */
static int
uids_vanished(const struct uids *u, bool earlier, struct buf *out)
{
	size_t i, start = 0;
	int r = 0;

	for (i = 0; i < u->n; i++) {
		if (i == 0 || out->len - start > VANISHED_LINE) {
			if (i > 0)
				r |= buf_adds(out, "\r\n");
			start = out->len;
			r |= buf_adds(out, earlier ? "* VANISHED (EARLIER) " :
						     "* VANISHED ");
		} else {
			r |= buf_addc(out, ',');
		}
		if (u->r[i].lo == u->r[i].hi)
			r |= buf_addf(out, "%u", u->r[i].lo);
		else
			r |= buf_addf(out, "%u:%u", u->r[i].lo, u->r[i].hi);
	}
	if (u->n > 0)
		r |= buf_adds(out, "\r\n");
	return r == 0 ? 0 : -1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
imapd_uidset_format(uint32_t *v, size_t n, struct buf *out)
{
	struct uids u = { NULL, 0, 0 };
	size_t i;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0; i < n; i++)
		uids_add(&u, v[i], v[i]);
	uids_merge(&u);
	for (i = 0; i < u.n; i++)
		if (u.r[i].lo == u.r[i].hi)
			buf_addf(out, "%s%u", i > 0 ? "," : "", u.r[i].lo);
		else
			buf_addf(out, "%s%u:%u", i > 0 ? "," : "", u.r[i].lo,
			    u.r[i].hi);
	free(u.r);
}

void
imapd_view_expunge(struct imapd_sess *s, uint32_t *uids, size_t n,
    struct buf *out)
{
	struct imapd_view *v = s->view;
	struct uids gone = { NULL, 0, 0 };
	size_t i, k, *idx;

	if (n == 0)
		return;
	if (n > 1)
		qsort(uids, n, sizeof(*uids), cmp_u32);
	idx = xcalloc(n, sizeof(*idx));
	k = uidmap_remove(&v->uids, uids, n, idx);
	/* In UID order: a message's number when it goes is its place less
	 * the ones already gone before it (RFC 3501 7.4.1). */
	for (i = 0; i < k; i++)
		if (s->qresync)
			uids_add(&gone, uids[i], uids[i]);
		else
			buf_addf(out, "* %zu EXPUNGE\r\n", idx[i] + 1 - i);
	free(idx);
	/* RFC 7162 3.2.10: after ENABLE QRESYNC, never EXPUNGE. */
	uids_vanished(&gone, false, out);
	free(gone.r);
}

void
imapd_view_own(struct imapd_view *v, uint32_t uid, uint64_t modseq)
{
	v->own = xreallocarray(v->own, v->nown + 1, sizeof(*v->own));
	v->own[v->nown].uid = uid;
	v->own[v->nown++].modseq = modseq;
}

bool
imapd_view_advance(struct imapd_view *v, uint64_t before, uint64_t after,
    uint64_t ours)
{
	/* Every change bumps the mailbox's modseq: after == before + ours
	 * means no other change came between, and v->modseq == before that
	 * none was waiting to be reported. */
	if (v->modseq != before || after != before + ours)
		return false;
	v->modseq = after;
	return true;
}

int
imapd_fetch_flags(struct buf *out, const struct imapd_view *v, size_t msn,
    const struct store_mailbox *m, const struct store_msg *msg,
    bool condstore, bool uid)
{
	const char *names[STORE_MAX_KEYWORDS];
	unsigned i;
	int r;

	for (i = 0; i < m->nkeywords; i++)
		names[i] = m->keywords[i];
	r = buf_addf(out, "* %zu FETCH (", msn);
	/* RFC 7162 3.1: with CONDSTORE on, UID and MODSEQ in every one. */
	if (condstore || uid)
		r |= buf_addf(out, "UID %u ", msg->uid);
	r |= buf_adds(out, "FLAGS ");
	r |= imapenc_flags(out, msg->flags |
	    (msg->uid >= v->first_recent ? IMAPENC_RECENT : 0),
	    msg->keywords, names, m->nkeywords);
	if (condstore)
		r |= buf_addf(out, " MODSEQ (%llu)",
		    (unsigned long long)msg->modseq);
	r |= buf_adds(out, ")\r\n");
	return r == 0 ? 0 : -1;
}

void
imapd_condstore_on(struct imapd_sess *s)
{
	if (s->condstore)
		return;
	s->condstore = true;
	/* Enabled with a mailbox selected: the client learns the modseq up
	 * to which it has been shown everything. */
	if (s->view != NULL)
		imapd_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->view->modseq);
}

/* ---- resynchronisation ---- */

struct resync {
	uint32_t *gone;
	size_t ngone;
	size_t capgone;
	struct store_msg *chg;
	size_t nchg;
	size_t capchg;
};

static bool
on_chg(void *arg, const struct store_msg *m)
{
	struct resync *rs = arg;

	if (rs->nchg == rs->capchg) {
		rs->capchg = rs->capchg == 0 ? 64 : rs->capchg * 2;
		rs->chg = xreallocarray(rs->chg, rs->capchg, sizeof(*rs->chg));
	}
	rs->chg[rs->nchg++] = *m;
	return true;
}

static void
on_gone(void *arg, uint32_t uid)
{
	struct resync *rs = arg;

	if (rs->ngone == rs->capgone) {
		rs->capgone = rs->capgone == 0 ? 64 : rs->capgone * 2;
		rs->gone = xreallocarray(rs->gone, rs->capgone,
		    sizeof(*rs->gone));
	}
	rs->gone[rs->ngone++] = uid;
}

static void
resync_fini(struct resync *rs)
{
	free(rs->gone);
	free(rs->chg);
}

/* Add to u the UIDs of lo..hi that v lacks. */
static void
add_missing(struct uids *u, const struct imapd_view *v, uint32_t lo,
    uint32_t hi)
{
	size_t a = uidmap_lower(&v->uids, lo), n = uidmap_count(&v->uids);
	uint32_t cur = lo, uid;

	for (; a < n && (uid = uidmap_uid(&v->uids, a)) <= hi; a++) {
		if (uid > cur)
			uids_add(u, cur, uid - 1);
		if (uid == hi)
			return;
		cur = uid + 1;
	}
	uids_add(u, cur, hi);
}

/*
 * VANISHED (EARLIER) of a resync: the UIDs of gone[] (expunged since the
 * client's modseq) that lie in set (resolved; NULL: any) below the
 * view's UIDNEXT, and when deep (the history may not reach back that
 * far) every UID of set below UIDNEXT that is not there.  UIDs the view
 * still has are left to the updates, which report them as VANISHED
 * without EARLIER and keep message numbers right.
 */
static int
vanished_earlier(const struct imapd_view *v, const struct resync *rs,
    const struct imapseq *set, bool deep, struct buf *out)
{
	struct uids u = { NULL, 0, 0 };
	uint32_t top = v->uidnext - 1;
	size_t i;
	int r;

	for (i = 0; i < rs->ngone; i++) {
		uint32_t g = rs->gone[i];

		if (g <= top && (set == NULL || imapseq_has(set, g, 0)) &&
		    uidmap_msn(&v->uids, g) == 0)
			uids_add(&u, g, g);
	}
	if (deep && top > 0 && set == NULL)
		add_missing(&u, v, 1, top);
	for (i = 0; deep && set != NULL && i < set->n; i++)
		if (set->r[i].lo <= top)
			add_missing(&u, v, set->r[i].lo,
			    set->r[i].hi < top ? set->r[i].hi : top);
	uids_merge(&u);
	r = uids_vanished(&u, true, out);
	free(u.r);
	return r;
}

static int
cmp_msg_uid(const void *a, const void *b)
{
	const struct store_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

enum store_res
imapd_qresync_select(struct store *st, const struct imapd_view *v,
    const struct store_mailbox *m, const struct imapcmd_select *sel,
    uint64_t min_modseq, struct buf *out, struct why *why)
{
	const struct imapseq *known = sel->has_known_uids ? &sel->known_uids :
							    NULL;
	struct resync rs = { 0 };
	enum store_res r;
	size_t i, msn;
	int err = 0;

	/* Read after the view was listed: anything expunged since is still
	 * in the view, and is told later by the updates. */
	r = store_changes(st, v->mailbox, sel->modseq, on_chg, on_gone, &rs,
	    why);
	if (r != STORE_OK) {
		resync_fini(&rs);
		return r;
	}
	/* Every message changed since the client's modseq: the history may
	 * have been started afresh after it (see the top of this file). */
	err |= vanished_earlier(v, &rs, known, sel->modseq <
		   m->highestmodseq && min_modseq > sel->modseq, out);
	if (rs.nchg > 1)
		qsort(rs.chg, rs.nchg, sizeof(*rs.chg), cmp_msg_uid);
	for (i = 0; i < rs.nchg; i++) {
		msn = uidmap_msn(&v->uids, rs.chg[i].uid);
		if (msn == 0 ||
		    (known != NULL && !imapseq_has(known, rs.chg[i].uid, 0)))
			continue;
		err |= imapd_fetch_flags(out, v, msn, m, &rs.chg[i], true,
		    true);
	}
	resync_fini(&rs);
	if (err != 0)
		return why_set(why, "response too large"), STORE_TEMP;
	return STORE_OK;
}

enum store_res
imapd_changedsince(struct store *st, const struct imapd_view *v,
    uint64_t highest, uint64_t since, const struct imapseq *vset,
    uint32_t *msn, size_t *n, struct buf *out, struct why *why)
{
	struct resync rs = { 0 };
	uint32_t *cu;
	size_t i, k, inview = 0;
	enum store_res r;

	r = store_changes(st, v->mailbox, since, on_chg,
	    vset != NULL ? on_gone : NULL, &rs, why);
	if (r != STORE_OK) {
		resync_fini(&rs);
		return r;
	}
	cu = xcalloc(rs.nchg + 1, sizeof(*cu));
	for (i = 0; i < rs.nchg; i++) {
		cu[i] = rs.chg[i].uid;
		inview += uidmap_msn(&v->uids, cu[i]) != 0;
	}
	if (rs.nchg > 1)
		qsort(cu, rs.nchg, sizeof(*cu), cmp_u32);
	if (vset != NULL &&
	    vanished_earlier(v, &rs, vset,
		since < highest && inview == uidmap_count(&v->uids), out) == -1)
		r = (why_set(why, "response too large"), STORE_TEMP);
	/* RFC 7162 3.1.4.1: only the messages changed since. */
	for (i = k = 0; i < *n; i++) {
		uint32_t uid = uidmap_uid(&v->uids, msn[i] - 1);

		if (bsearch(&uid, cu, rs.nchg, sizeof(*cu), cmp_u32) != NULL)
			msn[k++] = msn[i];
	}
	*n = k;
	free(cu);
	resync_fini(&rs);
	return r;
}
