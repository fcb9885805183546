/*
 * event.c - libevent glue: loop set-up with pthread support, signal
 * watches owned by their loop, one-shot/periodic timers, monotonic clock.
 * Linked into: every daemon and the tools that run a loop; runs as
 * whatever user the program runs as.  Trust: not applicable (our own
 * calls; no peer data passes through here).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "base/event.h"
#include "base/log.h"
#include "base/xmem.h"

/*
 * Signal watches, all loops together.  libevent cannot enumerate a
 * base's events for us, so event_loop_free() finds its loop's watches
 * here.  The list is short (a few per daemon); the mutex only matters
 * for tests and tools that run several loops.
 */
struct sigwatch {
	struct event_base *base;	/* borrowed: the loop owns the watch */
	struct event *ev;		/* owned */
	event_signal_fn *fn;
	void *arg;			/* borrowed: the caller's */
	struct sigwatch *next;
};

struct event_timer {
	struct event *ev;		/* owned */
	event_timer_fn *fn;
	void *arg;			/* borrowed: the caller's */
	bool periodic;
};

static pthread_once_t glue_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigwatch *watches;

/* libevent's own warnings and errors, through the one logging API. */
static void
libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	case EVENT_LOG_WARN:
		log_warn("libevent: %s", msg);
		break;
	default:
		log_error("libevent: %s", msg);
		break;
	}
}

/* libevent calls this on an internal invariant failure: our panic. */
static void
libevent_fatal(int err)
{
	log_panic("libevent: fatal error %d", err);
}

static void
glue_init(void)
{
	event_set_log_callback(libevent_log);
	event_set_fatal_callback(libevent_fatal);
	/* Must precede every event_base, or locking is left off for it. */
	if (evthread_use_pthreads() == -1)
		log_panic("libevent: cannot enable pthread support");
}

struct event_base *
event_loop_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if (pthread_once(&glue_once, glue_init) != 0)
		log_panic("event_loop_new: pthread_once failed");
	cfg = event_config_new();
	if (cfg == NULL)
		log_panic("libevent: cannot allocate a loop configuration");
	/*
	 * libevent's default clock is CLOCK_MONOTONIC_COARSE, whose ticks
	 * let timers fire a few ms before event_now_ms() says they are due.
	 */
	if (event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == -1)
		log_panic("libevent: cannot ask for a precise timer");
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base == NULL)
		log_panic("libevent: cannot create an event loop");
	return base;
}

void
event_loop_free(struct event_base **basep)
{
	struct sigwatch **pp;
	struct sigwatch *w;

	if (*basep == NULL)
		return;
	pthread_mutex_lock(&watch_lock);
	pp = &watches;
	while ((w = *pp) != NULL) {
		if (w->base != *basep) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		event_free(w->ev);
		xfree(&w);
	}
	pthread_mutex_unlock(&watch_lock);
	event_base_free(*basep);
	*basep = NULL;
}

int
event_loop_run(struct event_base *base)
{
	return event_base_dispatch(base) == -1 ? -1 : 0;
}

void
event_loop_stop(struct event_base *base)
{
	if (event_base_loopbreak(base) == -1)
		log_panic("libevent: loopbreak failed");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sigwatch *w = arg;

	(void)what;
	w->fn((int)sig, w->arg);
}

int
event_signal_watch(struct event_base *base, int sig, event_signal_fn *fn,
    void *arg)
{
	struct sigwatch *w;

	if (sig <= 0 || sig >= NSIG)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->base = base;
	w->fn = fn;
	w->arg = arg;
	w->ev = evsignal_new(base, sig, on_signal, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1) {
		if (w->ev != NULL)
			event_free(w->ev);
		xfree(&w);
		return -1;
	}
	pthread_mutex_lock(&watch_lock);
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&watch_lock);
	return 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct event_timer *t = arg;

	(void)fd;
	(void)what;
	/*
	 * The event is EV_PERSIST so that periodic timers keep their
	 * cadence (libevent re-arms before calling us); a one-shot timer
	 * is disarmed here, before fn may restart or free it.
	 */
	if (!t->periodic)
		event_del(t->ev);
	t->fn(t->arg);
}

struct event_timer *
event_timer_new(struct event_base *base, event_timer_fn *fn, void *arg)
{
	struct event_timer *t = xcalloc(1, sizeof(*t));

	t->fn = fn;
	t->arg = arg;
	t->ev = event_new(base, -1, EV_PERSIST, on_timer, t);
	if (t->ev == NULL)
		log_panic("libevent: cannot create a timer");
	return t;
}

int
event_timer_start(struct event_timer *t, uint64_t msec, bool periodic)
{
	struct timeval tv;

	/* Cap at about 31 years so the seconds fit any time_t. */
	if (msec > (uint64_t)1000 * INT32_MAX)
		msec = (uint64_t)1000 * INT32_MAX;
	tv.tv_sec = (time_t)(msec / 1000);
	tv.tv_usec = (suseconds_t)(msec % 1000) * 1000;
	t->periodic = periodic;
	return event_add(t->ev, &tv) == -1 ? -1 : 0;
}

void
event_timer_stop(struct event_timer *t)
{
	event_del(t->ev);
}

bool
event_timer_is_pending(const struct event_timer *t)
{
	return event_pending(t->ev, EV_TIMEOUT, NULL) != 0;
}

void
event_timer_free(struct event_timer **tp)
{
	if (*tp == NULL)
		return;
	event_free((*tp)->ev);
	xfree(tp);
}

uint64_t
event_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		log_panic("clock_gettime(CLOCK_MONOTONIC) failed");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
