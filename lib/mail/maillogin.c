/*
 * maillogin.c - the login of a mail-access daemon: the step on a worker
 * (authd VERIFY or a SASL step through authsasl_authd, LOOKUP, the store
 * opened for the canonical user) and the pure pieces around it
 * (maillogin.h).
 * Linked into: imapd, pop3d.  Runs as store_owner.  Trust: the user
 * name, password and SASL responses are the client's and are secrets:
 * kept in buffers that are wiped, never logged; LOOKUP's answer comes
 * from authd and is still checked field by field.
 */
#include <stdio.h>
#include <stdlib.h>

#include "auth/authclient.h"
#include "base/base64.h"
#include "base/cfg.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "mail/maillogin.h"
#include "mail/params.h"

void
maillogin_conf_init(struct maillogin_conf *c, const struct params *p,
    const char *service, const char *sasl_service, const char *authd_path,
    const struct store_conf *store)
{
	c->service = service;
	c->sasl_service = sasl_service;
	c->myhostname = p->myhostname;
	c->mechanisms = p->auth_mechanisms;
	c->allow_plaintext = p->auth_allow_plaintext;
	c->authd_path = authd_path;
	c->timeout_ms = p->authd_timeout * 1000;
	c->store = store;
}

struct maillogin_sasl *
maillogin_sasl_new(const struct maillogin_conf *c, struct span mech,
    bool tls, const char *client_addr, struct why *why)
{
	struct maillogin_sasl *a = xcalloc(1, sizeof(*a));

	snprintf(a->mech, sizeof(a->mech), "%.*s", (int)mech.len,
	    (const char *)mech.p);
	snprintf(a->client_addr, sizeof(a->client_addr), "%s", client_addr);
	a->check.service = c->service;
	a->check.client_addr = a->client_addr;
	buf_init(&a->check.user, AUTHSASL_MAX_USER + 1);
	a->sasl = authsasl_new(c->sasl_service, c->myhostname, c->mechanisms,
	    tls, c->allow_plaintext, authsasl_authd_check, &a->check, why);
	if (a->sasl == NULL) {
		buf_fini(&a->check.user);
		free(a);
		return NULL;
	}
	return a;
}

void
maillogin_sasl_free(struct maillogin_sasl **ap)
{
	struct maillogin_sasl *a = *ap;

	if (a == NULL)
		return;
	authsasl_free(&a->sasl);
	buf_wipe(&a->check.user);
	free(a);
	*ap = NULL;
}

struct maillogin *
maillogin_new(const struct maillogin_conf *c, const char *client_addr,
    void *arg)
{
	struct maillogin *j = xcalloc(1, sizeof(*j));

	j->conf = c;
	j->arg = arg;
	buf_init(&j->in, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->out, AUTHSASL_MAX_RESPONSE);
	buf_init(&j->canon, 1024);
	snprintf(j->client_addr, sizeof(j->client_addr), "%s", client_addr);
	return j;
}

void
maillogin_free(struct maillogin **jp)
{
	struct maillogin *j = *jp;

	if (j == NULL)
		return;
	buf_wipe(&j->pass);
	buf_wipe(&j->in);
	buf_fini(&j->out);
	store_free(&j->store);
	buf_fini(&j->canon);
	free(j->user);
	free(j);
	*jp = NULL;
}

void
maillogin_set_password(struct maillogin *j, struct span user,
    struct span pass)
{
	j->user = span_dup(user);
	buf_init(&j->pass, pass.len + 1);
	buf_addspan(&j->pass, pass);
}

void
maillogin_set_sasl(struct maillogin *j, struct maillogin_sasl *a,
    bool first)
{
	j->sasl = a;
	j->first = first;
}

int
maillogin_response(struct maillogin *j, struct span b64, bool initial)
{
	j->has_in = initial;
	if (initial && span_eq(b64, "="))
		return 0;
	if (b64.len <= MAILLOGIN_MAX_LINE && base64_decode(b64, &j->in) == 0)
		return 0;
	return -1;
}

enum maillogin_res
maillogin_lookup_answer(const struct authproto_msg *ans,
    const char *myhostname, uint64_t *qb_out, uint64_t *qm_out,
    struct why *why)
{
	const struct span *f = ans->field;

	if (ans->nfield != 6 ||
	    parse_u64(f[2], 0, UINT64_MAX, qb_out) == -1 ||
	    parse_u64(f[3], 0, UINT64_MAX, qm_out) == -1) {
		why_set(why, "garbled LOOKUP answer");
		return MAILLOGIN_TEMP;
	}
	if (!span_eq(f[1], "y"))
		return MAILLOGIN_FAIL;
	if (f[4].len > 0 && !span_eq_nocase(f[4], myhostname))
		return MAILLOGIN_ELSEWHERE;
	return MAILLOGIN_OK;
}

/* LOOKUP of the canonical name: its quota, and whether it may log in
 * here. */
static enum maillogin_res
lookup(struct maillogin *j, struct authclient *c, uint64_t *qb,
    uint64_t *qm)
{
	struct authproto_msg ans;
	struct span key = buf_span(&j->canon);
	enum maillogin_res res = MAILLOGIN_TEMP;

	authproto_init(&ans, 65536);
	switch (authclient_call(c, "LOOKUP", &key, 1, &ans, &j->why)) {
	case AUTHC_OK:
		res = maillogin_lookup_answer(&ans, j->conf->myhostname, qb,
		    qm, &j->why);
		break;
	case AUTHC_NOTFOUND:
		res = MAILLOGIN_FAIL;
		break;
	default:
		break;
	}
	authproto_fini(&ans);
	return res;
}

/* The password login's check. */
static enum maillogin_res
verify(struct maillogin *j, struct authclient *c)
{
	switch (authclient_verify(c, j->conf->service, j->user,
	    buf_span(&j->pass), j->client_addr, &j->canon, &j->delay_ms,
	    &j->why)) {
	case AUTHC_OK:
		return MAILLOGIN_OK;
	case AUTHC_FAIL:
	case AUTHC_NOTFOUND:
		return MAILLOGIN_FAIL;
	default:
		return MAILLOGIN_TEMP;
	}
}

/* One SASL step; on success the user is in j->canon. */
static enum maillogin_res
sasl_step(struct maillogin *j, struct authclient *c)
{
	struct maillogin_sasl *a = j->sasl;
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
		return MAILLOGIN_CONTINUE;
	case AUTHSASL_OK:
		/* authd's canonical name when the check ran, else the
		 * mechanism's (one that needed no password check). */
		if (a->check.user.len > 0)
			buf_set(&j->canon, a->check.user.p, a->check.user.len);
		else
			buf_adds(&j->canon, authsasl_user(a->sasl));
		return MAILLOGIN_OK;
	case AUTHSASL_FAIL:
		j->delay_ms = a->check.delay_ms;
		return MAILLOGIN_FAIL;
	case AUTHSASL_TEMP:
		why_set(&j->why, "%s", a->check.why.msg);
		return MAILLOGIN_TEMP;
	default:
		return MAILLOGIN_BADPROT;
	}
}

void
maillogin_work(void *arg)
{
	struct maillogin *j = arg;
	struct authclient *c =
	    authclient_thread(j->conf->authd_path, j->conf->timeout_ms);
	uint64_t qb = 0, qm = 0;
	char *user;

	j->res = j->sasl != NULL ? sasl_step(j, c) : verify(j, c);
	if (j->res != MAILLOGIN_OK)
		return;
	j->res = lookup(j, c, &qb, &qm);
	if (j->res != MAILLOGIN_OK)
		return;
	/* The store's user is authd's name, never the client's text. */
	user = span_dup(buf_span(&j->canon));
	if (store_open(j->conf->store, user, &j->store, &j->why) != STORE_OK)
		j->res = MAILLOGIN_TEMP;
	else
		store_set_quota(j->store, qb, qm);
	free(user);
}

void
maillogin_challenge(const struct maillogin *j, struct buf *out)
{
	buf_adds(out, "+ ");
	base64_encode(buf_span(&j->out), out);
	buf_adds(out, "\r\n");
}

bool
maillogin_mech_offered(const char *mechs, struct span mech)
{
	struct span list = span_str(mechs);
	struct span m;

	while (cfg_list_next(&list, &m))
		if (span_eq_span_nocase(m, mech))
			return true;
	return false;
}

void
maillogin_mech_list(const char *mechs, const char *sep, struct buf *out)
{
	struct span list = span_str(mechs);
	struct span m;

	while (cfg_list_next(&list, &m)) {
		buf_adds(out, sep);
		for (size_t i = 0; i < m.len; i++)
			buf_addc(out, m.p[i] >= 'a' && m.p[i] <= 'z' ?
				m.p[i] - 'a' + 'A' : m.p[i]);
	}
}

uint64_t
maillogin_fail_delay(uint64_t base_ms, uint64_t max_ms, unsigned failures,
    uint64_t authd_ms)
{
	uint64_t ms = base_ms;

	for (unsigned i = 0; i < failures && ms < max_ms; i++)
		ms *= 2;
	if (ms > max_ms)
		ms = max_ms;
	/* The larger, not the sum: as slow as the slower rule asks. */
	return authd_ms > ms ? authd_ms : ms;
}

int
maillogin_hold(struct event_timer **tp, struct event_base *base,
    uint64_t ms, event_timer_fn *fn, void *arg)
{
	if (ms == 0) {
		fn(arg);
		return 0;
	}
	if (*tp == NULL)
		*tp = event_timer_new(base, fn, arg);
	return event_timer_start(*tp, ms, false);
}
