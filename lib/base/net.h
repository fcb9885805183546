/*
 * net.h - socket addresses and sockets: a pure parser for listen and
 * connect addresses (fuzzed), name resolution as a separate step, and
 * listening, connecting and fd-flag helpers.
 * Linked into: master (listeners), daemons and tools (connect, logging);
 * runs as root in master, as the service user elsewhere.  Trust:
 * addresses come from the administrator's configuration and command
 * lines; the parser treats them as untrusted bytes.
 */
#ifndef POSTERN_NET_H
#define POSTERN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <sys/un.h>

#include "base/buf.h"
#include "base/why.h"

/* Longest address text net_addr_parse() accepts. */
#define NET_ADDR_INPUT_MAX 320
/* Longest host name (RFC 1035: 253 characters without the final dot). */
#define NET_HOST_MAX 254
/* Longest unix socket path this system's sockaddr_un can hold. */
#define NET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* Size of the buffers net_addr_str() and net_sockname() write into. */
#define NET_ADDR_STRLEN 272

enum net_kind {
	NET_NONE,
	NET_IPV4,	/* v4 and port */
	NET_IPV6,	/* v6 and port */
	NET_NAME,	/* name and port; net_addr_resolve() makes it numeric */
	NET_UNIX,	/* path */
};

struct net_addr {
	enum net_kind kind;
	/* IPV4, IPV6, NAME: 1..65535 from the parser.  A caller may set 0
	 * before net_listen() to have the kernel pick a port. */
	uint16_t port;
	struct in_addr v4;
	struct in6_addr v6;
	char name[NET_HOST_MAX + 1];
	char path[NET_PATH_MAX + 1];
};

/*
 * Parse a listen or connect address (pure: no I/O, no allocation):
 *
 *	host:port	a host name (letters, digits, '-', '_', dots) or
 *			a dotted-quad IPv4 address
 *	*:port		all IPv4 addresses (the same as 0.0.0.0:port)
 *	[v6addr]:port	an IPv6 address; [::]:port means all of them
 *	unix:path	a unix socket, absolute or relative path
 *	/path		a unix socket, absolute path
 *
 * The port is decimal, 1..65535.  Rejected: empty input, input over
 * NET_ADDR_INPUT_MAX bytes, bytes outside printable ASCII (so no spaces),
 * a missing host or port, an IPv6 address without brackets ("::1:25" is
 * ambiguous), '[' without ']', junk after ']', a bad IPv4 or IPv6
 * address, a host name that is malformed or ends in an all-digit label
 * (getaddrinfo would read "1.2.3" as an IPv4 address), and a unix path
 * that is empty or longer than NET_PATH_MAX.  Returns 0 with *out set,
 * or -1 with a reason and *out unchanged.
 */
int	net_addr_parse(struct span s, struct net_addr *out, struct why *why);

/*
 * True when h is a host name: dot-separated labels of 1-63 letters,
 * digits, '-' (and '_' unless ldh_only: RFC 1123 host names have none,
 * some real ones do), not starting or ending with '-', at most
 * NET_HOST_MAX - 1 characters with one optional final dot not counted.
 * The last label must not be all digits: resolvers parse such names as
 * (odd forms of) IPv4 addresses, so "10.1" or "0x7f.1" would not mean
 * what it says.  Pure.
 */
bool	net_host_name_valid(struct span h, bool ldh_only);

/*
 * Turn a into numeric addresses: a NET_NAME is looked up with getaddrinfo
 * (this blocks: use it at start-up and in tools, never on an event loop),
 * any other kind is copied.  Fills up to max entries of out and sets
 * *n_out.  Returns 0, or -1 with a reason (look-up failure, no address).
 */
int	net_addr_resolve(const struct net_addr *a, struct net_addr *out,
	    size_t max, size_t *n_out, struct why *why);

/*
 * A listening stream socket on a (NET_IPV4, NET_IPV6 or NET_UNIX), with
 * backlog, non-blocking and close-on-exec.  Inet sockets get
 * SO_REUSEADDR, IPv6 ones also IPV6_V6ONLY.  For a unix path, an existing
 * socket file is removed first only when nothing accepts on it (a live
 * server makes this fail), anything else there is an error, and the new
 * socket file gets permissions mode (e.g. 0666) before it accepts
 * connections; mode is ignored for inet sockets.  Returns the fd, or -1
 * with a reason.
 */
int	net_listen(const struct net_addr *a, int backlog, mode_t mode,
	    struct why *why);

/*
 * A stream socket connected to a, waiting up to timeout_ms per address
 * (negative: no limit).  A NET_NAME is resolved first and each address
 * tried in turn.  This blocks the caller: it is for tools, tests and
 * start-up; daemons connect through their event loop instead.  The fd is
 * returned in blocking mode with close-on-exec set.  Returns the fd, or
 * -1 with a reason.
 */
int	net_connect(const struct net_addr *a, int timeout_ms, struct why *why);

/* Set O_NONBLOCK.  Returns 0, or -1 with errno. */
int	net_set_nonblock(int fd);
/* Set or clear FD_CLOEXEC.  Returns 0, or -1 with errno. */
int	net_set_cloexec(int fd, bool on);

/*
 * Format a for logging into out and return out: "1.2.3.4:25",
 * "[::1]:25", "name:25", "/path" or "unix:relative/path".  The text of a
 * parsed address parses back to the same address.
 */
const char *net_addr_str(const struct net_addr *a, char out[NET_ADDR_STRLEN]);

/*
 * Format the local (sockname) or remote (peername) address of a socket
 * like net_addr_str(); for a listener bound to port 0 this shows the port
 * the kernel chose.  Returns 0, or -1 with errno and out set to "?".
 */
int	net_sockname(int fd, char out[NET_ADDR_STRLEN]);
int	net_peername(int fd, char out[NET_ADDR_STRLEN]);

struct sockaddr;
/*
 * The bare address of an AF_INET or AF_INET6 sa ("192.0.2.1", "::1")
 * into out (size bytes) and its port into *port_out.  Returns 0, or -1
 * with out and *port_out untouched for any other family.
 */
int	net_sockaddr_text(const struct sockaddr *sa, char *out, size_t size,
	    uint16_t *port_out);
/* The same for the peer of the connected socket fd; "unknown" (port 0)
 * when it has none of those families. */
void	net_peer_text(int fd, char *out, size_t size, uint16_t *port_out);

#endif
