/*
 * testsvc.c - a service for the master tests, built on the daemon
 * skeleton.  Each connection gets one line and is closed:
 *   testsvc pid=PID service=NAME uid=UID root=ROOTDIR myhostname=VALUE
 * Arguments: "crash" exits with status 1 right after start-up (a
 * crash-looping service); "slowstop" ignores the first SIGTERM's graceful
 * stop (it never finishes), so master must kill it.
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "mail/service.h"

static bool slow_stop;

static int
init(struct service *svc)
{
	int i;

	for (i = 0; i < svc->argc; i++) {
		if (strcmp(svc->argv[i], "crash") == 0) {
			log_error("crashing on purpose");
			return -1;
		}
		if (strcmp(svc->argv[i], "slowstop") == 0)
			slow_stop = true;
	}
	return 0;
}

static void
ready(struct service *svc)
{
	log_info("ready: service %s with %zu listeners", svc->name,
	    svc->nlisten);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	char root[PATH_MAX] = "?";
	char line[PATH_MAX + 512];
	ssize_t n = readlink("/proc/self/root", root, sizeof(root) - 1);
	int len;

	(void)index;
	if (n > 0)
		root[n] = '\0';
	len = snprintf(line, sizeof(line),
	    "testsvc pid=%ld service=%s uid=%ld root=%s myhostname=%s\r\n",
	    (long)getpid(), svc->name, (long)getuid(), root,
	    svc->params.myhostname);
	if (len > 0 && write(fd, line, (size_t)len) != len)
		log_warn("short write to client");
	close(fd);
}

static void
stop(struct service *svc)
{
	if (!slow_stop)
		service_done(svc);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, stop,
		NULL };

	return service_main(argc, argv, "testsvc", &ops, NULL);
}
