/*
 * qmgr_load.c - a queue file into the active queue: moved into active/,
 * parsed (a damaged file goes to corrupt/), its aliases expanded once
 * (when it comes from incoming/ untouched), its recipients routed; then
 * its recipients wait on their destinations.  The file work runs on a
 * worker.
 * Linked into: qmgr.  Trust: the file is parsed strictly (qfile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

enum load_res { L_OK, L_GONE, L_CORRUPT, L_REPLACED, L_DEFERRED, L_ERROR };

struct load_job {
	struct qmgr *qm;
	char state[16];
	char qid[QID_SIZE];
	char newqid[QID_SIZE];
	enum load_res res;
	struct qfile *q;
	struct qmgr_route *route;
	uint64_t now;
	struct why why;
};

static size_t
bucket(const char *qid)
{
	uint32_t h = 2166136261u;	/* FNV-1a, 32 bits */

	while (*qid != '\0') {
		h ^= (unsigned char)*qid++;
		h *= 16777619u;
	}
	return h % QMGR_QID_BUCKETS;
}

struct qmgr_msg *
qmgr_msg_find(struct qmgr *qm, const char *qid)
{
	struct qmgr_msg *m;

	for (m = qm->by_qid[bucket(qid)]; m != NULL; m = m->hnext)
		if (strcmp(m->qid, qid) == 0)
			return m;
	return NULL;
}

void
qmgr_msg_unhash(struct qmgr *qm, struct qmgr_msg *m)
{
	struct qmgr_msg **pp;

	for (pp = &qm->by_qid[bucket(m->qid)]; *pp != NULL;
	     pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			return;
		}
}

bool
qmgr_has_room(const struct qmgr *qm)
{
	return qm->nmsgs + qm->nloading < qm->p->qmgr_message_active_limit;
}

/* A message is new when nothing has been tried for any recipient yet. */
static bool
untouched(const struct qfile *q)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++)
		if (q->rcpt[i].status.state != QFILE_PENDING ||
		    q->rcpt[i].status.attempts != 0)
			return false;
	return true;
}

static void
to_corrupt(struct load_job *j, const char *active)
{
	char path[4500];
	struct why why;

	if (qfile_mkdirs(j->qm->queue_dir, "corrupt", j->qid, &why) == -1 ||
	    qfile_path(j->qm->queue_dir, "corrupt", j->qid, path,
		sizeof(path)) == -1 ||
	    rename(active, path) == -1)
		log_syserr("%s: cannot move to corrupt", j->qid);
}

static void
load_work(void *arg)
{
	struct load_job *j = arg;
	struct qmgr *qm = j->qm;
	char from[4500], to[4500];
	int r;

	if (qfile_path(qm->queue_dir, j->state, j->qid, from, sizeof(from)) ==
		-1 ||
	    qfile_path(qm->queue_dir, "active", j->qid, to, sizeof(to)) == -1 ||
	    qfile_mkdirs(qm->queue_dir, "active", j->qid, &j->why) == -1) {
		j->res = L_ERROR;
		return;
	}
	/* A lost move is made again by the recovery at the next start, so
	 * it needs no directory sync; rename also settles a race between
	 * a notice and a scan: only one of them finds the file. */
	if (rename(from, to) == -1) {
		j->res = errno == ENOENT ? L_GONE : L_ERROR;
		why_syserr(&j->why, "rename into active");
		return;
	}
	if (qfile_open(to, &j->q, &j->why) == -1) {
		j->res = L_CORRUPT;
		to_corrupt(j, to);
		return;
	}
	j->route = xcalloc(j->q->nrcpt, sizeof(*j->route));
	if (strcmp(j->state, "incoming") == 0 && untouched(j->q)) {
		r = qmgr_expand(qm, j->q, j->route, j->newqid, &j->why);
		if (r == 1) {
			j->res = L_REPLACED;
			unlink(to);
			return;
		}
		if (r == -1) {
			j->res = qmgr_file_defer(qm, j->q, j->qid,
			    qmgr_now_ms() + qm->p->minimal_backoff_time * 1000,
			    &j->why) == 0 ?
			    L_DEFERRED : L_ERROR;
			return;
		}
	}
	qmgr_resolve(qm, j->q, j->route);
	j->res = L_OK;
}

static void
log_arrival(const struct qmgr_msg *m)
{
	char esc[LOG_ESC_SIZE];

	log_info("%s: from=<%s>, size=%llu, nrcpt=%zu (queue active)",
	    m->qid, log_esc(m->q->env.sender, esc),
	    (unsigned long long)m->q->content_len, m->q->nrcpt);
}

static void
load_done(void *arg)
{
	struct load_job *j = arg;
	struct qmgr *qm = j->qm;
	struct qmgr_msg *m;

	qm->nloading--;
	switch (j->res) {
	case L_OK:
		m = xcalloc(1, sizeof(*m));
		m->qm = qm;
		snprintf(m->qid, sizeof(m->qid), "%s", j->qid);
		m->q = j->q;
		m->route = j->route;
		m->out = xcalloc(m->q->nrcpt, sizeof(*m->out));
		m->active_since = j->now;
		m->active_ms = event_now_ms();
		m->next = qm->msgs;
		if (m->next != NULL)
			m->next->prevp = &m->next;
		m->prevp = &qm->msgs;
		qm->msgs = m;
		m->hnext = qm->by_qid[bucket(m->qid)];
		qm->by_qid[bucket(m->qid)] = m;
		qm->nmsgs++;
		if (strcmp(j->state, "incoming") == 0)
			log_arrival(m);
		qmgr_enqueue(qm, m);
		break;
	case L_REPLACED:
		qfile_close(&j->q);
		log_info("%s: aliases expanded: continued as %s", j->qid,
		    j->newqid);
		qmgr_load(qm, "incoming", j->newqid);
		break;
	case L_DEFERRED:
		log_warn("%s: deferred: %s", j->qid, j->why.msg);
		qfile_close(&j->q);
		break;
	case L_CORRUPT:
		log_warn("%s: moved to corrupt: %s", j->qid, j->why.msg);
		break;
	case L_ERROR:
		log_error("%s: cannot load from %s: %s", j->qid, j->state,
		    j->why.msg);
		qfile_close(&j->q);
		break;
	case L_GONE:
		break;
	}
	if (j->res != L_OK)
		free(j->route);
	free(j);
	qmgr_schedule(qm);
}

void
qmgr_load(struct qmgr *qm, const char *state, const char *qid)
{
	struct load_job *j;

	if (qm->svc->stopping || !qid_valid_str(qid))
		return;
	/* Its file was held or requeued during its round and came back:
	 * loading it now would deliver from one file twice at once. */
	if (qmgr_msg_find(qm, qid) != NULL) {
		log_info("%s: still in the active queue: loaded after its "
			 "round", qid);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->qm = qm;
	snprintf(j->state, sizeof(j->state), "%s", state);
	snprintf(j->qid, sizeof(j->qid), "%s", qid);
	j->now = qmgr_now();
	if (worker_submit(qm->pool, load_work, load_done, j) == -1) {
		free(j);
		qm->backlog = true;
		return;
	}
	qm->nloading++;
}
