/*
 * lineio_test.c - unit tests for lib/base/lineio: framing (CR kept,
 * several lines per read, lines split byte by byte, no LF at EOF), the
 * line limit (exact fit, one TOO_LONG per over-long line, long stretches
 * without LF), EOF, the idle timeout, writes, close_flush from inside the
 * line callback, pause and resume, the drain callback (a writer that
 * refills only when the output has fallen to the low mark).
 *
 * One end of a socketpair goes to lineio_new; the test drives the other
 * end from the loop thread (small writes never block) or, for a large
 * flush, from a reader thread.  Every callback is recorded in one log
 * string so that order is checked too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "base/event.h"
#include "base/lineio.h"
#include "base/xmem.h"
#include "tap.h"

#define GUARD_MS 5000

static struct {
	struct event_base *base;
	struct lineio *l;
	int fd;			/* lineio's end; owned by l */
	int peer;		/* the test's end */
	char log[8192];		/* "L:line|" and "E:EVENT|" in order */
	int nline;
	int nevent;
	int depth;		/* > 0 while inside on_line */
	int want_lines;		/* stop the loop once reached ... */
	int want_events;	/* ... and this */
	bool guard_fired;
	bool free_on_end;	/* lineio_free inside the end event */
	int depth_at_end;	/* depth when the end event came */
	char peer_at_end[64];	/* what the peer could read at that time */
	void (*hook)(struct span line);	/* extra work in on_line */
} T;

static void
log_add(const char *s, size_t n)
{
	size_t len = strlen(T.log);
	size_t i;

	for (i = 0; i < n && len + 3 < sizeof(T.log); i++) {
		if (s[i] == '\r') {
			T.log[len++] = '\\';
			T.log[len++] = 'r';
		} else {
			T.log[len++] = s[i];
		}
	}
	T.log[len] = '\0';
}

static void
maybe_stop(void)
{
	if (T.nline >= T.want_lines && T.nevent >= T.want_events)
		event_loop_stop(T.base);
}

static void
on_line(void *arg, struct span line)
{
	(void)arg;
	T.depth++;
	T.nline++;
	log_add("L:", 2);
	log_add((const char *)line.p, line.len);
	log_add("|", 1);
	if (T.hook != NULL)
		T.hook(line);
	T.depth--;
	maybe_stop();
}

static const char *const evname[] = { "EOF", "ERROR", "TIMEOUT", "CLOSED",
	"TOO_LONG" };

static void
on_event(void *arg, enum lineio_event ev)
{
	(void)arg;
	T.nevent++;
	log_add("E:", 2);
	log_add(evname[ev], strlen(evname[ev]));
	log_add("|", 1);
	if (ev != LINEIO_TOO_LONG) {
		ssize_t n;

		T.depth_at_end = T.depth;
		n = recv(T.peer, T.peer_at_end, sizeof(T.peer_at_end) - 1,
		    MSG_PEEK | MSG_DONTWAIT);
		T.peer_at_end[n > 0 ? n : 0] = '\0';
		/* Never inside on_line (forbidden): a re-entrant end event
		 * then fails the depth check instead of crashing. */
		if (T.free_on_end && T.depth == 0)
			lineio_free(&T.l);
	}
	maybe_stop();
}

static void
setup(size_t max_line, uint64_t idle_ms)
{
	int sv[2];

	memset(&T, 0, sizeof(T));
	T.base = event_loop_new();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	T.fd = sv[0];
	T.peer = sv[1];
	if (fcntl(T.fd, F_SETFL, O_NONBLOCK) == -1) {
		printf("Bail out! fcntl: %s\n", strerror(errno));
		exit(1);
	}
	T.l = lineio_new(T.base, T.fd, max_line, idle_ms, on_line, on_event,
	    NULL);
	if (T.l == NULL) {
		printf("Bail out! lineio_new failed\n");
		exit(1);
	}
}

static void
teardown(void)
{
	lineio_free(&T.l);
	close(T.peer);
	event_loop_free(&T.base);
}

static void
on_guard(void *arg)
{
	(void)arg;
	T.guard_fired = true;
	event_loop_stop(T.base);
}

/* Run the loop until want lines and events were seen (or the guard). */
static void
run_until(int want_lines, int want_events)
{
	struct event_timer *guard = event_timer_new(T.base, on_guard, NULL);

	T.want_lines = want_lines;
	T.want_events = want_events;
	if (T.nline < want_lines || T.nevent < want_events) {
		event_timer_start(guard, GUARD_MS, false);
		event_loop_run(T.base);
	}
	event_timer_free(&guard);
	T.want_lines = T.want_events = 1 << 30;
}

static size_t
unread(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) == -1)
		return (size_t)-1;
	return (size_t)n;
}

/*
 * Run the loop until pred() holds, checked every millisecond on the loop
 * (or the guard).  A wait for a condition, not a sleep.
 */
static bool (*wait_pred)(void);

static void
on_tick(void *arg)
{
	(void)arg;
	if (wait_pred())
		event_loop_stop(T.base);
}

static void
run_while_not(bool (*pred)(void))
{
	struct event_timer *tick = event_timer_new(T.base, on_tick, NULL);
	struct event_timer *guard = event_timer_new(T.base, on_guard, NULL);

	wait_pred = pred;
	T.want_lines = T.want_events = 1 << 30;
	event_timer_start(tick, 1, true);
	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(T.base);
	event_timer_free(&tick);
	event_timer_free(&guard);
}

/* lineio took every byte out of its socket (and so ran its read
 * callback over them). */
static bool
all_read(void)
{
	return unread(T.fd) == 0;
}

static bool
all_sent(void)
{
	return T.l == NULL || lineio_pending(T.l) == 0;
}

/* The peer sees EOF (after what it has not read yet). */
static bool
peer_eof(void)
{
	char c[64];

	return recv(T.peer, c, sizeof(c), MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void
settle(void)
{
	run_while_not(all_read);
}

static void
on_stop(void *arg)
{
	(void)arg;
	event_loop_stop(T.base);
}

/* Run the loop for ms, whatever happens (to show that nothing does). */
static void
run_for(uint64_t ms)
{
	struct event_timer *t = event_timer_new(T.base, on_stop, NULL);

	T.want_lines = T.want_events = 1 << 30;
	event_timer_start(t, ms, false);
	event_loop_run(T.base);
	event_timer_free(&t);
}

static void
put(const void *p, size_t n)
{
	if (write(T.peer, p, n) != (ssize_t)n) {
		printf("Bail out! write to the peer: %s\n", strerror(errno));
		exit(1);
	}
}

static void
puts_peer(const char *s)
{
	put(s, strlen(s));
}

/* Each byte alone, each taken by lineio before the next is sent. */
static void
put_bytewise(const char *s, int *lines_before_last)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		put(s + i, 1);
		settle();
		if (i + 2 == n && lines_before_last != NULL)
			*lines_before_last = T.nline + T.nevent;
	}
}

static void
test_framing(void)
{
	int before = -1;

	setup(64, 0);
	puts_peer("abc\r\ndef\n");
	run_until(2, 0);
	is_str(T.log, "L:abc\\r|L:def|", "LF removed, CR kept");

	T.log[0] = '\0';
	T.nline = 0;
	puts_peer("one\ntwo\n\nthree\n");
	settle();
	is_str(T.log, "L:one|L:two|L:|L:three|",
	    "four lines (one empty) from one write, nothing else");

	T.log[0] = '\0';
	T.nline = 0;
	put_bytewise("split \r line\r\n", &before);
	is_int(before, 0, "no line or event before the LF arrived");
	is_str(T.log, "L:split \\r line\\r|", "byte by byte: one whole line");

	T.log[0] = '\0';
	put_bytewise("x\ny\n", NULL);
	is_str(T.log, "L:x|L:y|", "short lines byte by byte");
	ok(!T.guard_fired, "framing: no guard");
	teardown();

	/* A last line without LF is dropped at EOF; the owner frees. */
	setup(64, 0);
	T.free_on_end = true;
	puts_peer("done\npartial");
	shutdown(T.peer, SHUT_WR);
	run_until(0, 1);
	is_str(T.log, "L:done|E:EOF|", "a final line without LF is not delivered");
	ok(T.l == NULL, "freed inside the EOF callback");
	teardown();
}

static void
test_limits(void)
{
	char big[4096];
	int i, before = -1;

	setup(8, 0);
	puts_peer("12345678\n");
	run_until(1, 0);
	is_str(T.log, "L:12345678|", "max_line bytes exactly: delivered");

	T.log[0] = '\0';
	T.nline = 0;
	puts_peer("123456789\nnext\n");
	run_until(1, 1);
	settle();
	is_str(T.log, "E:TOO_LONG|L:next|",
	    "max_line+1 in one write: one TOO_LONG, next line delivered");

	T.log[0] = '\0';
	T.nline = T.nevent = 0;
	puts_peer("1234567\r\n");
	run_until(1, 0);
	is_str(T.log, "L:1234567\\r|", "max_line counting the CR: delivered");

	T.log[0] = '\0';
	T.nline = 0;
	put_bytewise("abcdefgh\n", &before);
	is_int(before, 0, "max_line bytes without LF yet: no line, no event");
	is_str(T.log, "L:abcdefgh|", "max_line bytes exactly, byte by byte");

	T.log[0] = '\0';
	T.nline = 0;
	put_bytewise("abcdefghi\nok\n", NULL);
	is_str(T.log, "E:TOO_LONG|L:ok|",
	    "max_line+1 byte by byte: one TOO_LONG, next line delivered");

	T.log[0] = '\0';
	T.nline = T.nevent = 0;
	puts_peer("123456789\n1234567890\nfine\n");
	run_until(1, 2);
	is_str(T.log, "E:TOO_LONG|E:TOO_LONG|L:fine|",
	    "two over-long lines in a row: one TOO_LONG each");

	/* A long stretch without LF, over many reads. */
	T.log[0] = '\0';
	T.nline = T.nevent = 0;
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 64; i++) {
		put(big, i % 2 ? sizeof(big) : 7);
		settle();
	}
	is_int(T.nevent, 1, "64 reads of an over-long line: one TOO_LONG");
	is_int(T.nline, 0, "... and no line");
	puts_peer("tail\nafter\n");
	run_until(1, 1);
	settle();
	is_str(T.log, "E:TOO_LONG|L:after|",
	    "the over-long line's end is skipped, the next is delivered");
	ok(!T.guard_fired, "limits: no guard");
	teardown();
}

/* Lines of every size up to max_line: the scratch grows and shrinks. */
static const size_t sizes_sent[] = { 10, 300, 5999, 2000, 10, 6000, 1023,
	1025, 1 };
#define NSIZES (sizeof(sizes_sent) / sizeof(sizes_sent[0]))
static size_t sizes_got[NSIZES];
static size_t sizes_bad;

static void
sizes_hook(struct span line)
{
	size_t i = (size_t)T.nline - 1;

	if (i < NSIZES)
		sizes_got[i] = line.len;
	for (size_t k = 0; k < line.len; k++)
		sizes_bad += line.p[k] != (unsigned char)('a' + (k + i) % 26);
}

static void
test_line_sizes(void)
{
	static char line[6001];
	size_t good = 0;

	setup(6000, 0);
	T.hook = sizes_hook;
	for (size_t i = 0; i < NSIZES; i++) {
		for (size_t k = 0; k < sizes_sent[i]; k++)
			line[k] = (char)('a' + (k + i) % 26);
		put(line, sizes_sent[i]);
		puts_peer("\n");
		/* One at a time, so a line never shares a read with the next. */
		run_until((int)i + 1, 0);
		T.log[0] = '\0';
	}
	for (size_t i = 0; i < NSIZES; i++)
		good += sizes_got[i] == sizes_sent[i];
	ok(good == NSIZES && sizes_bad == 0,
	    "lines of 1 to max_line bytes, growing and shrinking, arrive "
	    "whole (%zu of %zu, %zu bytes wrong)", good, NSIZES, sizes_bad);
	ok(!T.guard_fired, "line sizes: no guard");
	teardown();
}

static void
test_eof_timeout(void)
{
	uint64_t t0, t1;

	/* EOF once; nothing afterwards, not even the idle timeout. */
	setup(64, 30);
	puts_peer("a\n");
	shutdown(T.peer, SHUT_WR);
	run_until(1, 1);
	is_str(T.log, "L:a|E:EOF|", "line, then EOF");
	lineio_close_flush(T.l);	/* too late: no CLOSED */
	lineio_pause(T.l);
	lineio_resume(T.l);
	run_for(200);
	is_str(T.log, "L:a|E:EOF|", "no callback after EOF (200 ms, idle 30, "
	    "close_flush, pause, resume)");
	is_int(lineio_write(T.l, "x", 1), -1, "lineio_write after EOF: -1");
	teardown();

	/* The idle timeout. */
	setup(64, 100);
	t0 = event_now_ms();
	run_until(0, 1);
	t1 = event_now_ms();
	is_str(T.log, "E:TIMEOUT|", "idle peer: TIMEOUT");
	ok(t1 - t0 >= 100, "not before idle_ms (%" PRIu64 " ms)", t1 - t0);
	ok(t1 - t0 < 1000, "and well before a second");
	run_for(150);
	is_str(T.log, "E:TIMEOUT|", "no callback after TIMEOUT");
	teardown();

	/* A line restarts the idle timer. */
	setup(64, 150);
	t0 = event_now_ms();
	run_for(100);
	puts_peer("ping\n");
	run_until(1, 1);
	t1 = event_now_ms();
	is_str(T.log, "L:ping|E:TIMEOUT|", "line, then TIMEOUT");
	ok(t1 - t0 >= 250, "the line restarted the idle timer (%" PRIu64
	    " ms)", t1 - t0);
	ok(t1 - t0 < 1250, "and TIMEOUT came well within a second after");
	teardown();

	/* No timeout at all with idle_ms 0. */
	setup(64, 0);
	run_for(150);
	is_int(T.nevent, 0, "idle_ms 0: no TIMEOUT");
	teardown();

	/* A farewell goes out before the connection ends on a timeout. */
	setup(64, 0);
	lineio_set_farewell(T.l, "421 timeout\r\n");
	lineio_set_idle(T.l, 100);
	run_until(0, 1);
	is_str(T.log, "E:TIMEOUT|", "farewell: TIMEOUT reported");
	is_str(T.peer_at_end, "421 timeout\r\n", "the farewell was sent "
	    "first");
	teardown();

	/* Output the peer never reads times out too. */
	setup(64, 100);
	{
		static char block[65536];
		int i;

		memset(block, 'x', sizeof(block));
		for (i = 0; i < 64; i++)
			lineio_write(T.l, block, sizeof(block));
		puts_peer("keep reading alive\n");
		run_until(1, 1);
		is_str(T.log, "L:keep reading alive|E:TIMEOUT|",
		    "unread output: TIMEOUT");
	}
	teardown();
}

static void
test_write(void)
{
	char got[64];
	ssize_t n;

	setup(64, 0);
	is_int(lineio_write(T.l, "hello\r\n", 7), 0, "lineio_write: 0");
	is_int(lineio_write(T.l, "world\n", 6), 0, "second lineio_write: 0");
	ok(lineio_pending(T.l) == 13, "13 bytes pending before the loop ran");
	run_while_not(all_sent);
	is_int(lineio_pending(T.l), 0, "nothing pending after the loop ran");
	n = recv(T.peer, got, sizeof(got) - 1, MSG_DONTWAIT);
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "hello\r\nworld\n", "the peer got both writes, in order");
	lineio_close_flush(T.l);
	is_int(lineio_write(T.l, "x", 1), -1, "lineio_write after close_flush: -1");
	run_until(0, 1);
	is_str(T.log, "E:CLOSED|", "close_flush outside a callback: CLOSED");
	teardown();
}

/* On "quit": answer, close_flush, and try to write once more. */
static int write_after_close;
static size_t pending_at_close;
static int quit_depth;

static void
quit_hook(struct span line)
{
	if (!span_eq(line, "quit"))
		return;
	quit_depth = T.depth;
	lineio_write(T.l, "bye\n", 4);
	pending_at_close = lineio_pending(T.l);
	lineio_close_flush(T.l);
	write_after_close = lineio_write(T.l, "late\n", 5);
	lineio_close_flush(T.l);	/* twice is harmless */
}

static void
test_close_flush(void)
{
	char got[64];
	ssize_t n;

	setup(64, 0);
	T.free_on_end = true;
	T.hook = quit_hook;
	write_after_close = 0;
	puts_peer("hello\nquit\nafter\n");
	run_until(2, 1);
	is_str(T.log, "L:hello|L:quit|E:CLOSED|",
	    "CLOSED after quit, no line after it");
	is_int(quit_depth, 1, "close_flush called inside on_line");
	ok(pending_at_close > 0, "output was queued at close_flush");
	is_int(T.depth_at_end, 0,
	    "CLOSED came after the line callback returned");
	is_str(T.peer_at_end, "bye\n", "queued output reached the peer first");
	is_int(write_after_close, -1, "lineio_write after close_flush: -1");
	ok(T.l == NULL, "freed inside the CLOSED callback");
	n = recv(T.peer, got, sizeof(got) - 1, MSG_DONTWAIT);
	got[n > 0 ? n : 0] = '\0';
	is_str(got, "bye\n", "the peer reads the answer, nothing late");
	/* libevent closes a freed bufferevent's fd on the next loop pass. */
	run_while_not(peer_eof);
	ok(peer_eof(), "then EOF");
	run_for(50);
	is_int(T.nevent, 1, "one event in all");
	ok(!T.guard_fired, "close_flush: no guard");
	teardown();
}

/* On "stop": close_flush with nothing queued. */
static void
stop_hook(struct span line)
{
	if (span_eq(line, "stop")) {
		quit_depth = T.depth;
		pending_at_close = lineio_pending(T.l);
		lineio_close_flush(T.l);
		write_after_close = lineio_write(T.l, "late\n", 5);
	}
}

static void
test_close_flush_empty(void)
{
	setup(64, 0);
	T.free_on_end = true;
	T.hook = stop_hook;
	T.depth_at_end = -1;
	write_after_close = 0;
	puts_peer("stop\nmore\n");
	run_until(1, 1);
	is_str(T.log, "L:stop|E:CLOSED|", "nothing queued: CLOSED, no more lines");
	is_int(pending_at_close, 0, "nothing was queued at close_flush");
	is_int(T.depth_at_end, 0,
	    "CLOSED came after the line callback returned (nothing queued)");
	is_int(write_after_close, -1, "lineio_write after close_flush: -1");
	ok(T.l == NULL, "freed inside the CLOSED callback");
	run_while_not(peer_eof);
	ok(peer_eof(), "the peer sees EOF and nothing else");
	ok(!T.guard_fired, "close_flush, nothing queued: no guard");
	teardown();
}

/* A flush bigger than the socket buffers, read by another thread. */
#define BIG_OUT (1024 * 1024)

static size_t big_got;
static bool big_bad;
static atomic_bool big_done;

static bool
reader_done(void)
{
	return atomic_load(&big_done);
}

static void *
reader_main(void *arg)
{
	unsigned char chunk[65536];
	ssize_t n, i;

	(void)arg;
	while ((n = read(T.peer, chunk, sizeof(chunk))) > 0) {
		for (i = 0; i < n; i++)
			if (chunk[i] != (unsigned char)((big_got + (size_t)i) % 251))
				big_bad = true;
		big_got += (size_t)n;
	}
	atomic_store(&big_done, true);
	return NULL;
}

static void
big_hook(struct span line)
{
	unsigned char *p;
	size_t i;

	if (!span_eq(line, "dump"))
		return;
	p = xmalloc(BIG_OUT);
	for (i = 0; i < BIG_OUT; i++)
		p[i] = (unsigned char)(i % 251);
	lineio_write(T.l, p, BIG_OUT / 2);
	lineio_write(T.l, p + BIG_OUT / 2, BIG_OUT - BIG_OUT / 2);
	pending_at_close = lineio_pending(T.l);
	lineio_close_flush(T.l);
	free(p);
}

static void
test_close_flush_big(void)
{
	pthread_t th;

	setup(64, 0);
	T.free_on_end = true;
	T.hook = big_hook;
	big_got = 0;
	big_bad = false;
	atomic_store(&big_done, false);
	puts_peer("dump\n");
	if (pthread_create(&th, NULL, reader_main, NULL) != 0) {
		printf("Bail out! pthread_create\n");
		exit(1);
	}
	run_until(1, 1);
	is_str(T.log, "L:dump|E:CLOSED|", "1 MiB flush: CLOSED");
	ok(pending_at_close == BIG_OUT, "1 MiB was pending at close_flush");
	ok(T.l == NULL, "freed inside the CLOSED callback");
	/* The reader ends at EOF, once the loop has closed lineio's fd. */
	run_while_not(reader_done);
	ok(!T.guard_fired, "big flush: no guard");
	if (!reader_done())
		shutdown(T.peer, SHUT_RDWR);	/* do not hang in join */
	pthread_join(th, NULL);
	ok(big_got == BIG_OUT, "the peer got all of it (%zu bytes)", big_got);
	ok(!big_bad, "in order, unchanged");
	teardown();
}

/* On "one": pause and stop the loop. */
static void
pause_hook(struct span line)
{
	if (span_eq(line, "one")) {
		lineio_pause(T.l);
		event_loop_stop(T.base);
	}
}

static void
test_pause(void)
{
	setup(64, 0);
	T.hook = pause_hook;
	puts_peer("one\ntwo\nthree\n");
	run_until(1, 0);
	is_str(T.log, "L:one|", "paused inside on_line: the rest waits");
	is_int(unread(T.fd), 0, "all of it was read (it waits in lineio)");
	puts_peer("four\n");
	run_for(100);
	is_str(T.log, "L:one|", "still paused after 100 ms");
	is_int(unread(T.fd), 5, "no reading while paused");
	lineio_resume(T.l);
	is_str(T.log, "L:one|L:two|L:three|",
	    "resume delivers the buffered lines at once, without new input");
	run_until(4, 0);
	is_str(T.log, "L:one|L:two|L:three|L:four|",
	    "and reading goes on after resume");
	lineio_resume(T.l);		/* not paused: no effect */
	is_int(T.nline, 4, "resume when not paused: nothing more");

	/* Pause and resume from outside the callbacks. */
	lineio_pause(T.l);
	puts_peer("five\n");
	run_for(50);
	is_int(T.nline, 4, "paused from outside: no line");
	lineio_resume(T.l);
	run_until(5, 0);
	is_str(T.log, "L:one|L:two|L:three|L:four|L:five|",
	    "resumed: the line arrives");
	ok(!T.guard_fired, "pause: no guard");
	teardown();
}

/*
 * Drain: a writer that queues DRAIN_CHUNK at a time, refilling only from
 * the drain callback, while the peer reads a little per millisecond.
 * What lineio holds never passes low + one chunk, every call comes at or
 * below the low mark, and the peer gets every byte in order.
 */
#define DRAIN_TOTAL (2 * 1024 * 1024)
#define DRAIN_CHUNK (64 * 1024)
#define DRAIN_LOW (16 * 1024)

static struct {
	size_t written;
	size_t got;
	size_t max_pending;
	size_t calls;
	size_t calls_above_low;
	bool bad;
	bool stopped;		/* the writer unset the callback */
} D;

static void
drain_refill(void *arg)
{
	unsigned char chunk[DRAIN_CHUNK];
	size_t i, n;

	(void)arg;
	D.calls++;
	if (lineio_pending(T.l) > DRAIN_LOW)
		D.calls_above_low++;
	n = DRAIN_TOTAL - D.written < DRAIN_CHUNK ? DRAIN_TOTAL - D.written :
						    DRAIN_CHUNK;
	for (i = 0; i < n; i++)
		chunk[i] = (unsigned char)((D.written + i) % 251);
	lineio_write(T.l, chunk, n);
	D.written += n;
	if (lineio_pending(T.l) > D.max_pending)
		D.max_pending = lineio_pending(T.l);
	if (D.written == DRAIN_TOTAL) {
		lineio_set_drain(T.l, 0, NULL, NULL);
		D.stopped = true;
	}
}

/* The peer reads up to 8 KB a tick, from the loop thread. */
static bool
drain_peer_read(void)
{
	unsigned char buf[8192];
	ssize_t n, i;

	n = recv(T.peer, buf, sizeof(buf), MSG_DONTWAIT);
	for (i = 0; i < n; i++)
		if (buf[i] != (unsigned char)((D.got + (size_t)i) % 251))
			D.bad = true;
	if (n > 0)
		D.got += (size_t)n;
	return D.got == DRAIN_TOTAL;
}

static void
test_drain(void)
{
	size_t calls;

	setup(64, 0);
	memset(&D, 0, sizeof(D));
	lineio_set_drain(T.l, DRAIN_LOW, drain_refill, NULL);
	drain_refill(NULL);	/* the first chunk; then the callback */
	run_while_not(drain_peer_read);
	is_int((long long)D.got, DRAIN_TOTAL, "drain: the peer got it all");
	ok(!D.bad, "drain: in order, unchanged");
	ok(D.stopped, "drain: the writer was called until it was done");
	ok(D.calls >= DRAIN_TOTAL / DRAIN_CHUNK,
	    "drain: one call a chunk (%zu)", D.calls);
	is_int((long long)D.calls_above_low, 0,
	    "drain: never called above the low mark");
	ok(D.max_pending <= DRAIN_LOW + DRAIN_CHUNK,
	    "drain: at most low + one chunk queued (%zu)", D.max_pending);
	calls = D.calls;
	lineio_write(T.l, "x", 1);
	run_while_not(all_sent);
	is_int((long long)D.calls, (long long)calls,
	    "drain: no call once unset");
	ok(!T.guard_fired, "drain: no guard");
	teardown();
}

int
main(void)
{
	alarm(60);	/* a hung loop fails the test instead of the run */
	signal(SIGPIPE, SIG_IGN);
	test_framing();
	test_limits();
	test_line_sizes();
	test_eof_timeout();
	test_write();
	test_close_flush();
	test_close_flush_empty();
	test_close_flush_big();
	test_pause();
	test_drain();
	return done_testing();
}
