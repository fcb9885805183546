/*
 * smtpd_rcpt.c - RCPT TO: the relay rule and recipient checks.  The
 * directory is asked through authd on a worker thread (it may block), and
 * the session reads no further command until the answer is back.
 *
 *   hosted domain (mydestination, virtual_mailbox_domains): the address
 *     must expand (aliases) or be a user: else 550 5.1.1;
 *   relay_domains: accepted;
 *   any other domain: only for mynetworks clients, else 554 5.7.1;
 *   the directory unavailable: 451 4.3.0;
 *   an address that starts with '|' or '/' (the form of an alias's
 *   command or file in the queue): always 550 5.1.3.
 * '%', '!' and quoted local parts are never routing: the domain is the
 * one after the path's last '@' (smtpaddr.h).
 *
 * Linked into: smtpd.  Trust: the address is hostile; it reaches authd
 * only as a protocol field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authclient.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "smtpd.h"

struct rcpt_job {
	struct smtpd_sess *sess;	/* borrowed: kept while busy */
	char *addr;
	char *domain;
	char *client_addr;		/* "" for a local client */
	char *client_name;		/* "" when not verified */
	char *helo;
	char *sender;			/* "<>" for the null sender */
	bool trusted;
	bool access;			/* ask authd's access tables */
	int verdict;			/* SMTPD_KEEP, _HOLD or _DISCARD */
	char verdict_reason[128];
	int code;
	char enh[8];
	char text[300];
	struct smtpd_rcpt rcpt;		/* moved to the transaction on 250 */
};

static const char *authd_path;
static uint64_t authd_timeout_ms;

/* This thread's authd client (made on first use; worker threads). */
static struct authclient *
authclient(void)
{
	return authclient_thread(authd_path, authd_timeout_ms);
}

static void
set(struct rcpt_job *j, int code, const char *enh, const char *text)
{
	j->code = code;
	snprintf(j->enh, sizeof(j->enh), "%s", enh);
	snprintf(j->text, sizeof(j->text), "<%s>: %s", j->addr, text);
}

static enum authclient_res
ask(const char *word, const char *arg, struct authproto_msg *ans,
    struct why *why)
{
	struct span f = span_str(arg);

	return authclient_call(authclient(), word, &f, 1, ans, why);
}

/* Postfix's words for who was refused, which admins grep for. */
static const char *
refused_what(struct span kind)
{
	if (span_eq(kind, "client"))
		return "Client host rejected";
	if (span_eq(kind, "helo"))
		return "Helo command rejected";
	if (span_eq(kind, "sender"))
		return "Sender address rejected";
	return "Recipient address rejected";
}

/* A 4xx/5xx code from authd; anything else is a failure. */
static int
reply_code(struct span f)
{
	uint64_t v;

	return parse_u64(f, 400, 599, &v) == -1 ? 451 : (int)v;
}

/*
 * The access tables, through authd (postern-access(5)).  Returns true
 * when they decided the reply (a refusal or a failure); OK, DISCARD and
 * HOLD let the recipient checks go on.
 */
static bool
check_access(struct rcpt_job *j, struct authproto_msg *ans)
{
	struct span f[5] = { span_str(j->client_addr),
		span_str(j->client_name), span_str(j->helo),
		span_str(j->sender), span_str(j->addr) };
	struct why why = { "" };
	enum authclient_res r;
	char text[256];

	r = authclient_call(authclient(), "ACCESS", f, 5, ans, &why);
	if (r == AUTHC_NOTFOUND)
		return false;
	if (r != AUTHC_OK || ans->nfield != 7) {
		set(j, 451, "4.3.0", "Temporary lookup failure");
		return true;
	}
	if (span_eq(ans->field[0], "DISCARD") || span_eq(ans->field[0],
							"HOLD")) {
		int v = span_eq(ans->field[0], "DISCARD") ? SMTPD_DISCARD :
							    SMTPD_HOLD;

		if (v > j->verdict) {
			j->verdict = v;
			snprintf(j->verdict_reason, sizeof(j->verdict_reason),
			    "%.*s %.*s", (int)ans->field[4].len,
			    (const char *)ans->field[4].p,
			    (int)ans->field[3].len,
			    (const char *)ans->field[3].p);
		}
		return false;
	}
	if (!span_eq(ans->field[0], "REJECT") &&
	    !span_eq(ans->field[0], "DEFER"))
		return false;		/* OK: no further access checks */
	snprintf(text, sizeof(text), "%s: %.*s", refused_what(ans->field[4]),
	    (int)ans->field[3].len, (const char *)ans->field[3].p);
	j->code = reply_code(ans->field[1]);
	snprintf(j->enh, sizeof(j->enh), "%.*s", (int)ans->field[2].len,
	    (const char *)ans->field[2].p);
	snprintf(j->text, sizeof(j->text), "<%s>: %s", j->addr, text);
	return true;
}

/* On a worker thread: the access tables, the domain's class, then the
 * address. */
static void
rcpt_work(void *arg)
{
	struct rcpt_job *j = arg;
	struct authproto_msg ans;
	struct why why = { "" };
	enum authclient_res r;

	authproto_init(&ans, 2 * 1024 * 1024);
	if (j->access && check_access(j, &ans)) {
		authproto_fini(&ans);
		return;
	}
	r = ask("DOMAIN", j->domain, &ans, &why);
	if (r != AUTHC_OK || ans.nfield != 1) {
		log_warn("%s: authd DOMAIN %s: %s", j->sess->srv.id, j->domain,
		    r == AUTHC_OK ? "bad answer" : why.msg);
		set(j, 451, "4.3.0", "Temporary directory failure");
	} else if (span_eq(ans.field[0], "remote")) {
		if (j->trusted)
			set(j, 250, "2.1.5", "Ok");
		else
			set(j, 554, "5.7.1", "Relay access denied");
	} else if (span_eq(ans.field[0], "relay")) {
		set(j, 250, "2.1.5", "Ok");
	} else {
		r = ask("EXPAND", j->addr, &ans, &why);
		if (r == AUTHC_OK)
			set(j, 250, "2.1.5", "Ok");
		else if (r == AUTHC_NOTFOUND)
			set(j, 550, "5.1.1", "Recipient address rejected: "
					     "User unknown");
		else if (r == AUTHC_PERM)
			set(j, 550, "5.1.1", "Recipient address rejected: "
					     "alias error");
		else {
			log_warn("%s: authd EXPAND %s: %s", j->sess->srv.id,
			    j->addr, why.msg);
			set(j, 451, "4.3.0", "Temporary directory failure");
		}
	}
	authproto_fini(&ans);
}

static void
rcpt_done(void *arg)
{
	struct rcpt_job *j = arg;
	struct smtpd_sess *s = j->sess;
	struct smtpd_tx *tx = &s->tx;

	if (smtpsrv_rcpt_done(&s->srv, j->code, j->enh, j->text)) {
		tx->rcpt = xreallocarray(tx->rcpt, tx->nrcpt + 1,
		    sizeof(*tx->rcpt));
		tx->rcpt[tx->nrcpt++] = j->rcpt;
		if (j->verdict > tx->verdict) {
			tx->verdict = j->verdict;
			memcpy(tx->verdict_reason, j->verdict_reason,
			    sizeof(tx->verdict_reason));
		}
		j->rcpt.addr = NULL;
		j->rcpt.orcpt = NULL;
		j->rcpt.orcpt_type = NULL;
	} else if (j->code >= 500 && !s->srv.ended) {
		smtpsrv_error(&s->srv);
	}
	free(j->rcpt.addr);
	free(j->rcpt.orcpt);
	free(j->rcpt.orcpt_type);
	free(j->addr);
	free(j->domain);
	free(j->client_addr);
	free(j->client_name);
	free(j->helo);
	free(j->sender);
	free(j);
	smtpsrv_resume(&s->srv);
}

static char *
xtext(struct span raw)
{
	struct buf out;

	buf_init(&out, 1024);
	if (raw.len == 0 || smtpcmd_xtext_decode(raw, &out) == -1) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

void
smtpd_rcpt_init(const struct smtpd *sd)
{
	authd_path = sd->authd_path;
	authd_timeout_ms = sd->p->authd_timeout * 1000;
}

void
smtpd_rcpt(struct smtpsrv *core, const struct smtpcmd *c)
{
	struct smtpd_sess *s = smtpd_sess_of(core);
	struct rcpt_job *j;
	struct buf addr;

	if (s->tx.nrcpt >= s->sd->p->smtpd_recipient_limit) {
		smtpsrv_reply(core, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	buf_init(&addr, 1024);
	smtpaddr_format(&c->path, &addr);
	/* RFC 5321 4.1.1.3: a bare <Postmaster> is ours. */
	if (c->path.domain.len == 0)
		buf_addf(&addr, "@%s", s->sd->p->myhostname);
	j->sess = s;
	j->addr = buf_steal(&addr);
	j->domain = xstrdup(strrchr(j->addr, '@') + 1);
	j->access = s->sd->access;
	j->client_addr = xstrdup(core->local ? "" : core->client_addr);
	/* Empty, not "unknown", so that no table key ever matches it. */
	j->client_name = xstrdup(strcmp(s->client_name, "unknown") != 0 ?
	    s->client_name : "");
	j->helo = xstrdup(core->helo);
	j->sender = xstrdup(core->sender[0] != '\0' ? core->sender : "<>");
	/* mynetworks, local and authenticated clients may relay. */
	j->trusted = s->trusted || core->auth_user != NULL;
	j->rcpt.addr = xstrdup(j->addr);
	j->rcpt.notify = ((c->notify & SMTPCMD_NOTIFY_SUCCESS) ?
	    QFILE_NOTIFY_SUCCESS : 0) |
	    ((c->notify & SMTPCMD_NOTIFY_FAILURE) ? QFILE_NOTIFY_FAILURE : 0) |
	    ((c->notify & SMTPCMD_NOTIFY_DELAY) ? QFILE_NOTIFY_DELAY : 0) |
	    ((c->params & SMTPCMD_P_NOTIFY) && c->notify == 0 ?
		QFILE_NOTIFY_NEVER : 0);
	if (c->params & SMTPCMD_P_ORCPT) {
		j->rcpt.orcpt_type = span_dup(c->orcpt_type);
		j->rcpt.orcpt = xtext(c->orcpt);
	}
	smtpsrv_suspend(core);
	/* A queue recipient that starts with '|' or '/' is a local alias's
	 * command or file (qmgr(8)); no client may name one. */
	if (j->addr[0] == '|' || j->addr[0] == '/') {
		set(j, 550, "5.1.3", "Bad recipient address syntax");
		rcpt_done(j);
		return;
	}
	if (worker_submit(s->sd->pool, rcpt_work, rcpt_done, j) == -1) {
		set(j, 451, "4.3.0", "Server busy, try again later");
		rcpt_done(j);
	}
}
