/*
 * dial.c - non-blocking connects with a timeout on a libevent loop.
 * Linked into: the delivery agents.  Trust: addresses are ours; errors
 * come from the kernel.
 */
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dial.h"
#include "base/log.h"
#include "base/xmem.h"

struct dial {
	struct event *ev;	/* writable, the timeout, or the early end */
	int fd;			/* owned until handed over; -1: none */
	int err;		/* an error known at once (errno), or 0 */
	dial_fn *fn;
	void *arg;		/* borrowed: the caller's */
};

static void
dial_free(struct dial *d)
{
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct dial *d = arg;
	struct why why;
	socklen_t len = sizeof(int);
	int err = d->err;
	int out = -1;

	(void)fd;
	why.msg[0] = '\0';
	if (err == 0 && (what & EV_TIMEOUT))
		why_set(&why, "connection timed out");
	else if (err == 0 &&
	    getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		why_syserr(&why, "getsockopt");
	else if (err != 0)
		why_set(&why, "%s", strerror(err));
	else {
		out = d->fd;
		d->fd = -1;
	}
	d->fn(out, &why, d->arg);
	dial_free(d);
}

struct dial *
dial_start(struct event_base *base, const struct sockaddr *sa, socklen_t len,
    uint64_t timeout_ms, dial_fn *fn, void *arg)
{
	struct dial *d = xcalloc(1, sizeof(*d));
	struct timeval tv;
	int one = 1;

	d->fn = fn;
	d->arg = arg;
	d->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (d->fd == -1) {
		d->err = errno;
	} else {
		/* Commands and the end of a message go out whole: no Nagle
		 * delay (see lib/mail/service.c).  Not TCP: ignored. */
		(void)setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(d->fd, sa, len) == -1 && errno != EINPROGRESS)
			d->err = errno;
	}
	d->ev = event_new(base, d->err == 0 ? d->fd : -1, EV_WRITE, on_ready,
	    d);
	if (d->ev == NULL)
		log_panic("dial: cannot allocate an event");
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	if (d->err != 0)
		event_active(d->ev, EV_WRITE, 0);
	else if (event_add(d->ev, timeout_ms > 0 ? &tv : NULL) == -1)
		log_panic("dial: cannot add an event");
	return d;
}

void
dial_cancel(struct dial **dp)
{
	if (*dp == NULL)
		return;
	dial_free(*dp);
	*dp = NULL;
}
