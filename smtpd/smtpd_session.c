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

/* ESMTP parameters may add this much to a command line (RFC 5321
 * 4.5.3.1.4, RFC 1870, 3461, 4954). */
#define SMTPD_PARAM_ALLOWANCE 1536

static void
session_free(struct smtpd_sess *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	smtpd_tx_reset(s);
	buf_fini(&s->tx.text);
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
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "%d %s%s%s\r\n", code,
	    enh != NULL ? enh : "", enh != NULL ? " " : "", text);
	if (n > 0)
		lineio_write(s->io, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	if (code >= 400)
		log_info("%s: reject: %d %s%s%s", s->id, code,
		    enh != NULL ? enh : "", enh != NULL ? " " : "", text);
}

bool
smtpd_error(struct smtpd_sess *s)
{
	if (++s->errors < s->sd->p->smtpd_hard_error_limit)
		return false;
	smtpd_reply(s, 421, "4.7.0", "%s Error: too many errors",
	    s->sd->p->myhostname);
	s->quitting = true;
	lineio_close_flush(s->io);
	return true;
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
	if (!s->quitting)
		lineio_resume(s->io);
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
	/* SMTP lines end in CRLF; a bare LF is refused (smuggling). */
	if (line.len > 0 && line.p[line.len - 1] == '\r') {
		line.len--;
	} else if (!s->bare_newline_ok) {
		smtpd_reply(s, 500, "5.5.2", "Error: bare <LF> received");
		smtpd_error(s);
		return;
	}
	smtpd_command(s, line);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct smtpd_sess *s = arg;

	if (ev == LINEIO_TOO_LONG) {
		smtpd_reply(s, 500, "5.5.2", "Error: line too long");
		smtpd_error(s);
		return;
	}
	if (ev == LINEIO_READY)
		return;
	if (ev == LINEIO_TIMEOUT) {
		log_info("%s: timeout after %s", s->id,
		    s->state == SMTPD_S_GREET ? "connect" : "command");
	}
	log_info("%s: disconnect from [%s]:%u", s->id, s->client_addr,
	    s->client_port);
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

void
smtpd_session_new(struct smtpd *sd, int fd)
{
	static unsigned long counter;
	struct smtpd_sess *s = xcalloc(1, sizeof(*s));
	const struct params *p = sd->p;

	s->sd = sd;
	snprintf(s->id, sizeof(s->id), "S%lx", ++counter);
	identify(s, fd);
	buf_init(&s->tx.text, (size_t)p->message_size_limit + 65536);
	s->io = lineio_new(sd->svc->base, fd,
	    (size_t)p->smtpd_command_line_limit + SMTPD_PARAM_ALLOWANCE,
	    p->smtpd_timeout * 1000, on_line, on_event, s);
	if (s->io == NULL) {
		buf_fini(&s->tx.text);
		free(s);
		return;
	}
	s->state = SMTPD_S_GREET;
	s->next = sd->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &sd->sessions;
	sd->sessions = s;
	if (s->local)
		log_info("%s: connect from local uid %u", s->id,
		    (unsigned)s->local_uid);
	else
		log_info("%s: connect from [%s]:%u%s", s->id, s->client_addr,
		    s->client_port, s->trusted ? " (mynetworks)" : "");
	smtpd_reply(s, 220, NULL, "%s", p->smtpd_banner);
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
	buf_reset(&tx->text);
	if (s->state & (SMTPD_S_MAIL | SMTPD_S_RCPT))
		s->state = SMTPD_S_READY;
}
