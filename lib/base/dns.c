/*
 * dns.c - the resolver (its name servers, their options, the hosts file)
 * and peer names through libevent's evdns: the hosts file, then PTR, then
 * the forward check (A or AAAA) of the PTR name.  Mail hosts are in
 * dns_mx.c.
 * Linked into: smtpd and the SMTP delivery agent.  Runs as the daemon's
 * user, set up before the chroot.  Trust: DNS answers are hostile; a PTR
 * name is checked before it is used, and a refused one reaches the log
 * only escaped.
 *
 * Lifetime: struct dns owns every query it started (a list).  A peer
 * name query owns its evdns request while one runs; cancelled, it stays
 * on the list, without a callback, until evdns has called it back (evdns
 * frees its request only after that call), and is then freed.  An MX or
 * host query owns its sockets and timers and is freed at once when
 * cancelled.  dns_free() frees what is left.
 */
#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"
#include "base/dns.h"
#include "base/dns_impl.h"
#include "base/event.h"
#include "base/file.h"
#include "base/hosts.h"
#include "base/log.h"
#include "base/net.h"
#include "base/parse.h"
#include "base/xmem.h"

int
dns_server_parse(struct span s, struct sockaddr_storage *sa_out,
    socklen_t *len_out, struct why *why)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa_out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa_out;
	struct span bare = s;
	bool brackets = false;
	char text[INET6_ADDRSTRLEN];
	struct net_addr a;
	struct why inner;
	int shown = s.len > 100 ? 100 : (int)s.len;

	if (bare.len >= 2 && bare.p[0] == '[' && bare.p[bare.len - 1] == ']') {
		bare = span_sub(bare, 1, bare.len - 2);
		brackets = true;
	}
	memset(&a, 0, sizeof(a));
	a.port = 53;
	/* A bare address has no port; brackets are for IPv6 only. */
	if (bare.len > 0 && bare.len < sizeof(text) &&
	    memchr(bare.p, '\0', bare.len) == NULL) {
		memcpy(text, bare.p, bare.len);
		text[bare.len] = '\0';
		if (!brackets && inet_pton(AF_INET, text, &a.v4) == 1)
			a.kind = NET_IPV4;
		else if (inet_pton(AF_INET6, text, &a.v6) == 1)
			a.kind = NET_IPV6;
	}
	if (a.kind == NET_NONE && net_addr_parse(s, &a, &inner) == -1)
		return why_set(why, "\"%.*s\": %s", shown, (const char *)s.p,
		    inner.msg);
	memset(sa_out, 0, sizeof(*sa_out));
	if (a.kind == NET_IPV4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a.port);
		s4->sin_addr = a.v4;
		*len_out = sizeof(*s4);
		return 0;
	}
	if (a.kind == NET_IPV6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a.port);
		s6->sin6_addr = a.v6;
		*len_out = sizeof(*s6);
		return 0;
	}
	return why_set(why, "\"%.*s\": not a numeric address", shown,
	    (const char *)s.p);
}

/* Add the servers of the list; *n_out says how many there were. */
static int
add_servers(struct dns *dns, const char *servers, size_t *n_out,
    struct why *why)
{
	struct span rest = span_str(servers);
	struct sockaddr_storage ss;
	struct span item;
	socklen_t len;

	*n_out = 0;
	while (cfg_list_next(&rest, &item)) {
		if (dns_server_parse(item, &ss, &len, why) == -1)
			return -1;
		if (evdns_base_nameserver_sockaddr_add(dns->evdns,
			(struct sockaddr *)&ss, len, 0) != 0)
			return why_set(why, "cannot use DNS server %.*s",
			    (int)item.len, (const char *)item.p);
		(*n_out)++;
	}
	return 0;
}

/* The value of "name:N" in opt, if opt is that option, into *out. */
static void
option_value(struct span opt, const char *name, unsigned int min,
    unsigned int max, unsigned int *out)
{
	size_t len = strlen(name);
	uint64_t v;

	if (opt.len <= len || !span_startswith_nocase(opt, name))
		return;
	/* Out of range is clamped, as the C library's resolver does. */
	if (parse_u64(span_sub(opt, len, opt.len), 0, UINT_MAX, &v) == 0)
		*out = v < min ? min : v > max ? max : (unsigned int)v;
}

void
dns_resolv_options(struct span text, unsigned int *timeout_s_out,
    unsigned int *attempts_out)
{
	while (text.len > 0) {
		long nl = span_chr(text, '\n');
		size_t len = nl == -1 ? text.len : (size_t)nl;
		struct span line = span_make(text.p, len);
		struct span word;

		text = span_sub(text, len + 1, text.len);
		if (!span_token(&line, " \t\r", &word) ||
		    !span_eq(word, "options"))
			continue;
		while (span_token(&line, " \t\r", &word)) {
			option_value(word, "timeout:", 1, 30, timeout_s_out);
			option_value(word, "attempts:", 1, 5, attempts_out);
		}
	}
}

static int
read_resolv_conf(struct dns *dns, struct why *why)
{
	int r = evdns_base_resolv_conf_parse(dns->evdns,
	    DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC, DNS_RESOLV_CONF);
	unsigned int timeout_s = dns->timeout_ms / 1000;
	struct buf text;

	/* 1: no file, 6: no nameserver line; evdns then asks 127.0.0.1,
	 * as the C library's resolver does. */
	if (r != 0 && r != 1 && r != 6)
		return why_set(why, "%s: cannot be read (evdns error %d)",
		    DNS_RESOLV_CONF, r);
	/* evdns keeps its options to itself: dns_mx() reads them again. */
	buf_init(&text, DNS_RESOLV_CONF_MAX);
	if (file_read(DNS_RESOLV_CONF, &text, why) == -1) {
		buf_fini(&text);
		return -1;
	}
	dns_resolv_options(buf_span(&text), &timeout_s, &dns->attempts);
	dns->timeout_ms = timeout_s * 1000;
	buf_fini(&text);
	return 0;
}

/* The servers evdns has, for dns_mx(). */
static void
copy_servers(struct dns *dns)
{
	int n = evdns_base_count_nameservers(dns->evdns);
	int i;

	for (i = 0; i < n && dns->nserver < DNS_SERVERS_MAX; i++) {
		struct dns_server *s = &dns->server[dns->nserver];
		int len = evdns_base_get_nameserver_addr(dns->evdns, i,
		    (struct sockaddr *)&s->sa, sizeof(s->sa));

		if (len > 0 && (size_t)len <= sizeof(s->sa) &&
		    (s->sa.ss_family == AF_INET ||
			s->sa.ss_family == AF_INET6)) {
			s->len = (socklen_t)len;
			dns->nserver++;
		}
	}
}

static int
read_hosts(struct dns *dns, const char *path, struct why *why)
{
	struct buf text;
	int r;

	buf_init(&text, DNS_HOSTS_MAX);
	r = file_read(path, &text, why);
	if (r != -1)
		dns->hosts = hosts_parse(buf_span(&text));
	buf_fini(&text);
	return r == -1 ? -1 : 0;
}

struct dns *
dns_new(struct event_base *base, const char *servers, const char *hosts_path,
    struct why *why)
{
	struct dns *dns = xcalloc(1, sizeof(*dns));
	size_t n;

	dns->base = base;
	/* Query ids and 0x20 case randomisation need a seeded source,
	 * and /dev/urandom is out of reach after the chroot. */
	if (evutil_secure_rng_init() == -1) {
		why_set(why, "cannot seed libevent's random number generator");
		goto fail;
	}
	/* Without requests evdns keeps no event pending: a loop that has
	 * nothing else to do may end. */
	dns->evdns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (dns->evdns == NULL) {
		why_set(why, "cannot create a DNS resolver");
		goto fail;
	}
	/* The C library's defaults; resolv.conf options may change them. */
	evdns_base_set_option(dns->evdns, "timeout:", "5");
	evdns_base_set_option(dns->evdns, "attempts:", "2");
	dns->timeout_ms = 5000;
	dns->attempts = 2;
	/* evdns would keep requests waiting for ever without a server. */
	if (add_servers(dns, servers, &n, why) == -1 ||
	    (n == 0 && read_resolv_conf(dns, why) == -1))
		goto fail;
	copy_servers(dns);
	if (dns->nserver == 0) {
		why_set(why, "no usable DNS server");
		goto fail;
	}
	if (hosts_path != NULL && read_hosts(dns, hosts_path, why) == -1)
		goto fail;
	if (dns->hosts == NULL)
		dns->hosts = hosts_parse(span_str(""));
	return dns;
fail:
	dns_free(&dns);
	return NULL;
}

void
dns_set_timeout(struct dns *dns, unsigned int timeout_ms,
    unsigned int attempts)
{
	char text[32];

	dns->timeout_ms = timeout_ms < 1 ? 1 : timeout_ms;
	dns->attempts = attempts < 1 ? 1 : attempts;
	snprintf(text, sizeof(text), "%u.%03u", dns->timeout_ms / 1000,
	    dns->timeout_ms % 1000);
	evdns_base_set_option(dns->evdns, "timeout:", text);
	snprintf(text, sizeof(text), "%u", dns->attempts);
	evdns_base_set_option(dns->evdns, "attempts:", text);
}

struct dns_query *
dns_query_new(struct dns *dns)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));

	q->dns = dns;
	q->next = dns->queries;
	if (q->next != NULL)
		q->next->prevp = &q->next;
	q->prevp = &dns->queries;
	dns->queries = q;
	return q;
}

void
dns_query_free(struct dns_query *q)
{
	*q->prevp = q->next;
	if (q->next != NULL)
		q->next->prevp = q->prevp;
	event_timer_free(&q->soon);
	dns_mxq_free(&q->mx);
	free(q);
}

void
dns_free(struct dns **dnsp)
{
	struct dns *dns = *dnsp;

	if (dns == NULL)
		return;
	/*
	 * fail_requests 0: evdns frees its requests without scheduling
	 * callbacks.  Scheduled callbacks are deferred to the loop, which
	 * does not run again, so they would never free what they hold.
	 */
	if (dns->evdns != NULL)
		evdns_base_free(dns->evdns, 0);
	while (dns->queries != NULL)
		dns_query_free(dns->queries);
	hosts_free(&dns->hosts);
	free(dns);
	*dnsp = NULL;
}

/* Deliver the answer in q (unless cancelled) and free the query. */
static void
deliver(struct dns_query *q)
{
	q->answer.reason = q->reason;
	if (q->answer.res == DNS_OK)
		q->answer.name = q->name;
	else
		q->answer.name = q->have_ptr ? q->ptr : NULL;
	if (q->fn != NULL)
		q->fn(&q->answer, q->arg);
	dns_query_free(q);
}

static void
finish(struct dns_query *q, enum dns_res res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct dns_query *q, enum dns_res res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->reason, sizeof(q->reason), fmt, ap);
	va_end(ap);
	q->answer.res = res;
	deliver(q);
}

/* NXDOMAIN and an empty answer mean "no such record"; the rest is a
 * failure of the moment (SERVFAIL and a timeout among them). */
static bool
is_absent(int result)
{
	return result == DNS_ERR_NOTEXIST || result == DNS_ERR_NODATA;
}

static bool
has_addr(const struct dns_query *q, int count, const void *addrs)
{
	size_t len = q->family == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < count; i++)
		if (memcmp((const unsigned char *)addrs + (size_t)i * len,
			q->addr, len) == 0)
			return true;
	return false;
}

static void
on_forward(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	struct dns_query *q = arg;
	char type_want = q->family == AF_INET ? DNS_IPv4_A : DNS_IPv6_AAAA;

	(void)ttl;
	q->req = NULL;
	if (q->fn == NULL)
		finish(q, DNS_TEMP, "cancelled");
	else if (result == DNS_ERR_NONE && type == type_want &&
	    has_addr(q, count, addrs))
		finish(q, DNS_OK, "verified");
	else if (result == DNS_ERR_NONE || is_absent(result))
		finish(q, DNS_NONAME, "hostname %s does not resolve to "
		    "address %s", q->ptr, q->addr_text);
	else
		finish(q, DNS_TEMP, "hostname %s verification failed: %s",
		    q->ptr, evdns_err_to_string(result));
}

/* The PTR name as found, escaped, for the log. */
static void
keep_ptr(struct dns_query *q, const char *name)
{
	char esc[LOG_ESC_SIZE];

	snprintf(q->ptr, sizeof(q->ptr), "%s", log_esc(span_str(name), esc));
	q->have_ptr = true;
}

static void
on_ptr(int result, char type, int count, int ttl, void *addrs, void *arg)
{
	struct dns_query *q = arg;
	const char *name;

	(void)ttl;
	q->req = NULL;
	if (q->fn == NULL) {
		finish(q, DNS_TEMP, "cancelled");
		return;
	}
	if (is_absent(result) || (result == DNS_ERR_NONE &&
	    (type != DNS_PTR || count < 1))) {
		finish(q, DNS_NONAME, "no PTR record for %s", q->addr_text);
		return;
	}
	if (result != DNS_ERR_NONE) {
		finish(q, DNS_TEMP, "PTR look-up of %s failed: %s",
		    q->addr_text, evdns_err_to_string(result));
		return;
	}
	name = *(char **)addrs;
	keep_ptr(q, name);
	if (!net_host_name_valid(span_str(name), true)) {
		finish(q, DNS_NONAME, "malformed host name %s in the PTR "
		    "record of %s", q->ptr, q->addr_text);
		return;
	}
	/* Kept without a final dot (net_host_name_valid allows one). */
	snprintf(q->name, sizeof(q->name), "%.*s",
	    (int)strlen(name) - (name[strlen(name) - 1] == '.'), name);
	q->req = q->family == AF_INET ?
	    evdns_base_resolve_ipv4(q->dns->evdns, q->name, DNS_QUERY_NO_SEARCH,
		on_forward, q) :
	    evdns_base_resolve_ipv6(q->dns->evdns, q->name, DNS_QUERY_NO_SEARCH,
		on_forward, q);
	if (q->req == NULL)
		finish(q, DNS_TEMP, "cannot look up %s", q->name);
}

/* An answer known when the query was made, delivered from the loop. */
static void
on_soon(void *arg)
{
	deliver(arg);
}

static void
answer_soon(struct dns_query *q, enum dns_res res, const char *reason)
{
	q->answer.res = res;
	snprintf(q->reason, sizeof(q->reason), "%s", reason);
	q->soon = event_timer_new(q->dns->base, on_soon, q);
	if (event_timer_start(q->soon, 0, false) == -1)
		log_panic("dns: cannot start a timer");
}

struct dns_query *
dns_peername(struct dns *dns, const struct sockaddr *sa, dns_peername_fn *fn,
    void *arg)
{
	struct dns_query *q = dns_query_new(dns);
	struct in_addr a4;
	struct in6_addr a6;
	const char *name;

	q->fn = fn;
	q->arg = arg;
	if (hosts_addr(sa, &q->family, q->addr) == -1) {
		answer_soon(q, DNS_NONAME, "not an internet address");
		return q;
	}
	inet_ntop(q->family, q->addr, q->addr_text, sizeof(q->addr_text));
	name = hosts_lookup(dns->hosts, sa);
	if (name != NULL) {
		snprintf(q->name, sizeof(q->name), "%s", name);
		answer_soon(q, DNS_OK, "hosts file");
		return q;
	}
	memcpy(&a4, q->addr, sizeof(a4));
	memcpy(&a6, q->addr, sizeof(a6));
	q->req = q->family == AF_INET ?
	    evdns_base_resolve_reverse(dns->evdns, &a4, DNS_QUERY_NO_SEARCH,
		on_ptr, q) :
	    evdns_base_resolve_reverse_ipv6(dns->evdns, &a6,
		DNS_QUERY_NO_SEARCH, on_ptr, q);
	if (q->req == NULL)
		answer_soon(q, DNS_TEMP, "cannot start the PTR look-up");
	return q;
}

void
dns_cancel(struct dns_query **qp)
{
	struct dns_query *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	q->fn = NULL;
	q->arg = NULL;
	if (q->req == NULL) {
		dns_query_free(q);
		return;
	}
	/*
	 * evdns calls back (DNS_ERR_CANCEL) from the loop, and only then
	 * lets go of the request: the query waits for that call.  When the
	 * loop is stopping, that call would never come; the request is
	 * left for dns_free() instead.
	 */
	if (!event_base_got_break(q->dns->base) &&
	    !event_base_got_exit(q->dns->base))
		evdns_cancel_request(q->dns->evdns, q->req);
}
