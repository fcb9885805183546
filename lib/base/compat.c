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
