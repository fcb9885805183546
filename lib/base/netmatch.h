/*
 * netmatch.h - lists of networks such as mynetworks: "127.0.0.0/8,
 * [::1]/128, 192.0.2.7" (IPv4 and bracketed or bare IPv6, with an
 * optional prefix length), matched against a client address.
 * Linked into: smtpd.  Trust: the list is the admin's; the address comes
 * from the kernel (accept).
 */
#ifndef POSTERN_NETMATCH_H
#define POSTERN_NETMATCH_H

#include <stdbool.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/why.h"

struct netmatch;

/* Parse list.  NULL with why ("item: reason") on a bad item. */
struct netmatch *netmatch_new(const char *list, struct why *why);
void	netmatch_free(struct netmatch **nm);
/* True when sa (AF_INET or AF_INET6; v4-mapped v6 counts as v4) is in
 * one of the networks.  Unix-domain peers are local: true. */
bool	netmatch_contains(const struct netmatch *nm,
	    const struct sockaddr *sa);

#endif
