/*
 * netmatch_test.c - unit tests for lib/base/netmatch: list parsing (every
 * rejection), prefix matching for IPv4, IPv6 and v4-mapped addresses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "base/netmatch.h"
#include "tap.h"

static bool
has(const struct netmatch *nm, const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
	}
	return netmatch_contains(nm, (struct sockaddr *)&ss);
}

int
main(void)
{
	static const char *const bad[] = { "10.0.0.0/33", "[::1]/129",
		"10.0.0", "10.0.0.0/", "10.0.0.0/-1", "[]", "example.org",
		"::1/x" };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct netmatch *nm;
	struct why why;
	size_t i;

	nm = netmatch_new("127.0.0.0/8, [::1]/128 192.0.2.7,2001:db8::/32,"
			  "10.1.0.0/17, 0.0.0.0/0x", &why);
	ok(nm == NULL, "a bad item refuses the whole list");
	nm = netmatch_new("127.0.0.0/8, [::1]/128 192.0.2.7,2001:db8::/32,"
			  "10.1.0.0/17", &why);
	ok(nm != NULL, "list parses");
	ok(has(nm, "127.1.2.3"), "in 127/8");
	ok(!has(nm, "128.0.0.1"), "not in 127/8");
	ok(has(nm, "::1"), "::1");
	ok(!has(nm, "::2"), "not ::2");
	ok(has(nm, "192.0.2.7") && !has(nm, "192.0.2.8"), "a single host");
	ok(has(nm, "2001:db8:ffff::1") && !has(nm, "2001:db9::1"), "v6 /32");
	ok(has(nm, "10.1.127.255") && !has(nm, "10.1.128.0"), "odd prefix /17");
	ok(has(nm, "::ffff:127.0.0.1"), "v4-mapped v6 counts as v4");
	ok(netmatch_contains(nm, (struct sockaddr *)&sun), "unix peers are local");
	netmatch_free(&nm);
	ok(nm == NULL, "free clears");
	nm = netmatch_new("", &why);
	ok(nm != NULL && !has(nm, "127.0.0.1"), "an empty list matches nothing");
	netmatch_free(&nm);
	nm = netmatch_new("0.0.0.0/0", &why);
	ok(nm != NULL && has(nm, "203.0.113.9") && !has(nm, "::1"),
	    "0/0 is every v4 address");
	netmatch_free(&nm);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nm = netmatch_new(bad[i], &why);
		ok(nm == NULL, "refused: %s (%s)", bad[i], why.msg);
		netmatch_free(&nm);
	}
	return done_testing();
}
