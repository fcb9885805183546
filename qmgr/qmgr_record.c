/*
 * qmgr_record.c - an entry's results into the queue file (one status
 * field per recipient, then one fdatasync, on a worker) before anything
 * acts on them, then one log line per recipient:
 *   QID: to=<rcpt>, orig_to=<orig>, relay=HOST[ADDR]:PORT, delay=S,
 *   delays=a/b/c/d, dsn=X.Y.Z, status=sent|deferred|bounced (TEXT)
 * (delays: before qmgr, in qmgr, connecting, transmitting; seconds).
 * Linked into: qmgr.  Trust: texts from agents are escaped for the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

struct record_job {
	struct qmgr *qm;
	struct qmgr_entry *e;
	uint32_t conn_ms;
	uint32_t xmit_ms;
	uint64_t now;
	bool failed;
	struct why why;
};

static uint8_t
qstate(char s)
{
	return s == DELIVERREQ_SENT ? QFILE_SENT :
	    s == DELIVERREQ_BOUNCED ? QFILE_BOUNCED : QFILE_DEFERRED;
}

static void
record_work(void *arg)
{
	struct record_job *j = arg;
	struct qmgr_msg *m = j->e->msg;
	size_t i;

	for (i = 0; i < j->e->nrcpt; i++) {
		uint32_t k = j->e->rcpt[i];
		const struct qmgr_outcome *o = &m->out[k];
		struct qfile_status st = m->q->rcpt[k].status;

		st.state = qstate(o->state);
		if (st.attempts < UINT16_MAX)
			st.attempts++;
		st.last_attempt = j->now;
		snprintf(st.dsn, sizeof(st.dsn), "%s", o->dsn);
		if (qfile_put_status(m->q, k, &st, &j->why) == -1) {
			j->failed = true;
			return;
		}
	}
	if (qfile_sync(m->q, &j->why) == -1)
		j->failed = true;
}

static double
seconds(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static void
log_result(const struct record_job *j, size_t k)
{
	const struct qmgr_msg *m = j->e->msg;
	const struct qfile_rcpt *r = &m->q->rcpt[k];
	const struct qmgr_outcome *o = &m->out[k];
	char to[LOG_ESC_SIZE], orig[LOG_ESC_SIZE], text[LOG_ESC_SIZE];
	char origpart[LOG_ESC_SIZE + 16] = "";
	struct timeval tv;
	double total, before, inq;

	gettimeofday(&tv, NULL);
	total = (double)tv.tv_sec + tv.tv_usec / 1e6 -
	    ((double)m->q->env.arrival_sec + m->q->env.arrival_usec / 1e6);
	before = (double)m->active_since -
	    ((double)m->q->env.arrival_sec + m->q->env.arrival_usec / 1e6);
	inq = j->e->start_ms > m->active_ms ?
	    seconds(j->e->start_ms - m->active_ms) : 0;
	if (before < 0)
		before = 0;
	if (total < 0)
		total = 0;
	log_esc(r->addr, to);
	if (r->orig.len > 0 && !span_eq_span(r->orig, r->addr))
		snprintf(origpart, sizeof(origpart), " orig_to=<%s>,",
		    log_esc(r->orig, orig));
	log_esc(span_str(o->text[0] != '\0' ? o->text : o->reply), text);
	log_info("%s: to=<%s>,%s relay=%s, delay=%.2f, delays=%.2f/%.2f/%.2f/"
		 "%.2f, dsn=%s, status=%s (%s)",
	    m->qid, to, origpart, o->relay, total, before, inq,
	    seconds(j->conn_ms), seconds(j->xmit_ms), o->dsn,
	    o->state == DELIVERREQ_SENT ? "sent" :
	    o->state == DELIVERREQ_BOUNCED ? "bounced" : "deferred", text);
}

static void
record_done(void *arg)
{
	struct record_job *j = arg;
	struct qmgr_entry *e = j->e;
	struct qmgr_msg *m = e->msg;
	struct qmgr *qm = j->qm;
	size_t i;

	if (j->failed) {
		/* Nothing may act on a result the file does not hold: the
		 * message is tried again (a delivery may repeat). */
		log_error("%s: cannot record delivery results: %s", m->qid,
		    j->why.msg);
		m->record_failed = true;
	}
	for (i = 0; i < e->nrcpt; i++)
		log_result(j, e->rcpt[i]);
	qmgr_entry_done(qm, e);
	free(j);
	if (m->nentries == 0)
		qmgr_finish(qm, m);
}

void
qmgr_record(struct qmgr *qm, struct qmgr_entry *e, uint32_t conn_ms,
    uint32_t xmit_ms)
{
	struct record_job *j = xcalloc(1, sizeof(*j));

	j->qm = qm;
	j->e = e;
	j->conn_ms = conn_ms;
	j->xmit_ms = xmit_ms;
	j->now = qmgr_now();
	if (worker_submit(qm->pool, record_work, record_done, j) == -1) {
		j->failed = true;
		snprintf(j->why.msg, sizeof(j->why.msg), "qmgr is stopping");
		record_done(j);
	}
}
