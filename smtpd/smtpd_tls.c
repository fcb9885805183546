/*
 * smtpd_tls.c - TLS in smtpd: the server context (made at start-up, before
 * the chroot, while the key is readable), STARTTLS (RFC 3207) and
 * implicit TLS (RFC 8314, smtpd_tls_wrappermode).
 *
 * After STARTTLS every byte the client sent before the handshake is
 * thrown away (CVE-2011-0411: commands pipelined after STARTTLS in
 * clear must never be taken as sent under TLS), and the session starts
 * over: the client must send EHLO again (RFC 3207 4.2).  A handshake
 * that fails or stalls ends that connection only.
 *
 * Linked into: smtpd.  Trust: the client is hostile; the certificate and
 * key are the admin's.
 */
#include <string.h>

#include "base/log.h"
#include "smtpd.h"
#include "tls/tls.h"

int
smtpd_tls_init(struct smtpd *sd)
{
	struct tls_conf conf;
	struct why why;

	params_tls_conf(sd->p, &conf);
	if (tls_server_ctx_level(&conf, sd->p->smtpd_tls_security_level,
		sd->p->smtpd_tls_wrappermode, &sd->tls_ctx, &why) == -1) {
		log_error("TLS is required but unavailable: %s", why.msg);
		return -1;
	}
	if (sd->tls_ctx == NULL && why.msg[0] != '\0')
		log_warn("STARTTLS not offered: %s", why.msg);
	return 0;
}

void
smtpd_tls_fini(struct smtpd *sd)
{
	tls_ctx_free(&sd->tls_ctx);
}

bool
smtpd_tls_offered(const struct smtpd_sess *s)
{
	return s->sd->tls_ctx != NULL && !s->tls;
}

/* The handshake is done: note what was negotiated. */
void
smtpd_tls_ready(struct smtpd_sess *s)
{
	s->handshaking = false;
	if (tls_info(s->io, s->tls_proto, s->tls_cipher, &s->tls_bits) == -1)
		return;
	s->tls = true;
	lineio_set_idle(s->io, s->sd->p->smtpd_timeout * 1000);
	log_info("%s: TLS established: %s with cipher %s (%d bits)", s->id,
	    s->tls_proto, s->tls_cipher, s->tls_bits);
}

void
smtpd_tls_failed(struct smtpd_sess *s)
{
	struct why why;

	tls_error(s->io, &why);
	log_info("%s: TLS handshake failed: %s", s->id, why.msg);
}

void
smtpd_starttls(struct smtpd_sess *s, const struct smtpcmd *c)
{
	struct why why;
	size_t discarded = 0;

	if (c->arg.len > 0) {
		smtpd_reply(s, 501, "5.5.4", "Syntax: STARTTLS");
		smtpd_error(s);
		return;
	}
	if (!smtpd_tls_offered(s)) {
		smtpd_reply(s, s->tls ? 554 : 502, "5.5.1", "Error: %s",
		    s->tls ? "TLS already active" : "command not implemented");
		smtpd_error(s);
		return;
	}
	smtpd_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* RFC 3207 4.2: forget everything learnt from the client. */
	smtpd_tx_reset(s);
	smtpd_auth_reset(s);
	s->state = SMTPD_S_GREET;
	s->esmtp = false;
	s->helo[0] = '\0';
	lineio_set_idle(s->io, s->sd->p->smtpd_starttls_timeout * 1000);
	if (tls_lineio_upgrade(s->io, s->sd->tls_ctx, TLS_SERVER, NULL,
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
