/*
 * imapd_auth.c - LOGIN and AUTHENTICATE (RFC 3501 6.2.2, with SASL-IR,
 * RFC 4959): the password checked by authd (VERIFY, which also delays and
 * locks out repeated failures; AUTHENTICATE's PLAIN and LOGIN go through
 * the SASL glue, lib/auth/sasl.h), the user's record looked up (LOOKUP:
 * enabled, quota, mail host), the per-user connection limit, then the
 * user's store opened; authd and the store on a worker (the login job,
 * lib/mail/maillogin.h, shared with pop3d).  No password travels over
 * plaintext unless auth_allow_plaintext says so (LOGINDISABLED, RFC 3501
 * 6.2.3; no AUTH= either).  A failed login's NO
 * is held back on a timer (never on a worker): authd's failure delay, or
 * imapd's own, longer for each failure in the session, if that is more.
 *
 *   AUTHENTICATE mech [initial-response]
 *     -> "+ challenge" ... (the client answers a line of base64, or "*")
 *     -> OK [CAPABILITY ...] | NO [AUTHENTICATIONFAILED] | NO [UNAVAILABLE]
 *        | NO [LIMIT] | BAD (cancelled, bad base64, malformed response)
 *
 * Linked into: imapd.  Runs as store_owner.  Trust: the user name,
 * password and SASL responses are the client's and are secrets (wiped,
 * never logged); the store's user is authd's canonical name, never the
 * client's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"

/* Failed logins in one session before it is closed. */
#define IMAPD_MAX_AUTH_FAILURES 3

bool
imapd_login_disabled(const struct imapd_sess *s)
{
	return !s->tls && !s->d->p->auth_allow_plaintext;
}

/* Whether mech is one AUTHENTICATE takes now. */
static bool
mech_offered(const struct imapd_sess *s, struct span mech)
{
	return s->d->sasl_ok && !imapd_login_disabled(s) &&
	    maillogin_mech_offered(s->d->p->auth_mechanisms, mech);
}

void
imapd_auth_capability(const struct imapd_sess *s, struct buf *out)
{
	size_t len = out->len;

	if (s->state != IMAPD_NOTAUTH || !s->d->sasl_ok ||
	    imapd_login_disabled(s))
		return;
	maillogin_mech_list(s->d->p->auth_mechanisms, " AUTH=", out);
	if (out->len > len)
		buf_adds(out, " SASL-IR");
}

/* The exchange is over (success, failure or cancel). */
static void
exchange_end(struct imapd_sess *s)
{
	maillogin_sasl_free(&s->auth);
}

void
imapd_auth_end(struct imapd_sess *s)
{
	event_timer_free(&s->auth_delay);
	exchange_end(s);
}

/* The delay is over: the NO, and BYE after too many failures. */
static void
failed(void *arg)
{
	struct imapd_sess *s = arg;

	if (!s->ended) {
		imapd_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
				      "failed");
		if (s->auth_failures >= IMAPD_MAX_AUTH_FAILURES)
			imapd_bye(s, "Too many failed logins");
	}
	imapd_job_end(s);
}

/*
 * A failed login, inside a job's done callback (the session is busy and
 * reads nothing): the NO comes on a timer, so that the loop, the worker
 * threads and the other sessions go on meanwhile, after the larger of
 * authd's delay and imapd's own (imapd_auth_failure_delay, doubled for
 * each earlier failure in the session; maillogin_fail_delay).
 */
static void
fail_later(struct imapd_sess *s, uint64_t authd_ms)
{
	const struct params *p = s->d->p;
	uint64_t ms = maillogin_fail_delay(p->imapd_auth_failure_delay * 1000,
	    p->imapd_auth_failure_delay_max * 1000, s->auth_failures,
	    authd_ms);

	s->auth_failures++;
	if (maillogin_hold(&s->auth_delay, s->d->svc->base, ms, failed, s) ==
	    -1) {
		/* Never an early NO: end the session instead. */
		log_error("%s: cannot start the login failure delay", s->id);
		imapd_bye(s, "Internal error");
		imapd_job_end(s);
	}
}

/* Logged in: the per-user limit, then the state changes. */
static void
succeeded(struct imapd_sess *s, struct maillogin *j, const char *mech)
{
	char *user = span_dup(buf_span(&j->canon));
	struct buf cap;

	if (!imapd_limit_login(s, user)) {
		free(user);
		imapd_tagged(s, "NO", "[LIMIT] Too many connections for this "
				      "user");
		return;
	}
	s->user = user;
	s->store = j->store;
	j->store = NULL;
	s->state = IMAPD_AUTH;
	if (store_rebuilt(s->store) != NULL)
		log_warn("%s: store of %s: index rebuilt: %s", s->id, s->user,
		    store_rebuilt(s->store));
	log_info("%s: login user=%s%s%s", s->id, s->user, mech,
	    s->tls ? " tls" : "");
	buf_init(&cap, 1024);
	imapd_capability(s, &cap);
	imapd_tagged(s, "OK", "[CAPABILITY %s] Logged in",
	    (const char *)cap.p);
	buf_fini(&cap);
}

/* AUTHENTICATE goes on: "+ challenge", then the client's line. */
static void
challenge(struct imapd_sess *s, struct maillogin *j)
{
	struct buf enc;

	buf_init(&enc, 2 * AUTHSASL_MAX_RESPONSE);
	maillogin_challenge(j, &enc);
	imapd_write(s, enc.p, enc.len);
	buf_fini(&enc);
}

static void
login_release(void *arg)
{
	struct maillogin *j = arg;

	maillogin_free(&j);
}

static void
login_done(void *arg)
{
	struct maillogin *j = arg;
	struct imapd_sess *s = j->arg;
	char esc[LOG_ESC_SIZE];
	char what[400];
	char mech[48] = "";

	if (j->sasl != NULL) {
		snprintf(mech, sizeof(mech), " mech=%s", j->sasl->mech);
		snprintf(what, sizeof(what), "AUTHENTICATE %s", j->sasl->mech);
	} else {
		snprintf(what, sizeof(what), "for %s",
		    log_esc(span_str(j->user), esc));
	}
	if (j->res != MAILLOGIN_CONTINUE && j->sasl != NULL) {
		exchange_end(s);
		j->sasl = NULL;
	}
	if (s->ended) {
		/* maillogin_free closes the store. */
	} else if (j->res == MAILLOGIN_CONTINUE) {
		challenge(s, j);
	} else if (j->res == MAILLOGIN_OK) {
		succeeded(s, j, mech);
	} else if (j->res == MAILLOGIN_FAIL) {
		uint64_t delay_ms = j->delay_ms;

		log_info("%s: login failed %s", s->id, what);
		maillogin_free(&j);
		fail_later(s, delay_ms);
		return;
	} else if (j->res == MAILLOGIN_BADPROT) {
		imapd_tagged(s, "BAD", "Malformed authentication response");
	} else if (j->res == MAILLOGIN_ELSEWHERE) {
		imapd_tagged(s, "NO", "[UNAVAILABLE] This mailbox is served by "
				      "another host");
	} else {
		log_warn("%s: login: %s", s->id, j->why.msg);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Authentication is not "
				      "available now, try again later");
	}
	maillogin_free(&j);
	imapd_job_end(s);
}

void
imapd_login(struct imapd_sess *s)
{
	const struct imapcmd_login *l = &s->cmd.u.login;
	struct maillogin *j;

	if (imapd_login_disabled(s)) {
		imapd_tagged(s, "NO", "[PRIVACYREQUIRED] Use STARTTLS first");
		return;
	}
	if (l->user.len == 0 || l->user.len > 320 || l->pass.len == 0 ||
	    span_chr(l->pass, '\0') >= 0) {
		imapd_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
				      "failed");
		return;
	}
	j = maillogin_new(&s->d->login, s->client_addr, s);
	maillogin_set_password(j, l->user, l->pass);
	imapd_job(s, maillogin_work, login_done, login_release, j);
}

/* The exchange's job could not start: drop the exchange with it. */
static void
auth_release(void *arg)
{
	struct maillogin *j = arg;

	exchange_end(j->arg);
	maillogin_free(&j);
}

/* The client's response (initial: SASL-IR's, RFC 4959) into j; -1 after
 * a BAD reply, with j freed and the exchange ended. */
static int
response(struct imapd_sess *s, struct maillogin *j, struct span b64,
    bool initial)
{
	if (maillogin_response(j, b64, initial) == 0)
		return 0;
	maillogin_free(&j);
	exchange_end(s);
	imapd_tagged(s, "BAD", "%s", b64.len > MAILLOGIN_MAX_LINE ?
	    "[LIMIT] Authentication response too long" :
	    "Bad base64 in the authentication response");
	return -1;
}

void
imapd_authenticate(struct imapd_sess *s)
{
	const struct imapcmd_auth *au = &s->cmd.u.auth;
	struct maillogin *j;
	struct why why;

	if (!mech_offered(s, au->mech)) {
		if (imapd_login_disabled(s) && s->d->sasl_ok)
			imapd_tagged(s, "NO", "[PRIVACYREQUIRED] Use STARTTLS "
					      "first");
		else
			imapd_tagged(s, "NO", "Unsupported authentication "
					      "mechanism");
		return;
	}
	s->auth = maillogin_sasl_new(&s->d->login, au->mech, s->tls,
	    s->client_addr, &why);
	if (s->auth == NULL) {
		log_warn("%s: SASL: %s", s->id, why.msg);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Authentication is not "
				      "available now, try again later");
		return;
	}
	snprintf(s->auth_tag, sizeof(s->auth_tag), "%s", s->tag);
	j = maillogin_new(&s->d->login, s->client_addr, s);
	maillogin_set_sasl(j, s->auth, true);
	if (au->has_ir && response(s, j, au->ir, true) == -1)
		return;
	imapd_job(s, maillogin_work, login_done, auth_release, j);
}

void
imapd_auth_line(struct imapd_sess *s, struct span line)
{
	struct maillogin *j;

	snprintf(s->tag, sizeof(s->tag), "%s", s->auth_tag);
	/* RFC 3501 6.2.2: "*" cancels, and the answer is BAD. */
	if (span_eq(line, "*")) {
		exchange_end(s);
		imapd_tagged(s, "BAD", "AUTHENTICATE cancelled");
		s->tag[0] = '\0';
		return;
	}
	j = maillogin_new(&s->d->login, s->client_addr, s);
	maillogin_set_sasl(j, s->auth, false);
	if (response(s, j, line, false) == -1) {
		s->tag[0] = '\0';
		return;
	}
	imapd_job(s, maillogin_work, login_done, auth_release, j);
}

void
imapd_auth_too_long(struct imapd_sess *s)
{
	snprintf(s->tag, sizeof(s->tag), "%s", s->auth_tag);
	exchange_end(s);
	imapd_tagged(s, "BAD", "[LIMIT] Authentication response too long");
	s->tag[0] = '\0';
}
