/*
 * postern_queue.c - "postern queue": the mail queue for the admin
 * (postern-queue(5)).  Argument checks, the change to mail_owner, the
 * listing (shared with mailq: lib/mail/qlist) and "show"; the changes
 * are in postern_qmove.c.
 *
 *   postern [-c DIR] queue list
 *   postern [-c DIR] queue show ID
 *   postern [-c DIR] queue flush [ID | -d DOMAIN]
 *   postern [-c DIR] queue hold | release | requeue ID
 *   postern [-c DIR] queue delete ID | ALL [STATE]
 *
 * Linked into: postern.  Runs as root (it becomes mail_owner before it
 * touches the queue) or as mail_owner.  Trust: arguments are the
 * admin's; ids are checked with qid_valid() before they reach a path;
 * queue files may be damaged and move while we read them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/qfile.h"
#include "mail/qlist.h"
#include "postern.h"
#include "postern_queue.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: postern [-c DIR] queue list | show ID\n"
	    "       postern [-c DIR] queue flush [ID | -d DOMAIN]\n"
	    "       postern [-c DIR] queue hold | release | requeue ID\n"
	    "       postern [-c DIR] queue delete ID | ALL [STATE]\n");
	return 2;
}

static bool
is_state(const char *s)
{
	size_t i;

	for (i = 0; i < QLIST_NSTATES; i++)
		if (strcmp(s, qlist_states[i]) == 0)
			return true;
	return false;
}

/* 0 when argv is a queue command with the right arguments, else 2. */
static int
check_args(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : "";
	const char *id = argc >= 3 ? argv[2] : NULL;

	if (strcmp(cmd, "list") == 0 && argc == 2)
		return 0;
	if (strcmp(cmd, "flush") == 0 &&
	    (argc == 2 || (argc == 4 && strcmp(argv[2], "-d") == 0 &&
			      argv[3][0] != '\0')))
		return 0;
	if (strcmp(cmd, "delete") == 0 && id != NULL &&
	    strcmp(id, "ALL") == 0 && (argc == 3 ||
		(argc == 4 && is_state(argv[3]))))
		return 0;
	if (strcmp(cmd, "show") && strcmp(cmd, "flush") &&
	    strcmp(cmd, "hold") && strcmp(cmd, "release") &&
	    strcmp(cmd, "requeue") && strcmp(cmd, "delete"))
		return usage();
	if (argc != 3 || id[0] == '-')
		return usage();
	if (!qid_valid_str(id)) {
		fprintf(stderr, "postern: bad queue id \"%s\"\n", id);
		return 2;
	}
	return 0;
}

static void
put_date(const char *name, uint64_t t, unsigned ms)
{
	time_t tt = (time_t)t;
	char text[64];
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(text, sizeof(text), "%llu", (unsigned long long)t);
	if (ms > 0)
		printf("%s: %s (+%ums)\n", name, text, ms);
	else
		printf("%s: %s\n", name, text);
}

/* "name: value" for a value that is there. */
static void
put_field(const char *name, struct span v)
{
	if (v.len == 0)
		return;
	printf("%s: ", name);
	qlist_put(stdout, v);
	putchar('\n');
}

static void
show_env(const struct qfile *q, const char *state, const char *path)
{
	static const char *const protos[] = { "?", "SMTP", "ESMTP", "ESMTPS",
		"ESMTPA", "ESMTPSA", "LMTP", "local" };
	static const char *const bodies[] = { "7BIT", "8BITMIME",
		"BINARYMIME" };
	static const char *const rets[] = { NULL, "FULL", "HDRS" };
	const struct qfile_env *e = &q->env;
	struct stat st;

	printf("state: %s\n", state);
	/* A deferred file's mtime is its next attempt (postern-queue(5)). */
	if (strcmp(state, "deferred") == 0 && lstat(path, &st) == 0)
		put_date("next_attempt", (uint64_t)st.st_mtim.tv_sec,
		    (unsigned)(st.st_mtim.tv_nsec / 1000000));
	put_date("arrival", e->arrival_sec, 0);
	printf("size: %llu\n", (unsigned long long)q->content_len);
	printf("sender: <");
	qlist_put(stdout, e->sender);
	printf(">\n");
	put_field("client_name", e->client_name);
	put_field("client_address", e->client_addr);
	if (e->client_port != 0)
		printf("client_port: %u\n", (unsigned)e->client_port);
	put_field("helo", e->helo);
	printf("protocol: %s\n", e->proto < 8 ? protos[e->proto] : "?");
	put_field("tls_protocol", e->tls_proto);
	put_field("tls_cipher", e->tls_cipher);
	put_field("auth_user", e->auth_user);
	if (e->local_uid != QFILE_NO_UID)
		printf("uid: %u\n", (unsigned)e->local_uid);
	put_field("envid", e->envid);
	if (e->ret > 0 && e->ret < 3)
		printf("ret: %s\n", rets[e->ret]);
	printf("body: %s\n", e->body < 3 ? bodies[e->body] : "?");
	if (e->smtputf8)
		printf("smtputf8: yes\n");
}

static void
show_notify(uint8_t n)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE",
		"DELAY" };
	const char *sep = "";
	int i;

	if (n == 0)
		return;
	printf("  notify: ");
	for (i = 0; i < 4; i++)
		if (n & (1u << i)) {
			printf("%s%s", sep, words[i]);
			sep = ",";
		}
	putchar('\n');
}

static void
show_rcpts(const struct qfile *q, struct span reasons)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		const struct qfile_rcpt *r = &q->rcpt[i];
		const struct qfile_status *st = &r->status;
		struct span dsn, text;

		put_field("recipient", r->addr);
		if (!span_eq_span(r->orig, r->addr))
			put_field("  original", r->orig);
		show_notify(r->notify);
		printf("  status: %s\n", st->state == QFILE_SENT ? "sent" :
		    st->state == QFILE_BOUNCED ? "bounced" :
		    st->state == QFILE_DEFERRED ? "deferred" : "pending");
		printf("  attempts: %u\n", (unsigned)st->attempts);
		if (st->last_attempt != 0)
			put_date("  last_attempt", st->last_attempt, 0);
		if (st->dsn[0] != '\0')
			printf("  dsn: %s\n", st->dsn);
		if (st->state != QFILE_SENT && st->state != QFILE_BOUNCED &&
		    qlist_reason(reasons, r->addr, &dsn, &text) &&
		    text.len > 0)
			put_field("  reason", text);
	}
}

/* The message header: the content up to its first empty line. */
static void
show_header(const struct qfile *q)
{
	struct span rest = span_make((const unsigned char *)q->map +
		q->content_off, (size_t)q->content_len);

	putchar('\n');
	while (rest.len > 0) {
		long nl = span_chr(rest, '\n');
		struct span line = nl < 0 ? rest : span_sub(rest, 0,
						     (size_t)nl);

		rest = nl < 0 ? span_sub(rest, rest.len, 0) :
				span_sub(rest, (size_t)nl + 1, rest.len);
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len == 0)
			break;
		qlist_put(stdout, line);
		putchar('\n');
	}
}

static int
show(const struct params *p, const char *qid)
{
	const char *dir = p->queue_directory;
	char path[PATH_MAX];
	struct qfile *q = NULL;
	const char *state = NULL;
	struct buf reasons;
	struct why why;
	int tries;

	for (tries = 0; tries < 3 && q == NULL; tries++) {
		if ((state = qlist_find(dir, qid)) == NULL ||
		    qfile_path(dir, state, qid, path, sizeof(path)) == -1) {
			fprintf(stderr, "postern: %s: not in the queue\n", qid);
			return 1;
		}
		errno = 0;
		if (qfile_open(path, &q, &why) == -1 && errno != ENOENT) {
			fprintf(stderr, "postern: %s (in %s): %s\n", qid,
			    state, why.msg);
			return 1;
		}
	}
	if (q == NULL) {
		fprintf(stderr, "postern: %s: %s\n", qid, why.msg);
		return 1;
	}
	buf_init(&reasons, QLIST_REASONS_MAX);
	if (qlist_reasons_read(dir, qid, &reasons, &why) != 0)
		buf_reset(&reasons);
	printf("id: %s\n", qid);
	show_env(q, state, path);
	show_rcpts(q, buf_span(&reasons));
	show_header(q);
	buf_fini(&reasons);
	qfile_close(&q);
	return 0;
}

/* Become mail_owner and check that the queue can be read: 0, or -1
 * after saying why. */
static int
open_queue(const struct params *p)
{
	struct why why;

	if (postern_become(p->mail_owner) == -1)
		return -1;
	if (qlist_readable(p->queue_directory, &why) == 0)
		return 0;
	if (errno == EACCES)
		fprintf(stderr, "postern: the queue is readable only by root "
				"and %s (mail_owner): %s\n",
		    p->mail_owner, why.msg);
	else
		fprintf(stderr, "postern: cannot read the queue: %s\n",
		    why.msg);
	return -1;
}

static int
list(const struct params *p)
{
	struct why why;

	if (qlist_print(p->queue_directory, stdout, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return 1;
	}
	return 0;
}

int
postern_queue(const char *dir, int argc, char **argv)
{
	struct instance inst;
	int status;

	if ((status = check_args(argc, argv)) != 0)
		return status;
	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	if (open_queue(&inst.params) == -1)
		status = 1;
	else if (strcmp(argv[1], "list") == 0)
		status = list(&inst.params);
	else if (strcmp(argv[1], "show") == 0)
		status = show(&inst.params, argv[2]);
	else
		status = postern_qmove(&inst.params, argc - 1, argv + 1);
	instance_fini(&inst);
	return status;
}
