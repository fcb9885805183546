/*
 * smtpsrv.c - the SMTP/LMTP session core: who the client is, line
 * framing (the bare-LF rule, the bound on replies not read, early
 * talkers), replies, the error count and its delay, suspending reading
 * while a job runs, the TLS handshake's outcome, and the end of the
 * session.
 * Linked into: smtpd, lmtpd.  Runs as their users.  Trust: the client is
 * hostile; every line is bounded and checked before it is parsed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "base/log.h"
#include "base/net.h"
#include "mail/smtpsrv_impl.h"
#include "tls/tls.h"

/* Replies a client does not read are bounded too. */
#define SMTPSRV_MAX_PENDING (256 * 1024)

static void
session_free(struct smtpsrv *s)
{
	s->d->ops->free(s);
}

void
smtpsrv_reply(struct smtpsrv *s, int code, const char *enh, const char *fmt,
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
smtpsrv_quit(struct smtpsrv *s)
{
	s->quitting = true;
	lineio_close_flush(s->io);
}

void
smtpsrv_close_421(struct smtpsrv *s, const char *text)
{
	smtpsrv_reply(s, 421, "4.7.0", "%s %s", s->d->p->myhostname, text);
	smtpsrv_quit(s);
}

/* Reading goes on unless a job, a delay or the end says otherwise. */
static void
maybe_read(struct smtpsrv *s)
{
	if (!s->busy && !s->held && !s->quitting)
		lineio_resume(s->io);
}

uint64_t
smtpsrv_error_delay_ms(uint64_t errors, uint64_t soft_limit, uint64_t sleep_ms)
{
	uint64_t beyond;

	if (errors <= soft_limit)
		return 0;
	/* A growing delay, capped at ten steps. */
	beyond = errors - soft_limit;
	return (beyond < 10 ? beyond : 10) * sleep_ms;
}

static void
greet(struct smtpsrv *s)
{
	s->greeted = true;
	smtpsrv_reply(s, 220, NULL, "%s", s->d->banner);
}

/* The greet pause is over, or the error delay. */
static void
on_timer(void *arg)
{
	struct smtpsrv *s = arg;

	s->held = false;
	if (!s->greeted)
		greet(s);
	maybe_read(s);
}

static void
hold(struct smtpsrv *s, uint64_t ms)
{
	if (s->timer == NULL)
		s->timer = event_timer_new(s->d->base, on_timer, s);
	s->held = true;
	event_timer_start(s->timer, ms, false);
}

void
smtpsrv_greet(struct smtpsrv *s, uint64_t ms)
{
	/* Reading goes on meanwhile: talking first is early talking. */
	if (ms > 0)
		hold(s, ms);
	else
		greet(s);
}

bool
smtpsrv_error(struct smtpsrv *s)
{
	uint64_t ms;

	if (++s->errors >= s->d->hard_error_limit) {
		smtpsrv_close_421(s, "Error: too many errors");
		return true;
	}
	ms = smtpsrv_error_delay_ms(s->errors, s->d->soft_error_limit,
	    s->d->error_sleep_ms);
	if (ms == 0)
		return false;
	/* The client's next command waits. */
	lineio_pause(s->io);
	hold(s, ms);
	return false;
}

void
smtpsrv_suspend(struct smtpsrv *s)
{
	s->busy = true;
	lineio_pause(s->io);
}

void
smtpsrv_resume(struct smtpsrv *s)
{
	s->busy = false;
	if (s->ended) {
		session_free(s);
		return;
	}
	maybe_read(s);
}

static void
on_line(void *arg, struct span line)
{
	struct smtpsrv *s = arg;

	if (lineio_pending(s->io) > SMTPSRV_MAX_PENDING) {
		log_info("%s: client does not read its replies", s->id);
		smtpsrv_quit(s);
		return;
	}
	if (!s->greeted) {
		log_info("%s: early talker: sent a command before the "
			 "greeting", s->id);
		smtpsrv_reply(s, 554, "5.5.1", "Error: SMTP protocol "
					       "synchronization");
		smtpsrv_quit(s);
		return;
	}
	if (++s->ncommands > s->d->command_limit) {
		smtpsrv_close_421(s, "Error: too many commands");
		return;
	}
	/* Lines end in CRLF; a bare LF is refused (smuggling) unless the
	 * daemon allows it for this client. */
	if (line.len > 0 && line.p[line.len - 1] == '\r') {
		line.len--;
	} else if (!s->bare_newline_ok) {
		s->auth_pending = false;
		smtpsrv_reply(s, 500, "5.5.2", "Error: bare <LF> received");
		smtpsrv_error(s);
		return;
	}
	if (s->auth_pending)
		smtpsrv_auth_response(s, line);
	else
		smtpsrv_command(s, line);
}

bool
smtpsrv_tls_offered(const struct smtpsrv *s)
{
	return s->d->tls_ctx != NULL && !s->tls &&
	    !(s->d->local_plain && s->local);
}

bool
smtpsrv_tls_required(const struct smtpsrv *s)
{
	return !s->local && s->d->tls_encrypt;
}

int
smtpsrv_tls_init(const struct params *p, const char *level,
    bool wrappermode, SSL_CTX **ctx_out)
{
	struct tls_conf conf;
	struct why why;

	params_tls_conf(p, &conf);
	if (tls_server_ctx_level(&conf, level, wrappermode, ctx_out, &why) ==
	    -1) {
		log_error("TLS is required but unavailable: %s", why.msg);
		return -1;
	}
	if (*ctx_out == NULL && why.msg[0] != '\0')
		log_warn("STARTTLS not offered: %s", why.msg);
	return 0;
}

/* The handshake is done: note what was negotiated. */
static void
tls_ready(struct smtpsrv *s)
{
	s->handshaking = false;
	if (tls_info(s->io, s->tls_proto, s->tls_cipher, &s->tls_bits) == -1)
		return;
	s->tls = true;
	if (s->d->starttls_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->timeout_ms);
	log_info("%s: TLS established: %s with cipher %s (%d bits)", s->id,
	    s->tls_proto, s->tls_cipher, s->tls_bits);
}

static void
tls_failed(struct smtpsrv *s)
{
	struct why why;

	tls_error(s->io, &why);
	log_info("%s: TLS handshake failed: %s", s->id, why.msg);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct smtpsrv *s = arg;

	if (ev == LINEIO_TOO_LONG) {
		s->auth_pending = false;
		smtpsrv_reply(s, 500, "5.5.2", "Error: line too long");
		smtpsrv_error(s);
		return;
	}
	if (ev == LINEIO_READY) {
		tls_ready(s);
		if (s->d->ops->tls_up != NULL)
			s->d->ops->tls_up(s);
		return;
	}
	if (ev == LINEIO_ERROR && s->handshaking)
		tls_failed(s);
	s->d->ops->ended(s, ev);
	s->ended = true;
	if (!s->busy)
		session_free(s);
}

/* Client address text, port and credentials, from the socket. */
static void
identify(struct smtpsrv *s, int fd)
{
	socklen_t len = sizeof(s->peer);
	struct sockaddr *sa = (struct sockaddr *)&s->peer;

	snprintf(s->client_addr, sizeof(s->client_addr), "unknown");
	/* Fail closed: an unknown peer is in no network. */
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
	net_sockaddr_text(sa, s->client_addr, sizeof(s->client_addr),
	    &s->client_port);
}

int
smtpsrv_init(struct smtpsrv *s, struct smtpsrv_daemon *d, int fd)
{
	static unsigned long counter;
	char farewell[300];
	struct why why;

	s->d = d;
	snprintf(s->id, sizeof(s->id), "%c%lx", d->lmtp ? 'L' : 'S',
	    ++counter);
	identify(s, fd);
	s->handshaking = d->wrappermode;
	if (d->wrappermode)
		s->io = tls_lineio_new_server(d->base, fd, d->tls_ctx,
		    d->max_line, d->starttls_timeout_ms, on_line, on_event, s,
		    &why);
	else
		s->io = lineio_new(d->base, fd, d->max_line, d->timeout_ms,
		    on_line, on_event, s);
	if (s->io == NULL) {
		log_warn("%s: [%s]: cannot set up the connection", s->id,
		    s->client_addr);
		return -1;
	}
	buf_init(&s->text, (size_t)d->message_size_limit + 65536);
	snprintf(farewell, sizeof(farewell), "421 4.4.2 %s Error: timeout "
	    "exceeded\r\n", d->p->myhostname);
	lineio_set_farewell(s->io, farewell);
	s->state = SMTPSRV_S_GREET;
	s->next = d->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &d->sessions;
	d->sessions = s;
	d->nsessions++;
	return 0;
}

void
smtpsrv_fini(struct smtpsrv *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->d->nsessions--;
	smtpsrv_tx_reset(s);
	smtpsrv_auth_reset(s);
	buf_fini(&s->text);
	event_timer_free(&s->timer);
	lineio_free(&s->io);
}

void
smtpsrv_free_all(struct smtpsrv_daemon *d)
{
	while (d->sessions != NULL)
		session_free(d->sessions);
}

void
smtpsrv_tx_reset(struct smtpsrv *s)
{
	s->d->ops->tx_reset(s);
	free(s->sender);
	s->sender = NULL;
	s->smtputf8 = false;
	s->bdat = false;
	buf_reset(&s->text);
	if (s->state & (SMTPSRV_S_MAIL | SMTPSRV_S_RCPT))
		s->state = SMTPSRV_S_READY;
}

void
smtpsrv_take_text(struct smtpsrv *s, struct buf *out)
{
	*out = s->text;
	buf_init(&s->text, out->max);
}
