/*
 * imapd_change.c - the commands that change a selected mailbox: STORE
 * (with CONDSTORE's UNCHANGEDSINCE and MODIFIED), EXPUNGE and UID
 * EXPUNGE (UIDPLUS), COPY and MOVE (with COPYUID), on a worker; the
 * untagged FETCH and EXPUNGE (or VANISHED) responses keep message numbers
 * right (RFC 3501 7.4.1), and what the client is shown of its own
 * changes is not reported to it again (RFC 7162 3.1).
 * Linked into: imapd.  Trust: sets and flags come from the client
 * (parsed by mail/imapcmd); the store checks names and quotas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "mail/imapenc.h"

struct change_job {
	struct imapd_sess *s;
	enum imapcmd_name name;
	bool uid_cmd;
	uint32_t *uid;			/* the messages the set names */
	size_t n;
	struct store_flags fl;		/* STORE */
	char **kw;
	bool silent;
	bool unchangedsince;
	bool condstore;			/* the session's, at the start */
	char dest[STORE_MAX_NAME + 1];	/* COPY, MOVE */
	struct store_mailbox m;
	struct buf out;
	struct buf modified;		/* STORE: uint32_t UIDs (or numbers)
					   that failed UNCHANGEDSINCE;
					   EXPUNGE: the \Deleted UIDs */
	struct buf changed;		/* STORE: struct store_msg each */
	struct buf gone;		/* EXPUNGE: uint32_t UIDs expunged */
	uint64_t before;		/* the mailbox's modseq before */
	const char *status;
	char text[400];
	struct why why;
};

unsigned
imapd_cmd_flags(uint32_t f)
{
	return (f & STORE_SEEN ? IMAPCMD_F_SEEN : 0) |
	    (f & STORE_ANSWERED ? IMAPCMD_F_ANSWERED : 0) |
	    (f & STORE_FLAGGED ? IMAPCMD_F_FLAGGED : 0) |
	    (f & STORE_DELETED ? IMAPCMD_F_DELETED : 0) |
	    (f & STORE_DRAFT ? IMAPCMD_F_DRAFT : 0);
}

uint32_t
imapd_store_flags(unsigned sys)
{
	return (sys & IMAPCMD_F_SEEN ? STORE_SEEN : 0) |
	    (sys & IMAPCMD_F_ANSWERED ? STORE_ANSWERED : 0) |
	    (sys & IMAPCMD_F_FLAGGED ? STORE_FLAGGED : 0) |
	    (sys & IMAPCMD_F_DELETED ? STORE_DELETED : 0) |
	    (sys & IMAPCMD_F_DRAFT ? STORE_DRAFT : 0);
}

static void
job_set(struct change_job *j, const char *status, const char *text)
{
	j->status = status;
	snprintf(j->text, sizeof(j->text), "%s", text);
}

static void
store_failed(struct change_job *j, enum store_res r)
{
	if (r == STORE_TEMP)
		log_warn("%s: %s: %s", j->s->id, imapcmd_name_str(j->name),
		    j->why.msg);
	job_set(j, "NO", r == STORE_OVERQUOTA ? "[OVERQUOTA] Quota exceeded" :
	    r == STORE_NOTFOUND ? "[TRYCREATE] No such mailbox" :
	    r == STORE_NOTALLOWED ? "[CANNOT] Not allowed" :
				    "[UNAVAILABLE] Try again later");
}

/* ---- STORE ---- */

/* The mailbox's highestmodseq now (into j->m, keywords too). */
static enum store_res
reread(struct change_job *j, uint64_t *out)
{
	enum store_res r = store_mailbox_by_id(j->s->store,
	    j->s->view->mailbox, &j->m, &j->why);

	*out = j->m.highestmodseq;
	return r;
}

static void
on_stored(void *arg, const struct store_msg *m, bool changed)
{
	struct change_job *j = arg;

	if (changed)
		buf_add(&j->changed, m, sizeof(*m));
	/* Not changed: no change was needed, or it failed the test. */
	else if (j->unchangedsince && m->modseq > j->fl.unchangedsince)
		buf_add(&j->modified, &m->uid, sizeof(m->uid));
}

/* The FETCH response of one changed message (RFC 7162 3.1.3: with
 * UNCHANGEDSINCE one is sent even for .SILENT, holding MODSEQ). */
static void
report_stored(struct change_job *j, const struct store_msg *m)
{
	const struct imapd_view *v = j->s->view;
	size_t msn = uidmap_msn(&v->uids, m->uid);

	if (msn == 0 || (j->silent && !j->unchangedsince))
		return;
	if (!j->silent)
		imapd_fetch_flags(&j->out, v, msn, &j->m, m, j->condstore,
		    j->uid_cmd);
	else
		buf_addf(&j->out, "* %zu FETCH (UID %u MODSEQ (%llu))\r\n", msn,
		    m->uid, (unsigned long long)m->modseq);
}

/* MODIFIED names message numbers for STORE, UIDs for UID STORE. */
static void
modified_numbers(struct change_job *j)
{
	uint32_t *u = (uint32_t *)(void *)j->modified.p;
	size_t i, n = j->modified.len / sizeof(*u);

	for (i = 0; !j->uid_cmd && i < n; i++)
		u[i] = (uint32_t)uidmap_msn(&j->s->view->uids, u[i]);
}

static void
do_store(struct change_job *j)
{
	struct store *st = j->s->store;
	struct imapd_view *v = j->s->view;
	const struct store_msg *m;
	uint64_t after;
	enum store_res r;
	size_t i, n;
	bool clean;

	r = reread(j, &j->before);
	/* UNCHANGEDSINCE 0 fails for every message (the store reads 0 as
	 * "no test"). */
	for (i = 0; j->unchangedsince && j->fl.unchangedsince == 0 &&
	     i < j->n; i++)
		buf_add(&j->modified, &j->uid[i], sizeof(j->uid[i]));
	if (r == STORE_OK && j->modified.len == 0)
		r = store_flags_change(st, v->mailbox, j->uid, j->n, &j->fl,
		    on_stored, j, &j->why);
	/* Keywords the change defined have names by now. */
	if (r == STORE_OK)
		r = reread(j, &after);
	if (r != STORE_OK) {
		store_failed(j, r);
		return;
	}
	m = (const struct store_msg *)(const void *)j->changed.p;
	n = j->changed.len / sizeof(*m);
	clean = imapd_view_advance(v, j->before, after, n > 0);
	for (i = 0; i < n; i++) {
		report_stored(j, &m[i]);
		/* Others' changes came between: the next update reports
		 * them, but not what the client has just been shown (the
		 * flags, or with FLAGS.SILENT the flags it set). */
		if (!clean && (!j->silent || j->fl.op == STORE_FLAGS_SET))
			imapd_view_own(v, m[i].uid, m[i].modseq);
	}
	/* RFC 7162 3.2: MODSEQs were shown while older changes wait. */
	if (!clean && n > 0 && j->condstore &&
	    (!j->silent || j->unchangedsince))
		buf_addf(&j->out, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
		    (unsigned long long)v->modseq);
	modified_numbers(j);
	snprintf(j->text, sizeof(j->text), "%sSTORE completed",
	    j->uid_cmd ? "UID " : "");
	j->status = "OK";
}

/* ---- EXPUNGE ---- */

static bool
add_deleted(void *arg, const struct store_msg *m)
{
	struct change_job *j = arg;

	if (m->flags & STORE_DELETED)
		buf_add(&j->modified, &m->uid, sizeof(m->uid));
	return true;
}

static void
on_expunged(void *arg, uint32_t uid)
{
	struct change_job *j = arg;

	buf_add(&j->gone, &uid, sizeof(uid));
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The expunges told, the view's modseq moved if it may (ours: whether
 * the store was changed), and HIGHESTMODSEQ for the tagged OK. */
static void
expunged(struct change_job *j, bool ours)
{
	struct imapd_view *v = j->s->view;
	uint64_t after;

	imapd_view_expunge(j->s, (uint32_t *)(void *)j->gone.p,
	    j->gone.len / sizeof(uint32_t), &j->out);
	if (reread(j, &after) == STORE_OK)
		imapd_view_advance(v, j->before, after, ours);
}

static void
do_expunge(struct change_job *j)
{
	struct store *st = j->s->store;
	struct imapd_view *v = j->s->view;
	uint32_t *del;
	size_t ndel, i, k;
	enum store_res r;

	r = reread(j, &j->before);
	if (r == STORE_OK)
		r = store_msg_list(st, v->mailbox, 1, add_deleted, j, &j->why);
	if (r != STORE_OK) {
		store_failed(j, r);
		return;
	}
	del = (uint32_t *)(void *)j->modified.p;
	ndel = j->modified.len / sizeof(uint32_t);
	/* UID EXPUNGE: only the \Deleted messages of its set (j->uid is in
	 * message-number order, so ascending). */
	for (i = k = 0; j->uid_cmd && i < ndel; i++)
		if (bsearch(&del[i], j->uid, j->n, sizeof(*j->uid), cmp_u32) !=
		    NULL)
			del[k++] = del[i];
	if (j->uid_cmd)
		ndel = k;
	r = ndel == 0 ? STORE_OK :
	    store_expunge(st, v->mailbox, del, ndel, on_expunged, j, &j->why);
	if (r != STORE_OK) {
		store_failed(j, r);
		return;
	}
	expunged(j, ndel > 0);
	j->status = "OK";
	/* RFC 7162 3.2.7: the modseq the client may resync from now. */
	if (j->condstore)
		snprintf(j->text, sizeof(j->text), "[HIGHESTMODSEQ %llu] %s",
		    (unsigned long long)v->modseq, j->uid_cmd ?
		    "UID EXPUNGE completed" : "EXPUNGE completed");
	else
		snprintf(j->text, sizeof(j->text), "%s", j->uid_cmd ?
		    "UID EXPUNGE completed" : "EXPUNGE completed");
}

/* ---- COPY and MOVE ---- */

static void
do_copy(struct change_job *j)
{
	struct store *st = j->s->store;
	struct imapd_view *v = j->s->view;
	bool move = j->name == IMAPCMD_MOVE;
	uint32_t *nu = xcalloc(j->n + 1, sizeof(*nu));
	struct store_mailbox to;
	struct imapseq src, dst;
	struct imapseq_range *sr, *dr;
	struct buf a, b;
	uint32_t uidvalidity = 0;
	enum store_res r;
	size_t i;

	r = move ? reread(j, &j->before) : STORE_OK;
	if (r == STORE_OK)
		r = store_mailbox_get(st, j->dest, &to, &j->why);
	if (r == STORE_OK && to.noselect)
		r = STORE_NOTALLOWED;
	if (r == STORE_OK && j->n > 0)
		r = store_copy(st, v->mailbox, j->uid, j->n, to.id, move, nu,
		    &uidvalidity, &j->why);
	if (r != STORE_OK) {
		store_failed(j, r);
		free(nu);
		return;
	}
	if (j->n == 0) {
		job_set(j, "OK", move ? "MOVE completed" : "COPY completed");
		free(nu);
		return;
	}
	sr = xcalloc(j->n + 1, sizeof(*sr));
	dr = xcalloc(j->n + 1, sizeof(*dr));
	imapseq_init(&src, sr, j->n + 1);
	imapseq_init(&dst, dr, j->n + 1);
	for (i = 0; i < j->n; i++)
		if (nu[i] != 0) {
			imapseq_add(&src, j->uid[i], j->uid[i]);
			imapseq_add(&dst, nu[i], nu[i]);
		}
	/* Both sets ascend together: new UIDs are given in order. */
	imapseq_finish(&src);
	imapseq_finish(&dst);
	buf_init(&a, 1024 * 1024);
	buf_init(&b, 1024 * 1024);
	imapseq_format(&src, &a);
	imapseq_format(&dst, &b);
	if (move) {
		buf_addf(&j->out, "* OK [COPYUID %u %s %s] Moved\r\n",
		    uidvalidity, (const char *)a.p, (const char *)b.p);
		for (i = 0; i < j->n; i++)
			if (nu[i] != 0)
				buf_add(&j->gone, &j->uid[i], sizeof(j->uid[i]));
		/* RFC 6851 4.4: VANISHED after ENABLE QRESYNC, and the
		 * modseq the client may resync from. */
		expunged(j, true);
		if (j->condstore)
			buf_addf(&j->out, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
			    (unsigned long long)v->modseq);
		job_set(j, "OK", "MOVE completed");
	} else {
		j->status = "OK";
		snprintf(j->text, sizeof(j->text), "[COPYUID %u %.150s %.150s] "
						   "COPY completed",
		    uidvalidity, (const char *)a.p, (const char *)b.p);
	}
	buf_fini(&a);
	buf_fini(&b);
	free(sr);
	free(dr);
	free(nu);
}

static void
change_work(void *arg)
{
	struct change_job *j = arg;

	if (j->name == IMAPCMD_STORE)
		do_store(j);
	else if (j->name == IMAPCMD_EXPUNGE)
		do_expunge(j);
	else
		do_copy(j);
}

static void
change_free(void *arg)
{
	struct change_job *j = arg;
	size_t i;

	for (i = 0; i < j->fl.nkeywords; i++)
		free(j->kw[i]);
	free(j->kw);
	free(j->uid);
	buf_fini(&j->out);
	buf_fini(&j->modified);
	buf_fini(&j->changed);
	buf_fini(&j->gone);
	free(j);
}

/* RFC 7162 3.1.3: the messages that failed UNCHANGEDSINCE, all of
 * them, so written whole rather than through the bounded reply. */
static void
tagged_modified(struct change_job *j)
{
	struct buf line;

	buf_init(&line, 256 * 1024 * 1024);
	buf_addf(&line, "%s OK [MODIFIED ", j->s->tag);
	imapd_uidset_format((uint32_t *)(void *)j->modified.p,
	    j->modified.len / sizeof(uint32_t), &line);
	buf_adds(&line, "] Conditional STORE failed\r\n");
	imapd_write(j->s, line.p, line.len);
	buf_fini(&line);
}

static void
change_done(void *arg)
{
	struct change_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		imapd_write(s, j->out.p, j->out.len);
		if (j->modified.len > 0 && j->name == IMAPCMD_STORE &&
		    strcmp(j->status, "OK") == 0)
			tagged_modified(j);
		else
			imapd_tagged(s, j->status, "%s", j->text);
	}
	change_free(j);
	imapd_job_end(s);
}

void
imapd_change(struct imapd_sess *s)
{
	const struct imapcmd *c = &s->cmd;
	struct change_job *j;
	struct imapseq *set = NULL;
	uint32_t *msn = NULL;
	struct why why = { "" };
	size_t n = 0, i;

	if (s->view->readonly && c->name != IMAPCMD_COPY) {
		imapd_tagged(s, "NO", "[READ-ONLY] The mailbox is read-only");
		return;
	}
	if (c->name == IMAPCMD_STORE)
		set = (struct imapseq *)&c->u.store.set;
	else if (c->name == IMAPCMD_COPY || c->name == IMAPCMD_MOVE)
		set = (struct imapseq *)&c->u.copy.set;
	else if (c->u.expunge.has_set)
		set = (struct imapseq *)&c->u.expunge.set;
	if (set != NULL && imapd_set_msns(s, set, c->uid, &msn, &n) == -1) {
		imapd_tagged(s, "BAD", "Invalid message number");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->name = c->name;
	j->uid_cmd = c->uid;
	j->n = n;
	j->uid = xcalloc(n + 1, sizeof(*j->uid));
	for (i = 0; i < n; i++)
		j->uid[i] = uidmap_uid(&s->view->uids, msn[i] - 1);
	free(msn);
	buf_init(&j->out, 256 * 1024 * 1024);
	buf_init(&j->modified, 64 * 1024 * 1024);
	buf_init(&j->changed, 256 * 1024 * 1024);
	buf_init(&j->gone, 64 * 1024 * 1024);
	if (c->name == IMAPCMD_STORE) {
		const struct imapcmd_store *st = &c->u.store;

		j->fl.op = st->op == IMAPCMD_STORE_SET ? STORE_FLAGS_SET :
		    st->op == IMAPCMD_STORE_ADD ? STORE_FLAGS_ADD :
						  STORE_FLAGS_REMOVE;
		j->fl.flags = imapd_store_flags(st->flags.sys);
		j->kw = xcalloc(st->flags.nkw + 1, sizeof(*j->kw));
		for (i = 0; i < st->flags.nkw; i++)
			j->kw[i] = span_dup(st->flags.kw[i]);
		j->fl.keywords = (const char *const *)j->kw;
		j->fl.nkeywords = st->flags.nkw;
		j->fl.unchangedsince = st->has_unchangedsince ?
		    st->unchangedsince : 0;
		j->unchangedsince = st->has_unchangedsince;
		j->silent = st->silent;
		if (st->has_unchangedsince)
			imapd_condstore_on(s);
	} else if (c->name == IMAPCMD_COPY || c->name == IMAPCMD_MOVE) {
		if (imapd_name_in(s, &c->u.copy.mbox, j->dest, &why) == -1) {
			imapd_tagged(s, "NO", "[CANNOT] %s", why.msg);
			change_free(j);
			return;
		}
	}
	j->condstore = s->condstore;
	imapd_job(s, change_work, change_done, change_free, j);
}
