/*
 * netmatch.c - match addresses against network lists.
 * Linked into: smtpd.  Trust: list from the admin, addresses from the
 * kernel; every item is validated at parse time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"
#include "base/netmatch.h"
#include "base/parse.h"
#include "base/xmem.h"

struct net {
	int family;
	unsigned char addr[16];
	unsigned int prefix;
};

struct netmatch {
	struct net *v;
	size_t n;
};

static int
parse_net(struct span item, struct net *out, struct why *why)
{
	char text[80];
	long slash = span_chr(item, '/');
	struct span host = slash == -1 ? item :
					 span_make(item.p, (size_t)slash);
	uint64_t prefix;

	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		host = span_sub(host, 1, host.len - 2);
	if (host.len == 0 || host.len >= sizeof(text))
		return why_set(why, "bad network \"%.*s\"", (int)item.len,
		    (const char *)item.p);
	memcpy(text, host.p, host.len);
	text[host.len] = '\0';
	out->family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, text, out->addr) != 1)
		return why_set(why, "bad network address \"%s\"", text);
	out->prefix = out->family == AF_INET ? 32 : 128;
	if (slash != -1) {
		if (parse_u64(span_sub(item, (size_t)slash + 1, item.len), 0,
			out->prefix, &prefix) == -1)
			return why_set(why, "bad prefix length in \"%.*s\"",
			    (int)item.len, (const char *)item.p);
		out->prefix = (unsigned int)prefix;
	}
	return 0;
}

struct netmatch *
netmatch_new(const char *list, struct why *why)
{
	struct netmatch *nm = xcalloc(1, sizeof(*nm));
	struct span rest = span_str(list);
	struct span item;

	while (cfg_list_next(&rest, &item)) {
		nm->v = xreallocarray(nm->v, nm->n + 1, sizeof(*nm->v));
		if (parse_net(item, &nm->v[nm->n], why) == -1) {
			netmatch_free(&nm);
			return NULL;
		}
		nm->n++;
	}
	return nm;
}

void
netmatch_free(struct netmatch **nmp)
{
	if (*nmp == NULL)
		return;
	free((*nmp)->v);
	free(*nmp);
	*nmp = NULL;
}

static bool
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned int bits)
{
	unsigned int whole = bits / 8;
	unsigned int rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

bool
netmatch_contains(const struct netmatch *nm, const struct sockaddr *sa)
{
	unsigned char addr[16];
	int family = sa->sa_family;
	size_t i;

	if (family == AF_UNIX)
		return true;
	if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			memcpy(addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	for (i = 0; i < nm->n; i++)
		if (nm->v[i].family == family &&
		    prefix_eq(nm->v[i].addr, addr, nm->v[i].prefix))
			return true;
	return false;
}
