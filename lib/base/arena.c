/*
 * arena.c - a bump allocator over a list of blocks, bounded by a maximum.
 * Linked into: imapd (and the tests).  Trust: request sizes may come from
 * peer data; additions are overflow-checked before any block is made.
 */
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/xmem.h"

#define BLK_MIN 4096
#define BLK_MAX (1024 * 1024)
#define ALIGN alignof(max_align_t)

struct arena_blk {
	struct arena_blk *next;
	size_t size; /* bytes of data[] */
	size_t off;  /* bytes of data[] in use */
	alignas(max_align_t) unsigned char data[];
};

void
arena_init(struct arena *a, size_t max)
{
	a->blk = NULL;
	a->used = 0;
	a->max = max > ARENA_MAX_CEILING ? ARENA_MAX_CEILING : max;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_blk *b = a->blk;
	size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
	void *p;

	if (n == 0)
		need = ALIGN;
	if (need < n || need > a->max - a->used)
		return NULL;
	if (b == NULL || b->size - b->off < need) {
		size_t size = b == NULL ? BLK_MIN : b->size * 2;

		/* Doubling, but never a huge block ahead of need. */
		if (size > BLK_MAX)
			size = BLK_MAX;
		if (size < need)
			size = need;
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->off = 0;
		b->next = a->blk;
		a->blk = b;
	}
	p = b->data + b->off;
	b->off += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

void *
arena_allocarray(struct arena *a, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, nmemb * size);
}

void
arena_reset(struct arena *a)
{
	struct arena_blk *b = a->blk, *next;

	/* What was handed out may have been a password: wipe it.  No
	 * block is kept: an idle session holds none. */
	while (b != NULL) {
		next = b->next;
		secret_wipe(b->data, b->off);
		xfree(&b);
		b = next;
	}
	a->blk = NULL;
	a->used = 0;
}
