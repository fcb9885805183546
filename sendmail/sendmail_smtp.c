/*
 * sendmail_smtp.c - hand a message to smtpd over the local submission
 * socket ($queue_directory/$sendmail_socket), as an ESMTP client (RFC
 * 5321), and relay -bs sessions to that socket.  smtpd learns who we are
 * from the socket's peer credentials, not from anything we say.
 * Linked into: sendmail.  Runs as the invoking user.  Trust: smtpd's
 * replies are read with a bounded line length and a timeout; their text
 * is only ever printed through "%s" after escaping.
 *
 * Outcome of each step (sendmail(1) lists the exit statuses):
 *   connect fails, 4xx anywhere, connection lost     EX_TEMPFAIL
 *   5xx greeting                                      EX_UNAVAILABLE
 *   5xx MAIL, DATA or end of data                     EX_DATAERR
 *   5xx RCPT: that recipient is left out              (EX_NOUSER at the end)
 *   5.7.x (policy) where 5xx is fatal                 EX_NOPERM
 *   a reply that is not SMTP                          EX_PROTOCOL
 * A 4xx for any recipient gives up on the whole message, so that trying
 * again later does not send it twice to the others.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/log.h"
#include "base/net.h"
#include "mail/smtpcmd.h"
#include "sendmail.h"

/* Longest reply line read; smtpd's are far shorter (RFC 5321: 512). */
#define REPLY_LINE_MAX 2048
/* Message text is written in pieces of about this size. */
#define WRITE_CHUNK 65536

struct client {
	int fd;
	const char *prog; /* borrowed: argv */
	bool verbose;
	unsigned char in[4096]; /* read, not yet taken */
	size_t in_len;
	struct buf line;  /* the reply line being read */
	struct buf reply; /* every line of the last reply */
	int code;
	bool broken; /* lost or timed out: no QUIT */
	bool ext_8bitmime;
	bool ext_smtputf8;
	bool ext_size;
	bool ext_dsn;
};

int
sendmail_socket_path(const struct params *p, char *out, size_t size,
                     struct why *why)
{
	int n;

	if (p->sendmail_socket[0] == '/')
		n = snprintf(out, size, "%s", p->sendmail_socket);
	else
		n = snprintf(out, size, "%s/%s", p->queue_directory,
		             p->sendmail_socket);
	if (n < 0 || (size_t)n >= size || (size_t)n > NET_PATH_MAX)
		return why_set(why, "%s/%s: socket path too long",
		               p->queue_directory, p->sendmail_socket);
	return 0;
}

/* A connected socket, or -1 with why ("mail system is down: ..."). */
static int
open_socket(const struct params *p, struct why *why)
{
	struct net_addr a = {.kind = NET_UNIX};
	struct why inner;
	int fd;

	if (sendmail_socket_path(p, a.path, sizeof(a.path), why) == -1)
		return -1;
	fd = net_connect(&a, SENDMAIL_REPLY_TIMEOUT * 1000, &inner);
	if (fd == -1)
		return why_set(why, "mail system is down: %s", inner.msg);
	return fd;
}

/* Wait until fd is ready for events; -1 with why after the timeout. */
static int
wait_fd(int fd, short events, struct why *why)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&pfd, 1, SENDMAIL_REPLY_TIMEOUT * 1000);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return why_set(why,
		               "mail system not responding (timed out "
		               "after %d s)",
		               SENDMAIL_REPLY_TIMEOUT);
	if (r == -1)
		return why_syserr(why, "poll");
	return 0;
}

static int
write_all(struct client *c, const void *p, size_t n, struct why *why)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = write(c->fd, b, n);

		if (w == -1 && (errno == EINTR || errno == EAGAIN)) {
			if (errno == EAGAIN && wait_fd(c->fd, POLLOUT, why)) {
				c->broken = true;
				return -1;
			}
			continue;
		}
		if (w == -1) {
			c->broken = true;
			return why_syserr(why, "lost connection to the mail "
			                       "system");
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One reply line into c->line, CRLF removed.  0 or -1 with why. */
static int
read_line(struct client *c, struct why *why)
{
	buf_reset(&c->line);
	for (;;) {
		unsigned char *lf = memchr(c->in, '\n', c->in_len);
		size_t take = lf != NULL ? (size_t)(lf - c->in) + 1 : c->in_len;
		ssize_t n;

		if (buf_add(&c->line, c->in, take) == -1)
			return why_set(why, "reply line too long");
		memmove(c->in, c->in + take, c->in_len - take);
		c->in_len -= take;
		if (lf != NULL)
			break;
		if (wait_fd(c->fd, POLLIN, why) == -1)
			return -1;
		n = read(c->fd, c->in, sizeof(c->in));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return why_syserr(why, "lost connection to the mail "
			                       "system");
		if (n == 0)
			return why_set(why, "lost connection to the mail "
			                    "system");
		c->in_len = (size_t)n;
	}
	buf_truncate(&c->line, c->line.len - 1);
	if (c->line.len > 0 && c->line.p[c->line.len - 1] == '\r')
		buf_truncate(&c->line, c->line.len - 1);
	return 0;
}

/* Read a reply: its code (200..599), or 0 if it is not SMTP, or -1 with
 * why when the connection is lost. */
static int
read_reply(struct client *c, struct why *why)
{
	char esc[LOG_ESC_SIZE];
	int code = 0;

	buf_reset(&c->reply);
	for (;;) {
		const unsigned char *l;
		int this;

		if (read_line(c, why) == -1) {
			c->broken = true;
			return -1;
		}
		l = c->line.p;
		if (c->verbose)
			fprintf(stderr, "<<< %s\n",
			        log_esc(buf_span(&c->line), esc));
		if (c->line.len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' ||
		    l[1] > '9' || l[2] < '0' || l[2] > '9' ||
		    (c->line.len > 3 && l[3] != ' ' && l[3] != '-'))
			return why_set(why,
			               "bad reply from the mail system: "
			               "%s",
			               log_esc(buf_span(&c->line), esc)),
			       0;
		this = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (code != 0 && this != code)
			return why_set(why, "bad reply from the mail system: "
			                    "mixed codes"),
			       0;
		code = this;
		/* Keep what fits: the first line is what is reported. */
		if (c->reply.len > 0)
			buf_addc(&c->reply, '\n');
		buf_addspan(&c->reply, buf_span(&c->line));
		if (c->line.len == 3 || l[3] == ' ')
			break;
	}
	c->code = code;
	return code;
}

/* Send a command line and read the reply: as read_reply. */
static int command(struct client *c, struct why *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
command(struct client *c, struct why *why, const char *fmt, ...)
{
	char esc[LOG_ESC_SIZE];
	struct buf cmd;
	va_list ap;
	int r;

	buf_init(&cmd, 8192);
	va_start(ap, fmt);
	r = buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	if (c->verbose)
		fprintf(stderr, ">>> %s\n", log_esc(buf_span(&cmd), esc));
	if (r == 0)
		r = buf_add(&cmd, "\r\n", 2);
	if (r == -1)
		r = why_set(why, "command too long");
	else
		r = write_all(c, cmd.p, cmd.len, why);
	buf_fini(&cmd);
	return r == -1 ? -1 : read_reply(c, why);
}

/* The first line of the last reply, escaped, into esc. */
static const char *
reply_text(const struct client *c, char esc[LOG_ESC_SIZE])
{
	struct span r = buf_span(&c->reply);
	long nl = span_chr(r, '\n');

	return log_esc(nl >= 0 ? span_sub(r, 0, (size_t)nl) : r, esc);
}

/* The exit status for code (not the success wanted) at step what; 5xx
 * gives perm unless the enhanced code says policy (5.7.x). */
static int
failed(const struct client *c, int code, int perm, const char *what,
       struct why *why)
{
	char esc[LOG_ESC_SIZE];

	if (code == -1)
		return EX_TEMPFAIL;
	if (code == 0)
		return EX_PROTOCOL;
	why_set(why, "%s: %s", what, reply_text(c, esc));
	if (code >= 400 && code < 500)
		return EX_TEMPFAIL;
	if (code < 500)
		return EX_PROTOCOL;
	if (c->reply.len >= 8 && memcmp(c->reply.p + 4, "5.7.", 4) == 0)
		return EX_NOPERM;
	return perm;
}

/* The service extensions of the EHLO reply that we use. */
static void
parse_ehlo(struct client *c)
{
	struct span rest = buf_span(&c->reply);
	struct span line;

	while (span_token(&rest, "\n", &line)) {
		struct span kw = span_sub(line, 4, line.len);
		struct span word;

		if (!span_token(&kw, " ", &word))
			continue;
		c->ext_8bitmime |= span_eq_nocase(word, "8BITMIME");
		c->ext_smtputf8 |= span_eq_nocase(word, "SMTPUTF8");
		c->ext_size |= span_eq_nocase(word, "SIZE");
		c->ext_dsn |= span_eq_nocase(word, "DSN");
	}
}

static int
send_mail(struct client *c, const struct sendmail *sm, struct why *why)
{
	const struct sendmail_opts *o = sm->o;
	struct buf params;
	int code;

	buf_init(&params, 1024);
	if (c->ext_size)
		buf_addf(&params, " SIZE=%zu", sm->text.len);
	if (c->ext_8bitmime && (o->body != NULL || sm->eight_bit))
		buf_addf(&params, " BODY=%s",
		         o->body != NULL && strcasecmp(o->body, "7BIT") == 0 &&
		                 !sm->eight_bit
		             ? "7BIT"
		             : "8BITMIME");
	/* Without the extension the server judges the addresses itself. */
	if (sm->utf8 && c->ext_smtputf8)
		buf_adds(&params, " SMTPUTF8");
	if (c->ext_dsn && o->ret != NULL)
		buf_addf(&params, " RET=%s",
		         strcasecmp(o->ret, "full") == 0 ? "FULL" : "HDRS");
	/* -V checked the ENVID (1 to 100 printable bytes): it fits. */
	if (c->ext_dsn && o->envid != NULL &&
	    (buf_adds(&params, " ENVID=") == -1 ||
	     smtpcmd_xtext_encode(span_str(o->envid), &params) == -1)) {
		buf_fini(&params);
		why_set(why, "ENVID too long");
		return EX_SOFTWARE;
	}
	code =
	    command(c, why, "MAIL FROM:<%s>%s", sm->sender, buf_str(&params));
	buf_fini(&params);
	return code == 250 ? EX_OK
	                   : failed(c, code, EX_DATAERR, "sender refused", why);
}

/* Every recipient; *accepted_out counts the 250s.  A 5xx leaves one out
 * (reported here); anything else ends the transaction. */
static int
send_rcpts(struct client *c, const struct sendmail *sm, size_t *accepted_out,
           struct why *why)
{
	char esc[LOG_ESC_SIZE];
	char notify[64] = "";
	size_t i;
	int code;

	if (c->ext_dsn && sm->o->notify != NULL)
		snprintf(notify, sizeof(notify), " NOTIFY=%s", sm->o->notify);
	*accepted_out = 0;
	for (i = 0; i < sm->rcpt.n; i++) {
		code = command(c, why, "RCPT TO:<%s>%s", sm->rcpt.v[i], notify);
		if (code == 250 || code == 251) {
			(*accepted_out)++;
		} else if (code >= 500) {
			fprintf(stderr, "%s: <%s>: %s\n", c->prog,
			        sm->rcpt.v[i], reply_text(c, esc));
		} else {
			return failed(c, code, EX_NOUSER,
			              "recipient deferred, message not sent",
			              why);
		}
	}
	return EX_OK;
}

/* DATA, the dot-stuffed text (RFC 5321 section 4.5.2), ".". */
static int
send_data(struct client *c, const struct sendmail *sm, struct why *why)
{
	struct span text = buf_span(&sm->text);
	struct buf out;
	size_t off = 0;
	int code;

	code = command(c, why, "DATA");
	if (code != 354)
		return failed(c, code, EX_DATAERR, "message refused", why);
	buf_init(&out, 2 * WRITE_CHUNK + 16);
	while (off < text.len) {
		struct span rest = span_sub(text, off, text.len);
		size_t len = (size_t)span_chr(rest, '\n') + 1;

		if (rest.p[0] == '.')
			buf_addc(&out, '.');
		while (len > 0) {
			size_t n = len > WRITE_CHUNK ? WRITE_CHUNK : len;

			buf_add(&out, rest.p, n);
			rest = span_sub(rest, n, rest.len);
			len -= n;
			off += n;
			if (out.len >= WRITE_CHUNK &&
			    write_all(c, out.p, out.len, why) == -1)
				goto lost;
			if (out.len >= WRITE_CHUNK)
				buf_reset(&out);
		}
	}
	if (buf_add(&out, ".\r\n", 3) == -1 ||
	    write_all(c, out.p, out.len, why) == -1)
		goto lost;
	buf_fini(&out);
	if (c->verbose)
		fprintf(stderr, ">>> (%zu bytes of message text)\n>>> .\n",
		        text.len);
	code = read_reply(c, why);
	return code == 250
	           ? EX_OK
	           : failed(c, code, EX_DATAERR, "message refused", why);
lost:
	buf_fini(&out);
	return EX_TEMPFAIL;
}

static int
session(struct client *c, const struct sendmail *sm, struct why *why)
{
	size_t accepted = 0;
	int code;
	int status;

	code = read_reply(c, why);
	if (code < 200 || code >= 300)
		return failed(c, code, EX_UNAVAILABLE,
		              "mail system refuses "
		              "connections",
		              why);
	code = command(c, why, "EHLO %s", sm->p->myhostname);
	if (code != 250)
		return failed(c, code, EX_PROTOCOL, "EHLO refused", why);
	parse_ehlo(c);
	status = send_mail(c, sm, why);
	if (status == EX_OK)
		status = send_rcpts(c, sm, &accepted, why);
	if (status == EX_OK && accepted == 0) {
		why_set(why, "message not sent: every recipient was refused");
		status = EX_NOUSER;
	}
	if (status == EX_OK)
		status = send_data(c, sm, why);
	if (status == EX_OK && accepted < sm->rcpt.n) {
		why_set(why,
		        "%zu of %zu recipients refused; the message went "
		        "to the others",
		        sm->rcpt.n - accepted, sm->rcpt.n);
		status = EX_NOUSER;
	}
	return status;
}

int
sendmail_submit(struct sendmail *sm, struct why *why)
{
	struct client c = {.prog = sm->o->prog, .verbose = sm->o->verbose};
	struct why ignored;
	int status;

	c.fd = open_socket(sm->p, why);
	if (c.fd == -1)
		return EX_TEMPFAIL;
	if (net_set_nonblock(c.fd) == -1) {
		close(c.fd);
		return why_syserr(why, "fcntl"), EX_OSERR;
	}
	buf_init(&c.line, REPLY_LINE_MAX);
	buf_init(&c.reply, 16 * REPLY_LINE_MAX);
	status = session(&c, sm, why);
	if (!c.broken)
		(void)command(&c, &ignored, "QUIT");
	close(c.fd);
	buf_fini(&c.line);
	buf_fini(&c.reply);
	return status;
}

/* Copy what one side has to the other; -1 at its end or on an error. */
static int
relay(int from, int to)
{
	unsigned char b[16384];
	ssize_t n;
	ssize_t w;
	size_t off = 0;

	do
		n = read(from, b, sizeof(b));
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	while (off < (size_t)n) {
		w = write(to, b + off, (size_t)n - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int
sendmail_smtp_proxy(const struct sendmail_opts *o, const struct params *p,
                    struct why *why)
{
	struct pollfd pfd[2];
	int fd;

	(void)o;
	fd = open_socket(p, why);
	if (fd == -1) {
		/* The client on standard input is owed an SMTP answer. */
		printf("421 4.3.0 %s Mail system is down, try again later\r\n",
		       p->myhostname);
		fflush(stdout);
		return EX_TEMPFAIL;
	}
	pfd[0].fd = STDIN_FILENO;
	pfd[1].fd = fd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* smtpd first: its replies matter more than our input. */
		if (pfd[1].revents != 0 && relay(fd, STDOUT_FILENO) == -1)
			break;
		if (pfd[0].revents != 0 && relay(STDIN_FILENO, fd) == -1) {
			/* Input ended: let smtpd answer what it has. */
			shutdown(fd, SHUT_WR);
			pfd[0].fd = -1;
		}
	}
	close(fd);
	return EX_OK;
}
