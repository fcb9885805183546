/*
 * worker_test.c - unit tests for lib/base/worker: completion order, which
 * thread runs what, the queue limit, draining on free, a 10,000-job
 * stress run, and the panic on bad arguments.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "base/event.h"
#include "base/worker.h"
#include "tap.h"

#define GUARD_MS 20000
#define NJOBS 10000

/* A gate that work functions wait on until the test opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_COND_INITIALIZER, false };

static void
gate_set(bool open)
{
	pthread_mutex_lock(&gate.lock);
	gate.open = open;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

static void
gate_wait(void)
{
	pthread_mutex_lock(&gate.lock);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

/* Shared state of one test run. */
struct run {
	struct event_base *base;
	struct worker_pool *pool;
	pthread_t loop_thread;
	unsigned want;			/* stop the loop after this many */
	unsigned ndone;
	unsigned order[NJOBS];		/* job index, in done order */
	atomic_uint nwork;
	atomic_uint work_on_loop;	/* work seen on the loop thread */
	unsigned done_off_loop;		/* done seen elsewhere */
	unsigned done_before_work;
	unsigned resubmit_left;		/* stress: jobs still to submit */
	unsigned resubmit_ok;
	int sub_in_done;		/* result of a submit made in done */
	bool gated;
	bool guard_fired;
};

struct job {
	struct run *run;
	unsigned idx;
	atomic_bool worked;
	unsigned ndone;
};

static struct job jobs[NJOBS];

static void
job_work(void *arg)
{
	struct job *j = arg;

	if (j->run->gated)
		gate_wait();
	if (pthread_equal(pthread_self(), j->run->loop_thread))
		atomic_fetch_add(&j->run->work_on_loop, 1);
	atomic_store(&j->worked, true);
	atomic_fetch_add(&j->run->nwork, 1);
}

static void resubmit(struct run *r);

static void
job_done(void *arg)
{
	struct job *j = arg;
	struct run *r = j->run;

	if (!pthread_equal(pthread_self(), r->loop_thread))
		r->done_off_loop++;
	if (!atomic_load(&j->worked))
		r->done_before_work++;
	j->ndone++;
	if (r->ndone < NJOBS)
		r->order[r->ndone] = j->idx;
	r->ndone++;
	resubmit(r);
	if (r->ndone == r->want)
		event_loop_stop(r->base);
}

/* The stress run keeps the pool full from inside done callbacks. */
static void
resubmit(struct run *r)
{
	while (r->resubmit_left > 0) {
		unsigned i = NJOBS - r->resubmit_left;

		if (worker_submit(r->pool, job_work, job_done, &jobs[i]) == -1)
			break;
		r->resubmit_left--;
		r->resubmit_ok++;
	}
}

static void
on_guard(void *arg)
{
	struct run *r = arg;

	r->guard_fired = true;
	event_loop_stop(r->base);
}

static void
run_init(struct run *r, unsigned nthreads, unsigned max_queued)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->base = event_loop_new();
	r->pool = worker_pool_new(r->base, nthreads, max_queued);
	r->loop_thread = pthread_self();
	for (i = 0; i < NJOBS; i++) {
		jobs[i].run = r;
		jobs[i].idx = i;
		atomic_store(&jobs[i].worked, false);
		jobs[i].ndone = 0;
	}
}

/* Run the loop until r->want done callbacks, or the guard. */
static void
run_loop(struct run *r)
{
	struct event_timer *guard = event_timer_new(r->base, on_guard, r);

	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(r->base);
	event_timer_free(&guard);
}

static void
run_fini(struct run *r)
{
	worker_pool_free(&r->pool);
	event_loop_free(&r->base);
}

static bool
each_done_once(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (jobs[i].ndone != 1 || !atomic_load(&jobs[i].worked))
			return false;
	return true;
}

static struct run R;

static void
test_order_one_thread(void)
{
	unsigned i;
	unsigned bad = 0;
	int sub = 0;

	run_init(&R, 1, 1000);
	R.want = 200;
	for (i = 0; i < R.want; i++)
		sub |= worker_submit(R.pool, job_work, job_done, &jobs[i]);
	ok(sub == 0, "200 submits accepted");
	run_loop(&R);
	ok(!R.guard_fired, "all done before the guard");
	is_int(R.ndone, 200, "200 done callbacks");
	for (i = 0; i < R.want; i++)
		bad += R.order[i] != i;
	is_int(bad, 0, "one thread: done in submission order");
	is_int(atomic_load(&R.work_on_loop), 0, "work never on the loop");
	is_int(R.done_off_loop, 0, "done always on the loop thread");
	is_int(R.done_before_work, 0, "done always after its work");
	is_int(worker_pending(R.pool), 0, "nothing pending afterwards");
	run_fini(&R);
}

static void
test_many_threads(void)
{
	unsigned i;
	int sub = 0;

	run_init(&R, 4, 2000);
	R.want = 2000;
	for (i = 0; i < R.want; i++)
		sub |= worker_submit(R.pool, job_work, job_done, &jobs[i]);
	ok(sub == 0, "2000 submits accepted");
	run_loop(&R);
	ok(!R.guard_fired && R.ndone == 2000, "4 threads: 2000 done");
	ok(each_done_once(R.want), "every job worked and done exactly once");
	is_int(atomic_load(&R.work_on_loop), 0, "work never on the loop");
	is_int(R.done_off_loop, 0, "done always on the loop thread");
	run_fini(&R);
}

/* While a gated job holds the only thread, the loop keeps running. */
static void
open_gate(void *arg)
{
	(void)arg;
	gate_set(true);
}

static void
done_submits(void *arg)
{
	struct job *j = arg;

	job_done(arg);
	if (j->idx == 0)
		j->run->sub_in_done = worker_submit(j->run->pool, job_work,
		    job_done, &jobs[3]);
}

static void
test_queue_limit(void)
{
	struct event_timer *opener;

	run_init(&R, 1, 3);
	R.gated = true;
	gate_set(false);
	ok(worker_submit(R.pool, job_work, done_submits, &jobs[0]) == 0 &&
	    worker_submit(R.pool, job_work, job_done, &jobs[1]) == 0 &&
	    worker_submit(R.pool, job_work, job_done, &jobs[2]) == 0,
	    "three jobs fit a limit of three");
	ok(!atomic_load(&jobs[0].worked), "submit returns before work runs");
	is_int(worker_pending(R.pool), 3, "three pending");
	is_int(worker_submit(R.pool, job_work, job_done, &jobs[3]), -1,
	    "fourth refused at once while the thread is blocked");
	is_int(worker_pending(R.pool), 3, "refusal leaves the count");
	/* The gate opens from a loop timer: the loop is not blocked. */
	opener = event_timer_new(R.base, open_gate, NULL);
	event_timer_start(opener, 1, false);
	R.want = 4;
	run_loop(&R);
	ok(!R.guard_fired && R.ndone == 4, "all four done");
	is_int(R.sub_in_done, 0, "done may submit into the slot it freed");
	ok(each_done_once(4), "each job done once");
	event_timer_free(&opener);
	run_fini(&R);
}

static void
done_during_free(void *arg)
{
	struct job *j = arg;

	job_done(arg);
	if (j->idx == 0)
		j->run->sub_in_done = worker_submit(j->run->pool, job_work,
		    job_done, &jobs[NJOBS - 1]);
}

static void
test_free_drains(void)
{
	unsigned i;

	run_init(&R, 2, 100);
	R.gated = true;
	gate_set(false);
	for (i = 0; i < 50; i++)
		worker_submit(R.pool, job_work,
		    i == 0 ? done_during_free : job_done, &jobs[i]);
	is_int(worker_pending(R.pool), 50, "fifty pending before free");
	is_int(atomic_load(&R.nwork), 0, "none worked yet");
	gate_set(true);
	worker_pool_free(&R.pool);
	ok(R.pool == NULL, "free clears the pointer");
	is_int(atomic_load(&R.nwork), 50, "free ran every queued job");
	is_int(R.ndone, 50, "free delivered every done");
	ok(each_done_once(50), "each exactly once");
	is_int(R.done_off_loop, 0, "done ran on the freeing thread");
	is_int(R.sub_in_done, -1, "submit during free is refused");
	is_int(jobs[NJOBS - 1].ndone, 0, "refused job never runs");
	worker_pool_free(&R.pool);
	event_loop_free(&R.base);
}

static void
test_stress(void)
{
	run_init(&R, 4, 64);
	R.want = NJOBS;
	R.resubmit_left = NJOBS;
	resubmit(&R);
	is_int(R.resubmit_ok, 64, "initial burst stops at the limit");
	run_loop(&R);
	ok(!R.guard_fired, "stress finished before the guard");
	is_int(R.ndone, NJOBS, "10000 done callbacks");
	is_int(atomic_load(&R.nwork), NJOBS, "10000 work calls");
	ok(each_done_once(NJOBS), "every job done exactly once");
	is_int(R.done_off_loop + atomic_load(&R.work_on_loop), 0,
	    "threads kept their roles");
	run_fini(&R);
}

static void
bad_pool(void *arg)
{
	struct event_base *base = event_loop_new();

	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(98);
	worker_pool_new(base, 0, 10);
}

int
main(void)
{
	int st;

	alarm(120);	/* a deadlock fails the test instead of the run */
	test_order_one_thread();
	test_many_threads();
	test_queue_limit();
	test_free_drains();
	test_stress();
	st = tap_fork(bad_pool, NULL);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "zero threads panics");
	return done_testing();
}
