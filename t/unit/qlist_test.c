/*
 * qlist_test.c - unit tests for lib/mail/qlist: the reasons-file look-up
 * (every skip branch), escaping for the terminal, the walk (only valid
 * ids, missing states), finding a message's state, and the listing of a
 * small queue: order, marks, recipients still due with their reasons,
 * the null sender, an unreadable file, the summary; and the empty queue.
 */
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

#include "base/xmem.h"
#include "mail/qfile.h"
#include "mail/qlist.h"
#include "tap.h"

static char qdir[] = "/tmp/qlist_test.XXXXXX";

/* The arrival time of every test message. */
#define ARRIVAL 1700000000u

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
test_reason(void)
{
	static const struct {
		const char *text;
		const char *addr;
		const char *dsn;	/* NULL: not found */
		const char *reason;
	} cases[] = {
		{ "a@x\t4.2.0\tbusy\n", "a@x", "4.2.0", "busy" },
		{ "a@x\t4.2.0\tbusy", "a@x", "4.2.0", "busy" },
		{ "b@x\t4.4.1\tno\na@x\t4.2.0\tbusy\n", "a@x", "4.2.0",
		    "busy" },
		{ "a@x\t\t\n", "a@x", "", "" },
		{ "a@x\t4.2.0\tone\ttwo\n", "a@x", "4.2.0", "one\ttwo" },
		{ "a@x\t4.2.0\n", "a@x", NULL, NULL },
		{ "a@x\n", "a@x", NULL, NULL },
		{ "A@x\t4.2.0\tbusy\n", "a@x", NULL, NULL },
		{ "a@xy\t4.2.0\tbusy\n", "a@x", NULL, NULL },
		{ "\n\n\ta@x\t1\t2\n", "a@x", NULL, NULL },
		{ "", "a@x", NULL, NULL },
		{ "garbage\na@x\t5.0.0\tlast\n", "a@x", "5.0.0", "last" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span dsn = { NULL, 0 }, text = { NULL, 0 };
		bool found = qlist_reason(span_str(cases[i].text),
		    span_str(cases[i].addr), &dsn, &text);

		if (cases[i].dsn == NULL) {
			ok(!found, "reason %zu: not found", i);
			continue;
		}
		ok(found && span_eq(dsn, cases[i].dsn) &&
			span_eq(text, cases[i].reason),
		    "reason %zu: %s / %s", i, cases[i].dsn, cases[i].reason);
	}
}

static void
test_put(void)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "tab\there", "tab\there" },
		{ "cr\r\nlf", "cr\\x0d\\x0alf" },
		{ "esc\x1b[2J", "esc\\x1b[2J" },
		{ "del\x7f", "del\\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "c1\xc2\x9b", "c1\\xc2\\x9b" },
		{ "bad\xff\xfe", "bad\\xff\\xfe" },
		{ "cut\xe2\x82", "cut\\xe2\\x82" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&got, &len);

		qlist_put(f, span_str(cases[i].in));
		fclose(f);
		is_str(got, cases[i].out, "put %zu", i);
		free(got);
	}
}

/* A message in state; its id into qid.  NULL sender: the null sender. */
static int
make_msg(const char *state, const char *sender, const char *const *rcpts,
    size_t n, const char *body, char qid[QID_SIZE])
{
	char from[512], to[512];
	struct qfile_writer *w;
	struct qfile_env e;
	struct qfile_rcpt r;
	struct why why;
	size_t i;
	int ret = -1;

	qfile_env_init(&e);
	e.arrival_sec = ARRIVAL;
	e.sender = span_str(sender != NULL ? sender : "");
	if ((w = qfile_create(qdir, &why)) == NULL ||
	    qfile_set_env(w, &e, &why) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.addr = r.orig = span_str(rcpts[i]);
		if (qfile_add_rcpt(w, &r, &why) == -1)
			goto out;
	}
	if (qfile_write_content(w, span_str(body), &why) == -1 ||
	    qfile_commit(w, qid, &why) == -1)
		goto out;
	ret = 0;
	if (strcmp(state, "incoming") != 0)
		ret = qfile_mkdirs(qdir, state, qid, &why) == -1 ||
			qfile_path(qdir, "incoming", qid, from,
			    sizeof(from)) == -1 ||
			qfile_path(qdir, state, qid, to, sizeof(to)) == -1 ||
			rename(from, to) == -1 ?
		    -1 : 0;
out:
	qfile_writer_free(&w);
	return ret;
}

static int
count_visit(void *arg, const char *state, const char *qid)
{
	(void)state;
	(void)qid;
	(*(int *)arg)++;
	return 0;
}

static int
stop_visit(void *arg, const char *state, const char *qid)
{
	(void)state;
	(void)qid;
	(*(int *)arg)++;
	return -1;
}

static void
test_walk(void)
{
	const char *rcpt[] = { "a@example.org" };
	char qid[QID_SIZE], path[512], junk[600];
	struct why why;
	int n = 0;

	ok(qlist_walk(qdir, "hold", count_visit, &n, &why) == 0 && n == 0,
	    "walk of a missing state: nothing");
	ok(qlist_readable(qdir, &why) == 0, "readable");
	ok(make_msg("incoming", "s@example.org", rcpt, 1, "S: x\r\n\r\nb\r\n",
	       qid) == 0, "message made");
	qfile_path(qdir, "incoming", qid, path, sizeof(path));
	snprintf(junk, sizeof(junk), "%s.tmp", path);
	close(open(junk, O_CREAT | O_WRONLY, 0600));
	*strrchr(path, '/') = '\0';
	snprintf(junk, sizeof(junk), "%s/not-an-id", path);
	close(open(junk, O_CREAT | O_WRONLY, 0600));
	ok(qlist_walk(qdir, "incoming", count_visit, &n, &why) == 0 && n == 1,
	    "walk finds the one queue file, not .tmp or other names");
	n = 0;
	ok(qlist_walk(qdir, "incoming", stop_visit, &n, &why) == -1 && n == 1,
	    "a visit can stop the walk");
	is_str(qlist_find(qdir, qid), "incoming", "found in incoming");
	ok(qlist_find(qdir, "0000000000BBBBBBBB") == NULL, "absent: NULL");
	qfile_path(qdir, "incoming", qid, path, sizeof(path));
	unlink(path);
}

/* What put_time prints for t. */
static void
when(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, 32, "%a %b %e %H:%M:%S", &tm);
}

static char *
listing(void)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);
	struct why why;

	if (qlist_print(qdir, f, &why) == -1)
		diag("qlist_print: %s", why.msg);
	fclose(f);
	return got;
}

static void
test_print(void)
{
	const char *two[] = { "one@example.org", "two@example.org" };
	const char *one[] = { "x@example.net" };
	static const char bad[] = "zzzzzzzzzzzzzzzzzz";
	static const char garbage[] = "this is not a queue file, not at all";
	char a[QID_SIZE], b[QID_SIZE], path[512], want[4096], ta[32], tb[32];
	struct qfile_status st = { QFILE_SENT, 0, 1, 1, "2.0.0" };
	struct qfile *q = NULL;
	struct stat sb;
	struct why why;
	char *got;
	int fd;

	got = listing();
	is_str(got, "Mail queue is empty\n", "empty queue");
	free(got);
	ok(make_msg("deferred", "s\x01@example.org", two, 2,
	       "Subject: a\r\n\r\nbody\r\n", a) == 0 &&
		make_msg("hold", NULL, one, 1, "Subject: b\r\n\r\n", b) == 0,
	    "messages made");
	/* one@ was delivered; two@ waits, with a reason. */
	qfile_path(qdir, "deferred", a, path, sizeof(path));
	ok(qfile_open(path, &q, &why) == 0 &&
		qfile_set_status(q, 0, &st, &why) == 0,
	    "first recipient sent");
	qfile_close(&q);
	qfile_mkdirs(qdir, "defer", a, &why);
	qfile_path(qdir, "defer", a, path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok(write(fd, "two@example.org\t4.2.0\thost said: 450 busy\n", 42) ==
		42, "reasons written");
	close(fd);
	qfile_mkdirs(qdir, "corrupt", bad, &why);
	qfile_path(qdir, "corrupt", bad, path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok(write(fd, garbage, sizeof(garbage) - 1) ==
		(ssize_t)sizeof(garbage) - 1, "corrupt file written");
	close(fd);
	stat(path, &sb);
	when(ARRIVAL, ta);
	when((uint64_t)sb.st_mtime, tb);
	snprintf(want, sizeof(want),
	    "-Queue ID-          --Size-- ----Arrival Time---  "
	    "-Sender/Recipient-------\n"
	    "%s        20 %-19s  s\\x01@example.org\n"
	    "%50s%s\n%50s(host said: 450 busy)\n\n"
	    "%s!       14 %-19s  MAILER-DAEMON\n"
	    "%50s%s\n\n"
	    "%s#       36 %-19s  (cannot read: not a queue file (or "
	    "truncated))\n\n"
	    "-- 1 Kbytes in 3 Requests.\n",
	    a, ta, "", "two@example.org", "", b, ta, "", "x@example.net", bad,
	    tb);
	got = listing();
	is_str(got, want, "listing");
	free(got);
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(qdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_reason();
	test_put();
	test_walk();
	test_print();
	nftw(qdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
