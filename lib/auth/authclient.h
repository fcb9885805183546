/*
 * authclient.h - ask authd (authd(8)) over its unix socket: a blocking
 * client for worker threads, tools and tests, never for an event loop.
 * One client per thread.  A broken connection (authd restarted) is
 * re-opened once per request, but a request that timed out is never sent
 * again.  Each call waits at most the timeout in all.
 * Linked into: the daemons that ask authd, and postern.  Trust: answers
 * come from authd's socket (a trusted peer) but are parsed strictly.
 */
#ifndef POSTERN_AUTHCLIENT_H
#define POSTERN_AUTHCLIENT_H

#include <stdint.h>

#include "auth/authproto.h"
#include "base/buf.h"
#include "base/why.h"

enum authclient_res {
	AUTHC_OK,
	AUTHC_NOTFOUND,
	AUTHC_FAIL,	/* authentication failed */
	AUTHC_TEMP,	/* try again later (directory down, authd gone) */
	AUTHC_PERM,
	AUTHC_ERROR,	/* authd refused the request as malformed */
};

struct authclient;

/* A client of the socket at path; each call waits at most timeout_ms. */
struct authclient *authclient_new(const char *path, uint64_t timeout_ms);
void	authclient_free(struct authclient **c);
/*
 * The calling thread's client of path (a worker thread of a daemon): made
 * on the thread's first call, freed when the thread exits.  Every call in
 * a process must name the same path and timeout.  Borrowed: valid until
 * the thread exits.
 */
struct authclient *authclient_thread(const char *path, uint64_t timeout_ms);
/*
 * Send word with n fields and wait for the answer with the same id, which
 * is parsed into answer (authproto_init'ed by the caller).  Returns the
 * answer's status; AUTHC_TEMP with why when authd cannot be reached or
 * does not answer in time.
 */
enum authclient_res authclient_call(struct authclient *c, const char *word,
	    const struct span *fields, size_t n, struct authproto_msg *answer,
	    struct why *why);
/*
 * VERIFY: AUTHC_OK with the canonical user name in user_out, AUTHC_FAIL,
 * or AUTHC_TEMP with why.  On AUTHC_FAIL, *delay_ms_out is how long the
 * caller must hold the failure back from its client (authd's failure
 * delay, see authd(8)): wait it out on an event loop timer, never on a
 * thread; 0 otherwise.  A FAIL without a well-formed delay is AUTHC_TEMP.
 * The password is wiped from internal buffers.
 */
enum authclient_res authclient_verify(struct authclient *c,
	    const char *service, const char *user, struct span password,
	    const char *client_addr, struct buf *user_out,
	    uint64_t *delay_ms_out, struct why *why);

#endif
