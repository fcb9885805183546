/*
 * dns_test.c - unit tests for lib/base/dns without the network: resolver
 * addresses (every rejection), dns_new() failures, answers from the hosts
 * file (never from inside dns_peername), and a stub server on a loopback
 * UDP socket of this process that answers NXDOMAIN or SERVFAIL, or
 * nothing (cancelling while evdns holds the request, freeing with a
 * request in flight).  The full look-up (PTR, then A/AAAA) is tested with
 * a real DNS server in t/proto/smtpd/test_smtpd_peername.py.
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
	stub_stop(&st);
	unlink(path);
	event_loop_free(&base);
	return done_testing();
}
