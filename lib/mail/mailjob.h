/*
 * mailjob.h - the one job a mail-reading connection (imapd, pop3d) has
 * on the worker pool at a time, and a job that waits for the client to
 * read its output before it goes on (a long FETCH or RETR).
 *
 * While a job is in flight the connection does not read (the next
 * command waits).  A waiting job is the connection's to release if the
 * connection ends first.
 * Linked into: imapd, pop3d.  Trust: none needed (our own callbacks).
 */
#ifndef POSTERN_MAILJOB_H
#define POSTERN_MAILJOB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/lineio.h"
#include "base/worker.h"

struct mailjob {
	struct lineio *io;		/* borrowed: the connection */
	bool busy;			/* a job is in flight; its done
					 * callback clears it */
	worker_fn *wait_more;		/* mailjob_wait_output, or NULL */
	worker_fn *wait_release;
	void *wait_arg;			/* owned by the waiting job */
};

/* Stop reading and run work(arg) on the pool, then done(arg) on the
 * loop.  -1 when the pool refuses it: reading resumed, not busy. */
int	mailjob_submit(struct mailjob *j, struct worker_pool *pool,
	    worker_fn *work, worker_fn *done, void *arg);
/*
 * more(arg) once the client has left no more than low bytes of output
 * unread (at once if it already has); release(arg) instead when the
 * connection ends first (mailjob_release).  The job stays busy.
 */
void	mailjob_wait_output(struct mailjob *j, size_t low, worker_fn *more,
	    worker_fn *release, void *arg);
/* Whether a job waits for the client to read (mailjob_wait_output). */
bool	mailjob_waiting(const struct mailjob *j);
/* The connection ended: release the waiting job, if any. */
void	mailjob_release(struct mailjob *j);

#endif
