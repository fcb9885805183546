/*
 * pop3d_auth.c - USER and PASS (RFC 1939 section 7) and AUTH (RFC 5034):
 * the password checked by authd (VERIFY, which also delays and locks out
 * repeated failures; AUTH's PLAIN and LOGIN go through the SASL glue,
 * lib/auth/sasl.h), the user's record looked up (LOOKUP: enabled, quota,
 * mail host), then the user's store opened and the maildrop locked and
 * read; authd and the store on a worker.  No password travels over
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

#include "auth/authclient.h"
#include "auth/authsasl_authd.h"
#include "auth/sasl.h"
#include "base/base64.h"
#include "base/cfg.h"
#include "base/event.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "pop3d.h"

/* Failed logins in one session before it is closed. */
#define POP3D_MAX_AUTH_FAILURES 3
/* The longest response line: the base64 of the largest SASL response. */
#define POP3D_MAX_AUTH_LINE ((AUTHSASL_MAX_RESPONSE + 2) / 3 * 4)

/* One AUTH exchange; owned by the session (s->auth). */
struct pop3d_auth {
	struct authsasl *sasl;
	struct authsasl_authd check;	/* the password check's state */
	char mech[32];
	char client_addr[64];		/* check.client_addr points here */
};

enum login_res {
	L_OK,
	L_FAIL,
	L_TEMP,
	L_ELSEWHERE,
	L_INUSE,	/* another session holds the maildrop */
	L_CONTINUE,	/* AUTH: send the challenge */
	L_BADPROT,	/* AUTH: malformed response */
};

struct login_job {
	struct pop3d_sess *s;
	char *user;			/* PASS: as USER gave it */
	struct buf pass;		/* PASS: secret */
	struct pop3d_auth *auth;	/* AUTH: borrowed, s->auth */
	bool first;			/* authsasl_start, else _step */
	bool has_in;			/* first: an initial response came */
	struct buf in;			/* decoded response; secret */
	struct buf out;			/* the next challenge */
	char client_addr[64];
	char authd_path[4096];
	uint64_t timeout_ms;
	const struct store_conf *conf;
	const char *myhostname;
	enum login_res res;
	uint64_t delay_ms;		/* L_FAIL: authd's failure delay */
	struct buf canon;		/* authd's name for the user */
	struct store *store;
	struct pop3d_maildrop *drop;
	struct why why;
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
	struct span list = span_str(s->d->p->auth_mechanisms);
	struct span m;

	if (!s->d->sasl_ok || !pop3d_auth_allowed(s))
		return false;
	while (cfg_list_next(&list, &m))
		if (span_eq_span_nocase(m, mech))
			return true;
	return false;
}

/* The offered mechanisms in capitals, each after sep. */
static void
mech_list(const struct pop3d_sess *s, struct buf *out, const char *sep)
{
	struct span list = span_str(s->d->p->auth_mechanisms);
	struct span m;

	while (cfg_list_next(&list, &m)) {
		buf_adds(out, sep);
		for (size_t i = 0; i < m.len; i++)
			buf_addc(out, m.p[i] >= 'a' && m.p[i] <= 'z' ?
				m.p[i] - 'a' + 'A' : m.p[i]);
	}
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
	mech_list(s, out, " ");
	buf_adds(out, "\r\n");
}

/* LOOKUP: key enabled quota_bytes quota_messages mailhost name. */
static enum login_res
lookup(struct login_job *j, struct authclient *c, uint64_t *qb,
    uint64_t *qm)
{
	struct authproto_msg ans;
	struct span key = buf_span(&j->canon);
	enum login_res res = L_TEMP;
	const struct span *f;

	authproto_init(&ans, 65536);
	switch (authclient_call(c, "LOOKUP", &key, 1, &ans, &j->why)) {
	case AUTHC_OK:
		f = ans.field;
		if (ans.nfield != 6 ||
		    parse_u64(f[2], 0, UINT64_MAX, qb) == -1 ||
		    parse_u64(f[3], 0, UINT64_MAX, qm) == -1)
			why_set(&j->why, "garbled LOOKUP answer");
		else if (!span_eq(f[1], "y"))
			res = L_FAIL;
		else if (f[4].len > 0 && !span_eq_nocase(f[4], j->myhostname))
			res = L_ELSEWHERE;
		else
			res = L_OK;
		break;
	case AUTHC_NOTFOUND:
		res = L_FAIL;
		break;
	default:
		break;
	}
	authproto_fini(&ans);
	return res;
}

/* PASS's password check. */
static enum login_res
verify(struct login_job *j, struct authclient *c)
{
	switch (authclient_verify(c, "pop3", j->user, buf_span(&j->pass),
	    j->client_addr, &j->canon, &j->delay_ms, &j->why)) {
	case AUTHC_OK:
		return L_OK;
	case AUTHC_FAIL:
	case AUTHC_NOTFOUND:
		return L_FAIL;
	default:
		return L_TEMP;
	}
}

/* One AUTH step; on success the user is in j->canon. */
static enum login_res
sasl_step(struct login_job *j, struct authclient *c)
{
	struct pop3d_auth *a = j->auth;
	struct span in = buf_span(&j->in);
	enum authsasl_res r;

	a->check.client = c;
	a->check.delay_ms = 0;
	buf_reset(&a->check.user);
	if (j->first)
		r = authsasl_start(a->sasl, a->mech, j->has_in ? &in : NULL,
		    &j->out, &j->why);
	else
		r = authsasl_step(a->sasl, in, &j->out, &j->why);
	switch (r) {
	case AUTHSASL_CONTINUE:
		return L_CONTINUE;
	case AUTHSASL_OK:
		if (a->check.user.len > 0)
			buf_set(&j->canon, a->check.user.p, a->check.user.len);
		else
			buf_adds(&j->canon, authsasl_user(a->sasl));
		return L_OK;
	case AUTHSASL_FAIL:
		j->delay_ms = a->check.delay_ms;
		return L_FAIL;
	case AUTHSASL_TEMP:
		why_set(&j->why, "%s", a->check.why.msg);
		return L_TEMP;
	default:
		return L_BADPROT;
	}
}

static void
login_work(void *arg)
{
	struct login_job *j = arg;
	struct authclient *c = authclient_thread(j->authd_path, j->timeout_ms);
	uint64_t qb = 0, qm = 0;
	char *user;

	j->res = j->auth != NULL ? sasl_step(j, c) : verify(j, c);
	if (j->res != L_OK)
		return;
	j->res = lookup(j, c, &qb, &qm);
	if (j->res != L_OK)
		return;
	user = span_dup(buf_span(&j->canon));
	if (store_open(j->conf, user, &j->store, &j->why) != STORE_OK) {
		j->res = L_TEMP;
	} else {
		store_set_quota(j->store, qb, qm);
		switch (pop3d_maildrop_open(j->store, &j->drop, &j->why)) {
		case STORE_OK:
			break;
		case STORE_EXISTS:
			j->res = L_INUSE;
			break;
		default:
			j->res = L_TEMP;
			break;
		}
	}
	free(user);
}

static void
login_free(void *arg)
{
	struct login_job *j = arg;

	buf_wipe(&j->pass);
	buf_wipe(&j->in);
	buf_fini(&j->out);
	pop3d_maildrop_free(&j->drop);
	store_free(&j->store);
	buf_fini(&j->canon);
	free(j->user);
	free(j);
}

/* The exchange is over (success, failure or cancel). */
static void
exchange_end(struct pop3d_sess *s)
{
	struct pop3d_auth *a = s->auth;

	if (a == NULL)
		return;
	authsasl_free(&a->sasl);
	buf_wipe(&a->check.user);
	free(a);
	s->auth = NULL;
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
 * worker threads and the other sessions go on meanwhile, after the larger
 * of two delays.  authd's (authd_ms) counts per user and client address
 * across sessions and services; pop3d's own, pop3d_auth_failure_delay
 * doubled for each earlier failure in the session, stays as a floor for
 * failures authd does not count (a refused authorization identity, a
 * user gone between VERIFY and LOOKUP) and for when authd's delay is off.
 */
static void
fail_later(struct pop3d_sess *s, uint64_t authd_ms)
{
	const struct params *p = s->d->p;
	uint64_t ms = p->pop3d_auth_failure_delay * 1000;
	uint64_t max = p->pop3d_auth_failure_delay_max * 1000;

	for (unsigned i = 0; i < s->auth_failures && ms < max; i++)
		ms *= 2;
	if (ms > max)
		ms = max;
	if (authd_ms > ms)
		ms = authd_ms;
	s->auth_failures++;
	if (ms == 0) {
		failed(s);
		return;
	}
	if (s->auth_delay == NULL)
		s->auth_delay = event_timer_new(s->d->svc->base, failed, s);
	if (event_timer_start(s->auth_delay, ms, false) == -1) {
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
	s->user = span_dup(buf_span(&j->canon));
	s->store = j->store;
	j->store = NULL;
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
challenge(struct pop3d_sess *s, struct login_job *j)
{
	struct buf enc;

	buf_init(&enc, 2 * AUTHSASL_MAX_RESPONSE);
	buf_adds(&enc, "+ ");
	base64_encode(buf_span(&j->out), &enc);
	buf_adds(&enc, "\r\n");
	pop3d_write(s, enc.p, enc.len);
	buf_fini(&enc);
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct pop3d_sess *s = j->s;
	char esc[LOG_ESC_SIZE];
	char what[400];
	char mech[48] = "";

	if (j->auth != NULL) {
		snprintf(mech, sizeof(mech), " mech=%s", j->auth->mech);
		snprintf(what, sizeof(what), "AUTH %s", j->auth->mech);
	} else {
		snprintf(what, sizeof(what), "for %s",
		    log_esc(span_str(j->user), esc));
	}
	if (j->res != L_CONTINUE && j->auth != NULL) {
		exchange_end(s);
		j->auth = NULL;
	}
	if (s->ended) {
		/* login_free closes the store and drops the lock. */
	} else if (j->res == L_CONTINUE) {
		challenge(s, j);
	} else if (j->res == L_OK) {
		succeeded(s, j, mech);
	} else if (j->res == L_FAIL) {
		uint64_t delay_ms = j->delay_ms;

		log_info("%s: login failed %s", s->id, what);
		login_free(j);
		fail_later(s, delay_ms);
		return;
	} else if (j->res == L_BADPROT) {
		pop3d_err(s, "Malformed authentication response");
	} else if (j->res == L_ELSEWHERE) {
		pop3d_err(s, "[SYS/PERM] This mailbox is served by another "
			     "host");
	} else if (j->res == L_INUSE) {
		log_info("%s: maildrop of %.*s in use", s->id,
		    (int)j->canon.len, (const char *)j->canon.p);
		pop3d_err(s, "[IN-USE] Another POP3 session has this mailbox "
			     "open");
	} else {
		log_warn("%s: login: %s", s->id, j->why.msg);
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
	buf_init(&j->in, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->out, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->canon, 1024);
	snprintf(j->client_addr, sizeof(j->client_addr), "%s", s->client_addr);
	snprintf(j->authd_path, sizeof(j->authd_path), "%s", s->d->authd_path);
	j->timeout_ms = s->d->p->authd_timeout * 1000;
	j->conf = &s->d->store;
	j->myhostname = s->d->p->myhostname;
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
	j->user = user;
	buf_init(&j->pass, pass.len + 1);
	buf_addspan(&j->pass, pass);
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

/* Decode b64 ("=" is empty only in an initial response, RFC 5034 4) into
 * j->in; -1 after an -ERR, with the exchange ended. */
static int
decode(struct pop3d_sess *s, struct login_job *j, struct span b64,
    bool initial)
{
	if ((initial && span_eq(b64, "=")) ||
	    (b64.len <= POP3D_MAX_AUTH_LINE && base64_decode(b64, &j->in) ==
		0))
		return 0;
	login_free(j);
	exchange_end(s);
	pop3d_err(s, "%s", b64.len > POP3D_MAX_AUTH_LINE ?
	    "Authentication response too long" :
	    "Bad base64 in the authentication response");
	return -1;
}

/* A new exchange with s's configuration, or NULL after an -ERR. */
static struct pop3d_auth *
auth_new(struct pop3d_sess *s, struct span mech)
{
	const struct params *p = s->d->p;
	struct pop3d_auth *a = xcalloc(1, sizeof(*a));
	struct why why;

	snprintf(a->mech, sizeof(a->mech), "%.*s", (int)mech.len,
	    (const char *)mech.p);
	snprintf(a->client_addr, sizeof(a->client_addr), "%s",
	    s->client_addr);
	a->check.service = "pop3";
	a->check.client_addr = a->client_addr;
	buf_init(&a->check.user, AUTHSASL_MAX_USER + 1);
	a->sasl = authsasl_new("pop", p->myhostname, p->auth_mechanisms,
	    s->tls, p->auth_allow_plaintext, authsasl_authd_check, &a->check,
	    &why);
	if (a->sasl == NULL) {
		log_warn("%s: SASL: %s", s->id, why.msg);
		buf_fini(&a->check.user);
		free(a);
		pop3d_err(s, "[SYS/TEMP] Authentication is not available now, "
			     "try again later");
		return NULL;
	}
	return a;
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
	mech_list(s, &b, "\r\n");
	buf_adds(&b, "\r\n.\r\n");
	pop3d_write(s, b.p, b.len);
	buf_fini(&b);
}

void
pop3d_authenticate(struct pop3d_sess *s)
{
	const struct pop3cmd *c = &s->cmd;
	struct login_job *j;

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
	if ((s->auth = auth_new(s, c->mech)) == NULL)
		return;
	j = job_new(s);
	j->auth = s->auth;
	j->first = true;
	j->has_in = c->has_ir;
	if (c->has_ir && decode(s, j, c->ir, true) == -1)
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
	j->auth = s->auth;
	if (decode(s, j, line, false) == -1)
		return;
	pop3d_job(s, login_work, login_done, auth_release, j);
}

void
pop3d_auth_too_long(struct pop3d_sess *s)
{
	exchange_end(s);
	pop3d_err(s, "Authentication response too long");
}
