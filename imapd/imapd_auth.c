/*
 * imapd_auth.c - LOGIN: the password checked by authd (VERIFY, which
 * also delays and locks out repeated failures), the user's record looked
 * up (LOOKUP: enabled, quota, mail host), then the user's store opened;
 * all on a worker.  No password travels over plaintext unless
 * auth_allow_plaintext says so (LOGINDISABLED, RFC 3501 6.2.3).
 * Linked into: imapd.  Runs as store_owner.  Trust: the user name and
 * password are the client's and are secrets (wiped, never logged); the
 * store's user is authd's canonical name, never the client's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authclient.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "imapd.h"

/* Failed logins in one session before it is closed. */
#define IMAPD_MAX_AUTH_FAILURES 3

enum login_res { L_OK, L_FAIL, L_TEMP, L_ELSEWHERE };

struct login_job {
	struct imapd_sess *s;
	char *user;			/* as the client gave it */
	struct buf pass;		/* secret */
	char client_addr[64];
	char authd_path[4096];
	uint64_t timeout_ms;
	const struct store_conf *conf;
	const char *myhostname;
	enum login_res res;
	struct buf canon;		/* authd's name for the user */
	struct store *store;
	struct why why;
};

bool
imapd_login_disabled(const struct imapd_sess *s)
{
	return !s->tls && !s->d->p->auth_allow_plaintext;
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

static void
login_work(void *arg)
{
	struct login_job *j = arg;
	struct authclient *c = authclient_thread(j->authd_path, j->timeout_ms);
	uint64_t qb = 0, qm = 0;
	char *user;

	switch (authclient_verify(c, "imap", j->user, buf_span(&j->pass),
	    j->client_addr, &j->canon, &j->why)) {
	case AUTHC_OK:
		break;
	case AUTHC_FAIL:
	case AUTHC_NOTFOUND:
		j->res = L_FAIL;
		return;
	default:
		j->res = L_TEMP;
		return;
	}
	j->res = lookup(j, c, &qb, &qm);
	if (j->res != L_OK)
		return;
	user = span_dup(buf_span(&j->canon));
	if (store_open(j->conf, user, &j->store, &j->why) != STORE_OK)
		j->res = L_TEMP;
	else
		store_set_quota(j->store, qb, qm);
	free(user);
}

static void
login_free(void *arg)
{
	struct login_job *j = arg;

	buf_wipe(&j->pass);
	store_free(&j->store);
	buf_fini(&j->canon);
	free(j->user);
	free(j);
}

static void
login_done(void *arg)
{
	struct login_job *j = arg;
	struct imapd_sess *s = j->s;
	char esc[LOG_ESC_SIZE];
	struct buf cap;

	if (s->ended) {
		/* login_free closes the store. */
	} else if (j->res == L_OK) {
		s->user = span_dup(buf_span(&j->canon));
		s->store = j->store;
		j->store = NULL;
		s->state = IMAPD_AUTH;
		if (store_rebuilt(s->store) != NULL)
			log_warn("%s: store of %s: index rebuilt: %s", s->id,
			    s->user, store_rebuilt(s->store));
		log_info("%s: login user=%s%s", s->id, s->user,
		    s->tls ? " tls" : "");
		buf_init(&cap, 1024);
		imapd_capability(s, &cap);
		imapd_tagged(s, "OK", "[CAPABILITY %s] Logged in",
		    (const char *)cap.p);
		buf_fini(&cap);
	} else if (j->res == L_FAIL) {
		log_info("%s: login failed for %s", s->id,
		    log_esc(span_str(j->user), esc));
		imapd_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
				      "failed");
		if (++s->auth_failures >= IMAPD_MAX_AUTH_FAILURES)
			imapd_bye(s, "Too many failed logins");
	} else if (j->res == L_ELSEWHERE) {
		imapd_tagged(s, "NO", "[UNAVAILABLE] This mailbox is served by "
				      "another host");
	} else {
		log_warn("%s: login: %s", s->id, j->why.msg);
		imapd_tagged(s, "NO", "[UNAVAILABLE] Authentication is not "
				      "available now, try again later");
	}
	login_free(j);
	imapd_job_end(s);
}

void
imapd_login(struct imapd_sess *s)
{
	const struct imapcmd_login *l = &s->cmd.u.login;
	struct login_job *j;

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
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->user = span_dup(l->user);
	buf_init(&j->pass, l->pass.len + 1);
	buf_addspan(&j->pass, l->pass);
	buf_init(&j->canon, 1024);
	snprintf(j->client_addr, sizeof(j->client_addr), "%s", s->client_addr);
	snprintf(j->authd_path, sizeof(j->authd_path), "%s", s->d->authd_path);
	j->timeout_ms = s->d->p->authd_timeout * 1000;
	j->conf = &s->d->store;
	j->myhostname = s->d->p->myhostname;
	imapd_job(s, login_work, login_done, login_free, j);
}
