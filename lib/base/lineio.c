/*
 * lineio.c - line-oriented connections over libevent bufferevents.
 * Linked into: authd and the protocol daemons.  Trust: the peer is
 * hostile: lines are bounded, over-long ones skipped, idle peers dropped.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/lineio.h"
#include "base/log.h"
#include "base/xmem.h"

struct lineio {
	struct bufferevent *bev;
	size_t max_line;
	struct timeval idle;
	bool use_idle;
	bool skipping;		/* inside an over-long line */
	bool closing;		/* close once output is flushed */
	enum lineio_event close_ev; /* reported then: CLOSED or TIMEOUT */
	char *farewell;		/* sent when reading times out, or NULL */
	bool paused;
	bool ended;		/* end event delivered */
	lineio_wrap_fn *wrap;	/* pending lineio_wrap, run once output is out */
	void *wrap_arg;		/* owned by wrap until it is called */
	lineio_line_fn *on_line;
	lineio_event_fn *on_event;
	lineio_raw_fn *raw;	/* raw mode when set */
	lineio_drain_fn *drain;	/* output fell to drain_low, or NULL */
	size_t drain_low;
	void *drain_arg;
	void *arg;
	unsigned char *line;	/* scratch for one line, grown as needed */
	size_t line_cap;
};

/* Scratch kept between lines: a longer line's is freed after it, so an
 * idle connection holds at most this much. */
#define LINE_KEEP 1024

static void do_wrap(struct lineio *l);

static void
end(struct lineio *l, enum lineio_event ev)
{
	if (l->ended)
		return;
	l->ended = true;
	bufferevent_disable(l->bev, EV_READ | EV_WRITE);
	l->on_event(l->arg, ev);
}

/*
 * Raw mode: hand the input to the raw callback chunk by chunk, without
 * copying.  Returns false when the caller must stop (raw mode still on
 * and no input left, or the callback kept bytes it did not take).
 */
static bool
drain_raw(struct lineio *l, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	size_t took;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
		return false;
	took = l->raw(l->arg, span_make(v.iov_base, v.iov_len));
	ASSERT(took <= v.iov_len);
	evbuffer_drain(in, took);
	return took == v.iov_len || l->raw == NULL;
}

/* Make the scratch hold n bytes (n <= max_line + 1). */
static void
line_room(struct lineio *l, size_t n)
{
	size_t cap = l->line_cap > 0 ? l->line_cap : 256;

	if (n <= l->line_cap)
		return;
	while (cap < n)
		cap *= 2;
	l->line = xrealloc(l->line, cap);
	l->line_cap = cap;
}

/* Deliver complete lines; skip the rest of over-long ones. */
static void
drain_lines(struct lineio *l)
{
	while (!l->paused && !l->closing && !l->ended && l->wrap == NULL) {
		/* Fetched per line: on_line may have moved us (lineio_wrap). */
		struct evbuffer *in = bufferevent_get_input(l->bev);
		struct evbuffer_ptr eol;
		size_t len;

		if (l->raw != NULL) {
			if (!drain_raw(l, in))
				return;
			continue;
		}
		eol = evbuffer_search(in, "\n", 1, NULL);
		len = evbuffer_get_length(in);
		if (eol.pos < 0) {
			if (len > l->max_line) {
				evbuffer_drain(in, len);
				if (!l->skipping)
					l->on_event(l->arg, LINEIO_TOO_LONG);
				l->skipping = true;
			}
			return;
		}
		if (l->skipping || (size_t)eol.pos > l->max_line) {
			evbuffer_drain(in, (size_t)eol.pos + 1);
			if (!l->skipping)
				l->on_event(l->arg, LINEIO_TOO_LONG);
			l->skipping = false;
			continue;
		}
		line_room(l, (size_t)eol.pos + 1);
		evbuffer_remove(in, l->line, (size_t)eol.pos + 1);
		l->on_line(l->arg, span_make(l->line, (size_t)eol.pos));
		if (l->line_cap > LINE_KEEP) {
			free(l->line);
			l->line = NULL;
			l->line_cap = 0;
		}
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct lineio *l = arg;

	(void)bev;
	drain_lines(l);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct lineio *l = arg;

	(void)bev;
	if (evbuffer_get_length(bufferevent_get_output(l->bev)) == 0) {
		if (l->closing) {
			end(l, l->close_ev);
			return;
		}
		if (l->wrap != NULL) {
			do_wrap(l);
			return;
		}
	}
	/* Only called at or below the low mark (the write watermark). */
	if (l->drain != NULL && !l->closing && l->wrap == NULL && !l->ended)
		l->drain(l->drain_arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct lineio *l = arg;

	(void)bev;
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    l->farewell != NULL && !l->closing && l->wrap == NULL) {
		/* Say why, then close; the write timeout bounds it. */
		lineio_write(l, l->farewell, strlen(l->farewell));
		lineio_close_flush(l);
		l->close_ev = LINEIO_TIMEOUT;
	} else if (what & BEV_EVENT_TIMEOUT)
		end(l, LINEIO_TIMEOUT);
	else if (what & BEV_EVENT_EOF)
		end(l, LINEIO_EOF);
	else if (what & BEV_EVENT_ERROR)
		end(l, LINEIO_ERROR);
	else if ((what & BEV_EVENT_CONNECTED) && !l->ended)
		l->on_event(l->arg, LINEIO_READY);
}

/* Give up a pending wrap: its fn only releases its argument. */
static void
cancel_wrap(struct lineio *l)
{
	lineio_wrap_fn *wrap = l->wrap;

	if (wrap == NULL)
		return;
	l->wrap = NULL;
	wrap(NULL, -1, l->wrap_arg);
}

static void
set_idle(struct lineio *l, uint64_t idle_ms)
{
	l->use_idle = idle_ms > 0;
	l->idle.tv_sec = (time_t)(idle_ms / 1000);
	l->idle.tv_usec = (suseconds_t)(idle_ms % 1000) * 1000;
}

void
lineio_set_farewell(struct lineio *l, const char *text)
{
	free(l->farewell);
	l->farewell = text != NULL ? xstrdup(text) : NULL;
}

void
lineio_set_idle(struct lineio *l, uint64_t idle_ms)
{
	set_idle(l, idle_ms);
	if (l->wrap == NULL && !l->ended)
		bufferevent_set_timeouts(l->bev, l->use_idle ? &l->idle : NULL,
		    l->use_idle ? &l->idle : NULL);
}

static void
install(struct lineio *l)
{
	bufferevent_setcb(l->bev, on_read, on_write, on_event, l);
	bufferevent_setwatermark(l->bev, EV_WRITE, l->drain_low, 0);
	/* The write timeout drops a peer that stops reading our output. */
	if (l->use_idle)
		bufferevent_set_timeouts(l->bev, &l->idle, &l->idle);
	bufferevent_enable(l->bev, l->paused ? EV_WRITE : EV_READ | EV_WRITE);
}

struct lineio *
lineio_new(struct event_base *base, int fd, size_t max_line,
    uint64_t idle_ms, lineio_line_fn *on_line, lineio_event_fn *on_ev,
    void *arg)
{
	struct lineio *l = xcalloc(1, sizeof(*l));

	l->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		close(fd);
		free(l);
		return NULL;
	}
	l->max_line = max_line;
	l->on_line = on_line;
	l->on_event = on_ev;
	l->arg = arg;
	set_idle(l, idle_ms);
	install(l);
	return l;
}

/*
 * Hand the descriptor from the old bufferevent (input already discarded,
 * output sent) to the one wrap builds.  The old one lets go of the fd
 * first, so freeing it (deferred by libevent if we are inside one of its
 * callbacks) closes nothing.
 */
static void
do_wrap(struct lineio *l)
{
	struct bufferevent *old = l->bev;
	struct bufferevent *nbev;
	lineio_wrap_fn *wrap = l->wrap;
	int fd = (int)bufferevent_getfd(old);

	l->wrap = NULL;
	bufferevent_disable(old, EV_READ | EV_WRITE);
	bufferevent_setfd(old, -1);
	nbev = wrap(bufferevent_get_base(old), fd, l->wrap_arg);
	if (nbev == NULL) {
		/* fd went with the failed attempt; old holds none.  Report
		 * from the loop: we may be inside the line callback. */
		bufferevent_trigger_event(old, BEV_EVENT_ERROR,
		    BEV_TRIG_DEFER_CALLBACKS);
		return;
	}
	bufferevent_setcb(old, NULL, NULL, NULL, NULL);
	bufferevent_free(old);
	l->bev = nbev;
	l->skipping = false;
	install(l);
}

int
lineio_wrap(struct lineio *l, lineio_wrap_fn *wrap, void *arg,
    size_t *discarded_out)
{
	struct evbuffer *in = bufferevent_get_input(l->bev);

	if (l->ended || l->closing || l->wrap != NULL) {
		wrap(NULL, -1, arg);
		return -1;
	}
	*discarded_out = evbuffer_get_length(in);
	evbuffer_drain(in, *discarded_out);
	bufferevent_disable(l->bev, EV_READ);
	bufferevent_set_timeouts(l->bev, NULL, NULL);
	l->wrap = wrap;
	l->wrap_arg = arg;
	if (evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
		do_wrap(l);
	return 0;
}

struct bufferevent *
lineio_bufferevent(const struct lineio *l)
{
	return l->bev;
}

int
lineio_write(struct lineio *l, const void *p, size_t n)
{
	if (l->ended || l->closing || l->wrap != NULL)
		return -1;
	return bufferevent_write(l->bev, p, n);
}

void
lineio_pause(struct lineio *l)
{
	l->paused = true;
	bufferevent_disable(l->bev, EV_READ);
}

void
lineio_resume(struct lineio *l)
{
	if (!l->paused || l->ended || l->closing)
		return;
	l->paused = false;
	if (l->wrap != NULL)
		return;
	bufferevent_enable(l->bev, EV_READ);
	/* Lines may already be buffered: no new read event will come. */
	drain_lines(l);
}

void
lineio_raw(struct lineio *l, lineio_raw_fn *fn)
{
	bool was_raw = l->raw != NULL;

	l->raw = fn;
	/* Back to lines inside the raw callback: drain_lines goes on. */
	if (was_raw && fn == NULL)
		l->skipping = false;
}

size_t
lineio_pending(const struct lineio *l)
{
	return evbuffer_get_length(bufferevent_get_output(l->bev));
}

void
lineio_set_drain(struct lineio *l, size_t low, lineio_drain_fn *fn,
    void *arg)
{
	l->drain = fn;
	l->drain_arg = arg;
	l->drain_low = fn != NULL ? low : 0;
	bufferevent_setwatermark(l->bev, EV_WRITE, l->drain_low, 0);
}

void
lineio_close_flush(struct lineio *l)
{
	if (l->closing || l->ended)
		return;
	l->closing = true;
	l->close_ev = LINEIO_CLOSED;
	cancel_wrap(l);
	bufferevent_disable(l->bev, EV_READ);
	/* Report from the loop, never from inside the caller's callback. */
	bufferevent_trigger(l->bev, EV_WRITE,
	    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void
lineio_free(struct lineio **lp)
{
	struct lineio *l = *lp;

	if (l == NULL)
		return;
	cancel_wrap(l);
	bufferevent_free(l->bev);
	free(l->line);
	free(l->farewell);
	free(l);
	*lp = NULL;
}
