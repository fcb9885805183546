/*
 * fuzz_net_addr.c - libFuzzer target for net_addr_parse() (lib/base/net).
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: the result is 0 or -1; a rejection gives a reason and
 * leaves the output untouched; an accepted address has a valid kind,
 * a port in range, a name or path copied from the input and within its
 * bound, and its net_addr_str() text parses back to the same address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/net.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_accepted(const uint8_t *data, size_t size, const struct net_addr *a)
{
	char text[NET_ADDR_STRLEN];
	char again[NET_ADDR_STRLEN];
	struct why why = { "" };
	struct net_addr b;
	size_t n;

	check(size <= NET_ADDR_INPUT_MAX);
	switch (a->kind) {
	case NET_IPV4:
	case NET_IPV6:
		check(a->port >= 1);
		break;
	case NET_NAME:
		n = strnlen(a->name, sizeof(a->name));
		check(a->port >= 1 && n >= 1 && n <= NET_HOST_MAX);
		check(n < size && memcmp(a->name, data, n) == 0 &&
		    data[n] == ':');
		break;
	case NET_UNIX:
		n = strnlen(a->path, sizeof(a->path));
		check(n >= 1 && n <= NET_PATH_MAX && n <= size);
		check(memcmp(a->path, data + size - n, n) == 0);
		break;
	default:
		check(0);
	}
	net_addr_str(a, text);
	check(strnlen(text, sizeof(text)) < sizeof(text));
	check(net_addr_parse(span_str(text), &b, &why) == 0);
	check(b.kind == a->kind);
	check(strcmp(net_addr_str(&b, again), text) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct why why = { "" };
	struct net_addr a;
	struct net_addr saved;
	int r;

	memset(&a, 0xa5, sizeof(a));
	memcpy(&saved, &a, sizeof(saved));
	r = net_addr_parse(span_make(data, size), &a, &why);
	check(r == 0 || r == -1);
	if (r == -1) {
		check(why.msg[0] != '\0');
		check(memcmp(&a, &saved, sizeof(a)) == 0);
		return 0;
	}
	check_accepted(data, size, &a);
	return 0;
}
