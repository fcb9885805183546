/*
 * lmtpd_cmds.c - the LMTP commands (RFC 2033): each is checked (legal in
 * this state? valid arguments? within limits?) and only then acted on.
 * LHLO replaces HELO and EHLO, which are refused.  RCPT, DATA and BDAT go
 * on in lmtpd_rcpt.c and lmtpd_data.c.
 * Linked into: lmtpd.  Trust: the client is checked; its commands are
 * parsed by lib/mail/smtpcmd like any SMTP client's.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

#define ANY_STATE (LMTPD_S_GREET | LMTPD_S_READY | LMTPD_S_MAIL | LMTPD_S_RCPT)

static void
act_lhlo(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	const struct params *p = s->ld->p;
	struct buf text, mechs;

	(void)c;
	lmtpd_tx_reset(s);
	s->state = LMTPD_S_READY;
	buf_init(&text, 4096);
	buf_init(&mechs, 256);
	buf_addf(&text, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
			"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
			"250-SMTPUTF8\r\n",
	    p->myhostname, (unsigned long long)p->lmtpd_message_size_limit);
	if (lmtpd_tls_offered(s))
		buf_adds(&text, "250-STARTTLS\r\n");
	if (lmtpd_auth_mechs(s, &mechs) == 0 && mechs.len > 0)
		buf_addf(&text, "250-AUTH %s\r\n", (const char *)mechs.p);
	buf_adds(&text, "250 CHUNKING\r\n");
	lineio_write(s->io, text.p, text.len);
	buf_fini(&text);
	buf_fini(&mechs);
}

static void
act_helo(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	(void)c;
	lmtpd_reply(s, 500, "5.5.1", "Error: this is LMTP: send LHLO");
	lmtpd_error(s);
}

/* Why MAIL is refused now, or NULL. */
static const char *
mail_refused(struct lmtpd_sess *s, const struct smtpcmd *c, int *code,
    const char **enh)
{
	*code = 503;
	*enh = "5.5.1";
	if (s->state == LMTPD_S_GREET)
		return "Error: send LHLO first";
	if (s->state & (LMTPD_S_MAIL | LMTPD_S_RCPT))
		return "Error: nested MAIL command";
	*code = 530;
	*enh = "5.7.0";
	if (lmtpd_tls_required(s) && !s->tls)
		return "Must issue a STARTTLS command first";
	if (s->ld->p->lmtpd_auth_required && !s->local && s->auth_user == NULL)
		return "Authentication required";
	*code = 555;
	*enh = "5.5.4";
	if (c->body == SMTPCMD_BODY_BINARYMIME)
		return "Unsupported option: BODY=BINARYMIME";
	*code = 552;
	*enh = "5.3.4";
	if ((c->params & SMTPCMD_P_SIZE) &&
	    c->size > s->ld->p->lmtpd_message_size_limit)
		return "Message size exceeds fixed limit";
	*code = 553;
	*enh = "5.6.7";
	if (c->path.has_utf8 && !c->smtputf8)
		return "Must declare SMTPUTF8 to send UTF-8 addresses";
	return NULL;
}

static void
act_mail(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	const char *enh;
	const char *why;
	struct buf addr;
	int code;

	why = mail_refused(s, c, &code, &enh);
	if (why != NULL) {
		lmtpd_reply(s, code, enh, "%s", why);
		lmtpd_error(s);
		return;
	}
	buf_init(&addr, 1024);
	if (!c->path.is_null)
		smtpaddr_format(&c->path, &addr);
	s->tx.sender = buf_steal(&addr);
	s->tx.smtputf8 = c->smtputf8;
	s->state = LMTPD_S_MAIL;
	lmtpd_reply(s, 250, "2.1.0", "Ok");
}

static void
act_rcpt(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	if (c->path.has_utf8 && !s->tx.smtputf8) {
		lmtpd_reply(s, 553, "5.6.7", "Must declare SMTPUTF8 to send "
					     "UTF-8 addresses");
		lmtpd_error(s);
		return;
	}
	if (s->tx.nrcpt >= s->ld->p->lmtpd_recipient_limit) {
		lmtpd_reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	lmtpd_rcpt(s, c);
}

static void
act_data(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	(void)c;
	lmtpd_data(s);
}

static void
act_bdat(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	lmtpd_bdat(s, c);
}

static void
act_simple(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	switch (c->verb) {
	case SMTPCMD_RSET:
		lmtpd_tx_reset(s);
		lmtpd_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTPCMD_NOOP:
		lmtpd_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTPCMD_VRFY:
		/* RFC 5321 3.5.3: 252, never a directory probe. */
		lmtpd_reply(s, 252, "2.0.0", "Send some mail, I'll try my "
					     "best");
		break;
	case SMTPCMD_EXPN:
		lmtpd_reply(s, 502, "5.5.1", "Error: EXPN is disabled");
		break;
	case SMTPCMD_HELP:
		lmtpd_reply(s, 214, "2.0.0", "Commands: LHLO STARTTLS AUTH "
					     "MAIL RCPT DATA BDAT RSET NOOP "
					     "QUIT VRFY HELP");
		break;
	default:
		lmtpd_reply(s, 221, "2.0.0", "Bye");
		s->quitting = true;
		lineio_close_flush(s->io);
		break;
	}
}

static const struct cmd_rule {
	enum smtpcmd_verb verb;
	unsigned int states;
	void (*act)(struct lmtpd_sess *, const struct smtpcmd *);
	const char *out_of_state;	/* 503 text */
} rules[] = {
	{ SMTPCMD_LHLO, ANY_STATE, act_lhlo, NULL },
	{ SMTPCMD_HELO, ANY_STATE, act_helo, NULL },
	{ SMTPCMD_EHLO, ANY_STATE, act_helo, NULL },
	{ SMTPCMD_MAIL, ANY_STATE, act_mail, NULL },
	{ SMTPCMD_RCPT, LMTPD_S_MAIL | LMTPD_S_RCPT, act_rcpt,
	    "need MAIL command" },
	{ SMTPCMD_DATA, LMTPD_S_RCPT, act_data, "no valid recipients" },
	{ SMTPCMD_BDAT, ANY_STATE, act_bdat, NULL },
	{ SMTPCMD_RSET, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_NOOP, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_QUIT, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_VRFY, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_EXPN, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_HELP, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_STARTTLS, LMTPD_S_GREET | LMTPD_S_READY, lmtpd_starttls,
	    "STARTTLS inside a mail transaction" },
	{ SMTPCMD_AUTH, ANY_STATE, lmtpd_auth, NULL },
};

static void
reply_parse_error(struct lmtpd_sess *s, const struct smtpcmd *c,
    const struct why *why)
{
	const char *enh;
	char text[300];
	int code = smtpcmd_err_reply(c, why, &enh, text, sizeof(text));

	lmtpd_reply(s, code, enh, "%s", text);
}

void
lmtpd_command(struct lmtpd_sess *s, struct span line)
{
	struct smtpcmd c;
	struct why why;
	size_t i;

	if (smtpcmd_parse(line, &c, &why) == -1) {
		reply_parse_error(s, &c, &why);
		/* A BDAT whose size cannot be read: its octets would be
		 * taken as commands.  Nothing safe is left but to close. */
		if (c.verb == SMTPCMD_BDAT) {
			s->quitting = true;
			lineio_close_flush(s->io);
			return;
		}
		lmtpd_error(s);
		return;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].verb != c.verb)
			continue;
		if (!(s->state & rules[i].states)) {
			lmtpd_reply(s, 503, "5.5.1", "Error: %s",
			    rules[i].out_of_state);
			lmtpd_error(s);
			return;
		}
		rules[i].act(s, &c);
		return;
	}
	lmtpd_reply(s, 500, "5.5.2", "Error: command not recognized");
	lmtpd_error(s);
}
