/*
 * imapd_select.c - SELECT and EXAMINE (with CONDSTORE's HIGHESTMODSEQ
 * and QRESYNC's resync, RFC 7162), CLOSE and UNSELECT, and the updates a
 * selected session gets: new messages (EXISTS, RECENT), flag changes
 * (FETCH FLAGS, with UID and MODSEQ once CONDSTORE is on) and expunges
 * (EXPUNGE, numbers renumbered as RFC 3501 7.4.1 says, or VANISHED once
 * QRESYNC is on), read from the store's change log since the modseq the
 * session last saw, never by reading the whole mailbox.
 * Linked into: imapd.  Runs as store_owner.  Trust: the store's records
 * are checked by the store; the mailbox name comes from the client.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "mail/imapenc.h"

_Static_assert((unsigned)STORE_SEEN == (unsigned)IMAPENC_SEEN &&
	(unsigned)STORE_ANSWERED == (unsigned)IMAPENC_ANSWERED &&
	(unsigned)STORE_FLAGGED == (unsigned)IMAPENC_FLAGGED &&
	(unsigned)STORE_DELETED == (unsigned)IMAPENC_DELETED &&
	(unsigned)STORE_DRAFT == (unsigned)IMAPENC_DRAFT,
    "store and IMAP flag bits agree");

void
imapd_view_free(struct imapd_view **vp)
{
	struct imapd_view *v = *vp;

	if (v == NULL)
		return;
	uidmap_fini(&v->uids);
	free(v->own);
	free(v);
	*vp = NULL;
}

/* "(\Answered ... keywords)" of a mailbox. */
static void
flag_names(struct buf *out, const struct store_mailbox *m, bool perm)
{
	unsigned i;

	buf_adds(out, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < m->nkeywords; i++)
		buf_addf(out, " %s", m->keywords[i]);
	if (perm)
		buf_adds(out, " \\*");
	buf_adds(out, ")");
}

struct select_job {
	struct imapd_sess *s;
	bool examine;
	bool condstore;			/* HIGHESTMODSEQ */
	const struct imapcmd_select *sel; /* borrowed: the command's */
	char name[STORE_MAX_NAME + 1];
	struct imapd_view *view;
	struct buf out;
	const char *status;
	char text[200];
	uint32_t first_unseen;
	uint64_t min_modseq;		/* of the messages listed */
};

/*
 * The UIDs of recently selected mailboxes, shared by the sessions of the
 * process: a SELECT of a mailbox that has not changed since (same index,
 * UIDVALIDITY and HIGHESTMODSEQ: every change moves HIGHESTMODSEQ) copies
 * them instead of reading every message record again.  Direct-mapped;
 * only mailboxes up to IMAPD_VIEW_CACHE_MAX messages.
 */
#define IMAPD_VIEW_CACHE_SLOTS 64
#define IMAPD_VIEW_CACHE_MAX 100000

struct view_cache {
	char *dir;			/* the user's store; NULL: empty */
	uint64_t index;			/* store_index_id */
	uint32_t mailbox;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct uidmap uids;
	uint32_t first_unseen;
	uint64_t min_modseq;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct view_cache cache[IMAPD_VIEW_CACHE_SLOTS];

static struct view_cache *
cache_slot(const char *dir, uint32_t mailbox)
{
	uint32_t h = 2166136261u ^ mailbox;

	for (; *dir != '\0'; dir++)
		h = (h ^ (unsigned char)*dir) * 16777619u;
	return &cache[h % IMAPD_VIEW_CACHE_SLOTS];
}

static bool
cache_match(const struct view_cache *c, struct store *st,
    const struct store_mailbox *m)
{
	return c->dir != NULL && c->mailbox == m->id &&
	    c->uidvalidity == m->uidvalidity && c->modseq == m->highestmodseq &&
	    c->index == store_index_id(st) && strcmp(c->dir, store_dir(st)) == 0;
}

/* The view of m from the cache: true when it was there. */
static bool
cache_get(struct select_job *j, struct store *st,
    const struct store_mailbox *m)
{
	struct view_cache *c = cache_slot(store_dir(st), m->id);
	bool hit;

	pthread_mutex_lock(&cache_lock);
	hit = cache_match(c, st, m);
	if (hit) {
		uidmap_copy(&j->view->uids, &c->uids);
		j->first_unseen = c->first_unseen;
		j->min_modseq = c->min_modseq;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void
cache_put(const struct select_job *j, struct store *st,
    const struct store_mailbox *m)
{
	struct view_cache *c = cache_slot(store_dir(st), m->id);
	const struct imapd_view *v = j->view;

	if (uidmap_count(&v->uids) > IMAPD_VIEW_CACHE_MAX)
		return;
	pthread_mutex_lock(&cache_lock);
	free(c->dir);
	c->dir = xstrdup(store_dir(st));
	c->index = store_index_id(st);
	c->mailbox = m->id;
	c->uidvalidity = m->uidvalidity;
	c->modseq = m->highestmodseq;
	uidmap_copy(&c->uids, &v->uids);
	c->first_unseen = j->first_unseen;
	c->min_modseq = j->min_modseq;
	pthread_mutex_unlock(&cache_lock);
}

void
imapd_view_cache_free(void)
{
	for (size_t i = 0; i < IMAPD_VIEW_CACHE_SLOTS; i++) {
		free(cache[i].dir);
		uidmap_fini(&cache[i].uids);
		cache[i].dir = NULL;
	}
}

static bool
add_msg(void *arg, const struct store_msg *m)
{
	struct select_job *j = arg;

	uidmap_append(&j->view->uids, m->uid);
	if (j->first_unseen == 0 && !(m->flags & STORE_SEEN))
		j->first_unseen = (uint32_t)uidmap_count(&j->view->uids);
	if (m->modseq < j->min_modseq)
		j->min_modseq = m->modseq;
	return true;
}

/* The untagged responses of a successful SELECT; 0 or -1 (out full). */
static int
select_responses(struct select_job *j, const struct store_mailbox *m)
{
	const struct imapd_view *v = j->view;
	size_t n = uidmap_count(&v->uids);
	size_t recent = n - uidmap_lower(&v->uids, v->first_recent);
	int r;

	r = buf_adds(&j->out, "* FLAGS ");
	flag_names(&j->out, m, false);
	r |= buf_addf(&j->out, "\r\n* %zu EXISTS\r\n* %zu RECENT\r\n", n,
	    recent);
	if (j->first_unseen != 0)
		r |= buf_addf(&j->out, "* OK [UNSEEN %u] First unseen\r\n",
		    j->first_unseen);
	r |= buf_adds(&j->out, "* OK [PERMANENTFLAGS ");
	if (j->examine)
		r |= buf_adds(&j->out, "()");
	else
		flag_names(&j->out, m, true);
	r |= buf_addf(&j->out, "] Flags permitted\r\n"
			       "* OK [UIDVALIDITY %u] UIDs valid\r\n"
			       "* OK [UIDNEXT %u] Predicted next UID\r\n",
	    v->uidvalidity, v->uidnext);
	/* RFC 7162 3.1.2.1: the modseq up to which the client now knows
	 * everything (read before the messages were listed). */
	if (j->condstore)
		r |= buf_addf(&j->out, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
		    (unsigned long long)v->modseq);
	return r == 0 ? 0 : -1;
}

static void
select_work(void *arg)
{
	struct select_job *j = arg;
	struct store *st = j->s->store;
	struct imapd_view *v = xcalloc(1, sizeof(*v));
	struct store_mailbox m;
	struct why why = { "" };
	enum store_res r;

	j->view = v;
	j->min_modseq = UINT64_MAX;
	/* The mailbox first, then its messages: a change between the two
	 * is then past v->modseq and reported by the next update. */
	r = store_mailbox_get(st, j->name, &m, &why);
	if (r == STORE_OK && m.noselect)
		r = STORE_NOTFOUND;
	/* The list is exact for m's HIGHESTMODSEQ only when nothing changed
	 * between reading m and listing: then it may be cached. */
	if (r == STORE_OK && !cache_get(j, st, &m)) {
		struct store_mailbox again;

		r = store_msg_list(st, m.id, 1, add_msg, j, &why);
		if (r == STORE_OK && store_mailbox_get(st, j->name, &again,
			&why) == STORE_OK && again.id == m.id &&
		    again.highestmodseq == m.highestmodseq)
			cache_put(j, st, &m);
	}
	v->first_recent = UINT32_MAX;
	if (r == STORE_OK && !j->examine)
		r = store_claim_recent(st, m.id, &v->first_recent, &why);
	if (r == STORE_OK) {
		v->mailbox = m.id;
		snprintf(v->name, sizeof(v->name), "%s", m.name);
		v->readonly = j->examine;
		v->uidvalidity = m.uidvalidity;
		v->uidnext = m.uidnext;
		if (uidmap_count(&v->uids) > 0 &&
		    uidmap_last(&v->uids) >= v->uidnext)
			v->uidnext = uidmap_last(&v->uids) + 1;
		v->modseq = m.highestmodseq;
		if (select_responses(j, &m) == -1)
			r = (why_set(&why, "response too large"), STORE_TEMP);
	}
	/* RFC 7162 3.2.5: a resync only for the UIDVALIDITY it knew. */
	if (r == STORE_OK && j->sel->qresync &&
	    j->sel->uidvalidity == m.uidvalidity)
		r = imapd_qresync_select(st, v, &m, j->sel, j->min_modseq,
		    &j->out, &why);
	if (r != STORE_OK) {
		j->status = "NO";
		snprintf(j->text, sizeof(j->text), "%s", r == STORE_NOTFOUND ?
		    "[NONEXISTENT] No such mailbox" :
		    "[UNAVAILABLE] Try again later");
		if (r == STORE_TEMP)
			log_warn("%s: select %s: %s", j->s->id, j->name,
			    why.msg);
		buf_reset(&j->out);
		imapd_view_free(&j->view);
		return;
	}
	j->status = "OK";
	snprintf(j->text, sizeof(j->text), "[%s] %s completed",
	    j->examine ? "READ-ONLY" : "READ-WRITE",
	    j->examine ? "EXAMINE" : "SELECT");
}

static void
select_free(void *arg)
{
	struct select_job *j = arg;

	imapd_view_free(&j->view);
	buf_fini(&j->out);
	free(j);
}

/* A failed SELECT leaves no mailbox selected (RFC 3501); the client is
 * told where the old one's responses end (RFC 7162 3.2.11). */
static void
unselect_old(struct imapd_sess *s)
{
	if (s->view != NULL)
		imapd_untagged(s, "OK [CLOSED] Previous mailbox closed");
	imapd_view_free(&s->view);
	s->state = IMAPD_AUTH;
}

static void
select_done(void *arg)
{
	struct select_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		unselect_old(s);
		if (j->view != NULL) {
			s->view = j->view;
			j->view = NULL;
			s->state = IMAPD_SELECTED;
		}
		imapd_write(s, j->out.p, j->out.len);
		imapd_tagged(s, j->status, "%s", j->text);
	}
	select_free(j);
	imapd_job_end(s);
}

void
imapd_select(struct imapd_sess *s)
{
	const struct imapcmd_select *sel = &s->cmd.u.select;
	struct select_job *j;
	struct why why = { "" };

	/* RFC 7162 3.2.5: QRESYNC parameters only after ENABLE QRESYNC. */
	if (sel->qresync && !s->qresync) {
		imapd_tagged(s, "BAD", "QRESYNC is not enabled");
		return;
	}
	if (sel->condstore || sel->qresync)
		s->condstore = true;
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->examine = s->cmd.name == IMAPCMD_EXAMINE;
	j->condstore = s->condstore;
	j->sel = sel;
	buf_init(&j->out, 256 * 1024 * 1024);
	if (imapd_name_in(s, &sel->mbox, j->name, &why) == -1) {
		unselect_old(s);
		imapd_tagged(s, "NO", "[CANNOT] %s", why.msg);
		buf_fini(&j->out);
		free(j);
		return;
	}
	imapd_job(s, select_work, select_done, select_free, j);
}

/* ---- updates ---- */

struct update_job {
	struct imapd_sess *s;
	bool tagged;
	struct store_mailbox m;
	uint32_t *gone;
	size_t ngone;
	struct store_msg *changed;
	size_t nchanged;
	struct buf out;
	bool failed;
	struct why why;
};

static bool
on_changed(void *arg, const struct store_msg *m)
{
	struct update_job *j = arg;

	j->changed = xreallocarray(j->changed, j->nchanged + 1,
	    sizeof(*j->changed));
	j->changed[j->nchanged++] = *m;
	return true;
}

static void
on_gone(void *arg, uint32_t uid)
{
	struct update_job *j = arg;

	j->gone = xreallocarray(j->gone, j->ngone + 1, sizeof(*j->gone));
	j->gone[j->ngone++] = uid;
}

static int
cmp_msg_uid(const void *a, const void *b)
{
	const struct store_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
cmp_own(const void *a, const void *b)
{
	const struct imapd_own *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->modseq < y->modseq ? -1 : x->modseq > y->modseq;
}

/* Was this change shown to the client by its own command? */
static bool
shown(const struct imapd_view *v, const struct store_msg *m)
{
	struct imapd_own key = { m->uid, m->modseq };

	return v->nown > 0 && bsearch(&key, v->own, v->nown,
				  sizeof(*v->own), cmp_own) != NULL;
}

/* FETCH FLAGS of the known messages that changed, but not twice what
 * the client's own STORE showed it. */
static void
report_flags(struct update_job *j, size_t known)
{
	struct imapd_view *v = j->s->view;
	size_t i, msn;

	if (v->nown > 1)
		qsort(v->own, v->nown, sizeof(*v->own), cmp_own);
	for (i = 0; i < j->nchanged; i++) {
		const struct store_msg *m = &j->changed[i];

		if (m->modseq > v->modseq)
			v->modseq = m->modseq;
		msn = uidmap_msn(&v->uids, m->uid);
		if (msn == 0 || msn > known || shown(v, m))
			continue;
		imapd_fetch_flags(&j->out, v, msn, &j->m, m, j->s->condstore,
		    false);
	}
	free(v->own);
	v->own = NULL;
	v->nown = 0;
}

static void
update_work(void *arg)
{
	struct update_job *j = arg;
	struct imapd_view *v = j->s->view;
	size_t i, k;

	/* The mailbox before its changes: every change up to its modseq is
	 * in what store_changes reads, so the view may move there. */
	if (store_mailbox_by_id(j->s->store, v->mailbox, &j->m, &j->why) !=
		STORE_OK ||
	    store_changes(j->s->store, v->mailbox, v->modseq, on_changed,
		on_gone, j, &j->why) != STORE_OK) {
		j->failed = true;
		return;
	}
	/* Expunges first, each with the number the client has now. */
	imapd_view_expunge(j->s, j->gone, j->ngone, &j->out);
	/* New messages in UID order (the log is in modseq order), then flag
	 * changes of the ones the client knew. */
	if (j->nchanged > 1)
		qsort(j->changed, j->nchanged, sizeof(*j->changed),
		    cmp_msg_uid);
	k = uidmap_count(&v->uids);
	/* UIDs are above 0: the first is above an empty view's last. */
	for (i = 0; i < j->nchanged; i++)
		if (j->changed[i].uid >= v->uidnext &&
		    j->changed[i].uid > uidmap_last(&v->uids))
			uidmap_append(&v->uids, j->changed[i].uid);
	if (uidmap_count(&v->uids) != k)
		buf_addf(&j->out, "* %zu EXISTS\r\n", uidmap_count(&v->uids));
	report_flags(j, k);
	if (uidmap_count(&v->uids) > 0 && uidmap_last(&v->uids) >= v->uidnext)
		v->uidnext = uidmap_last(&v->uids) + 1;
	if (j->m.uidnext > v->uidnext)
		v->uidnext = j->m.uidnext;
	if (j->m.highestmodseq > v->modseq)
		v->modseq = j->m.highestmodseq;
}

static void
update_free(void *arg)
{
	struct update_job *j = arg;

	free(j->gone);
	free(j->changed);
	buf_fini(&j->out);
	free(j);
}

static void
update_done(void *arg)
{
	struct update_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		if (j->failed)
			log_warn("%s: changes of %s: %s", s->id, s->view->name,
			    j->why.msg);
		imapd_write(s, j->out.p, j->out.len);
		if (j->tagged)
			imapd_tagged(s, "OK", "%s completed",
			    imapcmd_name_str(s->cmd.name));
	}
	if (j->tagged) {
		update_free(j);
		imapd_job_end(s);
		return;
	}
	/* IDLE: the command is not over; read on (DONE). */
	update_free(j);
	imapd_job_resume(s);
	if (!s->ended && s->idling && s->idle_pending) {
		s->idle_pending = false;
		imapd_updates(s, false);
	}
}

void
imapd_updates(struct imapd_sess *s, bool tagged)
{
	struct update_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->tagged = tagged;
	buf_init(&j->out, 64 * 1024 * 1024);
	imapd_job(s, update_work, update_done, update_free, j);
}

struct close_job {
	struct imapd_sess *s;
	uint32_t *uids;			/* \Deleted messages */
	size_t n;
	bool failed;
	struct why why;
};

static bool
add_deleted(void *arg, const struct store_msg *m)
{
	struct close_job *j = arg;

	if (m->flags & STORE_DELETED) {
		j->uids = xreallocarray(j->uids, j->n + 1, sizeof(*j->uids));
		j->uids[j->n++] = m->uid;
	}
	return true;
}

static void
close_work(void *arg)
{
	struct close_job *j = arg;
	const struct imapd_view *v = j->s->view;

	if (store_msg_list(j->s->store, v->mailbox, 1, add_deleted, j,
		&j->why) != STORE_OK ||
	    (j->n > 0 && store_expunge(j->s->store, v->mailbox, j->uids, j->n,
			     NULL, NULL, &j->why) != STORE_OK))
		j->failed = true;
}

static void
close_free(void *arg)
{
	struct close_job *j = arg;

	free(j->uids);
	free(j);
}

static void
close_done(void *arg)
{
	struct close_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		if (j->failed)
			log_warn("%s: close %s: %s", s->id, s->view->name,
			    j->why.msg);
		imapd_view_free(&s->view);
		s->state = IMAPD_AUTH;
		/* RFC 3501 6.4.2: no untagged EXPUNGE; the mailbox is left
		 * whatever happened. */
		imapd_tagged(s, "OK", "CLOSE completed");
	}
	close_free(j);
	imapd_job_end(s);
}

void
imapd_close(struct imapd_sess *s, bool expunge)
{
	struct close_job *j;

	if (!expunge || s->view->readonly) {
		imapd_view_free(&s->view);
		s->state = IMAPD_AUTH;
		imapd_tagged(s, "OK", "%s completed",
		    imapcmd_name_str(s->cmd.name));
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	imapd_job(s, close_work, close_done, close_free, j);
}
