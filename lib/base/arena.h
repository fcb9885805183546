/*
 * arena.h - a bump allocator for the temporaries of one unit of work (one
 * IMAP command, one transaction): many small allocations, freed together
 * by arena_reset, with a hard maximum so that input cannot grow it
 * without bound.
 * Linked into: imapd (and the tests).  Trust: sizes may be driven by peer
 * data; every request is overflow-checked and bounded by the arena's max.
 */
#ifndef POSTERN_ARENA_H
#define POSTERN_ARENA_H

#include <stddef.h>

struct arena_blk;

struct arena {
	struct arena_blk *blk;	/* owned: the newest block first */
	size_t used;		/* bytes handed out since the last reset */
	size_t max;		/* most bytes handed out between resets */
};

/* Hard ceiling for any arena's max (1 GiB). */
#define ARENA_MAX_CEILING ((size_t)1 << 30)

/* Start an empty arena that hands out at most max bytes (capped). */
void	arena_init(struct arena *a, size_t max);
/*
 * n zeroed bytes aligned for any type, valid until the next arena_reset.
 * Returns NULL (the arena unchanged) when n would pass max: that is
 * input's fault, so it never aborts.
 */
void	*arena_alloc(struct arena *a, size_t n);
/* arena_alloc of nmemb * size bytes; NULL on overflow too. */
void	*arena_allocarray(struct arena *a, size_t nmemb, size_t size);
/* Forget everything handed out: wiped (it may have held a secret) and
 * freed; the arena is empty and usable again. */
void	arena_reset(struct arena *a);

#endif
