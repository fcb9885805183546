/*
 * qmgr_deliver.c - one entry to its delivery agent: connect to the
 * transport's socket (queue_directory/private/deliver-TRANSPORT), send
 * the request, read one result per recipient (deliverreq.h), then record
 * them.  A recipient the agent gave no result for is deferred.
 * Linked into: qmgr.  Trust: the agent's lines are parsed strictly; a
 * bad line ends the delivery (what came before it stands).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

struct qmgr_delivery {
	struct qmgr *qm;
	struct qmgr_entry *e;
	struct lineio *io;
	uint32_t conn_ms;
	uint32_t xmit_ms;
	bool done;			/* "done" came */
	bool dest_failed;		/* a result had scope d */
	char dest_dsn[QFILE_DSN_SIZE];
	char dest_text[DELIVERREQ_TEXT_MAX + 1];
	char why[200];			/* the connection ended early */
	struct qmgr_delivery *next;	/* in qm->deliveries */
	struct qmgr_delivery **prevp;
};

static void
unlink_delivery(struct qmgr_delivery *dl)
{
	*dl->prevp = dl->next;
	if (dl->next != NULL)
		dl->next->prevp = dl->prevp;
}

void
qmgr_deliveries_free_all(struct qmgr *qm)
{
	struct qmgr_delivery *dl;

	while ((dl = qm->deliveries) != NULL) {
		unlink_delivery(dl);
		lineio_free(&dl->io);
		free(dl->e);
		free(dl);
	}
}

static void
set_outcome(struct qmgr_outcome *o, char state, const char *dsn,
    const char *relay, const char *reply, const char *text)
{
	o->state = state;
	snprintf(o->dsn, sizeof(o->dsn), "%s", dsn);
	snprintf(o->relay, sizeof(o->relay), "%s", relay != NULL ? relay :
								   "none");
	snprintf(o->reply, sizeof(o->reply), "%s", reply != NULL ? reply : "");
	snprintf(o->text, sizeof(o->text), "%s", text);
}

void
qmgr_entry_fail(struct qmgr *qm, struct qmgr_entry *e, char state,
    const char *dsn, const char *relay, const char *text)
{
	struct qmgr_msg *m = e->msg;
	size_t i;

	for (i = 0; i < e->nrcpt; i++) {
		const struct qmgr_route *r = &m->route[e->rcpt[i]];

		if (state == 0)
			set_outcome(&m->out[e->rcpt[i]], r->state, r->dsn,
			    NULL, NULL, r->text);
		else
			set_outcome(&m->out[e->rcpt[i]], state, dsn, relay,
			    NULL, text);
	}
	qmgr_record(qm, e, 0, 0);
}

/* The position of recipient index in e, or -1. */
static long
find_rcpt(const struct qmgr_entry *e, uint32_t index)
{
	size_t lo = 0, hi = e->nrcpt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->rcpt[mid] == index)
			return (long)mid;
		if (e->rcpt[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
end_delivery(struct qmgr_delivery *dl)
{
	struct qmgr *qm = dl->qm;
	struct qmgr_entry *e = dl->e;
	struct qmgr_dest *d = e->dest;
	struct qmgr_msg *m = e->msg;
	size_t i;

	unlink_delivery(dl);
	lineio_free(&dl->io);
	for (i = 0; i < e->nrcpt; i++) {
		struct qmgr_outcome *o = &m->out[e->rcpt[i]];

		if (o->state == 0)
			set_outcome(o, DELIVERREQ_DEFERRED, "4.3.0", NULL, NULL,
			    dl->why[0] != '\0' ? dl->why :
			    "delivery agent gave no result");
	}
	d->active--;
	qm->ndeliveries--;
	if (dl->dest_failed)
		qmgr_dest_dead(qm, d, dl->dest_dsn, dl->dest_text);
	qmgr_record(qm, e, dl->conn_ms, dl->xmit_ms);
	qmgr_dest_release(qm, d);
	free(dl);
	qmgr_kick(qm);
}

static void
on_line(void *arg, struct span line)
{
	struct qmgr_delivery *dl = arg;
	struct qmgr_entry *e = dl->e;
	struct deliverreq_result r;
	struct why why;
	long pos;
	int rc;

	if (dl->done)
		return;
	rc = deliverreq_result_parse(line, &r, &why);
	if (rc == 1) {
		dl->done = true;
		lineio_close_flush(dl->io);
		return;
	}
	pos = rc == 0 ? find_rcpt(e, r.index) : -1;
	if (pos < 0 || e->msg->out[r.index].state != 0) {
		log_warn("%s: delivery agent %s: bad answer: %s", e->msg->qid,
		    e->dest->transport, rc == -1 ? why.msg :
		    "a recipient not in the request, or twice");
		snprintf(dl->why, sizeof(dl->why),
		    "delivery agent %s answered badly", e->dest->transport);
		dl->done = true;
		lineio_close_flush(dl->io);
		return;
	}
	set_outcome(&e->msg->out[r.index], r.state, r.dsn, r.relay, r.reply,
	    r.text);
	if (r.conn_ms > dl->conn_ms)
		dl->conn_ms = r.conn_ms;
	if (r.xmit_ms > dl->xmit_ms)
		dl->xmit_ms = r.xmit_ms;
	if (r.dest && r.state == DELIVERREQ_DEFERRED) {
		dl->dest_failed = true;
		snprintf(dl->dest_dsn, sizeof(dl->dest_dsn), "%s", r.dsn);
		snprintf(dl->dest_text, sizeof(dl->dest_text), "%s", r.text);
	}
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct qmgr_delivery *dl = arg;

	if (!dl->done && dl->why[0] == '\0')
		snprintf(dl->why, sizeof(dl->why), "delivery agent %s %s",
		    dl->e->dest->transport, ev == LINEIO_TIMEOUT ?
		    "timed out" : "ended without a result");
	end_delivery(dl);
}

/* Connect to transport's socket.  fd, or -1 with why. */
static int
agent_connect(const struct qmgr *qm, const char *transport, struct why *why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path),
		"%s/private/deliver-%s", qm->queue_dir, transport) >=
	    (int)sizeof(sun.sun_path))
		return why_set(why, "socket path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return why_syserr(why, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		why_syserr(why, "connect to %s", sun.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

void
qmgr_deliver(struct qmgr *qm, struct qmgr_entry *e)
{
	struct qmgr_delivery *dl = xcalloc(1, sizeof(*dl));
	struct buf req;
	struct why why;
	int fd;

	dl->qm = qm;
	dl->e = e;
	dl->next = qm->deliveries;
	if (dl->next != NULL)
		dl->next->prevp = &dl->next;
	dl->prevp = &qm->deliveries;
	qm->deliveries = dl;
	e->start_ms = event_now_ms();
	buf_init(&req, 64 + 16 * DELIVERREQ_MAX_RCPT + DELIVERREQ_NEXTHOP_SIZE);
	fd = agent_connect(qm, e->dest->transport, &why);
	if (fd != -1)
		dl->io = lineio_new(qm->svc->base, fd, DELIVERREQ_MAX_LINE + 2,
		    qm->p->qmgr_agent_timeout * 1000, on_line, on_event, dl);
	if (fd == -1 || dl->io == NULL ||
	    deliverreq_format(&req, e->msg->qid, e->dest->nexthop, e->rcpt,
		e->nrcpt) == -1 ||
	    lineio_write(dl->io, req.p, req.len) == -1) {
		log_warn("%s: delivery agent %s unavailable: %s", e->msg->qid,
		    e->dest->transport, fd == -1 ? why.msg : "set-up failed");
		snprintf(dl->why, sizeof(dl->why),
		    "delivery agent %s unavailable", e->dest->transport);
		dl->dest_failed = true;
		snprintf(dl->dest_dsn, sizeof(dl->dest_dsn), "4.3.0");
		snprintf(dl->dest_text, sizeof(dl->dest_text), "%s", dl->why);
		end_delivery(dl);
	}
	buf_fini(&req);
}
