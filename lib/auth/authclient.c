/*
 * authclient.c - a blocking authd client with a timeout and one
 * reconnect per request.
 * Linked into: the daemons that ask authd, and postern.  Trust: answers
 * are parsed strictly; a garbled one is a temporary failure.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "auth/authclient.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xmem.h"

#define AUTHCLIENT_MAX_LINE (2 * 1024 * 1024)

struct authclient {
	char *path;
	uint64_t timeout_ms;
	uint64_t deadline_ms;	/* of the call in progress */
	bool timed_out;		/* the call in progress ran out of time */
	int fd;
	uint32_t next_id;
	struct buf in;		/* bytes read, not yet a whole line */
};

struct authclient *
authclient_new(const char *path, uint64_t timeout_ms)
{
	struct authclient *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->timeout_ms = timeout_ms;
	c->fd = -1;
	buf_init(&c->in, AUTHCLIENT_MAX_LINE);
	return c;
}

static void
disconnect(struct authclient *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_reset(&c->in);
}

void
authclient_free(struct authclient **cp)
{
	struct authclient *c = *cp;

	if (c == NULL)
		return;
	disconnect(c);
	buf_wipe(&c->in);
	free(c->path);
	free(c);
	*cp = NULL;
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void
thread_client_free(void *p)
{
	struct authclient *c = p;

	authclient_free(&c);
}

static void
make_thread_key(void)
{
	if (pthread_key_create(&thread_key, thread_client_free) != 0)
		log_panic("pthread_key_create failed");
}

struct authclient *
authclient_thread(const char *path, uint64_t timeout_ms)
{
	struct authclient *c;

	pthread_once(&thread_once, make_thread_key);
	c = pthread_getspecific(thread_key);
	if (c == NULL) {
		c = authclient_new(path, timeout_ms);
		if (pthread_setspecific(thread_key, c) != 0)
			log_panic("pthread_setspecific failed");
	}
	return c;
}

static int
connect_socket(struct authclient *c, struct why *why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sun.sun_path))
		return why_set(why, "%s: path too long", c->path);
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return why_syserr(why, "socket");
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		why_syserr(why, "authd at %s", c->path);
		disconnect(c);
		return -1;
	}
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, until the call's deadline. */
static int
wait_fd(struct authclient *c, short events, struct why *why)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	uint64_t now;
	int n;

	do {
		now = now_ms();
		n = now >= c->deadline_ms ? 0 :
		    poll(&pfd, 1, (int)(c->deadline_ms - now));
	} while (n == -1 && errno == EINTR);
	if (n == 0) {
		c->timed_out = true;
		return why_set(why, "authd did not answer in time");
	}
	return n < 0 ? why_syserr(why, "poll") : 0;
}

static int
send_all(struct authclient *c, struct span data, struct why *why)
{
	while (data.len > 0) {
		ssize_t n;

		if (wait_fd(c, POLLOUT, why) == -1)
			return -1;
		n = send(c->fd, data.p, data.len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return why_syserr(why, "write to authd");
		data = span_sub(data, (size_t)n, data.len);
	}
	return 0;
}

/* Read until a whole line is buffered; its length (without LF) or -1. */
static long
read_line(struct authclient *c, struct why *why)
{
	char chunk[4096];
	long nl;

	while ((nl = span_chr(buf_span(&c->in), '\n')) == -1) {
		ssize_t n;

		if (wait_fd(c, POLLIN, why) == -1)
			return -1;
		n = read(c->fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return why_set(why, "authd closed the connection");
		if (buf_add(&c->in, chunk, (size_t)n) == -1)
			return why_set(why, "answer from authd too long");
	}
	return nl;
}

/* The answer with our id; others (stale ones) are skipped. */
static int
read_answer(struct authclient *c, uint32_t id, struct authproto_msg *ans,
    struct why *why)
{
	for (;;) {
		long len = read_line(c, why);
		int r;

		if (len == -1)
			return -1;
		r = authproto_parse(span_make(c->in.p, (size_t)len), ans, why);
		memmove(c->in.p, c->in.p + len + 1, c->in.len - (size_t)len - 1);
		buf_truncate(&c->in, c->in.len - (size_t)len - 1);
		if (r == -1)
			return why_set(why, "garbled answer from authd");
		if (ans->id == id)
			return 0;
	}
}

static const struct {
	const char *word;
	enum authclient_res res;
} statuses[] = {
	{ "OK", AUTHC_OK },	{ "NOTFOUND", AUTHC_NOTFOUND },
	{ "FAIL", AUTHC_FAIL }, { "TEMP", AUTHC_TEMP },
	{ "PERM", AUTHC_PERM }, { "ERROR", AUTHC_ERROR },
};

static enum authclient_res
status_of(const struct authproto_msg *ans, struct why *why)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if (!span_eq(ans->word, statuses[i].word))
			continue;
		if (statuses[i].res != AUTHC_OK && ans->nfield > 0)
			why_set(why, "%.*s", (int)ans->field[0].len,
			    (const char *)ans->field[0].p);
		return statuses[i].res;
	}
	why_set(why, "unknown answer from authd");
	return AUTHC_TEMP;
}

static int
try_call(struct authclient *c, const struct buf *req, uint32_t id,
    struct authproto_msg *ans, struct why *why)
{
	if (c->fd == -1 && connect_socket(c, why) == -1)
		return -1;
	if (send_all(c, buf_span(req), why) == -1 ||
	    read_answer(c, id, ans, why) == -1) {
		disconnect(c);
		return -1;
	}
	return 0;
}

enum authclient_res
authclient_call(struct authclient *c, const char *word,
    const struct span *fields, size_t n, struct authproto_msg *ans,
    struct why *why)
{
	struct buf req;
	uint32_t id = ++c->next_id ? c->next_id : ++c->next_id;
	bool was_connected = c->fd != -1;
	int r;

	buf_init(&req, AUTHCLIENT_MAX_LINE);
	if (authproto_format(&req, id, word, fields, n) == -1) {
		buf_wipe(&req);
		why_set(why, "request too long");
		return AUTHC_ERROR;
	}
	c->deadline_ms = now_ms() + c->timeout_ms;
	c->timed_out = false;
	r = try_call(c, &req, id, ans, why);
	/*
	 * A kept connection may have died with an old authd: retry once on a
	 * new one, but never after a time-out (authd may be working on the
	 * request: asking twice would count a failed login twice).
	 */
	if (r == -1 && was_connected && !c->timed_out)
		r = try_call(c, &req, id, ans, why);
	buf_wipe(&req);
	return r == -1 ? AUTHC_TEMP : status_of(ans, why);
}

enum authclient_res
authclient_verify(struct authclient *c, const char *service,
    const char *user, struct span password, const char *client_addr,
    struct buf *user_out, uint64_t *delay_ms_out, struct why *why)
{
	struct span f[4] = { span_str(service), span_str(user), password,
		span_str(client_addr != NULL ? client_addr : "") };
	struct authproto_msg ans;
	enum authclient_res r;

	*delay_ms_out = 0;
	authproto_init(&ans, AUTHCLIENT_MAX_LINE);
	r = authclient_call(c, "VERIFY", f, 4, &ans, why);
	if (r == AUTHC_OK && ans.nfield >= 1) {
		buf_reset(user_out);
		buf_addspan(user_out, ans.field[0]);
	} else if (r == AUTHC_OK) {
		r = AUTHC_TEMP;
		why_set(why, "garbled answer from authd");
	}
	/*
	 * A failure without its delay would let the caller answer at once:
	 * refuse it (TEMP, logged by the caller) rather than guess.
	 */
	if (r == AUTHC_FAIL && (ans.nfield != 2 ||
				   parse_u64(ans.field[1], 0,
				       AUTHPROTO_MAX_DELAY_MS,
				       delay_ms_out) == -1)) {
		*delay_ms_out = 0;
		r = AUTHC_TEMP;
		why_set(why, "garbled FAIL answer from authd (no delay)");
	}
	authproto_fini(&ans);
	return r;
}
