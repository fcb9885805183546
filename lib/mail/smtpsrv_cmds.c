/*
 * smtpsrv_cmds.c - the commands of the SMTP/LMTP session core: each is
 * parsed, checked (legal in this state?) and only then acted on (STYLE.md
 * 7); the daemon's own rows come first, then the commands both daemons
 * answer alike: the EHLO/LHLO reply, MAIL's checks, RSET NOOP VRFY EXPN
 * HELP QUIT, STARTTLS (RFC 3207), and the message text: DATA (ended only
 * by CRLF.CRLF) and BDAT chunks (RFC 3030) through the decoder of
 * lib/mail/smtpdata with the daemon's limits, then ops->message.  A
 * refused BDAT still has its octets read, and dropped, before its reply.
 *
 * After STARTTLS every byte the client sent before the handshake is
 * thrown away (CVE-2011-0411: commands pipelined after STARTTLS in clear
 * must never be taken as sent under TLS), and the session starts over:
 * the client must greet again (RFC 3207 4.2).  A handshake that fails or
 * stalls ends that connection only.
 *
 * Linked into: smtpd, lmtpd.  Trust: the client is hostile; its lines are
 * parsed by lib/mail/smtpcmd, its message text is bounded by the daemon's
 * size and line limits.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "mail/smtpsrv_impl.h"
#include "tls/tls.h"

static void
act_simple(struct smtpsrv *s, const struct smtpcmd *c)
{
	switch (c->verb) {
	case SMTPCMD_RSET:
		smtpsrv_tx_reset(s);
		smtpsrv_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTPCMD_NOOP:
		smtpsrv_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTPCMD_VRFY:
		/* RFC 5321 3.5.3: 252, never a directory probe. */
		smtpsrv_reply(s, 252, "2.0.0", "Send some mail, I'll try my "
					       "best");
		break;
	case SMTPCMD_EXPN:
		smtpsrv_reply(s, 502, "5.5.1", "Error: EXPN is disabled");
		break;
	case SMTPCMD_HELP:
		smtpsrv_reply(s, 214, "2.0.0", "%s", s->d->ops->help);
		break;
	default:
		smtpsrv_reply(s, 221, "2.0.0", "Bye");
		smtpsrv_quit(s);
		break;
	}
}

static void
act_rcpt(struct smtpsrv *s, const struct smtpcmd *c)
{
	if (c->path.has_utf8 && !s->smtputf8) {
		smtpsrv_reply(s, 553, "5.6.7", "Must declare SMTPUTF8 to send "
					       "UTF-8 addresses");
		smtpsrv_error(s);
		return;
	}
	s->d->ops->rcpt(s, c);
}

bool
smtpsrv_rcpt_done(struct smtpsrv *s, int code, const char *enh,
    const char *text)
{
	if (s->ended)
		return false;
	smtpsrv_reply(s, code, enh, "%s", text);
	if (code != 250)
		return false;
	s->state = SMTPSRV_S_RCPT;
	return true;
}

/* The parser refuses arguments to STARTTLS. */
static void
act_starttls(struct smtpsrv *s, const struct smtpcmd *c)
{
	struct why why;
	size_t discarded = 0;

	(void)c;
	if (!smtpsrv_tls_offered(s)) {
		smtpsrv_reply(s, s->tls ? 554 : 502, "5.5.1", "Error: %s",
		    s->tls ? "TLS already active" : "command not implemented");
		smtpsrv_error(s);
		return;
	}
	smtpsrv_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* RFC 3207 4.2: forget everything learnt from the client. */
	smtpsrv_tx_reset(s);
	smtpsrv_auth_reset(s);
	s->state = SMTPSRV_S_GREET;
	s->esmtp = false;
	s->helo[0] = '\0';
	if (s->d->starttls_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->starttls_timeout_ms);
	if (tls_lineio_upgrade(s->io, s->d->tls_ctx, TLS_SERVER, NULL,
		&discarded, &why) == -1) {
		log_info("%s: STARTTLS: %s", s->id, why.msg);
		return;
	}
	s->handshaking = true;
	if (discarded > 0)
		log_warn("%s: %zu bytes sent in clear after STARTTLS were "
			 "discarded (command injection attempt?)", s->id,
		    discarded);
}

int
smtpsrv_ehlo_text(struct buf *out, const char *host, uint64_t size,
    const char *extensions, bool starttls, struct span mechs)
{
	int r;

	/* RFC 5321 4.1.1.1: the extensions, one per line. */
	r = buf_addf(out, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
			  "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
			  "250-SMTPUTF8\r\n%s",
	    host, (unsigned long long)size, extensions);
	if (r == 0 && starttls)
		r = buf_adds(out, "250-STARTTLS\r\n");
	if (r == 0 && mechs.len > 0)
		r = buf_addf(out, "250-AUTH %.*s\r\n", (int)mechs.len,
		    (const char *)mechs.p);
	return r == 0 ? buf_adds(out, "250 CHUNKING\r\n") : -1;
}

void
smtpsrv_hello(struct smtpsrv *s, const struct smtpcmd *c)
{
	struct buf text, mechs;

	snprintf(s->helo, sizeof(s->helo), "%.*s", (int)c->arg.len,
	    (const char *)c->arg.p);
	smtpsrv_tx_reset(s);
	s->state = SMTPSRV_S_READY;
	s->esmtp = c->verb != SMTPCMD_HELO;
	if (!s->esmtp) {
		smtpsrv_reply(s, 250, NULL, "%s", s->d->p->myhostname);
		return;
	}
	buf_init(&text, 4096);
	buf_init(&mechs, 256);
	if (smtpsrv_auth_mechs(s, &mechs) == -1)
		buf_reset(&mechs);
	smtpsrv_ehlo_text(&text, s->d->p->myhostname,
	    s->d->message_size_limit, s->d->ops->extensions,
	    smtpsrv_tls_offered(s), buf_span(&mechs));
	lineio_write(s->io, text.p, text.len);
	buf_fini(&text);
	buf_fini(&mechs);
}

/* Why MAIL is refused now (with its code and enh), or NULL. */
static const char *
mail_refused(const struct smtpsrv *s, const struct smtpcmd *c, int *code,
    const char **enh)
{
	const struct smtpsrv_daemon *d = s->d;

	*code = 503;
	*enh = "5.5.1";
	if (s->state & (SMTPSRV_S_MAIL | SMTPSRV_S_RCPT))
		return "Error: nested MAIL command";
	if (s->state == SMTPSRV_S_GREET && d->helo_required)
		return d->ops->hello_first;
	*code = 530;
	*enh = "5.7.0";
	if (!s->tls && smtpsrv_tls_required(s))
		return "Must issue a STARTTLS command first";
	if (d->auth_required && s->auth_user == NULL && !s->local)
		return "Authentication required";
	*code = 555;
	*enh = "5.5.4";
	if (c->params != 0 && !s->esmtp)
		return "Error: ESMTP parameters need EHLO";
	if (c->body == SMTPCMD_BODY_BINARYMIME)
		return "Unsupported option: BODY=BINARYMIME";
	*code = 552;
	*enh = "5.3.4";
	if ((c->params & SMTPCMD_P_SIZE) && c->size > d->message_size_limit)
		return "Message size exceeds fixed limit";
	*code = 553;
	*enh = "5.6.7";
	if (c->path.has_utf8 && !c->smtputf8)
		return "Must declare SMTPUTF8 to send UTF-8 addresses";
	return NULL;
}

bool
smtpsrv_mail(struct smtpsrv *s, const struct smtpcmd *c)
{
	const char *enh;
	const char *why;
	struct buf addr;
	int code;

	why = mail_refused(s, c, &code, &enh);
	if (why != NULL) {
		smtpsrv_reply(s, code, enh, "%s", why);
		smtpsrv_error(s);
		return false;
	}
	buf_init(&addr, 1024);
	if (!c->path.is_null)
		smtpaddr_format(&c->path, &addr);
	s->sender = buf_steal(&addr);
	s->smtputf8 = c->smtputf8;
	s->state = SMTPSRV_S_MAIL;
	smtpsrv_reply(s, 250, "2.1.0", "Ok");
	return true;
}

static void
append_out(void *arg, struct span body)
{
	struct smtpsrv *s = arg;

	/* Cannot fail: text's max is above the message size limit. */
	buf_addspan(&s->text, body);
}

/* Read message text, raw, with the data timeout. */
static void
read_raw(struct smtpsrv *s, lineio_raw_fn *fn)
{
	s->in_data = true;
	if (s->d->data_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->data_timeout_ms);
	lineio_raw(s->io, fn);
}

/* Message text is over: commands again, with the command timeout. */
static void
end_raw(struct smtpsrv *s)
{
	lineio_raw(s->io, NULL);
	s->in_data = false;
	if (s->d->data_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->timeout_ms);
}

/* The end of the text: refused, or whole. */
static void
finish(struct smtpsrv *s, enum smtpdata_status st)
{
	const char *enh = NULL;
	const char *text = NULL;
	int code = smtpdata_refusal(st, &enh, &text);

	end_raw(s);
	s->d->ops->message(s, code, enh, text);
}

static void
start(struct smtpsrv *s, bool bdat)
{
	const struct smtpsrv_daemon *d = s->d;
	struct smtpdata_limits lim = {
		.max_size = d->message_size_limit,
		.max_line_length = d->data_line_limit,
		.max_header_size = d->header_size_limit,
	};
	unsigned flags = s->bare_newline_ok ? SMTPDATA_RELAXED : 0;

	if (bdat)
		smtpdata_bdat_init(&s->data, &lim, flags);
	else
		smtpdata_init(&s->data, &lim, flags);
	buf_reset(&s->text);
}

static size_t
on_data(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = smtpdata_feed(&s->data, data, append_out, s);
	enum smtpdata_status st = smtpdata_status(&s->data);

	if (st != SMTPDATA_MORE)
		finish(s, st);
	return took;
}

static void
act_data(struct smtpsrv *s, const struct smtpcmd *c)
{
	(void)c;
	if (!(s->state & SMTPSRV_S_RCPT)) {
		smtpsrv_reply(s, 503, "5.5.1", "Error: %s", s->d->ops->no_rcpt);
		smtpsrv_error(s);
		return;
	}
	if (s->bdat) {
		smtpsrv_reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		smtpsrv_error(s);
		return;
	}
	start(s, false);
	smtpsrv_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	read_raw(s, on_data);
}

/* A chunk is complete: the message is refused, finished, or goes on. */
static void
chunk_done(struct smtpsrv *s)
{
	struct smtpdata *d = &s->data;

	if (smtpdata_failed(d) || d->chunk_last) {
		finish(s, smtpdata_failed(d) ? d->err : smtpdata_status(d));
		return;
	}
	end_raw(s);
	smtpsrv_reply(s, 250, "2.0.0", "Ok: %llu octets received",
	    (unsigned long long)s->chunk_size);
}

static size_t
on_bdat(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = smtpdata_bdat_feed(&s->data, data, append_out, s);

	if (!smtpdata_bdat_in_chunk(&s->data))
		chunk_done(s);
	return took;
}

/* A refused BDAT: its octets are read and dropped, then the reply. */
static size_t
on_discard(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = data.len < s->discard_left ? data.len :
						  (size_t)s->discard_left;

	s->discard_left -= took;
	if (s->discard_left == 0) {
		end_raw(s);
		smtpsrv_reply(s, 503, "5.5.1", "%s", s->discard_text);
	}
	return took;
}

static void
act_bdat(struct smtpsrv *s, const struct smtpcmd *c)
{
	/* The octets follow the command whatever the answer (RFC 3030). */
	if (!(s->state & SMTPSRV_S_RCPT)) {
		snprintf(s->discard_text, sizeof(s->discard_text), "Error: %s",
		    s->state & SMTPSRV_S_MAIL ? s->d->ops->no_rcpt :
						"need MAIL command");
		s->discard_left = c->bdat_size;
		if (c->bdat_size == 0)
			smtpsrv_reply(s, 503, "5.5.1", "%s", s->discard_text);
		else
			read_raw(s, on_discard);
		smtpsrv_error(s);
		return;
	}
	if (!s->bdat)
		start(s, true);
	s->bdat = true;
	smtpdata_bdat_chunk(&s->data, c->bdat_size, c->bdat_last);
	s->chunk_size = c->bdat_size;
	if (c->bdat_size == 0) {
		smtpdata_bdat_feed(&s->data, span_make("", 0), append_out, s);
		chunk_done(s);
		return;
	}
	read_raw(s, on_bdat);
}

static const struct smtpsrv_cmd shared_cmds[] = {
	{ SMTPCMD_RCPT, SMTPSRV_S_MAIL | SMTPSRV_S_RCPT, act_rcpt,
	    "need MAIL command" },
	{ SMTPCMD_DATA, SMTPSRV_S_ANY, act_data, NULL },
	{ SMTPCMD_BDAT, SMTPSRV_S_ANY, act_bdat, NULL },
	{ SMTPCMD_RSET, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_NOOP, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_QUIT, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_VRFY, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_EXPN, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_HELP, SMTPSRV_S_ANY, act_simple, NULL },
	{ SMTPCMD_STARTTLS, SMTPSRV_S_GREET | SMTPSRV_S_READY, act_starttls,
	    "STARTTLS inside a mail transaction" },
	{ SMTPCMD_UNKNOWN, 0, NULL, NULL },
};

static const struct smtpsrv_cmd *
find(const struct smtpsrv_cmd *t, enum smtpcmd_verb verb)
{
	for (; t->act != NULL; t++)
		if (t->verb == verb)
			return t;
	return NULL;
}

static void
reply_parse_error(struct smtpsrv *s, const struct smtpcmd *c,
    const struct why *why)
{
	const char *enh;
	char text[300];
	int code = smtpcmd_err_reply(c, why, &enh, text, sizeof(text));

	smtpsrv_reply(s, code, enh, "%s", text);
}

void
smtpsrv_command(struct smtpsrv *s, struct span line)
{
	const struct smtpsrv_cmd *r;
	struct smtpcmd c;
	struct why why;

	if (smtpcmd_parse(line, &c, &why) == -1) {
		reply_parse_error(s, &c, &why);
		/* A BDAT whose size cannot be read: its octets would be
		 * taken as commands.  Nothing safe is left but to close. */
		if (c.verb == SMTPCMD_BDAT) {
			smtpsrv_quit(s);
			return;
		}
		smtpsrv_error(s);
		return;
	}
	/* Only MAIL and RCPT may use the allowance for ESMTP parameters. */
	if (s->d->command_line_limit != 0 &&
	    line.len + 2 > s->d->command_line_limit &&
	    c.verb != SMTPCMD_MAIL && c.verb != SMTPCMD_RCPT) {
		smtpsrv_reply(s, 500, "5.5.2", "Error: line too long");
		smtpsrv_error(s);
		return;
	}
	r = find(s->d->ops->cmds, c.verb);
	if (r == NULL)
		r = find(shared_cmds, c.verb);
	if (r == NULL) {
		smtpsrv_reply(s, 500, "5.5.2", "Error: command not recognized");
		smtpsrv_error(s);
		return;
	}
	if (!(s->state & r->states)) {
		smtpsrv_reply(s, 503, "5.5.1", "Error: %s", r->out_of_state);
		smtpsrv_error(s);
		return;
	}
	r->act(s, &c);
}
