/*
 * authd_map.h - a bounded map from string keys to small records with an
 * expiry time: authd's look-up cache and its failure counters.  When full,
 * the oldest entry is dropped.  Used on the event loop only.
 * Linked into: authd.  Trust: keys come from peers; they are bounded by the
 * request limit and only hashed and compared.
 */
#ifndef POSTERN_AUTHD_MAP_H
#define POSTERN_AUTHD_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct authd_map;

struct authd_map *authd_map_new(size_t max_entries);
/* Wipes stored values (they may hold password hashes). */
void	authd_map_free(struct authd_map **m);
/* The value of key if present and not expired at now_ms; else NULL.
 * Borrowed until the next change of the map. */
const struct buf *authd_map_get(struct authd_map *m, struct span key,
	    uint64_t now_ms);
/* Insert or replace; the entry expires at expires_ms. */
void	authd_map_put(struct authd_map *m, struct span key, struct span value,
	    uint64_t expires_ms);
void	authd_map_del(struct authd_map *m, struct span key);
size_t	authd_map_count(const struct authd_map *m);

#endif
