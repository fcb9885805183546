/*
 * pidfile.c - pid files locked with flock() for as long as the owner
 * lives, so a stale file never blocks a start.  flock() locks belong to
 * the open file, so another descriptor opened and closed by the same
 * process (pidfile_owner) never drops the owner's lock.
 * Linked into: master, postern.  Trust: contents are parsed strictly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

/* The pid written in the file, or 0 when it is missing or garbled. */
static pid_t
read_pid(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	uint64_t pid;

	if (n <= 0)
		return 0;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	if (parse_u64(span_make(text, (size_t)n), 1, 0x7fffffff, &pid) == -1)
		return 0;
	return (pid_t)pid;
}

int
pidfile_lock(const char *path, struct why *why)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd == -1)
		return why_syserr(why, "%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			why_set(why, "%s: already running (pid %ld)", path,
			    (long)read_pid(fd));
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
	int r = 1;

	if (fd == -1)
		return errno == ENOENT ? 1 : why_syserr(why, "%s", path);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
	} else if (errno == EWOULDBLOCK) {
		*pid_out = read_pid(fd);
		r = 0;
	} else {
		r = why_syserr(why, "%s: lock test", path);
	}
	close(fd);
	return r;
}
