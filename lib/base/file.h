/*
 * file.h - small file helpers: read a whole file, write one atomically.
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
 * Replace path with data atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory.  0 or -1 with why.
 */
int	file_write_atomic(const char *path, struct span data, mode_t mode,
	    struct why *why);
/* fsync the directory that holds path.  0 or -1 with why. */
int	file_sync_dir(const char *path, struct why *why);

#endif
