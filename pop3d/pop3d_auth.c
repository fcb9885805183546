/*
 * pop3d_auth.c - USER and PASS (RFC 1939 section 7) and AUTH (RFC 5034):
 * the password checked by authd (VERIFY, which also delays and locks out
 * repeated failures; AUTH's PLAIN and LOGIN go through the SASL glue,
 * lib/auth/sasl.h), the user's record looked up (LOOKUP: enabled, quota,
 * mail host), then the user's store opened and the maildrop locked and
 * read; authd and the store on a worker (the login job,
 * lib/mail/maillogin.h, shared with imapd).  No password travels over
 * plaintext unless auth_allow_plaintext says so (CAPA then lists neither
 * USER nor SASL).  A failed login's -ERR is held back on a timer (never
 * on a worker): authd's failure delay, or pop3d's own, longer for each
 * failure in the session, if that is more.
 *
 *   AUTH mech [initial-response]
 *     -> "+ challenge" ... (the client answers a line of base64, or "*")
 *     -> +OK | -ERR [AUTH] | -ERR [SYS/TEMP] | -ERR [SYS/PERM]
 *        | -ERR [IN-USE] | -ERR (cancelled, bad base64, malformed)
 *   AUTH (no mechanism: the mechanisms offered, a multi-line answer)
 *
 * Linked into: pop3d.  Runs as store_owner.  Trust: the user name,
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
#include "pop3d.h"

/* Failed logins in one session before it is closed. */
#define POP3D_MAX_AUTH_FAILURES 3

/* The login job, and the maildrop opened after it. */
struct login_job {
	struct maillogin *login;	/* owned */
	struct pop3d_sess *s;
	struct pop3d_maildrop *drop;
	bool in_use;			/* another session holds the lock */
};

bool
pop3d_auth_allowed(const struct pop3d_sess *s)
{
	return s->tls || s->d->p->auth_allow_plaintext;
}

/* Whether mech is one AUTH takes now. */
static bool
mech_offered(const struct pop3d_sess *s, struct span mech)
{
	return s->d->sasl_ok && pop3d_auth_allowed(s) &&
	    maillogin_mech_offered(s->d->p->auth_mechanisms, mech);
}

void
pop3d_auth_capability(const struct pop3d_sess *s, struct buf *out)
{
	if (!pop3d_auth_allowed(s))
		return;
	buf_adds(out, "USER\r\n");
	if (!s->d->sasl_ok)
		return;
	buf_adds(out, "SASL");
	maillogin_mech_list(s->d->p->auth_mechanisms, " ", out);
	buf_adds(out, "\r\n");
}

static void
login_work(void *arg)
{
	struct login_job *j = arg;
	struct maillogin *l = j->login;

	maillogin_work(l);
	if (l->res != MAILLOGIN_OK)
		return;
	switch (pop3d_maildrop_open(l->store, &j->drop, &l->why)) {
	case STORE_OK:
		break;
	case STORE_EXISTS:
		j->in_use = true;
		break;
	default:
		l->res = MAILLOGIN_TEMP;
		break;
	}
}

static void
login_free(void *arg)
{
	struct login_job *j = arg;

	pop3d_maildrop_free(&j->drop);
	maillogin_free(&j->login);
	free(j);
}

/* The exchange is over (success, failure or cancel). */
static void
exchange_end(struct pop3d_sess *s)
{
	maillogin_sasl_free(&s->auth);
}

void
pop3d_auth_end(struct pop3d_sess *s)
{
	event_timer_free(&s->auth_delay);
	exchange_end(s);
}

/* The delay is over: the -ERR, and the end after too many failures. */
static void
failed(void *arg)
{
	struct pop3d_sess *s = arg;

	if (!s->ended) {
		pop3d_err(s, "[AUTH] Authentication failed");
		if (s->auth_failures >= POP3D_MAX_AUTH_FAILURES) {
			log_info("%s: too many failed logins", s->id);
			pop3d_close(s);
		}
	}
	pop3d_job_end(s);
}

/*
 * A failed login, inside a job's done callback (the session is busy and
 * reads nothing): the -ERR comes on a timer, so that the loop, the
 * worker threads and the other sessions go on meanwhile, after the
 * larger of authd's delay and pop3d's own (pop3d_auth_failure_delay,
 * doubled for each earlier failure in the session;
 * maillogin_fail_delay).
 */
static void
fail_later(struct pop3d_sess *s, uint64_t authd_ms)
{
	const struct params *p = s->d->p;
	uint64_t ms = maillogin_fail_delay(p->pop3d_auth_failure_delay * 1000,
	    p->pop3d_auth_failure_delay_max * 1000, s->auth_failures,
	    authd_ms);

	s->auth_failures++;
	if (maillogin_hold(&s->auth_delay, s->d->svc->base, ms, failed, s) ==
	    -1) {
		/* Never an early -ERR: end the session instead. */
		log_error("%s: cannot start the login failure delay", s->id);
		pop3d_err(s, "[SYS/TEMP] Internal error");
		pop3d_close(s);
		pop3d_job_end(s);
	}
}

/* Logged in: the maildrop is locked and read; TRANSACTION starts. */
static void
succeeded(struct pop3d_sess *s, struct login_job *j, const char *mech)
{
	s->user = span_dup(buf_span(&j->login->canon));
	s->store = j->login->store;
	j->login->store = NULL;
	s->drop = j->drop;
	j->drop = NULL;
	s->state = POP3D_TRANSACTION;
	if (store_rebuilt(s->store) != NULL)
		log_warn("%s: store of %s: index rebuilt: %s", s->id, s->user,
		    store_rebuilt(s->store));
	log_info("%s: login user=%s%s%s messages=%zu", s->id, s->user, mech,
	    s->tls ? " tls" : "", s->drop->n);
	pop3d_ok(s, "Logged in, %zu messages (%llu octets)", s->drop->n,
	    (unsigned long long)s->drop->size);
}

/* AUTH goes on: "+ challenge", then the client's line. */
static void
challenge(struct pop3d_sess *s, struct maillogin *l)
{
	struct buf enc;

	buf_init(&enc, 2 * AUTHSASL_MAX_RESPONSE);
	maillogin_challenge(l, &enc);
	pop3d_write(s, enc.p, enc.len);
	buf_fini(&enc);
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct maillogin *l = j->login;
	struct pop3d_sess *s = j->s;
	char esc[LOG_ESC_SIZE];
	char what[400];
	char mech[48] = "";

	if (l->sasl != NULL) {
		snprintf(mech, sizeof(mech), " mech=%s", l->sasl->mech);
		snprintf(what, sizeof(what), "AUTH %s", l->sasl->mech);
	} else {
		snprintf(what, sizeof(what), "for %s",
		    log_esc(span_str(l->user), esc));
	}
	if (l->res != MAILLOGIN_CONTINUE && l->sasl != NULL) {
		exchange_end(s);
		l->sasl = NULL;
	}
	if (s->ended) {
		/* login_free closes the store and drops the lock. */
	} else if (l->res == MAILLOGIN_CONTINUE) {
		challenge(s, l);
	} else if (l->res == MAILLOGIN_OK && j->in_use) {
		log_info("%s: maildrop of %.*s in use", s->id,
		    (int)l->canon.len, (const char *)l->canon.p);
		pop3d_err(s, "[IN-USE] Another POP3 session has this mailbox "
			     "open");
	} else if (l->res == MAILLOGIN_OK) {
		succeeded(s, j, mech);
	} else if (l->res == MAILLOGIN_FAIL) {
		uint64_t delay_ms = l->delay_ms;

		log_info("%s: login failed %s", s->id, what);
		login_free(j);
		fail_later(s, delay_ms);
		return;
	} else if (l->res == MAILLOGIN_BADPROT) {
		pop3d_err(s, "Malformed authentication response");
	} else if (l->res == MAILLOGIN_ELSEWHERE) {
		pop3d_err(s, "[SYS/PERM] This mailbox is served by another "
			     "host");
	} else {
		log_warn("%s: login: %s", s->id, l->why.msg);
		pop3d_err(s, "[SYS/TEMP] Authentication is not available now, "
			     "try again later");
	}
	login_free(j);
	pop3d_job_end(s);
}

static struct login_job *
job_new(struct pop3d_sess *s)
{
	struct login_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->login = maillogin_new(&s->d->login, s->client_addr, s);
	return j;
}

void
pop3d_user(struct pop3d_sess *s)
{
	if (!pop3d_auth_allowed(s)) {
		pop3d_err(s, "[AUTH] Plaintext authentication is not allowed "
			     "without TLS; use STLS first");
		return;
	}
	free(s->user_given);
	s->user_given = span_dup(s->cmd.arg);
	/* RFC 1939 7: the name is not checked until PASS. */
	pop3d_ok(s, "Send the password");
}

void
pop3d_pass(struct pop3d_sess *s)
{
	struct span pass = s->cmd.arg;
	struct login_job *j;
	char *user = s->user_given;

	if (user == NULL) {
		pop3d_bad(s, "PASS must follow USER");
		return;
	}
	/* RFC 1939 7: after PASS, a new attempt starts with USER again. */
	s->user_given = NULL;
	if (strlen(user) > AUTHSASL_MAX_USER || pass.len == 0) {
		free(user);
		pop3d_err(s, "[AUTH] Authentication failed");
		return;
	}
	j = job_new(s);
	maillogin_set_password(j->login, span_str(user), pass);
	free(user);
	pop3d_job(s, login_work, login_done, login_free, j);
}

/* The exchange's job could not start: drop the exchange with it. */
static void
auth_release(void *arg)
{
	struct login_job *j = arg;

	exchange_end(j->s);
	login_free(j);
}

/* The client's response (initial: AUTH's, RFC 5034 4) into j; -1 after
 * an -ERR, with j freed and the exchange ended. */
static int
response(struct pop3d_sess *s, struct login_job *j, struct span b64,
    bool initial)
{
	if (maillogin_response(j->login, b64, initial) == 0)
		return 0;
	login_free(j);
	exchange_end(s);
	pop3d_err(s, "%s", b64.len > MAILLOGIN_MAX_LINE ?
	    "Authentication response too long" :
	    "Bad base64 in the authentication response");
	return -1;
}

/* AUTH without a mechanism: the list (as many servers answer it, for
 * clients from before CAPA). */
static void
list_mechs(struct pop3d_sess *s)
{
	struct buf b;

	if (!s->d->sasl_ok || !pop3d_auth_allowed(s)) {
		pop3d_err(s, "[AUTH] No authentication mechanism is offered "
			     "now%s", s->tls ? "" : "; use STLS first");
		return;
	}
	buf_init(&b, 1024);
	buf_adds(&b, "+OK Mechanisms follow");
	maillogin_mech_list(s->d->p->auth_mechanisms, "\r\n", &b);
	buf_adds(&b, "\r\n.\r\n");
	pop3d_write(s, b.p, b.len);
	buf_fini(&b);
}

void
pop3d_authenticate(struct pop3d_sess *s)
{
	const struct pop3cmd *c = &s->cmd;
	struct login_job *j;
	struct why why;

	free(s->user_given);
	s->user_given = NULL;
	if (c->mech.len == 0) {
		list_mechs(s);
		return;
	}
	if (!mech_offered(s, c->mech)) {
		if (!pop3d_auth_allowed(s) && s->d->sasl_ok)
			pop3d_err(s, "[AUTH] Plaintext authentication is not "
				     "allowed without TLS; use STLS first");
		else
			pop3d_err(s, "Unsupported authentication mechanism");
		return;
	}
	s->auth = maillogin_sasl_new(&s->d->login, c->mech, s->tls,
	    s->client_addr, &why);
	if (s->auth == NULL) {
		log_warn("%s: SASL: %s", s->id, why.msg);
		pop3d_err(s, "[SYS/TEMP] Authentication is not available now, "
			     "try again later");
		return;
	}
	j = job_new(s);
	maillogin_set_sasl(j->login, s->auth, true);
	if (c->has_ir && response(s, j, c->ir, true) == -1)
		return;
	pop3d_job(s, login_work, login_done, auth_release, j);
}

void
pop3d_auth_line(struct pop3d_sess *s, struct span line)
{
	struct login_job *j;

	/* RFC 5034 4: "*" cancels, and the answer is -ERR. */
	if (span_eq(line, "*")) {
		exchange_end(s);
		pop3d_err(s, "AUTH cancelled");
		return;
	}
	j = job_new(s);
	maillogin_set_sasl(j->login, s->auth, false);
	if (response(s, j, line, false) == -1)
		return;
	pop3d_job(s, login_work, login_done, auth_release, j);
}

void
pop3d_auth_too_long(struct pop3d_sess *s)
{
	exchange_end(s);
	pop3d_err(s, "Authentication response too long");
}
