/*
 * dns.h - asynchronous DNS look-ups on an event loop (libevent's evdns):
 * the verified host name of a peer address, as Postfix's smtpd finds it.
 *
 * A peer name is looked up in this order: the hosts file (an entry there
 * is trusted as it is), then the PTR record of the address, then the A
 * (IPv4 peer) or AAAA (IPv6 peer) records of the name the PTR gave, which
 * must include the peer's address ("forward-confirmed").  A PTR name that
 * is not an RFC 1123 host name (net_host_name_valid() with ldh_only:
 * letters, digits, '-', nothing that reads as an address) is refused.
 * Nothing here logs; the answer carries the reason, and evdns's own
 * warnings (a resolver that stopped answering) go through log.h as
 * libevent's do.
 *
 * Linked into: smtpd.  Runs as the daemon's user; made before the chroot
 * (the resolver configuration, the hosts file and the random source are
 * read then).  Trust: answers come from the network and are hostile: a
 * name is used only after it passed the checks above, and log text made
 * from a refused name is escaped.
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <sys/socket.h>

#include "base/buf.h"
#include "base/why.h"

struct event_base;
struct dns;
struct dns_query;

/* The resolver configuration read when no servers are given. */
#define DNS_RESOLV_CONF "/etc/resolv.conf"
/* The hosts file smtpd reads. */
#define DNS_HOSTS_FILE "/etc/hosts"
/* Largest hosts file read (a bigger one is an error). */
#define DNS_HOSTS_MAX (16 * 1024 * 1024)

enum dns_res {
	DNS_OK,		/* a verified name */
	DNS_NONAME,	/* no usable name: no PTR, NXDOMAIN, a bad PTR name,
			 * or a name that does not resolve back */
	DNS_TEMP,	/* no answer now: SERVFAIL, timeout */
};

struct dns_answer {
	enum dns_res res;
	/* DNS_OK: the verified name.  Otherwise the name the PTR record
	 * gave when there was one, escaped with log_esc() (for the log
	 * only: it is not a usable name), else NULL. */
	const char *name;
	/* Where the name came from, or why there is none; printable,
	 * for the log (e.g. "hostname mx.example does not resolve to
	 * address 192.0.2.1"). */
	const char *reason;
};

/*
 * Called once per query, on the loop, never from inside dns_peername().
 * The answer is borrowed for the call; the query handle is invalid from
 * the call on, so fn must forget it.
 */
typedef void dns_peername_fn(const struct dns_answer *a, void *arg);

/*
 * Parse one resolver address: "ADDR" (IPv4 or IPv6, port 53),
 * "[IPv6]", "IPv4:PORT" or "[IPv6]:PORT" (pure; no names).  Fills
 * *sa_out and *len_out.  Returns 0, or -1 with a reason.
 */
int	dns_server_parse(struct span s, struct sockaddr_storage *sa_out,
	    socklen_t *len_out, struct why *why);

/*
 * A resolver on base.  servers is a list (commas or blanks) of
 * dns_server_parse() addresses; empty means DNS_RESOLV_CONF with its
 * options (nameservers, timeout, attempts; 127.0.0.1 when it names
 * none).  hosts_path (NULL: none) is read now; a missing file is an
 * empty one.  Also seeds libevent's random source (query ids).  Returns
 * NULL with a reason on a bad server, an unreadable file or a libevent
 * failure.  Free with dns_free().
 */
struct dns *dns_new(struct event_base *base, const char *servers,
	    const char *hosts_path, struct why *why);

/*
 * Free the resolver and every query still open: their callbacks are not
 * called, and handles the caller still holds become invalid.  Call it
 * after the loop has stopped.  Accepts NULL and clears the pointer.
 */
void	dns_free(struct dns **dnsp);

/*
 * Start looking up the verified name of sa (AF_INET or AF_INET6; an
 * IPv4-mapped IPv6 address is looked up as IPv4; any other family gets
 * DNS_NONAME).  fn(answer, arg) is called exactly once, later, unless
 * the query is cancelled first.  Returns the query's handle (never NULL).
 */
struct dns_query *dns_peername(struct dns *dns, const struct sockaddr *sa,
	    dns_peername_fn *fn, void *arg);

/*
 * Cancel a query whose callback has not been called: it never will be.
 * Safe while the resolver still holds the request (the query then lives
 * on, unseen, until the resolver lets go of it).  Accepts NULL and
 * clears the pointer.
 */
void	dns_cancel(struct dns_query **qp);

#endif
