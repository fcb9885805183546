/*
 * lmtpd_store.c - the stores lmtpd keeps open: one struct store per user
 * in the process (an LMDB environment must not be opened twice by one
 * process), shared by the worker threads, kept open after a delivery for
 * the next one and closed when it has been idle longest and more than
 * max_idle are open, or after LMTPD_STORE_IDLE_MS unused.
 *
 * One delivery uses a user's store at a time: the quota set for it is the
 * one its append checks, and the user's writes queue here instead of in
 * the index's writer lock.
 *
 * Linked into: lmtpd.  Runs as store_owner on worker threads.  Trust: the
 * user names come from authd.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/xmem.h"
#include "lmtpd.h"

/* A store unused this long is closed at the next opportunity. */
#define LMTPD_STORE_IDLE_MS (60 * 1000)

struct lmtpd_store {
	char *user;
	struct store *store;		/* NULL until opened */
	pthread_mutex_t turn;		/* held by the delivery using it */
	unsigned refs;			/* takers, under the cache's lock */
	uint64_t used_ms;
	struct lmtpd_store *next;
};

struct lmtpd_stores {
	const struct store_conf *conf;	/* borrowed: the daemon's */
	pthread_mutex_t lock;		/* the list, refs, used_ms */
	struct lmtpd_store *list;
	size_t n;
	size_t max_idle;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct lmtpd_stores *
lmtpd_stores_new(const struct store_conf *conf, size_t max_idle)
{
	struct lmtpd_stores *c = xcalloc(1, sizeof(*c));

	c->conf = conf;
	c->max_idle = max_idle;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		log_panic("pthread_mutex_init failed");
	return c;
}

static void
entry_free(struct lmtpd_store *e)
{
	store_free(&e->store);
	pthread_mutex_destroy(&e->turn);
	free(e->user);
	free(e);
}

void
lmtpd_stores_free(struct lmtpd_stores **cp)
{
	struct lmtpd_stores *c = *cp;

	if (c == NULL)
		return;
	while (c->list != NULL) {
		struct lmtpd_store *e = c->list;

		ASSERT(e->refs == 0);
		c->list = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

/* Find or add user's entry and count the taker; under the lock. */
static struct lmtpd_store *
enter(struct lmtpd_stores *c, const char *user)
{
	struct lmtpd_store *e;

	for (e = c->list; e != NULL; e = e->next)
		if (strcmp(e->user, user) == 0)
			break;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->user = xstrdup(user);
		if (pthread_mutex_init(&e->turn, NULL) != 0)
			log_panic("pthread_mutex_init failed");
		e->next = c->list;
		c->list = e;
		c->n++;
	}
	e->refs++;
	return e;
}

struct lmtpd_store *
lmtpd_store_take(struct lmtpd_stores *c, const char *user, struct why *why)
{
	struct lmtpd_store *e;

	pthread_mutex_lock(&c->lock);
	e = enter(c, user);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_lock(&e->turn);
	if (e->store == NULL) {
		if (store_open(c->conf, user, &e->store, why) != STORE_OK) {
			e->store = NULL;
			lmtpd_store_give(c, &e, true);
			return NULL;
		}
		/* A damaged index was found and rebuilt from the files. */
		if (store_rebuilt(e->store) != NULL)
			log_warn("store of %s: index rebuilt: %s", user,
			    store_rebuilt(e->store));
	}
	return e;
}

struct store *
lmtpd_store_of(struct lmtpd_store *e)
{
	return e->store;
}

/*
 * Unlink what should close now (under the lock): idle entries beyond
 * max_idle, the least recently used first, and those unused too long.
 */
static struct lmtpd_store *
unlink_idle(struct lmtpd_stores *c, uint64_t now)
{
	struct lmtpd_store *out = NULL;
	struct lmtpd_store **ep;

	for (;;) {
		struct lmtpd_store **oldest = NULL;

		for (ep = &c->list; *ep != NULL; ep = &(*ep)->next) {
			if ((*ep)->refs > 0)
				continue;
			if (oldest == NULL ||
			    (*ep)->used_ms < (*oldest)->used_ms)
				oldest = ep;
		}
		if (oldest == NULL || (c->n <= c->max_idle &&
					  now - (*oldest)->used_ms <
					      LMTPD_STORE_IDLE_MS))
			return out;
		{
			struct lmtpd_store *e = *oldest;

			*oldest = e->next;
			c->n--;
			e->next = out;
			out = e;
		}
	}
}

void
lmtpd_store_give(struct lmtpd_stores *c, struct lmtpd_store **ep,
    bool broken)
{
	struct lmtpd_store *e = *ep;
	struct lmtpd_store *gone;
	uint64_t now = now_ms();

	*ep = NULL;
	/* Closed while still ours: the next taker opens it anew. */
	if (broken)
		store_free(&e->store);
	pthread_mutex_unlock(&e->turn);
	pthread_mutex_lock(&c->lock);
	e->refs--;
	e->used_ms = now;
	gone = unlink_idle(c, now);
	pthread_mutex_unlock(&c->lock);
	while (gone != NULL) {
		struct lmtpd_store *next = gone->next;

		entry_free(gone);
		gone = next;
	}
}
