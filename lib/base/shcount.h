/*
 * shcount.h - counters shared by the processes of a service through a
 * memory-mapped file: "how many connections does this client address
 * have open, in all imapd processes together".  Each process counts only
 * in entries it owns, and a count is the sum over the processes that are
 * alive, so a process that crashes takes its counts with it.
 *
 * How: the file holds a table of slots {owner, count, two 64-bit hashes
 * of the key} changed with lock-free atomics, never a lock on the hot
 * path.  Each process holds an fcntl() write lock on one byte that names
 * it (its owner number); a lock vanishes when its process dies, so F_GETLK
 * tells a dead owner from a live one, and a process that takes an owner
 * number first clears what a dead holder left.  A key is hashed, with the
 * file's random seeds, to a window of slots that every operation scans
 * whole.  Counts are exact except within an instant in which two
 * processes change entries of one window (then a total can be off by
 * one); a full window refuses to count (the caller decides; imapd lets
 * the connection in).
 *
 * Linked into: imapd, pop3d (through connlimit).  Runs as the service's
 * user, which owns the file.
 * Trust: keys are peer data (addresses, user names) and are only hashed;
 * the file is ours, but its header is checked before it is used.  Not
 * thread-safe: one thread of a process uses the table, and a process
 * opens a file once (fcntl locks belong to the process, not the
 * descriptor).
 */
#ifndef POSTERN_SHCOUNT_H
#define POSTERN_SHCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Processes that may share one file. */
#define SHCOUNT_MAX_PROCS 256

struct shcount;

/*
 * The table in the file at path (created, mode 0600, O_NOFOLLOW, when it
 * does not exist; set up afresh when no live process uses it and its
 * header does not match nslots), or, with path NULL, a private table in
 * memory that counts for this process only.  nslots is rounded up to a
 * power of two between 1024 and 1048576.  Blocks briefly on a lock held
 * by another process setting up the file: call it at start-up.  Returns
 * the table (free with shcount_close()), or NULL with why set.
 */
struct shcount *shcount_open(const char *path, size_t nslots,
	    struct why *why);
/* Unmap, release the owner number, free; NULL allowed, pointer cleared. */
void	shcount_close(struct shcount **cp);
/* True when counts are shared with other processes (a file is open). */
bool	shcount_is_shared(const struct shcount *c);

/*
 * Count one more for key in this process.  Returns 0, or -1 when key's
 * window has no free slot (nothing counted: do not shcount_sub later).
 */
int	shcount_add(struct shcount *c, struct span key);
/* Count one less for key in this process (after a successful add). */
void	shcount_sub(struct shcount *c, struct span key);
/* The count of key summed over the live processes, this one included. */
uint64_t shcount_total(struct shcount *c, struct span key);

#endif
