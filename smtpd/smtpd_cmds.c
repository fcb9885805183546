/*
 * smtpd_cmds.c - the SMTP commands: each is checked (legal in this state?
 * valid arguments? within limits?) and only then acted on (STYLE.md 7).
 * RCPT and DATA go on in smtpd_rcpt.c and smtpd_data.c.
 * Linked into: smtpd.  Trust: the client is hostile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "smtpd.h"

#define ANY_STATE (SMTPD_S_GREET | SMTPD_S_READY | SMTPD_S_MAIL | SMTPD_S_RCPT)

static void
act_helo(struct smtpd_sess *s, const struct smtpcmd *c)
{
	const struct params *p = s->sd->p;

	snprintf(s->helo, sizeof(s->helo), "%.*s", (int)c->arg.len,
	    (const char *)c->arg.p);
	smtpd_tx_reset(s);
	s->state = SMTPD_S_READY;
	s->esmtp = c->verb == SMTPCMD_EHLO;
	if (!s->esmtp) {
		smtpd_reply(s, 250, NULL, "%s", p->myhostname);
		return;
	}
	/* RFC 5321 4.1.1.1: the extensions, one per line. */
	{
		struct buf text, mechs;

		buf_init(&text, 4096);
		buf_init(&mechs, 256);
		buf_addf(&text, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
				"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
				"250-SMTPUTF8\r\n250-DSN\r\n",
		    p->myhostname, (unsigned long long)p->message_size_limit);
		if (smtpd_tls_offered(s))
			buf_adds(&text, "250-STARTTLS\r\n");
		if (smtpd_auth_mechs(s, &mechs) == 0 && mechs.len > 0)
			buf_addf(&text, "250-AUTH %s\r\n", (const char *)mechs.p);
		buf_adds(&text, "250 CHUNKING\r\n");
		lineio_write(s->io, text.p, text.len);
		buf_fini(&text);
		buf_fini(&mechs);
	}
}

static char *
decode_xtext(struct span raw)
{
	struct buf out;

	buf_init(&out, 1024);
	if (smtpcmd_xtext_decode(raw, &out) == -1) {
		buf_fini(&out);
		return NULL;
	}
	return buf_steal(&out);
}

static bool
check_mail(struct smtpd_sess *s, const struct smtpcmd *c)
{
	const struct params *p = s->sd->p;

	if (s->state & (SMTPD_S_MAIL | SMTPD_S_RCPT)) {
		smtpd_reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return false;
	}
	if (s->state == SMTPD_S_GREET && p->smtpd_helo_required) {
		smtpd_reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		return false;
	}
	if (!s->tls && !s->local &&
	    strcmp(p->smtpd_tls_security_level, "encrypt") == 0) {
		smtpd_reply(s, 530, "5.7.0", "Must issue a STARTTLS command "
					     "first");
		return false;
	}
	if (p->smtpd_auth_required && s->auth_user == NULL && !s->local) {
		smtpd_reply(s, 530, "5.7.0", "Authentication required");
		return false;
	}
	if (c->params != 0 && !s->esmtp) {
		smtpd_reply(s, 555, "5.5.4", "Error: ESMTP parameters need "
					     "EHLO");
		return false;
	}
	if (c->body == SMTPCMD_BODY_BINARYMIME) {
		smtpd_reply(s, 555, "5.5.4", "Unsupported option: "
					     "BODY=BINARYMIME");
		return false;
	}
	if ((c->params & SMTPCMD_P_SIZE) && c->size > p->message_size_limit) {
		smtpd_reply(s, 552, "5.3.4", "Message size exceeds fixed "
					     "limit");
		return false;
	}
	if (c->path.has_utf8 && !c->smtputf8) {
		smtpd_reply(s, 553, "5.6.7", "Must declare SMTPUTF8 to send "
					     "UTF-8 addresses");
		return false;
	}
	return true;
}

static void
act_mail(struct smtpd_sess *s, const struct smtpcmd *c)
{
	struct smtpd_tx *tx = &s->tx;
	struct buf addr;

	if (s->nmessages >= s->sd->p->smtpd_session_message_limit) {
		smtpd_close_421(s, "4.7.0", "Error: too many messages in one "
					    "session");
		return;
	}
	if (!check_mail(s, c)) {
		smtpd_error(s);
		return;
	}
	buf_init(&addr, 1024);
	if (!c->path.is_null)
		smtpaddr_format(&c->path, &addr);
	tx->sender = buf_steal(&addr);
	tx->declared_size = c->size;
	tx->smtputf8 = c->smtputf8;
	tx->body = c->body == SMTPCMD_BODY_8BITMIME ? QFILE_BODY_8BITMIME :
						      QFILE_BODY_7BIT;
	tx->ret = c->ret == SMTPCMD_RET_FULL ? QFILE_RET_FULL :
	    c->ret == SMTPCMD_RET_HDRS	     ? QFILE_RET_HDRS :
					       QFILE_RET_NONE;
	tx->envid = (c->params & SMTPCMD_P_ENVID) ? decode_xtext(c->envid) :
						    NULL;
	s->state = SMTPD_S_MAIL;
	smtpd_reply(s, 250, "2.1.0", "Ok");
}

static void
act_rcpt(struct smtpd_sess *s, const struct smtpcmd *c)
{
	if (c->path.has_utf8 && !s->tx.smtputf8) {
		smtpd_reply(s, 553, "5.6.7", "Must declare SMTPUTF8 to send "
					     "UTF-8 addresses");
		smtpd_error(s);
		return;
	}
	if (s->tx.nrcpt >= s->sd->p->smtpd_recipient_limit) {
		smtpd_reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	smtpd_rcpt(s, c);
}

static void
act_data(struct smtpd_sess *s, const struct smtpcmd *c)
{
	(void)c;
	smtpd_data(s);
}

static void
act_rset(struct smtpd_sess *s, const struct smtpcmd *c)
{
	(void)c;
	smtpd_tx_reset(s);
	smtpd_reply(s, 250, "2.0.0", "Ok");
}

static void
act_simple(struct smtpd_sess *s, const struct smtpcmd *c)
{
	switch (c->verb) {
	case SMTPCMD_NOOP:
		smtpd_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTPCMD_VRFY:
		/* RFC 5321 3.5.3: 252, never a directory probe. */
		smtpd_reply(s, 252, "2.0.0", "Send some mail, I'll try my "
					     "best");
		break;
	case SMTPCMD_EXPN:
		smtpd_reply(s, 502, "5.5.1", "Error: EXPN is disabled");
		break;
	case SMTPCMD_HELP:
		smtpd_reply(s, 214, "2.0.0", "Commands: EHLO HELO STARTTLS "
					     "AUTH MAIL RCPT DATA BDAT RSET "
					     "NOOP QUIT VRFY HELP");
		break;
	default:
		smtpd_reply(s, 221, "2.0.0", "Bye");
		s->quitting = true;
		lineio_close_flush(s->io);
		break;
	}
}

static void
act_bdat(struct smtpd_sess *s, const struct smtpcmd *c)
{
	smtpd_bdat(s, c);
}

static const struct cmd_rule {
	enum smtpcmd_verb verb;
	unsigned int states;
	void (*act)(struct smtpd_sess *, const struct smtpcmd *);
	const char *out_of_state;	/* 503 text */
} rules[] = {
	{ SMTPCMD_EHLO, ANY_STATE, act_helo, NULL },
	{ SMTPCMD_HELO, ANY_STATE, act_helo, NULL },
	{ SMTPCMD_MAIL, ANY_STATE, act_mail, NULL },
	{ SMTPCMD_RCPT, SMTPD_S_MAIL | SMTPD_S_RCPT, act_rcpt,
	    "need MAIL command" },
	{ SMTPCMD_DATA, SMTPD_S_RCPT, act_data, "need RCPT command" },
	{ SMTPCMD_RSET, ANY_STATE, act_rset, NULL },
	{ SMTPCMD_NOOP, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_QUIT, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_VRFY, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_EXPN, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_HELP, ANY_STATE, act_simple, NULL },
	{ SMTPCMD_BDAT, ANY_STATE, act_bdat, NULL },
	{ SMTPCMD_STARTTLS, SMTPD_S_GREET | SMTPD_S_READY, smtpd_starttls,
	    "STARTTLS inside a mail transaction" },
	{ SMTPCMD_AUTH, ANY_STATE, smtpd_auth, NULL },
};

static void
reply_parse_error(struct smtpd_sess *s, const struct smtpcmd *c,
    const struct why *why)
{
	const char *enh;
	char text[300];
	int code = smtpcmd_err_reply(c, why, &enh, text, sizeof(text));

	smtpd_reply(s, code, enh, "%s", text);
}

void
smtpd_command(struct smtpd_sess *s, struct span line)
{
	const struct params *p = s->sd->p;
	struct smtpcmd c;
	struct why why;
	size_t i;

	if (smtpcmd_parse(line, &c, &why) == -1) {
		reply_parse_error(s, &c, &why);
		/* A BDAT whose size we cannot read: its octets would be
		 * taken as commands.  Nothing safe is left but to close. */
		if (c.verb == SMTPCMD_BDAT) {
			s->quitting = true;
			lineio_close_flush(s->io);
			return;
		}
		smtpd_error(s);
		return;
	}
	/* Only MAIL and RCPT may use the allowance for ESMTP parameters. */
	if (line.len + 2 > p->smtpd_command_line_limit &&
	    c.verb != SMTPCMD_MAIL && c.verb != SMTPCMD_RCPT) {
		smtpd_reply(s, 500, "5.5.2", "Error: line too long");
		smtpd_error(s);
		return;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].verb != c.verb)
			continue;
		if (!(s->state & rules[i].states)) {
			smtpd_reply(s, 503, "5.5.1", "Error: %s",
			    rules[i].out_of_state);
			smtpd_error(s);
			return;
		}
		rules[i].act(s, &c);
		return;
	}
	smtpd_reply(s, 500, "5.5.2", "Error: command not recognized");
	smtpd_error(s);
}
