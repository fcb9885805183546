/*
 * service_test.c - unit tests for lib/mail/service, the daemon skeleton:
 * options and overrides, listeners received at fd 4, SIGTERM ending the
 * loop, exit when master's pipe closes, and a failing init.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/file.h"
#include "base/net.h"
#include "mail/service.h"
#include "tap.h"

static char dir[64];
static int listen_fd;
static int alive[2];
static bool fail_init;

static int
init(struct service *svc)
{
	if (fail_init || svc->argc != 1 || strcmp(svc->argv[0], "extra") != 0)
		return -1;
	return 0;
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %s %zu %zu\n", svc->name,
	    svc->params.myhostname, index, svc->nlisten);

	if (write(fd, line, (size_t)n) != n)
		_exit(98);
	close(fd);
}

static const struct service_ops ops = { init, NULL, on_accept, NULL, NULL };

/* The child: what master would set up, then service_main. */
static void
run_service(void *arg)
{
	char *argv[] = { "svctest", "-c", dir, "-n", "unit", "-f", "-o",
		"myhostname=unit.example", "extra", NULL };

	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(99);
	close(alive[1]);
	/* Move both above the targets first so neither overwrites the other. */
	alive[0] = fcntl(alive[0], F_DUPFD, 20);
	listen_fd = fcntl(listen_fd, F_DUPFD, 20);
	if (dup2(alive[0], SERVICE_ALIVE_FD) == -1 ||
	    dup2(listen_fd, SERVICE_LISTEN_FD) == -1)
		_exit(97);
	setenv("POSTERN_LISTEN_FDS", "1", 1);
	_exit(service_main(9, argv, "svctest", &ops, NULL));
}

static pid_t
spawn(void)
{
	pid_t pid;

	if (pipe(alive) == -1)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		run_service(NULL);
	close(alive[0]);
	return pid;
}

static int
finish(pid_t pid)
{
	int st = -1;

	waitpid(pid, &st, 0);
	close(alive[1]);
	return st;
}

static void
ask(const struct net_addr *a, char *out, size_t size)
{
	struct why why;
	int fd = net_connect(a, 5000, &why);
	ssize_t n = fd >= 0 ? read(fd, out, size - 1) : -1;

	out[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	struct net_addr a;
	struct why why;
	char name[NET_ADDR_STRLEN];
	char line[256];
	pid_t pid;
	int st;

	alarm(60);	/* a hang is a failure, not a stuck test run */
	snprintf(dir, sizeof(dir), "/tmp/service-test-XXXXXX");
	if (mkdtemp(dir) == NULL || net_addr_parse(span_str("127.0.0.1:1"),
					&a, &why) == -1)
		return 1;
	a.port = 0;
	listen_fd = net_listen(&a, 16, 0, &why);
	ok(listen_fd >= 0 && net_sockname(listen_fd, name) == 0,
	    "a listener for the service");
	net_addr_parse(span_str(name), &a, &why);

	pid = spawn();
	ask(&a, line, sizeof(line));
	is_str(line, "unit unit.example 0 1\n",
	    "the service answers on fd 4 with its name and the -o override");
	ask(&a, line, sizeof(line));
	is_str(line, "unit unit.example 0 1\n", "and goes on serving");
	kill(pid, SIGTERM);
	st = finish(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM: exit status 0");

	pid = spawn();
	ask(&a, line, sizeof(line));
	close(alive[1]);
	st = finish(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "master's pipe closing ends the service (status 1)");

	fail_init = true;
	pid = spawn();
	st = finish(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "a failing init exits 1");
	fail_init = false;

	if (file_write_atomic("/dev/null/x", span_str(""), 0644, &why) == 0)
		return 1;
	snprintf(line, sizeof(line), "%s/postern.conf", dir);
	file_write_atomic(line, span_str("log_level = loud\n"), 0644, &why);
	pid = spawn();
	st = finish(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 2,
	    "a bad configuration exits 2");
	unlink(line);
	rmdir(dir);
	close(listen_fd);
	return done_testing();
}
