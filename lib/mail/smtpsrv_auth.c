/*
 * smtpsrv_auth.c - the AUTH exchange (RFC 4954) of the SMTP/LMTP session
 * core, through the SASL glue, with every password checked by authd on a
 * worker thread.  While an exchange runs, the client's lines are SASL
 * responses, not commands.  Whether AUTH is legal at all is the daemon's
 * check, made before smtpsrv_auth.
 *
 *   AUTH mech [initial-response]  -> 334 challenge ... | 235 | 535 | 454
 *   a response of "*" cancels the exchange (501 5.0.0).
 *
 * A failed check's 535 waits out authd's failure delay on a timer, with
 * the session suspended: the worker thread is free at once (authd(8)).
 *
 * Linked into: smtpd, lmtpd.  Trust: responses are hostile and secret:
 * decoded into buffers that are wiped, never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/smtpsrv_impl.h"

struct smtpsrv_auth_job {
	struct smtpsrv *sess;		/* borrowed: kept while busy */
	bool first;			/* authsasl_start, else _step */
	bool initial;			/* first, with an initial response */
	struct buf in;			/* decoded response; wiped */
	struct buf out;			/* the next challenge */
	enum authsasl_res res;
	uint64_t delay_ms;		/* FAIL: authd's failure delay */
	struct event_timer *timer;	/* holds the FAIL's reply back */
	struct why why;
};

static void job_free(struct smtpsrv_auth_job *j);

void
smtpsrv_auth_reset(struct smtpsrv *s)
{
	if (s->auth_held != NULL) {
		job_free(s->auth_held);
		s->auth_held = NULL;
	}
	authsasl_free(&s->sasl);
	buf_fini(&s->auth_check.user);
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_pending = false;
}

int
smtpsrv_auth_mechs(struct smtpsrv *s, struct buf *out)
{
	const struct smtpsrv_daemon *d = s->d;
	struct why why;

	buf_reset(out);
	if (!d->auth_enable || s->auth_user != NULL ||
	    (d->local_plain && s->local))
		return 0;
	/* encrypt: no AUTH before STARTTLS, whatever plaintext allows. */
	if (!s->tls && d->tls_encrypt)
		return 0;
	/* The exchange's state lives with the session. */
	if (s->sasl == NULL) {
		s->sasl = authsasl_new(d->lmtp ? "lmtp" : "smtp",
		    d->p->myhostname, d->p->auth_mechanisms, s->tls,
		    d->p->auth_allow_plaintext, authsasl_authd_check,
		    &s->auth_check, &why);
		if (s->sasl == NULL) {
			log_warn("%s: SASL: %s", s->id, why.msg);
			return 0;
		}
	}
	return authsasl_mechs(s->sasl, out);
}

bool
smtpsrv_mech_offered(struct span mechs, struct span mech)
{
	struct span m;

	while (span_token(&mechs, " ", &m))
		if (span_eq_span_nocase(m, mech))
			return true;
	return false;
}

/* On a worker thread: one SASL step, which may ask authd. */
static void
auth_work(void *arg)
{
	struct smtpsrv_auth_job *j = arg;
	struct smtpsrv *s = j->sess;
	struct span in = buf_span(&j->in);

	/* The check runs on this thread: this thread's authd client. */
	s->auth_check.client = authclient_thread(s->d->authd_path,
	    s->d->p->authd_timeout * 1000);
	s->auth_check.delay_ms = 0;
	if (j->first)
		j->res = authsasl_start(s->sasl, s->auth_mech,
		    j->initial ? &in : NULL, &j->out, &j->why);
	else
		j->res = authsasl_step(s->sasl, in, &j->out, &j->why);
	/* Not waited out here: this thread is needed by other sessions. */
	j->delay_ms = j->res == AUTHSASL_FAIL ? s->auth_check.delay_ms : 0;
}

static void
job_free(struct smtpsrv_auth_job *j)
{
	event_timer_free(&j->timer);
	buf_wipe(&j->in);
	buf_fini(&j->in);
	buf_fini(&j->out);
	free(j);
}

static void
fail(struct smtpsrv *s, const char *reason)
{
	log_info("%s: AUTH %s failed: %s", s->id, s->auth_mech, reason);
	smtpsrv_reply(s, 535, "5.7.8", "Error: authentication failed");
	smtpsrv_error(s);
}

/* The step's outcome, as a reply. */
static void
answer(struct smtpsrv *s, struct smtpsrv_auth_job *j)
{
	struct buf enc;

	switch (j->res) {
	case AUTHSASL_CONTINUE:
		buf_init(&enc, 16384);
		base64_encode(buf_span(&j->out), &enc);
		smtpsrv_reply(s, 334, NULL, "%s", enc.len > 0 ?
		    (const char *)enc.p : "");
		buf_fini(&enc);
		break;
	case AUTHSASL_OK:
		s->auth_user = xstrdup(s->auth_check.user.len > 0 ?
		    (const char *)s->auth_check.user.p :
		    authsasl_user(s->sasl));
		log_info("%s: AUTH %s user=<%s>", s->id, s->auth_mech,
		    s->auth_user);
		smtpsrv_reply(s, 235, "2.7.0", "Authentication successful");
		break;
	case AUTHSASL_FAIL:
		fail(s, j->why.msg);
		break;
	case AUTHSASL_TEMP:
		log_warn("%s: AUTH %s: %s", s->id, s->auth_mech, j->why.msg);
		smtpsrv_reply(s, 454, "4.7.0", "Temporary authentication "
					       "failure");
		break;
	default:
		if (s->d->lmtp) {
			fail(s, j->why.msg);
			break;
		}
		smtpsrv_reply(s, 501, "5.5.2", "Error: %s", j->why.msg);
		smtpsrv_error(s);
		break;
	}
}

/* The step is over (and a failure's delay too): reply, read again. */
static void
step_over(struct smtpsrv_auth_job *j)
{
	struct smtpsrv *s = j->sess;

	if (!s->ended)
		answer(s, j);
	job_free(j);
	smtpsrv_resume(s);
}

static void
delay_over(void *arg)
{
	struct smtpsrv_auth_job *j = arg;

	j->sess->auth_held = NULL;
	step_over(j);
}

static void
auth_done(void *arg)
{
	struct smtpsrv_auth_job *j = arg;
	struct smtpsrv *s = j->sess;

	s->auth_pending = j->res == AUTHSASL_CONTINUE;
	if (j->delay_ms == 0 || s->ended) {
		step_over(j);
		return;
	}
	/*
	 * authd's failure delay: the 535 waits on a timer while the session
	 * stays suspended (it reads nothing), so the client learns nothing
	 * sooner, and no worker thread is held meanwhile.
	 */
	j->timer = event_timer_new(s->d->base, delay_over, j);
	s->auth_held = j;
	if (event_timer_start(j->timer, j->delay_ms, false) == -1) {
		/* Never an early 535: end the session instead. */
		log_error("%s: cannot start the AUTH failure delay", s->id);
		s->auth_held = NULL;
		job_free(j);
		smtpsrv_close_421(s, "Error: internal error");
		smtpsrv_resume(s);
	}
}

/* Decode a response into a new job; NULL (after a 501) if it is bad. */
static struct smtpsrv_auth_job *
job_new(struct smtpsrv *s, struct span b64, bool first)
{
	struct smtpsrv_auth_job *j = xcalloc(1, sizeof(*j));

	j->sess = s;
	j->first = first;
	j->initial = first && b64.len > 0;
	buf_init(&j->in, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->out, 8192);
	/* RFC 4954 4: "=" is an empty initial response. */
	if (((first || s->d->lmtp) && span_eq(b64, "=")) ||
	    base64_decode(b64, &j->in) == 0)
		return j;
	job_free(j);
	authsasl_free(&s->sasl);
	smtpsrv_reply(s, 501, "5.5.2", "Error: bad base64 in %s",
	    first && !s->d->lmtp ? "initial response" : "response");
	smtpsrv_error(s);
	return NULL;
}

static void
submit(struct smtpsrv *s, struct smtpsrv_auth_job *j)
{
	smtpsrv_suspend(s);
	if (worker_submit(s->d->pool, auth_work, auth_done, j) == -1) {
		j->res = AUTHSASL_TEMP;
		snprintf(j->why.msg, sizeof(j->why.msg), "server busy");
		auth_done(j);
	}
}

void
smtpsrv_auth(struct smtpsrv *s, const struct smtpcmd *c)
{
	struct smtpsrv_auth_job *j;

	snprintf(s->auth_mech, sizeof(s->auth_mech), "%.*s",
	    (int)c->auth_mech.len, (const char *)c->auth_mech.p);
	j = job_new(s, c->auth_initial, true);
	if (j == NULL)
		return;
	s->auth_check.service = s->d->lmtp ? "lmtp" : "smtp";
	s->auth_check.client_addr = s->client_addr;
	if (s->auth_check.user.max == 0)
		buf_init(&s->auth_check.user, AUTHSASL_MAX_USER + 1);
	submit(s, j);
}

void
smtpsrv_auth_response(struct smtpsrv *s, struct span line)
{
	struct smtpsrv_auth_job *j;

	s->auth_pending = false;
	if (span_eq(line, "*")) {
		authsasl_free(&s->sasl);
		smtpsrv_reply(s, 501, "5.0.0", "Authentication aborted");
		smtpsrv_error(s);
		return;
	}
	j = job_new(s, line, false);
	if (j != NULL)
		submit(s, j);
}
