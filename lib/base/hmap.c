/*
 * hmap.c - a hash table with separate chaining, doubling when the load
 * passes 1; FNV-1a over a random per-table seed (hmap.h).
 * Linked into: any program.  Trust: see hmap.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hmap.h"
#include "base/xmem.h"

struct node {
	struct node *next;
	uint64_t hash;
	void *val;
	size_t len;
	unsigned char key[];
};

struct hmap {
	struct node **bucket;
	size_t nbucket;			/* a power of 2 */
	size_t count;
	uint64_t seed;
};

static uint64_t
hash(const struct hmap *m, struct span k)
{
	uint64_t h = 14695981039346656037ull ^ m->seed;
	size_t i;

	for (i = 0; i < k.len; i++) {
		h ^= k.p[i];
		h *= 1099511628211ull;
	}
	/* Mix the high bits down: buckets take the low ones. */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

struct hmap *
hmap_new(void)
{
	struct hmap *m = xcalloc(1, sizeof(*m));

	m->nbucket = 16;
	m->bucket = xcalloc(m->nbucket, sizeof(*m->bucket));
	if (getentropy(&m->seed, sizeof(m->seed)) == -1)
		m->seed = (uint64_t)(uintptr_t)m;
	return m;
}

void
hmap_free(struct hmap **mp)
{
	struct hmap *m = *mp;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbucket; i++) {
		struct node *n = m->bucket[i];

		while (n != NULL) {
			struct node *next = n->next;

			free(n);
			n = next;
		}
	}
	free(m->bucket);
	free(m);
	*mp = NULL;
}

/* The link that points at key's node, or at the end of its chain. */
static struct node **
find(const struct hmap *m, struct span key, uint64_t h)
{
	struct node **pp = &m->bucket[h & (m->nbucket - 1)];

	while (*pp != NULL && ((*pp)->hash != h || (*pp)->len != key.len ||
				  memcmp((*pp)->key, key.p, key.len) != 0))
		pp = &(*pp)->next;
	return pp;
}

void *
hmap_get(const struct hmap *m, struct span key)
{
	struct node *n = *find(m, key, hash(m, key));

	return n != NULL ? n->val : NULL;
}

static void
grow(struct hmap *m)
{
	size_t nb = m->nbucket * 2, i;
	struct node **b = xcalloc(nb, sizeof(*b));

	for (i = 0; i < m->nbucket; i++) {
		struct node *n = m->bucket[i];

		while (n != NULL) {
			struct node *next = n->next;

			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(m->bucket);
	m->bucket = b;
	m->nbucket = nb;
}

void *
hmap_put(struct hmap *m, struct span key, void *val)
{
	uint64_t h = hash(m, key);
	struct node **pp = find(m, key, h);
	struct node *n;
	void *old;

	if (*pp != NULL) {
		old = (*pp)->val;
		(*pp)->val = val;
		return old;
	}
	n = xmalloc(sizeof(*n) + key.len);
	n->next = NULL;
	n->hash = h;
	n->val = val;
	n->len = key.len;
	if (key.len > 0)
		memcpy(n->key, key.p, key.len);
	*pp = n;
	if (++m->count > m->nbucket)
		grow(m);
	return NULL;
}

void *
hmap_del(struct hmap *m, struct span key)
{
	struct node **pp = find(m, key, hash(m, key));
	struct node *n = *pp;
	void *val;

	if (n == NULL)
		return NULL;
	*pp = n->next;
	val = n->val;
	free(n);
	m->count--;
	return val;
}

size_t
hmap_count(const struct hmap *m)
{
	return m->count;
}
