/*
 * imapd_session.c - one IMAP connection: the greeting, reading commands
 * (lines and literals, through the imapcmd frame), replies, the state a
 * command needs, STARTTLS and implicit TLS, jobs on the worker pool, the
 * error count and the end.
 * Linked into: imapd.  Runs as store_owner.  Trust: everything the client
 * sends is hostile; every line and literal is bounded by the frame.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/net.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "tls/tls.h"

/* BAD replies in a row before the session is closed. */
#define IMAPD_MAX_ERRORS 20
/* Replies a client does not read are bounded too. */
#define IMAPD_MAX_PENDING (4 * 1024 * 1024)

static void session_free(struct imapd_sess *s);
static void vreply(struct imapd_sess *s, const char *head,
    const char *status, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
vreply(struct imapd_sess *s, const char *head, const char *status,
    const char *fmt, va_list ap)
{
	struct buf b;

	buf_init(&b, 16384);
	buf_addf(&b, "%s %s%s", head, status, status[0] != '\0' ? " " : "");
	buf_vaddf(&b, fmt, ap);
	buf_adds(&b, "\r\n");
	lineio_write(s->io, b.p, b.len);
	buf_fini(&b);
}

void
imapd_untagged(struct imapd_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, "*", "", fmt, ap);
	va_end(ap);
}

void
imapd_tagged(struct imapd_sess *s, const char *status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, s->tag[0] != '\0' ? s->tag : "*", status, fmt, ap);
	va_end(ap);
	if (strcmp(status, "BAD") == 0) {
		if (++s->errors >= IMAPD_MAX_ERRORS)
			imapd_bye(s, "Too many invalid commands");
	} else {
		s->errors = 0;
	}
}

void
imapd_write(struct imapd_sess *s, const void *p, size_t n)
{
	lineio_write(s->io, p, n);
}

void
imapd_bye(struct imapd_sess *s, const char *text)
{
	if (s->quitting)
		return;
	imapd_untagged(s, "BYE %s", text);
	s->quitting = true;
	lineio_close_flush(s->io);
}

void
imapd_capability(const struct imapd_sess *s, struct buf *out)
{
	buf_adds(out, "IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UIDPLUS "
		      "UNSELECT CHILDREN MOVE SPECIAL-USE CONDSTORE QRESYNC");
	buf_adds(out, " LIST-EXTENDED LIST-STATUS QUOTA QUOTA=RES-STORAGE "
		      "QUOTA=RES-MESSAGE STATUS=SIZE ESEARCH");
	if (s->state != IMAPD_NOTAUTH)
		return;
	if (!s->tls && s->d->tls_ctx != NULL)
		buf_adds(out, " STARTTLS");
	if (imapd_login_disabled(s))
		buf_adds(out, " LOGINDISABLED");
	imapd_auth_capability(s, out);
}

/* Ready for the next command. */
static void
command_done(struct imapd_sess *s)
{
	imapcmd_frame_reset(&s->frame);
	arena_reset(&s->arena);
	s->tag[0] = '\0';
}

void
imapd_job(struct imapd_sess *s, worker_fn *work, worker_fn *done,
    worker_fn *release, void *arg)
{
	if (mailjob_submit(&s->job, s->d->pool, work, done, arg) == -1) {
		imapd_tagged(s, "NO", "[UNAVAILABLE] Server busy, try again "
				      "later");
		release(arg);
	}
}

void
imapd_job_resume(struct imapd_sess *s)
{
	s->job.busy = false;
	if (s->ended) {
		session_free(s);
		return;
	}
	if (!s->quitting)
		lineio_resume(s->io);
}

void
imapd_job_end(struct imapd_sess *s)
{
	command_done(s);
	imapd_job_resume(s);
}

/* ---- commands that need no store ---- */

static void
cmd_capability(struct imapd_sess *s)
{
	struct buf b;

	buf_init(&b, 1024);
	imapd_capability(s, &b);
	imapd_untagged(s, "CAPABILITY %s", (const char *)b.p);
	buf_fini(&b);
	imapd_tagged(s, "OK", "CAPABILITY completed");
}

static void
cmd_logout(struct imapd_sess *s)
{
	imapd_untagged(s, "BYE Logging out");
	imapd_tagged(s, "OK", "LOGOUT completed");
	s->state = IMAPD_LOGOUT;
	s->quitting = true;
	lineio_close_flush(s->io);
}

static void
cmd_starttls(struct imapd_sess *s)
{
	size_t discarded = 0;
	struct why why;

	if (s->tls || s->d->tls_ctx == NULL) {
		imapd_tagged(s, "BAD", "TLS is %s", s->tls ? "already active" :
							     "not available");
		return;
	}
	imapd_tagged(s, "OK", "Begin TLS negotiation now");
	s->handshaking = true;
	if (tls_lineio_upgrade(s->io, s->d->tls_ctx, TLS_SERVER, NULL,
		&discarded, &why) == -1) {
		log_info("%s: STARTTLS failed: %s", s->id, why.msg);
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	if (discarded > 0)
		log_info("%s: %zu bytes sent before the TLS handshake "
			 "discarded", s->id, discarded);
}

static void
cmd_id(struct imapd_sess *s)
{
	imapd_untagged(s, "ID (\"name\" \"Postern\")");
	imapd_tagged(s, "OK", "ID completed");
}

static void
cmd_enable(struct imapd_sess *s)
{
	const struct imapcmd_enable *e = &s->cmd.u.enable;
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < e->ncap; i++)
		if (span_eq_nocase(e->cap[i], "UTF8=ACCEPT") &&
		    !s->utf8_accept) {
			s->utf8_accept = true;
			buf_adds(&b, " UTF8=ACCEPT");
		} else if (span_eq_nocase(e->cap[i], "CONDSTORE") &&
		    !s->condstore) {
			buf_adds(&b, " CONDSTORE");
			imapd_condstore_on(s);
		} else if (span_eq_nocase(e->cap[i], "QRESYNC") &&
		    !s->qresync) {
			/* RFC 7162 3.2.3: QRESYNC implies CONDSTORE. */
			s->qresync = true;
			buf_adds(&b, " QRESYNC");
			imapd_condstore_on(s);
		}
	imapd_untagged(s, "ENABLED%s", b.len > 0 ? (const char *)b.p : "");
	buf_fini(&b);
	imapd_tagged(s, "OK", "ENABLE completed");
}

static void
cmd_noop(struct imapd_sess *s)
{
	if (s->state == IMAPD_SELECTED) {
		imapd_updates(s, true);
		return;
	}
	imapd_tagged(s, "OK", "%s completed",
	    imapcmd_name_str(s->cmd.name));
}

static void
cmd_close(struct imapd_sess *s)
{
	imapd_close(s, s->cmd.name == IMAPCMD_CLOSE);
}

/* Commands and the states they are legal in. */
enum {
	NA = 1 << IMAPD_NOTAUTH,
	AU = 1 << IMAPD_AUTH,
	SE = 1 << IMAPD_SELECTED,
	ANY = NA | AU | SE,
};

static const struct rule {
	enum imapcmd_name name;
	unsigned states;
	void (*act)(struct imapd_sess *s);
} rules[] = {
	{ IMAPCMD_CAPABILITY, ANY, cmd_capability },
	{ IMAPCMD_NOOP, ANY, cmd_noop },
	{ IMAPCMD_LOGOUT, ANY, cmd_logout },
	{ IMAPCMD_ID, ANY, cmd_id },
	{ IMAPCMD_STARTTLS, NA, cmd_starttls },
	{ IMAPCMD_LOGIN, NA, imapd_login },
	{ IMAPCMD_AUTHENTICATE, NA, imapd_authenticate },
	{ IMAPCMD_ENABLE, AU | SE, cmd_enable },
	{ IMAPCMD_NAMESPACE, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_CREATE, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_DELETE, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_RENAME, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_SUBSCRIBE, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_UNSUBSCRIBE, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_LIST, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_LSUB, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_STATUS, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_GETQUOTA, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_GETQUOTAROOT, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_SETQUOTA, AU | SE, imapd_mailbox_cmd },
	{ IMAPCMD_SELECT, AU | SE, imapd_select },
	{ IMAPCMD_EXAMINE, AU | SE, imapd_select },
	{ IMAPCMD_CHECK, SE, cmd_noop },
	{ IMAPCMD_CLOSE, SE, cmd_close },
	{ IMAPCMD_FETCH, SE, imapd_fetch },
	{ IMAPCMD_SEARCH, SE, imapd_search },
	{ IMAPCMD_STORE, SE, imapd_change },
	{ IMAPCMD_EXPUNGE, SE, imapd_change },
	{ IMAPCMD_COPY, SE, imapd_change },
	{ IMAPCMD_MOVE, SE, imapd_change },
	{ IMAPCMD_IDLE, AU | SE, imapd_idle },
	{ IMAPCMD_APPEND, AU | SE, imapd_append },
	{ IMAPCMD_UNSELECT, SE, cmd_close },
};

static void
dispatch(struct imapd_sess *s)
{
	struct imapcmd_input in;
	const char *status, *code;
	struct why why = { "" };
	size_t i;
	int rc;

	imapcmd_frame_input(&s->frame, &in);
	rc = imapcmd_parse(&in, &s->d->lim, &s->arena, &s->cmd, &why);
	snprintf(s->tag, sizeof(s->tag), "%.*s",
	    (int)(s->cmd.tag.len < sizeof(s->tag) ? s->cmd.tag.len : 0),
	    (const char *)s->cmd.tag.p);
	if (rc == -1) {
		code = imapcmd_err_reply(s->cmd.err, false, &status);
		imapd_tagged(s, status, "%s%s%s", code, code[0] != '\0' ?
							    " " : "", why.msg);
		return;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].name == s->cmd.name)
			break;
	if (i == sizeof(rules) / sizeof(rules[0])) {
		imapd_tagged(s, "BAD", "%s is not supported",
		    imapcmd_name_str(s->cmd.name));
		return;
	}
	if (!(rules[i].states & (1u << s->state))) {
		imapd_tagged(s, "BAD", "%s is not allowed %s",
		    imapcmd_name_str(s->cmd.name),
		    s->state == IMAPD_NOTAUTH ? "before login" :
		    s->state == IMAPD_SELECTED ? "now" :
		    "without a selected mailbox");
		return;
	}
	rules[i].act(s);
}

/* ---- reading ---- */

static size_t
on_raw(void *arg, struct span data)
{
	struct imapd_sess *s = arg;
	size_t n = imapcmd_frame_literal(&s->frame, data);

	if (s->frame.need == 0)
		lineio_raw(s->io, NULL);
	return n;
}

static void
on_line(void *arg, struct span line)
{
	struct imapd_sess *s = arg;
	const char *status, *code;

	if (lineio_pending(s->io) > IMAPD_MAX_PENDING) {
		log_info("%s: client does not read its replies", s->id);
		s->quitting = true;
		lineio_close_flush(s->io);
		return;
	}
	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	if (s->idling) {
		imapd_idle_line(s, line);
		return;
	}
	if (s->auth != NULL) {
		imapd_auth_line(s, line);
		return;
	}
	switch (imapcmd_frame_line(&s->frame, line)) {
	case IMAPCMD_FRAME_LITERAL:
		if (!s->frame.nonsync)
			lineio_write(s->io, "+ Ready for literal data\r\n", 26);
		lineio_raw(s->io, on_raw);
		return;
	case IMAPCMD_FRAME_DONE:
		dispatch(s);
		if (!s->job.busy)
			command_done(s);
		return;
	case IMAPCMD_FRAME_REFUSED:
		snprintf(s->tag, sizeof(s->tag), "%.*s",
		    (int)(s->frame.tag.len < sizeof(s->tag) ?
			    s->frame.tag.len : 0),
		    (const char *)s->frame.tag.p);
		code = imapcmd_err_reply(s->frame.err, s->frame.nonsync,
		    &status);
		imapd_tagged(s, status, "%s%s%s", code,
		    code[0] != '\0' ? " " : "", s->frame.why.msg);
		s->tag[0] = '\0';
		break;
	case IMAPCMD_FRAME_SKIPPED:
		break;
	}
	if (s->frame.need > 0)
		lineio_raw(s->io, on_raw);
}

static void
greet(struct imapd_sess *s)
{
	struct buf b;

	if (s->over_limit) {
		imapd_bye(s, "[UNAVAILABLE] Too many connections");
		return;
	}
	buf_init(&b, 1024);
	imapd_capability(s, &b);
	imapd_untagged(s, "OK [CAPABILITY %s] %s IMAP Postern ready",
	    (const char *)b.p, s->d->p->myhostname);
	buf_fini(&b);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct imapd_sess *s = arg;
	struct why why;

	if (ev == LINEIO_TOO_LONG && s->auth != NULL) {
		imapd_auth_too_long(s);
		return;
	}
	if (ev == LINEIO_TOO_LONG) {
		imapcmd_frame_reset(&s->frame);
		s->tag[0] = '\0';
		imapd_tagged(s, "BAD", "[LIMIT] Line too long");
		return;
	}
	if (ev == LINEIO_READY) {
		bool first = !s->tls && s->d->p->imapd_tls_wrappermode;

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
	if (ev == LINEIO_TIMEOUT)
		log_info("%s: autologout after %llus idle", s->id,
		    (unsigned long long)s->d->p->imapd_timeout);
	log_info("%s: disconnect from [%s]:%u%s%s", s->id, s->client_addr,
	    s->client_port, s->user != NULL ? " user=" : "",
	    s->user != NULL ? s->user : "");
	s->ended = true;
	/* A job waiting for the client to read is released with it. */
	if (!s->job.busy || mailjob_waiting(&s->job))
		session_free(s);
}

static void
session_free(struct imapd_sess *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->d->nsessions--;
	mailjob_release(&s->job);
	imapd_idle_end(s);
	imapd_auth_end(s);
	imapd_limit_end(s);
	imapd_view_free(&s->view);
	store_free(&s->store);
	free(s->user);
	imapcmd_frame_fini(&s->frame);
	arena_reset(&s->arena);
	lineio_free(&s->io);
	free(s);
}

void
imapd_session_new(struct imapd *d, int fd)
{
	static unsigned long counter;
	struct imapd_sess *s = xcalloc(1, sizeof(*s));
	const struct params *p = d->p;
	struct why why;

	s->d = d;
	snprintf(s->id, sizeof(s->id), "I%lx", ++counter);
	net_peer_text(fd, s->client_addr, sizeof(s->client_addr),
	    &s->client_port);
	if (p->imapd_tls_wrappermode) {
		s->handshaking = true;
		s->io = tls_lineio_new_server(d->svc->base, fd, d->tls_ctx,
		    d->lim.max_line + 2, p->imapd_timeout * 1000, on_line,
		    on_event, s, &why);
	} else {
		s->io = lineio_new(d->svc->base, fd, d->lim.max_line + 2,
		    p->imapd_timeout * 1000, on_line, on_event, s);
	}
	if (s->io == NULL) {
		log_warn("%s: [%s]: cannot set up the connection", s->id,
		    s->client_addr);
		free(s);
		return;
	}
	s->job.io = s->io;
	lineio_set_farewell(s->io, "* BYE Autologout; idle for too long\r\n");
	imapcmd_frame_init(&s->frame, &d->lim);
	arena_init(&s->arena, d->lim.max_command + 1024 * 1024);
	s->state = IMAPD_NOTAUTH;
	s->next = d->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &d->sessions;
	d->sessions = s;
	d->nsessions++;
	log_info("%s: connect from [%s]:%u", s->id, s->client_addr,
	    s->client_port);
	/* Counted from the start, TLS handshakes included; the BYE is the
	 * greeting. */
	s->over_limit = !imapd_limit_connect(s);
	if (!p->imapd_tls_wrappermode)
		greet(s);
}

void
imapd_session_free_all(struct imapd *d)
{
	while (d->sessions != NULL)
		session_free(d->sessions);
	imapd_idle_fini(d);
}
