/*
 * pidfile.c - pid files locked with fcntl(F_SETLK) for as long as the
 * owner lives, so a stale file never blocks a start.
 * Linked into: master, postern.  Trust: contents are parsed strictly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/parse.h"
#include "base/pidfile.h"

int
pidfile_update(int fd, struct why *why)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, text, (size_t)n, 0) != n)
		return why_syserr(why, "write pid file");
	return 0;
}

static int
lock_owner(int fd, pid_t *pid_out)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &fl) == -1)
		return -1;
	if (fl.l_type == F_UNLCK)
		return 1;
	*pid_out = fl.l_pid;
	return 0;
}

int
pidfile_lock(const char *path, struct why *why)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pid_t owner = 0;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return why_syserr(why, "%s", path);
	if (fcntl(fd, F_SETLK, &fl) == -1) {
		int e = errno;

		if ((e == EAGAIN || e == EACCES) && lock_owner(fd, &owner) == 0)
			why_set(why, "%s: already running (pid %ld)", path,
			    (long)owner);
		else
			why_syserr(why, "%s: lock", path);
		close(fd);
		return -1;
	}
	if (pidfile_update(fd, why) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
pidfile_owner(const char *path, pid_t *pid_out, struct why *why)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (fd == -1)
		return errno == ENOENT ? 1 : why_syserr(why, "%s", path);
	/* F_GETLK with a write lock needs only a descriptor to test. */
	r = lock_owner(fd, pid_out);
	if (r == -1)
		why_syserr(why, "%s: lock test", path);
	close(fd);
	return r;
}
