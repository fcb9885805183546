/*
 * authsasl_authd.c - SASL password checks through authd.
 * Linked into: smtpd, imapd, pop3d.  Runs on a worker thread (it blocks
 * on authd, but never for a failure delay, which it passes back).
 * Trust: peer data is passed to authd only.
 */
#include "auth/authsasl_authd.h"

enum authsasl_check
authsasl_authd_check(void *arg, const char *user, const char *password,
    size_t len)
{
	struct authsasl_authd *a = arg;
	enum authclient_res r;

	r = authclient_verify(a->client, a->service, user,
	    span_make(password, len), a->client_addr, &a->user, &a->delay_ms,
	    &a->why);
	if (r == AUTHC_OK)
		return AUTHSASL_CHECK_OK;
	return r == AUTHC_FAIL ? AUTHSASL_CHECK_FAIL : AUTHSASL_CHECK_TEMP;
}
