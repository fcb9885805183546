/*
 * pop3d_limit.c - the connection limit: connections at once per client
 * address (pop3d_client_connection_limit, checked at the greeting),
 * counted over every pop3d process of the instance in a table shared
 * through $store_directory/pop3d.connections (lib/base/connlimit.h).
 * When that file cannot be used, each process counts its own connections
 * only, and says so in the log (the table's set-up is
 * lib/mail/mailaccess.h, shared with imapd).  There is no per-user
 * limit: a mailbox takes one POP3 session at a time anyway ([IN-USE],
 * pop3d_maildrop.c).
 * Linked into: pop3d.  Runs as store_owner.  Trust: addresses come from
 * getpeername() and are only hashed.
 */
#include "base/connlimit.h"
#include "mail/mailaccess.h"
#include "pop3d.h"

void
pop3d_limit_open(struct pop3d *d)
{
	if (d->p->pop3d_client_connection_limit == 0)
		return;
	d->conns = mailaccess_limit_open(d->p->store_directory,
	    "pop3d.connections");
}

void
pop3d_limit_close(struct pop3d *d)
{
	shcount_close(&d->conns);
}

bool
pop3d_limit_connect(struct pop3d_sess *s)
{
	return mailaccess_limit_connect(s->d->conns, s->id, s->client_addr,
	    s->d->p->pop3d_client_connection_limit, &s->counted_addr);
}

void
pop3d_limit_end(struct pop3d_sess *s)
{
	if (s->counted_addr) {
		connlimit_sub(s->d->conns, NULL, s->client_addr);
		s->counted_addr = false;
	}
}
