/*
 * net.c - socket addresses and sockets: the address parser (pure, fuzzed
 * by t/fuzz/fuzz_net_addr.c), resolution, listen, connect, fd flags.
 * Linked into: master (listeners), daemons and tools (connect, logging);
 * runs as root in master, as the service user elsewhere.  Trust:
 * address text is from the administrator but parsed as untrusted bytes;
 * sockaddrs from the kernel are length-checked before use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/net.h"
#include "base/parse.h"

_Static_assert(NET_ADDR_STRLEN >= NET_HOST_MAX + sizeof(":65535"),
    "NET_ADDR_STRLEN holds name:port");
_Static_assert(NET_ADDR_STRLEN >= NET_PATH_MAX + sizeof("unix:"),
    "NET_ADDR_STRLEN holds unix:path");
_Static_assert(NET_ADDR_STRLEN >= INET6_ADDRSTRLEN + sizeof("[]:65535"),
    "NET_ADDR_STRLEN holds [v6]:port");

static long
span_rchr(struct span s, int c)
{
	size_t i = s.len;

	while (i > 0)
		if (s.p[--i] == c)
			return (long)i;
	return -1;
}

/* Copy s into a NUL-terminated buffer; false if it does not fit. */
static bool
span_to_cstr(struct span s, char *out, size_t size)
{
	if (s.len >= size)
		return false;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return true;
}

static int
parse_port(struct span s, uint16_t *out, struct why *why)
{
	uint64_t v;

	if (s.len == 0)
		return why_set(why, "missing port");
	if (parse_u64(s, 1, 65535, &v) == -1)
		return why_set(why, "bad port (1-65535)");
	*out = (uint16_t)v;
	return 0;
}

static int
parse_unix(struct span path, struct net_addr *a, struct why *why)
{
	if (path.len == 0)
		return why_set(why, "empty unix socket path");
	if (path.len > NET_PATH_MAX)
		return why_set(why, "unix socket path longer than %zu bytes",
		    (size_t)NET_PATH_MAX);
	a->kind = NET_UNIX;
	span_to_cstr(path, a->path, sizeof(a->path));
	return 0;
}

static int
parse_bracketed(struct span s, struct net_addr *a, struct why *why)
{
	char text[INET6_ADDRSTRLEN];
	long close = span_chr(s, ']');
	struct span rest;

	if (close == -1)
		return why_set(why, "'[' without ']'");
	if (close == 1)
		return why_set(why, "empty host");
	if (!span_to_cstr(span_sub(s, 1, (size_t)close - 1), text,
		sizeof(text)) || inet_pton(AF_INET6, text, &a->v6) != 1)
		return why_set(why, "bad IPv6 address");
	rest = span_sub(s, (size_t)close + 1, s.len);
	if (rest.len == 0)
		return why_set(why, "missing port");
	if (rest.p[0] != ':')
		return why_set(why, "junk after ']'");
	a->kind = NET_IPV6;
	return parse_port(span_sub(rest, 1, rest.len), &a->port, why);
}

static bool
is_label_char(unsigned char c, bool ldh_only)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || (c == '_' && !ldh_only);
}

bool
net_host_name_valid(struct span h, bool ldh_only)
{
	size_t start = 0;
	size_t i;
	bool digits = true;

	if (h.len > 1 && h.p[h.len - 1] == '.')
		h.len--;
	if (h.len == 0 || h.len > NET_HOST_MAX - 1)
		return false;
	for (i = 0; i <= h.len; i++) {
		if (i == h.len || h.p[i] == '.') {
			if (i == start || i - start > 63 || h.p[start] == '-' ||
			    h.p[i - 1] == '-')
				return false;
			start = i + 1;
			if (i < h.len)
				digits = true;
			continue;
		}
		if (!is_label_char(h.p[i], ldh_only))
			return false;
		if (h.p[i] < '0' || h.p[i] > '9')
			digits = false;
	}
	return !digits;
}

static int
parse_host(struct span host, struct net_addr *a, struct why *why)
{
	char text[INET_ADDRSTRLEN];

	if (host.len == 0)
		return why_set(why, "empty host");
	if (span_eq(host, "*")) {
		a->kind = NET_IPV4;
		a->v4.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (span_to_cstr(host, text, sizeof(text)) &&
	    inet_pton(AF_INET, text, &a->v4) == 1) {
		a->kind = NET_IPV4;
		return 0;
	}
	if (!net_host_name_valid(host, false))
		return why_set(why, "bad host name or IPv4 address");
	a->kind = NET_NAME;
	span_to_cstr(host, a->name, sizeof(a->name));
	return 0;
}

static int
parse_hostport(struct span s, struct net_addr *a, struct why *why)
{
	long colon = span_rchr(s, ':');
	struct span host;

	if (colon == -1)
		return why_set(why, "missing port (host:port)");
	host = span_sub(s, 0, (size_t)colon);
	if (span_chr(host, ':') != -1)
		return why_set(why,
		    "IPv6 address needs brackets ([addr]:port)");
	if (parse_host(host, a, why) == -1)
		return -1;
	return parse_port(span_sub(s, (size_t)colon + 1, s.len), &a->port,
	    why);
}

int
net_addr_parse(struct span s, struct net_addr *out, struct why *why)
{
	struct net_addr a;
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	if (s.len == 0)
		return why_set(why, "empty address");
	if (s.len > NET_ADDR_INPUT_MAX)
		return why_set(why, "address longer than %d bytes",
		    NET_ADDR_INPUT_MAX);
	for (i = 0; i < s.len; i++)
		if (s.p[i] <= ' ' || s.p[i] >= 0x7f)
			return why_set(why, "space, control or non-ASCII byte "
			    "in address");
	if (span_startswith_nocase(s, "unix:"))
		r = parse_unix(span_sub(s, 5, s.len), &a, why);
	else if (s.p[0] == '/')
		r = parse_unix(s, &a, why);
	else if (s.p[0] == '[')
		r = parse_bracketed(s, &a, why);
	else
		r = parse_hostport(s, &a, why);
	if (r == -1)
		return -1;
	*out = a;
	return 0;
}

/* Fill ss from a numeric address; returns its length, 0 if none. */
static socklen_t
to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (a->kind) {
	case NET_IPV4:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		sin->sin_addr = a->v4;
		return sizeof(*sin);
	case NET_IPV6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		sin6->sin6_addr = a->v6;
		return sizeof(*sin6);
	case NET_UNIX:
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a->path, strlen(a->path) + 1);
		return sizeof(*sun);
	default:
		return 0;
	}
}

/* The reverse, for addresses from the kernel.  Returns 0 or -1. */
static int
from_sockaddr(const struct sockaddr *sa, socklen_t len, struct net_addr *a)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		a->kind = NET_IPV4;
		a->v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		a->port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		a->kind = NET_IPV6;
		a->v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		a->port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	} else if (sa->sa_family == AF_UNIX && len >= off) {
		/* Unnamed sockets have no path; abstract ones start NUL. */
		a->kind = NET_UNIX;
		n = len - off < NET_PATH_MAX ? len - off : NET_PATH_MAX;
		memcpy(a->path, sun->sun_path, n);
		a->path[n] = '\0';
	} else {
		return -1;
	}
	return 0;
}

int
net_addr_resolve(const struct net_addr *a, struct net_addr *out, size_t max,
    size_t *n_out, struct why *why)
{
	struct addrinfo hints;
	struct addrinfo *res;
	struct addrinfo *ai;
	char port[8];
	int err;

	*n_out = 0;
	if (max == 0)
		return why_set(why, "no room for addresses");
	if (a->kind != NET_NAME) {
		out[(*n_out)++] = *a;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)a->port);
	if ((err = getaddrinfo(a->name, port, &hints, &res)) != 0)
		return why_set(why, "cannot resolve %s: %s", a->name,
		    err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
	for (ai = res; ai != NULL && *n_out < max; ai = ai->ai_next)
		if (from_sockaddr(ai->ai_addr, ai->ai_addrlen,
			&out[*n_out]) == 0 && out[*n_out].kind != NET_UNIX)
			(*n_out)++;
	freeaddrinfo(res);
	if (*n_out == 0)
		return why_set(why, "%s has no IPv4 or IPv6 address", a->name);
	return 0;
}

int
net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
clear_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

int
net_set_cloexec(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
}

/* A socket of a's family, close-on-exec and non-blocking, or -1. */
static int
new_socket(const struct net_addr *a, struct sockaddr_storage *ss,
    socklen_t *len, struct why *why)
{
	char text[NET_ADDR_STRLEN];
	int fd;

	if ((*len = to_sockaddr(a, ss)) == 0)
		return why_set(why, "%s: not a numeric address",
		    net_addr_str(a, text));
	if ((fd = socket(ss->ss_family, SOCK_STREAM, 0)) == -1)
		return why_syserr(why, "socket");
	if (net_set_cloexec(fd, true) == -1 || net_set_nonblock(fd) == -1) {
		why_syserr(why, "fcntl");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Remove a leftover socket file at a->path so that bind() can succeed,
 * but never a live one (another server would lose its clients) and
 * never a file that is not a socket.
 */
static int
remove_stale_socket(const struct net_addr *a, struct why *why)
{
	struct sockaddr_storage ss;
	struct stat st;
	socklen_t len;
	int probe;
	int r;

	if (lstat(a->path, &st) == -1)
		return errno == ENOENT ? 0 : why_syserr(why, "%s", a->path);
	if (!S_ISSOCK(st.st_mode))
		return why_set(why, "%s exists and is not a socket", a->path);
	if ((probe = new_socket(a, &ss, &len, why)) == -1)
		return -1;
	r = connect(probe, (struct sockaddr *)&ss, len);
	if (r == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(probe);
		return why_set(why, "%s is in use by a running server",
		    a->path);
	}
	close(probe);
	if (errno != ECONNREFUSED && errno != ENOENT)
		return why_syserr(why, "%s", a->path);
	if (unlink(a->path) == -1 && errno != ENOENT)
		return why_syserr(why, "unlink %s", a->path);
	return 0;
}

static int
set_inet_options(int fd, const struct net_addr *a, struct why *why)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return why_syserr(why, "SO_REUSEADDR");
	/* [::] must not also take the IPv4 port; *:port does that. */
	if (a->kind == NET_IPV6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		&on, sizeof(on)) == -1)
		return why_syserr(why, "IPV6_V6ONLY");
	return 0;
}

int
net_listen(const struct net_addr *a, int backlog, mode_t mode,
    struct why *why)
{
	char text[NET_ADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if ((fd = new_socket(a, &ss, &len, why)) == -1)
		return -1;
	if (a->kind == NET_UNIX ? remove_stale_socket(a, why) == -1 :
				  set_inet_options(fd, a, why) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		why_syserr(why, "bind %s", net_addr_str(a, text));
		goto fail;
	}
	/* Not yet listening, so nobody can connect before the chmod. */
	if (a->kind == NET_UNIX && chmod(a->path, mode) == -1) {
		why_syserr(why, "chmod %s", a->path);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		why_syserr(why, "listen %s", net_addr_str(a, text));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Wait for a non-blocking connect; 0, or -1 with errno set. */
static int
finish_connect(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;
	int n;

	do
		n = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static int
connect_one(const struct net_addr *a, int timeout_ms, struct why *why)
{
	char text[NET_ADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if ((fd = new_socket(a, &ss, &len, why)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    (errno != EINPROGRESS || finish_connect(fd, timeout_ms) == -1)) {
		why_syserr(why, "connect %s", net_addr_str(a, text));
		close(fd);
		return -1;
	}
	if (clear_nonblock(fd) == -1) {
		why_syserr(why, "fcntl");
		close(fd);
		return -1;
	}
	return fd;
}

int
net_connect(const struct net_addr *a, int timeout_ms, struct why *why)
{
	struct net_addr addrs[16];
	size_t n;
	size_t i;
	int fd = -1;

	if (net_addr_resolve(a, addrs, 16, &n, why) == -1)
		return -1;
	for (i = 0; i < n && fd == -1; i++)
		fd = connect_one(&addrs[i], timeout_ms, why);
	return fd;
}

const char *
net_addr_str(const struct net_addr *a, char out[NET_ADDR_STRLEN])
{
	char ip[INET6_ADDRSTRLEN];

	switch (a->kind) {
	case NET_IPV4:
		inet_ntop(AF_INET, &a->v4, ip, sizeof(ip));
		snprintf(out, NET_ADDR_STRLEN, "%s:%u", ip, (unsigned)a->port);
		break;
	case NET_IPV6:
		inet_ntop(AF_INET6, &a->v6, ip, sizeof(ip));
		snprintf(out, NET_ADDR_STRLEN, "[%s]:%u", ip,
		    (unsigned)a->port);
		break;
	case NET_NAME:
		snprintf(out, NET_ADDR_STRLEN, "%s:%u", a->name,
		    (unsigned)a->port);
		break;
	case NET_UNIX:
		snprintf(out, NET_ADDR_STRLEN, "%s%s",
		    a->path[0] == '/' ? "" : "unix:", a->path);
		break;
	default:
		snprintf(out, NET_ADDR_STRLEN, "(none)");
		break;
	}
	return out;
}

static int
format_name(int fd, bool peer, char out[NET_ADDR_STRLEN])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct net_addr a;
	int r;

	memset(&ss, 0, sizeof(ss));
	r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		   getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r == 0 && from_sockaddr((struct sockaddr *)&ss, len, &a) == -1) {
		errno = EAFNOSUPPORT;
		r = -1;
	}
	if (r == -1) {
		snprintf(out, NET_ADDR_STRLEN, "?");
		return -1;
	}
	net_addr_str(&a, out);
	return 0;
}

int
net_sockname(int fd, char out[NET_ADDR_STRLEN])
{
	return format_name(fd, false, out);
}

int
net_peername(int fd, char out[NET_ADDR_STRLEN])
{
	return format_name(fd, true, out);
}

int
net_sockaddr_text(const struct sockaddr *sa, char *out, size_t size,
    uint16_t *port_out)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)size) ==
		    NULL)
			return -1;
		*port_out = ntohs(a->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		if (inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)size) ==
		    NULL)
			return -1;
		*port_out = ntohs(a->sin6_port);
		return 0;
	}
	return -1;
}

void
net_peer_text(int fd, char *out, size_t size, uint16_t *port_out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(out, size, "unknown");
	*port_out = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		net_sockaddr_text((struct sockaddr *)&ss, out, size, port_out);
}
