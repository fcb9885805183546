/*
 * lmtpd_rcpt.c - RCPT TO: the recipient must be a user of this host's
 * store.  authd is asked (LOOKUP, authd(8)) on a worker thread, and the
 * session reads no further command until the answer is back.
 *
 *   unknown user                     550 5.1.1
 *   disabled user                    550 5.2.1
 *   mailbox on another host          451 4.3.5 (the routing is stale or
 *                                    wrong: the sender's queue retries)
 *   directory unavailable            451 4.3.0
 *   otherwise                        250 2.1.5, with the user (authd's
 *                                    key), quotas and sub-address folder
 *
 * Aliases are not expanded here: LMTP clients deliver final recipients.
 * Linked into: lmtpd.  Trust: the address is peer data; it reaches authd
 * only as a protocol field, and the store's user name comes from authd's
 * answer, never from the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authclient.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "lmtpd.h"

struct rcpt_job {
	struct lmtpd_sess *sess;	/* borrowed: kept while busy */
	const char *authd_path;		/* borrowed: the daemon's */
	uint64_t authd_timeout_ms;
	const char *myhostname;		/* borrowed: the params' */
	const char *delimiters;		/* borrowed: recipient_delimiter */
	bool folders;			/* lmtpd_subaddress_folders */
	int code;
	char enh[8];
	char text[400];
	struct lmtpd_rcpt rcpt;		/* moved to the transaction on 250 */
};

static void
set(struct rcpt_job *j, int code, const char *enh, const char *text)
{
	j->code = code;
	snprintf(j->enh, sizeof(j->enh), "%s", enh);
	snprintf(j->text, sizeof(j->text), "<%s>: %s", j->rcpt.addr, text);
}

/*
 * authd matched the address without its extension (user+folder@domain
 * found as user@domain): the folder to try is the extension.
 */
static char *
subaddress(const struct rcpt_job *j, struct span key)
{
	const char *addr = j->rcpt.addr;
	const char *at = strrchr(addr, '@');
	size_t i;

	if (!j->folders || at == NULL || span_eq_nocase(key, addr))
		return NULL;
	/* The extension starts after the first delimiter character. */
	i = strcspn(addr, j->delimiters);
	if (addr + i + 1 >= at)
		return NULL;
	return span_dup(span_make(addr + i + 1, (size_t)(at - addr) - i - 1));
}

/* A LOOKUP answer: key enabled quota_bytes quota_messages mailhost name. */
static void
judge(struct rcpt_job *j, const struct authproto_msg *ans)
{
	const struct span *f = ans->field;
	char host[256];

	if (ans->nfield != 6 || f[0].len == 0 ||
	    parse_u64(f[2], 0, UINT64_MAX, &j->rcpt.quota_bytes) == -1 ||
	    parse_u64(f[3], 0, UINT64_MAX, &j->rcpt.quota_messages) == -1) {
		set(j, 451, "4.3.0", "Temporary directory failure");
		return;
	}
	if (!span_eq(f[1], "y")) {
		set(j, 550, "5.2.1", "Mailbox disabled");
		return;
	}
	if (f[4].len > 0 && !span_eq_nocase(f[4], j->myhostname)) {
		snprintf(host, sizeof(host), "Mailbox is on host %.*s, not "
		    "here", (int)(f[4].len < 200 ? f[4].len : 200),
		    (const char *)f[4].p);
		set(j, 451, "4.3.5", host);
		return;
	}
	j->rcpt.user = span_dup(f[0]);
	j->rcpt.folder = subaddress(j, f[0]);
	set(j, 250, "2.1.5", "Ok");
}

/* On a worker thread. */
static void
rcpt_work(void *arg)
{
	struct rcpt_job *j = arg;
	struct span f = span_str(j->rcpt.addr);
	struct authproto_msg ans;
	struct why why = { "" };
	enum authclient_res r;

	authproto_init(&ans, 65536);
	r = authclient_call(authclient_thread(j->authd_path,
				j->authd_timeout_ms), "LOOKUP", &f, 1, &ans,
	    &why);
	if (r == AUTHC_OK)
		judge(j, &ans);
	else if (r == AUTHC_NOTFOUND)
		set(j, 550, "5.1.1", "User unknown");
	else
		set(j, 451, "4.3.0", "Temporary directory failure");
	authproto_fini(&ans);
}

static void
rcpt_done(void *arg)
{
	struct rcpt_job *j = arg;
	struct lmtpd_sess *s = j->sess;

	if (smtpsrv_rcpt_done(&s->srv, j->code, j->enh, j->text)) {
		s->rcpt = xreallocarray(s->rcpt, s->nrcpt + 1,
		    sizeof(*s->rcpt));
		s->rcpt[s->nrcpt++] = j->rcpt;
		memset(&j->rcpt, 0, sizeof(j->rcpt));
	}
	lmtpd_rcpt_fini(&j->rcpt);
	free(j);
	smtpsrv_resume(&s->srv);
}

void
lmtpd_rcpt(struct smtpsrv *core, const struct smtpcmd *c)
{
	struct lmtpd_sess *s = lmtpd_sess_of(core);
	const struct params *p = s->ld->p;
	struct rcpt_job *j;
	struct buf addr;

	if (s->nrcpt >= p->lmtpd_recipient_limit) {
		smtpsrv_reply(core, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	buf_init(&addr, 1024);
	smtpaddr_format(&c->path, &addr);
	/* RFC 5321 4.1.1.3: a bare <Postmaster> is ours. */
	if (c->path.domain.len == 0)
		buf_addf(&addr, "@%s", p->myhostname);
	j->sess = s;
	j->authd_path = s->ld->authd_path;
	j->authd_timeout_ms = p->authd_timeout * 1000;
	j->myhostname = p->myhostname;
	j->delimiters = p->recipient_delimiter;
	j->folders = p->lmtpd_subaddress_folders;
	j->rcpt.addr = buf_steal(&addr);
	smtpsrv_suspend(core);
	if (worker_submit(s->ld->pool, rcpt_work, rcpt_done, j) == -1) {
		set(j, 451, "4.3.0", "Server busy, try again later");
		rcpt_done(j);
	}
}
