/*
 * net_test.c - unit tests for lib/base/net: the address parser (every
 * rejection branch, round trips), listen/connect on 127.0.0.1, ::1 and a
 * unix socket, port 0, stale socket handling and fd flags.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "base/log.h"
#include "base/net.h"
#include "tap.h"

static const struct {
	const char *in;
	enum net_kind kind;
	const char *str;	/* net_addr_str() of the result */
} good[] = {
	{ "127.0.0.1:25", NET_IPV4, "127.0.0.1:25" },
	{ "*:2525", NET_IPV4, "0.0.0.0:2525" },
	{ "0.0.0.0:1", NET_IPV4, "0.0.0.0:1" },
	{ "[::1]:587", NET_IPV6, "[::1]:587" },
	{ "[::]:65535", NET_IPV6, "[::]:65535" },
	{ "[2001:DB8::1]:25", NET_IPV6, "[2001:db8::1]:25" },
	{ "[::ffff:1.2.3.4]:25", NET_IPV6, "[::ffff:1.2.3.4]:25" },
	{ "localhost:25", NET_NAME, "localhost:25" },
	{ "localhost:025", NET_NAME, "localhost:25" },
	{ "mx-1.Example.org.:25", NET_NAME, "mx-1.Example.org.:25" },
	{ "_smtp.example:25", NET_NAME, "_smtp.example:25" },
	{ "10.0.0.b1:25", NET_NAME, "10.0.0.b1:25" },
	{ "unix:/run/postern/smtpd", NET_UNIX, "/run/postern/smtpd" },
	{ "UNIX:private/qmgr", NET_UNIX, "unix:private/qmgr" },
	{ "/tmp/sock", NET_UNIX, "/tmp/sock" },
};

static const struct {
	const char *in;
	const char *why;	/* a substring of the reason */
} bad[] = {
	{ "", "empty address" },
	{ "local host:25", "space" },
	{ "a\001:25", "control" },
	{ "\303\251t\303\251:25", "non-ASCII" },
	{ "a\177:25", "control" },
	{ "unix:", "empty unix socket path" },
	{ "[::1:25", "without ']'" },
	{ "[]:25", "empty host" },
	{ "[1.2.3.4]:25", "bad IPv6" },
	{ "[fe80::1%eth0]:25", "bad IPv6" },
	{ "[::1::2]:25", "bad IPv6" },
	{ "[::1]", "missing port" },
	{ "[::1]:", "missing port" },
	{ "[::1]25", "junk after ']'" },
	{ "[::1]:0", "bad port" },
	{ "[::1]:65536", "bad port" },
	{ "[::1]:25]", "bad port" },
	{ "localhost", "missing port (host:port)" },
	{ "25", "missing port (host:port)" },
	{ "::1:25", "needs brackets" },
	{ "::25", "needs brackets" },
	{ ":25", "empty host" },
	{ "localhost:", "missing port" },
	{ "localhost:0", "bad port" },
	{ "localhost:-1", "bad port" },
	{ "localhost:+25", "bad port" },
	{ "localhost:25x", "bad port" },
	{ "localhost:99999999999999999999999", "bad port" },
	{ "*:*", "bad port" },
	{ "256.1.1.1:25", "bad host name" },
	{ "1.2.3:25", "bad host name" },
	{ "01.2.3.4:25", "bad host name" },
	{ "-mx.example:25", "bad host name" },
	{ "mx-.example:25", "bad host name" },
	{ "a..b:25", "bad host name" },
	{ ".example:25", "bad host name" },
	{ ".:25", "bad host name" },
	{ "a.:.:25", "needs brackets" },
	{ "a!b:25", "bad host name" },
	{ "x[::1]:25", "needs brackets" },
	{ "**:25", "bad host name" },
};

static void
check_good(const char *in, enum net_kind kind, const char *want)
{
	char text[NET_ADDR_STRLEN];
	char again[NET_ADDR_STRLEN];
	struct why why = { "" };
	struct net_addr a;
	struct net_addr b;
	int r = net_addr_parse(span_str(in), &a, &why);

	if (!ok(r == 0 && a.kind == kind, "parse '%s'", in)) {
		diag("reason: %s", why.msg);
		return;
	}
	is_str(net_addr_str(&a, text), want, "'%s' formats", in);
	ok(net_addr_parse(span_str(text), &b, &why) == 0 && b.kind == kind &&
	    strcmp(net_addr_str(&b, again), text) == 0,
	    "'%s' round-trips", in);
}

static void
check_bad(const char *in, size_t len, const char *want)
{
	char esc[LOG_ESC_SIZE];
	struct why why = { "" };
	struct net_addr a;
	struct net_addr saved;
	int r;

	memset(&a, 0x5a, sizeof(a));
	memcpy(&saved, &a, sizeof(saved));
	r = net_addr_parse(span_make(in, len), &a, &why);
	ok(r == -1 && strstr(why.msg, want) != NULL, "reject '%.40s': %s",
	    log_esc(span_make(in, len), esc), want);
	if (r == 0 || strstr(why.msg, want) == NULL)
		diag("got %d, reason '%s'", r, why.msg);
	ok(memcmp(&a, &saved, sizeof(a)) == 0, "rejection leaves out alone");
}

/* Build n copies of c after prefix and before suffix, into out. */
static const char *
make(char *out, size_t size, const char *prefix, int c, size_t n,
    const char *suffix)
{
	size_t p = strlen(prefix);

	if (p + n + strlen(suffix) >= size)
		abort();
	memcpy(out, prefix, p);
	memset(out + p, c, n);
	snprintf(out + p + n, size - p - n, "%s", suffix);
	return out;
}

static void
test_parse(void)
{
	char s[512];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check_good(good[i].in, good[i].kind, good[i].str);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(bad[i].in, strlen(bad[i].in), bad[i].why);
	check_bad("a\0:25", 5, "control");
	check_bad(make(s, sizeof(s), "", 'a', NET_ADDR_INPUT_MAX - 3, ":25"),
	    NET_ADDR_INPUT_MAX + 1, "longer than");
	check_good(make(s, sizeof(s), "/", 'p', NET_PATH_MAX - 1, ""),
	    NET_UNIX, s);
	check_bad(make(s, sizeof(s), "/", 'p', NET_PATH_MAX, ""),
	    NET_PATH_MAX + 1, "unix socket path longer");
	check_bad(make(s, sizeof(s), "unix:", 'p', NET_PATH_MAX + 1, ""),
	    NET_PATH_MAX + 6, "unix socket path longer");
	check_bad(make(s, sizeof(s), "", 'a', 64, ".example:25"), 64 + 11,
	    "bad host name");
	check_good(make(s, sizeof(s), "", 'a', 63, ".example:25"), NET_NAME,
	    s);
	/* 253 characters is the longest name; one final dot is extra. */
	make(s, sizeof(s), "", 'a', 63, ".");
	make(s + 64, sizeof(s) - 64, "", 'b', 63, ".");
	make(s + 128, sizeof(s) - 128, "", 'c', 63, ".");
	make(s + 192, sizeof(s) - 192, "", 'd', 61, ":25");
	check_good(s, NET_NAME, s);
	make(s + 192, sizeof(s) - 192, "", 'd', 61, ".:25");
	check_good(s, NET_NAME, s);
	make(s + 192, sizeof(s) - 192, "", 'd', 62, ":25");
	check_bad(s, strlen(s), "bad host name");
}

static bool
has_fl(int fd, int get, int flag)
{
	int fl = fcntl(fd, get);

	return fl != -1 && (fl & flag) != 0;
}

/* Connect to the listener on lfd through the address it reports,
 * accept, and pass a byte each way. */
static void
check_roundtrip(int lfd, const char *what)
{
	char name[NET_ADDR_STRLEN];
	char peer[NET_ADDR_STRLEN];
	char local[NET_ADDR_STRLEN];
	struct why why = { "" };
	struct net_addr a;
	char c = 0;
	int cfd;
	int afd;

	ok(net_sockname(lfd, name) == 0, "%s: sockname %s", what, name);
	ok(net_addr_parse(span_str(name), &a, &why) == 0,
	    "%s: sockname parses", what);
	cfd = net_connect(&a, 5000, &why);
	if (!ok(cfd >= 0, "%s: connect", what)) {
		diag("reason: %s", why.msg);
		return;
	}
	ok(!has_fl(cfd, F_GETFL, O_NONBLOCK) &&
	    has_fl(cfd, F_GETFD, FD_CLOEXEC),
	    "%s: connected fd is blocking, close-on-exec", what);
	afd = accept(lfd, NULL, NULL);
	ok(afd >= 0, "%s: accept", what);
	ok(write(cfd, "x", 1) == 1 && read(afd, &c, 1) == 1 && c == 'x',
	    "%s: data flows", what);
	ok(net_peername(cfd, peer) == 0 && strcmp(peer, name) == 0,
	    "%s: client's peer is the listener", what);
	if (a.kind != NET_UNIX)
		ok(net_sockname(cfd, local) == 0 &&
		    net_peername(afd, peer) == 0 && strcmp(local, peer) == 0,
		    "%s: server's peer is the client", what);
	close(afd);
	close(cfd);
}

static int
listen_on(const char *text, unsigned port, struct why *why)
{
	struct net_addr a;

	if (net_addr_parse(span_str(text), &a, why) == -1)
		return -1;
	a.port = (uint16_t)port;
	return net_listen(&a, 16, 0600, why);
}

static void
test_inet4(void)
{
	char name[NET_ADDR_STRLEN];
	struct why why = { "" };
	struct net_addr a;
	int on = 0;
	socklen_t len = sizeof(on);
	int lfd = listen_on("127.0.0.1:1", 0, &why);
	int fd2;

	if (!ok(lfd >= 0, "listen on 127.0.0.1 port 0")) {
		diag("reason: %s", why.msg);
		return;
	}
	net_sockname(lfd, name);
	ok(strncmp(name, "127.0.0.1:", 10) == 0 && strcmp(name, "127.0.0.1:0"),
	    "port 0 became a real port (%s)", name);
	ok(has_fl(lfd, F_GETFL, O_NONBLOCK) && has_fl(lfd, F_GETFD, FD_CLOEXEC),
	    "listener is non-blocking, close-on-exec");
	ok(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, &len) == 0 && on,
	    "listener has SO_REUSEADDR");
	check_roundtrip(lfd, "ipv4");
	net_addr_parse(span_str(name), &a, &why);
	fd2 = net_listen(&a, 16, 0, &why);
	ok(fd2 == -1 && strstr(why.msg, "bind") != NULL,
	    "second listener on the port fails: %s", why.msg);
	close(lfd);
	ok(net_connect(&a, 5000, &why) == -1 &&
	    strstr(why.msg, "refused") != NULL,
	    "connect to a closed port fails: %s", why.msg);
}

/* Whether the kernel has an IPv6 loopback to bind to. */
static bool
have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool have;

	if (fd == -1)
		return false;
	have = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return have;
}

static void
test_inet6(void)
{
	struct why why = { "" };
	int on = 0;
	socklen_t len = sizeof(on);
	int lfd;

	if (!have_ipv6_loopback()) {
		printf("ok %d # SKIP no IPv6\n", ++tap_n);
		return;
	}
	lfd = listen_on("[::1]:1", 0, &why);
	if (!ok(lfd >= 0, "listen on ::1 port 0")) {
		diag("reason: %s", why.msg);
		return;
	}
	ok(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len) == 0 && on,
	    "IPv6 listener is V6ONLY");
	check_roundtrip(lfd, "ipv6");
	close(lfd);
}

static void
test_name(void)
{
	char name[NET_ADDR_STRLEN];
	struct net_addr addrs[8];
	struct why why = { "" };
	struct net_addr a;
	size_t n = 0;
	size_t i;
	bool v4 = false;
	int lfd = listen_on("127.0.0.1:1", 0, &why);
	int cfd;

	net_sockname(lfd, name);
	net_addr_parse(span_str(name), &a, &why);
	ok(net_listen(&(struct net_addr){ .kind = NET_NAME, .port = 1,
			  .name = "localhost" }, 1, 0, &why) == -1 &&
	    strstr(why.msg, "not a numeric address") != NULL,
	    "listen refuses an unresolved name");
	memcpy(a.name, "localhost", 10);
	a.kind = NET_NAME;
	ok(net_addr_resolve(&a, addrs, 8, &n, &why) == 0 && n >= 1,
	    "localhost resolves");
	for (i = 0; i < n; i++)
		v4 |= addrs[i].kind == NET_IPV4 &&
		    addrs[i].v4.s_addr == htonl(INADDR_LOOPBACK) &&
		    addrs[i].port == a.port;
	ok(v4, "localhost includes 127.0.0.1 with the port");
	/* If localhost is ::1 first, connect must go on to 127.0.0.1. */
	cfd = net_connect(&a, 5000, &why);
	ok(cfd >= 0, "connect by name");
	close(cfd);
	close(lfd);
}

static void
test_unix(void)
{
	char dir[] = "/tmp/net_test.XXXXXX";
	char path[128];
	char text[NET_ADDR_STRLEN];
	struct why why = { "" };
	struct stat st;
	int lfd;
	int fd2;

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return;
	snprintf(path, sizeof(path), "unix:%s/sock", dir);
	lfd = listen_on(path, 0, &why);
	ok(lfd >= 0, "listen on %s", path);
	ok(stat(path + 5, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 07777) == 0600, "socket file has mode 0600");
	check_roundtrip(lfd, "unix");
	fd2 = listen_on(path, 0, &why);
	ok(fd2 == -1 && strstr(why.msg, "in use") != NULL,
	    "live socket is not replaced: %s", why.msg);
	close(lfd);
	lfd = listen_on(path, 0, &why);
	ok(lfd >= 0, "stale socket is replaced");
	ok(net_sockname(lfd, text) == 0 && strcmp(text, path + 5) == 0,
	    "sockname is the path");
	close(lfd);
	unlink(path + 5);
	close(open(path + 5, O_CREAT | O_WRONLY, 0600));
	fd2 = listen_on(path, 0, &why);
	ok(fd2 == -1 && strstr(why.msg, "not a socket") != NULL,
	    "a regular file is left alone: %s", why.msg);
	ok(stat(path + 5, &st) == 0 && S_ISREG(st.st_mode), "file still there");
	unlink(path + 5);
	rmdir(dir);
}

static void
test_flags(void)
{
	char text[NET_ADDR_STRLEN];
	int fds[2];

	if (pipe(fds) == -1)
		return;
	ok(net_set_nonblock(fds[0]) == 0 && has_fl(fds[0], F_GETFL, O_NONBLOCK),
	    "set_nonblock");
	ok(net_set_cloexec(fds[0], true) == 0 &&
	    has_fl(fds[0], F_GETFD, FD_CLOEXEC), "set_cloexec on");
	ok(net_set_cloexec(fds[0], false) == 0 &&
	    !has_fl(fds[0], F_GETFD, FD_CLOEXEC), "set_cloexec off");
	ok(net_sockname(fds[0], text) == -1 && strcmp(text, "?") == 0,
	    "sockname of a pipe fails with '?'");
	close(fds[0]);
	close(fds[1]);
	ok(net_set_nonblock(fds[0]) == -1, "set_nonblock on a closed fd");
}

static void
test_sockaddr_text(void)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un au = { .sun_family = AF_UNIX };
	char out[64] = "untouched";
	uint16_t port = 7;

	a4.sin_addr.s_addr = htonl(0xc0000201);
	a4.sin_port = htons(25);
	ok(net_sockaddr_text((struct sockaddr *)&a4, out, sizeof(out),
	       &port) == 0 &&
	       strcmp(out, "192.0.2.1") == 0 && port == 25,
	    "IPv4 address and port");
	a6.sin6_addr.s6_addr[15] = 1;
	a6.sin6_port = htons(993);
	ok(net_sockaddr_text((struct sockaddr *)&a6, out, sizeof(out),
	       &port) == 0 &&
	       strcmp(out, "::1") == 0 && port == 993,
	    "IPv6 address (no brackets) and port");
	snprintf(out, sizeof(out), "untouched");
	port = 7;
	ok(net_sockaddr_text((struct sockaddr *)&au, out, sizeof(out),
	       &port) == -1 &&
	       strcmp(out, "untouched") == 0 && port == 7,
	    "other families: -1, nothing written");
}

int
main(void)
{
	test_sockaddr_text();
	test_parse();
	test_inet4();
	test_inet6();
	test_name();
	test_unix();
	test_flags();
	return done_testing();
}
