/*
 * smtpclient.c - the SMTP/LMTP client session: connect, greeting,
 * EHLO/LHLO (HELO fallback), STARTTLS by policy, reading replies, the
 * stage timeouts, failures, callbacks, RSET and QUIT.  The transaction
 * is in smtpclient_tx.c.
 * Linked into: the delivery agents.  Runs as mail_owner.  Trust: the
 * server is hostile: replies go through smtpreply (bounded, sanitised);
 * plaintext it pipelined before TLS is discarded by lineio_wrap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/smtpclient_impl.h"

/* Sessions that are quitting: nobody else holds them. */
static struct smtpclient *quitting;

/* What each state answers or does, for results and logs. */
static const struct {
	const char *cmd;
	const char *stage;
} states[] = {
	[SC_DIAL] = { NULL, "connecting" },
	[SC_GREET] = { "greeting", "receiving the initial server greeting" },
	[SC_EHLO] = { "EHLO", "performing the EHLO handshake" },
	[SC_HELO] = { "HELO", "performing the HELO handshake" },
	[SC_STARTTLS] = { "STARTTLS", "sending STARTTLS" },
	[SC_TLS] = { NULL, "performing the TLS handshake" },
	[SC_READY] = { NULL, "waiting for the next message" },
	[SC_RSET] = { "RSET", "sending RSET" },
	[SC_MAIL] = { "MAIL FROM", "sending MAIL FROM" },
	[SC_RCPT] = { "RCPT TO", "sending RCPT TO" },
	[SC_DATA] = { "DATA", "sending DATA command" },
	[SC_BODY] = { NULL, "sending message body" },
	[SC_DOT] = { "end of DATA", "sending end of data -- message may be "
				    "sent more than once" },
	[SC_DOT_EMPTY] = { "end of DATA", "sending end of data" },
	[SC_TX_RSET] = { "RSET", "sending RSET" },
	[SC_QUIT] = { "QUIT", "sending QUIT" },
	[SC_DEAD] = { NULL, "closing the session" },
};

void
smtpclient_set_reply(struct smtpclient_reply *r, enum smtpclient_kind kind,
    int code, const char *enh, enum sc_state st, const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	r->cmd = states[st].cmd;
	r->stage = states[st].stage;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

void
smtpclient_take_reply(const struct smtpclient *c, enum sc_state st,
    struct smtpclient_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = SMTPCLIENT_REPLY;
	r->code = c->reply.code;
	memcpy(r->enh, c->reply.enh, sizeof(r->enh));
	r->cmd = states[st].cmd;
	r->stage = states[st].stage;
	if (c->lmtp && st == SC_EHLO)
		r->cmd = "LHLO";
	memcpy(r->text, c->reply.text, c->reply.text_len + 1);
}

static void
on_soon(void *arg)
{
	struct smtpclient *c = arg;
	smtpclient_fn *fn = c->fn;

	if (c->quitting) {
		smtpclient_free(&c);
		return;
	}
	c->fn = NULL;
	if (fn != NULL)
		fn(c, c->arg);
}

void
smtpclient_notify(struct smtpclient *c)
{
	if (event_timer_start(c->soon, 0, false) == -1)
		log_panic("smtpclient: cannot start a timer");
}

bool
smtpclient_cmd(struct smtpclient *c, const char *line, size_t len)
{
	return c->io != NULL && lineio_write(c->io, line, len) == 0 &&
	    lineio_write(c->io, "\r\n", 2) == 0;
}

void
smtpclient_wait(struct smtpclient *c, enum sc_state st, uint64_t ms)
{
	c->state = st;
	lineio_set_idle(c->io, ms);
}

uint64_t
smtpclient_rset_ms(const struct smtpclient *c)
{
	return c->to.mail > 0 && c->to.mail < SMTPCLIENT_RSET_MS ? c->to.mail :
								  SMTPCLIENT_RSET_MS;
}

void
smtpclient_idle(struct smtpclient *c)
{
	c->state = SC_READY;
	lineio_set_idle(c->io, 0);
}

void
smtpclient_fail(struct smtpclient *c, const struct smtpclient_reply *e)
{
	if (c->failed)
		return;
	c->failed = true;
	if (e != &c->error)
		c->error = *e;
	if (c->m != NULL)
		smtpclient_tx_fail(c, &c->error);
	c->state = SC_DEAD;
	if (c->io != NULL)
		lineio_close_flush(c->io);
	if (c->fn != NULL || c->quitting)
		smtpclient_notify(c);
}

/* Our own failure in the current state. */
static void fail_with(struct smtpclient *c, enum smtpclient_kind kind,
    const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail_with(struct smtpclient *c, enum smtpclient_kind kind, const char *enh,
    const char *fmt, ...)
{
	struct smtpclient_reply e;
	char text[SMTPREPLY_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	smtpclient_set_reply(&e, kind, 421, enh, c->state, "%s", text);
	smtpclient_fail(c, &e);
}

/* The server's reply ends the session (a refusal, or 421). */
static void
fail_reply(struct smtpclient *c)
{
	struct smtpclient_reply e;

	smtpclient_take_reply(c, c->state, &e);
	smtpclient_fail(c, &e);
}

static void
send_hello(struct smtpclient *c, const char *verb, enum sc_state st)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "%s %s", verb, c->helo_name);

	smtpclient_cmd(c, line, (size_t)n);
	smtpclient_wait(c, st, c->to.helo);
}

/* After EHLO/LHLO/HELO: STARTTLS when the policy says, else ready. */
static void
after_hello(struct smtpclient *c)
{
	bool required = c->tls_level >= SMTPCLIENT_TLS_ENCRYPT;

	if (!c->tls_on && c->tls_level != SMTPCLIENT_TLS_NONE &&
	    c->tls_ctx != NULL && (c->ext & SMTPREPLY_EXT_STARTTLS)) {
		smtpclient_cmd(c, "STARTTLS", 8);
		smtpclient_wait(c, SC_STARTTLS, c->to.helo);
		return;
	}
	if (!c->tls_on && required) {
		fail_with(c, SMTPCLIENT_TLS, "4.7.4", c->tls_ctx == NULL ?
		    "TLS is required, but no TLS client context is set up" :
		    "TLS is required, but was not offered");
		return;
	}
	smtpclient_idle(c);
	smtpclient_notify(c);
}

static void
start_tls(struct smtpclient *c)
{
	struct why why;
	size_t discarded;

	if (tls_lineio_upgrade(c->io, c->tls_ctx, TLS_CLIENT, c->peer_name,
		&discarded, &why) == -1) {
		fail_with(c, SMTPCLIENT_TLS, "4.7.5", "%s", why.msg);
		return;
	}
	smtpclient_wait(c, SC_TLS, c->to.helo);
}

/* A complete reply before or outside a transaction. */
static void
session_reply(struct smtpclient *c)
{
	int cls = smtpreply_class(&c->reply);

	switch (c->state) {
	case SC_GREET:
		if (cls != 2)
			fail_reply(c);
		else if (c->lmtp)
			send_hello(c, "LHLO", SC_EHLO);
		else
			send_hello(c, "EHLO", SC_EHLO);
		return;
	case SC_EHLO:
	case SC_HELO:
		if (cls == 2) {
			c->ext = c->state == SC_EHLO ? c->reply.ext : 0;
			c->size_max = c->state == SC_EHLO ?
			    c->reply.size_max : 0;
			after_hello(c);
		} else if (c->state == SC_EHLO && !c->lmtp && cls == 5) {
			send_hello(c, "HELO", SC_HELO);
		} else {
			fail_reply(c);
		}
		return;
	case SC_STARTTLS:
		if (cls == 2) {
			start_tls(c);
		} else if (c->tls_level == SMTPCLIENT_TLS_MAY &&
		    c->reply.code != 421) {
			smtpclient_idle(c);
			smtpclient_notify(c);
		} else {
			fail_with(c, SMTPCLIENT_TLS, "4.7.4",
			    "STARTTLS refused: %s", c->reply.text);
		}
		return;
	case SC_RSET:
		if (cls != 2) {
			fail_reply(c);
			return;
		}
		smtpclient_idle(c);
		smtpclient_notify(c);
		return;
	case SC_QUIT:
		c->state = SC_DEAD;
		lineio_close_flush(c->io);
		return;
	case SC_READY:
		/* Unasked: a server about to close (421 on idle). */
		fail_reply(c);
		return;
	default:
		return;
	}
}

static bool
in_transaction(enum sc_state st)
{
	return st == SC_MAIL || st == SC_RCPT || st == SC_DATA ||
	    st == SC_BODY || st == SC_DOT || st == SC_DOT_EMPTY ||
	    st == SC_TX_RSET;
}

static void
on_line(void *arg, struct span line)
{
	struct smtpclient *c = arg;
	struct why why;
	int rc;

	if (c->state == SC_DEAD)
		return;
	/* Servers end lines in CRLF; a bare LF is taken too. */
	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	if (c->reply.done)
		smtpreply_init(&c->reply);
	rc = smtpreply_line(&c->reply, line, &why);
	if (rc == -1) {
		fail_with(c, SMTPCLIENT_PROTOCOL, "4.5.0",
		    "malformed reply: %s", why.msg);
		return;
	}
	if (rc == 0)
		return;
	if (in_transaction(c->state))
		smtpclient_tx_reply(c);
	else
		session_reply(c);
	/* 421: the server is closing the session (RFC 5321 3.8). */
	if (c->reply.code == 421 && !c->failed && c->state != SC_DEAD)
		fail_reply(c);
}

static void
tls_ready(struct smtpclient *c)
{
	if (c->state != SC_TLS)
		return;
	c->tls_on = true;
	/* The context verifies already; this is a second lock. */
	if (c->tls_level == SMTPCLIENT_TLS_VERIFY &&
	    !tls_peer_verified(c->io)) {
		fail_with(c, SMTPCLIENT_TLS, "4.7.5",
		    "server certificate not verified");
		return;
	}
	/* RFC 3207 4.2: forget what was said before; EHLO again. */
	c->ext = 0;
	send_hello(c, c->lmtp ? "LHLO" : "EHLO", SC_EHLO);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct smtpclient *c = arg;
	struct why why;

	if (ev == LINEIO_READY) {
		tls_ready(c);
		return;
	}
	if (ev == LINEIO_TOO_LONG) {
		fail_with(c, SMTPCLIENT_PROTOCOL, "4.5.0",
		    "reply line longer than %d bytes", SMTPCLIENT_MAX_LINE);
		return;
	}
	/* The end of the connection: it may be freed here (lineio.h). */
	if (c->state == SC_TLS && ev != LINEIO_CLOSED) {
		const char *reason = why.msg;

		if (ev == LINEIO_ERROR) {
			tls_error(c->io, &why);
			if (strncmp(reason, "TLS failed: ", 12) == 0)
				reason += 12;
		} else {
			why_set(&why, "%s", ev == LINEIO_EOF ?
			    "server closed the connection" : "timed out");
		}
		lineio_free(&c->io);
		fail_with(c, SMTPCLIENT_TLS, "4.7.5",
		    "TLS handshake failed: %s", reason);
	} else if (ev == LINEIO_TIMEOUT) {
		lineio_free(&c->io);
		fail_with(c, SMTPCLIENT_TIMEOUT, "4.4.2", "timed out");
	} else {
		lineio_free(&c->io);
		fail_with(c, SMTPCLIENT_LOST, "4.4.2", "lost connection");
	}
	if (c->quitting)
		smtpclient_notify(c);
}

static void
on_dial(int fd, const struct why *why, void *arg)
{
	struct smtpclient *c = arg;

	c->dial = NULL;
	if (fd < 0) {
		fail_with(c, SMTPCLIENT_CONNECT, "4.4.1", "%s", why->msg);
		return;
	}
	c->io = lineio_new(c->base, fd, SMTPCLIENT_MAX_LINE, c->to.helo,
	    on_line, on_event, c);
	if (c->io == NULL) {
		fail_with(c, SMTPCLIENT_CONNECT, "4.4.1",
		    "cannot set up the connection");
		return;
	}
	c->state = SC_GREET;
}

struct smtpclient *
smtpclient_new(struct event_base *base, const struct sockaddr *sa,
    socklen_t len, const struct smtpclient_conf *conf, smtpclient_fn *fn,
    void *arg)
{
	struct smtpclient *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->lmtp = conf->lmtp;
	c->helo_name = xstrdup(conf->helo_name);
	c->tls_level = conf->tls;
	c->tls_ctx = conf->tls_ctx;
	c->peer_name = conf->peer_name != NULL ? xstrdup(conf->peer_name) :
						 NULL;
	c->to = conf->to;
	c->fn = fn;
	c->arg = arg;
	c->soon = event_timer_new(base, on_soon, c);
	buf_init(&c->out, 256 * 1024);
	c->state = SC_DIAL;
	c->dial = dial_start(base, sa, len, c->to.connect, on_dial, c);
	return c;
}

bool
smtpclient_usable(const struct smtpclient *c)
{
	return !c->failed && c->state == SC_READY && c->fn == NULL;
}

const struct smtpclient_reply *
smtpclient_error(const struct smtpclient *c)
{
	return c->failed ? &c->error : NULL;
}

unsigned int
smtpclient_ext(const struct smtpclient *c)
{
	return c->ext;
}

uint64_t
smtpclient_size_max(const struct smtpclient *c)
{
	return c->size_max;
}

int
smtpclient_tls_info(const struct smtpclient *c, char proto_out[TLS_PROTO_MAX],
    char cipher_out[TLS_CIPHER_MAX], int *bits_out)
{
	if (!c->tls_on || c->io == NULL) {
		proto_out[0] = cipher_out[0] = '\0';
		*bits_out = 0;
		return -1;
	}
	return tls_info(c->io, proto_out, cipher_out, bits_out);
}

bool
smtpclient_tls_verified(const struct smtpclient *c)
{
	return c->tls_on && c->io != NULL && tls_peer_verified(c->io);
}

int
smtpclient_rset(struct smtpclient *c, smtpclient_fn *fn, void *arg)
{
	if (!smtpclient_usable(c))
		return -1;
	c->fn = fn;
	c->arg = arg;
	smtpclient_cmd(c, "RSET", 4);
	smtpclient_wait(c, SC_RSET, smtpclient_rset_ms(c));
	return 0;
}

void
smtpclient_quit(struct smtpclient **cp)
{
	struct smtpclient *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (!smtpclient_usable(c)) {
		smtpclient_free(&c);
		return;
	}
	c->quitting = true;
	c->qnext = quitting;
	if (c->qnext != NULL)
		c->qnext->qprevp = &c->qnext;
	c->qprevp = &quitting;
	quitting = c;
	smtpclient_cmd(c, "QUIT", 4);
	smtpclient_wait(c, SC_QUIT, c->to.quit);
}

void
smtpclient_quit_all(void)
{
	while (quitting != NULL) {
		struct smtpclient *c = quitting;

		smtpclient_free(&c);
	}
}

void
smtpclient_free(struct smtpclient **cp)
{
	struct smtpclient *c = *cp;

	if (c == NULL)
		return;
	if (c->quitting) {
		*c->qprevp = c->qnext;
		if (c->qnext != NULL)
			c->qnext->qprevp = c->qprevp;
	}
	dial_cancel(&c->dial);
	lineio_free(&c->io);
	event_timer_free(&c->soon);
	smtpclient_tx_clear(c);
	buf_fini(&c->out);
	free(c->helo_name);
	free(c->peer_name);
	free(c);
	*cp = NULL;
}
