/*
 * mailaccess.h - what the mail-access daemons (imapd, pop3d) set up
 * alike: TLS (implicit, or offered by STARTTLS / STLS), Cyrus SASL and
 * the descriptor limit at start-up; the connection table of their limits
 * after the privilege drop, and the counting in it; the end of it all.
 * The protocol's wording stays in the daemon.
 *
 * Linked into: imapd, pop3d.  Runs as store_owner.  Trust: the
 * configuration is the admin's; addresses and user names are only
 * hashed.  Logs, as start-up code does (log.h).
 */
#ifndef POSTERN_MAILACCESS_H
#define POSTERN_MAILACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "base/shcount.h"
#include "mail/params.h"

/*
 * Start-up, before the privilege drop: the server TLS context into
 * *tls_out (level "encrypt" for wrappermode, else "may"; NULL, with a
 * warning naming starttls, when it cannot be had and is optional), then
 * SASL when auth_mechanisms names any mechanism (*sasl_ok_out), and the
 * soft descriptor limit raised to the hard one (every open store holds
 * descriptors).  Returns 0, or -1 after logging (nothing left set up).
 */
int	mailaccess_init(const struct params *p, bool wrappermode,
	    const char *starttls, SSL_CTX **tls_out, bool *sasl_ok_out);
/* The end: the TLS context freed (pointer cleared) and SASL ended. */
void	mailaccess_fini(SSL_CTX **tlsp, bool sasl_ok);

/*
 * After the privilege drop: the connection table in store_dir/file,
 * shared by the service's processes (lib/base/connlimit.h), or one of
 * this process only (logged), or NULL (logged: no limits).  Close with
 * shcount_close().
 */
struct shcount *mailaccess_limit_open(const char *store_dir,
	    const char *file);
/*
 * Count one connection of addr (user NULL) or one session of user from
 * addr in t under limit: 1 counted (connlimit_sub it at the end), 0 over
 * the limit (not counted), -1 the table is full (not counted, let in;
 * logged once a process, with the session id).
 */
int	mailaccess_count(struct shcount *t, const char *id, const char *user,
	    const char *addr, uint64_t limit);
/*
 * The greeting's check: a connection from addr (of session id) under
 * limit (0: none) in t (NULL: none).  True to let it in, with
 * *counted_out set when it was counted; false (logged) when over.
 */
bool	mailaccess_limit_connect(struct shcount *t, const char *id,
	    const char *addr, uint64_t limit, bool *counted_out);

#endif
