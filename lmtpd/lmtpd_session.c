/*
 * lmtpd_session.c - one LMTP connection: who the client is (the unix
 * socket, or a TCP address that must be in lmtpd_client_networks), the
 * greeting, line framing, replies, the error count, suspending reading
 * while a job runs, and the end.
 * Linked into: lmtpd.  Runs as store_owner.  Trust: the client is checked
 * before it may say anything; every line is bounded.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

/* Replies a client does not read are bounded too. */
#define LMTPD_MAX_PENDING (256 * 1024)

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

struct lmtpd_rcpt *
lmtpd_tx_take_rcpts(struct lmtpd_sess *s, size_t *n)
{
	struct lmtpd_rcpt *r = s->tx.rcpt;

	*n = s->tx.nrcpt;
	s->tx.rcpt = NULL;
	s->tx.nrcpt = 0;
	return r;
}

void
lmtpd_tx_reset(struct lmtpd_sess *s)
{
	struct lmtpd_tx *tx = &s->tx;

	lmtpd_rcpts_free(tx->rcpt, tx->nrcpt);
	tx->rcpt = NULL;
	tx->nrcpt = 0;
	free(tx->sender);
	tx->sender = NULL;
	tx->smtputf8 = false;
	tx->bdat = false;
	buf_reset(&tx->text);
	if (s->state & (LMTPD_S_MAIL | LMTPD_S_RCPT))
		s->state = LMTPD_S_READY;
}

static void
session_free(struct lmtpd_sess *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->ld->nsessions--;
	lmtpd_tx_reset(s);
	lmtpd_auth_reset(s);
	buf_fini(&s->tx.text);
	lineio_free(&s->io);
	free(s);
}

void
lmtpd_reply(struct lmtpd_sess *s, int code, const char *enh, const char *fmt,
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
lmtpd_close_421(struct lmtpd_sess *s, const char *text)
{
	lmtpd_reply(s, 421, "4.7.0", "%s %s", s->ld->p->myhostname, text);
	s->quitting = true;
	lineio_close_flush(s->io);
}

bool
lmtpd_error(struct lmtpd_sess *s)
{
	if (++s->errors < s->ld->p->lmtpd_hard_error_limit)
		return false;
	lmtpd_close_421(s, "Error: too many errors");
	return true;
}

void
lmtpd_suspend(struct lmtpd_sess *s)
{
	s->busy = true;
	lineio_pause(s->io);
}

void
lmtpd_resume(struct lmtpd_sess *s)
{
	s->busy = false;
	if (s->ended) {
		session_free(s);
		return;
	}
	if (!s->quitting)
		lineio_resume(s->io);
}

void
lmtpd_read_raw(struct lmtpd_sess *s, lineio_raw_fn *fn)
{
	s->in_data = true;
	lineio_raw(s->io, fn);
}

void
lmtpd_end_raw(struct lmtpd_sess *s)
{
	s->in_data = false;
	lineio_raw(s->io, NULL);
}

static void
on_line(void *arg, struct span line)
{
	struct lmtpd_sess *s = arg;

	if (lineio_pending(s->io) > LMTPD_MAX_PENDING) {
		log_info("%s: client does not read its replies", s->id);
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	/* Lines end in CRLF; a bare LF is refused unless configured. */
	if (line.len > 0 && line.p[line.len - 1] == '\r') {
		line.len--;
	} else if (s->ld->p->lmtpd_forbid_bare_newline) {
		s->auth_pending = false;
		lmtpd_reply(s, 500, "5.5.2", "Error: bare <LF> received");
		lmtpd_error(s);
		return;
	}
	if (s->auth_pending)
		lmtpd_auth_response(s, line);
	else
		lmtpd_command(s, line);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct lmtpd_sess *s = arg;

	if (ev == LINEIO_TOO_LONG) {
		s->auth_pending = false;
		lmtpd_reply(s, 500, "5.5.2", "Error: line too long");
		lmtpd_error(s);
		return;
	}
	if (ev == LINEIO_READY) {
		lmtpd_tls_ready(s);
		return;
	}
	if (ev == LINEIO_ERROR && s->handshaking)
		lmtpd_tls_failed(s);
	if (ev == LINEIO_TIMEOUT)
		log_info("%s: timeout after %s", s->id, s->in_data ? "data" :
		    "command");
	log_info("%s: disconnect from %s%s%s", s->id, s->local ? "" : "[",
	    s->client_addr, s->local ? "" : "]");
	s->ended = true;
	if (!s->busy)
		session_free(s);
}

/* Client address text and port, from the socket. */
static void
identify(struct lmtpd_sess *s, int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);
	struct sockaddr *sa = (struct sockaddr *)ss;

	snprintf(s->client_addr, sizeof(s->client_addr), "unknown");
	/* Fail closed: an unknown peer is in no network. */
	if (getpeername(fd, sa, &len) == -1)
		sa->sa_family = AF_UNSPEC;
	if (sa->sa_family == AF_UNIX) {
		s->local = true;
		snprintf(s->client_addr, sizeof(s->client_addr), "local");
	} else if (sa->sa_family == AF_INET) {
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
}

void
lmtpd_session_new(struct lmtpd *ld, int fd)
{
	static unsigned long counter;
	struct lmtpd_sess *s = xcalloc(1, sizeof(*s));
	const struct params *p = ld->p;
	struct sockaddr_storage ss;
	char farewell[300];
	bool allowed;

	s->ld = ld;
	snprintf(s->id, sizeof(s->id), "L%lx", ++counter);
	identify(s, fd, &ss);
	allowed = s->local ||
	    netmatch_contains(ld->clients, (struct sockaddr *)&ss);
	s->io = lineio_new(ld->svc->base, fd, SMTPCMD_MAX_LINE,
	    p->lmtpd_timeout * 1000, on_line, on_event, s);
	if (s->io == NULL) {
		log_warn("%s: [%s]: cannot set up the connection", s->id,
		    s->client_addr);
		free(s);
		return;
	}
	buf_init(&s->tx.text, (size_t)p->lmtpd_message_size_limit + 65536);
	snprintf(farewell, sizeof(farewell), "421 4.4.2 %s Error: timeout "
	    "exceeded\r\n", p->myhostname);
	lineio_set_farewell(s->io, farewell);
	s->state = LMTPD_S_GREET;
	s->next = ld->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &ld->sessions;
	ld->sessions = s;
	ld->nsessions++;
	if (!allowed) {
		log_warn("%s: refused: client [%s]:%u is not in "
			 "lmtpd_client_networks", s->id, s->client_addr,
		    s->client_port);
		lmtpd_reply(s, 554, "5.7.1", "%s Error: access denied",
		    p->myhostname);
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	if (s->local)
		log_info("%s: connect from local", s->id);
	else
		log_info("%s: connect from [%s]:%u", s->id, s->client_addr,
		    s->client_port);
	lmtpd_reply(s, 220, NULL, "%s LMTP Postern", p->myhostname);
}

void
lmtpd_session_free_all(struct lmtpd *ld)
{
	while (ld->sessions != NULL)
		session_free(ld->sessions);
}
