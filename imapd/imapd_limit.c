/*
 * imapd_limit.c - connection limits: connections at once per client
 * address (imapd_client_connection_limit, checked at the greeting) and
 * logged-in sessions per user and client address
 * (imapd_user_connection_limit, checked at login), counted over every
 * imapd process of the instance in a table shared through
 * $store_directory/imapd.connections (lib/base/shcount.h).  When that
 * file cannot be used, each process counts its own connections only, and
 * says so in the log.  The counting itself is lib/base/connlimit.h, the
 * table's set-up lib/mail/mailaccess.h (shared with pop3d).
 * Linked into: imapd.  Runs as store_owner.  Trust: addresses come from
 * getpeername(), user names from authd; both are only hashed.
 */
#include "base/connlimit.h"
#include "base/log.h"
#include "imapd.h"
#include "mail/mailaccess.h"

void
imapd_limit_open(struct imapd *d)
{
	if (d->p->imapd_client_connection_limit == 0 &&
	    d->p->imapd_user_connection_limit == 0)
		return;
	d->conns = mailaccess_limit_open(d->p->store_directory,
	    "imapd.connections");
}

void
imapd_limit_close(struct imapd *d)
{
	shcount_close(&d->conns);
}

bool
imapd_limit_connect(struct imapd_sess *s)
{
	return mailaccess_limit_connect(s->d->conns, s->id, s->client_addr,
	    s->d->p->imapd_client_connection_limit, &s->counted_addr);
}

bool
imapd_limit_login(struct imapd_sess *s, const char *user)
{
	uint64_t limit = s->d->p->imapd_user_connection_limit;
	int r;

	if (limit == 0 || s->d->conns == NULL)
		return true;
	r = mailaccess_count(s->d->conns, s->id, user, s->client_addr, limit);
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
