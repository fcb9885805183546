/*
 * dial_test.c - unit tests for lib/base/dial: a connect that succeeds
 * (unix socket), one that fails at once (no listener), one cancelled
 * before its callback, and the callback never running inside dial_start.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/dial.h"
#include "base/event.h"
#include "tap.h"

static int calls;
static int got_fd;
static char got_why[256];

static void
on_dial(int fd, const struct why *why, void *arg)
{
	calls++;
	got_fd = fd;
	snprintf(got_why, sizeof(got_why), "%s", fd < 0 ? why->msg : "");
	if (fd >= 0)
		close(fd);
	event_loop_stop(arg);
}

static void
on_stop(void *arg)
{
	event_loop_stop(arg);
}

static int
listen_unix(const char *path, struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	unlink(path);
	if (fd == -1 || bind(fd, (struct sockaddr *)sun, sizeof(*sun)) == -1 ||
	    listen(fd, 4) == -1)
		return -1;
	return fd;
}

int
main(void)
{
	struct event_base *base = event_loop_new();
	struct event_timer *t = event_timer_new(base, on_stop, base);
	struct sockaddr_un sun;
	struct dial *d;
	char path[64];
	int lfd;

	snprintf(path, sizeof(path), "/tmp/dial_test.%d", (int)getpid());
	lfd = listen_unix(path, &sun);
	ok(lfd >= 0, "listening on %s", path);

	d = dial_start(base, (struct sockaddr *)&sun, sizeof(sun), 5000,
	    on_dial, base);
	is_int(calls, 0, "no callback inside dial_start");
	event_loop_run(base);
	ok(calls == 1 && got_fd >= 0, "connected");

	unlink(path);
	calls = 0;
	d = dial_start(base, (struct sockaddr *)&sun, sizeof(sun), 5000,
	    on_dial, base);
	is_int(calls, 0, "an error known at once still waits for the loop");
	event_loop_run(base);
	ok(calls == 1 && got_fd == -1 && (strstr(got_why, "No such file") ||
	    strstr(got_why, "refused")), "no listener: %s", got_why);

	calls = 0;
	lfd = listen_unix(path, &sun);
	d = dial_start(base, (struct sockaddr *)&sun, sizeof(sun), 5000,
	    on_dial, base);
	dial_cancel(&d);
	ok(d == NULL, "cancel clears the handle");
	event_timer_start(t, 100, false);
	event_loop_run(base);
	is_int(calls, 0, "a cancelled dial never calls back");
	dial_cancel(&d);
	ok(true, "cancel of NULL is fine");

	close(lfd);
	unlink(path);
	event_timer_free(&t);
	event_loop_free(&base);
	return done_testing();
}
