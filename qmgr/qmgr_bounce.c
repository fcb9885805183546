/*
 * qmgr_bounce.c - the notices a message's outcomes call for (RFC 3461):
 * a non-delivery notice for failed recipients (unless NOTIFY said
 * otherwise), a delay notice (once, when delay_warning_time has passed),
 * a success notice for NOTIFY=SUCCESS.  Each is made by dsn_make() and
 * queued as a new message from the null sender.  A message from the null
 * sender gets no notice but a failure notice to double_bounce_recipient,
 * sent from double-bounce@myhostname; a failure of that one is logged and
 * dropped, so notices never loop.
 * Runs on a worker (queue files are written), while the loop leaves the
 * message alone.  Linked into: qmgr.  Trust: the original and the
 * outcomes' texts are hostile; dsn_make() makes them safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/dsn.h"
#include "qmgr.h"

/* Largest notice (the original is cut to bounce_size_limit first). */
#define NOTICE_MAX (64 * 1024 * 1024)

/* Does r want a notice of this kind?  (QFILE_NOTIFY_*: 0 is the
 * default: failures, and delays when delay_warning_time is set.) */
static bool
wants(const struct qfile_rcpt *r, enum dsn_kind kind)
{
	unsigned int n = r->notify;
	unsigned int f = r->status.flags;

	switch (kind) {
	case DSN_KIND_FAILURE:
		return r->status.state == QFILE_BOUNCED &&
		    !(f & QFILE_FLAG_NOTICE_SENT) &&
		    (n == 0 || (n & QFILE_NOTIFY_FAILURE));
	case DSN_KIND_DELAY:
		return (r->status.state == QFILE_DEFERRED ||
			   r->status.state == QFILE_PENDING) &&
		    !(f & QFILE_FLAG_DELAY_SENT) &&
		    (n == 0 || (n & QFILE_NOTIFY_DELAY));
	case DSN_KIND_SUCCESS:
		return r->status.state == QFILE_SENT &&
		    !(f & QFILE_FLAG_NOTICE_SENT) &&
		    (n & QFILE_NOTIFY_SUCCESS);
	}
	return false;
}

static int
tz_minutes(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* Queue one notice from sender to rcpt.  0, or -1 with why. */
static int
queue_notice(const struct qmgr *qm, const char *sender, const char *rcpt,
    struct span text, const struct dsn_info *info, bool smtputf8,
    char qid_out[QID_SIZE], struct why *why)
{
	struct qfile_writer *w = qfile_create(qm->queue_dir, why);
	struct qfile_rcpt r = { 0 };
	struct qfile_env e;
	int rc;

	if (w == NULL)
		return -1;
	qfile_env_init(&e);
	e.sender = span_str(sender);
	e.proto = QFILE_PROTO_LOCAL;
	e.body = info->eight_bit ? QFILE_BODY_8BITMIME : QFILE_BODY_7BIT;
	e.smtputf8 = smtputf8;
	r.addr = span_str(rcpt);
	r.orig = r.addr;
	rc = qfile_set_env(w, &e, why);
	if (rc == 0)
		rc = qfile_add_rcpt(w, &r, why);
	if (rc == 0)
		rc = qfile_write_content(w, text, why);
	if (rc == 0)
		rc = qfile_commit(w, qid_out, why);
	if (rc == -1)
		qfile_abort(&w);
	qfile_writer_free(&w);
	return rc;
}

static enum dsn_action
action_of(const struct qmgr_msg *m, size_t i, enum dsn_kind kind)
{
	if (kind == DSN_KIND_FAILURE)
		return DSN_FAILED;
	if (kind == DSN_KIND_DELAY)
		return DSN_DELAYED;
	/* A peer that is not the store may not send DSNs of its own. */
	return strcmp(m->route[i].transport, "lmtp") == 0 ? DSN_DELIVERED :
							    DSN_RELAYED;
}

/* The remote host of a relay "host[addr]:port", or empty. */
static struct span
relay_host(const char *relay)
{
	const char *b = strchr(relay, '[');

	if (strcmp(relay, "none") == 0 || b == NULL)
		return span_make("", 0);
	return span_make(relay, (size_t)(b - relay));
}

/* Make and queue the notice of kind for m's recipients that want it.
 * The number of recipients it covered (0: none wanted it), or -1. */
static int
notice(const struct qmgr *qm, struct qmgr_msg *m, enum dsn_kind kind,
    uint64_t now, char qid_out[QID_SIZE], struct why *why)
{
	const struct qfile *q = m->q;
	const struct params *p = qm->p;
	struct dsn_rcpt *dr = xcalloc(q->nrcpt, sizeof(*dr));
	struct dsn_notice n = { 0 };
	struct dsn_info info;
	char to[600], sender[300], msgid[300];
	struct buf text;
	size_t i, k = 0;
	bool null_sender = q->env.sender.len == 0;
	int rc;

	snprintf(sender, sizeof(sender), "double-bounce@%s", p->myhostname);
	for (i = 0; i < q->nrcpt; i++) {
		const struct qfile_rcpt *r = &q->rcpt[i];
		const struct qmgr_outcome *o = &m->out[i];

		if (!wants(r, kind))
			continue;
		dr[k].addr = r->addr;
		dr[k].orcpt_type = r->orcpt_type;
		dr[k].orcpt = r->orcpt_type.len > 0 ? r->orig :
						      span_make("", 0);
		dr[k].action = action_of(m, i, kind);
		dr[k].status = span_str(r->status.dsn);
		dr[k].remote_mta = relay_host(o->state != 0 ? o->relay : "none");
		dr[k].diag = span_str(o->reply);
		dr[k].reason = span_str(o->state != 0 ? o->text :
		    "the details were lost when the mail system restarted");
		dr[k].last_attempt = (int64_t)r->status.last_attempt;
		if (kind == DSN_KIND_DELAY)
			dr[k].retry_until = (int64_t)(q->env.arrival_sec +
			    p->maximal_queue_lifetime);
		k++;
	}
	if (k == 0) {
		free(dr);
		return 0;
	}
	/* No notices about notices, but a failure goes to the postmaster
	 * once: a failure of that notice is only logged. */
	if (null_sender && kind != DSN_KIND_FAILURE) {
		free(dr);
		return (int)k;
	}
	if (span_eq(q->env.sender, sender)) {
		log_warn("%s: undeliverable notice to the postmaster dropped",
		    m->qid);
		free(dr);
		return (int)k;
	}
	if (null_sender)
		snprintf(to, sizeof(to), "%s%s%s", p->double_bounce_recipient,
		    strchr(p->double_bounce_recipient, '@') != NULL ? "" : "@",
		    strchr(p->double_bounce_recipient, '@') != NULL ? "" :
		    p->myhostname);
	else
		snprintf(to, sizeof(to), "%.*s", (int)q->env.sender.len,
		    (const char *)q->env.sender.p);
	snprintf(msgid, sizeof(msgid), "%s.%llu.notice@%s", m->qid,
	    (unsigned long long)now, p->myhostname);
	n.mta = span_str(p->myhostname);
	n.to = span_str(to);
	n.date = (int64_t)now;
	n.tz_minutes = tz_minutes((time_t)now);
	n.message_id = span_str(msgid);
	n.queue_id = span_str(m->qid);
	n.arrival = (int64_t)q->env.arrival_sec;
	n.envid = q->env.envid;
	n.ret = (enum dsn_ret)q->env.ret;
	n.smtputf8 = q->env.smtputf8;
	n.allow_8bit = true;
	n.content = span_make((const char *)q->map + q->content_off,
	    q->content_len);
	n.size_limit = p->bounce_size_limit;
	n.rcpt = dr;
	n.nrcpt = k;
	buf_init(&text, NOTICE_MAX);
	rc = dsn_make(&n, &text, &info, why);
	if (rc == 0)
		rc = queue_notice(qm, null_sender ? sender : "", to,
		    buf_span(&text), &info, q->env.smtputf8, qid_out, why);
	buf_fini(&text);
	free(dr);
	return rc == -1 ? -1 : (int)k;
}

/* Flag the recipients the notice of kind covered. */
static int
flag(struct qmgr_msg *m, enum dsn_kind kind, struct why *why)
{
	struct qfile *q = m->q;
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		struct qfile_status st = q->rcpt[i].status;

		if (!wants(&q->rcpt[i], kind))
			continue;
		st.flags |= kind == DSN_KIND_DELAY ? QFILE_FLAG_DELAY_SENT :
						     QFILE_FLAG_NOTICE_SENT;
		if (qfile_put_status(q, i, &st, why) == -1)
			return -1;
	}
	return 0;
}

int
qmgr_bounce(const struct qmgr *qm, struct qmgr_msg *m, bool delay,
    uint64_t now, char qids_out[3][QID_SIZE], struct why *why)
{
	static const enum dsn_kind kinds[] = { DSN_KIND_FAILURE,
		DSN_KIND_DELAY, DSN_KIND_SUCCESS };
	size_t i;
	int r;

	for (i = 0; i < 3; i++) {
		qids_out[i][0] = '\0';
		if (kinds[i] == DSN_KIND_DELAY && !delay)
			continue;
		r = notice(qm, m, kinds[i], now, qids_out[i], why);
		if (r == -1)
			return -1;
		if (r > 0 && flag(m, kinds[i], why) == -1)
			return -1;
	}
	return 0;
}
