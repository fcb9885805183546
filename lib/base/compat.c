/*
 * compat.c - OS-specific calls behind portable names (Linux/glibc).
 * Linked into: every program.  Trust: not applicable (our own calls).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/xmem.h"

void
secret_wipe(void *p, size_t n)
{
	/* An empty buffer may have no storage at all. */
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
compat_parent_death_signal(int sig)
{
	return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0);
}

int
compat_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int
compat_setresgid(gid_t gid)
{
	return setresgid(gid, gid, gid);
}

int
compat_setresuid(uid_t uid)
{
	return setresuid(uid, uid, uid);
}

int
compat_getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	return getresgid(r, e, s);
}

int
compat_getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	return getresuid(r, e, s);
}

void
compat_close_from(int lowfd)
{
	if (close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 1024; fd++)
		close(fd);
}

int
compat_watch_file(const char *path)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd == -1)
		return -1;
	if (inotify_add_watch(fd, path, IN_MODIFY) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void
compat_watch_drain(int fd)
{
	char ev[4096];

	while (read(fd, ev, sizeof(ev)) > 0)
		;
}

int
compat_watch_open(void)
{
	return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

int
compat_watch_add(int fd, const char *path)
{
	return inotify_add_watch(fd, path, IN_MODIFY);
}

void
compat_watch_rm(int fd, int wd)
{
	/* EINVAL when the kernel ended it already: nothing to do. */
	(void)inotify_rm_watch(fd, wd);
}

size_t
compat_watch_read(int fd, struct compat_watch_ev *out)
{
	/* Watched files (not directories) give events without names. */
	char buf[COMPAT_WATCH_MAX * sizeof(struct inotify_event)]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct inotify_event ev;
	ssize_t r;
	size_t at = 0, n = 0;

	do
		r = read(fd, buf, sizeof(buf));
	while (r == -1 && errno == EINTR);
	while (r > 0 && at + sizeof(ev) <= (size_t)r && n < COMPAT_WATCH_MAX) {
		memcpy(&ev, buf + at, sizeof(ev));
		at += sizeof(ev) + ev.len;
		out[n].wd = ev.wd;
		if (ev.mask & IN_Q_OVERFLOW)
			out[n].what = COMPAT_WATCH_OVERFLOW;
		else if (ev.mask & IN_IGNORED)
			out[n].what = COMPAT_WATCH_GONE;
		else
			out[n].what = COMPAT_WATCH_WRITTEN;
		n++;
	}
	return n;
}
