/*
 * pidfile.h - a pid file that is also a lock: one master per instance.
 * Linked into: master, postern.  Trust: the file is ours, but its
 * contents are checked (a stale or garbled file is not trusted).
 */
#ifndef POSTERN_PIDFILE_H
#define POSTERN_PIDFILE_H

#include <sys/types.h>

#include "base/why.h"

/*
 * Create or open path, take an exclusive lock on it and write our pid.
 * Returns the locked descriptor (keep it open for the life of the
 * process), or -1 with why; when another process holds the lock, why says
 * "already running (pid N)".
 */
int	pidfile_lock(const char *path, struct why *why);
/* Rewrite the pid after a fork (daemon mode).  0 or -1. */
int	pidfile_update(int fd, struct why *why);
/*
 * The pid of the live process that holds the lock on path: 0 and *pid_out
 * set; 1 when no process holds it (not running); -1 with why on error.
 */
int	pidfile_owner(const char *path, pid_t *pid_out, struct why *why);

#endif
