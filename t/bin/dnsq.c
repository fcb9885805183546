/*
 * dnsq.c - a test program: look up the mail hosts of a domain (dns_mx)
 * or the addresses of one host (dns_host) with lib/base/dns and print
 * the answer.
 *
 *   dnsq [-s SERVERS] [-H HOSTS] [-t MS] [-a ATTEMPTS] mx|host NAME
 *
 * -s: the name servers (as dns_servers; default /etc/resolv.conf's),
 * -H: a hosts file (default none), -t and -a: the time-out of each try
 * in milliseconds and the number of rounds.  A good answer is one line a
 * host, in the order to try: "PREF NAME ADDR...".  Otherwise one line,
 * "NONAME reason" or "TEMP reason".  Exit status 0 (hosts), 1 (NONAME),
 * 2 (TEMP), 3 (usage or set-up error), 4 (the callback came from inside
 * the call or more than once).
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dns.h"
#include "base/event.h"
#include "base/parse.h"

struct run {
	struct event_base *base;
	bool inside;
	int calls;
	int status;
};

static void
print_addr(const struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];
	const void *a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (inet_ntop(ss->ss_family, a, text, sizeof(text)) == NULL)
		snprintf(text, sizeof(text), "?");
	printf(" %s", text);
}

static void
on_answer(const struct dns_mx_answer *a, void *arg)
{
	struct run *run = arg;
	size_t i;
	size_t j;

	if (run->inside || ++run->calls > 1) {
		printf("BAD CALLBACK\n");
		run->status = 4;
		return;
	}
	event_loop_stop(run->base);
	if (a->res != DNS_OK) {
		printf("%s %s\n", a->res == DNS_TEMP ? "TEMP" : "NONAME",
		    a->reason);
		run->status = a->res == DNS_TEMP ? 2 : 1;
		return;
	}
	for (i = 0; i < a->nhost; i++) {
		printf("%u %s", a->host[i].pref, a->host[i].name);
		for (j = 0; j < a->host[i].naddr; j++)
			print_addr(&a->host[i].addr[j]);
		printf("\n");
	}
	run->status = a->reason == NULL && a->nhost > 0 ? 0 : 4;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dnsq [-s SERVERS] [-H HOSTS] [-t MS] "
	    "[-a ATTEMPTS] mx|host NAME\n");
	return 3;
}

int
main(int argc, char **argv)
{
	const char *servers = "";
	const char *hosts = NULL;
	uint64_t timeout_ms = 0;
	uint64_t attempts = 0;
	struct run run = { .status = 3 };
	struct dns *dns;
	struct why why;
	int c;

	while ((c = getopt(argc, argv, "s:H:t:a:")) != -1) {
		if (c == 's')
			servers = optarg;
		else if (c == 'H')
			hosts = optarg;
		else if (c == 't' && parse_u64(span_str(optarg), 1, 600000,
		    &timeout_ms) == 0)
			continue;
		else if (c == 'a' && parse_u64(span_str(optarg), 1, 10,
		    &attempts) == 0)
			continue;
		else
			return usage();
	}
	if (argc - optind != 2 || (strcmp(argv[optind], "mx") != 0 &&
	    strcmp(argv[optind], "host") != 0))
		return usage();
	run.base = event_loop_new();
	dns = dns_new(run.base, servers, hosts, &why);
	if (dns == NULL) {
		fprintf(stderr, "dnsq: %s\n", why.msg);
		return 3;
	}
	if (timeout_ms != 0 || attempts != 0)
		dns_set_timeout(dns, timeout_ms != 0 ?
		    (unsigned int)timeout_ms : 5000,
		    attempts != 0 ? (unsigned int)attempts : 2);
	run.inside = true;
	if (strcmp(argv[optind], "mx") == 0)
		dns_mx(dns, argv[optind + 1], on_answer, &run);
	else
		dns_host(dns, argv[optind + 1], on_answer, &run);
	run.inside = false;
	event_loop_run(run.base);
	if (run.calls != 1) {
		printf("NO CALLBACK\n");
		run.status = 4;
	}
	dns_free(&dns);
	event_loop_free(&run.base);
	return run.status;
}
