/*
 * delivery_lmtp.c - the LMTP transport (lmtp(8)): next hops unix:PATH,
 * inet:HOST:PORT, HOST:PORT and [ADDR]:PORT (port 24 when left out), the
 * host's addresses from dns_host, and a cache of idle sessions per next
 * hop that the next delivery reuses (after RSET) for
 * lmtp_connection_cache_time.
 * Linked into: delivery.  Runs as mail_owner, not chrooted (the sockets
 * of lmtpd and of other hosts' LMTP servers are outside the queue).
 * Trust: next hops come from qmgr (our tables); servers are hostile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "base/event.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "delivery.h"

#define LMTP_PORT 24
/* Most idle sessions kept in one process. */
#define CACHE_MAX 100

struct cache_entry {
	struct delivery_cache *cache;
	char nexthop[DELIVERREQ_NEXTHOP_SIZE];
	struct delivery_target t;
	struct smtpclient *c;
	struct event_timer *timer;
	struct cache_entry *next;
	struct cache_entry **prevp;
};

struct delivery_cache {
	struct cache_entry *head;
	size_t n;
};

struct delivery_cache *
delivery_cache_new(struct delivery *d)
{
	(void)d;
	return xcalloc(1, sizeof(struct delivery_cache));
}

/* Unlink e and free it; its session goes to *cp (or is freed). */
static void
entry_drop(struct cache_entry *e, struct smtpclient **cp)
{
	*e->prevp = e->next;
	if (e->next != NULL)
		e->next->prevp = e->prevp;
	e->cache->n--;
	event_timer_free(&e->timer);
	if (cp != NULL)
		*cp = e->c;
	else
		smtpclient_free(&e->c);
	free(e);
}

static void
on_expire(void *arg)
{
	struct cache_entry *e = arg;
	struct smtpclient *c;

	entry_drop(e, &c);
	smtpclient_quit(&c);
}

void
delivery_cache_free(struct delivery_cache **cp)
{
	struct delivery_cache *cache = *cp;

	if (cache == NULL)
		return;
	while (cache->head != NULL)
		entry_drop(cache->head, NULL);
	free(cache);
	*cp = NULL;
}

struct smtpclient *
delivery_cache_take(struct delivery *d, const char *nexthop,
    struct delivery_target *t_out)
{
	struct cache_entry *e = d->cache->head;
	struct cache_entry *next;
	struct smtpclient *c;

	for (; e != NULL; e = next) {
		next = e->next;
		if (strcmp(e->nexthop, nexthop) != 0)
			continue;
		/* A session the server closed meanwhile is of no use. */
		if (!smtpclient_usable(e->c)) {
			entry_drop(e, NULL);
			continue;
		}
		*t_out = e->t;
		entry_drop(e, &c);
		return c;
	}
	return NULL;
}

void
delivery_cache_put(struct delivery *d, const char *nexthop,
    const struct delivery_target *t, struct smtpclient **cp)
{
	struct delivery_cache *cache = d->cache;
	struct cache_entry *e;

	if (cache->n >= CACHE_MAX || d->stopping) {
		smtpclient_quit(cp);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->cache = cache;
	snprintf(e->nexthop, sizeof(e->nexthop), "%s", nexthop);
	e->t = *t;
	e->c = *cp;
	*cp = NULL;
	e->timer = event_timer_new(d->svc->base, on_expire, e);
	if (event_timer_start(e->timer, d->p->lmtp_connection_cache_time *
		1000, false) == -1)
		log_panic("cannot start a timer");
	e->next = cache->head;
	if (e->next != NULL)
		e->next->prevp = &e->next;
	e->prevp = &cache->head;
	cache->head = e;
	cache->n++;
}

static void
bad_nexthop(struct delivery_req *r, const char *why)
{
	struct smtpclient_reply e;

	log_warn("%s: bad LMTP next hop \"%s\": %s", r->id, r->req.nexthop,
	    why);
	delivery_local(&e, 451, "4.3.5", "bad LMTP next hop %s: %s",
	    r->req.nexthop, why);
	delivery_req_fail_all(r, &e, true);
}

/* unix:PATH; a relative path is in the queue directory. */
static void
unix_target(struct delivery_req *r, const char *path)
{
	struct delivery_target t;
	struct sockaddr_un *sun = (struct sockaddr_un *)&t.sa;
	int n;

	memset(&t, 0, sizeof(t));
	sun->sun_family = AF_UNIX;
	n = path[0] == '/' ?
	    snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path) :
	    snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s",
		r->d->queue_dir, path);
	if (path[0] == '\0' || n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		bad_nexthop(r, "bad socket path");
		return;
	}
	t.salen = sizeof(*sun);
	snprintf(t.host, sizeof(t.host), "localhost");
	snprintf(t.peer, sizeof(t.peer), "localhost[%s]", sun->sun_path);
	snprintf(t.relay, sizeof(t.relay), "%s", t.peer);
	delivery_job_start(r, &t, 1, true);
}

static void
on_host(const struct dns_mx_answer *a, void *arg)
{
	struct delivery_req *r = arg;
	struct delivery_target *t;
	size_t h, i, nt = 0;

	r->dq = NULL;
	if (a->res != DNS_OK) {
		delivery_req_dns_failed(r, a);
		return;
	}
	t = xcalloc(DELIVERY_MAX_TARGETS, sizeof(*t));
	for (h = 0; h < a->nhost; h++)
		for (i = 0; i < a->host[h].naddr &&
		     nt < DELIVERY_MAX_TARGETS; i++)
			delivery_target_set(&t[nt++], a->host[h].name,
			    &a->host[h].addr[i], r->port);
	delivery_job_start(r, t, nt, true);
	free(t);
}

void
delivery_lmtp(struct delivery_req *r)
{
	char host[DELIVERREQ_NEXTHOP_SIZE];
	const char *hop = r->req.nexthop;
	const char *colon;
	uint64_t port = LMTP_PORT;
	size_t n;

	if (strncmp(hop, "unix:", 5) == 0) {
		unix_target(r, hop + 5);
		return;
	}
	if (strncmp(hop, "inet:", 5) == 0)
		hop += 5;
	if (hop[0] == '[') {
		n = strcspn(hop + 1, "]");
		if (hop[1 + n] != ']') {
			bad_nexthop(r, "no ']'");
			return;
		}
		snprintf(host, sizeof(host), "%.*s", (int)n, hop + 1);
		colon = hop[2 + n] == ':' ? hop + 2 + n :
		    hop[2 + n] == '\0' ? NULL : hop + 2 + n;
	} else {
		colon = strrchr(hop, ':');
		n = colon != NULL ? (size_t)(colon - hop) : strlen(hop);
		snprintf(host, sizeof(host), "%.*s", (int)n, hop);
	}
	if (colon != NULL && (colon[0] != ':' ||
				 parse_u64(span_str(colon + 1), 1, 65535,
				     &port) == -1)) {
		bad_nexthop(r, "bad port");
		return;
	}
	if (host[0] == '\0') {
		bad_nexthop(r, "no host");
		return;
	}
	r->port = (uint16_t)port;
	r->dq = dns_host(r->d->dns, host, on_host, r);
}
