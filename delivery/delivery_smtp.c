/*
 * delivery_smtp.c - the SMTP transport (smtp(8)): next hops HOST and
 * HOST:PORT (MX look-up), [HOST] and [HOST]:PORT (addresses only), port
 * 25 when left out; the mail hosts in the order dns_mx gives them
 * (preference, randomised among equals, A/AAAA when there is no MX),
 * cut at the first host that is this one (our name or one of our
 * listening addresses): mail for a domain whose best MX is us loops back
 * to myself (5.4.6).  The attempts themselves are delivery_job.c's.
 * Linked into: delivery.  Runs as mail_owner, chrooted to the queue
 * directory (DNS configuration, hosts file and CA file are read before).
 * Trust: DNS answers are checked by lib/base/dns; servers are hostile.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "delivery.h"

#define SMTP_PORT 25

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return false;
}

/* A mail host that is this host: our name, or an address and port we
 * accept mail on (smtp_listen). */
static bool
is_self(const struct delivery *d, const struct dns_mx_host *h,
    uint16_t port)
{
	size_t i, k;
	size_t n = strlen(h->name);

	if (n > 0 && h->name[n - 1] == '.')
		n--;
	if (strlen(d->p->myhostname) == n &&
	    strncasecmp(h->name, d->p->myhostname, n) == 0)
		return true;
	for (i = 0; i < h->naddr; i++)
		for (k = 0; k < d->nself; k++)
			if ((d->self[k].port == 0 || d->self[k].port == port) &&
			    same_addr(&h->addr[i], &d->self[k].sa))
				return true;
	return false;
}

static void
on_hosts(const struct dns_mx_answer *a, void *arg)
{
	struct delivery_req *r = arg;
	struct delivery *d = r->d;
	struct delivery_target *t;
	struct smtpclient_reply e;
	unsigned int self_pref = 0;
	bool self = false;
	size_t h, i, nt = 0;

	r->dq = NULL;
	if (a->res != DNS_OK) {
		delivery_req_dns_failed(r, a);
		return;
	}
	/* As Postfix: MX hosts as good as or worse than our own are
	 * dropped (we are their backup, or the best: a loop). */
	for (h = 0; h < a->nhost; h++)
		if (is_self(d, &a->host[h], r->port) &&
		    (!self || a->host[h].pref < self_pref)) {
			self = true;
			self_pref = a->host[h].pref;
		}
	t = xcalloc(DELIVERY_MAX_TARGETS, sizeof(*t));
	for (h = 0; h < a->nhost; h++) {
		if (self && a->host[h].pref >= self_pref)
			continue;
		for (i = 0; i < a->host[h].naddr &&
		     nt < DELIVERY_MAX_TARGETS; i++)
			delivery_target_set(&t[nt++], a->host[h].name,
			    &a->host[h].addr[i], r->port);
	}
	if (nt == 0 && self) {
		free(t);
		delivery_local(&e, 554, "5.4.6", "mail for %s loops back to "
		    "myself", r->req.nexthop);
		delivery_req_fail_all(r, &e, true);
		return;
	}
	delivery_job_start(r, t, nt, false);
	free(t);
}

static void
bad_nexthop(struct delivery_req *r, const char *why)
{
	struct smtpclient_reply e;

	log_warn("%s: bad SMTP next hop \"%s\": %s", r->id, r->req.nexthop,
	    why);
	delivery_local(&e, 451, "4.3.5", "bad SMTP next hop %s: %s",
	    r->req.nexthop, why);
	delivery_req_fail_all(r, &e, true);
}

void
delivery_smtp(struct delivery_req *r)
{
	char host[DELIVERREQ_NEXTHOP_SIZE];
	const char *hop = r->req.nexthop;
	const char *rest;
	bool literal = hop[0] == '[';
	uint64_t port = SMTP_PORT;
	size_t n;

	if (literal) {
		n = strcspn(hop + 1, "]");
		if (hop[1 + n] != ']') {
			bad_nexthop(r, "no ']'");
			return;
		}
		snprintf(host, sizeof(host), "%.*s", (int)n, hop + 1);
		rest = hop + 2 + n;
	} else {
		/* A domain has no ':'; the last one starts the port. */
		rest = strrchr(hop, ':');
		n = rest != NULL ? (size_t)(rest - hop) : strlen(hop);
		snprintf(host, sizeof(host), "%.*s", (int)n, hop);
		if (rest == NULL)
			rest = "";
	}
	if (rest[0] != '\0' && (rest[0] != ':' ||
				   parse_u64(span_str(rest + 1), 1, 65535,
				       &port) == -1)) {
		bad_nexthop(r, "bad port");
		return;
	}
	if (host[0] == '\0') {
		bad_nexthop(r, "no host");
		return;
	}
	r->port = (uint16_t)port;
	/* [IPv6:2001:db8::1] as in an address literal (RFC 5321 4.1.3). */
	if (literal && strncasecmp(host, "IPv6:", 5) == 0)
		memmove(host, host + 5, strlen(host + 5) + 1);
	r->dq = literal ? dns_host(r->d->dns, host, on_hosts, r) :
			  dns_mx(r->d->dns, host, on_hosts, r);
}
