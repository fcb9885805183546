/*
 * delivery_job.c - carrying one request over a list of targets (server
 * addresses in the order to try): a session per target until every
 * recipient has a final result or the targets (or smtp_max_hosts) run
 * out.  A target that cannot be reached, refuses the session (any
 * greeting but 2xx, a failed EHLO, required TLS missing) or drops it
 * sends the recipients on to the next; so does a 4xx for a recipient,
 * as Postfix does (a later MX may take it); a 2xx or 5xx is final.  What
 * is left at the end is deferred, or bounced when its last outcome was
 * a 5xx (the last server refused the session).  A 452 to RCPT after
 * progress ("too many recipients") sends those recipients again in a
 * new transaction on the same session.
 * Linked into: delivery.  Runs as mail_owner.  Trust: outcomes come from
 * lib/mail/smtpclient (server text bounded and sanitised).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "base/log.h"
#include "base/net.h"
#include "base/xmem.h"
#include "delivery.h"

struct delivery_job {
	struct delivery_req *r;		/* borrowed: owns the job */
	struct delivery_target *t;	/* owned copy, nt of them */
	size_t nt;
	size_t next;			/* the next target to try */
	size_t tries;
	bool lmtp;
	struct delivery_target cur;	/* the target of the session */
	struct smtpclient *c;
	bool from_cache;		/* c came from the LMTP cache */
	enum smtpclient_tls level;
	bool plain_retry;		/* may: again without TLS */
	bool any_session;		/* a session was ready once */
	bool sent;			/* a transaction ran */
	uint64_t t_try;			/* this target's start */
	uint64_t t_ready;		/* its session ready */
	size_t *map;			/* transaction slot -> recipient */
	size_t nmap;
	struct smtpclient_rcpt *srcpt;	/* the transaction's recipients */
	struct smtpclient_reply *res;	/* and their outcomes */
	struct smtpclient_msg msg;
};

static void next_target(struct delivery_job *j);

void
delivery_target_set(struct delivery_target *t, const char *host,
    const struct sockaddr_storage *sa, uint16_t port)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t unused;

	snprintf(t->host, sizeof(t->host), "%s", host);
	memcpy(&t->sa, sa, sizeof(t->sa));
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&t->sa;

		s4->sin_port = htons(port);
		t->salen = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->sa;

		s6->sin6_port = htons(port);
		t->salen = sizeof(*s6);
	}
	net_sockaddr_text((const struct sockaddr *)&t->sa, addr, sizeof(addr),
	    &unused);
	snprintf(t->peer, sizeof(t->peer), "%.*s[%s]", 200, host, addr);
	snprintf(t->relay, sizeof(t->relay), "%.300s:%u", t->peer,
	    (unsigned)port);
}

void
delivery_job_free(struct delivery_job **jp)
{
	struct delivery_job *j = *jp;

	if (j == NULL)
		return;
	smtpclient_free(&j->c);
	free(j->t);
	free(j->map);
	free(j->srcpt);
	free(j->res);
	free(j);
	*jp = NULL;
}

/* Remember outcome e of recipient i at the current target. */
static void
note(struct delivery_job *j, size_t i, const struct smtpclient_reply *e,
    bool dest)
{
	struct delivery_rcpt *rc = &j->r->rcpt[i];
	uint64_t now = event_now_ms();

	rc->last = *e;
	rc->last_dest = dest;
	snprintf(rc->relay, sizeof(rc->relay), "%s", j->cur.relay);
	snprintf(rc->peer, sizeof(rc->peer), "%s", j->cur.peer);
	if (j->t_ready != 0) {
		rc->conn_ms = (uint32_t)(j->t_ready - j->r->start_ms);
		rc->xmit_ms = (uint32_t)(now - j->t_ready);
	} else {
		rc->conn_ms = (uint32_t)(now - j->r->start_ms);
		rc->xmit_ms = 0;
	}
}

/* The targets are used up: what is pending gets its last outcome. */
static void
give_up(struct delivery_job *j)
{
	struct delivery_req *r = j->r;
	size_t i;

	for (i = 0; i < r->req.nrcpt; i++) {
		struct delivery_rcpt *rc = &r->rcpt[i];

		if (rc->final)
			continue;
		if (rc->last.code == 0) {
			delivery_local(&rc->last, 451, "4.4.1",
			    "no server to try for %s", r->req.nexthop);
			rc->last_dest = true;
		}
		/* A 4xx "pending" is final here; so is a 5xx greeting. */
		delivery_req_result(r, i);
	}
	delivery_req_finish(r);
}

/* Done with the session: keep it (LMTP) or say goodbye. */
static void
release(struct delivery_job *j)
{
	const struct delivery *d = j->r->d;

	if (j->lmtp && d->p->lmtp_connection_cache_time > 0 &&
	    j->c != NULL && smtpclient_usable(j->c))
		delivery_cache_put(j->r->d, j->r->req.nexthop, &j->cur,
		    &j->c);
	else
		smtpclient_quit(&j->c);
}

static void on_sent(struct smtpclient *c, void *arg);

/* A transaction with the pending recipients (only those to send again
 * here, when again). */
static void
send_msg(struct delivery_job *j, bool again)
{
	struct delivery_req *r = j->r;
	size_t i;

	j->nmap = 0;
	for (i = 0; i < r->req.nrcpt; i++) {
		struct delivery_rcpt *rc = &r->rcpt[i];

		if (!rc->final && (!again || rc->retry_here)) {
			j->srcpt[j->nmap] = r->crcpt[i];
			j->map[j->nmap++] = i;
		}
		rc->retry_here = false;
	}
	j->msg = r->msg;
	j->msg.rcpt = j->srcpt;
	j->msg.nrcpt = j->nmap;
	if (j->nmap == 0 || smtpclient_send(j->c, &j->msg, j->res, on_sent,
				j) == -1)
		log_panic("%s: cannot start a transaction", r->id);
}

static void
on_sent(struct smtpclient *c, void *arg)
{
	struct delivery_job *j = arg;
	struct delivery_req *r = j->r;
	bool progress = false;
	bool again = false;
	size_t k;

	(void)c;
	j->sent = true;
	for (k = 0; k < j->nmap; k++) {
		const struct smtpclient_reply *e = &j->res[k];
		size_t i = j->map[k];
		int cls = e->code / 100;

		/* A session lost or timed out counts against the
		 * destination, as a refused session does. */
		note(j, i, e, e->kind != SMTPCLIENT_REPLY &&
		    e->kind != SMTPCLIENT_LOCAL);
		if (cls == 2 || cls == 5) {
			progress |= cls == 2;
			delivery_req_result(r, i);
		} else if (e->kind == SMTPCLIENT_REPLY && e->code == 452 &&
		    e->cmd != NULL && strcmp(e->cmd, "RCPT TO") == 0) {
			r->rcpt[i].retry_here = true;
			again = true;
		}
	}
	if (r->npending > 0 && again && progress && smtpclient_usable(j->c)) {
		send_msg(j, true);
		return;
	}
	release(j);
	if (r->npending == 0) {
		delivery_req_finish(r);
		return;
	}
	/* LMTP has one server: what it deferred stays deferred. */
	if (j->lmtp)
		give_up(j);
	else
		next_target(j);
}

static void connect_target(struct delivery_job *j);

/* TLS of a new session, for the log (a kept one was logged before). */
static void
log_tls(const struct delivery_job *j)
{
	char proto[TLS_PROTO_MAX];
	char cipher[TLS_CIPHER_MAX];
	int bits;

	if (j->from_cache ||
	    smtpclient_tls_info(j->c, proto, cipher, &bits) == -1)
		return;
	log_info("%s: %s TLS connection established to %s: %s with cipher "
		 "%s (%d bits)", j->r->id, smtpclient_tls_verified(j->c) ?
	    "Verified" : "Untrusted", j->cur.relay, proto, cipher, bits);
}

static void
on_ready(struct smtpclient *c, void *arg)
{
	struct delivery_job *j = arg;
	struct smtpclient_reply e;
	char text[DELIVERREQ_TEXT_MAX + 1];
	size_t i;

	if (smtpclient_error(c) == NULL) {
		j->any_session = true;
		j->t_ready = event_now_ms();
		log_tls(j);
		send_msg(j, false);
		return;
	}
	/* Copied: the session goes away below. */
	e = *smtpclient_error(c);
	smtpclient_free(&j->c);
	if (j->from_cache) {
		/* A kept session that went stale: a new one, same target. */
		log_debug("%s: cached session to %s is gone", j->r->id,
		    j->cur.relay);
		j->from_cache = false;
		connect_target(j);
		return;
	}
	delivery_msg_text(&e, j->cur.peer, text, sizeof(text));
	log_info("%s: %s", j->r->id, text);
	for (i = 0; i < j->r->req.nrcpt; i++)
		if (!j->r->rcpt[i].final)
			note(j, i, &e, true);
	/* may: a server that offers STARTTLS but fails the handshake gets
	 * the message in plaintext, on a new connection (as Postfix). */
	if (e.kind == SMTPCLIENT_TLS && j->level == SMTPCLIENT_TLS_MAY &&
	    strcmp(e.enh, "4.7.5") == 0 && !j->plain_retry) {
		j->plain_retry = true;
		j->level = SMTPCLIENT_TLS_NONE;
		connect_target(j);
		return;
	}
	next_target(j);
}

static void
connect_target(struct delivery_job *j)
{
	struct delivery *d = j->r->d;
	struct smtpclient_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.lmtp = j->lmtp;
	conf.helo_name = d->p->smtp_helo_name;
	conf.tls = j->level;
	conf.tls_ctx = delivery_tls_ctx(d, j->level);
	conf.peer_name = j->cur.host;
	conf.to = d->to;
	j->t_try = event_now_ms();
	j->t_ready = 0;
	j->c = smtpclient_new(d->svc->base, (struct sockaddr *)&j->cur.sa,
	    j->cur.salen, &conf, on_ready, j);
}

static void
next_target(struct delivery_job *j)
{
	struct delivery *d = j->r->d;

	if (j->next == j->nt || (j->lmtp && j->sent) ||
	    (!j->lmtp && j->tries == d->p->smtp_max_hosts)) {
		give_up(j);
		return;
	}
	j->cur = j->t[j->next++];
	j->tries++;
	j->level = j->r->tls;
	j->plain_retry = false;
	/* LMTP: a session kept from an earlier delivery to the same hop. */
	if (j->lmtp && j->tries == 1 &&
	    (j->c = delivery_cache_take(d, j->r->req.nexthop, &j->cur)) !=
		NULL) {
		j->from_cache = true;
		j->t_try = event_now_ms();
		if (smtpclient_rset(j->c, on_ready, j) == 0)
			return;
		smtpclient_free(&j->c);
		j->from_cache = false;
	}
	connect_target(j);
}

void
delivery_job_start(struct delivery_req *r, struct delivery_target *t,
    size_t nt, bool lmtp)
{
	struct delivery_job *j = xcalloc(1, sizeof(*j));

	j->r = r;
	j->lmtp = lmtp;
	j->t = xcalloc(nt > 0 ? nt : 1, sizeof(*j->t));
	memcpy(j->t, t, nt * sizeof(*t));
	j->nt = nt;
	j->map = xcalloc(r->req.nrcpt, sizeof(*j->map));
	j->srcpt = xcalloc(r->req.nrcpt, sizeof(*j->srcpt));
	j->res = xcalloc(r->req.nrcpt, sizeof(*j->res));
	r->job = j;
	next_target(j);
}
