/*
 * imapd_select.c - SELECT and EXAMINE, CLOSE and UNSELECT, and the
 * updates a selected session gets: new messages (EXISTS, RECENT), flag
 * changes (FETCH FLAGS) and expunges (EXPUNGE, numbers renumbered as
 * RFC 3501 7.4.1 says), read from the store's change log since the
 * modseq the session last saw, never by reading the whole mailbox.
 * Linked into: imapd.  Runs as store_owner.  Trust: the store's records
 * are checked by the store; the mailbox name comes from the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
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
	free(v->uid);
	free(v);
	*vp = NULL;
}

static void
view_add(struct imapd_view *v, uint32_t uid)
{
	if (v->n == v->cap) {
		v->cap = v->cap == 0 ? 64 : v->cap * 2;
		v->uid = xreallocarray(v->uid, v->cap, sizeof(*v->uid));
	}
	v->uid[v->n++] = uid;
}

/* The message number of uid (1-based), or 0. */
static size_t
view_msn(const struct imapd_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->uid[mid] == uid)
			return mid + 1;
		if (v->uid[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
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

static void
msg_flags(struct buf *out, const struct store_mailbox *m,
    const struct store_msg *msg, bool recent)
{
	const char *names[STORE_MAX_KEYWORDS];
	unsigned i;

	for (i = 0; i < m->nkeywords; i++)
		names[i] = m->keywords[i];
	/* The store's system flag bits are imapenc's, in the same order. */
	imapenc_flags(out, msg->flags | (recent ? IMAPENC_RECENT : 0),
	    msg->keywords, names, m->nkeywords);
}

struct select_job {
	struct imapd_sess *s;
	bool examine;
	char name[STORE_MAX_NAME + 1];
	struct imapd_view *view;
	struct buf out;
	const char *status;
	char text[200];
	uint32_t first_unseen;
};

static bool
add_msg(void *arg, const struct store_msg *m)
{
	struct select_job *j = arg;

	view_add(j->view, m->uid);
	if (j->first_unseen == 0 && !(m->flags & STORE_SEEN))
		j->first_unseen = (uint32_t)j->view->n;
	return true;
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
	size_t i, recent = 0;

	j->view = v;
	r = store_mailbox_get(st, j->name, &m, &why);
	if (r == STORE_OK && m.noselect)
		r = STORE_NOTFOUND;
	if (r == STORE_OK)
		r = store_msg_list(st, m.id, 1, add_msg, j, &why);
	v->first_recent = UINT32_MAX;
	if (r == STORE_OK && !j->examine)
		r = store_claim_recent(st, m.id, &v->first_recent, &why);
	if (r != STORE_OK) {
		j->status = "NO";
		snprintf(j->text, sizeof(j->text), "%s", r == STORE_NOTFOUND ?
		    "[NONEXISTENT] No such mailbox" :
		    "[UNAVAILABLE] Try again later");
		if (r == STORE_TEMP)
			log_warn("%s: select %s: %s", j->s->id, j->name,
			    why.msg);
		imapd_view_free(&j->view);
		return;
	}
	v->mailbox = m.id;
	snprintf(v->name, sizeof(v->name), "%s", m.name);
	v->readonly = j->examine;
	v->uidvalidity = m.uidvalidity;
	v->uidnext = m.uidnext;
	v->modseq = m.highestmodseq;
	for (i = 0; i < v->n; i++)
		recent += v->uid[i] >= v->first_recent;
	buf_adds(&j->out, "* FLAGS ");
	flag_names(&j->out, &m, false);
	buf_addf(&j->out, "\r\n* %zu EXISTS\r\n* %zu RECENT\r\n", v->n,
	    recent);
	if (j->first_unseen != 0)
		buf_addf(&j->out, "* OK [UNSEEN %u] First unseen\r\n",
		    j->first_unseen);
	buf_adds(&j->out, "* OK [PERMANENTFLAGS ");
	if (j->examine)
		buf_adds(&j->out, "()");
	else
		flag_names(&j->out, &m, true);
	buf_addf(&j->out, "] Flags permitted\r\n"
			  "* OK [UIDVALIDITY %u] UIDs valid\r\n"
			  "* OK [UIDNEXT %u] Predicted next UID\r\n",
	    m.uidvalidity, m.uidnext);
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

static void
select_done(void *arg)
{
	struct select_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		/* A failed SELECT leaves no mailbox selected (RFC 3501). */
		imapd_view_free(&s->view);
		s->state = IMAPD_AUTH;
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
	struct select_job *j = xcalloc(1, sizeof(*j));
	struct why why = { "" };

	j->s = s;
	j->examine = s->cmd.name == IMAPCMD_EXAMINE;
	buf_init(&j->out, 1024 * 1024);
	if (imapd_name_in(s, &s->cmd.u.select.mbox, j->name, &why) == -1) {
		imapd_view_free(&s->view);
		s->state = IMAPD_AUTH;
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

static void
update_work(void *arg)
{
	struct update_job *j = arg;
	struct imapd_view *v = j->s->view;
	size_t i, k, msn;

	if (store_mailbox_by_id(j->s->store, v->mailbox, &j->m, &j->why) !=
		STORE_OK ||
	    store_changes(j->s->store, v->mailbox, v->modseq, on_changed,
		on_gone, j, &j->why) != STORE_OK) {
		j->failed = true;
		return;
	}
	/* Expunges first, each with the number the client has now. */
	for (i = 0; i < j->ngone; i++) {
		msn = view_msn(v, j->gone[i]);
		if (msn == 0)
			continue;
		buf_addf(&j->out, "* %zu EXPUNGE\r\n", msn);
		memmove(&v->uid[msn - 1], &v->uid[msn],
		    (v->n - msn) * sizeof(*v->uid));
		v->n--;
	}
	/* New messages (in UID order), then flag changes of known ones. */
	k = v->n;
	for (i = 0; i < j->nchanged; i++)
		if (j->changed[i].uid >= v->uidnext &&
		    (v->n == 0 || j->changed[i].uid > v->uid[v->n - 1]))
			view_add(v, j->changed[i].uid);
	if (v->n != k)
		buf_addf(&j->out, "* %zu EXISTS\r\n", v->n);
	for (i = 0; i < j->nchanged; i++) {
		msn = view_msn(v, j->changed[i].uid);
		if (msn == 0 || msn > k)
			continue;
		buf_addf(&j->out, "* %zu FETCH (FLAGS ", msn);
		msg_flags(&j->out, &j->m, &j->changed[i],
		    j->changed[i].uid >= v->first_recent);
		buf_adds(&j->out, ")\r\n");
	}
	if (v->n > 0 && v->uid[v->n - 1] >= v->uidnext)
		v->uidnext = v->uid[v->n - 1] + 1;
	if (j->m.uidnext > v->uidnext)
		v->uidnext = j->m.uidnext;
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
