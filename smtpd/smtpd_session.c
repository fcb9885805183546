/*
 * smtpd_session.c - one SMTP connection: greeting, line framing, replies,
 * the error count, suspending reading while a job runs, and the end.
 * Linked into: smtpd.  Runs as mail_owner, chrooted.  Trust: the client
 * is hostile; every line is bounded and checked before it is parsed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "base/log.h"
#include "base/xmem.h"
#include "smtpd.h"
#include "tls/tls.h"

/* ESMTP parameters may add this much to a command line (RFC 5321
 * 4.5.3.1.4, RFC 1870, 3461, 4954). */
#define SMTPD_PARAM_ALLOWANCE 1536

static void
session_free(struct smtpd_sess *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->sd->nsessions--;
	if (s->counted)
		smtpd_limit_leave(s->sd->limit, s->client_addr);
	dns_cancel(&s->dnsq);
	smtpd_tx_reset(s);
	smtpd_auth_reset(s);
	buf_fini(&s->tx.text);
	event_timer_free(&s->timer);
	lineio_free(&s->io);
	free(s);
}

void
smtpd_reply(struct smtpd_sess *s, int code, const char *enh, const char *fmt,
    ...)
{
	char text[1024];
	char line[1200];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = smtpcmd_reply_line(line, sizeof(line), code, enh, text);
	lineio_write(s->io, line, n);
	if (code >= 400)
		log_info("%s: reject: %.*s", s->id, (int)n - 2, line);
}

void
smtpd_close_421(struct smtpd_sess *s, const char *enh, const char *text)
{
	smtpd_reply(s, 421, enh, "%s %s", s->sd->p->myhostname, text);
	s->quitting = true;
	lineio_close_flush(s->io);
}

/* Reading goes on unless a job, a delay or the end says otherwise. */
static void
maybe_read(struct smtpd_sess *s)
{
	if (!s->busy && !s->held && !s->quitting)
		lineio_resume(s->io);
}

bool
smtpd_error(struct smtpd_sess *s)
{
	const struct params *p = s->sd->p;
	uint64_t beyond;

	if (++s->errors >= p->smtpd_hard_error_limit) {
		smtpd_close_421(s, "4.7.0", "Error: too many errors");
		return true;
	}
	if (s->errors <= p->smtpd_soft_error_limit ||
	    p->smtpd_error_sleep_time == 0)
		return false;
	/* A growing delay: the client's next command waits. */
	beyond = s->errors - p->smtpd_soft_error_limit;
	s->held = true;
	lineio_pause(s->io);
	event_timer_start(s->timer, (beyond < 10 ? beyond : 10) *
	    p->smtpd_error_sleep_time * 1000, false);
	return false;
}

void
smtpd_suspend(struct smtpd_sess *s)
{
	s->busy = true;
	lineio_pause(s->io);
}

void
smtpd_resume(struct smtpd_sess *s)
{
	s->busy = false;
	if (s->ended) {
		session_free(s);
		return;
	}
	maybe_read(s);
}

static void
greet(struct smtpd_sess *s)
{
	s->greeted = true;
	smtpd_reply(s, 220, NULL, "%s", s->sd->p->smtpd_banner);
}

/* The greet pause is over, or the error delay. */
static void
on_timer(void *arg)
{
	struct smtpd_sess *s = arg;

	s->held = false;
	if (!s->greeted)
		greet(s);
	maybe_read(s);
}

/* Replies a client does not read are bounded too. */
#define SMTPD_MAX_PENDING (256 * 1024)

static void
on_line(void *arg, struct span line)
{
	struct smtpd_sess *s = arg;

	if (lineio_pending(s->io) > SMTPD_MAX_PENDING) {
		log_info("%s: client does not read its replies", s->id);
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	if (!s->greeted) {
		log_info("%s: early talker: sent a command before the "
			 "greeting", s->id);
		smtpd_reply(s, 554, "5.5.1", "Error: SMTP protocol "
					     "synchronization");
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	if (++s->ncommands > s->sd->p->smtpd_session_command_limit) {
		smtpd_close_421(s, "4.7.0", "Error: too many commands");
		return;
	}
	/* SMTP lines end in CRLF; a bare LF is refused (smuggling). */
	if (line.len > 0 && line.p[line.len - 1] == '\r') {
		line.len--;
	} else if (!s->bare_newline_ok) {
		s->auth_pending = false;
		smtpd_reply(s, 500, "5.5.2", "Error: bare <LF> received");
		smtpd_error(s);
		return;
	}
	if (s->auth_pending)
		smtpd_auth_response(s, line);
	else
		smtpd_command(s, line);
}

static const char *
state_name(const struct smtpd_sess *s)
{
	if (!s->greeted)
		return "connect";
	if (s->in_data)
		return "data";
	return s->state == SMTPD_S_GREET ? "greeting" : "command";
}

static void start(struct smtpd_sess *s);

static void
on_event(void *arg, enum lineio_event ev)
{
	struct smtpd_sess *s = arg;

	if (ev == LINEIO_TOO_LONG) {
		s->auth_pending = false;
		smtpd_reply(s, 500, "5.5.2", "Error: line too long");
		smtpd_error(s);
		return;
	}
	if (ev == LINEIO_READY) {
		bool first = !s->greeted && !s->counted && !s->quitting;

		smtpd_tls_ready(s);
		/* Implicit TLS: the session starts once the handshake is
		 * done and the client's name is known. */
		if (first && s->sd->p->smtpd_tls_wrappermode && s->dnsq == NULL)
			start(s);
		return;
	}
	if (ev == LINEIO_ERROR && s->handshaking)
		smtpd_tls_failed(s);
	if (ev == LINEIO_TIMEOUT)
		log_info("%s: timeout after %s", s->id, state_name(s));
	if (s->local)
		log_info("%s: disconnect from local uid %u commands=%llu",
		    s->id, (unsigned)s->local_uid,
		    (unsigned long long)s->ncommands);
	else
		log_info("%s: disconnect from %s[%s]:%u commands=%llu", s->id,
		    s->client_name, s->client_addr, s->client_port,
		    (unsigned long long)s->ncommands);
	s->ended = true;
	if (!s->busy)
		session_free(s);
}

/* Client address text, port and trust, from the socket. */
static void
identify(struct smtpd_sess *s, int fd)
{
	socklen_t len = sizeof(s->peer);
	struct sockaddr *sa = (struct sockaddr *)&s->peer;

	snprintf(s->client_addr, sizeof(s->client_addr), "unknown");
	snprintf(s->client_name, sizeof(s->client_name), "unknown");
	/* Fail closed: an unknown peer is never in mynetworks. */
	if (getpeername(fd, sa, &len) == -1)
		sa->sa_family = AF_UNSPEC;
	if (sa->sa_family == AF_UNIX) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);

		/* Fail closed: without credentials it is no local client. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ==
		    -1)
			sa->sa_family = AF_UNSPEC;
		s->local = sa->sa_family == AF_UNIX;
		s->local_uid = s->local ? (uint32_t)cred.uid : 0;
		snprintf(s->client_addr, sizeof(s->client_addr), "local");
	}
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &a->sin_addr, s->client_addr,
		    sizeof(s->client_addr));
		s->client_port = ntohs(a->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, s->client_addr,
		    sizeof(s->client_addr));
		s->client_port = ntohs(a->sin6_port);
	}
	/* A local user may relay, as it may with any MUA it runs. */
	s->trusted = s->local || netmatch_contains(s->sd->mynetworks, sa);
	s->bare_newline_ok = s->local || !s->sd->p->smtpd_forbid_bare_newline ||
	    netmatch_contains(s->sd->bare_newline_ok, sa);
}

/* Limits, then the greeting (after the greet pause, if any). */
static void
start(struct smtpd_sess *s)
{
	const struct params *p = s->sd->p;
	bool exempt = s->trusted;

	if (s->sd->nsessions > s->sd->max_sessions) {
		smtpd_close_421(s, "4.7.0", "Error: too many connections");
		return;
	}
	if (!exempt) {
		enum smtpd_limit_res r = smtpd_limit_enter(s->sd->limit,
		    s->client_addr);

		if (r != SMTPD_LIMIT_OK) {
			log_warn("%s: %s[%s]: too many connections%s", s->id,
			    s->client_name, s->client_addr,
			    r == SMTPD_LIMIT_RATE ?
			    " in this period" : " at once");
			smtpd_close_421(s, "4.7.0", r == SMTPD_LIMIT_RATE ?
			    "Error: too many connections from your address, "
			    "try again later" : "Error: too many connections "
			    "from your address");
			return;
		}
		s->counted = true;
	}
	if (p->smtpd_greet_pause > 0 && !exempt) {
		s->held = true;
		event_timer_start(s->timer, p->smtpd_greet_pause * 1000,
		    false);
		return;
	}
	greet(s);
}

static void
log_connect(const struct smtpd_sess *s)
{
	if (s->local)
		log_info("%s: connect from local uid %u", s->id,
		    (unsigned)s->local_uid);
	else
		log_info("%s: connect from %s[%s]:%u%s", s->id, s->client_name,
		    s->client_addr, s->client_port,
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
		log_warn("%s: %s", s->id, a->reason);
	log_connect(s);
	/* With implicit TLS the session starts once the handshake is done
	 * too. */
	if (!s->handshaking && !s->quitting)
		start(s);
}

void
smtpd_session_new(struct smtpd *sd, int fd)
{
	static unsigned long counter;
	struct smtpd_sess *s = xcalloc(1, sizeof(*s));
	const struct params *p = sd->p;
	size_t max_line = (size_t)p->smtpd_command_line_limit +
	    SMTPD_PARAM_ALLOWANCE;
	char farewell[300];
	struct why why;

	s->sd = sd;
	snprintf(s->id, sizeof(s->id), "S%lx", ++counter);
	identify(s, fd);
	s->handshaking = p->smtpd_tls_wrappermode;
	if (p->smtpd_tls_wrappermode)
		s->io = tls_lineio_new_server(sd->svc->base, fd, sd->tls_ctx,
		    max_line, p->smtpd_starttls_timeout * 1000, on_line,
		    on_event, s, &why);
	else
		s->io = lineio_new(sd->svc->base, fd, max_line,
		    p->smtpd_timeout * 1000, on_line, on_event, s);
	if (s->io == NULL) {
		log_warn("%s: [%s]: cannot set up the connection", s->id,
		    s->client_addr);
		free(s);
		return;
	}
	buf_init(&s->tx.text, (size_t)p->message_size_limit + 65536);
	s->timer = event_timer_new(sd->svc->base, on_timer, s);
	snprintf(farewell, sizeof(farewell), "421 4.4.2 %s Error: timeout "
	    "exceeded\r\n", p->myhostname);
	lineio_set_farewell(s->io, farewell);
	s->state = SMTPD_S_GREET;
	s->next = sd->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &sd->sessions;
	sd->sessions = s;
	sd->nsessions++;
	/*
	 * The greeting waits for the client's name, as in Postfix, while
	 * the connection is read as before a greeting: a client that
	 * talks first is an early talker, and one that leaves or idles
	 * out ends the session (and the look-up).
	 */
	if (sd->dns != NULL && (s->peer.ss_family == AF_INET ||
				   s->peer.ss_family == AF_INET6)) {
		s->dnsq = dns_peername(sd->dns, (struct sockaddr *)&s->peer,
		    on_name, s);
		return;
	}
	log_connect(s);
	/* With implicit TLS the session starts once the handshake is done. */
	if (!p->smtpd_tls_wrappermode)
		start(s);
}

void
smtpd_session_free_all(struct smtpd *sd)
{
	while (sd->sessions != NULL)
		session_free(sd->sessions);
}

void
smtpd_tx_reset(struct smtpd_sess *s)
{
	struct smtpd_tx *tx = &s->tx;
	size_t i;

	for (i = 0; i < tx->nrcpt; i++) {
		free(tx->rcpt[i].addr);
		free(tx->rcpt[i].orcpt_type);
		free(tx->rcpt[i].orcpt);
	}
	free(tx->rcpt);
	free(tx->sender);
	free(tx->envid);
	tx->rcpt = NULL;
	tx->nrcpt = 0;
	tx->sender = NULL;
	tx->envid = NULL;
	tx->declared_size = 0;
	tx->smtputf8 = false;
	tx->bdat = false;
	tx->verdict = SMTPD_KEEP;
	tx->verdict_reason[0] = '\0';
	buf_reset(&tx->text);
	if (s->state & (SMTPD_S_MAIL | SMTPD_S_RCPT))
		s->state = SMTPD_S_READY;
}
