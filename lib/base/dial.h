/*
 * dial.h - a non-blocking connect on the event loop, with a timeout: a
 * stream socket to one address (IPv4, IPv6 or a unix socket), handed to
 * the caller once connected.
 * Linked into: the delivery agents (lib/mail/smtpclient).  Runs as the
 * daemon's user.  Trust: the address is ours (from DNS answers already
 * checked, or the configuration); the peer has said nothing yet.
 */
#ifndef POSTERN_DIAL_H
#define POSTERN_DIAL_H

#include <stdint.h>
#include <sys/socket.h>

#include "base/why.h"

struct event_base;
struct dial;

/*
 * The end of a dial: fd is the connected socket (non-blocking,
 * close-on-exec, now the callee's), or -1 with why ("Connection
 * refused", "connection timed out").  The handle is gone by then.
 */
typedef void dial_fn(int fd, const struct why *why, void *arg);

/*
 * Connect to sa (len bytes) on base, giving up after timeout_ms (0: no
 * limit).  fn(fd, why, arg) is called exactly once, later, on the loop
 * (never from inside dial_start), unless dial_cancel comes first.
 * Returns the handle (never NULL).
 */
struct dial *dial_start(struct event_base *base, const struct sockaddr *sa,
	    socklen_t len, uint64_t timeout_ms, dial_fn *fn, void *arg);

/* Stop a dial whose fn has not run: the socket is closed and fn is never
 * called.  NULL allowed; clears the pointer. */
void	dial_cancel(struct dial **dp);

#endif
