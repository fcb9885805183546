/*
 * benchsink.c - an SMTP server that accepts every message and keeps
 * nothing: the next hop of make bench's relay workload, the same program
 * for Postern and for Postfix (t/lib/smtpsink.py records everything and
 * is written in Python, so it could be the limit of a relay benchmark).
 * One process and poll(2); replies are queued per connection, so
 * pipelined commands are answered in order.
 *
 *   benchsink          listen on 127.0.0.1, an ephemeral port
 *
 * Prints "port N" on stdout once it listens, then serves until killed;
 * on SIGTERM it prints "messages N" (how many it accepted) and exits.
 * Linked into: make bench only.  Trust: loopback clients (the MTAs under
 * test); every buffer is bounded all the same, and a client that passes
 * a bound is disconnected.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmem.h"

/* Connections served at once; more wait in the listen queue. */
#define SINK_MAX 1024
/* Longest command line kept (the rest of a longer line is dropped). */
#define SINK_LINE 1024
/* Replies queued for a client that does not read them. */
#define SINK_OUT_MAX ((size_t)1 << 20)

static const char data_end[] = "\r\n.\r\n";

struct sink_conn {
	int fd;          /* -1: slot free */
	bool in_data;    /* between 354 and the final dot */
	size_t dot;      /* in_data: bytes of data_end matched */
	bool quit;       /* close once out is written */
	struct buf line; /* owned: the command line so far */
	struct buf out;  /* owned: replies not yet written */
};

static volatile sig_atomic_t stopping;
static unsigned long messages;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
listen_loopback(int *port_out)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 512) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port_out = ntohs(sin.sin_port);
	return fd;
}

/* The reply to one command line (CRLF or LF stripped by the caller). */
static const char *
reply_to(struct sink_conn *c, struct span cmd)
{
	if (span_startswith_nocase(cmd, "EHLO") ||
	    span_startswith_nocase(cmd, "LHLO"))
		return "250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
		       "250 ENHANCEDSTATUSCODES\r\n";
	if (span_startswith_nocase(cmd, "HELO"))
		return "250 sink.test\r\n";
	if (span_startswith_nocase(cmd, "MAIL") ||
	    span_startswith_nocase(cmd, "RCPT") ||
	    span_startswith_nocase(cmd, "RSET") ||
	    span_startswith_nocase(cmd, "NOOP"))
		return "250 2.0.0 Ok\r\n";
	if (span_startswith_nocase(cmd, "DATA")) {
		c->in_data = true;
		c->dot = 2; /* the text starts at the beginning of a line */
		return "354 End data with <CR><LF>.<CR><LF>\r\n";
	}
	if (span_startswith_nocase(cmd, "QUIT")) {
		c->quit = true;
		return "221 2.0.0 Bye\r\n";
	}
	return "502 5.5.2 Command not implemented\r\n";
}

/* Feed n bytes from the client.  0, or -1 to drop the client. */
static int
feed(struct sink_conn *c, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !c->quit; i++) {
		if (c->in_data) {
			if (p[i] == (unsigned char)data_end[c->dot])
				c->dot++;
			else
				c->dot = p[i] == '\r' ? 1 : 0;
			if (c->dot == sizeof(data_end) - 1) {
				c->in_data = false;
				messages++;
				if (buf_adds(&c->out, "250 2.0.0 Ok: kept "
				                      "nothing\r\n") == -1)
					return -1;
			}
			continue;
		}
		if (p[i] != '\n') {
			if (c->line.len < SINK_LINE)
				(void)buf_addc(&c->line, p[i]);
			continue;
		}
		if (buf_adds(&c->out, reply_to(c, buf_span(&c->line))) == -1)
			return -1;
		buf_reset(&c->line);
	}
	return 0;
}

static void
conn_close(struct sink_conn *c)
{
	close(c->fd);
	c->fd = -1;
	buf_fini(&c->line);
	buf_fini(&c->out);
}

static void
conn_open(struct sink_conn *c, int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	buf_init(&c->line, SINK_LINE + 1);
	buf_init(&c->out, SINK_OUT_MAX);
	(void)buf_adds(&c->out, "220 sink.test ESMTP benchsink\r\n");
}

/* Write what is queued.  0, or -1 when the client is gone or done. */
static int
flush_out(struct sink_conn *c)
{
	ssize_t w;

	while (c->out.len > 0) {
		w = write(c->fd, c->out.p, c->out.len);
		if (w == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(c->out.p, c->out.p + w, c->out.len - (size_t)w);
		buf_truncate(&c->out, c->out.len - (size_t)w);
	}
	return c->quit ? -1 : 0;
}

static void
serve(struct sink_conn *c, short revents)
{
	unsigned char in[65536];
	ssize_t n;

	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = read(c->fd, in, sizeof(in));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR) ||
		    (n > 0 && feed(c, in, (size_t)n) == -1)) {
			conn_close(c);
			return;
		}
	}
	if (flush_out(c) == -1)
		conn_close(c);
}

static void
accept_all(int lfd, struct sink_conn *conns)
{
	size_t i;
	int fd;

	for (i = 0; i < SINK_MAX; i++) {
		if (conns[i].fd != -1)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			return;
		conn_open(&conns[i], fd);
		if (flush_out(&conns[i]) == -1)
			conn_close(&conns[i]);
	}
}

int
main(void)
{
	struct sink_conn *conns = xcalloc(SINK_MAX, sizeof(*conns));
	struct pollfd *pfd = xcalloc(SINK_MAX + 1, sizeof(*pfd));
	struct sigaction sa;
	size_t i;
	int port;
	int lfd = listen_loopback(&port);

	if (lfd == -1) {
		perror("benchsink: listen");
		return 1;
	}
	(void)fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < SINK_MAX; i++)
		conns[i].fd = -1;
	printf("port %d\n", port);
	fflush(stdout);
	while (!stopping) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < SINK_MAX; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events =
			    (short)(conns[i].out.len > 0 ? POLLIN | POLLOUT
			                                 : POLLIN);
		}
		if (poll(pfd, SINK_MAX + 1, -1) == -1)
			continue;
		if (pfd[0].revents & POLLIN)
			accept_all(lfd, conns);
		for (i = 0; i < SINK_MAX; i++)
			if (conns[i].fd != -1 && pfd[i + 1].revents != 0)
				serve(&conns[i], pfd[i + 1].revents);
	}
	for (i = 0; i < SINK_MAX; i++)
		if (conns[i].fd != -1)
			conn_close(&conns[i]);
	free(conns);
	free(pfd);
	close(lfd);
	printf("messages %lu\n", messages);
	fflush(stdout);
	return 0;
}
