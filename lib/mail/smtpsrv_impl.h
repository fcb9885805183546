/*
 * smtpsrv_impl.h - what the files of the session core (smtpsrv.c,
 * smtpsrv_cmds.c, smtpsrv_auth.c) call across each other.  Not for use
 * outside lib/mail/smtpsrv*.
 * Linked into: smtpd, lmtpd.  Trust: not applicable.
 */
#ifndef POSTERN_SMTPSRV_IMPL_H
#define POSTERN_SMTPSRV_IMPL_H

#include "mail/smtpsrv.h"

/* A command line: the daemon's rows, then the shared ones. */
void	smtpsrv_command(struct smtpsrv *s, struct span line);
/* A line while auth_pending: the client's SASL response. */
void	smtpsrv_auth_response(struct smtpsrv *s, struct span line);
/* Forget the AUTH state (STARTTLS, the end of the session). */
void	smtpsrv_auth_reset(struct smtpsrv *s);

#endif
