/*
 * authsasl_authd.h - the password check of the SASL glue (lib/auth/sasl.h)
 * done by authd: the same users, with the same failure delays, lockouts
 * and logging, in every protocol.
 * Linked into: smtpd, imapd, pop3d.  Trust: the user name and password are
 * peer data; they go to authd and nowhere else.
 */
#ifndef POSTERN_AUTHSASL_AUTHD_H
#define POSTERN_AUTHSASL_AUTHD_H

#include "auth/authclient.h"
#include "auth/sasl.h"

/* What the check needs; borrowed for the life of the SASL exchange. */
struct authsasl_authd {
	struct authclient *client;	/* this thread's client */
	const char *service;		/* "smtp", "imap", "pop3" */
	const char *client_addr;	/* for authd's per-address limits */
	struct buf user;		/* out: authd's canonical user name */
	struct why why;			/* out: why a check was TEMP */
};

/* An authsasl_check_fn; arg is a struct authsasl_authd. */
enum authsasl_check authsasl_authd_check(void *arg, const char *user,
	    const char *password, size_t len);

#endif
