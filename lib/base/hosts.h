/*
 * hosts.h - the text of an /etc/hosts-style file as a table from address
 * to host name for reverse look-ups, and from name to addresses for
 * forward ones (lib/base/dns reads the file before the chroot and asks
 * this table before the DNS).
 *
 * Syntax: one entry per line, "ADDRESS NAME [ALIAS...]", fields separated
 * by blanks (space, tab, CR), '#' starts a comment that runs to the end of
 * the line.  ADDRESS is IPv4 or IPv6 (an IPv4-mapped IPv6 address counts as
 * IPv4); NAME is the canonical name, an RFC 1123 host name
 * (net_host_name_valid() with ldh_only: letters, digits, '-', nothing that
 * reads as an address; a final dot is dropped); aliases, checked the same
 * way (a bad one is skipped alone), count for forward look-ups only, as a
 * reverse look-up only ever gives the canonical name.  A line with a bad
 * address or name, without a name, or longer than HOSTS_LINE_MAX is
 * skipped.
 *
 * Linked into: smtpd and the SMTP delivery agent (through dns).  Trust:
 * the file is the system's, but the parser takes it as untrusted bytes:
 * every line and name is bounded, and so is the number of entries.
 */
#ifndef POSTERN_HOSTS_H
#define POSTERN_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/net.h"

/* Longest line considered (without its LF); longer lines are skipped. */
#define HOSTS_LINE_MAX 1024
/* Longest host name: RFC 1035's 255 octets are 253 characters of text
 * without the final dot. */
#define HOSTS_NAME_MAX (NET_HOST_MAX - 1)
/* Most entries kept (and most aliases); lines after that are ignored. */
#define HOSTS_MAX_ENTRIES 100000

struct hosts;

/*
 * Parse text (pure: no I/O, no logging).  It cannot fail: bad lines are
 * skipped.  The caller frees the result with hosts_free().
 */
struct hosts *hosts_parse(struct span text);
/* Free; accepts NULL and clears the pointer. */
void	hosts_free(struct hosts **hp);
/* Entries kept. */
size_t	hosts_count(const struct hosts *h);
/*
 * Entry i (i < hosts_count(h)) in file order: its name, and its address
 * into *sa_out (AF_INET or AF_INET6, port 0).  For tests and fuzzing.
 * The name is borrowed: valid until hosts_free().
 */
const char *hosts_entry(const struct hosts *h, size_t i,
	    struct sockaddr_storage *sa_out);
/*
 * The name of the first entry whose address is sa's (AF_INET or
 * AF_INET6; an IPv4-mapped IPv6 address is looked up as IPv4), or NULL
 * (none, or another family).  The port is ignored.  Borrowed: valid
 * until hosts_free().
 */
const char *hosts_lookup(const struct hosts *h, const struct sockaddr *sa);

/*
 * The addresses of name (a canonical name or an alias, without regard to
 * ASCII case, a final dot ignored) of family (AF_INET, AF_INET6, or
 * AF_UNSPEC for both), each once: those of canonical names in file order,
 * then those of aliases.  Writes up to max of them into out (port 0) and
 * returns how many (0: none).
 */
size_t	hosts_find(const struct hosts *h, struct span name, int family,
	    struct sockaddr_storage *out, size_t max);

/*
 * The address of sa as a family and its bytes (4 for AF_INET, 16 for
 * AF_INET6), an IPv4-mapped IPv6 address as AF_INET.  Returns 0, or -1
 * when sa is of another family (nothing written).
 */
int	hosts_addr(const struct sockaddr *sa, int *family_out,
	    unsigned char addr_out[16]);

#endif
