/*
 * sasl.h - server-side Cyrus SASL 2.1 glue for SMTP AUTH and IMAP/POP3
 * AUTHENTICATE: the PLAIN and LOGIN mechanisms, with every password
 * verified by a caller-supplied function (which asks authd), never by
 * SASL's own password databases or configuration files.
 * Linked into: smtpd (postern), imapd and pop3d (vmail).
 * Trust: mechanism names and responses are peer data: bounded, checked,
 * never logged; the check function's verdict is trusted.
 *
 * Base64 framing is the protocol layer's job: challenges and responses
 * here are the decoded bytes.  authsasl_start() and authsasl_step() call
 * the check function, which blocks (a round trip to authd): run them on a
 * worker thread (lib/base/worker.h), never on an event loop.  Different
 * objects may be used on different threads at the same time; one object
 * is used by one thread at a time.  The other functions do not block.
 */
#ifndef POSTERN_AUTHSASL_H
#define POSTERN_AUTHSASL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

/* The mechanisms callers offer unless configured otherwise. */
#define AUTHSASL_DEFAULT_MECHS "PLAIN LOGIN"
/* Largest decoded client response (initial or later); more is BADPROT. */
#define AUTHSASL_MAX_RESPONSE 8192
/* Longest user name handed to the check function (an RFC 5321 path). */
#define AUTHSASL_MAX_USER 320

/* What the check function (authd) says about a user and password. */
enum authsasl_check {
	AUTHSASL_CHECK_OK,
	AUTHSASL_CHECK_FAIL,
	AUTHSASL_CHECK_TEMP,	/* cannot tell now: directory down */
};

/*
 * Verify a password.  user is NUL-terminated, 1..AUTHSASL_MAX_USER bytes
 * with no control bytes (surrounding blanks removed by SASL); password
 * is len (>= 1) bytes with no NUL, followed by a NUL.  Both are borrowed
 * for the call only and are secrets: copy nothing, log nothing.  Called
 * on the thread that called authsasl_start/authsasl_step; may block.
 */
typedef enum authsasl_check (*authsasl_check_fn)(void *arg, const char *user,
    const char *password, size_t len);

/* The outcome of one authsasl_start/authsasl_step call. */
enum authsasl_res {
	AUTHSASL_CONTINUE,	/* send challenge_out, wait for a response */
	AUTHSASL_OK,		/* authenticated: see authsasl_user() */
	AUTHSASL_FAIL,		/* bad credentials, or a refused identity */
	AUTHSASL_TEMP,		/* password check unavailable: try later */
	AUTHSASL_BADPROT,	/* malformed or too long response, mechanism
				 * not offered, or a call out of sequence */
};

struct authsasl;

/*
 * Initialise Cyrus SASL for this process, once (later calls return the
 * first result): our own log, option and file callbacks (no
 * /etc/sasl2/postern.conf is read, no auxprop plugin is consulted), pthread
 * mutexes, and only the PLAIN and LOGIN plugins (libsasl2-modules).  Call
 * it at start-up, before chroot and privilege drop, because the plugins
 * are loaded from the system library directory.  Returns 0, or -1 with
 * why set (for example when a plugin is missing).  SASL's own messages go
 * to log_debug(), escaped.  Thread-safe.
 */
int	authsasl_init(struct why *why);

/*
 * Release SASL's global state (leak checks at exit).  Every object must
 * have been freed; authsasl_init() and authsasl_new() fail afterwards.
 */
void	authsasl_done(void);

/*
 * Check a configured mechanism list: names separated by commas or blanks
 * (a list parameter, cfg_list_next()), each PLAIN or LOGIN (any case);
 * empty means none.  Returns 0, or -1 with why.
 */
int	authsasl_mechs_check(const char *mechs, struct why *why);

/*
 * One connection's authentication state.  service is the SASL service
 * name ("smtp", "imap", "pop"); server_fqdn our host name (required, so
 * that SASL never resolves it); mechs the configured list (see
 * authsasl_mechs_check(); AUTHSASL_DEFAULT_MECHS by default).  PLAIN and
 * LOGIN send the password in the clear, so they are offered only when tls
 * is true or allow_plaintext is.  After STARTTLS, free the object and make
 * a new one with tls true.  fn and arg verify passwords; arg is borrowed
 * and must outlive the object.  Calls authsasl_init().  Returns the object
 * (free with authsasl_free()), or NULL with why set.
 */
struct authsasl *authsasl_new(const char *service, const char *server_fqdn,
	    const char *mechs, bool tls, bool allow_plaintext,
	    authsasl_check_fn fn, void *arg, struct why *why);

/*
 * The offered mechanisms, in configured order, separated by one space,
 * into out (replaced; empty when nothing can be offered: then advertise
 * no AUTH at all).  Returns 0, or -1 when out's max is too small.
 */
int	authsasl_mechs(const struct authsasl *a, struct buf *out);

/*
 * Start an exchange with mechanism mech (any case; BADPROT unless
 * offered) and the client's decoded initial response, or NULL when it
 * sent none (an empty initial response is a span of length 0).  Starting
 * again abandons an unfinished exchange; after AUTHSASL_OK it is
 * BADPROT.  The challenge to send goes into challenge_out (replaced;
 * empty except on CONTINUE); on other results why says what happened, in
 * our words (peer text escaped).  Malformed PLAIN (missing or extra NULs)
 * is BADPROT.  Blocks in the check function: see the top of this file.
 */
enum authsasl_res authsasl_start(struct authsasl *a, const char *mech,
	    const struct span *initial, struct buf *challenge_out,
	    struct why *why);

/*
 * Continue the exchange with the client's decoded response (a copy is
 * made and wiped; the caller wipes its own).  Same results as
 * authsasl_start(); BADPROT when no exchange is in progress.
 */
enum authsasl_res authsasl_step(struct authsasl *a, struct span response,
	    struct buf *challenge_out, struct why *why);

/*
 * After AUTHSASL_OK: the authenticated user, exactly as the check
 * function approved it (SASL removes surrounding blanks; an authorization
 * identity other than empty or the same user is refused: no proxy
 * authorisation).  NULL before.  Borrowed: valid while a lives.
 */
const char *authsasl_user(const struct authsasl *a);

/* Free the object (NULL allowed) and clear the pointer. */
void	authsasl_free(struct authsasl **ap);

#endif
