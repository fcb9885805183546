/*
 * postern_qmove.c - the changes "postern queue" makes: hold, release,
 * requeue, delete and flush (postern-queue(5) lists the transitions).
 * A change is a rename(2) between state directories (or an unlink, or
 * a new mtime for a deferred file), then a notice on qmgr's socket when
 * qmgr must act: "NEW QID" after release and requeue, "SCAN" after a
 * flush.  When qmgr is down, the files wait for its start, when it
 * scans.  qmgr copes with a file moved or removed while it delivers it.
 * Linked into: postern.  Runs as mail_owner.  Trust: ids were checked
 * with qid_valid(); qmgr moves files while we work, so a file that
 * vanished between finding and moving it is looked for again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/net.h"
#include "mail/qfile.h"
#include "mail/qlist.h"
#include "postern_queue.h"

/* How often a change looks for a file that qmgr moved meanwhile. */
#define TRIES 5

/* A move between states, and where it may start. */
struct move {
	const char *name;
	const char *to;
	const char *from[4];		/* NULL-terminated */
	const char *done;
	bool tell;			/* send "NEW QID" afterwards */
};

static const struct move moves[] = {
	{ "hold", "hold", { "incoming", "active", "deferred", NULL }, "held",
	    false },
	{ "release", "incoming", { "hold", NULL }, "released", true },
	{ "requeue", "incoming", { "deferred", "hold", "corrupt", NULL },
	    "requeued", true },
};

/* Tell qmgr (line ends with LF).  0, or -1 with why: qmgr is down. */
static int
tell_qmgr(const struct params *p, const char *line, struct why *why)
{
	struct net_addr a = { .kind = NET_UNIX };
	size_t len = strlen(line);
	ssize_t n;
	int fd, r;

	if (p->qmgr_socket[0] == '/')
		r = snprintf(a.path, sizeof(a.path), "%s", p->qmgr_socket);
	else
		r = snprintf(a.path, sizeof(a.path), "%s/%s",
		    p->queue_directory, p->qmgr_socket);
	if (r < 0 || (size_t)r >= sizeof(a.path))
		return why_set(why, "qmgr_socket: path too long");
	if ((fd = net_connect(&a, 5000, why)) == -1)
		return -1;
	n = send(fd, line, len, MSG_NOSIGNAL);
	if (n != (ssize_t)len)
		why_syserr(why, "%s", a.path);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* The notice, or a note that the change waits for qmgr's start. */
static void
notice(const struct params *p, const char *line)
{
	struct why why;

	if (tell_qmgr(p, line, &why) == -1)
		fprintf(stderr, "postern: qmgr is not running (%s): it will "
				"see the change when it starts\n",
		    why.msg);
}

static bool
one_of(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/*
 * rename(2) from one state to another; the directories are synced so
 * that the admin's decision survives a crash.  0, or -1 with why and
 * errno (ENOENT: the file moved meanwhile).
 */
static int
rename_state(const char *dir, const char *qid, const char *from,
    const char *to, struct why *why)
{
	char src[PATH_MAX], dst[PATH_MAX];

	if (qfile_path(dir, from, qid, src, sizeof(src)) == -1 ||
	    qfile_path(dir, to, qid, dst, sizeof(dst)) == -1)
		return why_set(why, "queue path too long");
	if (qfile_mkdirs(dir, to, qid, why) == -1)
		return -1;
	if (rename(src, dst) == -1)
		return why_syserr(why, "rename %s", src);
	if (file_sync_dir(dst, why) == -1 || file_sync_dir(src, why) == -1)
		return -1;
	return 0;
}

static int
do_move(const struct params *p, const struct move *m, const char *qid)
{
	const char *dir = p->queue_directory;
	char line[QID_SIZE + 8];
	const char *where;
	struct why why;
	int tries;

	for (tries = 0; tries < TRIES; tries++) {
		if ((where = qlist_find(dir, qid)) == NULL) {
			fprintf(stderr, "postern: %s: not in the queue\n", qid);
			return 1;
		}
		if (strcmp(where, m->to) == 0) {
			printf("%s: already in %s\n", qid, where);
			return 0;
		}
		if (!one_of(m->from, where)) {
			fprintf(stderr, "postern: %s: cannot %s a message in "
					"%s\n", qid, m->name, where);
			return 1;
		}
		if (rename_state(dir, qid, where, m->to, &why) == 0)
			break;
		if (errno != ENOENT) {
			fprintf(stderr, "postern: %s: %s\n", qid, why.msg);
			return 1;
		}
	}
	if (tries == TRIES) {
		fprintf(stderr, "postern: %s: keeps moving; try again\n", qid);
		return 1;
	}
	printf("%s: %s (%s -> %s)\n", qid, m->done, where, m->to);
	if (m->tell) {
		snprintf(line, sizeof(line), "NEW %s\n", qid);
		notice(p, line);
	}
	return 0;
}

/* Remove a queue file and its reasons.  0, or -1 with errno. */
static int
remove_file(const char *dir, const char *state, const char *qid)
{
	char path[PATH_MAX];

	if (qfile_path(dir, state, qid, path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (unlink(path) == -1)
		return -1;
	if (qfile_path(dir, "defer", qid, path, sizeof(path)) == 0)
		unlink(path);
	return 0;
}

static int
delete_one(const struct params *p, const char *qid)
{
	const char *where;
	int tries;

	for (tries = 0; tries < TRIES; tries++) {
		if ((where = qlist_find(p->queue_directory, qid)) == NULL) {
			fprintf(stderr, "postern: %s: not in the queue\n", qid);
			return 1;
		}
		if (remove_file(p->queue_directory, where, qid) == 0) {
			printf("%s: deleted (from %s)\n", qid, where);
			return 0;
		}
		if (errno != ENOENT) {
			fprintf(stderr, "postern: %s: %s\n", qid,
			    strerror(errno));
			return 1;
		}
	}
	fprintf(stderr, "postern: %s: keeps moving; try again\n", qid);
	return 1;
}

struct sweep {
	const char *dir;
	const char *domain;		/* flush -d: or NULL */
	size_t done;
	size_t failed;
};

static int
delete_visit(void *arg, const char *state, const char *qid)
{
	struct sweep *s = arg;

	if (remove_file(s->dir, state, qid) == 0)
		s->done++;
	else if (errno != ENOENT)	/* else: moved on meanwhile */
		s->failed++;
	return 0;
}

static int
delete_all(const struct params *p, const char *state)
{
	struct sweep s = { p->queue_directory, NULL, 0, 0 };
	struct why why;
	size_t i;

	for (i = 0; i < QLIST_NSTATES; i++) {
		if (state != NULL && strcmp(state, qlist_states[i]) != 0)
			continue;
		if (qlist_walk(s.dir, qlist_states[i], delete_visit, &s,
			&why) == -1) {
			fprintf(stderr, "postern: %s\n", why.msg);
			return 1;
		}
	}
	printf("deleted %zu message%s from %s\n", s.done,
	    s.done == 1 ? "" : "s", state != NULL ? state : "the queue");
	if (s.failed > 0)
		fprintf(stderr, "postern: %zu could not be deleted\n",
		    s.failed);
	return s.failed > 0 ? 1 : 0;
}

/* Does q have a recipient not yet finished at domain? */
static bool
wants_domain(const struct qfile *q, const char *domain)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		struct span a = q->rcpt[i].addr;
		uint8_t st = q->rcpt[i].status.state;
		size_t at = a.len;

		if (st == QFILE_SENT || st == QFILE_BOUNCED)
			continue;
		while (at > 0 && a.p[at - 1] != '@')
			at--;
		if (at > 0 && span_eq_nocase(span_sub(a, at, a.len), domain))
			return true;
	}
	return false;
}

/* A deferred file due now (its mtime: postern-queue(5)). */
static int
flush_visit(void *arg, const char *state, const char *qid)
{
	struct sweep *s = arg;
	char path[PATH_MAX];
	struct qfile *q = NULL;
	struct why why;
	int r;

	if (qfile_path(s->dir, state, qid, path, sizeof(path)) == -1)
		return 0;
	if (s->domain == NULL)
		r = utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
	else if (qfile_open(path, &q, &why) == -1)
		return 0;		/* moved on, or qmgr will refuse it */
	else
		r = wants_domain(q, s->domain) ? futimens(q->fd, NULL) : 1;
	qfile_close(&q);
	if (r == 0)
		s->done++;
	else if (r == -1 && errno != ENOENT)
		s->failed++;
	return 0;
}

static int
flush(const struct params *p, const char *qid, const char *domain)
{
	struct sweep s = { p->queue_directory, domain, 0, 0 };
	const char *where;
	struct why why;

	if (qid != NULL) {
		char path[PATH_MAX];

		where = qlist_find(s.dir, qid);
		if (where == NULL || strcmp(where, "deferred") != 0) {
			fprintf(stderr, "postern: %s: %s%s\n", qid,
			    where != NULL ? "not deferred: it is in " :
					    "not in the queue",
			    where != NULL ? where : "");
			return 1;
		}
		if (qfile_path(s.dir, where, qid, path, sizeof(path)) == -1 ||
		    utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) ==
			-1) {
			fprintf(stderr, "postern: %s: cannot flush: %s\n", qid,
			    strerror(errno));
			return 1;
		}
		printf("%s: due now\n", qid);
	} else {
		if (qlist_walk(s.dir, "deferred", flush_visit, &s, &why) ==
		    -1) {
			fprintf(stderr, "postern: %s\n", why.msg);
			return 1;
		}
		printf("%zu deferred message%s%s%s due now\n", s.done,
		    s.done == 1 ? "" : "s", domain != NULL ? " for " : "",
		    domain != NULL ? domain : "");
	}
	notice(p, "SCAN\n");
	return s.failed > 0 ? 1 : 0;
}

int
postern_qmove(const struct params *p, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(argv[0], moves[i].name) == 0)
			return do_move(p, &moves[i], argv[1]);
	if (strcmp(argv[0], "delete") == 0)
		return strcmp(argv[1], "ALL") == 0 ?
		    delete_all(p, argc == 3 ? argv[2] : NULL) :
		    delete_one(p, argv[1]);
	if (argc == 3)
		return flush(p, NULL, argv[2]);		/* flush -d DOMAIN */
	return flush(p, argc == 2 ? argv[1] : NULL, NULL);
}
