/*
 * file.h - small file helpers: read a whole file, write one atomically,
 * check that only root can change one.
 * Linked into: every program.  Trust: paths come from configuration, never
 * from peers.
 */
#ifndef POSTERN_FILE_H
#define POSTERN_FILE_H

#include <sys/types.h>

#include "base/buf.h"
#include "base/why.h"

/*
 * Append the contents of path to out (bounded by out's max).  Returns 0,
 * 1 when the file does not exist, or -1 with why ("path: reason").
 */
int	file_read(const char *path, struct buf *out, struct why *why);
/*
 * Append what is left to read on fd to out.  0, or -1 with why (the
 * read error; or "larger than MAX bytes" with errno EFBIG when out's max
 * would be passed: out then holds what fit).
 */
int	file_read_fd(int fd, struct buf *out, struct why *why);
/*
 * Replace path with data atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory.  0 or -1 with why.
 */
int	file_write_atomic(const char *path, struct span data, mode_t mode,
	    struct why *why);
/* fsync the directory that holds path.  0 or -1 with why. */
int	file_sync_dir(const char *path, struct why *why);

/*
 * Whether only root can change path: it is a regular file (not a
 * symbolic link) and it and the directory that holds it are owned by
 * uid 0 and have no group or other write permission.  With fd >= 0 the
 * file checked is the one open on fd (fstat), else path (lstat).  0, or
 * -1 with why naming the first that fails ("directory /x is not owned by
 * root").  Parent directories further up are not checked.
 */
int	file_root_only(const char *path, int fd, struct why *why);

#endif
