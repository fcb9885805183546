/*
 * compat.h - the only home of OS-specific calls (Linux today); everything
 * else calls these wrappers.
 * Linked into: every program.  Trust: not applicable (our own calls).
 */
#ifndef POSTERN_COMPAT_H
#define POSTERN_COMPAT_H

#include <stdbool.h>
#include <sys/types.h>

/* Ask the kernel to send sig to this process when its parent dies.
 * Returns 0, or -1 where unsupported. */
int	compat_parent_death_signal(int sig);
/* Forbid gaining privileges through exec (set-uid files).  0 or -1. */
int	compat_no_new_privs(void);
/* Set real, effective and saved ids.  0 or -1 with errno. */
int	compat_setresgid(gid_t gid);
int	compat_setresuid(uid_t uid);
/* Read back real, effective and saved ids.  0 or -1. */
int	compat_getresgid(gid_t *r, gid_t *e, gid_t *s);
int	compat_getresuid(uid_t *r, uid_t *e, uid_t *s);

/* Close every descriptor >= lowfd (used between fork and exec). */
void	compat_close_from(int lowfd);

/*
 * A descriptor (non-blocking, close-on-exec) that becomes readable each
 * time path is written to (inotify on Linux).  Returns -1 with errno.
 */
int	compat_watch_file(const char *path);
/* Read and drop what a watch descriptor has to say. */
void	compat_watch_drain(int fd);

#endif
