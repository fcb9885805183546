/*
 * authsasl_authd.h - the password check of the SASL glue (lib/auth/sasl.h)
 * done by authd: the same users, with the same failure delays, lockouts
 * and logging, in every protocol.  The check never waits out a failure
 * delay: it hands authd's delay back in delay_ms.
 * Linked into: smtpd, imapd, pop3d.  Trust: the user name and password are
 * peer data; they go to authd and nowhere else.
 */
#ifndef POSTERN_AUTHSASL_AUTHD_H
#define POSTERN_AUTHSASL_AUTHD_H

#include "auth/authclient.h"
#include "auth/sasl.h"

/*
 * What the check needs; borrowed for the life of the SASL exchange.  The
 * check runs on the worker thread of a SASL step; the outs are read back
 * on the event loop once the step is done.  When the step fails, the
 * daemon's answer to its client waits delay_ms on the loop (authd's
 * failure delay): the daemon clears delay_ms before each step.
 */
struct authsasl_authd {
	struct authclient *client;	/* this thread's client */
	const char *service;		/* "smtp", "imap", "pop3" */
	const char *client_addr;	/* for authd's per-address limits */
	struct buf user;		/* out: authd's canonical user name */
	uint64_t delay_ms;		/* out: a FAIL's delay, else 0 */
	struct why why;			/* out: why a check was TEMP */
};

/* An authsasl_check_fn; arg is a struct authsasl_authd. */
enum authsasl_check authsasl_authd_check(void *arg, const char *user,
	    const char *password, size_t len);

#endif
