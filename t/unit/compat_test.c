/*
 * compat_test.c - unit tests for lib/base/compat: closing descriptors from
 * a number on, reading ids back, no_new_privs, the parent-death signal.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

#include "base/compat.h"
#include "tap.h"

static void
close_from_child(void *arg)
{
	int fd = open("/dev/null", O_RDONLY);
	int high = fcntl(fd, F_DUPFD, 100);

	(void)arg;
	compat_close_from(50);
	/* Exit 0 only if the low fd survived and the high one is gone. */
	_exit(fcntl(fd, F_GETFD) != -1 && high >= 100 &&
		    fcntl(high, F_GETFD) == -1 ? 0 : 1);
}

static void
no_new_privs_child(void *arg)
{
	(void)arg;
	_exit(compat_no_new_privs() == 0 &&
		    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
}

static void
death_signal_child(void *arg)
{
	int sig = 0;

	(void)arg;
	_exit(compat_parent_death_signal(SIGTERM) == 0 &&
		    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 &&
		    sig == SIGTERM ? 0 : 1);
}

int
main(void)
{
	uid_t r;
	uid_t e;
	uid_t s;
	gid_t gr;
	gid_t ge;
	gid_t gs;
	int st;

	ok(compat_getresuid(&r, &e, &s) == 0 && r == getuid() &&
		e == geteuid(), "getresuid reads our ids");
	ok(compat_getresgid(&gr, &ge, &gs) == 0 && gr == getgid() &&
		ge == getegid(), "getresgid reads our ids");
	ok(compat_setresuid(geteuid()) == 0, "setresuid to ourselves works");
	st = tap_fork(close_from_child, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "close_from closes high descriptors and keeps low ones");
	st = tap_fork(no_new_privs_child, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no_new_privs is set");
	st = tap_fork(death_signal_child, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the parent-death signal is set");
	return done_testing();
}
