/*
 * event_test.c - unit tests for lib/base/event: signals delivered on the
 * loop, one-shot and periodic timers, stopping the loop (also from another
 * thread), the monotonic clock.
 */
#include <pthread.h>
#include <signal.h>

#include "base/event.h"
#include "tap.h"

/* Upper bound for any single loop run; hitting it is a failure. */
#define GUARD_MS 5000

struct sigstate {
	struct event_base *base;
	int count;
	int last_sig;
	void *last_arg;
	bool on_main;
	bool guard_fired;
	pthread_t main_thread;
};

static void
on_guard(void *arg)
{
	struct sigstate *st = arg;

	st->guard_fired = true;
	event_loop_stop(st->base);
}

static void
on_usr1(int sig, void *arg)
{
	struct sigstate *st = arg;

	st->count++;
	st->last_sig = sig;
	st->last_arg = arg;
	st->on_main = pthread_equal(pthread_self(), st->main_thread) != 0;
	if (st->count == 2)
		event_loop_stop(st->base);
}

/* Runs inside the loop: the signal arrives while the loop is running. */
static void
raise_twice(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
	raise(SIGUSR1);
}

static void
test_signals(void)
{
	struct sigstate st = { 0 };
	struct event_timer *kick;
	struct event_timer *guard;
	struct event_base *base = event_loop_new();
	int r;

	st.base = base;
	st.main_thread = pthread_self();
	ok(event_signal_watch(base, SIGUSR1, on_usr1, &st) == 0,
	    "watch SIGUSR1");
	ok(event_signal_watch(base, 0, on_usr1, &st) == -1,
	    "signal 0 refused");
	ok(event_signal_watch(base, NSIG + 5, on_usr1, &st) == -1,
	    "signal past NSIG refused");
	kick = event_timer_new(base, raise_twice, NULL);
	guard = event_timer_new(base, on_guard, &st);
	event_timer_start(kick, 0, false);
	event_timer_start(guard, GUARD_MS, false);
	r = event_loop_run(base);
	is_int(r, 0, "loop returns 0 after stop");
	ok(!st.guard_fired, "signal arrived before the guard timer");
	is_int(st.count, 2, "both raised signals delivered");
	is_int(st.last_sig, SIGUSR1, "callback gets the signal number");
	ok(st.last_arg == &st, "callback gets its argument");
	ok(st.on_main, "callback runs on the loop thread");
	event_timer_free(&kick);
	event_timer_free(&guard);
	ok(kick == NULL && guard == NULL, "timer_free clears the pointer");
	event_loop_free(&base);
	ok(base == NULL, "loop_free clears the pointer");
	event_loop_free(&base);
}

/* A second loop may watch the same signal once the first is freed. */
static void
test_signals_after_free(void)
{
	struct sigstate st = { 0 };
	struct event_timer *kick;
	struct event_timer *guard;
	struct event_base *base = event_loop_new();

	st.base = base;
	st.main_thread = pthread_self();
	event_signal_watch(base, SIGUSR1, on_usr1, &st);
	kick = event_timer_new(base, raise_twice, NULL);
	guard = event_timer_new(base, on_guard, &st);
	event_timer_start(kick, 1, false);
	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(base);
	ok(!st.guard_fired && st.count == 2, "new loop gets the signals");
	event_timer_free(&kick);
	event_timer_free(&guard);
	event_loop_free(&base);
}

struct tstate {
	struct event_base *base;
	struct event_timer *once;
	struct event_timer *every;
	struct event_timer *self_free;
	int once_count;
	int every_count;
	int self_free_count;
	uint64_t start;
	uint64_t once_at;
	uint64_t every_at;
	bool once_pending_in_cb;
};

static void
on_once(void *arg)
{
	struct tstate *st = arg;

	st->once_count++;
	st->once_at = event_now_ms();
	st->once_pending_in_cb = event_timer_is_pending(st->once);
}

static void
on_every(void *arg)
{
	struct tstate *st = arg;

	if (++st->every_count < 5)
		return;
	st->every_at = event_now_ms();
	event_timer_stop(st->every);
	event_loop_stop(st->base);
}

static void
on_self_free(void *arg)
{
	struct tstate *st = arg;

	st->self_free_count++;
	event_timer_free(&st->self_free);
}

static void
test_timers(void)
{
	struct tstate st = { 0 };
	struct sigstate gs = { 0 };
	struct event_timer *guard;

	st.base = gs.base = event_loop_new();
	st.once = event_timer_new(st.base, on_once, &st);
	st.every = event_timer_new(st.base, on_every, &st);
	st.self_free = event_timer_new(st.base, on_self_free, &st);
	guard = event_timer_new(st.base, on_guard, &gs);
	ok(!event_timer_is_pending(st.once), "new timer is stopped");
	st.start = event_now_ms();
	event_timer_start(st.once, 100000, false);
	ok(event_timer_is_pending(st.once), "started timer is pending");
	ok(event_timer_start(st.once, 20, false) == 0, "restart");
	event_timer_start(st.every, 10, true);
	event_timer_start(st.self_free, 1, true);
	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(st.base);
	ok(!gs.guard_fired, "timers ran before the guard");
	is_int(st.once_count, 1, "one-shot fired once (restart replaced)");
	ok(!st.once_pending_in_cb, "one-shot is not pending in its callback");
	ok(st.once_at >= st.start + 20, "one-shot not early (%llu ms)",
	    (unsigned long long)(st.once_at - st.start));
	is_int(st.every_count, 5, "periodic fired five times, then stopped");
	ok(st.every_at >= st.start + 50, "periodic kept its cadence (%llu ms)",
	    (unsigned long long)(st.every_at - st.start));
	ok(!event_timer_is_pending(st.every), "stopped periodic not pending");
	is_int(st.self_free_count, 1, "timer freed in its own callback");
	ok(st.self_free == NULL, "self-freed pointer cleared");
	event_timer_free(&st.once);
	event_timer_free(&st.every);
	event_timer_free(&guard);
	event_loop_free(&st.base);
}

static void *
stopper(void *arg)
{
	event_loop_stop(arg);
	return NULL;
}

struct xstate {
	struct event_base *base;
	pthread_t thread;
	bool started;
};

/* Started from inside the loop, so the stop cannot come before run. */
static void
start_stopper(void *arg)
{
	struct xstate *xs = arg;

	xs->started = pthread_create(&xs->thread, NULL, stopper,
	    xs->base) == 0;
}

static void
test_stop(void)
{
	struct xstate xs = { 0 };
	struct event_timer *hour;
	struct event_timer *kick;
	struct event_base *base = event_loop_new();

	is_int(event_loop_run(base), 0, "empty loop returns at once");
	xs.base = base;
	hour = event_timer_new(base, start_stopper, &xs);
	kick = event_timer_new(base, start_stopper, &xs);
	event_timer_start(hour, 3600 * 1000, true);
	event_timer_start(kick, 0, false);
	is_int(event_loop_run(base), 0, "stopped from another thread");
	ok(xs.started, "stopper thread ran");
	ok(event_timer_is_pending(hour), "loop left with a timer pending");
	if (xs.started)
		pthread_join(xs.thread, NULL);
	event_timer_free(&hour);
	event_timer_free(&kick);
	event_loop_free(&base);
}

static void
test_clock(void)
{
	uint64_t a = event_now_ms();
	uint64_t b = event_now_ms();
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ok(b >= a, "clock does not go backwards");
	ok(a / 1000 <= (uint64_t)ts.tv_sec &&
	    a / 1000 + 1 >= (uint64_t)ts.tv_sec,
	    "clock is CLOCK_MONOTONIC in milliseconds");
}

int
main(void)
{
	alarm(60);	/* a hung loop fails the test instead of the run */
	test_signals();
	test_signals_after_free();
	test_timers();
	test_stop();
	test_clock();
	return done_testing();
}
