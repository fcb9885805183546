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
#include "base/xmem.h"

struct lineio {
	struct bufferevent *bev;
	size_t max_line;
	struct timeval idle;
	bool use_idle;
	bool skipping;		/* inside an over-long line */
	bool closing;		/* close once output is flushed */
	bool paused;
	bool ended;		/* end event delivered */
	lineio_line_fn *on_line;
	lineio_event_fn *on_event;
	void *arg;
	unsigned char *line;	/* scratch for one line */
};

static void
end(struct lineio *l, enum lineio_event ev)
{
	if (l->ended)
		return;
	l->ended = true;
	bufferevent_disable(l->bev, EV_READ | EV_WRITE);
	l->on_event(l->arg, ev);
}

/* Deliver complete lines; skip the rest of over-long ones. */
static void
drain_lines(struct lineio *l)
{
	struct evbuffer *in = bufferevent_get_input(l->bev);

	while (!l->paused && !l->closing && !l->ended) {
		struct evbuffer_ptr eol = evbuffer_search(in, "\n", 1, NULL);
		size_t len = evbuffer_get_length(in);

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
		evbuffer_remove(in, l->line, (size_t)eol.pos + 1);
		l->on_line(l->arg, span_make(l->line, (size_t)eol.pos));
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
	if (l->closing && evbuffer_get_length(bufferevent_get_output(
			      l->bev)) == 0)
		end(l, LINEIO_CLOSED);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct lineio *l = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		end(l, LINEIO_TIMEOUT);
	else if (what & BEV_EVENT_EOF)
		end(l, LINEIO_EOF);
	else if (what & BEV_EVENT_ERROR)
		end(l, LINEIO_ERROR);
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
	l->line = xmalloc(max_line + 2);
	l->on_line = on_line;
	l->on_event = on_ev;
	l->arg = arg;
	l->use_idle = idle_ms > 0;
	l->idle.tv_sec = (time_t)(idle_ms / 1000);
	l->idle.tv_usec = (suseconds_t)(idle_ms % 1000) * 1000;
	bufferevent_setcb(l->bev, on_read, on_write, on_event, l);
	if (l->use_idle)
		bufferevent_set_timeouts(l->bev, &l->idle, NULL);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	return l;
}

int
lineio_write(struct lineio *l, const void *p, size_t n)
{
	if (l->ended || l->closing)
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
	bufferevent_enable(l->bev, EV_READ);
	/* Lines may already be buffered: no new read event will come. */
	drain_lines(l);
}

size_t
lineio_pending(const struct lineio *l)
{
	return evbuffer_get_length(bufferevent_get_output(l->bev));
}

void
lineio_close_flush(struct lineio *l)
{
	if (l->closing || l->ended)
		return;
	l->closing = true;
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
	bufferevent_free(l->bev);
	free(l->line);
	free(l);
	*lp = NULL;
}
