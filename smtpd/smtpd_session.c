/*
 * smtpd_session.c - what is smtpd's own in an SMTP connection: the
 * settings of the session core (lib/mail/smtpsrv), the client's name and
 * trust, the connection limits, the greet pause, and the connect and
 * disconnect log lines.  Framing, replies and errors are the core's.
 * Linked into: smtpd.  Runs as mail_owner, chrooted.  Trust: the client
 * is hostile; every line is bounded and checked before it is parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "smtpd.h"

/* ESMTP parameters may add this much to a command line (RFC 5321
 * 4.5.3.1.4, RFC 1870, 3461, 4954). */
#define SMTPD_PARAM_ALLOWANCE 1536

static void
session_free(struct smtpsrv *c)
{
	struct smtpd_sess *s = smtpd_sess_of(c);

	if (s->counted)
		smtpd_limit_leave(s->sd->limit, c->client_addr);
	dns_cancel(&s->dnsq);
	smtpsrv_fini(c);
	free(s);
}

static void
tx_reset(struct smtpsrv *c)
{
	struct smtpd_tx *tx = &smtpd_sess_of(c)->tx;
	size_t i;

	for (i = 0; i < tx->nrcpt; i++) {
		free(tx->rcpt[i].addr);
		free(tx->rcpt[i].orcpt_type);
		free(tx->rcpt[i].orcpt);
	}
	free(tx->rcpt);
	free(tx->envid);
	tx->rcpt = NULL;
	tx->nrcpt = 0;
	tx->envid = NULL;
	tx->declared_size = 0;
	tx->verdict = SMTPD_KEEP;
	tx->verdict_reason[0] = '\0';
}

static const char *
state_name(const struct smtpsrv *c)
{
	if (!c->greeted)
		return "connect";
	if (c->in_data)
		return "data";
	return c->state == SMTPSRV_S_GREET ? "greeting" : "command";
}

static void
ended(struct smtpsrv *c, enum lineio_event ev)
{
	struct smtpd_sess *s = smtpd_sess_of(c);

	if (ev == LINEIO_TIMEOUT)
		log_info("%s: timeout after %s", c->id, state_name(c));
	if (c->local)
		log_info("%s: disconnect from local uid %u commands=%llu",
		    c->id, (unsigned)c->local_uid,
		    (unsigned long long)c->ncommands);
	else
		log_info("%s: disconnect from %s[%s]:%u commands=%llu", c->id,
		    s->client_name, c->client_addr, c->client_port,
		    (unsigned long long)c->ncommands);
}

/* Limits, then the greeting (after the greet pause, if any). */
static void
start(struct smtpd_sess *s)
{
	struct smtpsrv *c = &s->srv;
	enum smtpd_limit_res r;

	if (s->sd->srv.nsessions > s->sd->max_sessions) {
		smtpsrv_close_421(c, "Error: too many connections");
		return;
	}
	if (s->trusted) {
		smtpsrv_greet(c, 0);
		return;
	}
	r = smtpd_limit_enter(s->sd->limit, c->client_addr);
	if (r != SMTPD_LIMIT_OK) {
		log_warn("%s: %s[%s]: too many connections%s", c->id,
		    s->client_name, c->client_addr, r == SMTPD_LIMIT_RATE ?
		    " in this period" : " at once");
		smtpsrv_close_421(c, r == SMTPD_LIMIT_RATE ? "Error: too many "
		    "connections from your address, try again later" :
		    "Error: too many connections from your address");
		return;
	}
	s->counted = true;
	smtpsrv_greet(c, s->sd->p->smtpd_greet_pause * 1000);
}

/* Implicit TLS: the session starts once the handshake is done and the
 * client's name is known. */
static void
tls_up(struct smtpsrv *c)
{
	struct smtpd_sess *s = smtpd_sess_of(c);

	if (!c->greeted && !s->counted && !c->quitting &&
	    s->sd->p->smtpd_tls_wrappermode && s->dnsq == NULL)
		start(s);
}

static void
log_connect(const struct smtpd_sess *s)
{
	const struct smtpsrv *c = &s->srv;

	if (c->local)
		log_info("%s: connect from local uid %u", c->id,
		    (unsigned)c->local_uid);
	else
		log_info("%s: connect from %s[%s]:%u%s", c->id, s->client_name,
		    c->client_addr, c->client_port,
		    s->trusted ? " (mynetworks)" : "");
}

/*
 * The client's name is known, or known to be unknown (smtpd_peername_lookup,
 * smtpd(8)).  A PTR name that does not resolve back, and a look-up that
 * failed for now, are worth a warning; a missing PTR record is common.
 */
static void
on_name(const struct dns_answer *a, void *arg)
{
	struct smtpd_sess *s = arg;

	s->dnsq = NULL;
	if (a->res == DNS_OK)
		snprintf(s->client_name, sizeof(s->client_name), "%s",
		    a->name);
	else if (a->res == DNS_TEMP || a->name != NULL)
		log_warn("%s: %s", s->srv.id, a->reason);
	log_connect(s);
	/* With implicit TLS the session starts once the handshake is done
	 * too. */
	if (!s->srv.handshaking && !s->srv.quitting)
		start(s);
}

void
smtpd_session_new(struct smtpd *sd, int fd)
{
	struct smtpd_sess *s = xcalloc(1, sizeof(*s));
	struct sockaddr *peer = (struct sockaddr *)&s->srv.peer;
	const struct params *p = sd->p;

	s->sd = sd;
	if (smtpsrv_init(&s->srv, &sd->srv, fd) == -1) {
		free(s);
		return;
	}
	snprintf(s->client_name, sizeof(s->client_name), "unknown");
	/* A local user may relay, as it may with any MUA it runs. */
	s->trusted = s->srv.local || netmatch_contains(sd->mynetworks, peer);
	s->srv.bare_newline_ok = s->srv.local ||
	    !p->smtpd_forbid_bare_newline ||
	    netmatch_contains(sd->bare_newline_ok, peer);
	/*
	 * The greeting waits for the client's name, as in Postfix, while
	 * the connection is read as before a greeting: a client that
	 * talks first is an early talker, and one that leaves or idles
	 * out ends the session (and the look-up).
	 */
	if (sd->dns != NULL && (peer->sa_family == AF_INET ||
				   peer->sa_family == AF_INET6)) {
		s->dnsq = dns_peername(sd->dns, peer, on_name, s);
		return;
	}
	log_connect(s);
	/* With implicit TLS the session starts once the handshake is done. */
	if (!p->smtpd_tls_wrappermode)
		start(s);
}

static const struct smtpsrv_ops ops = {
	.cmds = smtpd_cmds,
	.help = "Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET "
		"NOOP QUIT VRFY HELP",
	.hello_first = "Error: send HELO/EHLO first",
	.extensions = "250-DSN\r\n",
	.no_rcpt = "need RCPT command",
	.free = session_free,
	.tx_reset = tx_reset,
	.rcpt = smtpd_rcpt,
	.message = smtpd_message,
	.ended = ended,
	.tls_up = tls_up,
};

void
smtpd_session_init(struct smtpd *sd)
{
	const struct params *p = sd->p;
	struct smtpsrv_daemon *d = &sd->srv;

	d->ops = &ops;
	d->base = sd->svc->base;
	d->pool = sd->pool;
	d->p = p;
	d->banner = p->smtpd_banner;
	d->authd_path = sd->authd_path;
	d->max_line = (size_t)p->smtpd_command_line_limit +
	    SMTPD_PARAM_ALLOWANCE;
	d->command_line_limit = p->smtpd_command_line_limit;
	d->timeout_ms = p->smtpd_timeout * 1000;
	d->data_timeout_ms = p->smtpd_data_timeout * 1000;
	d->starttls_timeout_ms = p->smtpd_starttls_timeout * 1000;
	d->hard_error_limit = p->smtpd_hard_error_limit;
	d->soft_error_limit = p->smtpd_soft_error_limit;
	d->error_sleep_ms = p->smtpd_error_sleep_time * 1000;
	d->command_limit = p->smtpd_session_command_limit;
	d->message_size_limit = p->message_size_limit;
	d->data_line_limit = p->smtpd_data_line_limit;
	d->header_size_limit = p->header_size_limit;
	d->wrappermode = p->smtpd_tls_wrappermode;
	d->tls_encrypt = strcmp(p->smtpd_tls_security_level, "encrypt") == 0;
	d->helo_required = p->smtpd_helo_required;
	d->auth_enable = p->smtpd_sasl_auth_enable;
	d->auth_required = p->smtpd_auth_required;
}
