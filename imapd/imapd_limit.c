/*
 * imapd_limit.c - connection limits: connections at once per client
 * address (imapd_client_connection_limit, checked at the greeting) and
 * logged-in sessions per user and client address
 * (imapd_user_connection_limit, checked at login), counted over every
 * imapd process of the instance in a table shared through
 * $store_directory/imapd.connections (lib/base/shcount.h).  When that
 * file cannot be used, each process counts its own connections only, and
 * says so in the log.  The counting itself is lib/base/connlimit.h.
 * Linked into: imapd.  Runs as store_owner.  Trust: addresses come from
 * getpeername(), user names from authd; both are only hashed.
 */
#include <stdio.h>

#include "base/connlimit.h"
#include "base/log.h"
#include "imapd.h"

/* Slots of the shared table: room for well over 10,000 connections and
 * as many logged-in users (24 bytes each). */
#define IMAPD_LIMIT_SLOTS 65536

void
imapd_limit_open(struct imapd *d)
{
	char path[4200];
	struct why warn, why;

	if (d->p->imapd_client_connection_limit == 0 &&
	    d->p->imapd_user_connection_limit == 0)
		return;
	snprintf(path, sizeof(path), "%s/imapd.connections",
	    d->p->store_directory);
	d->conns = connlimit_open(path, IMAPD_LIMIT_SLOTS, &warn, &why);
	if (warn.msg[0] != '\0')
		log_warn("connection table %s: %s; connection limits count "
			 "this process's connections only", path, warn.msg);
	if (d->conns == NULL)
		log_warn("no connection limits: %s", why.msg);
}

void
imapd_limit_close(struct imapd *d)
{
	shcount_close(&d->conns);
}

/* Count one under (user, address): 1 counted, 0 over the limit, -1 the
 * table is full (not counted, let in). */
static int
count(struct imapd_sess *s, const char *user, uint64_t limit)
{
	static bool warned;

	switch (connlimit_add(s->d->conns, user, s->client_addr, limit)) {
	case CONNLIMIT_COUNTED:
		return 1;
	case CONNLIMIT_OVER:
		return 0;
	default:
		if (!warned)
			log_warn("%s: connection table full: a connection is "
				 "not counted", s->id);
		warned = true;
		return -1;
	}
}

bool
imapd_limit_connect(struct imapd_sess *s)
{
	uint64_t limit = s->d->p->imapd_client_connection_limit;
	int r;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	r = count(s, NULL, limit);
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
	int r;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	r = count(s, user, limit);
	s->counted_user = r == 1;
	if (r == 0)
		log_info("%s: too many sessions of %s from [%s] (limit %llu)",
		    s->id, user, s->client_addr, (unsigned long long)limit);
	return r != 0;
}

void
imapd_limit_end(struct imapd_sess *s)
{
	if (s->counted_addr) {
		connlimit_sub(s->d->conns, NULL, s->client_addr);
		s->counted_addr = false;
	}
	if (s->counted_user && s->user != NULL) {
		connlimit_sub(s->d->conns, s->user, s->client_addr);
		s->counted_user = false;
	}
}
