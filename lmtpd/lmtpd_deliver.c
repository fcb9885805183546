/*
 * lmtpd_deliver.c - the end of the data (the session core read it through
 * lib/mail/smtpdata with lmtpd's limits): a refused message gets its
 * refusal once per recipient (RFC 2033 4.2); otherwise it goes into each
 * recipient's store on the worker pool (one job a recipient, so different
 * users' writes and fsyncs overlap), and each recipient gets its reply in
 * RCPT order (RFC 2033 4.2) as soon as it and those before it are done.
 *
 * Each stored copy starts with "Return-Path: <sender>" and
 * "Delivered-To: user" (authd's name for the recipient).  A message that
 * already names the user in lmtpd_delivered_to_limit Delivered-To: fields
 * has come round a loop and is refused for that recipient.  250 is sent
 * only after store_append returned STORE_OK: the message and its index
 * entry are on disk (postern-store(5)).
 *
 * Linked into: lmtpd.  Runs as store_owner.  Trust: the text is bounded
 * and opaque here but for the header scan of the loop check; the store
 * user comes from authd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

struct delivery;

/* One recipient's job and outcome. */
struct result {
	struct delivery *d;		/* borrowed: the owner */
	size_t i;			/* the recipient's index */
	bool done;
	int code;
	char enh[8];
	char text[400];
	char mailbox[STORE_MAX_NAME + 1]; /* for the log */
	uint32_t uid;
	uint64_t size;
	const char *status;		/* stored, deferred, bounced */
	char reason[128];
};

struct delivery {
	struct lmtpd_sess *sess;	/* borrowed: kept busy meanwhile */
	struct lmtpd_stores *stores;	/* borrowed: the daemon's */
	uint64_t loop_limit;
	bool quota_tempfail;
	char *sender;
	struct buf text;		/* shared, read-only, by the jobs */
	struct lmtpd_rcpt *rcpt;
	size_t nrcpt;
	struct result *res;
	size_t next_reply;
	size_t pending;			/* jobs whose done has not run */
};

static void
outcome(struct result *r, int code, const char *enh, const char *text,
    const char *reason)
{
	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	snprintf(r->text, sizeof(r->text), "<%s>: %s", r->d->rcpt[r->i].addr,
	    text);
	r->status = code < 300 ? "stored" : code < 500 ? "deferred" :
							 "bounced";
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Delivered-To: fields of the header that name user. */
static uint64_t
delivered_to(struct span text, const char *user)
{
	uint64_t n = 0;

	while (text.len > 0) {
		long nl = span_chr(text, '\n');
		struct span line = span_make(text.p, nl == -1 ? text.len :
							      (size_t)nl);

		if (line.len <= 1)
			break;		/* the empty line ends the header */
		if (span_startswith_nocase(line, "delivered-to:") &&
		    span_eq_nocase(span_trim(span_sub(line, 13, line.len)),
			user))
			n++;
		text = span_sub(text, line.len + 1, text.len);
	}
	return n;
}

/* The sub-address folder when it exists, else INBOX. */
static enum store_res
pick_mailbox(struct store *st, const struct lmtpd_rcpt *rc,
    struct store_mailbox *mb, struct why *why)
{
	if (rc->folder != NULL && store_name_ok(rc->folder) &&
	    store_mailbox_get(st, rc->folder, mb, why) == STORE_OK &&
	    !mb->noselect)
		return STORE_OK;
	return store_mailbox_get(st, "INBOX", mb, why);
}

/* Into the store: the mailbox, the quota, the append. */
static void
store_into(struct result *r, struct span msg)
{
	struct delivery *d = r->d;
	const struct lmtpd_rcpt *rc = &d->rcpt[r->i];
	struct store_append a = { .msg = msg };
	struct lmtpd_store *e;
	struct store_mailbox mb;
	struct store_msg m;
	enum store_res res;
	struct why why = { "" };

	e = lmtpd_store_take(d->stores, rc->user, &why);
	if (e == NULL) {
		outcome(r, 451, "4.3.0", "Temporary store failure", why.msg);
		return;
	}
	store_set_quota(lmtpd_store_of(e), rc->quota_bytes, rc->quota_messages);
	res = pick_mailbox(lmtpd_store_of(e), rc, &mb, &why);
	if (res == STORE_OK) {
		snprintf(r->mailbox, sizeof(r->mailbox), "%s", mb.name);
		a.mailbox = mb.id;
		res = store_append(lmtpd_store_of(e), &a, &m, &why);
	}
	lmtpd_store_give(d->stores, &e, res == STORE_TEMP);
	if (res == STORE_OK) {
		r->uid = m.uid;
		r->size = m.size;
		outcome(r, 250, "2.0.0", "Ok: delivered", "");
	} else if (res == STORE_OVERQUOTA && d->quota_tempfail) {
		outcome(r, 452, "4.2.2", "Mailbox full", "over quota");
	} else if (res == STORE_OVERQUOTA) {
		outcome(r, 552, "5.2.2", "Mailbox full", "over quota");
	} else {
		outcome(r, 451, "4.3.0", "Temporary store failure", why.msg);
	}
}

/* On a worker thread: one recipient. */
static void
deliver_work(void *arg)
{
	struct result *r = arg;
	struct delivery *d = r->d;
	const struct lmtpd_rcpt *rc = &d->rcpt[r->i];
	struct buf msg;

	snprintf(r->mailbox, sizeof(r->mailbox), "INBOX");
	r->size = d->text.len;
	if (delivered_to(buf_span(&d->text), rc->user) >= d->loop_limit) {
		outcome(r, 554, "5.4.6", "Mail loop: already delivered here",
		    "mail loop: Delivered-To");
		return;
	}
	buf_init(&msg, d->text.len + 2 * 1024);
	buf_addf(&msg, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", d->sender,
	    rc->user);
	buf_addspan(&msg, buf_span(&d->text));
	r->size = msg.len;
	store_into(r, buf_span(&msg));
	buf_fini(&msg);
}

static void
log_result(const struct lmtpd_sess *s, const struct result *r,
    const char *addr)
{
	log_info("%s: to=<%s>, mailbox=%s, uid=%u, size=%llu, status=%s%s%s%s",
	    s->srv.id, addr, r->mailbox, (unsigned)r->uid,
	    (unsigned long long)r->size, r->status, r->reason[0] != '\0' ?
	    " (" : "", r->reason, r->reason[0] != '\0' ? ")" : "");
}

static void
delivery_free(struct delivery *d)
{
	lmtpd_rcpts_free(d->rcpt, d->nrcpt);
	free(d->res);
	free(d->sender);
	buf_fini(&d->text);
	free(d);
}

/* Replies in RCPT order, as far as the results are in; the end. */
static void
deliver_done(void *arg)
{
	struct result *r = arg;
	struct delivery *d = r->d;
	struct lmtpd_sess *s = d->sess;

	r->done = true;
	d->pending--;
	while (d->next_reply < d->nrcpt && d->res[d->next_reply].done) {
		struct result *n = &d->res[d->next_reply++];

		log_result(s, n, d->rcpt[n->i].addr);
		if (!s->srv.ended)
			smtpsrv_reply(&s->srv, n->code, n->enh, "%s", n->text);
	}
	if (d->pending > 0)
		return;
	delivery_free(d);
	smtpsrv_resume(&s->srv);
}

static void
deliver(struct lmtpd_sess *s)
{
	struct delivery *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->sess = s;
	d->stores = s->ld->stores;
	d->loop_limit = s->ld->p->lmtpd_delivered_to_limit;
	d->quota_tempfail = s->ld->p->lmtpd_quota_full_tempfail;
	d->sender = xstrdup(s->srv.sender);
	smtpsrv_take_text(&s->srv, &d->text);
	d->rcpt = s->rcpt;
	d->nrcpt = s->nrcpt;
	s->rcpt = NULL;
	s->nrcpt = 0;
	d->res = xcalloc(d->nrcpt, sizeof(*d->res));
	smtpsrv_tx_reset(&s->srv);
	smtpsrv_suspend(&s->srv);
	/* One more than the jobs: d lives on while jobs refused as busy
	 * finish inline in this loop. */
	d->pending = d->nrcpt + 1;
	for (i = 0; i < d->nrcpt; i++) {
		struct result *r = &d->res[i];

		r->d = d;
		r->i = i;
		if (worker_submit(s->ld->pool, deliver_work, deliver_done, r) ==
		    -1) {
			snprintf(r->mailbox, sizeof(r->mailbox), "INBOX");
			outcome(r, 451, "4.3.0", "Server busy, try again later",
			    "server busy");
			deliver_done(r);
		}
	}
	d->pending--;
	if (d->pending == 0) {
		delivery_free(d);
		smtpsrv_resume(&s->srv);
	}
}

/* A refused message: the same refusal for every recipient (RFC 2033
 * 4.2). */
static void
refuse_all(struct lmtpd_sess *s, int code, const char *enh,
    const char *text)
{
	struct delivery d = { .sess = s, .rcpt = s->rcpt, .nrcpt = s->nrcpt };
	struct result r = { .d = &d };

	snprintf(r.mailbox, sizeof(r.mailbox), "INBOX");
	r.size = s->srv.text.len;
	for (r.i = 0; r.i < d.nrcpt; r.i++) {
		outcome(&r, code, enh, text, text);
		log_result(s, &r, d.rcpt[r.i].addr);
		smtpsrv_reply(&s->srv, code, enh, "%s", r.text);
	}
	smtpsrv_tx_reset(&s->srv);
}

void
lmtpd_message(struct smtpsrv *c, int code, const char *enh, const char *text)
{
	if (code != 0)
		refuse_all(lmtpd_sess_of(c), code, enh, text);
	else
		deliver(lmtpd_sess_of(c));
}
