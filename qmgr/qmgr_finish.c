/*
 * qmgr_finish.c - the end of a message's round, when none of its
 * recipients waits any more: recipients deferred past
 * maximal_queue_lifetime (bounce_queue_lifetime for notices) are bounced,
 * the notices the outcomes call for are queued, and then the file is
 * removed (every recipient finished) or moved to deferred/ with its next
 * retry time as its mtime: minimal_backoff_time doubled with each
 * attempt, at most maximal_backoff_time.  The file work runs on a
 * worker.
 * Linked into: qmgr.  Trust: only our own state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

enum finish_res { F_REMOVED, F_DEFERRED, F_GONE, F_ERROR };

struct finish_job {
	struct qmgr *qm;
	struct qmgr_msg *m;
	uint64_t now;
	enum finish_res res;
	uint64_t retry_ms;		/* F_DEFERRED: when (unix ms) */
	char notices[3][QID_SIZE];
	size_t expired;
	struct why why;
};

int
qmgr_file_defer(const struct qmgr *qm, struct qfile *q, const char *qid,
    uint64_t when_ms, struct why *why)
{
	struct timespec t = { (time_t)(when_ms / 1000),
		(long)(when_ms % 1000) * 1000000 };
	struct timespec ts[2] = { t, t };
	char from[4500], to[4500];

	if (qfile_path(qm->queue_dir, "active", qid, from, sizeof(from)) ==
		-1 ||
	    qfile_path(qm->queue_dir, "deferred", qid, to, sizeof(to)) == -1)
		return why_set(why, "queue path too long");
	/* The retry time first: the deferred scan reads it. */
	if (futimens(q->fd, ts) == -1)
		return why_syserr(why, "futimens");
	if (qfile_mkdirs(qm->queue_dir, "deferred", qid, why) == -1)
		return -1;
	if (rename(from, to) == -1) {
		int e = errno;

		why_syserr(why, "rename to deferred");
		errno = e;
		return -1;
	}
	return 0;
}

/* Append s with TAB, CR and LF as spaces. */
static void
add_field(struct buf *b, struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		buf_addc(b, s.p[i] == '\t' || s.p[i] == '\r' ||
			s.p[i] == '\n' ? ' ' : s.p[i]);
}

/*
 * defer/H1/H2/QID: "ADDRESS TAB DSN TAB REASON" per recipient still due,
 * for postern queue list.  Best effort: a missing file only loses the
 * reasons shown.
 */
static void
write_reasons(const struct finish_job *j, bool finished_all)
{
	const struct qmgr_msg *m = j->m;
	char path[4500];
	struct why why;
	struct buf b;
	size_t i;

	if (qfile_path(j->qm->queue_dir, "defer", m->qid, path,
		sizeof(path)) == -1)
		return;
	if (finished_all) {
		unlink(path);
		return;
	}
	buf_init(&b, 16 * 1024 * 1024);
	for (i = 0; i < m->q->nrcpt; i++) {
		const struct qfile_status *st = &m->q->rcpt[i].status;

		if (st->state != QFILE_DEFERRED && st->state != QFILE_PENDING)
			continue;
		add_field(&b, m->q->rcpt[i].addr);
		buf_addf(&b, "\t%s\t", st->dsn);
		add_field(&b, span_str(m->out[i].state != 0 ? m->out[i].text :
								  ""));
		buf_addc(&b, '\n');
	}
	if (qfile_mkdirs(j->qm->queue_dir, "defer", m->qid, &why) == -1 ||
	    file_write_atomic(path, buf_span(&b), 0600, &why) == -1)
		log_warn("%s: cannot write the deferral reasons: %s", m->qid,
		    why.msg);
	buf_fini(&b);
}

static bool
finished(uint8_t s)
{
	return s == QFILE_SENT || s == QFILE_BOUNCED;
}

/* The next attempt: minimal_backoff_time doubled per attempt made. */
static uint64_t
backoff(const struct params *p, const struct qfile *q)
{
	uint64_t d = p->minimal_backoff_time;
	unsigned int attempts = 0;
	size_t i;

	for (i = 0; i < q->nrcpt; i++)
		if (!finished(q->rcpt[i].status.state) &&
		    q->rcpt[i].status.attempts > attempts)
			attempts = q->rcpt[i].status.attempts;
	while (attempts-- > 1 && d < p->maximal_backoff_time)
		d *= 2;
	return d < p->maximal_backoff_time ? d : p->maximal_backoff_time;
}

/* Bounce what has waited too long.  The count, or -1 with why. */
static long
expire(struct finish_job *j)
{
	struct qmgr_msg *m = j->m;
	struct qfile *q = m->q;
	const struct params *p = j->qm->p;
	uint64_t life = q->env.sender.len == 0 ? p->bounce_queue_lifetime :
						 p->maximal_queue_lifetime;
	long n = 0;
	size_t i;

	if (j->now < q->env.arrival_sec + life)
		return 0;
	for (i = 0; i < q->nrcpt; i++) {
		struct qfile_status st = q->rcpt[i].status;
		struct qmgr_outcome *o = &m->out[i];
		char text[DELIVERREQ_TEXT_MAX + 1];

		if (finished(st.state))
			continue;
		snprintf(text, sizeof(text), "message expired after %llus in "
					     "the queue; last error: %.900s",
		    (unsigned long long)(j->now - q->env.arrival_sec),
		    o->text[0] != '\0' ? o->text : "not known");
		snprintf(o->text, sizeof(o->text), "%s", text);
		o->state = DELIVERREQ_BOUNCED;
		snprintf(o->dsn, sizeof(o->dsn), "5.4.7");
		st.state = QFILE_BOUNCED;
		snprintf(st.dsn, sizeof(st.dsn), "5.4.7");
		if (qfile_put_status(q, i, &st, &j->why) == -1)
			return -1;
		n++;
	}
	return n;
}

/* The file was moved out of active/ (held, requeued) or removed
 * (deleted) by the admin during the round. */
static void
gone(struct finish_job *j)
{
	char path[4500];
	struct stat st;

	j->res = F_GONE;
	/* Deleted: its reasons would outlive it. */
	if (fstat(j->m->q->fd, &st) == 0 && st.st_nlink == 0 &&
	    qfile_path(j->qm->queue_dir, "defer", j->m->qid, path,
		sizeof(path)) == 0)
		unlink(path);
}

static void
finish_work(void *arg)
{
	struct finish_job *j = arg;
	struct qmgr_msg *m = j->m;
	struct qfile *q = m->q;
	const struct params *p = j->qm->p;
	char path[4500];
	bool all_done = true, delay;
	long n;
	size_t i;

	j->res = F_ERROR;
	if (m->record_failed) {
		j->retry_ms = qmgr_now_ms() + p->minimal_backoff_time * 1000;
		if (qmgr_file_defer(j->qm, q, m->qid, j->retry_ms, &j->why) ==
		    0)
			j->res = F_DEFERRED;
		return;
	}
	if ((n = expire(j)) == -1)
		return;
	j->expired = (size_t)n;
	delay = p->delay_warning_time > 0 &&
	    j->now >= q->env.arrival_sec + p->delay_warning_time;
	if (qmgr_bounce(j->qm, m, delay, j->now, j->notices, &j->why) == -1 ||
	    qfile_sync(q, &j->why) == -1)
		return;
	for (i = 0; i < q->nrcpt; i++)
		all_done &= finished(q->rcpt[i].status.state);
	write_reasons(j, all_done);
	if (all_done) {
		if (qfile_path(j->qm->queue_dir, "active", m->qid, path,
			sizeof(path)) == -1)
			return;
		/* A removal lost in a crash only repeats what was done. */
		if (unlink(path) == 0)
			j->res = F_REMOVED;
		else if (errno != ENOENT)
			why_syserr(&j->why, "unlink");
		else
			gone(j);
		return;
	}
	j->retry_ms = qmgr_now_ms() + backoff(p, q) * 1000;
	if (qmgr_file_defer(j->qm, q, m->qid, j->retry_ms, &j->why) == 0)
		j->res = F_DEFERRED;
	else if (errno == ENOENT)
		gone(j);
}

static void
finish_done(void *arg)
{
	struct finish_job *j = arg;
	struct qmgr *qm = j->qm;
	struct qmgr_msg *m = j->m;
	bool gone = j->res == F_GONE;
	size_t i;

	if (j->expired > 0)
		log_info("%s: %zu recipients expired: returned to sender",
		    m->qid, j->expired);
	for (i = 0; i < 3; i++)
		if (j->notices[i][0] != '\0') {
			log_info("%s: sender %s notice: %s", m->qid,
			    i == 0 ? "non-delivery" : i == 1 ? "delay" :
							       "delivery status",
			    j->notices[i]);
			qmgr_load(qm, "incoming", j->notices[i]);
		}
	if (j->res == F_REMOVED)
		log_info("%s: removed", m->qid);
	else if (j->res == F_GONE)
		log_info("%s: moved out of the active queue meanwhile (held or "
			 "deleted)", m->qid);
	else if (j->res == F_DEFERRED)
		log_info("%s: deferred for %.1fs", m->qid,
		    (double)(j->retry_ms - qmgr_now_ms()) / 1000.0);
	else
		/* It stays in active/ until the next start moves it back. */
		log_error("%s: cannot finish: %s", m->qid, j->why.msg);
	qmgr_msg_free(qm, m);
	free(j);
	/* Released or requeued during its round, it waits in incoming/
	 * (qmgr_load): take it now. */
	if (gone)
		qmgr_scan(qm, false);
	qmgr_kick(qm);
}

void
qmgr_finish(struct qmgr *qm, struct qmgr_msg *m)
{
	struct finish_job *j;

	/* Stopping: the file stays in active/ for the next start; fini
	 * frees what is in memory. */
	if (m->finishing || qm->svc->stopping)
		return;
	m->finishing = true;
	j = xcalloc(1, sizeof(*j));
	j->qm = qm;
	j->m = m;
	j->now = qmgr_now();
	if (worker_submit(qm->pool, finish_work, finish_done, j) == -1) {
		free(j);
		qmgr_msg_free(qm, m);
	}
}

void
qmgr_msg_free(struct qmgr *qm, struct qmgr_msg *m)
{
	*m->prevp = m->next;
	if (m->next != NULL)
		m->next->prevp = m->prevp;
	qmgr_msg_unhash(qm, m);
	qm->nmsgs--;
	qfile_close(&m->q);
	free(m->route);
	free(m->out);
	free(m);
}
