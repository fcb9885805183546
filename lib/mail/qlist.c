/*
 * qlist.c - walk the queue states, find a message, read deferral reasons
 * and print the mailq listing (postern-queue(5), sendmail(1)).
 * Linked into: postern (queue), sendmail (-bp, mailq).  Runs as
 * mail_owner.  Trust: queue files are ours but may be damaged, and qmgr
 * moves them while we look: names are checked with qid_valid(), files
 * are parsed strictly by qfile, a file that moved is looked for again,
 * and text from files is escaped before it is printed.  Nothing here
 * logs; errors go to the caller in a struct why.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/file.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "mail/qlist.h"

const char *const qlist_states[QLIST_NSTATES] = { "incoming", "active",
	"deferred", "hold", "corrupt" };

/* The mark after the id in a listing, per state. */
static const char marks[QLIST_NSTATES] = { ' ', '*', ' ', '!', '#' };

/* Where the sender and the recipients start: id, mark, blank, size,
 * blank, arrival, two blanks. */
#define COL (QID_LEN + 1 + 1 + 8 + 1 + 19 + 2)

/* Call fn for each queue file in one directory; -1 when fn said stop. */
static int
walk_dir(DIR *d, const char *state, qlist_visit_fn *fn, void *arg)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL)
		if (qid_valid_str(de->d_name) &&
		    fn(arg, state, de->d_name) == -1)
			return -1;
	return 0;
}

int
qlist_walk(const char *queue_dir, const char *state, qlist_visit_fn *fn,
    void *arg, struct why *why)
{
	static const char hex[] = "0123456789abcdef";
	char dir[PATH_MAX];
	DIR *d;
	int i, n, r;

	n = snprintf(dir, sizeof(dir), "%s/%s", queue_dir, state);
	if (n < 0 || (size_t)n >= sizeof(dir) - 4)
		return why_set(why, "%s: queue path too long", queue_dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : why_syserr(why, "%s", dir);
	closedir(d);
	for (i = 0; i < 256; i++) {
		snprintf(dir + n, sizeof(dir) - (size_t)n, "/%c/%c",
		    hex[i / 16], hex[i % 16]);
		if ((d = opendir(dir)) == NULL) {
			if (errno == ENOENT)
				continue;
			return why_syserr(why, "%s", dir);
		}
		r = walk_dir(d, state, fn, arg);
		closedir(d);
		if (r == -1)
			return -1;
	}
	return 0;
}

int
qlist_readable(const char *queue_dir, struct why *why)
{
	char dir[PATH_MAX];
	DIR *d;
	size_t i;

	for (i = 0; i < QLIST_NSTATES; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", queue_dir, qlist_states[i]);
		if ((d = opendir(dir)) != NULL)
			closedir(d);
		else if (errno != ENOENT)
			return why_syserr(why, "%s", dir);
	}
	return 0;
}

const char *
qlist_find(const char *queue_dir, const char *qid)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < QLIST_NSTATES; i++)
		if (qfile_path(queue_dir, qlist_states[i], qid, path,
			sizeof(path)) == 0 &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			return qlist_states[i];
	return NULL;
}

int
qlist_reasons_read(const char *queue_dir, const char *qid, struct buf *out,
    struct why *why)
{
	char path[PATH_MAX];

	if (qfile_path(queue_dir, "defer", qid, path, sizeof(path)) == -1)
		return why_set(why, "bad queue path for %s", qid);
	return file_read(path, out, why);
}

bool
qlist_reason(struct span reasons, struct span addr, struct span *dsn_out,
    struct span *text_out)
{
	while (reasons.len > 0) {
		long nl = span_chr(reasons, '\n');
		struct span line = nl < 0 ? reasons : span_sub(reasons, 0,
							  (size_t)nl);
		struct span rest;
		long t1, t2;

		if (nl < 0)
			reasons.len = 0;
		else
			reasons = span_sub(reasons, (size_t)nl + 1,
			    reasons.len);
		if ((t1 = span_chr(line, '\t')) < 0)
			continue;
		rest = span_sub(line, (size_t)t1 + 1, line.len);
		if ((t2 = span_chr(rest, '\t')) < 0 ||
		    !span_eq_span(span_sub(line, 0, (size_t)t1), addr))
			continue;
		*dsn_out = span_sub(rest, 0, (size_t)t2);
		*text_out = span_sub(rest, (size_t)t2 + 1, rest.len);
		return true;
	}
	return false;
}

void
qlist_put(FILE *out, struct span s)
{
	size_t i = 0;

	while (i < s.len) {
		unsigned char c = s.p[i];
		size_t n = 0;

		if ((c >= 0x20 && c < 0x7f) || c == '\t') {
			putc(c, out);
			i++;
			continue;
		}
		if (c >= 0x80)
			n = span_utf8_len(span_sub(s, i, s.len - i));
		/* U+0080 to U+009F are controls too (C1). */
		if (n > 0 && !(c == 0xc2 && s.p[i + 1] < 0xa0)) {
			fwrite(s.p + i, 1, n, out);
			i += n;
			continue;
		}
		fprintf(out, "\\x%02x", c);
		i++;
	}
}

/* ---- the listing ---- */

struct item {
	char qid[QID_SIZE];
	size_t state;			/* index into qlist_states */
};

struct collect {
	struct item *v;			/* owned */
	size_t n;
	size_t cap;
	size_t state;
};

static int
collect_one(void *arg, const char *state, const char *qid)
{
	struct collect *c = arg;

	(void)state;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	snprintf(c->v[c->n].qid, QID_SIZE, "%s", qid);
	c->v[c->n++].state = c->state;
	return 0;
}

/* Ids sort by arrival time (postern-queue(5)). */
static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->qid, y->qid);

	return c != 0 ? c : (x->state > y->state) - (x->state < y->state);
}

static size_t
state_index(const char *state)
{
	size_t i;

	for (i = 0; i < QLIST_NSTATES - 1; i++)
		if (strcmp(state, qlist_states[i]) == 0)
			break;
	return i;
}

static void
put_time(FILE *out, uint64_t t)
{
	time_t tt = (time_t)t;
	char text[32];
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(text, sizeof(text), "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(text, sizeof(text), "%llu", (unsigned long long)t);
	fprintf(out, "%-19s", text);
}

/* A file that does not parse: its size, its mtime and the reason. */
static void
print_unreadable(FILE *out, const char *qid, size_t state, const char *path,
    const struct why *why)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		memset(&st, 0, sizeof(st));
	fprintf(out, "%-*s%c %8llu ", QID_LEN, qid, marks[state],
	    (unsigned long long)st.st_size);
	put_time(out, (uint64_t)st.st_mtime);
	fputs("  (cannot read: ", out);
	qlist_put(out, span_str(why->msg));
	fputs(")\n\n", out);
}

static void
print_msg(FILE *out, const char *queue_dir, const char *qid, size_t state,
    const struct qfile *q)
{
	struct span dsn, text;
	struct buf reasons;
	struct why why;
	size_t i;

	fprintf(out, "%-*s%c %8llu ", QID_LEN, qid, marks[state],
	    (unsigned long long)q->content_len);
	put_time(out, q->env.arrival_sec);
	fputs("  ", out);
	qlist_put(out, q->env.sender.len > 0 ? q->env.sender :
					       span_str("MAILER-DAEMON"));
	putc('\n', out);
	/* Best effort: without the file, no reasons are shown. */
	buf_init(&reasons, QLIST_REASONS_MAX);
	if (qlist_reasons_read(queue_dir, qid, &reasons, &why) != 0)
		buf_reset(&reasons);
	for (i = 0; i < q->nrcpt; i++) {
		const struct qfile_rcpt *r = &q->rcpt[i];

		if (r->status.state == QFILE_SENT ||
		    r->status.state == QFILE_BOUNCED)
			continue;
		fprintf(out, "%*s", COL, "");
		qlist_put(out, r->addr);
		putc('\n', out);
		if (qlist_reason(buf_span(&reasons), r->addr, &dsn, &text) &&
		    text.len > 0) {
			fprintf(out, "%*s(", COL, "");
			qlist_put(out, text);
			fputs(")\n", out);
		}
	}
	putc('\n', out);
	buf_fini(&reasons);
}

/* Print one message; false when it is gone (finished meanwhile). */
static bool
print_item(FILE *out, const char *queue_dir, const struct item *it,
    uint64_t *bytes)
{
	char path[PATH_MAX];
	struct qfile *q = NULL;
	size_t state = it->state;
	const char *now;
	struct why why;
	int tries;

	why_set(&why, "not found");
	for (tries = 0; tries < 3 && q == NULL; tries++) {
		if (qfile_path(queue_dir, qlist_states[state], it->qid, path,
			sizeof(path)) == -1)
			return false;
		errno = 0;
		if (qfile_open(path, &q, &why) == 0)
			break;
		/* qmgr moved it: look again.  Otherwise it may be a status
		 * field caught half written: read it again. */
		if (errno == ENOENT) {
			if ((now = qlist_find(queue_dir, it->qid)) == NULL)
				return false;
			state = state_index(now);
		}
	}
	if (q == NULL) {
		print_unreadable(out, it->qid, state, path, &why);
		return true;
	}
	print_msg(out, queue_dir, it->qid, state, q);
	*bytes += q->content_len;
	qfile_close(&q);
	return true;
}

int
qlist_print(const char *queue_dir, FILE *out, struct why *why)
{
	struct collect c;
	uint64_t bytes = 0;
	size_t count = 0;
	bool header = false;
	size_t i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < QLIST_NSTATES; i++) {
		c.state = i;
		if (qlist_walk(queue_dir, qlist_states[i], collect_one, &c,
			why) == -1) {
			free(c.v);
			return -1;
		}
	}
	if (c.n > 0)
		qsort(c.v, c.n, sizeof(*c.v), cmp_item);
	for (i = 0; i < c.n; i++) {
		/* A file qmgr moved during the walk may be seen twice. */
		if (i > 0 && strcmp(c.v[i].qid, c.v[i - 1].qid) == 0)
			continue;
		if (!header)
			fprintf(out, "%-*s %8s %-19s  %s\n", QID_LEN + 1,
			    "-Queue ID-", "--Size--", "----Arrival Time---",
			    "-Sender/Recipient-------");
		header = true;
		if (print_item(out, queue_dir, &c.v[i], &bytes))
			count++;
	}
	free(c.v);
	if (count == 0)
		fputs("Mail queue is empty\n", out);
	else
		fprintf(out, "-- %llu Kbytes in %zu Request%s.\n",
		    (unsigned long long)(bytes + 1023) / 1024, count,
		    count == 1 ? "" : "s");
	return 0;
}
