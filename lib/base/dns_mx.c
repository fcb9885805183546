/*
 * dns_mx.c - the mail hosts of a domain (MX, then A/AAAA of each host)
 * and the addresses of one host, with our own queries over UDP
 * (lib/base/dnsmsg) to the resolver's name servers.
 * Linked into: smtpd and the SMTP delivery agent (through dns).  Runs as
 * the daemon's user.  Trust: datagrams are hostile: one counts only when
 * it comes from the server asked, parses, and answers the question asked
 * with the id of this try; anything else is ignored (and the look-up
 * times out).  Names from answers are used only when they are host names
 * (net_host_name_valid()).
 *
 * Lifetime: a query (struct dns_query, on the resolver's list) owns one
 * struct dns_mxq, which owns its look-ups: one for the MX question and
 * two (AAAA, A) per host.  A running look-up owns one socket, its read
 * event and a timer.  The answer (hosts and their addresses) is built
 * on the heap when all look-ups are done, handed to the callback and
 * freed with the query right after it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dns_impl.h"
#include "base/dnsmsg.h"
#include "base/event.h"
#include "base/net.h"
#include "base/xmem.h"

/* Largest datagram read: no EDNS is asked for, so 512 would do, but a
 * server that sends more gets a hearing rather than a truncation. */
#define UDP_MAX 4096
/* Datagrams read per wake-up, so that a flood cannot hold the loop. */
#define READS_PER_WAKE 16
/* MX records considered from one answer (before the cap on hosts). */
#define MX_MAX DNSMSG_MAX_RR

enum outcome {
	O_FOUND,	/* records of the type asked for */
	O_NODATA,	/* the name exists, without records of that type */
	O_NXDOMAIN,	/* the name does not exist */
	O_TEMP,		/* no usable answer now */
};

struct mxhost;
struct dns_mxq;

/* One question on the wire. */
struct lookup {
	struct dns_mxq *m;		/* borrowed: owns the look-up */
	struct mxhost *host;		/* borrowed: A/AAAA for it, or NULL */
	uint16_t type;
	char name[DNSMSG_NAME_SIZE];
	unsigned int tries;
	const struct dns_server *server;	/* borrowed: this try's */
	uint16_t id;
	int fd;				/* this try's socket, or -1 */
	struct event *ev;		/* reads fd, or NULL */
	struct event_timer *timer;	/* this try's time-out, or NULL */
	char ignored[300];		/* the last datagram ignored, and why */
};

struct mxhost {
	char name[DNSMSG_NAME_SIZE];
	unsigned int pref;
	uint32_t rank;			/* random, orders equal preferences */
	struct sockaddr_storage v6[DNS_MX_MAX_ADDRS];
	size_t n6;
	struct sockaddr_storage v4[DNS_MX_MAX_ADDRS];
	size_t n4;
	bool temp;			/* a look-up failed for now */
	char why[320];			/* why it has no address */
	struct lookup look[2];		/* AAAA, A */
};

struct dns_mxq {
	struct dns_query *q;		/* borrowed: owns this */
	struct dns *dns;		/* borrowed: the resolver */
	dns_mx_fn *fn;
	void *arg;			/* borrowed: the caller's */
	bool is_mx;			/* dns_mx(), not dns_host() */
	bool implicit;			/* no MX: the domain is the host */
	char domain[DNSMSG_NAME_SIZE];
	struct lookup mx;
	/* nhost of them, in order.  Grown and sorted only before any of
	 * their look-ups starts: the look-ups live inside. */
	struct mxhost *host;
	size_t nhost;
	size_t pending;			/* look-ups running */
	struct event_timer *soon;	/* an answer known at once */
	enum dns_res res;		/* set when known before the hosts */
	char reason[1024];
	char skipped[512];		/* MX hosts dropped, and why */
};

static void start_hosts(struct dns_mxq *m);
static void complete(struct dns_mxq *m);

static void
appendf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append to the string in buf; what does not fit is cut. */
static void
appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static const char *
type_name(uint16_t type)
{
	return type == DNSMSG_MX ? "MX" : type == DNSMSG_A ? "A" : "AAAA";
}

static const char *
server_str(const struct dns_server *s, char out[NET_ADDR_STRLEN])
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	if (s->sa.ss_family == AF_INET) {
		a.kind = NET_IPV4;
		a.v4 = ((const struct sockaddr_in *)&s->sa)->sin_addr;
		a.port = ntohs(((const struct sockaddr_in *)&s->sa)->sin_port);
	} else {
		a.kind = NET_IPV6;
		a.v6 = ((const struct sockaddr_in6 *)&s->sa)->sin6_addr;
		a.port = ntohs(((const struct sockaddr_in6 *)&s->sa)->sin6_port);
	}
	return net_addr_str(&a, out);
}

/* Close this try's socket and stop its timer. */
static void
try_end(struct lookup *l)
{
	if (l->ev != NULL) {
		event_free(l->ev);
		l->ev = NULL;
	}
	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	if (l->timer != NULL)
		event_timer_stop(l->timer);
}

static void
lookup_fini(struct lookup *l)
{
	try_end(l);
	event_timer_free(&l->timer);
}

void
dns_mxq_free(struct dns_mxq **mp)
{
	struct dns_mxq *m = *mp;
	size_t i;

	if (m == NULL)
		return;
	lookup_fini(&m->mx);
	for (i = 0; i < m->nhost; i++) {
		lookup_fini(&m->host[i].look[0]);
		lookup_fini(&m->host[i].look[1]);
	}
	event_timer_free(&m->soon);
	free(m->host);
	free(m);
	*mp = NULL;
}

static void on_address(struct lookup *l, enum outcome o,
    const struct dnsmsg_reply *r, const char *name, const char *why);
static void on_mx(struct lookup *l, enum outcome o,
    const struct dnsmsg_reply *r, const char *name, const char *why);

/* The look-up is over: hand its outcome on, and complete the query when
 * it was the last one running. */
static void
lookup_done(struct lookup *l, enum outcome o, const struct dnsmsg_reply *r,
    const char *name, const char *why)
{
	struct dns_mxq *m = l->m;

	lookup_fini(l);
	m->pending--;
	if (l->type == DNSMSG_MX)
		on_mx(l, o, r, name, why);
	else
		on_address(l, o, r, name, why);
	if (m->pending == 0)
		complete(m);
}

/* Follow the CNAME chain from the name asked (within the answer) to the
 * name that holds the records; NULL when the chain is too long. */
static const char *
chain_end(const struct dnsmsg_reply *r, const char *name, uint16_t type)
{
	unsigned int links = 0;
	size_t i;

	for (;;) {
		const char *next = NULL;

		for (i = 0; i < r->nrr; i++) {
			if (!dnsmsg_name_eq(r->rr[i].owner, name))
				continue;
			if (r->rr[i].type == type)
				return name;
			if (r->rr[i].type == DNSMSG_CNAME && next == NULL)
				next = r->rr[i].target;
		}
		if (next == NULL)
			return name;
		if (++links > DNS_CNAME_MAX)
			return NULL;
		name = next;
	}
}

/* A response to this try: what it says about the question. */
static void
on_reply(struct lookup *l, const struct dnsmsg_reply *r)
{
	char server[NET_ADDR_STRLEN];
	char rcode[16];
	char why[400];
	const char *name;
	size_t i;

	server_str(l->server, server);
	if (r->tc) {
		snprintf(why, sizeof(why), "truncated answer from %s (no "
		    "TCP fallback)", server);
		lookup_done(l, O_TEMP, NULL, NULL, why);
		return;
	}
	if (r->rcode == DNSMSG_NXDOMAIN) {
		lookup_done(l, O_NXDOMAIN, NULL, NULL, "no such domain "
		    "(NXDOMAIN)");
		return;
	}
	if (r->rcode != DNSMSG_NOERROR) {
		snprintf(why, sizeof(why), "%s from %s",
		    dnsmsg_rcode_str(r->rcode, rcode), server);
		lookup_done(l, O_TEMP, NULL, NULL, why);
		return;
	}
	name = chain_end(r, l->name, l->type);
	if (name == NULL) {
		snprintf(why, sizeof(why), "CNAME chain longer than %d",
		    DNS_CNAME_MAX);
		lookup_done(l, O_TEMP, NULL, NULL, why);
		return;
	}
	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].type == l->type &&
		    dnsmsg_name_eq(r->rr[i].owner, name)) {
			lookup_done(l, O_FOUND, r, name, NULL);
			return;
		}
	snprintf(why, sizeof(why), "no %s record", type_name(l->type));
	lookup_done(l, O_NODATA, NULL, NULL, why);
}

static bool
from_server(const struct sockaddr_storage *from, const struct dns_server *s)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)from;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&s->sa;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)from;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&s->sa;

	if (from->ss_family != s->sa.ss_family)
		return false;
	if (from->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* Check one datagram; true when it was the answer (l may be gone). */
static bool
take_datagram(struct lookup *l, const unsigned char *p, ssize_t n,
    const struct sockaddr_storage *from)
{
	struct dnsmsg_reply *r;
	struct why why;

	if (!from_server(from, l->server)) {
		snprintf(l->ignored, sizeof(l->ignored), "a datagram from "
		    "another address than the server's");
		return false;
	}
	if (n > UDP_MAX) {
		snprintf(l->ignored, sizeof(l->ignored), "a datagram of %zd "
		    "bytes", n);
		return false;
	}
	r = xmalloc(sizeof(*r));
	if (dnsmsg_parse(span_make(p, (size_t)n), r, &why) == -1) {
		snprintf(l->ignored, sizeof(l->ignored), "a malformed "
		    "answer: %s", why.msg);
		free(r);
		return false;
	}
	if (!dnsmsg_is_reply_to(r, l->id, l->name, l->type)) {
		snprintf(l->ignored, sizeof(l->ignored), "an answer to "
		    "another question");
		free(r);
		return false;
	}
	on_reply(l, r);
	free(r);
	return true;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *l = arg;
	unsigned char buf[UDP_MAX];
	int i;

	(void)what;
	for (i = 0; i < READS_PER_WAKE; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));
		/* MSG_TRUNC: n is the datagram's size, even past buf. */
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&from, &flen);
		if (n == -1)
			return;
		if (take_datagram(l, buf, n, &from))
			return;
	}
}

static void try_next(struct lookup *l);

static void
on_timeout(void *arg)
{
	try_next(arg);
}

/* Send this try's query; -1 when it cannot be sent. */
static int
try_send(struct lookup *l)
{
	unsigned char pkt[DNSMSG_QUERY_MAX];
	struct why why;
	size_t len;

	evutil_secure_rng_get_bytes(&l->id, sizeof(l->id));
	if (dnsmsg_query(l->id, l->name, l->type, pkt, sizeof(pkt), &len,
		&why) == -1) {
		snprintf(l->ignored, sizeof(l->ignored), "%s", why.msg);
		return -1;
	}
	/* A fresh socket for each try: the kernel gives it a random
	 * port, and answers to earlier tries cannot arrive on it. */
	l->fd = socket(l->server->sa.ss_family,
	    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1 || sendto(l->fd, pkt, len, 0,
	    (const struct sockaddr *)&l->server->sa, l->server->len) == -1) {
		snprintf(l->ignored, sizeof(l->ignored), "cannot send: %s",
		    strerror(errno));
		return -1;
	}
	l->ev = event_new(l->m->dns->base, l->fd, EV_READ | EV_PERSIST,
	    on_readable, l);
	if (l->ev == NULL || event_add(l->ev, NULL) == -1)
		log_panic("dns: cannot watch a socket");
	return 0;
}

/* Start the next try (the next server, in rounds), or give up. */
static void
try_next(struct lookup *l)
{
	struct dns *dns = l->m->dns;
	char server[NET_ADDR_STRLEN];
	char why[700];
	uint64_t wait;

	try_end(l);
	if (l->tries == dns->attempts * dns->nserver) {
		snprintf(why, sizeof(why), "no answer from %s%s (%u tries%s%s)",
		    server_str(l->server, server), dns->nserver > 1 ?
		    " or the other servers" : "", l->tries,
		    l->ignored[0] != '\0' ? "; ignored " : "", l->ignored);
		lookup_done(l, O_TEMP, NULL, NULL, why);
		return;
	}
	l->server = &dns->server[l->tries % dns->nserver];
	l->tries++;
	/* A try that cannot be sent ends at once (from the loop). */
	wait = try_send(l) == 0 ? dns->timeout_ms : 0;
	if (event_timer_start(l->timer, wait, false) == -1)
		log_panic("dns: cannot start a timer");
}

static void
lookup_start(struct dns_mxq *m, struct lookup *l, uint16_t type,
    const char *name, struct mxhost *host)
{
	l->m = m;
	l->host = host;
	l->type = type;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->fd = -1;
	l->timer = event_timer_new(m->dns->base, on_timeout, l);
	m->pending++;
	try_next(l);
}

/* Keep the addresses of an A or AAAA answer (owner name, after the
 * CNAME chain). */
static void
keep_addresses(struct mxhost *h, uint16_t type, const struct dnsmsg_reply *r,
    const char *name)
{
	struct sockaddr_storage *v = type == DNSMSG_A ? h->v4 : h->v6;
	size_t *n = type == DNSMSG_A ? &h->n4 : &h->n6;
	size_t i;

	for (i = 0; i < r->nrr && *n < DNS_MX_MAX_ADDRS; i++) {
		struct sockaddr_storage *ss = &v[*n];

		if (r->rr[i].type != type ||
		    !dnsmsg_name_eq(r->rr[i].owner, name))
			continue;
		memset(ss, 0, sizeof(*ss));
		if (type == DNSMSG_A) {
			ss->ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)ss)->sin_addr,
			    r->rr[i].addr, 4);
		} else {
			ss->ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr,
			    r->rr[i].addr, 16);
		}
		(*n)++;
	}
}

static void
on_address(struct lookup *l, enum outcome o, const struct dnsmsg_reply *r,
    const char *name, const char *why)
{
	struct mxhost *h = l->host;

	if (o == O_FOUND) {
		keep_addresses(h, l->type, r, name);
		return;
	}
	if (o == O_TEMP)
		h->temp = true;
	appendf(h->why, sizeof(h->why), "%s%s: %s", h->why[0] ? "; " : "",
	    type_name(l->type), why);
}

/* A host to try (name already checked), unless it is there already. */
static void
add_host(struct dns_mxq *m, const char *name, unsigned int pref)
{
	struct mxhost *h;
	size_t i;

	for (i = 0; i < m->nhost; i++)
		if (dnsmsg_name_eq(m->host[i].name, name)) {
			if (pref < m->host[i].pref)
				m->host[i].pref = pref;
			return;
		}
	m->host = xreallocarray(m->host, m->nhost + 1, sizeof(*m->host));
	h = &m->host[m->nhost++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = pref;
	h->look[0].fd = h->look[1].fd = -1;
	evutil_secure_rng_get_bytes(&h->rank, sizeof(h->rank));
}

static int
by_preference(const void *a, const void *b)
{
	const struct mxhost *x = a;
	const struct mxhost *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* The MX records of the answer become the hosts to try. */
static void
take_mx(struct dns_mxq *m, const struct dnsmsg_reply *r, const char *name)
{
	size_t nmx = 0;
	bool null_mx = false;
	size_t i;

	for (i = 0; i < r->nrr; i++) {
		const struct dnsmsg_rr *rr = &r->rr[i];

		if (rr->type != DNSMSG_MX || !dnsmsg_name_eq(rr->owner, name))
			continue;
		nmx++;
		if (rr->target[0] == '\0') {
			null_mx = true;
			appendf(m->skipped, sizeof(m->skipped),
			    "%sa null MX among other MX records",
			    m->skipped[0] ? "; " : "");
		} else if (!net_host_name_valid(span_str(rr->target), false))
			appendf(m->skipped, sizeof(m->skipped),
			    "%smalformed MX host name \"%s\"",
			    m->skipped[0] ? "; " : "", rr->target);
		else
			add_host(m, rr->target, rr->pref);
	}
	if (null_mx && nmx == 1) {
		m->res = DNS_NONAME;
		snprintf(m->reason, sizeof(m->reason), "domain %s accepts no "
		    "mail (null MX)", m->domain);
		return;
	}
	if (m->nhost > 1)
		qsort(m->host, m->nhost, sizeof(*m->host), by_preference);
	if (m->nhost > DNS_MX_MAX_HOSTS)
		m->nhost = DNS_MX_MAX_HOSTS;
	if (m->nhost == 0) {
		m->res = DNS_NONAME;
		snprintf(m->reason, sizeof(m->reason), "no usable MX host for "
		    "%s: %s", m->domain, m->skipped);
	}
}

static void
on_mx(struct lookup *l, enum outcome o, const struct dnsmsg_reply *r,
    const char *name, const char *why)
{
	struct dns_mxq *m = l->m;

	if (o == O_TEMP) {
		m->res = DNS_TEMP;
		snprintf(m->reason, sizeof(m->reason), "MX look-up for %s "
		    "failed: %s", m->domain, why);
		return;
	}
	if (o == O_NXDOMAIN) {
		m->res = DNS_NONAME;
		snprintf(m->reason, sizeof(m->reason), "domain %s does not "
		    "exist (NXDOMAIN)", m->domain);
		return;
	}
	if (o == O_NODATA) {
		/* RFC 5321 5.1: the domain itself is the one host. */
		m->implicit = true;
		add_host(m, m->domain, 0);
	} else {
		take_mx(m, r, name);
	}
	if (m->res == DNS_OK)
		start_hosts(m);
}

/* Answer the addresses of h from the hosts file; false when it does
 * not list the name. */
static bool
from_hosts_file(struct dns_mxq *m, struct mxhost *h)
{
	struct span name = span_str(h->name);

	h->n6 = hosts_find(m->dns->hosts, name, AF_INET6, h->v6,
	    DNS_MX_MAX_ADDRS);
	h->n4 = hosts_find(m->dns->hosts, name, AF_INET, h->v4,
	    DNS_MX_MAX_ADDRS);
	return h->n6 + h->n4 > 0;
}

/* Look up the addresses of every host. */
static void
start_hosts(struct dns_mxq *m)
{
	size_t i;

	for (i = 0; i < m->nhost; i++) {
		struct mxhost *h = &m->host[i];

		if (from_hosts_file(m, h))
			continue;
		lookup_start(m, &h->look[0], DNSMSG_AAAA, h->name, h);
		lookup_start(m, &h->look[1], DNSMSG_A, h->name, h);
	}
}

/* The addresses to try for h into out: IPv6 first, at most
 * DNS_MX_MAX_ADDRS, of which IPv4 keeps up to half when it has them. */
static size_t
pick_addresses(const struct mxhost *h, struct sockaddr_storage *out)
{
	size_t half = DNS_MX_MAX_ADDRS / 2;
	size_t k4 = h->n4 < half ? h->n4 : half;
	size_t k6 = h->n6 < DNS_MX_MAX_ADDRS - k4 ? h->n6 :
	    DNS_MX_MAX_ADDRS - k4;

	/* IPv4 takes what IPv6 leaves. */
	k4 = h->n4 < DNS_MX_MAX_ADDRS - k6 ? h->n4 : DNS_MX_MAX_ADDRS - k6;
	memcpy(out, h->v6, k6 * sizeof(*out));
	memcpy(out + k6, h->v4, k4 * sizeof(*out));
	return k6 + k4;
}

/* Why no host has an address, into m->reason. */
static void
explain_none(struct dns_mxq *m)
{
	size_t i;

	m->res = DNS_NONAME;
	if (m->implicit)
		snprintf(m->reason, sizeof(m->reason), "domain %s has no MX "
		    "record and no address", m->domain);
	else
		snprintf(m->reason, sizeof(m->reason), "no address for %s%s",
		    m->is_mx ? "any mail host of " : "", m->domain);
	for (i = 0; i < m->nhost; i++) {
		if (m->host[i].temp)
			m->res = DNS_TEMP;
		appendf(m->reason, sizeof(m->reason), "%s%s: %s",
		    i == 0 ? ": " : "; ", m->host[i].name, m->host[i].why);
	}
	if (m->skipped[0] != '\0')
		appendf(m->reason, sizeof(m->reason), "; %s", m->skipped);
}

/* Every look-up is done: build the answer, call back, free the query. */
static void
complete(struct dns_mxq *m)
{
	struct dns_mx_answer a = { .res = m->res, .reason = m->reason };
	struct dns_mx_host *out = xcalloc(m->nhost + 1, sizeof(*out));
	struct sockaddr_storage *addr = xcalloc(m->nhost * DNS_MX_MAX_ADDRS +
	    1, sizeof(*addr));
	size_t i;

	for (i = 0; m->res == DNS_OK && i < m->nhost; i++) {
		struct dns_mx_host *o = &out[a.nhost];

		o->addr = addr + a.nhost * DNS_MX_MAX_ADDRS;
		o->naddr = pick_addresses(&m->host[i], addr +
		    a.nhost * DNS_MX_MAX_ADDRS);
		if (o->naddr == 0)
			continue;
		o->name = m->host[i].name;
		o->pref = m->host[i].pref;
		a.nhost++;
	}
	if (m->res == DNS_OK && a.nhost == 0)
		explain_none(m);
	a.res = m->res;
	a.reason = m->res == DNS_OK ? NULL : m->reason;
	a.host = a.nhost > 0 ? out : NULL;
	if (m->fn != NULL)
		m->fn(&a, m->arg);
	free(out);
	free(addr);
	dns_query_free(m->q);
}

static void
on_soon(void *arg)
{
	complete(arg);
}

/* "192.0.2.1", "[192.0.2.1]", "[IPv6:2001:db8::1]", "2001:db8::1" or
 * "[2001:db8::1]" as an address; false when name is none of these. */
static bool
parse_literal(const char *name, struct sockaddr_storage *ss)
{
	struct span s = span_str(name);
	char text[INET6_ADDRSTRLEN];
	bool brackets = false;

	if (s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']') {
		s = span_sub(s, 1, s.len - 2);
		brackets = true;
	}
	if (brackets && span_startswith_nocase(s, "IPv6:"))
		s = span_sub(s, 5, s.len);
	if (s.len == 0 || s.len >= sizeof(text))
		return false;
	memcpy(text, s.p, s.len);
	text[s.len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) ==
	    1) {
		ss->ss_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text,
		&((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return true;
	}
	return false;
}

/* Start the look-ups of a query for name. */
static void
start(struct dns_mxq *m, const char *name)
{
	struct sockaddr_storage ss;
	char esc[LOG_ESC_SIZE];
	size_t len = strlen(name);

	if (parse_literal(name, &ss)) {
		snprintf(m->domain, sizeof(m->domain), "%s", name);
		add_host(m, name, 0);
		if (ss.ss_family == AF_INET)
			m->host[0].v4[m->host[0].n4++] = ss;
		else
			m->host[0].v6[m->host[0].n6++] = ss;
	} else if (!net_host_name_valid(span_str(name), false)) {
		snprintf(m->domain, sizeof(m->domain), "%.200s",
		    log_esc(span_str(name), esc));
		m->res = DNS_NONAME;
		snprintf(m->reason, sizeof(m->reason), "malformed domain "
		    "name \"%s\"", m->domain);
	} else {
		/* Kept without the final dot the check allows. */
		snprintf(m->domain, sizeof(m->domain), "%.*s",
		    (int)(len - (name[len - 1] == '.')), name);
		if (m->is_mx) {
			lookup_start(m, &m->mx, DNSMSG_MX, m->domain, NULL);
		} else {
			add_host(m, m->domain, 0);
			start_hosts(m);
		}
	}
	/* Known already: the answer still comes from the loop. */
	if (m->pending == 0) {
		m->soon = event_timer_new(m->dns->base, on_soon, m);
		if (event_timer_start(m->soon, 0, false) == -1)
			log_panic("dns: cannot start a timer");
	}
}

static struct dns_query *
query_start(struct dns *dns, const char *name, bool is_mx, dns_mx_fn *fn,
    void *arg)
{
	struct dns_query *q = dns_query_new(dns);
	struct dns_mxq *m = xcalloc(1, sizeof(*m));

	q->mx = m;
	m->q = q;
	m->dns = dns;
	m->fn = fn;
	m->arg = arg;
	m->is_mx = is_mx;
	m->res = DNS_OK;
	m->mx.fd = -1;
	start(m, name);
	return q;
}

struct dns_query *
dns_mx(struct dns *dns, const char *domain, dns_mx_fn *fn, void *arg)
{
	return query_start(dns, domain, true, fn, arg);
}

struct dns_query *
dns_host(struct dns *dns, const char *name, dns_mx_fn *fn, void *arg)
{
	return query_start(dns, name, false, fn, arg);
}
