/*
 * fuzz_hosts.c - libFuzzer target for hosts_parse() (lib/base/hosts), what
 * smtpd makes of /etc/hosts, and for the host name check it applies
 * (net_host_name_valid() with ldh_only, lib/base/net), which also judges
 * the names of PTR records.
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: at most HOSTS_MAX_ENTRIES entries; every name is valid,
 * holds no final dot, is at most HOSTS_NAME_MAX bytes and lies inside the
 * input; every entry is an IPv4 or IPv6 address, and looking it up gives
 * a name that is that of the first entry with the same address, and
 * looking its name up (hosts_find) gives an address; a name
 * the check accepts is short and of letters, digits, '-' and '.' only;
 * a second parse gives the same table.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hosts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static void
check_entry(const struct hosts *h, size_t i, const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr_storage first;
	const char *name = hosts_entry(h, i, &ss);
	size_t len = strlen(name);
	size_t j;

	check(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	check(len >= 1 && len <= HOSTS_NAME_MAX && name[len - 1] != '.');
	check(net_host_name_valid(span_str(name), true));
	check(memmem(data, size, name, len) != NULL);
	check(hosts_find(h, span_str(name), AF_UNSPEC, &first, 1) == 1);
	for (j = 0; j <= i; j++) {
		const char *other = hosts_entry(h, j, &first);

		if (same_addr(&first, &ss)) {
			check(hosts_lookup(h, (struct sockaddr *)&ss) == other);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct hosts *h = hosts_parse(in);
	struct hosts *again = hosts_parse(in);
	struct sockaddr_storage a;
	struct sockaddr_storage b;
	size_t i;

	check(hosts_count(h) <= HOSTS_MAX_ENTRIES);
	check(hosts_count(h) == hosts_count(again));
	for (i = 0; i < hosts_count(h); i++) {
		check_entry(h, i, data, size);
		check(strcmp(hosts_entry(h, i, &a), hosts_entry(again, i, &b)) ==
		    0 && same_addr(&a, &b));
	}
	if (net_host_name_valid(in, true)) {
		check(size >= 1 && size <= HOSTS_NAME_MAX + 1);
		for (i = 0; i < size; i++)
			check(strchr("abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.",
				  data[i]) != NULL && data[i] != '\0');
	}
	hosts_free(&h);
	hosts_free(&again);
	return 0;
}
