/*
 * service.h - the skeleton every daemon's main() calls: arguments, the
 * configuration, listeners received from master, privilege drop, the
 * event loop, signals, and exit when master goes away.
 *
 * master runs a daemon as
 *   PROGRAM -c CONFIG_DIR -n SERVICE [-f] [-u USER] [-r CHROOT_DIR]
 *           [-o name=value]... [daemon arguments]
 * with descriptor 3 the read end of a pipe master holds open (end of file
 * means master died) and descriptors 4.. the service's listening sockets,
 * their number in the environment as POSTERN_LISTEN_FDS.
 *
 * Linked into: every daemon.  Trust: arguments and descriptors come from
 * master (trusted); the environment count is still range-checked.
 */
#ifndef POSTERN_SERVICE_H
#define POSTERN_SERVICE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/cfg.h"
#include "mail/params.h"

/* Descriptor numbers of the master protocol. */
#define SERVICE_ALIVE_FD 3
#define SERVICE_LISTEN_FD 4
#define SERVICE_MAX_LISTEN 16

struct service {
	const char *name;		/* service name from master.conf */
	const char *progname;		/* program name for logs */
	struct event_base *base;
	struct params params;
	struct cfg *cfg;		/* owns the strings in params */
	const char *chroot_dir;		/* -r, or NULL */
	int listen_fd[SERVICE_MAX_LISTEN];
	size_t nlisten;
	int argc;			/* daemon arguments after options */
	char **argv;
	bool stopping;
	void *arg;			/* the daemon's own state */
};

struct service_ops {
	/*
	 * After the configuration is loaded, before the privilege drop:
	 * open files, read secrets, check arguments.  svc->base exists
	 * (events may be set up on it) but does not run before ready.
	 * Return 0, or -1 to exit with status 1 (after logging why).
	 */
	int (*init)(struct service *svc);
	/* After the privilege drop, before the first accept.  May be NULL. */
	void (*ready)(struct service *svc);
	/* A connection on listener index: non-blocking fd, now owned. */
	void (*accept)(struct service *svc, int fd, size_t index);
	/*
	 * SIGTERM: stop taking work and finish; call service_done() when
	 * finished.  NULL means stop at once.
	 */
	void (*stop)(struct service *svc);
	/* After the loop ends, before it is freed: release what the
	 * daemon holds (events, pools).  May be NULL. */
	void (*fini)(struct service *svc);
};

/* Run the daemon; returns the process exit status. */
int	service_main(int argc, char **argv, const char *progname,
	    const struct service_ops *ops, void *arg);
/*
 * Path of name inside queue_directory as this process sees it: "/name"
 * when chrooted into the queue directory, else queue_directory/name.
 * 0, or -1 when it does not fit.
 */
int	service_queue_path(const struct service *svc, const char *name,
	    char *out, size_t size);
/* End the event loop (after a graceful stop). */
void	service_done(struct service *svc);

#endif
