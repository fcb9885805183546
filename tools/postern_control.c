/*
 * postern_control.c - "postern start | stop | reload | status": run and
 * signal the master of an instance.  As root, start first creates or
 * checks the system users and the directories privilege separation needs.
 * Linked into: postern.  Trust: the admin's files and arguments.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/pidfile.h"
#include "postern.h"

int
postern_master_path(const struct instance *inst, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/master",
	    inst->params.daemon_directory);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
postern_exec_master(const struct instance *inst, bool foreground,
    char *const *overrides, int noverrides)
{
	char path[4096];
	char *argv[8 + 2 * 64];
	int argc = 0;
	int status;
	pid_t pid;
	int i;

	if (postern_master_path(inst, path, sizeof(path)) == -1 ||
	    noverrides > 64)
		return 2;
	argv[argc++] = "master";
	argv[argc++] = "-c";
	argv[argc++] = inst->config_dir;
	if (foreground)
		argv[argc++] = "-f";
	for (i = 0; i < noverrides; i++) {
		argv[argc++] = "-o";
		argv[argc++] = overrides[i];
	}
	argv[argc] = NULL;
	if (foreground) {
		execv(path, argv);
		fprintf(stderr, "postern: %s: %s\n", path, strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		execv(path, argv);
		fprintf(stderr, "postern: %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int
postern_start(const char *dir, int argc, char **argv)
{
	struct instance inst;
	int status;

	(void)argv;
	if (argc != 1)
		return 2;
	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	if (postern_prepare(&inst) == -1) {
		instance_fini(&inst);
		return 1;
	}
	status = postern_exec_master(&inst, false, NULL, 0);
	if (status == 0)
		printf("postern: started the instance in %s\n", dir);
	instance_fini(&inst);
	return status;
}

/* 0 with *pid set when master runs, 1 when not, -1 on error. */
static int
master_pid(const char *dir, pid_t *pid)
{
	struct instance inst;
	char path[4096];
	struct why why;
	int r;

	if (postern_load(&inst, dir, NULL, 0) == -1)
		return -1;
	r = instance_pid_path(&inst, path, sizeof(path));
	if (r == 0)
		r = pidfile_owner(path, pid, &why);
	if (r == -1)
		fprintf(stderr, "postern: %s\n", why.msg);
	instance_fini(&inst);
	return r;
}

static int
signal_master(const char *dir, int sig, pid_t *pid)
{
	int r = master_pid(dir, pid);

	if (r == 1)
		fprintf(stderr, "postern: the instance in %s is not running\n",
		    dir);
	if (r != 0)
		return r == -1 ? 2 : 1;
	if (kill(*pid, sig) == -1) {
		fprintf(stderr, "postern: kill %ld: %s\n", (long)*pid,
		    strerror(errno));
		return 1;
	}
	return 0;
}

int
postern_stop(const char *dir, int argc, char **argv)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	pid_t pid;
	int r = argc == 1 ? signal_master(dir, SIGTERM, &pid) : 2;
	int i;

	(void)argv;
	if (r != 0)
		return r;
	/* Wait for the lock to go: master removes it last. */
	for (i = 0; i < 20 * 120; i++) {
		if (master_pid(dir, &pid) == 1) {
			printf("postern: stopped\n");
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "postern: master (pid %ld) is still running\n",
	    (long)pid);
	return 1;
}

int
postern_reload(const char *dir, int argc, char **argv)
{
	pid_t pid;
	int r = argc == 1 ? signal_master(dir, SIGHUP, &pid) : 2;

	(void)argv;
	if (r == 0)
		printf("postern: asked master (pid %ld) to reload\n",
		    (long)pid);
	return r;
}

int
postern_status(const char *dir, int argc, char **argv)
{
	pid_t pid;
	int r = argc == 1 ? master_pid(dir, &pid) : -1;

	(void)argv;
	if (r == 0)
		printf("postern: the instance in %s is running (pid %ld)\n",
		    dir, (long)pid);
	else if (r == 1)
		printf("postern: the instance in %s is not running\n", dir);
	return r == -1 ? 2 : r;
}
