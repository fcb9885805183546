/*
 * pidfile_test.c - unit tests for lib/base/pidfile: the lock excludes a
 * second process and names the holder, pidfile_owner sees the holder
 * from another process, and a dead holder's file blocks nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "base/pidfile.h"
#include "tap.h"

static char dir[] = "/tmp/pidfile_test.XXXXXX";
static char path[256];

/* What a child found out, sent back over a pipe. */
struct report {
	int r;
	long pid;
	char msg[256];
};

static void
send_report(int fd, int r, long pid, const char *msg)
{
	struct report rep;

	memset(&rep, 0, sizeof(rep));
	rep.r = r;
	rep.pid = pid;
	snprintf(rep.msg, sizeof(rep.msg), "%s", msg);
	if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(98);
}

/* Fork; the child runs fn(fd) and exits; the parent gets its report. */
static bool
in_child(void (*fn)(int), struct report *rep)
{
	int p[2];
	pid_t pid;
	int status;
	bool got;

	if (pipe(p) == -1)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	got = read(p[0], rep, sizeof(*rep)) == (ssize_t)sizeof(*rep);
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
child_lock(int fd)
{
	struct why why = { "" };
	int r = pidfile_lock(path, &why);

	send_report(fd, r, 0, why.msg);
}

static void
child_owner(int fd)
{
	struct why why = { "" };
	pid_t pid = 0;
	int r = pidfile_owner(path, &pid, &why);

	send_report(fd, r, (long)pid, why.msg);
}

/* Take the lock and exit at once, leaving the file behind. */
static void
child_lock_and_exit(int fd)
{
	struct why why = { "" };
	int r = pidfile_lock(path, &why);

	send_report(fd, r, (long)getpid(), why.msg);
}

/*
 * The pid in the file, read through fd.  Opening the file again and
 * closing it would drop our fcntl lock (POSIX: any close releases all of
 * the process's locks on the file).
 */
static long
fd_pid(int fd)
{
	char text[64];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return -1;
	text[n] = '\0';
	return text[n - 1] == '\n' ? strtol(text, NULL, 10) : -1;
}

/* The pid in the file, for when we hold no lock on it. */
static long
file_pid(void)
{
	int fd = open(path, O_RDONLY);
	long pid = fd == -1 ? -1 : fd_pid(fd);

	if (fd != -1)
		close(fd);
	return pid;
}

static void
test_lock(void)
{
	struct why why = { "" };
	struct report rep;
	char want[300];
	pid_t pid = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/master.pid", dir);
	is_int(pidfile_owner(path, &pid, &why), 1, "no file: not running");

	fd = pidfile_lock(path, &why);
	if (!ok(fd >= 0, "lock taken"))
		diag("why: %s", why.msg);
	is_int(fd_pid(fd), getpid(), "file holds our pid and a newline");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "fd is close-on-exec");

	ok(in_child(child_lock, &rep), "child ran");
	is_int(rep.r, -1, "second lock from another process refused");
	snprintf(want, sizeof(want), "%s: already running (pid %ld)", path,
	    (long)getpid());
	is_str(rep.msg, want, "refusal names our pid");
	is_int(fd_pid(fd), getpid(), "refused lock leaves the pid alone");

	ok(in_child(child_owner, &rep), "child ran");
	is_int(rep.r, 0, "pidfile_owner from another process: running");
	is_int(rep.pid, getpid(), "pidfile_owner reports our pid");

	pid = 0;
	is_int(pidfile_owner(path, &pid, &why), 0,
	    "pidfile_owner from the holder itself: running");
	is_int(pid, getpid(), "and names the holder");
	ok(in_child(child_lock, &rep) && rep.r == -1,
	    "the holder's own query did not drop its lock");

	ok(pidfile_update(fd, &why) == 0 && fd_pid(fd) == getpid(),
	    "pidfile_update rewrites the pid");
	close(fd);

	ok(in_child(child_owner, &rep), "child ran");
	is_int(rep.r, 1, "after close: not running");
	unlink(path);
}

static void
test_dead_owner(void)
{
	struct why why = { "" };
	struct report rep;
	pid_t pid = 12345;
	int fd;

	ok(in_child(child_lock_and_exit, &rep) && rep.r >= 0,
	    "child took the lock and exited");
	is_int(file_pid(), rep.pid, "file still names the dead child");
	is_int(pidfile_owner(path, &pid, &why), 1,
	    "dead owner: pidfile_owner says not running");
	is_int(pid, 12345, "not running leaves pid_out alone");
	fd = pidfile_lock(path, &why);
	ok(fd >= 0, "a stale file does not block the lock");
	is_int(fd_pid(fd), getpid(), "the stale pid is replaced");
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static void
test_errors(void)
{
	struct why why = { "" };
	char bad[300];
	char target[300];
	pid_t pid = 0;

	snprintf(bad, sizeof(bad), "%s/nodir/master.pid", dir);
	ok(pidfile_lock(bad, &why) == -1 && strstr(why.msg, bad) != NULL,
	    "lock in a missing directory fails, naming the path");
	why.msg[0] = '\0';
	is_int(pidfile_owner(bad, &pid, &why), 1,
	    "owner in a missing directory: not running");

	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(bad, sizeof(bad), "%s/link.pid", dir);
	if (symlink(target, bad) == -1)
		printf("Bail out! symlink: %s\n", strerror(errno));
	why.msg[0] = '\0';
	ok(pidfile_lock(bad, &why) == -1 &&
		strstr(why.msg, strerror(ELOOP)) != NULL,
	    "a symlink is not followed");
	ok(access(target, F_OK) == -1, "nothing created through the link");
	why.msg[0] = '\0';
	ok(pidfile_owner(bad, &pid, &why) == -1 && why.msg[0] != '\0',
	    "pidfile_owner refuses a symlink");
	unlink(bad);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_lock();
	test_dead_owner();
	test_errors();
	rmdir(dir);
	return done_testing();
}
