/*
 * pop3d_limit.c - the connection limit: connections at once per client
 * address (pop3d_client_connection_limit, checked at the greeting),
 * counted over every pop3d process of the instance in a table shared
 * through $store_directory/pop3d.connections (lib/base/connlimit.h).
 * When that file cannot be used, each process counts its own connections
 * only, and says so in the log.  There is no per-user limit: a mailbox
 * takes one POP3 session at a time anyway ([IN-USE], pop3d_maildrop.c).
 * Linked into: pop3d.  Runs as store_owner.  Trust: addresses come from
 * getpeername() and are only hashed.
 */
#include <stdio.h>

#include "base/connlimit.h"
#include "base/log.h"
#include "pop3d.h"

/* Slots of the shared table: room for well over 10,000 connections. */
#define POP3D_LIMIT_SLOTS 65536

void
pop3d_limit_open(struct pop3d *d)
{
	char path[4200];
	struct why warn, why;

	if (d->p->pop3d_client_connection_limit == 0)
		return;
	snprintf(path, sizeof(path), "%s/pop3d.connections",
	    d->p->store_directory);
	d->conns = connlimit_open(path, POP3D_LIMIT_SLOTS, &warn, &why);
	if (warn.msg[0] != '\0')
		log_warn("connection table %s: %s; connection limits count "
			 "this process's connections only", path, warn.msg);
	if (d->conns == NULL)
		log_warn("no connection limits: %s", why.msg);
}

void
pop3d_limit_close(struct pop3d *d)
{
	shcount_close(&d->conns);
}

bool
pop3d_limit_connect(struct pop3d_sess *s)
{
	static bool warned;
	uint64_t limit = s->d->p->pop3d_client_connection_limit;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	switch (connlimit_add(s->d->conns, NULL, s->client_addr, limit)) {
	case CONNLIMIT_COUNTED:
		s->counted_addr = true;
		return true;
	case CONNLIMIT_OVER:
		log_info("%s: too many connections from [%s] (limit %llu)",
		    s->id, s->client_addr, (unsigned long long)limit);
		return false;
	default:
		if (!warned)
			log_warn("%s: connection table full: a connection is "
				 "not counted", s->id);
		warned = true;
		return true;
	}
}

void
pop3d_limit_end(struct pop3d_sess *s)
{
	if (s->counted_addr) {
		connlimit_sub(s->d->conns, NULL, s->client_addr);
		s->counted_addr = false;
	}
}
