/*
 * mailjob_test.c - unit tests for lib/mail/mailjob: a submitted job
 * pauses reading until its done callback resumes it, a refused one
 * leaves the connection reading and not busy, a wait for output runs at
 * once when little is queued and only once the peer has read the rest
 * otherwise, and a waiting job is released (never continued) when the
 * connection ends first.
 *
 * One end of a socketpair is the connection's lineio; the test writes
 * the other end from the loop thread and reads it from a reader thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/event.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/mailjob.h"
#include "tap.h"

#define GUARD_MS 5000
#define BIG (4 * 1024 * 1024)
#define LOW (64 * 1024)

static struct {
	struct event_base *base;
	struct lineio *io;
	int peer;
	struct worker_pool *pool;
	struct mailjob job;
	char log[256];
	int lines;
	atomic_int worked;
	int more_calls;
	size_t pending_at_more;
	int released;
	bool guard_fired;
} T;

static void
note(const char *what)
{
	strncat(T.log, what, sizeof(T.log) - strlen(T.log) - 1);
}

static void
on_line(void *arg, struct span line)
{
	(void)arg;
	(void)line;
	T.lines++;
	note("line|");
	event_loop_stop(T.base);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	(void)arg;
	(void)ev;
}

static void
on_guard(void *arg)
{
	(void)arg;
	T.guard_fired = true;
	event_loop_stop(T.base);
}

static void
run(void)
{
	struct event_timer *guard = event_timer_new(T.base, on_guard, NULL);

	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(T.base);
	event_timer_free(&guard);
}

/* Run the loop for ms milliseconds (the guard still applies). */
static void
on_tick(void *arg)
{
	(void)arg;
	event_loop_stop(T.base);
}

static void
run_for(uint64_t ms)
{
	struct event_timer *tick = event_timer_new(T.base, on_tick, NULL);

	event_timer_start(tick, ms, false);
	run();
	event_timer_free(&tick);
}

static void
work(void *arg)
{
	(void)arg;
	atomic_fetch_add(&T.worked, 1);
}

static void
done(void *arg)
{
	(void)arg;
	note(atomic_load(&T.worked) == 1 ? "done|" : "done-before-work|");
	T.job.busy = false;
	lineio_resume(T.io);
	event_loop_stop(T.base);
}

static void
more(void *arg)
{
	(void)arg;
	T.more_calls++;
	T.pending_at_more = lineio_pending(T.io);
	event_loop_stop(T.base);
}

static void
release(void *arg)
{
	(void)arg;
	T.released++;
}

static void *
reader(void *arg)
{
	static char buf[65536];
	size_t want = *(size_t *)arg, got = 0;
	ssize_t n;

	while (got < want && (n = read(T.peer, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	return NULL;
}

/* Queue n bytes of output on the connection (more than the socket takes). */
static void
queue_output(size_t n)
{
	static char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	for (size_t off = 0; off < n; off += sizeof(chunk))
		lineio_write(T.io, chunk, sizeof(chunk));
}

static void
test_submit(void)
{
	struct mailjob other = { .io = T.io };

	ok(mailjob_submit(&T.job, T.pool, work, done, NULL) == 0 &&
	       T.job.busy, "submitted: busy");
	/* The peer's command waits until the job is done. */
	if (write(T.peer, "next\n", 5) != 5)
		diag("write to the peer failed");
	run();
	run();
	is_str(T.log, "done|line|", "the line comes after the job's done");
	ok(!T.job.busy, "not busy after done");

	/* A pool with room for one job: a second is refused. */
	atomic_store(&T.worked, 0);
	T.log[0] = '\0';
	ok(mailjob_submit(&T.job, T.pool, work, done, NULL) == 0,
	    "one job in the pool");
	ok(mailjob_submit(&other, T.pool, work, done, NULL) == -1 &&
	       !other.busy, "a second is refused and leaves no busy mark");
	run();
	is_str(T.log, "done|", "the first still runs");
}

static void
test_wait(void)
{
	pthread_t th;
	/* Once more is called, all but LOW bytes have gone to the socket. */
	size_t want = BIG - LOW;

	T.job.busy = true;	/* inside a job's done callback */
	mailjob_wait_output(&T.job, LOW, more, release, NULL);
	ok(T.more_calls == 1 && !mailjob_waiting(&T.job),
	    "nothing queued: more at once");

	T.more_calls = 0;
	queue_output(BIG);
	ok(lineio_pending(T.io) > LOW, "output queued past the low mark");
	mailjob_wait_output(&T.job, LOW, more, release, NULL);
	ok(T.more_calls == 0 && mailjob_waiting(&T.job),
	    "more waits for the client");
	pthread_create(&th, NULL, reader, &want);
	run();
	pthread_join(th, NULL);
	ok(T.more_calls == 1 && T.pending_at_more <= LOW &&
	       !mailjob_waiting(&T.job) && T.released == 0,
	    "more once the client read down to the low mark (%zu queued)",
	    T.pending_at_more);

	/* The connection ends while a job waits: released, not continued. */
	T.more_calls = 0;
	queue_output(BIG);
	mailjob_wait_output(&T.job, LOW, more, release, NULL);
	mailjob_release(&T.job);
	mailjob_release(&T.job);
	want = BIG;
	pthread_create(&th, NULL, reader, &want);
	/* The client reads everything: the released job is not continued. */
	while (!T.guard_fired && lineio_pending(T.io) > 0)
		run_for(20);
	pthread_join(th, NULL);
	ok(T.released == 1 && T.more_calls == 0 && !mailjob_waiting(&T.job),
	    "released once, more never called, even once the output drained");
	ok(!T.guard_fired, "no guard fired");
}

int
main(void)
{
	int sv[2];

	T.base = event_loop_new();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1)
		return 1;
	T.peer = sv[1];
	T.io = lineio_new(T.base, sv[0], 1024, 0, on_line, on_event, NULL);
	T.pool = worker_pool_new(T.base, 1, 1);
	T.job.io = T.io;
	test_submit();
	test_wait();
	worker_pool_free(&T.pool);
	lineio_free(&T.io);
	close(T.peer);
	event_loop_free(&T.base);
	return done_testing();
}
