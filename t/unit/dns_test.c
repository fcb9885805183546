/*
 * dns_test.c - unit tests for lib/base/dns without the network: resolver
 * addresses (every rejection), dns_new() failures, answers from the hosts
 * file (never from inside dns_peername), and a stub server on a loopback
 * UDP socket of this process that answers NXDOMAIN or SERVFAIL, or
 * nothing (cancelling while evdns holds the request, freeing with a
 * request in flight).  The same for mail hosts (dns_mx, dns_host):
 * literals and bad names (answered from the loop), NXDOMAIN, SERVFAIL,
 * a time-out, cancelling and freeing in flight; and the options of
 * resolv.conf.  The full look-ups are tested with a real DNS server in
 * t/proto/smtpd/test_smtpd_peername.py and t/proto/dns/test_dns_mx.py.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "base/dns.h"
#include "base/event.h"
#include "tap.h"

/* Upper bound for any loop run; hitting it is a failure. */
#define GUARD_MS 5000

static struct why why_unused;

struct answer {
	int calls;
	enum dns_res res;
	char name[300];
	char reason[300];
};

static void
on_answer(const struct dns_answer *a, void *arg)
{
	struct answer *got = arg;

	got->calls++;
	got->res = a->res;
	snprintf(got->name, sizeof(got->name), "%s",
	    a->name != NULL ? a->name : "(null)");
	snprintf(got->reason, sizeof(got->reason), "%s", a->reason);
}

struct mx_answer {
	int calls;
	enum dns_res res;
	char reason[1100];
	size_t nhost;
	char first[300];		/* "PREF NAME NADDR" of host 0 */
};

static void
on_mx_answer(const struct dns_mx_answer *a, void *arg)
{
	struct mx_answer *got = arg;

	got->calls++;
	got->res = a->res;
	snprintf(got->reason, sizeof(got->reason), "%s",
	    a->reason != NULL ? a->reason : "(null)");
	got->nhost = a->nhost;
	if (a->nhost > 0)
		snprintf(got->first, sizeof(got->first), "%u %s %zu",
		    a->host[0].pref, a->host[0].name, a->host[0].naddr);
}

static void
on_guard(void *arg)
{
	event_loop_stop(arg);
}

/* Run the loop until *calls is set or the guard fires. */
static void
run_until(struct event_base *base, const int *calls)
{
	struct event_timer *guard = event_timer_new(base, on_guard, base);

	event_timer_start(guard, GUARD_MS, false);
	while (*calls == 0 && event_timer_is_pending(guard))
		event_base_loop(base, EVLOOP_ONCE);
	event_timer_free(&guard);
}

/* Let the loop run for ms (to see that nothing is called). */
static void
run_for(struct event_base *base, uint64_t ms)
{
	struct event_timer *t = event_timer_new(base, on_guard, base);

	event_timer_start(t, ms, false);
	event_loop_run(base);
	event_timer_free(&t);
}

static struct sockaddr_storage
sa_of(const char *text)
{
	struct sockaddr_storage ss;
	struct why why;
	socklen_t len;

	ok(dns_server_parse(span_str(text), &ss, &len, &why) == 0,
	    "address %s", text);
	return ss;
}

/* Look up addr and wait for the answer in *got. */
static void
ask(struct dns *dns, struct event_base *base, const char *addr,
    struct answer *got)
{
	struct sockaddr_storage ss = sa_of(addr);

	memset(got, 0, sizeof(*got));
	dns_peername(dns, (struct sockaddr *)&ss, on_answer, got);
	run_until(base, &got->calls);
}

static void
test_server_parse(void)
{
	static const struct {
		const char *in;
		int family;
		unsigned int port;
	} good[] = {
		{ "192.0.2.1", AF_INET, 53 },
		{ "192.0.2.1:5353", AF_INET, 5353 },
		{ "::1", AF_INET6, 53 },
		{ "2001:db8::1:53", AF_INET6, 53 },	/* no brackets: no port */
		{ "[2001:db8::1]", AF_INET6, 53 },
		{ "[::1]:5353", AF_INET6, 5353 },
		{ "[::ffff:192.0.2.1]:54", AF_INET6, 54 },
	};
	static const char *const bad[] = { "", "ns.example", "ns.example:53",
		"192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:", "192.0.2",
		"[192.0.2.1]", "[::1", "[::1]:", "[::1]x", "192.0.2.1:53x",
		" 192.0.2.1", "unix:/dev/log", "/dev/log", "[]" };
	struct sockaddr_storage ss;
	struct why why;
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bool parsed = dns_server_parse(span_str(good[i].in), &ss, &len,
		    &why) == 0;
		unsigned int port = ss.ss_family == AF_INET ?
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);

		ok(parsed && ss.ss_family == good[i].family &&
		    port == good[i].port && len == (good[i].family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)),
		    "server %s", good[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why.msg[0] = '\0';
		ok(dns_server_parse(span_str(bad[i]), &ss, &len, &why) == -1 &&
		    why.msg[0] != '\0', "refused: \"%s\" (%s)", bad[i],
		    why.msg);
	}
	ok(dns_server_parse(span_make("1.2.3.4\0", 8), &ss, &len, &why) == -1,
	    "refused: a NUL after the address");
}

/* A stub DNS server on a UDP socket of this process. */
struct stub {
	int fd;
	struct event *ev;
	int queries;
	char port[16];
};

/*
 * Answer a PTR query for 192.0.2.N by its first label N: 1 NXDOMAIN,
 * 3 SERVFAIL, anything else no answer at all.
 */
static void
on_query(evutil_socket_t fd, short what, void *arg)
{
	struct stub *st = arg;
	unsigned char pkt[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n;
	int rcode;

	(void)what;
	n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);
	if (n < 14)
		return;
	st->queries++;
	rcode = pkt[12] == 1 && pkt[13] == '1' ? 3 :
	    pkt[12] == 1 && pkt[13] == '3' ? 2 : 0;
	if (rcode == 0)
		return;
	pkt[2] = 0x81;			/* QR, RD */
	pkt[3] = (unsigned char)(0x80 | rcode);
	memset(pkt + 6, 0, 6);		/* no answer, authority, additional */
	sendto(fd, pkt, (size_t)n, 0, (struct sockaddr *)&from, flen);
}

static void
stub_start(struct stub *st, struct event_base *base)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (st->fd == -1 || bind(st->fd, (struct sockaddr *)&sin, len) == -1 ||
	    getsockname(st->fd, (struct sockaddr *)&sin, &len) == -1)
		abort();
	snprintf(st->port, sizeof(st->port), "%u", ntohs(sin.sin_port));
	st->ev = event_new(base, st->fd, EV_READ | EV_PERSIST, on_query, st);
	event_add(st->ev, NULL);
}

static void
stub_stop(struct stub *st)
{
	event_free(st->ev);
	close(st->fd);
}

static void
test_new_fails(struct event_base *base)
{
	struct dns *dns;
	struct why why;

	dns = dns_new(base, "192.0.2.1, ns.example", NULL, &why);
	ok(dns == NULL && strstr(why.msg, "ns.example") != NULL,
	    "a named server is refused (%s)", why.msg);
	dns = dns_new(base, "127.0.0.1:53", "/nonexistent/hosts", &why);
	ok(dns != NULL, "a missing hosts file is an empty one");
	dns_free(&dns);
	ok(dns == NULL, "free clears");
	dns_free(&dns);
	dns = dns_new(base, "127.0.0.1:53", "/", &why);
	ok(dns == NULL, "an unreadable hosts file is an error (%s)", why.msg);
}

static void
test_hosts(struct event_base *base, const char *servers, const char *path)
{
	struct sockaddr_storage ss = sa_of("192.0.2.9");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct answer got = { 0 };
	struct dns_query *q;
	struct dns *dns;
	struct why why;

	dns = dns_new(base, servers, path, &why);
	ok(dns != NULL, "dns_new with a hosts file");
	q = dns_peername(dns, (struct sockaddr *)&ss, on_answer, &got);
	ok(q != NULL && got.calls == 0, "never answered from inside");
	run_until(base, &got.calls);
	ok(got.calls == 1 && got.res == DNS_OK, "answered from the hosts file");
	is_str(got.name, "nine.example", "its name");
	is_str(got.reason, "hosts file", "and where it came from");

	ask(dns, base, "::ffff:192.0.2.9", &got);
	is_str(got.name, "nine.example", "an IPv4-mapped client");

	memset(&got, 0, sizeof(got));
	dns_peername(dns, (struct sockaddr *)&sun, on_answer, &got);
	run_until(base, &got.calls);
	ok(got.calls == 1 && got.res == DNS_NONAME &&
	    strcmp(got.name, "(null)") == 0, "a unix peer has no name");

	memset(&got, 0, sizeof(got));
	ss = sa_of("192.0.2.9");
	q = dns_peername(dns, (struct sockaddr *)&ss, on_answer, &got);
	dns_cancel(&q);
	ok(q == NULL, "cancel clears the handle");
	dns_cancel(&q);
	run_for(base, 50);
	is_int(got.calls, 0, "a cancelled answer is never delivered");
	dns_free(&dns);
}

static void
test_stub(struct event_base *base, struct stub *st, const char *servers)
{
	struct sockaddr_storage ss;
	struct answer got;
	struct answer late = { 0 };
	struct dns_query *q;
	struct dns *dns;
	struct why why;

	dns = dns_new(base, servers, NULL, &why);
	ok(dns != NULL, "dns_new with a stub server");
	ask(dns, base, "192.0.2.1", &got);
	ok(got.calls == 1 && got.res == DNS_NONAME, "NXDOMAIN: no name");
	is_str(got.reason, "no PTR record for 192.0.2.1", "reason");

	ask(dns, base, "192.0.2.3", &got);
	ok(got.calls == 1 && got.res == DNS_TEMP, "SERVFAIL: try later (%s)",
	    got.reason);

	/* The stub never answers 192.0.2.2: cancel while evdns holds it. */
	st->queries = 0;
	ss = sa_of("192.0.2.2");
	q = dns_peername(dns, (struct sockaddr *)&ss, on_answer, &late);
	while (st->queries == 0)
		event_base_loop(base, EVLOOP_ONCE);
	dns_cancel(&q);
	run_for(base, 50);
	is_int(late.calls, 0, "cancelled in flight: no call");

	/* Freed with a request in flight, and one cancelled as the loop
	 * stops: no call, nothing leaked (the sanitizer build checks). */
	dns_peername(dns, (struct sockaddr *)&ss, on_answer, &late);
	ss = sa_of("192.0.2.4");
	q = dns_peername(dns, (struct sockaddr *)&ss, on_answer, &late);
	run_for(base, 50);
	event_base_loopbreak(base);
	dns_cancel(&q);
	dns_free(&dns);
	is_int(late.calls, 0, "freed in flight: no call");
}

static void
test_resolv_options(void)
{
	static const struct {
		const char *text;
		unsigned int timeout;
		unsigned int attempts;
	} cases[] = {
		{ "", 5, 2 },
		{ "nameserver 192.0.2.1\noptions timeout:3 attempts:4\n", 3,
		  4 },
		{ "options\ttimeout:1\r\noptions attempts:1 rotate", 1, 1 },
		{ "options timeout:0 attempts:99", 1, 5 },
		{ "options timeout:31", 30, 2 },
		{ "options timeout:x attempts:-1 timeout: attempts:2x", 5, 2 },
		{ "options timeout:2\noptions timeout:7", 7, 2 },
		{ "# options timeout:9\n options timeout:8", 8, 2 },
		{ "optionstimeout:9\nsearch options timeout:9", 5, 2 },
		{ "options TIMEOUT:9 ndots:2", 9, 2 },
		{ "options timeout:99999999999999999999", 5, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int timeout = 5;
		unsigned int attempts = 2;

		dns_resolv_options(span_str(cases[i].text), &timeout,
		    &attempts);
		ok(timeout == cases[i].timeout &&
		    attempts == cases[i].attempts, "resolv.conf %zu: %u, %u",
		    i, timeout, attempts);
	}
}

/* Start a mail host look-up and wait for its answer in *got. */
static void
ask_mx(struct dns *dns, struct event_base *base, bool mx, const char *name,
    struct mx_answer *got)
{
	struct dns_query *q;

	memset(got, 0, sizeof(*got));
	q = mx ? dns_mx(dns, name, on_mx_answer, got) :
	    dns_host(dns, name, on_mx_answer, got);
	ok(q != NULL && got->calls == 0, "%s %s: not answered from inside",
	    mx ? "mx" : "host", name);
	run_until(base, &got->calls);
}

static void
test_mx_local(struct event_base *base, const char *servers,
    const char *path)
{
	struct mx_answer got;
	struct dns_query *q;
	struct dns *dns = dns_new(base, servers, path, &why_unused);

	ok(dns != NULL, "dns_new for mail hosts");
	ask_mx(dns, base, true, "192.0.2.7", &got);
	ok(got.calls == 1 && got.res == DNS_OK && got.nhost == 1 &&
	    strcmp(got.reason, "(null)") == 0, "a literal is its own host");
	is_str(got.first, "0 192.0.2.7 1", "with its address");
	ask_mx(dns, base, false, "[IPv6:2001:DB8::1]", &got);
	is_str(got.first, "0 [IPv6:2001:DB8::1] 1", "an IPv6 literal");
	ask_mx(dns, base, false, "[2001:db8::1]", &got);
	is_str(got.first, "0 [2001:db8::1] 1", "in brackets");
	ask_mx(dns, base, false, "nine.example.", &got);
	ok(got.res == DNS_OK, "the hosts file answers");
	is_str(got.first, "0 nine.example 1", "without the final dot");
	ask_mx(dns, base, false, "NINE", &got);
	is_str(got.first, "0 NINE 1", "an alias of the hosts file");
	ask_mx(dns, base, true, "a..b", &got);
	ok(got.res == DNS_NONAME && got.nhost == 0, "a bad name: NONAME");
	is_str(got.reason, "malformed domain name \"a..b\"", "and why");
	ask_mx(dns, base, true, "[192.0.2.1", &got);
	ok(got.res == DNS_NONAME, "half a literal: NONAME (%s)", got.reason);
	ask_mx(dns, base, false, "bad\x01name", &got);
	is_str(got.reason, "malformed domain name \"bad\\x01name\"",
	    "a bad name is escaped in the reason");

	memset(&got, 0, sizeof(got));
	q = dns_mx(dns, "192.0.2.7", on_mx_answer, &got);
	dns_cancel(&q);
	ok(q == NULL, "cancel clears the handle");
	run_for(base, 50);
	is_int(got.calls, 0, "a cancelled answer is never delivered");
	dns_mx(dns, "192.0.2.7", on_mx_answer, &got);
	dns_free(&dns);
	is_int(got.calls, 0, "freed before the loop ran: no call");
}

static void
test_mx_stub(struct event_base *base, struct stub *st, const char *servers)
{
	struct mx_answer got;
	struct mx_answer late = { 0 };
	struct dns_query *q;
	struct dns *dns = dns_new(base, servers, NULL, &why_unused);
	uint64_t t0;

	ok(dns != NULL, "dns_new with a stub server");
	ask_mx(dns, base, true, "1.example", &got);
	ok(got.calls == 1 && got.res == DNS_NONAME, "NXDOMAIN: no mail host");
	is_str(got.reason, "domain 1.example does not exist (NXDOMAIN)",
	    "reason");
	ask_mx(dns, base, false, "3.example", &got);
	ok(got.calls == 1 && got.res == DNS_TEMP, "SERVFAIL: try later");
	ok(strstr(got.reason, "no address for 3.example: 3.example: "
	    "AAAA: SERVFAIL from 127.0.0.1:") == got.reason, "reason: %s",
	    got.reason);

	/* The stub never answers 2.example: cancel while it waits. */
	st->queries = 0;
	q = dns_mx(dns, "2.example", on_mx_answer, &late);
	while (st->queries == 0)
		event_base_loop(base, EVLOOP_ONCE);
	dns_cancel(&q);
	run_for(base, 50);
	is_int(late.calls, 0, "cancelled in flight: no call");

	/* Time-outs: two tries of 50 ms each for AAAA and A. */
	dns_set_timeout(dns, 50, 2);
	st->queries = 0;
	t0 = event_now_ms();
	ask_mx(dns, base, false, "2.example", &got);
	ok(got.res == DNS_TEMP && event_now_ms() - t0 >= 100,
	    "no answer: TEMP after the tries");
	is_int(st->queries, 4, "two tries of each question");
	ok(strstr(got.reason, "no answer from 127.0.0.1:") != NULL &&
	    strstr(got.reason, "(2 tries)") != NULL, "reason: %s",
	    got.reason);

	/* Freed with look-ups in flight: no call, nothing leaked. */
	dns_set_timeout(dns, 5000, 2);
	dns_mx(dns, "2.example", on_mx_answer, &late);
	dns_host(dns, "2.example", on_mx_answer, &late);
	run_for(base, 50);
	event_base_loopbreak(base);
	dns_free(&dns);
	is_int(late.calls, 0, "freed in flight: no call");
}

int
main(void)
{
	struct event_base *base = event_loop_new();
	char path[] = "/tmp/dns_test.XXXXXX";
	static const char hosts[] = "192.0.2.9 nine.example nine\n";
	char servers[64];
	struct stub st;
	int fd;

	test_server_parse();
	test_new_fails(base);
	fd = mkstemp(path);
	ok(fd != -1 && write(fd, hosts, sizeof(hosts) - 1) ==
	    (ssize_t)sizeof(hosts) - 1, "hosts file written");
	close(fd);
	stub_start(&st, base);
	snprintf(servers, sizeof(servers), "127.0.0.1:%s", st.port);
	test_hosts(base, servers, path);
	test_stub(base, &st, servers);
	is_int(st.queries, 3, "the stub saw every query in flight");
	test_resolv_options();
	test_mx_local(base, servers, path);
	test_mx_stub(base, &st, servers);
	stub_stop(&st);
	unlink(path);
	event_loop_free(&base);
	return done_testing();
}
