/*
 * lmtpd_auth.c - AUTH (RFC 4954) in lmtpd, for LMTP clients on other
 * hosts when lmtpd_sasl_auth_enable is on: the SASL glue with every
 * password checked by authd on a worker thread.  While an exchange runs
 * the client's lines are SASL responses; "*" cancels it.
 * Linked into: lmtpd.  Trust: responses are hostile and secret: decoded
 * into buffers that are wiped, never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

struct auth_job {
	struct lmtpd_sess *sess;	/* borrowed: kept while busy */
	bool first;			/* authsasl_start, else _step */
	bool initial;			/* first, with an initial response */
	struct buf in;			/* decoded response; wiped */
	struct buf out;			/* the next challenge */
	enum authsasl_res res;
	struct why why;
};

void
lmtpd_auth_reset(struct lmtpd_sess *s)
{
	authsasl_free(&s->sasl);
	buf_fini(&s->auth_check.user);
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_pending = false;
}

int
lmtpd_auth_mechs(struct lmtpd_sess *s, struct buf *out)
{
	const struct params *p = s->ld->p;
	struct why why;

	buf_reset(out);
	if (!p->lmtpd_sasl_auth_enable || s->auth_user != NULL || s->local ||
	    (lmtpd_tls_required(s) && !s->tls))
		return 0;
	if (s->sasl == NULL) {
		s->sasl = authsasl_new("lmtp", p->myhostname,
		    p->auth_mechanisms, s->tls, p->auth_allow_plaintext,
		    authsasl_authd_check, &s->auth_check, &why);
		if (s->sasl == NULL) {
			log_warn("%s: SASL: %s", s->id, why.msg);
			return 0;
		}
	}
	return authsasl_mechs(s->sasl, out);
}

/* On a worker thread: one SASL step, which may ask authd. */
static void
auth_work(void *arg)
{
	struct auth_job *j = arg;
	struct lmtpd_sess *s = j->sess;
	struct span in = buf_span(&j->in);

	s->auth_check.client = authclient_thread(s->ld->authd_path,
	    s->ld->p->authd_timeout * 1000);
	if (j->first)
		j->res = authsasl_start(s->sasl, s->auth_mech,
		    j->initial ? &in : NULL, &j->out, &j->why);
	else
		j->res = authsasl_step(s->sasl, in, &j->out, &j->why);
}

static void
job_free(struct auth_job *j)
{
	buf_wipe(&j->in);
	buf_fini(&j->in);
	buf_fini(&j->out);
	free(j);
}

/* The step's outcome, as a reply. */
static void
answer(struct lmtpd_sess *s, struct auth_job *j)
{
	struct buf enc;

	if (j->res == AUTHSASL_CONTINUE) {
		buf_init(&enc, 16384);
		base64_encode(buf_span(&j->out), &enc);
		lmtpd_reply(s, 334, NULL, "%s", enc.len > 0 ?
		    (const char *)enc.p : "");
		buf_fini(&enc);
	} else if (j->res == AUTHSASL_OK) {
		s->auth_user = xstrdup(s->auth_check.user.len > 0 ?
		    (const char *)s->auth_check.user.p :
		    authsasl_user(s->sasl));
		log_info("%s: AUTH %s user=<%s>", s->id, s->auth_mech,
		    s->auth_user);
		lmtpd_reply(s, 235, "2.7.0", "Authentication successful");
	} else if (j->res == AUTHSASL_TEMP) {
		log_warn("%s: AUTH %s: %s", s->id, s->auth_mech, j->why.msg);
		lmtpd_reply(s, 454, "4.7.0", "Temporary authentication "
					     "failure");
	} else {
		log_info("%s: AUTH %s failed: %s", s->id, s->auth_mech,
		    j->why.msg);
		lmtpd_reply(s, 535, "5.7.8", "Error: authentication failed");
		lmtpd_error(s);
	}
}

static void
auth_done(void *arg)
{
	struct auth_job *j = arg;
	struct lmtpd_sess *s = j->sess;

	s->auth_pending = j->res == AUTHSASL_CONTINUE;
	if (!s->ended)
		answer(s, j);
	job_free(j);
	lmtpd_resume(s);
}

/* Decode a response into a new job; NULL (after a 501) if it is bad. */
static struct auth_job *
job_new(struct lmtpd_sess *s, struct span b64, bool first)
{
	struct auth_job *j = xcalloc(1, sizeof(*j));

	j->sess = s;
	j->first = first;
	j->initial = first && b64.len > 0;
	buf_init(&j->in, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->out, 8192);
	/* RFC 4954 4: "=" is an empty initial response. */
	if (span_eq(b64, "=") || base64_decode(b64, &j->in) == 0)
		return j;
	job_free(j);
	authsasl_free(&s->sasl);
	lmtpd_reply(s, 501, "5.5.2", "Error: bad base64 in response");
	lmtpd_error(s);
	return NULL;
}

static void
submit(struct lmtpd_sess *s, struct auth_job *j)
{
	lmtpd_suspend(s);
	if (worker_submit(s->ld->pool, auth_work, auth_done, j) == -1) {
		j->res = AUTHSASL_TEMP;
		snprintf(j->why.msg, sizeof(j->why.msg), "server busy");
		auth_done(j);
	}
}

/* Why AUTH is refused now (code and text), or 0. */
static int
refused(struct lmtpd_sess *s, const struct smtpcmd *c, const char **text)
{
	struct buf mechs;
	struct span m, list;
	int code = 504;

	*text = "Unrecognized authentication type";
	if (s->state & (LMTPD_S_MAIL | LMTPD_S_RCPT) || s->auth_user != NULL ||
	    s->state == LMTPD_S_GREET) {
		*text = s->state == LMTPD_S_GREET ? "Error: send LHLO first" :
		    s->auth_user != NULL ? "Error: already authenticated" :
		    "Error: MAIL transaction in progress";
		return 503;
	}
	if (s->ld->p->lmtpd_sasl_auth_enable && lmtpd_tls_required(s) &&
	    !s->tls) {
		*text = "Must issue a STARTTLS command first";
		return 530;
	}
	buf_init(&mechs, 256);
	lmtpd_auth_mechs(s, &mechs);
	list = buf_span(&mechs);
	if (mechs.len == 0) {
		*text = "Error: authentication not enabled";
		code = 503;
	}
	while (span_token(&list, " ", &m))
		if (span_eq_span_nocase(m, c->auth_mech))
			code = 0;
	buf_fini(&mechs);
	return code;
}

void
lmtpd_auth(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	const char *text;
	struct auth_job *j;
	int code = refused(s, c, &text);

	if (code != 0) {
		lmtpd_reply(s, code, code == 530 ? "5.7.0" : code == 504 ?
		    "5.5.4" : "5.5.1", "%s", text);
		lmtpd_error(s);
		return;
	}
	snprintf(s->auth_mech, sizeof(s->auth_mech), "%.*s",
	    (int)c->auth_mech.len, (const char *)c->auth_mech.p);
	j = job_new(s, c->auth_initial, true);
	if (j == NULL)
		return;
	s->auth_check.service = "lmtp";
	s->auth_check.client_addr = s->client_addr;
	if (s->auth_check.user.max == 0)
		buf_init(&s->auth_check.user, AUTHSASL_MAX_USER + 1);
	submit(s, j);
}

void
lmtpd_auth_response(struct lmtpd_sess *s, struct span line)
{
	struct auth_job *j;

	s->auth_pending = false;
	if (span_eq(line, "*")) {
		authsasl_free(&s->sasl);
		lmtpd_reply(s, 501, "5.0.0", "Authentication aborted");
		lmtpd_error(s);
		return;
	}
	j = job_new(s, line, false);
	if (j != NULL)
		submit(s, j);
}
