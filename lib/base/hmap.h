/*
 * hmap.h - a hash table from byte-string keys to pointers: destinations
 * in qmgr, recipients seen while expanding aliases, and the like.
 * Linked into: any program.  Trust: keys may be peer data (addresses), so
 * the hash is keyed with a random seed per table: a peer cannot choose
 * keys that all land in one bucket.  Not thread-safe: one table, one
 * thread at a time.
 */
#ifndef POSTERN_HMAP_H
#define POSTERN_HMAP_H

#include <stddef.h>

#include "base/buf.h"

struct hmap;

/* An empty table (never NULL: allocation failure panics). */
struct hmap *hmap_new(void);
/* Free the table and its copies of the keys, not the values.  NULL is
 * fine; clears *mp. */
void	hmap_free(struct hmap **mp);
/* The value of key, or NULL. */
void	*hmap_get(const struct hmap *m, struct span key);
/* Map key (copied) to val (not NULL), replacing an old value, which is
 * returned (NULL when the key was new). */
void	*hmap_put(struct hmap *m, struct span key, void *val);
/* Remove key; its value, or NULL when it was not there. */
void	*hmap_del(struct hmap *m, struct span key);
size_t	hmap_count(const struct hmap *m);

#endif
