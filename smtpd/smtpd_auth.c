/*
 * smtpd_auth.c - SMTP AUTH (RFC 4954) through the SASL glue, with every
 * password checked by authd on a worker thread.  While an exchange runs,
 * the client's lines are SASL responses, not commands.
 *
 *   AUTH mech [initial-response]  -> 334 challenge ... | 235 | 535 | 454
 *   a response of "*" cancels the exchange (501 5.0.0).
 *
 * Linked into: smtpd.  Trust: responses are hostile and secret: decoded
 * into buffers that are wiped, never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authsasl_authd.h"
#include "base/base64.h"
#include "base/log.h"
#include "base/xmem.h"
#include "smtpd.h"

struct auth_job {
	struct smtpd_sess *sess;	/* borrowed: kept while busy */
	char mech[32];
	bool start;			/* authsasl_start, else _step */
	bool has_initial;
	struct buf response;		/* decoded; wiped */
	struct buf challenge;
	enum authsasl_res res;
	struct why why;
};

/* The exchange's state lives with the session. */
static struct authsasl *
session_sasl(struct smtpd_sess *s)
{
	const struct params *p = s->sd->p;
	struct why why;

	if (s->sasl == NULL) {
		s->sasl = authsasl_new("smtp", p->myhostname,
		    p->auth_mechanisms, s->tls, p->auth_allow_plaintext,
		    authsasl_authd_check, &s->auth_check, &why);
		if (s->sasl == NULL)
			log_warn("%s: SASL: %s", s->id, why.msg);
	}
	return s->sasl;
}

void
smtpd_auth_reset(struct smtpd_sess *s)
{
	authsasl_free(&s->sasl);
	buf_fini(&s->auth_check.user);
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_pending = false;
}

int
smtpd_auth_mechs(struct smtpd_sess *s, struct buf *out)
{
	struct authsasl *a;

	buf_reset(out);
	if (!s->sd->p->smtpd_sasl_auth_enable || s->auth_user != NULL)
		return 0;
	/* encrypt: no AUTH before STARTTLS, whatever plaintext allows. */
	if (!s->tls && strcmp(s->sd->p->smtpd_tls_security_level,
			   "encrypt") == 0)
		return 0;
	a = session_sasl(s);
	return a != NULL ? authsasl_mechs(a, out) : 0;
}

/* On a worker thread: the SASL step, which asks authd. */
static void
auth_work(void *arg)
{
	struct auth_job *j = arg;
	struct smtpd_sess *s = j->sess;
	struct span initial = buf_span(&j->response);

	/* The check runs on this thread: this thread's authd client. */
	s->auth_check.client = smtpd_authclient();
	if (j->start)
		j->res = authsasl_start(s->sasl, j->mech,
		    j->has_initial ? &initial : NULL, &j->challenge, &j->why);
	else
		j->res = authsasl_step(s->sasl, initial, &j->challenge,
		    &j->why);
}

static void
job_free(struct auth_job *j)
{
	buf_wipe(&j->response);
	buf_fini(&j->response);
	buf_fini(&j->challenge);
	free(j);
}

static void
auth_done(void *arg)
{
	struct auth_job *j = arg;
	struct smtpd_sess *s = j->sess;
	struct buf enc;

	s->auth_pending = j->res == AUTHSASL_CONTINUE;
	if (s->ended) {
		job_free(j);
		smtpd_resume(s);
		return;
	}
	switch (j->res) {
	case AUTHSASL_CONTINUE:
		buf_init(&enc, 16384);
		base64_encode(buf_span(&j->challenge), &enc);
		smtpd_reply(s, 334, NULL, "%s", enc.len > 0 ?
		    (const char *)enc.p : "");
		buf_fini(&enc);
		break;
	case AUTHSASL_OK:
		s->auth_user = xstrdup(s->auth_check.user.len > 0 ?
		    (const char *)s->auth_check.user.p : authsasl_user(s->sasl));
		log_info("%s: AUTH %s user=<%s>", s->id, j->mech, s->auth_user);
		smtpd_reply(s, 235, "2.7.0", "Authentication successful");
		break;
	case AUTHSASL_FAIL:
		log_info("%s: AUTH %s failed: %s", s->id, j->mech, j->why.msg);
		smtpd_reply(s, 535, "5.7.8", "Error: authentication failed");
		smtpd_error(s);
		break;
	case AUTHSASL_TEMP:
		log_warn("%s: AUTH %s: %s", s->id, j->mech, j->why.msg);
		smtpd_reply(s, 454, "4.7.0", "Temporary authentication "
					     "failure");
		break;
	default:
		smtpd_reply(s, 501, "5.5.2", "Error: %s", j->why.msg);
		smtpd_error(s);
		break;
	}
	job_free(j);
	smtpd_resume(s);
}

static void
submit(struct smtpd_sess *s, struct auth_job *j)
{
	smtpd_suspend(s);
	if (worker_submit(s->sd->pool, auth_work, auth_done, j) == -1) {
		j->res = AUTHSASL_TEMP;
		snprintf(j->why.msg, sizeof(j->why.msg), "server busy");
		auth_done(j);
	}
}

static struct auth_job *
job_new(struct smtpd_sess *s)
{
	struct auth_job *j = xcalloc(1, sizeof(*j));

	j->sess = s;
	buf_init(&j->response, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->challenge, 8192);
	return j;
}

/* Is mech one of the offered mechanisms (blank-separated)? */
static bool
offered(struct span mechs, struct span mech)
{
	struct span m;

	while (span_token(&mechs, " ", &m))
		if (span_eq_span_nocase(m, mech))
			return true;
	return false;
}

/* Is AUTH legal now?  If not, say why. */
static bool
check_auth(struct smtpd_sess *s, const struct smtpcmd *c, struct buf *mechs)
{
	if (s->state & (SMTPD_S_MAIL | SMTPD_S_RCPT)) {
		smtpd_reply(s, 503, "5.5.1", "Error: MAIL transaction in "
					     "progress");
		return false;
	}
	if (s->auth_user != NULL) {
		smtpd_reply(s, 503, "5.5.1", "Error: already authenticated");
		return false;
	}
	if (!s->esmtp) {
		smtpd_reply(s, 503, "5.5.1", "Error: send EHLO first");
		return false;
	}
	if (!s->tls && s->sd->p->smtpd_sasl_auth_enable &&
	    (strcmp(s->sd->p->smtpd_tls_security_level, "encrypt") == 0 ||
		(mechs->len == 0 && smtpd_tls_offered(s)))) {
		smtpd_reply(s, 530, "5.7.0", "Must issue a STARTTLS command "
					     "first");
		return false;
	}
	if (mechs->len == 0) {
		smtpd_reply(s, 503, "5.5.1", "Error: authentication not "
					     "enabled");
		return false;
	}
	if (!offered(buf_span(mechs), c->auth_mech)) {
		smtpd_reply(s, 504, "5.5.4", "Unrecognized authentication "
					     "type");
		return false;
	}
	return true;
}

void
smtpd_auth(struct smtpd_sess *s, const struct smtpcmd *c)
{
	struct auth_job *j;
	struct buf mechs;
	bool ok;

	buf_init(&mechs, 256);
	smtpd_auth_mechs(s, &mechs);
	ok = check_auth(s, c, &mechs);
	buf_fini(&mechs);
	if (!ok) {
		smtpd_error(s);
		return;
	}
	j = job_new(s);
	j->start = true;
	snprintf(s->auth_mech, sizeof(s->auth_mech), "%.*s",
	    (int)c->auth_mech.len, (const char *)c->auth_mech.p);
	snprintf(j->mech, sizeof(j->mech), "%s", s->auth_mech);
	j->has_initial = c->auth_initial.len > 0;
	/* RFC 4954 4: "=" is an empty initial response. */
	if (j->has_initial && !span_eq(c->auth_initial, "=") &&
	    base64_decode(c->auth_initial, &j->response) == -1) {
		job_free(j);
		smtpd_reply(s, 501, "5.5.2", "Error: bad base64 in initial "
					     "response");
		smtpd_error(s);
		return;
	}
	s->auth_check.service = "smtp";
	s->auth_check.client_addr = s->client_addr;
	if (s->auth_check.user.max == 0)
		buf_init(&s->auth_check.user, AUTHSASL_MAX_USER + 1);
	submit(s, j);
}

void
smtpd_auth_response(struct smtpd_sess *s, struct span line)
{
	struct auth_job *j;

	s->auth_pending = false;
	if (span_eq(line, "*")) {
		authsasl_free(&s->sasl);
		smtpd_reply(s, 501, "5.0.0", "Authentication aborted");
		smtpd_error(s);
		return;
	}
	j = job_new(s);
	if (base64_decode(line, &j->response) == -1) {
		job_free(j);
		authsasl_free(&s->sasl);
		smtpd_reply(s, 501, "5.5.2", "Error: bad base64 in response");
		smtpd_error(s);
		return;
	}
	snprintf(j->mech, sizeof(j->mech), "%s", s->auth_mech);
	submit(s, j);
}
