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

/*
 * One descriptor watching many files (one inotify instance, however
 * many files): compat_watch_open() makes it (non-blocking,
 * close-on-exec; -1 with errno), compat_watch_add() adds a file and
 * returns its watch number (>= 0; a file already watched on fd gives
 * its number again), compat_watch_rm() removes one, and
 * compat_watch_read() reads what is pending.
 */
enum compat_watch_what {
	COMPAT_WATCH_WRITTEN,	/* the file was written to */
	COMPAT_WATCH_GONE,	/* the watch ended (file deleted, or removed) */
	COMPAT_WATCH_OVERFLOW,	/* notices were lost (wd -1): assume all */
};
struct compat_watch_ev {
	int wd;
	enum compat_watch_what what;
};
/* Most notices one compat_watch_read returns. */
#define COMPAT_WATCH_MAX 256
int	compat_watch_open(void);
int	compat_watch_add(int fd, const char *path);
void	compat_watch_rm(int fd, int wd);
/* Up to COMPAT_WATCH_MAX pending notices into out; how many (0: none). */
size_t	compat_watch_read(int fd, struct compat_watch_ev *out);

#endif
