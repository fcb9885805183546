/*
 * lmtpd_cmds.c - lmtpd's own rows of the command table (RFC 2033; the
 * session core, lib/mail/smtpsrv, has the commands lmtpd and smtpd answer
 * alike): LHLO, which replaces HELO and EHLO (refused), MAIL, and when
 * AUTH is legal.  RCPT and the data go on in lmtpd_rcpt.c and
 * lmtpd_deliver.c.
 * Linked into: lmtpd.  Trust: the client is checked; its commands are
 * parsed by lib/mail/smtpcmd like any SMTP client's.
 */
#include "lmtpd.h"

static void
act_helo(struct smtpsrv *c, const struct smtpcmd *cmd)
{
	(void)cmd;
	smtpsrv_reply(c, 500, "5.5.1", "Error: this is LMTP: send LHLO");
	smtpsrv_error(c);
}

static void
act_mail(struct smtpsrv *c, const struct smtpcmd *cmd)
{
	(void)smtpsrv_mail(c, cmd);
}

/* Why AUTH is refused now (code and text), or 0. */
static int
refused(struct smtpsrv *c, const struct smtpcmd *cmd, const char **text)
{
	struct buf mechs;
	int code = 504;

	*text = "Unrecognized authentication type";
	if (c->state & (SMTPSRV_S_MAIL | SMTPSRV_S_RCPT) ||
	    c->auth_user != NULL || c->state == SMTPSRV_S_GREET) {
		*text = c->state == SMTPSRV_S_GREET ? "Error: send LHLO first" :
		    c->auth_user != NULL ? "Error: already authenticated" :
		    "Error: MAIL transaction in progress";
		return 503;
	}
	if (c->d->auth_enable && smtpsrv_tls_required(c) && !c->tls) {
		*text = "Must issue a STARTTLS command first";
		return 530;
	}
	buf_init(&mechs, 256);
	smtpsrv_auth_mechs(c, &mechs);
	if (mechs.len == 0) {
		*text = "Error: authentication not enabled";
		code = 503;
	}
	if (smtpsrv_mech_offered(buf_span(&mechs), cmd->auth_mech))
		code = 0;
	buf_fini(&mechs);
	return code;
}

static void
act_auth(struct smtpsrv *c, const struct smtpcmd *cmd)
{
	const char *text;
	int code = refused(c, cmd, &text);

	if (code != 0) {
		smtpsrv_reply(c, code, code == 530 ? "5.7.0" : code == 504 ?
		    "5.5.4" : "5.5.1", "%s", text);
		smtpsrv_error(c);
		return;
	}
	smtpsrv_auth(c, cmd);
}

const struct smtpsrv_cmd lmtpd_cmds[] = {
	{ SMTPCMD_LHLO, SMTPSRV_S_ANY, smtpsrv_hello, NULL },
	{ SMTPCMD_HELO, SMTPSRV_S_ANY, act_helo, NULL },
	{ SMTPCMD_EHLO, SMTPSRV_S_ANY, act_helo, NULL },
	{ SMTPCMD_MAIL, SMTPSRV_S_ANY, act_mail, NULL },
	{ SMTPCMD_AUTH, SMTPSRV_S_ANY, act_auth, NULL },
	{ SMTPCMD_UNKNOWN, 0, NULL, NULL },
};
