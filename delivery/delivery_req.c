/*
 * delivery_req.c - one request from qmgr: read and check the request
 * lines (deliverreq), open the queue file and look up the TLS policy on
 * a worker thread, hand the message to the transport, write one result
 * line per recipient as each is known, then "done", and close.
 * Linked into: delivery.  Runs as mail_owner.  Trust: qmgr is ours but
 * its lines are parsed strictly; a bad request ends that connection only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "base/log.h"
#include "base/xmem.h"
#include "delivery.h"

/* How long qmgr may take to send a whole request. */
#define REQ_TIMEOUT_MS 60000

static void
req_free(struct delivery_req *r)
{
	*r->prevp = r->next;
	if (r->next != NULL)
		r->next->prevp = r->prevp;
	delivery_job_free(&r->job);
	dns_cancel(&r->dq);
	lineio_free(&r->io);
	qfile_close(&r->q);
	free(r->rcpt);
	free(r->crcpt);
	buf_fini(&r->out);
	free(r);
}

void
delivery_local(struct smtpclient_reply *e, int code, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->kind = SMTPCLIENT_LOCAL;
	e->code = code;
	snprintf(e->enh, sizeof(e->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/* Printable ASCII only, for the log (texts are ours or sanitised, but
 * a log line is no place to find out). */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static void
log_result(const struct delivery_req *r, const struct delivery_rcpt *rc,
    const struct deliverreq_result *res)
{
	char esc[LOG_ESC_SIZE];
	char text[DELIVERREQ_TEXT_MAX + 1];

	if (r->q != NULL && rc->index < r->q->nrcpt)
		log_esc(r->q->rcpt[rc->index].addr, esc);
	else
		snprintf(esc, sizeof(esc), "#%u", (unsigned)rc->index);
	snprintf(text, sizeof(text), "%s", res->text);
	printable(text);
	log_info("%s: to=<%s>, relay=%s, conn=%u ms, xmit=%u ms, dsn=%s, "
		 "status=%s (%s)",
	    r->id, esc, res->relay, (unsigned)res->conn_ms,
	    (unsigned)res->xmit_ms, res->dsn,
	    res->state == DELIVERREQ_SENT ? "sent" :
	    res->state == DELIVERREQ_BOUNCED ? "bounced" : "deferred", text);
}

void
delivery_req_result(struct delivery_req *r, size_t i)
{
	struct delivery_rcpt *rc = &r->rcpt[i];
	struct deliverreq_result res;

	if (rc->final)
		return;
	rc->final = true;
	r->npending--;
	memset(&res, 0, sizeof(res));
	res.index = rc->index;
	delivery_msg_dsn(&rc->last, &res.state, res.dsn);
	res.dest = rc->last_dest;
	snprintf(res.relay, sizeof(res.relay), "%s",
	    rc->relay[0] != '\0' ? rc->relay : "none");
	res.conn_ms = rc->conn_ms;
	res.xmit_ms = rc->xmit_ms;
	if (rc->last.kind == SMTPCLIENT_REPLY)
		snprintf(res.reply, sizeof(res.reply), "%s", rc->last.text);
	delivery_msg_text(&rc->last, rc->peer, res.text, sizeof(res.text));
	log_result(r, rc, &res);
	if (deliverreq_result_format(&r->out, &res) == -1)
		log_panic("%s: cannot format a result", r->id);
	if (r->io != NULL)
		lineio_write(r->io, r->out.p, r->out.len);
	buf_reset(&r->out);
}

void
delivery_req_finish(struct delivery_req *r)
{
	if (r->finished)
		return;
	r->finished = true;
	ASSERT(r->npending == 0);
	if (r->io == NULL) {
		req_free(r);
		return;
	}
	deliverreq_done_format(&r->out);
	lineio_write(r->io, r->out.p, r->out.len);
	lineio_close_flush(r->io);
}

void
delivery_req_fail_all(struct delivery_req *r, const struct smtpclient_reply *e,
    bool dest)
{
	uint32_t ms = (uint32_t)(event_now_ms() - r->start_ms);
	size_t i;

	for (i = 0; i < r->req.nrcpt; i++) {
		struct delivery_rcpt *rc = &r->rcpt[i];

		if (rc->final)
			continue;
		rc->last = *e;
		rc->last_dest = dest;
		rc->relay[0] = rc->peer[0] = '\0';
		rc->conn_ms = ms;
		rc->xmit_ms = 0;
		delivery_req_result(r, i);
	}
	delivery_req_finish(r);
}

void
delivery_req_dns_failed(struct delivery_req *r, const struct dns_mx_answer *a)
{
	struct smtpclient_reply e;
	bool temp = a->res == DNS_TEMP;

	delivery_local(&e, temp ? 451 : 550, temp ? "4.4.3" : "5.4.4",
	    "Host or domain name not found. Name service error for name=%s: "
	    "%s", r->req.nexthop, a->reason);
	delivery_req_fail_all(r, &e, true);
}

/* On a worker: open the queue file; look up the TLS policy. */
static void
open_work(void *arg)
{
	struct delivery_req *r = arg;
	char path[4096];
	char domain[DELIVERREQ_NEXTHOP_SIZE];

	if (qfile_path(r->d->queue_dir, "active", r->req.qid, path,
		sizeof(path)) == -1) {
		r->open_rc = why_set(&r->open_why, "queue file path too long");
		return;
	}
	r->open_rc = qfile_open(path, &r->q, &r->open_why);
	if (r->d->lmtp) {
		r->tls = SMTPCLIENT_TLS_NONE;
		delivery_tls_parse(r->d->p->lmtp_tls_security_level, &r->tls);
		return;
	}
	/* The policy key: the domain or host of the next hop. */
	snprintf(domain, sizeof(domain), "%.*s",
	    (int)strcspn(r->req.nexthop + (r->req.nexthop[0] == '['),
		"]:"), r->req.nexthop + (r->req.nexthop[0] == '['));
	r->tls = delivery_tls_level(r->d, domain, &r->tls_why,
	    &r->tls_failed);
}

static void
open_done(void *arg)
{
	struct delivery_req *r = arg;
	struct smtpclient_reply e;
	size_t i;

	r->working = false;
	if (r->ended) {
		req_free(r);
		return;
	}
	if (r->d->stopping) {
		delivery_local(&e, 451, "4.3.0", "delivery agent stopping");
		delivery_req_fail_all(r, &e, false);
		return;
	}
	if (r->open_rc == -1) {
		log_warn("%s: cannot open the queue file: %s", r->id,
		    r->open_why.msg);
		delivery_local(&e, 451, "4.3.0", "cannot open the queue file: "
		    "%s", r->open_why.msg);
		delivery_req_fail_all(r, &e, false);
		return;
	}
	if (r->tls_failed) {
		log_warn("%s: TLS policy look-up failed: %s", r->id,
		    r->tls_why.msg);
		delivery_local(&e, 451, "4.3.0", "TLS policy look-up failed");
		delivery_req_fail_all(r, &e, false);
		return;
	}
	for (i = 0; i < r->req.nrcpt; i++) {
		if (r->rcpt[i].index < r->q->nrcpt)
			continue;
		delivery_local(&r->rcpt[i].last, 451, "4.3.0",
		    "no recipient %u in the queue file",
		    (unsigned)r->rcpt[i].index);
		delivery_req_result(r, i);
	}
	if (r->npending == 0) {
		delivery_req_finish(r);
		return;
	}
	delivery_msg_build(r);
	if (r->d->lmtp)
		delivery_lmtp(r);
	else
		delivery_smtp(r);
}

static void
start(struct delivery_req *r)
{
	struct smtpclient_reply e;
	size_t i;

	snprintf(r->id, sizeof(r->id), "%s", r->req.qid);
	r->start_ms = event_now_ms();
	r->rcpt = xcalloc(r->req.nrcpt, sizeof(*r->rcpt));
	for (i = 0; i < r->req.nrcpt; i++)
		r->rcpt[i].index = r->req.rcpt[i];
	r->npending = r->req.nrcpt;
	log_debug("%s: request nexthop=%s nrcpt=%zu", r->id, r->req.nexthop,
	    r->req.nrcpt);
	if (r->d->stopping || worker_submit(r->d->pool, open_work, open_done,
				  r) == -1) {
		delivery_local(&e, 451, "4.3.0", "delivery agent busy or "
		    "stopping");
		delivery_req_fail_all(r, &e, false);
		return;
	}
	r->working = true;
}

static void
on_line(void *arg, struct span line)
{
	struct delivery_req *r = arg;
	struct why why;
	int rc;

	rc = deliverreq_parse_line(&r->req, line, &why);
	if (rc == -1) {
		log_warn("bad request from qmgr: %s", why.msg);
		lineio_close_flush(r->io);
		return;
	}
	if (rc == 1) {
		lineio_pause(r->io);
		lineio_set_idle(r->io, 0);
		start(r);
	}
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct delivery_req *r = arg;

	if (ev == LINEIO_TOO_LONG) {
		log_warn("bad request from qmgr: line too long");
		lineio_close_flush(r->io);
		return;
	}
	if (ev == LINEIO_READY)
		return;
	/* A connection that never said a word is only a probe. */
	if (!r->finished && ev != LINEIO_CLOSED &&
	    (r->req.seen != 0 || r->req.nrcpt > 0))
		log_warn("%s: qmgr closed the connection before the end "
			 "(%s)", r->id, ev == LINEIO_TIMEOUT ? "timeout" :
		    ev == LINEIO_EOF ? "end of file" : "error");
	lineio_free(&r->io);
	r->ended = true;
	/* A job in flight ends first; it frees the request then. */
	if (r->finished || (!r->working && r->job == NULL && r->dq == NULL))
		req_free(r);
}

void
delivery_req_new(struct delivery *d, int fd)
{
	struct delivery_req *r = xcalloc(1, sizeof(*r));

	r->d = d;
	snprintf(r->id, sizeof(r->id), "?");
	deliverreq_init(&r->req);
	buf_init(&r->out, 2 * DELIVERREQ_MAX_LINE);
	r->io = lineio_new(d->svc->base, fd, DELIVERREQ_MAX_LINE,
	    REQ_TIMEOUT_MS, on_line, on_event, r);
	if (r->io == NULL) {
		log_warn("cannot set up a connection from qmgr");
		buf_fini(&r->out);
		free(r);
		return;
	}
	r->next = d->reqs;
	if (r->next != NULL)
		r->next->prevp = &r->next;
	r->prevp = &d->reqs;
	d->reqs = r;
}

void
delivery_req_free_all(struct delivery *d)
{
	while (d->reqs != NULL)
		req_free(d->reqs);
}
