/*
 * local_deliver.c - deliver to one alias target, in a delivery process
 * that is already default_privs: run a command ("|text": /bin/sh -c
 * with the message on standard input, a minimal environment, its own
 * process group, a time limit) or append to a file ("/path": mbox
 * format, locked, fsync'd, cut back on failure).
 * Linked into: local.  Runs as default_privs.  Trust: the command text
 * and path are the administrator's (authd named them just now); the
 * message and addresses are mail data and reach the command only on its
 * standard input and in SENDER, RECIPIENT and ORIGINAL_RECIPIENT.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/log.h"
#include "base/xmem.h"
#include "local.h"
#include "mail/localfmt.h"

/* What is converted and written at a time. */
#define CHUNK 65536
/* How much of a command's output is kept for the bounce text. */
#define OUTPUT_KEEP 200
/* sysexits.h EX_TEMPFAIL: the command asks for a later retry. */
#define EXIT_TEMPFAIL 75

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct span
content(const struct qfile *q)
{
	return span_make((const unsigned char *)q->map + q->content_off,
	    (size_t)q->content_len);
}

/* The output buffer for a conversion: room for the longest line. */
static void
out_init(struct buf *b, const struct qfile *q)
{
	buf_init(b, CHUNK + (size_t)q->content_len + 4096);
}

/* ---- commands ---- */

struct command {
	pid_t pid;
	int in;				/* the command's stdin, or -1 */
	int out;			/* its stdout and stderr, or -1 */
	struct buf pend;		/* converted, not yet written */
	size_t pend_off;
	struct span rest;		/* not yet converted */
	struct localfmt_conv conv;
	char first[OUTPUT_KEEP + 1];	/* the start of its output */
	size_t nfirst;
};

static void
add_env(char **env, size_t *n, const char *name, struct span value)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_adds(&b, name);
	buf_addc(&b, '=');
	{
		struct buf v;

		buf_init(&v, 2048);
		localfmt_env_value(&v, value);
		buf_addspan(&b, buf_span(&v));
		buf_fini(&v);
	}
	env[(*n)++] = buf_steal(&b);
}

/* The command's environment: nothing of ours, a few names of its own. */
static char **
make_env(const struct local *lc, const struct qfile *q, struct span orig)
{
	char **env = xcalloc(9, sizeof(*env));
	size_t n = 0;

	add_env(env, &n, "PATH", span_str("/usr/bin:/bin"));
	add_env(env, &n, "SHELL", span_str("/bin/sh"));
	add_env(env, &n, "HOME", span_str(lc->user.home));
	add_env(env, &n, "USER", span_str(lc->user.name));
	add_env(env, &n, "LOGNAME", span_str(lc->user.name));
	add_env(env, &n, "SENDER", q->env.sender);
	add_env(env, &n, "RECIPIENT", orig);
	add_env(env, &n, "ORIGINAL_RECIPIENT", orig);
	return env;
}

static void
free_env(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* In the command's process: its descriptors, signals, group; exec. */
static void __attribute__((noreturn))
exec_command(const char *text, char **env, int in, int out)
{
	static const char msg[] = "local: cannot run /bin/sh\n";
	char *argv[4] = { (char *)"sh", (char *)"-c", (char *)text, NULL };
	sigset_t none;

	/* Its own process group, so that a timeout kills all of it. */
	setsid();
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(127);
	compat_close_from(3);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve("/bin/sh", argv, env);
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(127);
}

/* Write what the command will take; convert more when all is out. */
static void
feed(struct command *c)
{
	for (;;) {
		ssize_t n;

		if (c->pend_off == c->pend.len) {
			buf_reset(&c->pend);
			c->pend_off = 0;
			if (c->rest.len == 0 ||
			    localfmt_convert(&c->conv, &c->rest, CHUNK,
				&c->pend) == -1 ||
			    c->pend.len == 0) {
				close(c->in);	/* the end of its input */
				c->in = -1;
				return;
			}
		}
		n = write(c->in, c->pend.p + c->pend_off,
		    c->pend.len - c->pend_off);
		if (n > 0) {
			c->pend_off += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EPIPE: it stopped reading; what it does next decides. */
		close(c->in);
		c->in = -1;
		return;
	}
}

static void
drain(struct command *c)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(c->out, chunk, sizeof(chunk))) > 0) {
		size_t take = (size_t)n;

		if (take > OUTPUT_KEEP - c->nfirst)
			take = OUTPUT_KEEP - c->nfirst;
		memcpy(c->first + c->nfirst, chunk, take);
		c->nfirst += take;
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(c->out);
		c->out = -1;
	}
}

/* Feed and read until its output ends; false on the deadline. */
static bool
run_io(struct command *c, uint64_t deadline)
{
	while (c->out != -1 || c->in != -1) {
		struct pollfd pf[2];
		nfds_t n = 0;
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return false;
		if (c->in != -1)
			pf[n++] = (struct pollfd){ c->in, POLLOUT, 0 };
		if (c->out != -1)
			pf[n++] = (struct pollfd){ c->out, POLLIN, 0 };
		r = poll(pf, n, (int)(deadline - now > 1000 ? 1000 :
							    deadline - now));
		if (r == -1 && errno != EINTR)
			return false;
		if (r <= 0)
			continue;
		if (c->in != -1 && pf[0].revents != 0)
			feed(c);
		if (c->out != -1 && pf[n - 1].revents != 0)
			drain(c);
	}
	return true;
}

/* Wait for the command to exit, until the deadline.  0, or -1. */
static int
reap(pid_t pid, int *status, uint64_t deadline)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (r == pid)
			return 0;
		if ((r == -1 && errno != EINTR) || now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
	}
}

/* The first line of the command's output, cleaned for a bounce. */
static void
first_line(const struct command *c, char *out, size_t size)
{
	size_t n = strcspn(c->first, "\r\n");
	size_t i;

	snprintf(out, size, "%.*s", (int)n, c->first);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < ' ' || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

static void
command_result(const struct local *lc, struct command *c, bool finished,
    int status, struct local_outcome *o)
{
	char line[OUTPUT_KEEP + 1];

	first_line(c, line, sizeof(line));
	if (!finished)
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "command timed out after %llu seconds",
		    (unsigned long long)lc->p->local_command_timeout);
	else if (WIFSIGNALED(status))
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "command killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == 0)
		local_outcome_set(o, DELIVERREQ_SENT, "2.0.0",
		    "delivered to command");
	else if (WEXITSTATUS(status) == EXIT_TEMPFAIL)
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "command exited with status %d (try again later)%s%s",
		    EXIT_TEMPFAIL, line[0] != '\0' ? ": " : "", line);
	else
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.3.0",
		    "command exited with status %d%s%s", WEXITSTATUS(status),
		    line[0] != '\0' ? ": " : "", line);
}

static void
deliver_command(const struct local *lc, const struct qfile *q,
    struct span text, struct span orig, struct local_outcome *o)
{
	uint64_t deadline = now_ms() + lc->p->local_command_timeout * 1000;
	struct command c = { .in = -1, .out = -1 };
	char *cmd = span_dup(text);
	char **env = make_env(lc, q, orig);
	int in[2], out[2];
	int status = 0;
	bool finished;

	/* This process ends after the one delivery: a failure here needs
	 * no clean-up of descriptors. */
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    (c.pid = fork()) == -1) {
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.3.0",
		    "cannot start the command: %s", strerror(errno));
		free_env(env);
		free(cmd);
		return;
	}
	if (c.pid == 0)
		exec_command(cmd, env, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	c.in = in[1];
	c.out = out[0];
	fcntl(c.in, F_SETFL, O_NONBLOCK);
	fcntl(c.out, F_SETFL, O_NONBLOCK);
	out_init(&c.pend, q);
	localfmt_headers(&c.pend, q->env.sender, orig);
	c.rest = content(q);
	finished = run_io(&c, deadline) && reap(c.pid, &status, deadline) == 0;
	if (!finished) {
		kill(-c.pid, SIGKILL);
		while (waitpid(c.pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	if (c.in != -1)
		close(c.in);
	if (c.out != -1)
		close(c.out);
	command_result(lc, &c, finished, status, o);
	buf_fini(&c.pend);
	free_env(env);
	free(cmd);
}

/* ---- files ---- */

/* The status of a failed file operation: temporary or not. */
static void
file_failed(struct local_outcome *o, const char *what, const char *path,
    int err)
{
	bool temp = err == EAGAIN || err == EINTR || err == EIO ||
	    err == ENFILE || err == EMFILE || err == ENOMEM ||
	    err == ESTALE || err == ENOSPC || err == EDQUOT;

	local_outcome_set(o, temp ? DELIVERREQ_DEFERRED : DELIVERREQ_BOUNCED,
	    err == EDQUOT ? (temp ? "4.2.2" : "5.2.2") :
	    err == ENOSPC ? "4.3.1" : temp ? "4.2.0" : "5.2.0",
	    "cannot %s file %s: %s", what, path, strerror(err));
}

/* Open path for appending, creating it (0600) when missing; only a
 * regular file with one link that others cannot write.  fd or -1. */
static int
open_target(const char *path, struct local_outcome *o)
{
	int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC;
	struct stat st;
	int fd = open(path, flags);

	if (fd == -1 && errno == ENOENT)
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
	if (fd == -1 && errno == EEXIST)	/* made meanwhile */
		fd = open(path, flags);
	if (fd == -1 && (errno == ELOOP || errno == ENXIO)) {
		/* ENXIO: a FIFO nobody reads (O_NONBLOCK), or a device. */
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.2.0", "%s %s", path,
		    errno == ELOOP ? "is a symbolic link" :
				     "is not a regular file");
		return -1;
	}
	if (fd == -1) {
		file_failed(o, "open", path, errno);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		file_failed(o, "stat", path, errno);
	} else if (!S_ISREG(st.st_mode)) {
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.2.0",
		    "%s is not a regular file", path);
	} else if ((st.st_mode & S_IWOTH) != 0) {
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.2.0",
		    "%s is writable by others", path);
	} else if (st.st_nlink != 1) {
		local_outcome_set(o, DELIVERREQ_BOUNCED, "5.2.0",
		    "%s has more than one link", path);
	} else if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		file_failed(o, "use", path, errno);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* Both kinds of lock readers may take (fcntl and flock), waiting until
 * the deadline.  0, or -1. */
static int
lock_file(int fd, uint64_t deadline)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	bool posix = false;

	for (;;) {
		if (!posix && fcntl(fd, F_SETLK, &fl) == 0)
			posix = true;
		if (posix && flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if ((errno != EAGAIN && errno != EACCES &&
			errno != EWOULDBLOCK && errno != EINTR) ||
		    now_ms() >= deadline)
			return -1;
		nanosleep(&ts, NULL);
	}
}

static int
write_all(int fd, struct span s)
{
	while (s.len > 0) {
		ssize_t n = write(fd, s.p, s.len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s = span_sub(s, (size_t)n, s.len);
	}
	return 0;
}

/* From_ line, envelope fields, the quoted message, a blank line. */
static int
append_message(int fd, const struct qfile *q, struct span orig)
{
	struct localfmt_conv conv = { true };
	struct span rest = content(q);
	time_t t = time(NULL);
	struct tm tm;
	struct buf b;
	int r = 0;

	out_init(&b, q);
	localtime_r(&t, &tm);
	if (localfmt_from_line(&b, q->env.sender, &tm) == -1 ||
	    localfmt_headers(&b, q->env.sender, orig) == -1)
		r = -1;
	while (r == 0 && rest.len > 0) {
		if (localfmt_convert(&conv, &rest, CHUNK, &b) == -1 ||
		    write_all(fd, buf_span(&b)) == -1)
			r = -1;
		buf_reset(&b);
	}
	if (r == 0 && (buf_addc(&b, '\n') == -1 ||
			  write_all(fd, buf_span(&b)) == -1))
		r = -1;
	buf_fini(&b);
	return r;
}

static void
deliver_file(const struct local *lc, const struct qfile *q,
    struct span target, struct span orig, struct local_outcome *o)
{
	uint64_t deadline = now_ms() + lc->p->local_command_timeout * 1000;
	char *path = span_dup(target);
	struct stat st;
	int fd = open_target(path, o);

	if (fd == -1) {
		free(path);
		return;
	}
	if (lock_file(fd, deadline) == -1) {
		local_outcome_set(o, DELIVERREQ_DEFERRED, "4.2.0",
		    "cannot lock file %s: %s", path, errno == EAGAIN ||
		    errno == EACCES || errno == EWOULDBLOCK ?
		    "locked by another process" : strerror(errno));
	} else if (fstat(fd, &st) == -1) {
		file_failed(o, "stat", path, errno);
	} else if (append_message(fd, q, orig) == -1 || fsync(fd) == -1) {
		int err = errno;

		/* No half message for a reader to find: cut it off. */
		if (ftruncate(fd, st.st_size) == -1)
			log_syserr("%s: cannot cut back after a failed write",
			    path);
		file_failed(o, "append to", path, err);
	} else {
		local_outcome_set(o, DELIVERREQ_SENT, "2.0.0",
		    "delivered to file %s", path);
	}
	close(fd);
	free(path);
}

void
local_deliver(const struct local *lc, const struct qfile *q,
    struct span addr, struct span orig, struct local_outcome *out)
{
	if (addr.p[0] == '|')
		deliver_command(lc, q, span_trim(span_sub(addr, 1,
						addr.len - 1)),
		    orig, out);
	else
		deliver_file(lc, q, addr, orig, out);
}
