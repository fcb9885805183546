/*
 * pop3d_session.c - one POP3 connection: the greeting, reading command
 * lines, replies, the state a command needs (RFC 1939 section 3:
 * AUTHORIZATION, TRANSACTION, UPDATE), CAPA (RFC 2449), STLS (RFC 2595)
 * and implicit TLS, jobs on the worker pool, the error count and the end.
 * Linked into: pop3d.  Runs as store_owner.  Trust: everything the client
 * sends is hostile; every line is bounded (pop3d_max_line, or the
 * longest SASL response while AUTH waits for one).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/net.h"
#include "base/xmem.h"
#include "pop3d.h"
#include "tls/tls.h"

/* Bad commands in a row before the session is closed. */
#define POP3D_MAX_ERRORS 20
/* Replies a client does not read are bounded too. */
#define POP3D_MAX_PENDING (4 * 1024 * 1024)
/* The framing layer's limit: room for the longest AUTH response line
 * (the base64 of the largest SASL response, pop3d_auth.c) and its CR. */
#define POP3D_LINEIO_MAX (16 * 1024)

static void session_free(struct pop3d_sess *s);
static void vreply(struct pop3d_sess *s, const char *status, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
vreply(struct pop3d_sess *s, const char *status, const char *fmt, va_list ap)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_adds(&b, status);
	buf_addc(&b, ' ');
	buf_vaddf(&b, fmt, ap);
	buf_adds(&b, "\r\n");
	lineio_write(s->io, b.p, b.len);
	buf_fini(&b);
}

void
pop3d_ok(struct pop3d_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, "+OK", fmt, ap);
	va_end(ap);
	s->errors = 0;
}

void
pop3d_err(struct pop3d_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, "-ERR", fmt, ap);
	va_end(ap);
}

void
pop3d_bad(struct pop3d_sess *s, const char *fmt, ...)
{
	va_list ap;

	if (s->quitting)
		return;
	va_start(ap, fmt);
	vreply(s, "-ERR", fmt, ap);
	va_end(ap);
	if (++s->errors >= POP3D_MAX_ERRORS) {
		log_info("%s: too many bad commands", s->id);
		pop3d_err(s, "Too many bad commands, closing");
		pop3d_close(s);
	}
}

void
pop3d_write(struct pop3d_sess *s, const void *p, size_t n)
{
	lineio_write(s->io, p, n);
}

void
pop3d_close(struct pop3d_sess *s)
{
	s->quitting = true;
	lineio_close_flush(s->io);
}

void
pop3d_job(struct pop3d_sess *s, worker_fn *work, worker_fn *done,
    worker_fn *release, void *arg)
{
	if (mailjob_submit(&s->job, s->d->pool, work, done, arg) == -1) {
		pop3d_err(s, "[SYS/TEMP] Server busy, try again later");
		release(arg);
	}
}

void
pop3d_job_end(struct pop3d_sess *s)
{
	s->job.busy = false;
	if (s->ended) {
		session_free(s);
		return;
	}
	if (!s->quitting)
		lineio_resume(s->io);
}

/* ---- commands that need no store ---- */

static void
cmd_capa(struct pop3d_sess *s)
{
	struct buf b;

	buf_init(&b, 4096);
	/* RFC 2449 5: what this server does; what the AUTHORIZATION state
	 * offers is announced in both states (the list is the same). */
	buf_adds(&b, "+OK Capability list follows\r\nTOP\r\nUIDL\r\n"
		     "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	pop3d_auth_capability(s, &b);
	if (!s->tls && s->d->tls_ctx != NULL)
		buf_adds(&b, "STLS\r\n");
	buf_adds(&b, "IMPLEMENTATION Postern\r\n.\r\n");
	pop3d_write(s, b.p, b.len);
	buf_fini(&b);
	s->errors = 0;
}

static void
cmd_noop(struct pop3d_sess *s)
{
	pop3d_ok(s, "Nothing done");
}

static void
cmd_quit(struct pop3d_sess *s)
{
	if (s->state == POP3D_TRANSACTION) {
		pop3d_update(s);
		return;
	}
	pop3d_ok(s, "Bye");
	pop3d_close(s);
}

static void
cmd_stls(struct pop3d_sess *s)
{
	size_t discarded = 0;
	struct why why;

	if (s->tls || s->d->tls_ctx == NULL) {
		pop3d_bad(s, "TLS is %s", s->tls ? "already active" :
						   "not available");
		return;
	}
	pop3d_ok(s, "Begin TLS negotiation now");
	/* A name given before TLS does not count after it. */
	free(s->user_given);
	s->user_given = NULL;
	s->handshaking = true;
	if (tls_lineio_upgrade(s->io, s->d->tls_ctx, TLS_SERVER, NULL,
		&discarded, &why) == -1) {
		log_info("%s: STLS failed: %s", s->id, why.msg);
		pop3d_close(s);
		return;
	}
	if (discarded > 0)
		log_info("%s: %zu bytes sent before the TLS handshake "
			 "discarded", s->id, discarded);
}

/* Commands and the states they are legal in. */
enum {
	AU = 1 << POP3D_AUTHORIZATION,
	TR = 1 << POP3D_TRANSACTION,
};

static const struct rule {
	enum pop3cmd_verb verb;
	unsigned states;
	void (*act)(struct pop3d_sess *s);
} rules[] = {
	{ POP3CMD_CAPA, AU | TR, cmd_capa },
	{ POP3CMD_QUIT, AU | TR, cmd_quit },
	{ POP3CMD_STLS, AU, cmd_stls },
	{ POP3CMD_USER, AU, pop3d_user },
	{ POP3CMD_PASS, AU, pop3d_pass },
	{ POP3CMD_AUTH, AU, pop3d_authenticate },
	{ POP3CMD_STAT, TR, pop3d_stat },
	{ POP3CMD_LIST, TR, pop3d_list },
	{ POP3CMD_UIDL, TR, pop3d_uidl },
	{ POP3CMD_RETR, TR, pop3d_retr },
	{ POP3CMD_TOP, TR, pop3d_retr },
	{ POP3CMD_DELE, TR, pop3d_dele },
	{ POP3CMD_RSET, TR, pop3d_rset },
	{ POP3CMD_NOOP, TR, cmd_noop },
};

static void
dispatch(struct pop3d_sess *s, struct span line)
{
	struct why why;
	size_t i;

	if (pop3cmd_parse(line, &s->cmd, &why) == -1) {
		bool known = s->cmd.verb != POP3CMD_UNKNOWN;

		pop3d_bad(s, "%s%s%s", known ? pop3cmd_name(s->cmd.verb) : "",
		    known ? ": " : "", why.msg);
		return;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].verb == s->cmd.verb)
			break;
	ASSERT(i < sizeof(rules) / sizeof(rules[0]));
	if (!(rules[i].states & (1u << s->state))) {
		pop3d_bad(s, "%s is not allowed %s", pop3cmd_name(s->cmd.verb),
		    s->state == POP3D_AUTHORIZATION ? "before login" :
						      "after login");
		return;
	}
	rules[i].act(s);
}

/* ---- reading ---- */

static void
on_line(void *arg, struct span line)
{
	struct pop3d_sess *s = arg;

	if (lineio_pending(s->io) > POP3D_MAX_PENDING) {
		log_info("%s: client does not read its replies", s->id);
		pop3d_close(s);
		return;
	}
	if (s->quitting)
		return;
	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	if (s->auth != NULL) {
		pop3d_auth_line(s, line);
		return;
	}
	if (line.len + 2 > s->d->max_line) {
		pop3d_bad(s, "Line too long");
		return;
	}
	dispatch(s, line);
}

static void
greet(struct pop3d_sess *s)
{
	if (s->over_limit) {
		pop3d_err(s, "[SYS/TEMP] Too many connections from your "
			     "address");
		pop3d_close(s);
		return;
	}
	pop3d_ok(s, "%s POP3 Postern ready", s->d->p->myhostname);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct pop3d_sess *s = arg;
	struct why why;

	if (ev == LINEIO_TOO_LONG && s->auth != NULL) {
		pop3d_auth_too_long(s);
		return;
	}
	if (ev == LINEIO_TOO_LONG) {
		pop3d_bad(s, "Line too long");
		return;
	}
	if (ev == LINEIO_READY) {
		bool first = !s->tls && s->d->p->pop3d_tls_wrappermode;

		s->tls = true;
		s->handshaking = false;
		if (first)
			greet(s);
		return;
	}
	if (ev == LINEIO_ERROR && s->handshaking) {
		tls_error(s->io, &why);
		log_info("%s: TLS handshake failed: %s", s->id, why.msg);
	}
	/* RFC 1939 3: the autologout timer ends the session without the
	 * UPDATE state and without a response. */
	if (ev == LINEIO_TIMEOUT)
		log_info("%s: autologout after %llus idle", s->id,
		    (unsigned long long)s->d->p->pop3d_timeout);
	log_info("%s: disconnect from [%s]:%u%s%s", s->id, s->client_addr,
	    s->client_port, s->user != NULL ? " user=" : "",
	    s->user != NULL ? s->user : "");
	s->ended = true;
	/* A job waiting for the client to read is released with it. */
	if (!s->job.busy || mailjob_waiting(&s->job))
		session_free(s);
}

static void
session_free(struct pop3d_sess *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->d->nsessions--;
	mailjob_release(&s->job);
	pop3d_auth_end(s);
	pop3d_limit_end(s);
	/* Not after QUIT: \Seen for what was sent, no deletions. */
	pop3d_maildrop_end(s);
	free(s->user);
	free(s->user_given);
	lineio_free(&s->io);
	free(s);
}

void
pop3d_session_new(struct pop3d *d, int fd)
{
	static unsigned long counter;
	struct pop3d_sess *s = xcalloc(1, sizeof(*s));
	const struct params *p = d->p;
	size_t max = d->max_line > POP3D_LINEIO_MAX ? d->max_line :
						      POP3D_LINEIO_MAX;
	struct why why;

	s->d = d;
	snprintf(s->id, sizeof(s->id), "P%lx", ++counter);
	net_peer_text(fd, s->client_addr, sizeof(s->client_addr),
	    &s->client_port);
	if (p->pop3d_tls_wrappermode) {
		s->handshaking = true;
		s->io = tls_lineio_new_server(d->svc->base, fd, d->tls_ctx, max,
		    p->pop3d_timeout * 1000, on_line, on_event, s, &why);
	} else {
		s->io = lineio_new(d->svc->base, fd, max,
		    p->pop3d_timeout * 1000, on_line, on_event, s);
	}
	if (s->io == NULL) {
		log_warn("%s: [%s]: cannot set up the connection", s->id,
		    s->client_addr);
		free(s);
		return;
	}
	s->job.io = s->io;
	s->state = POP3D_AUTHORIZATION;
	s->next = d->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &d->sessions;
	d->sessions = s;
	d->nsessions++;
	log_info("%s: connect from [%s]:%u", s->id, s->client_addr,
	    s->client_port);
	/* Counted from the start, TLS handshakes included; the -ERR is the
	 * greeting. */
	s->over_limit = !pop3d_limit_connect(s);
	if (!p->pop3d_tls_wrappermode)
		greet(s);
}

void
pop3d_session_free_all(struct pop3d *d)
{
	while (d->sessions != NULL)
		session_free(d->sessions);
}
