/*
 * service.c - the daemon skeleton: options, configuration, listeners from
 * master, privilege drop, event loop and signals.
 * Linked into: every daemon.  Trust: arguments and descriptors come from
 * master; the listener count is range-checked anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/event.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/privdrop.h"
#include "base/xmem.h"
#include "mail/service.h"

/* How long accepting pauses when the process is out of descriptors. */
#define ACCEPT_PAUSE_MS 1000

struct opts {
	const char *config_dir;
	const char *user;
	const char *chroot_dir;
	bool foreground;
	char **overrides;
	int noverrides;
};

struct listener {
	struct service *svc;
	struct event *ev;
	size_t index;
};

static const struct service_ops *ops;
static struct listener listeners[SERVICE_MAX_LISTEN];
static struct event_timer *accept_pause;
static struct event *alive_ev;

static void
usage(const char *progname)
{
	log_fatal("usage: %s -c CONFIG_DIR -n SERVICE [-f] [-u USER] "
		  "[-r CHROOT_DIR] [-o name=value]... [args]",
	    progname);
}

static void
parse_opts(int argc, char **argv, struct service *svc, struct opts *o)
{
	int c;

	o->overrides = xcalloc((size_t)argc, sizeof(char *));
	/* "+": stop at the first daemon argument. */
	while ((c = getopt(argc, argv, "+c:n:fu:r:o:")) != -1) {
		switch (c) {
		case 'c': o->config_dir = optarg; break;
		case 'n': svc->name = optarg; break;
		case 'f': o->foreground = true; break;
		case 'u': o->user = optarg; break;
		case 'r': o->chroot_dir = optarg; break;
		case 'o': o->overrides[o->noverrides++] = optarg; break;
		default: usage(svc->progname);
		}
	}
	if (o->config_dir == NULL || svc->name == NULL)
		usage(svc->progname);
	svc->argc = argc - optind;
	svc->argv = argv + optind;
}

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	log_warn("%s", msg);
}

static void
load_config(struct service *svc, const struct opts *o)
{
	struct why why;
	enum log_level level;
	char name[128];

	svc->cfg = params_load(o->config_dir, o->overrides, o->noverrides,
	    &svc->params, warn_cb, NULL, &why);
	if (svc->cfg == NULL) {
		log_error("%s", why.msg);
		exit(2);
	}
	snprintf(name, sizeof(name), "%s/%s", svc->params.syslog_name,
	    svc->progname);
	if (log_open(name, o->foreground ? LOG_DEST_STDERR : LOG_DEST_SYSLOG,
		svc->params.syslog_facility) == -1)
		log_fatal("unknown syslog_facility %s",
		    svc->params.syslog_facility);
	if (log_level_parse(svc->params.log_level, &level) == -1)
		log_fatal("bad log_level %s", svc->params.log_level);
	log_set_level(level);
}

static void
take_listeners(struct service *svc)
{
	const char *env = getenv("POSTERN_LISTEN_FDS");
	uint64_t n = 0;
	size_t i;

	if (env != NULL && parse_u64(span_str(env), 0, SERVICE_MAX_LISTEN,
			       &n) == -1)
		log_fatal("bad POSTERN_LISTEN_FDS \"%s\"", env);
	for (i = 0; i < n; i++) {
		int fd = SERVICE_LISTEN_FD + (int)i;

		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			log_fatal("listener %zu (fd %d) was not passed", i, fd);
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
			log_fatal("listener %zu: cannot make non-blocking", i);
		svc->listen_fd[i] = fd;
	}
	svc->nlisten = (size_t)n;
}

static void
drop_privileges(const struct opts *o)
{
	gid_t groups[PRIVDROP_MAX_GROUPS];
	size_t ngroups;
	struct why why;
	uid_t uid;
	gid_t gid;

	if (o->user == NULL) {
		if (o->chroot_dir != NULL)
			log_fatal("-r needs -u");
		return;
	}
	/* The user's groups from the group database: membership of a
	 * service's group is how it may reach that service's socket. */
	if (privdrop_lookup(o->user, &uid, &gid, &why) == -1 ||
	    privdrop_lookup_groups(o->user, gid, groups, &ngroups, &why) ==
		-1 ||
	    privdrop_groups(uid, gid, groups, ngroups, o->chroot_dir, &why) ==
		-1)
		log_fatal("privilege drop: %s", why.msg);
}

static void
resume_accept(void *arg)
{
	struct service *svc = arg;
	size_t i;

	for (i = 0; i < svc->nlisten && !svc->stopping; i++)
		event_add(listeners[i].ev, NULL);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
pause_accept(struct service *svc)
{
	size_t i;

	log_warn("out of file descriptors; pausing new connections");
	for (i = 0; i < svc->nlisten; i++)
		event_del(listeners[i].ev);
	event_timer_start(accept_pause, ACCEPT_PAUSE_MS, false);
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *l = arg;
	int fd, one = 1;

	(void)what;
	while (!l->svc->stopping) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			/* A reply goes out whole when its command is done:
			 * Nagle would only hold its tail back until the
			 * client's delayed ACK (40 ms).  Not TCP: ignored. */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			ops->accept(l->svc, fd, l->index);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			pause_accept(l->svc);
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_syserr("accept");
		break;
	}
}

static void
stop_listening(struct service *svc)
{
	size_t i;

	svc->stopping = true;
	event_timer_stop(accept_pause);
	for (i = 0; i < svc->nlisten; i++)
		event_del(listeners[i].ev);
}

static void
on_term(int sig, void *arg)
{
	struct service *svc = arg;

	(void)sig;
	if (svc->stopping)
		return;
	log_info("stopping");
	stop_listening(svc);
	if (ops->stop != NULL)
		ops->stop(svc);
	else
		service_done(svc);
}

static void
on_master_gone(evutil_socket_t fd, short what, void *arg)
{
	char c;

	(void)what;
	(void)arg;
	if (read(fd, &c, 1) == 0) {
		log_warn("master is gone; exiting");
		_exit(1);
	}
}

int
service_queue_path(const struct service *svc, const char *name, char *out,
    size_t size)
{
	int n = svc->chroot_dir != NULL ?
	    snprintf(out, size, "/%s", name) :
	    snprintf(out, size, "%s/%s", svc->params.queue_directory, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void
service_done(struct service *svc)
{
	event_loop_stop(svc->base);
}

static void
setup_loop(struct service *svc)
{
	size_t i;

	if (event_signal_watch(svc->base, SIGTERM, on_term, svc) == -1 ||
	    event_signal_watch(svc->base, SIGINT, on_term, svc) == -1)
		log_fatal("cannot watch signals");
	accept_pause = event_timer_new(svc->base, resume_accept, svc);
	for (i = 0; i < svc->nlisten; i++) {
		listeners[i].svc = svc;
		listeners[i].index = i;
		listeners[i].ev = event_new(svc->base, svc->listen_fd[i],
		    EV_READ | EV_PERSIST, on_accept, &listeners[i]);
		if (listeners[i].ev == NULL || event_add(listeners[i].ev,
						   NULL) == -1)
			log_fatal("cannot watch listener %zu", i);
	}
	if (fcntl(SERVICE_ALIVE_FD, F_SETFD, FD_CLOEXEC) == 0) {
		alive_ev = event_new(svc->base, SERVICE_ALIVE_FD,
		    EV_READ | EV_PERSIST, on_master_gone, NULL);
		if (alive_ev == NULL || event_add(alive_ev, NULL) == -1)
			log_fatal("cannot watch the master pipe");
	}
}

int
service_main(int argc, char **argv, const char *progname,
    const struct service_ops *service_ops, void *arg)
{
	struct service svc = { .progname = progname, .arg = arg };
	struct opts o = { NULL, NULL, NULL, false, NULL, 0 };
	size_t i;

	ops = service_ops;
	signal(SIGPIPE, SIG_IGN);
	log_open(progname, LOG_DEST_STDERR, NULL);
	parse_opts(argc, argv, &svc, &o);
	load_config(&svc, &o);
	take_listeners(&svc);
	svc.chroot_dir = o.chroot_dir;
	/* Before init, which may set up things on it that read files
	 * only reachable before the chroot (smtpd's DNS resolver). */
	svc.base = event_loop_new();
	if (ops->init(&svc) == -1) {
		event_loop_free(&svc.base);
		cfg_free(&svc.cfg);
		free(o.overrides);
		return 1;
	}
	drop_privileges(&o);
	/* After the drop: changing credentials clears this setting.  The
	 * alive pipe covers a master that died before this point. */
	compat_parent_death_signal(SIGTERM);
	setup_loop(&svc);
	if (ops->ready != NULL)
		ops->ready(&svc);
	log_serving();
	event_loop_run(svc.base);
	if (ops->fini != NULL)
		ops->fini(&svc);
	for (i = 0; i < svc.nlisten; i++)
		event_free(listeners[i].ev);
	event_timer_free(&accept_pause);
	if (alive_ev != NULL)
		event_free(alive_ev);
	event_loop_free(&svc.base);
	cfg_free(&svc.cfg);
	free(o.overrides);
	return 0;
}
