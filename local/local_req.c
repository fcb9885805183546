/*
 * local_req.c - one request from qmgr, in a process of its own (root):
 * read the request (deliverreq), open the queue file, and for each
 * recipient ask authd to expand its alias (the original recipient) again;
 * only a command or file that authd names now is delivered, by a
 * delivery process that drops to default_privs first.  A queue file
 * someone forged or changed therefore runs and writes nothing that the
 * administrator's aliases do not name.  Each result goes to qmgr as soon
 * as it is known; then "done", and the process exits.
 * Linked into: local.  Runs as root.  Trust: the request and the queue
 * file are parsed strictly and believed only where authd agrees; what a
 * delivery process reports is parsed as from a less privileged peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/authclient.h"
#include "base/log.h"
#include "base/privdrop.h"
#include "base/xmem.h"
#include "local.h"

/* How long qmgr may take to send a whole request. */
#define REQ_TIMEOUT_MS 60000
/* How long a delivery process may take beyond the command timeout (a
 * file lock, a slow disk) before it is killed. */
#define DELIVERY_GRACE_MS 120000

/* The request being worked on. */
struct req {
	const struct local *lc;
	int fd;				/* qmgr's connection */
	struct deliverreq dr;
	struct qfile *q;
	struct authclient *authd;
	char *expanded;			/* the alias of ans, or NULL */
	int expand_res;			/* enum authclient_res of it */
	struct authproto_msg ans;	/* authd's answer for expanded */
	struct why expand_why;
	bool qmgr_gone;
};

void
local_outcome_set(struct local_outcome *o, char state, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	o->state = state;
	snprintf(o->dsn, sizeof(o->dsn), "%s", dsn);
	va_start(ap, fmt);
	vsnprintf(o->text, sizeof(o->text), fmt, ap);
	va_end(ap);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, at most until deadline (ms). */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pf = { fd, events, 0 };

	for (;;) {
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return -1;
		r = poll(&pf, 1, (int)(deadline - now > 60000 ? 60000 :
							       deadline - now));
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

/* Read and parse qmgr's request.  0, or -1 after logging why. */
static int
read_request(struct req *r)
{
	uint64_t deadline = now_ms() + REQ_TIMEOUT_MS;
	struct buf in;
	struct why why;
	int done = 0;

	buf_init(&in, DELIVERREQ_MAX_LINE + 4096 + 1);
	deliverreq_init(&r->dr);
	while (done == 0) {
		unsigned char chunk[4096];
		long nl;
		ssize_t n;

		while (done == 0 && (nl = span_chr(buf_span(&in), '\n')) >= 0) {
			done = deliverreq_parse_line(&r->dr,
			    span_make(in.p, (size_t)nl), &why);
			memmove(in.p, in.p + nl + 1, in.len - (size_t)nl - 1);
			buf_truncate(&in, in.len - (size_t)nl - 1);
		}
		if (done != 0)
			break;
		if (in.len > DELIVERREQ_MAX_LINE) {
			why_set(&why, "line too long");
			done = -1;
			break;
		}
		if (wait_fd(r->fd, POLLIN, deadline) == -1) {
			why_set(&why, "timed out");
			done = -1;
			break;
		}
		n = read(r->fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			why_set(&why, "connection ended early");
			done = -1;
		} else {
			buf_add(&in, chunk, (size_t)n);	/* room: see max */
		}
	}
	/* A connection that never said a word is only a probe. */
	if (done == -1 && (in.len > 0 || r->dr.seen != 0 || r->dr.nrcpt > 0))
		log_warn("bad request from qmgr: %s", why.msg);
	else if (done == -1)
		_exit(0);
	buf_fini(&in);
	return done == 1 ? 0 : -1;
}

static void
send_out(struct req *r, struct span data)
{
	while (data.len > 0 && !r->qmgr_gone) {
		ssize_t n = write(r->fd, data.p, data.len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s: qmgr went away: %s", r->dr.qid,
			    n == -1 ? strerror(errno) : "short write");
			r->qmgr_gone = true;
			return;
		}
		data = span_sub(data, (size_t)n, data.len);
	}
}

static void
report(struct req *r, uint32_t index, const struct local_outcome *o,
    uint64_t start)
{
	struct deliverreq_result res;
	char to[LOG_ESC_SIZE], orig[LOG_ESC_SIZE], text[LOG_ESC_SIZE];
	struct buf out;

	memset(&res, 0, sizeof(res));
	res.index = index;
	res.state = o->state;
	snprintf(res.dsn, sizeof(res.dsn), "%s", o->dsn);
	snprintf(res.relay, sizeof(res.relay), "local");
	res.xmit_ms = (uint32_t)(now_ms() - start);
	snprintf(res.text, sizeof(res.text), "%s", o->text);
	if (r->q != NULL && index < r->q->nrcpt) {
		log_esc(r->q->rcpt[index].addr, to);
		log_esc(r->q->rcpt[index].orig, orig);
	} else {
		snprintf(to, sizeof(to), "#%u", (unsigned)index);
		orig[0] = '\0';
	}
	log_info("%s: to=<%s>, orig_to=<%s>, relay=local, delay=%u ms, "
		 "dsn=%s, status=%s (%s)",
	    r->dr.qid, to, orig, (unsigned)res.xmit_ms, res.dsn,
	    res.state == DELIVERREQ_SENT ? "sent" :
	    res.state == DELIVERREQ_BOUNCED ? "bounced" : "deferred",
	    log_esc(span_str(o->text), text));
	buf_init(&out, 2 * DELIVERREQ_MAX_LINE);
	if (deliverreq_result_format(&out, &res) == -1)
		log_panic("%s: cannot format a result", r->dr.qid);
	send_out(r, buf_span(&out));
	buf_fini(&out);
}

/* authd's expansion of alias orig (the last one is kept: a request's
 * recipients usually share their alias). */
static void
expand(struct req *r, struct span orig)
{
	if (r->expanded != NULL && span_eq(orig, r->expanded))
		return;
	free(r->expanded);
	r->expanded = span_dup(orig);
	authproto_fini(&r->ans);
	authproto_init(&r->ans, 2 * 1024 * 1024);
	r->expand_why.msg[0] = '\0';
	r->expand_res = (int)authclient_call(r->authd, "EXPAND", &orig, 1,
	    &r->ans, &r->expand_why);
}

/* Does authd name addr as a target of orig now?  If not, o says why. */
static bool
authd_agrees(struct req *r, struct span addr, struct span orig,
    struct local_outcome *o)
{
	char esc[LOG_ESC_SIZE];
	size_t i;

	if (orig.len == 0) {
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.3.0", "%s",
		    "a command or file recipient without its alias");
		return false;
	}
	expand(r, orig);
	switch ((enum authclient_res)r->expand_res) {
	case AUTHC_OK:
		for (i = 0; i < r->ans.nfield; i++)
			if (span_eq_span(r->ans.field[i], addr))
				return true;
		log_warn("%s: alias <%s> does not name this command or file "
			 "(now): not delivered",
		    r->dr.qid, log_esc(orig, esc));
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.3.0",
		    "alias <%s> does not name this command or file",
		    r->expanded);
		return false;
	case AUTHC_PERM:
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.3.0",
		    "alias expansion failed: %.*s",
		    r->ans.nfield > 0 ? (int)r->ans.field[0].len : 0,
		    r->ans.nfield > 0 ? (const char *)r->ans.field[0].p : "");
		return false;
	case AUTHC_NOTFOUND:
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.3.0",
		    "alias <%s> no longer exists", r->expanded);
		return false;
	default:
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "alias expansion: %s", r->expand_res == AUTHC_TEMP ?
		    r->expand_why.msg : "authd refused the request");
		return false;
	}
}

/* In the delivery process: drop, deliver, report on fd, exit. */
static void __attribute__((noreturn))
delivery_process(struct req *r, struct span addr, struct span orig, int fd)
{
	const struct local *lc = r->lc;
	struct local_outcome o;
	struct why why;
	struct buf out;
	struct deliverreq_result res;

	/* Nothing of root's goes along: qmgr's connection, authd's, the
	 * queue file's descriptor (its mapping stays, read-only). */
	close(r->fd);
	authclient_free(&r->authd);
	close(r->q->fd);
	r->q->fd = -1;
	/* The new identity before anything of the target is touched. */
	if (privdrop(lc->user.uid, lc->user.gid, NULL, &why) == -1 ||
	    chdir("/") == -1) {
		log_error("%s: cannot become %s: %s", r->dr.qid, lc->user.name,
		    why.msg);
		local_outcome_set(&o, DELIVERREQ_DEFERRED, "4.3.0",
		    "local delivery agent cannot become %s", lc->user.name);
	} else {
		umask(077);
		local_deliver(lc, r->q, addr, orig, &o);
	}
	memset(&res, 0, sizeof(res));
	res.state = o.state;
	snprintf(res.dsn, sizeof(res.dsn), "%s", o.dsn);
	snprintf(res.relay, sizeof(res.relay), "local");
	snprintf(res.text, sizeof(res.text), "%s", o.text);
	buf_init(&out, 2 * DELIVERREQ_MAX_LINE);
	/* One short line into an empty pipe: a single write. */
	if (deliverreq_result_format(&out, &res) == 0 &&
	    write(fd, out.p, out.len) != (ssize_t)out.len)
		_exit(1);
	_exit(0);
}

/* Read the delivery process's result; kill it when it overstays. */
static void
collect(struct req *r, pid_t pid, int fd, struct local_outcome *o)
{
	uint64_t deadline = now_ms() + r->lc->p->local_command_timeout * 1000 +
	    DELIVERY_GRACE_MS;
	struct deliverreq_result res;
	struct buf in;
	struct why why;
	ssize_t n = 1;
	int status;

	buf_init(&in, DELIVERREQ_MAX_LINE + 1);
	while (n > 0) {
		unsigned char chunk[1024];

		if (wait_fd(fd, POLLIN, deadline) == -1) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			n = 1;
		else if (n > 0 && buf_add(&in, chunk, (size_t)n) == -1)
			break;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (in.len > 0 && in.p[in.len - 1] == '\n' &&
	    deliverreq_result_parse(span_make(in.p, in.len - 1), &res, &why) ==
		0)
		local_outcome_set(o, res.state, res.dsn, "%s", res.text);
	else
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "local delivery process ended without a result");
	buf_fini(&in);
}

/* Deliver to one target in a process of its own. */
static void
deliver(struct req *r, struct span addr, struct span orig,
    struct local_outcome *o)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "local delivery agent: pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		delivery_process(r, addr, orig, p[1]);
	}
	close(p[1]);
	if (pid == -1)
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "local delivery agent: fork: %s", strerror(errno));
	else
		collect(r, pid, p[0], o);
	close(p[0]);
}

static void
one_rcpt(struct req *r, uint32_t index)
{
	struct local_outcome o;
	uint64_t start = now_ms();

	if (index >= r->q->nrcpt) {
		local_outcome_set(&o, DELIVERREQ_DEFERRED, "4.3.0",
		    "no recipient %u in the queue file", (unsigned)index);
	} else {
		const struct qfile_rcpt *rc = &r->q->rcpt[index];

		if (rc->addr.len == 0 ||
		    (rc->addr.p[0] != '|' && rc->addr.p[0] != '/'))
			local_outcome_set(&o, DELIVERREQ_BOUNCED, "5.3.0",
			    "%s", "not a command or file recipient");
		else if (authd_agrees(r, rc->addr, rc->orig, &o))
			deliver(r, rc->addr, rc->orig, &o);
	}
	report(r, index, &o, start);
}

static void
open_queue_file(struct req *r, struct local_outcome *fail)
{
	char path[4500];
	struct why why;

	if (qfile_path(r->lc->queue_dir, "active", r->dr.qid, path,
		sizeof(path)) == -1)
		why_set(&why, "queue file path too long");
	else if (qfile_open(path, &r->q, &why) == 0)
		return;
	log_warn("%s: cannot open the queue file: %s", r->dr.qid, why.msg);
	local_outcome_set(fail, DELIVERREQ_DEFERRED, "4.3.0",
	    "cannot open the queue file: %s", why.msg);
}

void
local_req_run(const struct local *lc, int fd)
{
	struct req r = { .lc = lc, .fd = fd };
	struct local_outcome fail;
	size_t i;

	authproto_init(&r.ans, 64);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    read_request(&r) == -1)
		_exit(1);
	r.authd = authclient_new(lc->authd_path, lc->p->authd_timeout * 1000);
	open_queue_file(&r, &fail);
	for (i = 0; i < r.dr.nrcpt && !r.qmgr_gone; i++) {
		if (r.q == NULL)
			report(&r, r.dr.rcpt[i], &fail, now_ms());
		else
			one_rcpt(&r, r.dr.rcpt[i]);
	}
	send_out(&r, span_str("done\n"));
	close(fd);
	_exit(0);
}
