/*
 * dns.h - asynchronous DNS look-ups on an event loop: the verified host
 * name of a peer address, as Postfix's smtpd finds it (through libevent's
 * evdns), and the mail hosts of a domain or the addresses of one host,
 * as an SMTP client needs them (MX, A, AAAA; our own queries over UDP,
 * lib/base/dnsmsg, to the same name servers).
 *
 * A peer name is looked up in this order: the hosts file (an entry there
 * is trusted as it is), then the PTR record of the address, then the A
 * (IPv4 peer) or AAAA (IPv6 peer) records of the name the PTR gave, which
 * must include the peer's address ("forward-confirmed").  A PTR name that
 * is not an RFC 1123 host name (net_host_name_valid() with ldh_only:
 * letters, digits, '-', nothing that reads as an address) is refused.
 *
 * Mail hosts (dns_mx) are the domain's MX records in order of preference,
 * each with its addresses; see dns_mx() for the rules.  The addresses of
 * a name come from the hosts file when it lists the name (the DNS is
 * then not asked), else from its AAAA and A records.  Each question goes
 * to the servers in turn, attempts rounds of timeout each, from a fresh
 * socket (a random source port) with a random id; a datagram counts only
 * when it comes from the server asked and answers the question asked.  A
 * truncated answer (TC) is a temporary failure: there is no TCP fallback
 * (answers of mail look-ups fit in 512 bytes but for odd zones).  A CNAME
 * chain is followed within one answer (up to DNS_CNAME_MAX links), as a
 * recursive server gives it.
 *
 * Nothing here logs; the answer carries the reason, and evdns's own
 * warnings (a resolver that stopped answering) go through log.h as
 * libevent's do.
 *
 * Linked into: smtpd (peer names) and the SMTP delivery agent (mail
 * hosts).  Runs as the daemon's user; made before the chroot (the
 * resolver configuration, the hosts file and the random source are read
 * then).  Trust: answers come from the network and are hostile: a name is
 * used only after it passed the checks above, and log text made from a
 * refused name is escaped.
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
/* The hosts file the daemons read. */
#define DNS_HOSTS_FILE "/etc/hosts"
/* Largest hosts file read (a bigger one is an error). */
#define DNS_HOSTS_MAX (16 * 1024 * 1024)
/* Largest resolver configuration read (a bigger one is an error). */
#define DNS_RESOLV_CONF_MAX (64 * 1024)
/* Mail hosts in one dns_mx() answer, at most. */
#define DNS_MX_MAX_HOSTS 20
/* Addresses of one mail host, at most. */
#define DNS_MX_MAX_ADDRS 10
/* CNAME records followed in one answer, at most. */
#define DNS_CNAME_MAX 8

enum dns_res {
	DNS_OK,		/* a verified name; hosts to try */
	DNS_NONAME,	/* peer name: no PTR, NXDOMAIN, a bad PTR name, or
			 * a name that does not resolve back; mail hosts:
			 * see struct dns_mx_answer */
	DNS_TEMP,	/* no answer now: SERVFAIL, timeout, truncated */
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

/* One host to try, with its addresses (IPv6 first, then IPv4). */
struct dns_mx_host {
	const char *name;			/* host name, borrowed */
	unsigned int pref;			/* MX preference; 0 without MX */
	const struct sockaddr_storage *addr;	/* naddr addresses, port 0 */
	size_t naddr;
};

struct dns_mx_answer {
	/* DNS_OK: hosts to try; DNS_NONAME: the domain has no mail host
	 * (NXDOMAIN, a null MX (RFC 7505), no MX and no address);
	 * DNS_TEMP: try later (SERVFAIL, timeout, truncated, no address
	 * for any MX host now). */
	enum dns_res res;
	/* Printable, for logs and bounces; NULL with DNS_OK. */
	const char *reason;
	const struct dns_mx_host *host;	/* in the order to try */
	size_t nhost;
};

/*
 * Called once per dns_mx() or dns_host() query, on the loop, never from
 * inside the call that started it.  The answer and everything in it are
 * borrowed for the call; the query handle is invalid from the call on.
 */
typedef void dns_mx_fn(const struct dns_mx_answer *a, void *arg);

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
 * The "options" of resolv.conf text (pure): "timeout:N" seconds (1..30)
 * into *timeout_s_out and "attempts:N" (1..5) into *attempts_out, each
 * clamped into its range; the last one given wins, and what is not given
 * leaves its output as it was.
 */
void	dns_resolv_options(struct span text, unsigned int *timeout_s_out,
	    unsigned int *attempts_out);

/*
 * Set the time-out of each try (milliseconds, at least 1) and the number
 * of rounds over the servers (at least 1), for every look-up started
 * from now on (a test's short time-out; the defaults are resolv.conf's,
 * else 5 s and 2).
 */
void	dns_set_timeout(struct dns *dns, unsigned int timeout_ms,
	    unsigned int attempts);

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
 * Mail hosts of domain: its MX records sorted by preference (randomised
 * among equal preferences), each with its A/AAAA addresses; no MX record
 * (NODATA) → the domain itself as the one host (RFC 5321 5.1 implicit
 * MX).  A null MX (one MX record whose exchange is the root, RFC 7505) →
 * DNS_NONAME; a root exchange among other MX records is skipped.  An MX
 * whose exchange is not a host name (net_host_name_valid()) or has no
 * address is skipped (with the reason kept); if none is left the answer
 * is DNS_TEMP when a look-up failed for now, DNS_NONAME otherwise.  A
 * host listed twice is kept once, at its best preference.  At most
 * DNS_MX_MAX_HOSTS hosts, each with at most DNS_MX_MAX_ADDRS addresses
 * (when it has both kinds, at least half of them of each kind that has
 * that many).  A domain that is an address literal ("192.0.2.1",
 * "[192.0.2.1]", "[IPv6:2001:db8::1]", "2001:db8::1") is not looked up:
 * it is the one host.  A domain that is neither is DNS_NONAME.  The
 * answer and everything in it are borrowed for the call.  fn is called
 * exactly once, later, on the loop (never from inside dns_mx), unless
 * dns_cancel() comes first.  Returns the handle (never NULL).
 */
struct dns_query *dns_mx(struct dns *dns, const char *domain, dns_mx_fn *fn,
	    void *arg);

/*
 * The A/AAAA addresses of one host (the "[host]" next hop, no MX
 * look-up): one host with pref 0, as in dns_mx(); no address is
 * DNS_NONAME, or DNS_TEMP when a look-up failed for now.
 */
struct dns_query *dns_host(struct dns *dns, const char *name, dns_mx_fn *fn,
	    void *arg);

/*
 * Cancel a query (of any kind) whose callback has not been called: it
 * never will be.  Safe while the resolver still holds the request (a
 * peer name query then lives on, unseen, until evdns lets go of it).  Accepts NULL and
 * clears the pointer.
 */
void	dns_cancel(struct dns_query **qp);

#endif
