/*
 * lmtpd_tls.c - STARTTLS in lmtpd (RFC 3207), for LMTP over TCP between
 * hosts: the context is made at start-up from the tls_* parameters and
 * lmtpd_tls_security_level.  Clients on the unix socket are local: TLS is
 * never required of them.
 *
 * After STARTTLS every byte the client sent before the handshake is
 * dropped (pipelined plaintext must never count as sent under TLS), and
 * the session starts over: LHLO again.
 *
 * Linked into: lmtpd.  Trust: the client is hostile until the handshake
 * is done; a failed handshake ends that connection only.
 */
#include <string.h>

#include "base/log.h"
#include "lmtpd.h"
#include "tls/tls.h"

int
lmtpd_tls_init(struct lmtpd *ld)
{
	struct tls_conf conf;
	struct why why;

	params_tls_conf(ld->p, &conf);
	if (tls_server_ctx_level(&conf, ld->p->lmtpd_tls_security_level, false,
		&ld->tls_ctx, &why) == -1) {
		log_error("TLS is required but unavailable: %s", why.msg);
		return -1;
	}
	if (ld->tls_ctx == NULL && why.msg[0] != '\0')
		log_warn("STARTTLS not offered: %s", why.msg);
	return 0;
}

bool
lmtpd_tls_offered(const struct lmtpd_sess *s)
{
	return s->ld->tls_ctx != NULL && !s->tls && !s->local;
}

bool
lmtpd_tls_required(const struct lmtpd_sess *s)
{
	return !s->local &&
	    strcmp(s->ld->p->lmtpd_tls_security_level, "encrypt") == 0;
}

void
lmtpd_tls_ready(struct lmtpd_sess *s)
{
	s->handshaking = false;
	if (tls_info(s->io, s->tls_proto, s->tls_cipher, &s->tls_bits) == -1)
		return;
	s->tls = true;
	log_info("%s: TLS established: %s with cipher %s (%d bits)", s->id,
	    s->tls_proto, s->tls_cipher, s->tls_bits);
}

void
lmtpd_tls_failed(struct lmtpd_sess *s)
{
	struct why why;

	tls_error(s->io, &why);
	log_info("%s: TLS handshake failed: %s", s->id, why.msg);
}

void
lmtpd_starttls(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	struct why why;
	size_t dropped = 0;

	(void)c;		/* the parser refused arguments */
	if (!lmtpd_tls_offered(s)) {
		lmtpd_reply(s, s->tls ? 554 : 502, "5.5.1", "Error: %s",
		    s->tls ? "TLS already active" : "command not implemented");
		lmtpd_error(s);
		return;
	}
	lmtpd_reply(s, 220, "2.0.0", "Ready to start TLS");
	lmtpd_tx_reset(s);
	lmtpd_auth_reset(s);
	s->state = LMTPD_S_GREET;
	if (tls_lineio_upgrade(s->io, s->ld->tls_ctx, TLS_SERVER, NULL,
		&dropped, &why) == -1) {
		log_info("%s: STARTTLS: %s", s->id, why.msg);
		return;
	}
	s->handshaking = true;
	if (dropped > 0)
		log_warn("%s: %zu bytes sent in clear after STARTTLS were "
			 "discarded (command injection attempt?)", s->id,
		    dropped);
}
