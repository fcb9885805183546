/*
 * event.h - libevent glue shared by every daemon: creating and freeing a
 * loop, signals delivered on the loop, one-shot and periodic timers, and
 * a monotonic millisecond clock.
 * Linked into: every daemon and the tools that run a loop; runs as
 * whatever user the program runs as.  Trust: not applicable (our own
 * calls; no peer data passes through here).
 */
#ifndef POSTERN_EVENT_H
#define POSTERN_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct event_timer;

/* Called on the loop thread for each delivery of a watched signal. */
typedef void event_signal_fn(int sig, void *arg);
/* Called on the loop thread when a timer expires. */
typedef void event_timer_fn(void *arg);

/*
 * A new event loop.  The first call turns on libevent's pthread support
 * (so that event_loop_stop() and the worker pool may be used from other
 * threads) and routes libevent's own messages to log.h.  Panics on
 * failure.  Free with event_loop_free().
 */
struct event_base *event_loop_new(void);

/*
 * Free the loop and every signal watch registered on it; accepts NULL
 * and clears the pointer.  Timers must be freed before their loop.
 */
void	event_loop_free(struct event_base **basep);

/*
 * Run the loop until event_loop_stop() is called or nothing is left to
 * wait for.  Returns 0, or -1 on a libevent error.
 */
int	event_loop_run(struct event_base *base);

/* Make event_loop_run() return once the current callback is done.  Safe
 * to call from any thread and from inside callbacks. */
void	event_loop_stop(struct event_base *base);

/*
 * Call fn(sig, arg) on the loop thread each time sig arrives, until the
 * loop is freed.  The handler is installed with sigaction by libevent;
 * as with libevent, only one loop per process should watch signals.
 * Returns 0, or -1 (invalid signal or libevent failure; nothing kept).
 */
int	event_signal_watch(struct event_base *base, int sig,
	    event_signal_fn *fn, void *arg);

/*
 * A stopped timer on base that calls fn(arg) on the loop thread.
 * Panics when libevent cannot allocate it.  base and arg are borrowed:
 * the loop must outlive the timer.  Free with event_timer_free().
 */
struct event_timer *event_timer_new(struct event_base *base,
	    event_timer_fn *fn, void *arg);

/*
 * Arm the timer to fire once after msec milliseconds, or, when periodic,
 * every msec milliseconds until stopped.  Restarting an armed timer
 * replaces its schedule.  Returns 0, or -1 on a libevent failure.
 */
int	event_timer_start(struct event_timer *t, uint64_t msec, bool periodic);
/* Disarm; a stopped timer does not fire.  Safe inside its own fn. */
void	event_timer_stop(struct event_timer *t);
/* True while the timer is armed. */
bool	event_timer_is_pending(const struct event_timer *t);
/* Stop and free; accepts NULL and clears the pointer.  Safe inside its
 * own fn. */
void	event_timer_free(struct event_timer **tp);

/* Milliseconds from an arbitrary fixed point (CLOCK_MONOTONIC); never
 * goes backwards, unaffected by changes to the wall clock. */
uint64_t event_now_ms(void);

#endif
