/*
 * local_main.c - local: the local delivery agent local(8), run by master
 * as root ("delivery-local" in master.conf).  Start-up and the spawner
 * only: look up default_privs, then for each connection from qmgr fork
 * a request process (local_req.c), at most local_delivery_limit at once;
 * further connections wait for a slot.  This process reads no request
 * and no mail.
 * Linked into: local.  Runs as root (as the invoking user in development
 * mode, when master is not root).  Trust: connections come from qmgr
 * (the socket is root's and the mail owner's group's); the
 * configuration is the admin's.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/event.h"
#include "base/log.h"
#include "base/xmem.h"
#include "local.h"

static struct local lc;

/* A connection waiting for a free slot. */
struct local_pending {
	int fd;
	struct local_pending *next;
};

/* Fill lc.user from the password entry of name (or of uid when name is
 * NULL).  0, or -1 after logging why. */
static int
find_user(const char *name, uid_t uid)
{
	struct passwd pw;
	struct passwd *res = NULL;
	char buf[16384];
	int err;

	err = name != NULL ? getpwnam_r(name, &pw, buf, sizeof(buf), &res) :
			     getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
	if (res == NULL && err != 0) {
		log_error("cannot look up user %s: %s", name != NULL ? name :
		    "(running uid)", strerror(err));
		return -1;
	}
	if (res == NULL) {
		log_error("no such user: %s", name != NULL ? name :
		    "(running uid)");
		return -1;
	}
	lc.user.uid = pw.pw_uid;
	lc.user.gid = pw.pw_gid;
	if (snprintf(lc.user.name, sizeof(lc.user.name), "%s", pw.pw_name) >=
		(int)sizeof(lc.user.name) ||
	    snprintf(lc.user.home, sizeof(lc.user.home), "%s", pw.pw_dir) >=
		(int)sizeof(lc.user.home)) {
		log_error("default_privs: the name or home of %s is too long",
		    pw.pw_name);
		return -1;
	}
	return 0;
}

static int
init(struct service *svc)
{
	const struct params *p = &svc->params;

	lc.svc = svc;
	lc.p = p;
	lc.pending_tail = &lc.pending;
	if (svc->argc != 0) {
		log_error("usage: local [options]");
		return -1;
	}
	if (geteuid() != 0) {
		if (find_user(NULL, getuid()) == -1)
			return -1;
		log_warn("not running as root: alias commands and files run "
			 "as %s (uid %lu), not as default_privs %s",
		    lc.user.name, (unsigned long)lc.user.uid, p->default_privs);
		return 0;
	}
	if (find_user(p->default_privs, 0) == -1)
		return -1;
	/* The whole point of the drop: never run mail's commands as root. */
	if (lc.user.uid == 0 || lc.user.gid == 0) {
		log_error("default_privs %s has uid or gid 0: refused",
		    p->default_privs);
		return -1;
	}
	return 0;
}

static void
spawn(int fd)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_syserr("fork");
		close(fd);		/* qmgr defers the recipients */
		return;
	}
	if (pid == 0) {
		size_t i;

		/* The request process: the loop and its signal handlers are
		 * the agent's, not ours. */
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		for (i = 0; i < lc.svc->nlisten; i++)
			close(lc.svc->listen_fd[i]);
		close(SERVICE_ALIVE_FD);
		local_req_run(&lc, fd);
	}
	close(fd);
	lc.running++;
}

static void
start_pending(void)
{
	struct local_pending *w;

	while (lc.pending != NULL && lc.running < lc.p->local_delivery_limit &&
	    !lc.svc->stopping) {
		w = lc.pending;
		lc.pending = w->next;
		if (lc.pending == NULL)
			lc.pending_tail = &lc.pending;
		spawn(w->fd);
		free(w);
	}
}

static void
drop_pending(void)
{
	struct local_pending *w;

	while ((w = lc.pending) != NULL) {
		lc.pending = w->next;
		close(w->fd);
		free(w);
	}
	lc.pending_tail = &lc.pending;
}

static void
on_child(int sig, void *arg)
{
	int status;
	pid_t pid;

	(void)sig;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		lc.running--;
		if (WIFSIGNALED(status))
			log_warn("request process %ld killed by signal %d",
			    (long)pid, WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_warn("request process %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
	}
	if (lc.svc->stopping && lc.running == 0)
		service_done(lc.svc);
	start_pending();
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, "", lc.queue_dir, sizeof(lc.queue_dir)) ==
		-1 ||
	    service_queue_path(svc, lc.p->authd_socket, lc.authd_path,
		sizeof(lc.authd_path)) == -1)
		log_panic("queue path too long");
	if (event_signal_watch(svc->base, SIGCHLD, on_child, NULL) == -1)
		log_panic("cannot watch SIGCHLD");
	log_info("ready: commands and files as %s, at most %llu requests",
	    lc.user.name, (unsigned long long)lc.p->local_delivery_limit);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	struct local_pending *w;

	(void)svc;
	(void)index;
	if (lc.running < lc.p->local_delivery_limit) {
		spawn(fd);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	*lc.pending_tail = w;
	lc.pending_tail = &w->next;
}

/* Requests in progress finish (a command cut short might run twice);
 * waiting connections are closed and qmgr defers them. */
static void
stop(struct service *svc)
{
	drop_pending();
	if (lc.running == 0)
		service_done(svc);
	else
		log_info("stopping: waiting for %zu requests", lc.running);
}

static void
fini(struct service *svc)
{
	(void)svc;
	drop_pending();
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, stop,
		fini };

	return service_main(argc, argv, "local", &ops, NULL);
}
