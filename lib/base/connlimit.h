/*
 * connlimit.h - the connection limits of a server that runs as several
 * processes (imapd, pop3d): connections at once per client address, and
 * logged-in sessions per user and client address, counted over every
 * process of the service in a table shared through a file
 * (lib/base/shcount.h), keyed by kind, user and address.
 *
 * Linked into: imapd, pop3d.  Runs as the service's user, which owns the
 * file.  Trust: addresses come from getpeername(), user names from authd;
 * both are only hashed.  Nothing here logs: the caller does.
 */
#ifndef POSTERN_CONNLIMIT_H
#define POSTERN_CONNLIMIT_H

#include <stdint.h>

#include "base/shcount.h"
#include "base/why.h"

enum connlimit_res {
	CONNLIMIT_COUNTED,	/* counted: connlimit_sub it at the end */
	CONNLIMIT_OVER,		/* over the limit: refuse (not counted) */
	CONNLIMIT_FULL,		/* the table is full: not counted, let in */
};

/*
 * The table in the file at path (nslots as for shcount_open), opened at
 * start-up.  When the file cannot be used, a table private to this
 * process, with warn saying why (the caller logs that its limits count
 * its own connections only); NULL with why when not even that can be
 * made.  warn.msg is empty when the file is used.  Close with
 * shcount_close().
 */
struct shcount *connlimit_open(const char *path, size_t nslots,
	    struct why *warn, struct why *why);
/*
 * Count one connection of addr (user NULL), or one session of user from
 * addr, then look at the total over all processes, so that two processes
 * admitting at the same instant cannot both slip under limit.
 */
enum connlimit_res connlimit_add(struct shcount *t, const char *user,
	    const char *addr, uint64_t limit);
/* Uncount what connlimit_add counted (CONNLIMIT_COUNTED only). */
void	connlimit_sub(struct shcount *t, const char *user, const char *addr);

#endif
