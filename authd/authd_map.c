/*
 * authd_map.c - a chained hash table with an insertion-order list for
 * eviction and lazy expiry.
 * Linked into: authd.  Trust: keys are peer data, bounded by the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "authd_map.h"
#include "base/xmem.h"

struct entry {
	char *key;
	size_t keylen;
	struct buf value;
	uint64_t expires_ms;
	struct entry *next;	/* hash chain */
	struct entry *older;	/* age list */
	struct entry *newer;
};

struct authd_map {
	struct entry **bucket;
	size_t nbucket;
	size_t count;
	size_t max;
	struct entry *oldest;
	struct entry *newest;
};

static size_t
hash(struct span key, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < key.len; i++)
		h = (h ^ key.p[i]) * 1099511628211ULL;
	return (size_t)(h % n);
}

struct authd_map *
authd_map_new(size_t max_entries)
{
	struct authd_map *m = xcalloc(1, sizeof(*m));

	m->max = max_entries ? max_entries : 1;
	m->nbucket = m->max < 16 ? 16 : m->max;
	m->bucket = xcalloc(m->nbucket, sizeof(*m->bucket));
	return m;
}

static struct entry **
find(struct authd_map *m, struct span key)
{
	struct entry **ep = &m->bucket[hash(key, m->nbucket)];

	while (*ep != NULL && ((*ep)->keylen != key.len ||
				  memcmp((*ep)->key, key.p, key.len) != 0))
		ep = &(*ep)->next;
	return ep;
}

static void
remove_entry(struct authd_map *m, struct entry **ep)
{
	struct entry *e = *ep;

	*ep = e->next;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		m->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	buf_wipe(&e->value);
	free(e->key);
	free(e);
	m->count--;
}

void
authd_map_del(struct authd_map *m, struct span key)
{
	struct entry **ep = find(m, key);

	if (*ep != NULL)
		remove_entry(m, ep);
}

const struct buf *
authd_map_get(struct authd_map *m, struct span key, uint64_t now_ms)
{
	struct entry **ep = find(m, key);

	if (*ep == NULL)
		return NULL;
	if ((*ep)->expires_ms <= now_ms) {
		remove_entry(m, ep);
		return NULL;
	}
	return &(*ep)->value;
}

void
authd_map_put(struct authd_map *m, struct span key, struct span value,
    uint64_t expires_ms)
{
	struct entry *e;

	authd_map_del(m, key);
	if (m->count >= m->max) {
		struct span old = span_make(m->oldest->key,
		    m->oldest->keylen);

		remove_entry(m, find(m, old));
	}
	e = xcalloc(1, sizeof(*e));
	e->key = span_dup(key);
	e->keylen = key.len;
	buf_init(&e->value, value.len + 1);
	buf_add(&e->value, value.p, value.len);
	e->expires_ms = expires_ms;
	e->next = m->bucket[hash(key, m->nbucket)];
	m->bucket[hash(key, m->nbucket)] = e;
	e->older = m->newest;
	if (m->newest != NULL)
		m->newest->newer = e;
	else
		m->oldest = e;
	m->newest = e;
	m->count++;
}

size_t
authd_map_count(const struct authd_map *m)
{
	return m->count;
}

void
authd_map_free(struct authd_map **mp)
{
	struct authd_map *m = *mp;

	if (m == NULL)
		return;
	while (m->oldest != NULL) {
		struct span k = span_make(m->oldest->key, m->oldest->keylen);

		remove_entry(m, find(m, k));
	}
	free(m->bucket);
	free(m);
	*mp = NULL;
}
