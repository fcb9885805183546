/*
 * master_spawn.c - fork one child of a service and exec its program with
 * the master protocol: fd 3 = the alive pipe, fds 4.. = listeners, a
 * fresh minimal environment, and the options naming the instance, the
 * service, the user and the chroot directory.
 * Linked into: master.  Trust: argv comes from master.conf (admin).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/service.h"
#include "master.h"

/* The environment variables a child inherits from master. */
static const char *const kept_env[] = { "TZ", "ASAN_OPTIONS",
	"UBSAN_OPTIONS", "LSAN_OPTIONS", NULL };

#define MAX_ARGV (MASTERCF_MAX_ARGS + 2 * 64 + 16)

struct spawn_args {
	char *argv[MAX_ARGV];
	int argc;
	char *envp[16];
	char path[4096];
	char nfds[32];
};

static void
add_arg(struct spawn_args *a, const char *s)
{
	ASSERT(a->argc < MAX_ARGV - 1);
	a->argv[a->argc++] = (char *)s;
	a->argv[a->argc] = NULL;
}

static void
build_env(struct spawn_args *a, size_t nfds)
{
	static char *envbuf[8];
	int n = 0;
	size_t i;

	a->envp[n++] = "PATH=/usr/bin:/bin";
	snprintf(a->nfds, sizeof(a->nfds), "POSTERN_LISTEN_FDS=%zu", nfds);
	a->envp[n++] = a->nfds;
	for (i = 0; kept_env[i] != NULL; i++) {
		const char *v = getenv(kept_env[i]);

		if (v == NULL)
			continue;
		free(envbuf[i]);
		envbuf[i] = xmalloc(strlen(kept_env[i]) + strlen(v) + 2);
		snprintf(envbuf[i], strlen(kept_env[i]) + strlen(v) + 2,
		    "%s=%s", kept_env[i], v);
		a->envp[n++] = envbuf[i];
	}
	a->envp[n] = NULL;
}

static int
build_args(struct master *m, struct master_service *svc,
    struct spawn_args *a)
{
	const struct mastercf_service *conf = svc->conf;
	const struct params *p = &m->inst.params;
	int i;
	size_t j;

	if (conf->argv[0][0] == '/')
		snprintf(a->path, sizeof(a->path), "%s", conf->argv[0]);
	else if (snprintf(a->path, sizeof(a->path), "%s/%s",
		     p->daemon_directory, conf->argv[0]) >= (int)sizeof(a->path))
		return -1;
	a->argc = 0;
	add_arg(a, conf->argv[0]);
	add_arg(a, "-c");
	add_arg(a, m->inst.config_dir);
	add_arg(a, "-n");
	add_arg(a, conf->name);
	if (m->foreground)
		add_arg(a, "-f");
	if (m->is_root) {
		add_arg(a, "-u");
		add_arg(a, conf->user != NULL ? conf->user : p->mail_owner);
		if (conf->chroot) {
			add_arg(a, "-r");
			add_arg(a, p->queue_directory);
		}
	}
	for (i = 0; i < m->noverrides; i++) {
		add_arg(a, "-o");
		add_arg(a, m->overrides[i]);
	}
	for (j = 1; j < conf->argc; j++)
		add_arg(a, conf->argv[j]);
	build_env(a, svc->nfds);
	return 0;
}

/* In the child: put the alive pipe at 3 and the listeners at 4... */
static void
arrange_fds(struct master *m, struct master_service *svc)
{
	int tmp[1 + MASTERCF_MAX_LISTEN];
	size_t n = svc->nfds + 1;
	size_t i;

	/* First above every target, so no dup2 overwrites a source. */
	tmp[0] = fcntl(m->alive_pipe[0], F_DUPFD_CLOEXEC, 64);
	for (i = 0; i < svc->nfds; i++)
		tmp[i + 1] = fcntl(svc->fds[i], F_DUPFD_CLOEXEC, 64);
	for (i = 0; i < n; i++) {
		if (tmp[i] == -1 ||
		    dup2(tmp[i], SERVICE_ALIVE_FD + (int)i) == -1)
			_exit(126);
	}
	compat_close_from(SERVICE_ALIVE_FD + (int)n);
}

static void
reset_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE,
		SIGQUIT, SIGUSR1, SIGUSR2 };
	sigset_t all;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

pid_t
master_spawn(struct master *m, struct master_service *svc)
{
	struct spawn_args a;
	pid_t pid;

	if (build_args(m, svc, &a) == -1) {
		log_error("service %s: command path too long",
		    svc->conf->name);
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_syserr("service %s: fork", svc->conf->name);
		return -1;
	}
	if (pid > 0) {
		log_debug("service %s: started process %ld", svc->conf->name,
		    (long)pid);
		return pid;
	}
	reset_signals();
	compat_parent_death_signal(SIGTERM);
	arrange_fds(m, svc);
	execve(a.path, a.argv, a.envp);
	log_syserr("service %s: exec %s", svc->conf->name, a.path);
	_exit(127);
}
