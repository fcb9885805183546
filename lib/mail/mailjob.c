/*
 * mailjob.c - a connection's job on the worker pool, and a job waiting
 * for the client to read its output (mailjob.h).
 * Linked into: imapd, pop3d.  Trust: none needed (our own callbacks).
 */
#include "base/log.h"
#include "mail/mailjob.h"

int
mailjob_submit(struct mailjob *j, struct worker_pool *pool, worker_fn *work,
    worker_fn *done, void *arg)
{
	j->busy = true;
	lineio_pause(j->io);
	if (worker_submit(pool, work, done, arg) == 0)
		return 0;
	j->busy = false;
	lineio_resume(j->io);
	return -1;
}

static void
on_drain(void *arg)
{
	struct mailjob *j = arg;
	worker_fn *more = j->wait_more;

	lineio_set_drain(j->io, 0, NULL, NULL);
	j->wait_more = NULL;
	j->wait_release = NULL;
	more(j->wait_arg);
}

void
mailjob_wait_output(struct mailjob *j, size_t low, worker_fn *more,
    worker_fn *release, void *arg)
{
	ASSERT(j->busy && j->wait_more == NULL);
	if (lineio_pending(j->io) <= low) {
		more(arg);
		return;
	}
	j->wait_more = more;
	j->wait_release = release;
	j->wait_arg = arg;
	lineio_set_drain(j->io, low, on_drain, j);
}

bool
mailjob_waiting(const struct mailjob *j)
{
	return j->wait_release != NULL;
}

void
mailjob_release(struct mailjob *j)
{
	if (j->wait_release != NULL) {
		lineio_set_drain(j->io, 0, NULL, NULL);
		j->wait_more = NULL;
		j->wait_release(j->wait_arg);
		j->wait_release = NULL;
	}
}
