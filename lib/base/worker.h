/*
 * worker.h - a pthread worker pool, so that an event loop never blocks on
 * fsync or other slow disk work: work() runs on a pool thread, and done()
 * runs afterwards on the loop the pool belongs to.
 * Linked into: smtpd, lmtpd, qmgr and any daemon with durable writes;
 * runs as the daemon's user.  Trust: not applicable (jobs are our code).
 */
#ifndef POSTERN_WORKER_H
#define POSTERN_WORKER_H

struct event_base;
struct worker_pool;

/* A job step; arg is the caller's, passed to work and then to done. */
typedef void worker_fn(void *arg);

/* Hard ceilings for worker_pool_new()'s arguments. */
#define WORKER_MAX_THREADS 256
#define WORKER_MAX_QUEUED 1000000

/*
 * A pool of nthreads threads (1..WORKER_MAX_THREADS) whose completions
 * are delivered on base.  At most max_queued jobs
 * (1..WORKER_MAX_QUEUED) may be in the pool at once, counting every job
 * from worker_submit() until its done callback has been called: waiting,
 * running, or finished but not yet delivered.  The threads block all
 * signals, so signals reach the loop thread.  base is borrowed and must
 * outlive the pool.  Panics on bad arguments or when threads cannot be
 * created (start-up).  Free with worker_pool_free().
 */
struct worker_pool *worker_pool_new(struct event_base *base,
	    unsigned nthreads, unsigned max_queued);

/*
 * Queue a job: work(arg) runs on a pool thread, then done(arg) (if not
 * NULL) runs on the thread that runs the pool's loop.  done callbacks run
 * in the order the jobs finished; with one thread that is the order of
 * submission.  Jobs are started in submission order.  work must not
 * touch the loop or objects the loop thread uses without locking; done
 * may do anything, including submit more jobs.
 *
 * Never blocks.  Returns 0, or -1 when max_queued jobs are already in
 * the pool or the pool is being freed: the caller answers "try again
 * later".  May be called from any thread.
 */
int	worker_submit(struct worker_pool *pool, worker_fn *work,
	    worker_fn *done, void *arg);

/* Jobs in the pool now (as counted against max_queued). */
unsigned worker_pending(struct worker_pool *pool);

/*
 * Drain and free the pool: refuse new jobs, let the threads finish every
 * queued job, join them, then call every outstanding done callback in
 * this thread, in completion order.  So every accepted job gets both its
 * work and its done call exactly once.  Call it from the loop thread,
 * outside work and done callbacks (a done callback run here that submits
 * gets -1).  Accepts NULL and clears the pointer.
 */
void	worker_pool_free(struct worker_pool **poolp);

#endif
