/*
 * worker.c - a pthread worker pool whose completions come back to an
 * event loop through a self-pipe, so the loop never blocks on disk.
 * Linked into: smtpd, lmtpd, qmgr and any daemon with durable writes;
 * runs as the daemon's user.  Trust: not applicable (jobs are our code).
 *
 * A job moves todo -> (a thread runs work) -> finished -> (the loop runs
 * done) -> freed.  Both queues are FIFO lists under one mutex.  A thread
 * that makes the finished list non-empty writes one byte to the pipe;
 * the loop drains the pipe *before* taking the list, so a job added
 * after the take always leaves a byte behind and is never stranded.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/worker.h"
#include "base/xmem.h"

struct job {
	worker_fn *work;
	worker_fn *done;		/* NULL: nothing to call back */
	void *arg;			/* borrowed: the submitter's */
	struct job *next;
};

struct jobq {
	struct job *head;
	struct job **tailp;
};

struct worker_pool {
	struct event_base *base;	/* borrowed: outlives the pool */
	struct event *wake_ev;		/* owned: reads wake_rd */
	int wake_rd;
	int wake_wr;
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t cond;		/* todo grew, or stopping was set */
	struct jobq todo;
	struct jobq finished;
	unsigned pending;		/* submitted, done not yet called */
	unsigned max_queued;
	bool stopping;
	unsigned nthreads;
	pthread_t *threads;		/* owned: nthreads entries */
};

static void
jobq_init(struct jobq *q)
{
	q->head = NULL;
	q->tailp = &q->head;
}

static void
jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	*q->tailp = j;
	q->tailp = &j->next;
}

static struct job *
jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tailp = &q->head;
	}
	return j;
}

static void
wake_loop(struct worker_pool *pool)
{
	ssize_t n;

	do
		n = write(pool->wake_wr, "", 1);
	while (n == -1 && errno == EINTR);
	/* EAGAIN: the pipe is full, so the loop is already due to wake. */
	if (n == -1 && errno != EAGAIN)
		log_panic("worker: cannot write the wake-up pipe: %s",
		    strerror(errno));
}

static void *
worker_main(void *arg)
{
	struct worker_pool *pool = arg;
	struct job *j;
	bool was_empty;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->todo.head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		/* Stopping only ends a thread once the queue is empty. */
		if ((j = jobq_pop(&pool->todo)) == NULL)
			break;
		pthread_mutex_unlock(&pool->lock);
		j->work(j->arg);
		pthread_mutex_lock(&pool->lock);
		was_empty = pool->finished.head == NULL;
		jobq_push(&pool->finished, j);
		if (was_empty)
			wake_loop(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Call done for every finished job, oldest first, without the lock. */
static void
deliver(struct worker_pool *pool)
{
	struct jobq q;
	struct job *j;

	pthread_mutex_lock(&pool->lock);
	q = pool->finished;
	if (q.head == NULL)
		q.tailp = &q.head;
	jobq_init(&pool->finished);
	pthread_mutex_unlock(&pool->lock);
	while ((j = jobq_pop(&q)) != NULL) {
		/* Count it out first, so that done may submit again. */
		pthread_mutex_lock(&pool->lock);
		pool->pending--;
		pthread_mutex_unlock(&pool->lock);
		if (j->done != NULL)
			j->done(j->arg);
		xfree(&j);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	char drain[256];
	ssize_t n;

	(void)what;
	do
		n = read(fd, drain, sizeof(drain));
	while (n > 0 || (n == -1 && errno == EINTR));
	if (n == -1 && errno != EAGAIN)
		log_panic("worker: cannot read the wake-up pipe: %s",
		    strerror(errno));
	deliver(arg);
}

static void
open_pipe(struct worker_pool *pool)
{
	int fds[2];
	int i;

	if (pipe(fds) == -1)
		log_panic("worker: pipe: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl == -1 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) == -1 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1)
			log_panic("worker: fcntl: %s", strerror(errno));
	}
	pool->wake_rd = fds[0];
	pool->wake_wr = fds[1];
	pool->wake_ev = event_new(pool->base, pool->wake_rd,
	    EV_READ | EV_PERSIST, on_wake, pool);
	if (pool->wake_ev == NULL || event_add(pool->wake_ev, NULL) == -1)
		log_panic("worker: cannot watch the wake-up pipe");
}

static void
start_threads(struct worker_pool *pool)
{
	sigset_t all;
	sigset_t old;
	unsigned i;
	int err;

	/* Threads inherit the mask: keep every signal for the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < pool->nthreads; i++) {
		err = pthread_create(&pool->threads[i], NULL, worker_main,
		    pool);
		if (err != 0)
			log_panic("worker: pthread_create: %s", strerror(err));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct worker_pool *
worker_pool_new(struct event_base *base, unsigned nthreads,
    unsigned max_queued)
{
	struct worker_pool *pool;

	if (nthreads < 1 || nthreads > WORKER_MAX_THREADS || max_queued < 1 ||
	    max_queued > WORKER_MAX_QUEUED)
		log_panic("worker_pool_new: bad size %u threads, %u queued",
		    nthreads, max_queued);
	pool = xcalloc(1, sizeof(*pool));
	pool->base = base;
	pool->max_queued = max_queued;
	pool->nthreads = nthreads;
	jobq_init(&pool->todo);
	jobq_init(&pool->finished);
	if (pthread_mutex_init(&pool->lock, NULL) != 0 ||
	    pthread_cond_init(&pool->cond, NULL) != 0)
		log_panic("worker: cannot initialise the pool lock");
	open_pipe(pool);
	pool->threads = xcalloc(nthreads, sizeof(*pool->threads));
	start_threads(pool);
	return pool;
}

int
worker_submit(struct worker_pool *pool, worker_fn *work, worker_fn *done,
    void *arg)
{
	struct job *j;

	ASSERT(work != NULL);
	j = xcalloc(1, sizeof(*j));
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || pool->pending >= pool->max_queued) {
		pthread_mutex_unlock(&pool->lock);
		xfree(&j);
		return -1;
	}
	pool->pending++;
	jobq_push(&pool->todo, j);
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

unsigned
worker_pending(struct worker_pool *pool)
{
	unsigned n;

	pthread_mutex_lock(&pool->lock);
	n = pool->pending;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void
worker_pool_free(struct worker_pool **poolp)
{
	struct worker_pool *pool = *poolp;
	unsigned i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	/* Every accepted job is now on the finished list. */
	deliver(pool);
	ASSERT(pool->pending == 0);
	event_free(pool->wake_ev);
	close(pool->wake_rd);
	close(pool->wake_wr);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	xfree(&pool->threads);
	xfree(poolp);
}
