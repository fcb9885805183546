/*
 * imapd_limit.c - connection limits: connections at once per client
 * address (imapd_client_connection_limit, checked at the greeting) and
 * logged-in sessions per user and client address
 * (imapd_user_connection_limit, checked at login), counted over every
 * imapd process of the instance in a table shared through
 * $store_directory/imapd.connections (lib/base/shcount.h).  When that
 * file cannot be used, each process counts its own connections only, and
 * says so in the log.
 * Linked into: imapd.  Runs as store_owner.  Trust: addresses come from
 * getpeername(), user names from authd; both are only hashed.
 */
#include <stdio.h>

#include "base/log.h"
#include "base/shcount.h"
#include "imapd.h"

/* Slots of the shared table: room for well over 10,000 connections and
 * as many logged-in users (24 bytes each). */
#define IMAPD_LIMIT_SLOTS 65536

void
imapd_limit_open(struct imapd *d)
{
	char path[4200];
	struct why why;

	if (d->p->imapd_client_connection_limit == 0 &&
	    d->p->imapd_user_connection_limit == 0)
		return;
	snprintf(path, sizeof(path), "%s/imapd.connections",
	    d->p->store_directory);
	d->conns = shcount_open(path, IMAPD_LIMIT_SLOTS, &why);
	if (d->conns != NULL)
		return;
	log_warn("connection table %s: %s; connection limits count this "
		 "process's connections only", path, why.msg);
	d->conns = shcount_open(NULL, IMAPD_LIMIT_SLOTS, &why);
	if (d->conns == NULL)
		log_warn("no connection limits: %s", why.msg);
}

void
imapd_limit_close(struct imapd *d)
{
	shcount_close(&d->conns);
}

static void
make_key(struct buf *k, char kind, const char *user, const char *addr)
{
	buf_addc(k, kind);
	buf_addc(k, '\0');
	if (user != NULL) {
		buf_adds(k, user);
		buf_addc(k, '\0');
	}
	buf_adds(k, addr);
}

/*
 * Count one under the key, then look at the total, so that two
 * processes admitting at the same instant cannot both slip under the
 * limit.  Returns 1 (counted), 0 (over the limit: not counted), or -1
 * (the table is full: not counted, let in).
 */
static int
count(struct imapd_sess *s, struct span key, uint64_t limit)
{
	static bool warned;
	struct shcount *t = s->d->conns;

	if (shcount_add(t, key) == -1) {
		if (!warned)
			log_warn("%s: connection table full: a connection is "
				 "not counted", s->id);
		warned = true;
		return -1;
	}
	if (shcount_total(t, key) <= limit)
		return 1;
	shcount_sub(t, key);
	return 0;
}

bool
imapd_limit_connect(struct imapd_sess *s)
{
	uint64_t limit = s->d->p->imapd_client_connection_limit;
	struct buf k;
	int r;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	buf_init(&k, 1024);
	make_key(&k, 'a', NULL, s->client_addr);
	r = count(s, buf_span(&k), limit);
	buf_fini(&k);
	s->counted_addr = r == 1;
	if (r == 0)
		log_info("%s: too many connections from [%s] (limit %llu)",
		    s->id, s->client_addr, (unsigned long long)limit);
	return r != 0;
}

bool
imapd_limit_login(struct imapd_sess *s, const char *user)
{
	uint64_t limit = s->d->p->imapd_user_connection_limit;
	struct buf k;
	int r;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	buf_init(&k, 2048);
	make_key(&k, 'u', user, s->client_addr);
	r = count(s, buf_span(&k), limit);
	buf_fini(&k);
	s->counted_user = r == 1;
	if (r == 0)
		log_info("%s: too many sessions of %s from [%s] (limit %llu)",
		    s->id, user, s->client_addr, (unsigned long long)limit);
	return r != 0;
}

void
imapd_limit_end(struct imapd_sess *s)
{
	struct buf k;

	buf_init(&k, 2048);
	if (s->counted_addr) {
		make_key(&k, 'a', NULL, s->client_addr);
		shcount_sub(s->d->conns, buf_span(&k));
		s->counted_addr = false;
	}
	if (s->counted_user && s->user != NULL) {
		buf_reset(&k);
		make_key(&k, 'u', s->user, s->client_addr);
		shcount_sub(s->d->conns, buf_span(&k));
		s->counted_user = false;
	}
	buf_fini(&k);
}
