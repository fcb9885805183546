/*
 * smtpd_cmds.c - smtpd's own rows of the command table (the session core,
 * lib/mail/smtpsrv, has the commands smtpd and lmtpd answer alike): EHLO
 * and HELO, MAIL with its DSN and size parameters, and when AUTH is legal
 * (RFC 4954).  RCPT and the message go on in smtpd_rcpt.c and
 * smtpd_data.c.
 * Linked into: smtpd.  Trust: the client is hostile.
 */
#include "mail/qfile.h"
#include "smtpd.h"

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

static void
act_mail(struct smtpsrv *c, const struct smtpcmd *cmd)
{
	struct smtpd_sess *s = smtpd_sess_of(c);
	struct smtpd_tx *tx = &s->tx;

	if (s->nmessages >= s->sd->p->smtpd_session_message_limit) {
		smtpsrv_close_421(c, "Error: too many messages in one "
				     "session");
		return;
	}
	if (!smtpsrv_mail(c, cmd))
		return;
	tx->declared_size = cmd->size;
	tx->body = cmd->body == SMTPCMD_BODY_8BITMIME ? QFILE_BODY_8BITMIME :
							QFILE_BODY_7BIT;
	tx->ret = cmd->ret == SMTPCMD_RET_FULL ? QFILE_RET_FULL :
	    cmd->ret == SMTPCMD_RET_HDRS	 ? QFILE_RET_HDRS :
						   QFILE_RET_NONE;
	tx->envid = (cmd->params & SMTPCMD_P_ENVID) ?
	    decode_xtext(cmd->envid) : NULL;
}

/* Is AUTH legal now?  If not, say why. */
static bool
check_auth(struct smtpsrv *c, const struct smtpcmd *cmd, struct buf *mechs)
{
	if (c->state & (SMTPSRV_S_MAIL | SMTPSRV_S_RCPT)) {
		smtpsrv_reply(c, 503, "5.5.1", "Error: MAIL transaction in "
					       "progress");
		return false;
	}
	if (c->auth_user != NULL) {
		smtpsrv_reply(c, 503, "5.5.1", "Error: already authenticated");
		return false;
	}
	if (!c->esmtp) {
		smtpsrv_reply(c, 503, "5.5.1", "Error: send EHLO first");
		return false;
	}
	if (!c->tls && c->d->auth_enable && (c->d->tls_encrypt ||
		(mechs->len == 0 && smtpsrv_tls_offered(c)))) {
		smtpsrv_reply(c, 530, "5.7.0", "Must issue a STARTTLS command "
					       "first");
		return false;
	}
	if (mechs->len == 0) {
		smtpsrv_reply(c, 503, "5.5.1", "Error: authentication not "
					       "enabled");
		return false;
	}
	if (!smtpsrv_mech_offered(buf_span(mechs), cmd->auth_mech)) {
		smtpsrv_reply(c, 504, "5.5.4", "Unrecognized authentication "
					       "type");
		return false;
	}
	return true;
}

static void
act_auth(struct smtpsrv *c, const struct smtpcmd *cmd)
{
	struct buf mechs;
	bool ok;

	buf_init(&mechs, 256);
	smtpsrv_auth_mechs(c, &mechs);
	ok = check_auth(c, cmd, &mechs);
	buf_fini(&mechs);
	if (!ok) {
		smtpsrv_error(c);
		return;
	}
	smtpsrv_auth(c, cmd);
}

const struct smtpsrv_cmd smtpd_cmds[] = {
	{ SMTPCMD_EHLO, SMTPSRV_S_ANY, smtpsrv_hello, NULL },
	{ SMTPCMD_HELO, SMTPSRV_S_ANY, smtpsrv_hello, NULL },
	{ SMTPCMD_MAIL, SMTPSRV_S_ANY, act_mail, NULL },
	{ SMTPCMD_AUTH, SMTPSRV_S_ANY, act_auth, NULL },
	{ SMTPCMD_UNKNOWN, 0, NULL, NULL },
};
