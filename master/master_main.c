/*
 * master_main.c - the supervisor: load the instance, take the pid lock,
 * bind every listener, start every service, then handle SIGCHLD (restart),
 * SIGHUP (reload) and SIGTERM/SIGINT (graceful stop).
 *
 *   master [-c CONFIG_DIR] [-f] [-o name=value]...
 *
 * -f keeps it in the foreground logging to stderr; otherwise it detaches
 * once everything is listening and logs to syslog.
 * Linked into: master.  Runs as root in production.  Trust: the admin's
 * files; nothing from the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/pidfile.h"
#include "base/xmem.h"
#include "master.h"

static void
usage(void)
{
	fprintf(stderr, "usage: master [-c CONFIG_DIR] [-f] "
			"[-o name=value]...\n");
	exit(2);
}

void
master_warn_cb(const char *msg, void *arg)
{
	(void)arg;
	log_warn("%s", msg);
}

static void
on_child(int sig, void *arg)
{
	struct master *m = arg;
	int status;
	pid_t pid;

	(void)sig;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		master_child_exited(m, pid, status);
	if (m->stopping && m->children == NULL)
		event_loop_stop(m->base);
}

static void
on_hup(int sig, void *arg)
{
	struct master *m = arg;

	(void)sig;
	if (m->stopping)
		return;
	log_info("reloading on SIGHUP");
	master_reload(m);
}

static void
on_stop_timeout(void *arg)
{
	struct master *m = arg;

	log_warn("children still running after %llus; killing them",
	    (unsigned long long)m->inst.params.master_stop_timeout);
	master_signal_children(m, SIGKILL);
}

static void
on_term(int sig, void *arg)
{
	struct master *m = arg;

	if (m->stopping)
		return;
	log_info("stopping on signal %d", sig);
	m->stopping = true;
	master_signal_children(m, SIGTERM);
	if (m->children == NULL) {
		event_loop_stop(m->base);
		return;
	}
	event_timer_start(m->stop_timer,
	    m->inst.params.master_stop_timeout * 1000, false);
}

static void
parse_args(struct master *m, int argc, char **argv, const char **dir)
{
	int c;

	m->overrides = xcalloc((size_t)argc + 1, sizeof(char *));
	while ((c = getopt(argc, argv, "c:fo:")) != -1) {
		switch (c) {
		case 'c': *dir = optarg; break;
		case 'f': m->foreground = true; break;
		case 'o': m->overrides[m->noverrides++] = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

static void
setup_logging(struct master *m)
{
	enum log_level level;
	char name[128];

	snprintf(name, sizeof(name), "%s/master", m->inst.params.syslog_name);
	if (log_open(name, m->foreground ? LOG_DEST_STDERR :
			   LOG_DEST_STDERR | LOG_DEST_SYSLOG,
		m->inst.params.syslog_facility) == -1) {
		log_error("unknown syslog_facility %s",
		    m->inst.params.syslog_facility);
		exit(2);
	}
	if (log_level_parse(m->inst.params.log_level, &level) == -1) {
		log_error("bad log_level %s", m->inst.params.log_level);
		exit(2);
	}
	log_set_level(level);
}

/* Detach; the parent exits 0 once the child says it is ready. */
static int
daemonize(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		log_fatal("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == -1)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	return p[1];
}

static void
detach_stdio(struct master *m, int ready_fd)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	log_open(NULL, LOG_DEST_SYSLOG, m->inst.params.syslog_facility);
	if (chdir("/") == -1)
		log_warn("chdir /: %s", strerror(errno));
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (write(ready_fd, "1", 1) != 1)
		log_warn("cannot tell the parent that start-up finished");
	close(ready_fd);
}

static void
start_services(struct master *m)
{
	struct why why;
	size_t i;

	if (master_check_users(m, &m->inst, &why) == -1)
		log_fatal("%s", why.msg);
	m->nsvc = m->inst.services.n;
	m->svc = xcalloc(m->nsvc + 1, sizeof(*m->svc));
	for (i = 0; i < m->nsvc; i++) {
		m->svc[i] = master_service_new(m, &m->inst.services.v[i], &why);
		if (m->svc[i] == NULL)
			log_fatal("service %s: %s", m->inst.services.v[i].name,
			    why.msg);
	}
}

static void
watch_signals(struct master *m)
{
	if (event_signal_watch(m->base, SIGCHLD, on_child, m) == -1 ||
	    event_signal_watch(m->base, SIGHUP, on_hup, m) == -1 ||
	    event_signal_watch(m->base, SIGTERM, on_term, m) == -1 ||
	    event_signal_watch(m->base, SIGINT, on_term, m) == -1)
		log_fatal("cannot watch signals");
	signal(SIGPIPE, SIG_IGN);
	m->stop_timer = event_timer_new(m->base, on_stop_timeout, m);
}

static void
shutdown_master(struct master *m, const char *pid_path)
{
	size_t i;

	for (i = 0; i < m->nsvc; i++)
		master_service_free(&m->svc[i]);
	free(m->svc);
	master_listen_close_all(m);
	unlink(pid_path);
	event_timer_free(&m->stop_timer);
	event_loop_free(&m->base);
	close(m->alive_pipe[0]);
	close(m->alive_pipe[1]);
	log_info("stopped");
	instance_fini(&m->inst);
	free(m->overrides);
}

int
main(int argc, char **argv)
{
	static struct master m;
	const char *dir = PARAMS_DEFAULT_CONFIG_DIR;
	char pid_path[4096];
	struct why why;
	int ready_fd = -1;
	size_t i;

	log_open("master", LOG_DEST_STDERR, NULL);
	parse_args(&m, argc, argv, &dir);
	if (instance_load(&m.inst, dir, m.overrides, m.noverrides,
		master_warn_cb, NULL, &why) == -1) {
		log_error("%s", why.msg);
		return 2;
	}
	setup_logging(&m);
	m.is_root = geteuid() == 0;
	if (!m.is_root)
		log_warn("not running as root: every service runs as uid %ld "
			 "without chroot (development mode)", (long)getuid());
	if (!m.foreground)
		ready_fd = daemonize();
	if (instance_pid_path(&m.inst, pid_path, sizeof(pid_path)) == -1 ||
	    pidfile_lock(pid_path, &why) == -1)
		log_fatal("%s", why.msg);
	if (pipe2(m.alive_pipe, O_CLOEXEC) == -1)
		log_fatal("pipe: %s", strerror(errno));
	m.base = event_loop_new();
	watch_signals(&m);
	start_services(&m);
	if (ready_fd != -1)
		detach_stdio(&m, ready_fd);
	log_serving();
	for (i = 0; i < m.nsvc; i++)
		master_service_fill(m.svc[i]);
	if (m.nsvc == 0)
		log_warn("%s/master.conf lists no services", m.inst.config_dir);
	log_info("started: %zu services from %s/master.conf", m.nsvc,
	    m.inst.config_dir);
	event_loop_run(m.base);
	shutdown_master(&m, pid_path);
	return 0;
}
