/*
 * lmtpd_session.c - what is lmtpd's own in an LMTP connection: the
 * settings of the session core (lib/mail/smtpsrv), who may connect (the
 * unix socket, or a TCP address in lmtpd_client_networks), the greeting,
 * the connect and disconnect log lines, and the transaction's recipients.
 * Framing, replies and errors are the core's.
 * Linked into: lmtpd.  Runs as store_owner.  Trust: the client is checked
 * before it may say anything; every line is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

void
lmtpd_rcpt_fini(struct lmtpd_rcpt *r)
{
	free(r->addr);
	free(r->user);
	free(r->folder);
	memset(r, 0, sizeof(*r));
}

void
lmtpd_rcpts_free(struct lmtpd_rcpt *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		lmtpd_rcpt_fini(&r[i]);
	free(r);
}

static void
tx_reset(struct smtpsrv *c)
{
	struct lmtpd_sess *s = lmtpd_sess_of(c);

	lmtpd_rcpts_free(s->rcpt, s->nrcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
}

static void
session_free(struct smtpsrv *c)
{
	smtpsrv_fini(c);
	free(lmtpd_sess_of(c));
}

static void
ended(struct smtpsrv *c, enum lineio_event ev)
{
	if (ev == LINEIO_TIMEOUT)
		log_info("%s: timeout after %s", c->id, c->in_data ? "data" :
		    "command");
	log_info("%s: disconnect from %s%s%s", c->id, c->local ? "" : "[",
	    c->client_addr, c->local ? "" : "]");
}

void
lmtpd_session_new(struct lmtpd *ld, int fd)
{
	struct lmtpd_sess *s = xcalloc(1, sizeof(*s));
	struct smtpsrv *c = &s->srv;

	s->ld = ld;
	if (smtpsrv_init(c, &ld->srv, fd) == -1) {
		free(s);
		return;
	}
	c->bare_newline_ok = !ld->p->lmtpd_forbid_bare_newline;
	if (!c->local &&
	    !netmatch_contains(ld->clients, (struct sockaddr *)&c->peer)) {
		log_warn("%s: refused: client [%s]:%u is not in "
			 "lmtpd_client_networks", c->id, c->client_addr,
		    c->client_port);
		smtpsrv_reply(c, 554, "5.7.1", "%s Error: access denied",
		    ld->p->myhostname);
		smtpsrv_quit(c);
		return;
	}
	if (c->local)
		log_info("%s: connect from local", c->id);
	else
		log_info("%s: connect from [%s]:%u", c->id, c->client_addr,
		    c->client_port);
	smtpsrv_greet(c, 0);
}

static const struct smtpsrv_ops ops = {
	.cmds = lmtpd_cmds,
	.help = "Commands: LHLO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP "
		"QUIT VRFY HELP",
	.hello_first = "Error: send LHLO first",
	.extensions = "",
	.no_rcpt = "no valid recipients",
	.free = session_free,
	.tx_reset = tx_reset,
	.rcpt = lmtpd_rcpt,
	.message = lmtpd_message,
	.ended = ended,
};

void
lmtpd_session_init(struct lmtpd *ld)
{
	const struct params *p = ld->p;
	struct smtpsrv_daemon *d = &ld->srv;

	snprintf(ld->banner, sizeof(ld->banner), "%s LMTP Postern",
	    p->myhostname);
	d->ops = &ops;
	d->base = ld->svc->base;
	d->pool = ld->pool;
	d->p = p;
	d->banner = ld->banner;
	d->authd_path = ld->authd_path;
	d->max_line = SMTPCMD_MAX_LINE;
	d->timeout_ms = p->lmtpd_timeout * 1000;
	d->hard_error_limit = p->lmtpd_hard_error_limit;
	d->command_limit = UINT64_MAX;
	d->message_size_limit = p->lmtpd_message_size_limit;
	d->data_line_limit = p->lmtpd_data_line_limit;
	/* The MTA before us limited the header already. */
	d->header_size_limit = 0;
	d->tls_encrypt = strcmp(p->lmtpd_tls_security_level, "encrypt") == 0;
	/* Clients on the unix socket are local: no TLS, no AUTH. */
	d->local_plain = true;
	d->helo_required = true;
	d->auth_enable = p->lmtpd_sasl_auth_enable;
	d->auth_required = p->lmtpd_auth_required;
	d->lmtp = true;
}
