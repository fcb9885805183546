/*
 * qfile_test.c - unit tests for lib/mail/qfile and lib/mail/qid: queue
 * ids (validity, uniqueness across a loop and across processes), the hash
 * directory layout, write/read round trips of every field, in-place
 * status updates, abort, write errors, and refusal of torn, damaged and
 * garbage files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "base/xmem.h"
#include "mail/qfile.h"
#include "tap.h"

static char qdir[] = "/tmp/qfile_test.XXXXXX";
static int nfiles;

static int
count_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)st;
	(void)f;
	if (flag == FTW_F)
		nfiles++;
	return 0;
}

/* Regular files anywhere under the queue directory. */
static int
count_files(void)
{
	nfiles = 0;
	nftw(qdir, count_one, 16, FTW_PHYS);
	return nfiles;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void
clean_queue(void)
{
	nftw(qdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(qdir, 0700);
}

static int
cmp_qid(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* n ids into ids (QID_SIZE each); returns how many were valid. */
static size_t
make_ids(char *ids, size_t n)
{
	struct why why;
	size_t i;
	size_t good = 0;

	for (i = 0; i < n; i++)
		if (qid_new(ids + i * QID_SIZE, &why) == 0 &&
		    qid_valid_str(ids + i * QID_SIZE))
			good++;
	return good;
}

static size_t
count_dups(char *ids, size_t n)
{
	size_t i;
	size_t dups = 0;

	qsort(ids, n, QID_SIZE, cmp_qid);
	for (i = 1; i < n; i++)
		if (strcmp(ids + (i - 1) * QID_SIZE, ids + i * QID_SIZE) == 0)
			dups++;
	return dups;
}

static void
test_qid_unique(void)
{
	enum { N = 100000 };
	char *ids = xcalloc(3 * N, QID_SIZE);
	pid_t pid[2];
	int fd[2][2];
	int i;

	is_int(make_ids(ids, N), N, "100000 ids made, all valid");
	is_int(count_dups(ids, N), 0, "no duplicate among 100000 ids");
	for (i = 0; i < 2; i++) {
		if (pipe(fd[i]) == -1 || (pid[i] = fork()) == -1)
			exit(1);
		if (pid[i] == 0) {
			size_t k = make_ids(ids, N);
			ssize_t w = write(fd[i][1], ids, (size_t)N * QID_SIZE);

			_exit(k == N && w == (ssize_t)N * QID_SIZE ? 0 : 1);
		}
		close(fd[i][1]);
	}
	for (i = 0; i < 2; i++) {
		size_t got = 0;
		ssize_t r;
		char *dst = ids + (size_t)(i + 1) * N * QID_SIZE;
		int status;

		while ((r = read(fd[i][0], dst + got,
			    (size_t)N * QID_SIZE - got)) > 0)
			got += (size_t)r;
		close(fd[i][0]);
		waitpid(pid[i], &status, 0);
		ok(got == (size_t)N * QID_SIZE && status == 0,
		    "child %d made %d ids", i, N);
	}
	is_int(count_dups(ids, 3 * N), 0,
	    "no duplicate among 300000 ids from 3 processes");
	free(ids);
}

static void
test_qid_valid(void)
{
	static const char *bad[] = {
		"", "0", "0123456789BCDFGHJ", "0123456789BCDFGHJKL",
		"0123456789BCDFGHJa", "0123456789BCDFGH.K",
		"../3456789BCDFGHJK", "0123456789BCDFGH/K",
		"0123456789BCDFGH K", "0123456789BCDFGHJE",
	};
	char id[QID_SIZE];
	char h1;
	char h2;
	struct why why;
	size_t i;

	ok(qid_new(id, &why) == 0 && strlen(id) == QID_LEN, "qid_new: %s",
	    id);
	ok(qid_valid_str("0123456789BCDFGHJK"), "alphabet id valid");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!qid_valid_str(bad[i]), "invalid id '%s'", bad[i]);
	ok(!qid_valid(span_make("0123456789BCDFGH\0K", 18)), "NUL refused");
	ok(!qid_valid_str(NULL), "NULL refused");
	qid_hash_dirs(id, &h1, &h2);
	ok(strchr("0123456789abcdef", h1) && strchr("0123456789abcdef", h2),
	    "hash dirs are hex digits");
}

static void
test_path(void)
{
	char path[256];
	char small[20];
	char want[256];
	char h1;
	char h2;
	const char *id = "0123456789BCDFGHJK";

	qid_hash_dirs(id, &h1, &h2);
	snprintf(want, sizeof(want), "/q/deferred/%c/%c/%s", h1, h2, id);
	ok(qfile_path("/q", "deferred", id, path, sizeof(path)) == 0,
	    "qfile_path");
	is_str(path, want, "path is QUEUE/STATE/H1/H2/QID");
	ok(qfile_path("/q", "active", id, path, sizeof(path)) == 0 &&
		qfile_path("/q", "hold", id, path, sizeof(path)) == 0 &&
		qfile_path("/q", "corrupt", id, path, sizeof(path)) == 0 &&
		qfile_path("/q", "incoming", id, path, sizeof(path)) == 0,
	    "every state has a path");
	ok(qfile_path("/q", "bogus", id, path, sizeof(path)) == -1,
	    "unknown state refused");
	ok(qfile_path("/q", "../x", id, path, sizeof(path)) == -1,
	    "state with a slash refused");
	ok(qfile_path("/q", "active", "../../etc/passwd", path,
	       sizeof(path)) == -1, "bad id refused");
	ok(qfile_path("/q", "active", id, small, sizeof(small)) == -1,
	    "truncation refused");
}

static const char content8[] =
    "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n"
    "Subject: caf\xc3\xa9\r\n\r\n"
    "8-bit body \xff\xfe\x80 and a NUL \0 inside\r\n.\r\n..\r\n";

static void
full_env(struct qfile_env *e)
{
	qfile_env_init(e);
	e->arrival_sec = 1700000000;
	e->arrival_usec = 123456;
	e->sender = span_str("s\xc3\xa9nder@example.org");
	e->client_name = span_str("mail.example.net");
	e->client_addr = span_str("2001:db8::25");
	e->client_port = 54321;
	e->helo = span_str("[2001:db8::25]");
	e->proto = QFILE_PROTO_ESMTPSA;
	e->tls_proto = span_str("TLSv1.3");
	e->tls_cipher = span_str("TLS_AES_256_GCM_SHA384");
	e->auth_user = span_str("alice");
	e->local_uid = 1000;
	e->ret = QFILE_RET_HDRS;
	e->envid = span_str("QQ314159");
	e->size = 4242;
	e->body = QFILE_BODY_8BITMIME;
	e->smtputf8 = 1;
}

static void
rcpt_make(struct qfile_rcpt *r, size_t i, char *buf, size_t size)
{
	memset(r, 0, sizeof(*r));
	snprintf(buf, size, "user%zu@example.com", i);
	r->addr = span_str(buf);
	r->orig = i % 2 ? span_str(buf) : span_str("Orig@Example.COM");
	r->orcpt_type = i % 3 ? span_str("rfc822") : span_make("", 0);
	r->notify = i % 4 == 0 ? QFILE_NOTIFY_NEVER :
				 QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_FAILURE;
}

/* Write a message; the path of the committed file goes to path. */
static int
write_msg(const struct qfile_env *e, size_t nrcpt, struct span body,
    char *path, size_t size)
{
	struct qfile_writer *w;
	struct qfile_rcpt r;
	struct why why;
	char qid[QID_SIZE];
	char a[64];
	size_t i;
	int ret = -1;

	if ((w = qfile_create(qdir, &why)) == NULL)
		return -1;
	if (qfile_set_env(w, e, &why) == -1)
		goto out;
	for (i = 0; i < nrcpt; i++) {
		rcpt_make(&r, i, a, sizeof(a));
		if (qfile_add_rcpt(w, &r, &why) == -1)
			goto out;
	}
	for (i = 0; i < body.len; i += 7)
		if (qfile_write_content(w, span_sub(body, i, 7), &why) == -1)
			goto out;
	if (qfile_commit(w, qid, &why) == -1 ||
	    strcmp(qid, qfile_writer_qid(w)) != 0)
		goto out;
	ret = qfile_path(qdir, "incoming", qid, path, size);
out:
	if (ret == -1)
		diag("write_msg: %s", why.msg);
	qfile_writer_free(&w);
	return ret;
}

static bool
content_is(struct qfile *q, struct span want)
{
	unsigned char *got = xmalloc(want.len + 1);
	bool same = q->content_len == want.len &&
	    pread(q->fd, got, want.len, (off_t)q->content_off) ==
		(ssize_t)want.len && memcmp(got, want.p, want.len) == 0;

	free(got);
	return same;
}

static bool
env_same(const struct qfile_env *a, const struct qfile_env *b)
{
	return a->arrival_sec == b->arrival_sec &&
	    a->arrival_usec == b->arrival_usec &&
	    span_eq_span(a->sender, b->sender) &&
	    span_eq_span(a->client_name, b->client_name) &&
	    span_eq_span(a->client_addr, b->client_addr) &&
	    a->client_port == b->client_port &&
	    span_eq_span(a->helo, b->helo) && a->proto == b->proto &&
	    span_eq_span(a->tls_proto, b->tls_proto) &&
	    span_eq_span(a->tls_cipher, b->tls_cipher) &&
	    span_eq_span(a->auth_user, b->auth_user) &&
	    a->local_uid == b->local_uid && a->ret == b->ret &&
	    span_eq_span(a->envid, b->envid) && a->size == b->size &&
	    a->body == b->body && a->smtputf8 == b->smtputf8;
}

static bool
rcpts_same(const struct qfile *q, size_t n)
{
	struct qfile_rcpt r;
	char a[64];
	size_t i;

	if (q->nrcpt != n)
		return false;
	for (i = 0; i < n; i++) {
		rcpt_make(&r, i, a, sizeof(a));
		if (!span_eq_span(r.addr, q->rcpt[i].addr) ||
		    !span_eq_span(r.orig, q->rcpt[i].orig) ||
		    !span_eq_span(r.orcpt_type, q->rcpt[i].orcpt_type) ||
		    r.notify != q->rcpt[i].notify ||
		    q->rcpt[i].status.state != QFILE_PENDING ||
		    q->rcpt[i].status.dsn[0] != '\0')
			return false;
	}
	return true;
}

static void
test_round_trip(void)
{
	struct qfile_env e;
	struct qfile *q = NULL;
	struct span body = span_make(content8, sizeof(content8) - 1);
	struct stat st;
	char path[512];
	struct why why;

	full_env(&e);
	ok(write_msg(&e, 3, body, path, sizeof(path)) == 0, "write: %s",
	    path);
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		(st.st_mode & 07777) == 0600, "file in place, mode 0600");
	is_int(count_files(), 1, "nothing but the queue file (no .tmp)");
	ok(qfile_open(path, &q, &why) == 0, "open: %s",
	    q ? "ok" : why.msg);
	if (q == NULL)
		return;
	ok(env_same(&q->env, &e), "every envelope field read back");
	ok(rcpts_same(q, 3), "recipients read back");
	ok(content_is(q, body), "8-bit content with NUL read back");
	qfile_close(&q);
	ok(q == NULL, "close clears the pointer");

	qfile_env_init(&e);
	e.sender = span_make("", 0);
	ok(write_msg(&e, 1, span_make("", 0), path, sizeof(path)) == 0 &&
		qfile_open(path, &q, &why) == 0, "null sender, empty content");
	ok(q && q->env.sender.len == 0 && q->env.client_name.p == NULL &&
		q->env.local_uid == QFILE_NO_UID && q->content_len == 0,
	    "null sender and absent fields read back");
	qfile_close(&q);
	clean_queue();
}

/* Updates that must be refused. */
static void
bad_status(struct qfile *q)
{
	struct qfile_status st = { QFILE_SENT, 0, 0, 0, "2.0.0" };
	struct qfile_status bad = { 'X', 0, 0, 0, "" };
	struct why why;

	ok(qfile_set_status(q, 10000, &st, &why) == -1, "bad index refused");
	ok(qfile_set_status(q, 0, &bad, &why) == -1, "bad state refused");
	snprintf(bad.dsn, sizeof(bad.dsn), "5.x");
	bad.state = QFILE_SENT;
	ok(qfile_set_status(q, 0, &bad, &why) == -1, "bad DSN code refused");
	bad = st;
	bad.flags = 4;
	ok(qfile_set_status(q, 0, &bad, &why) == -1, "unknown flag refused");
}

static void
test_many_and_status(void)
{
	struct qfile_env e;
	struct qfile *q = NULL;
	struct qfile_status st = { QFILE_BOUNCED, QFILE_FLAG_NOTICE_SENT, 3,
		1700000999, "5.1.1" };
	struct stat before;
	struct stat after;
	struct span body = span_str("Subject: x\r\n\r\nhi\r\n");
	char path[512];
	struct why why;
	size_t i;
	bool good = true;

	full_env(&e);
	ok(write_msg(&e, 10000, body, path, sizeof(path)) == 0 &&
		qfile_open(path, &q, &why) == 0, "10000 recipients");
	if (q == NULL)
		return;
	ok(rcpts_same(q, 10000), "10000 recipients read back");
	stat(path, &before);
	for (i = 0; i < q->nrcpt; i += 37) {
		st.attempts = (uint16_t)i;
		good = good && qfile_set_status(q, i, &st, &why) == 0;
	}
	ok(good, "status updated in place");
	bad_status(q);
	qfile_close(&q);
	stat(path, &after);
	ok(before.st_size == after.st_size, "file size unchanged");
	ok(qfile_open(path, &q, &why) == 0, "re-read after updates: %s",
	    q ? "ok" : why.msg);
	for (i = 0; q != NULL && i < q->nrcpt; i++) {
		const struct qfile_status *s = &q->rcpt[i].status;

		if (i % 37 == 0)
			good = good && s->state == QFILE_BOUNCED &&
			    s->flags == QFILE_FLAG_NOTICE_SENT &&
			    s->attempts == i && s->last_attempt == 1700000999 &&
			    strcmp(s->dsn, "5.1.1") == 0;
		else
			good = good && s->state == QFILE_PENDING &&
			    s->flags == 0;
	}
	ok(good, "updated statuses read back, others untouched");
	ok(q && content_is(q, body), "content intact after updates");
	qfile_close(&q);
	clean_queue();
}

static struct buf small_file;

static void
load_small(void)
{
	struct qfile_env e;
	char path[512];
	unsigned char chunk[4096];
	ssize_t n;
	int fd;

	full_env(&e);
	buf_init(&small_file, 1 << 20);
	if (write_msg(&e, 2, span_str("Subject: t\r\n\r\nbody\r\n"), path,
		sizeof(path)) == -1 ||
	    (fd = open(path, O_RDONLY)) == -1) {
		printf("Bail out! cannot write a small queue file\n");
		exit(1);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&small_file, chunk, (size_t)n);
	close(fd);
	clean_queue();
}

static int
parse_copy(const unsigned char *p, size_t len, struct why *why)
{
	/* A heap copy of exactly len bytes, so ASan sees any overread. */
	unsigned char *copy = xmalloc(len ? len : 1);
	struct qfile *q = NULL;
	int r;

	memcpy(copy, p, len);
	r = qfile_parse(span_make(copy, len), &q, why);
	qfile_close(&q);
	free(copy);
	return r;
}

static void
test_torn(void)
{
	struct why why;
	size_t i;
	size_t accepted = 0;
	char path[600];
	int fd;

	load_small();
	ok(parse_copy(small_file.p, small_file.len, &why) == 0,
	    "the small file (%zu bytes) parses", small_file.len);
	for (i = 0; i < small_file.len; i++)
		if (parse_copy(small_file.p, i, &why) == 0)
			accepted++;
	is_int(accepted, 0, "truncation at every offset refused");
	snprintf(path, sizeof(path), "%s/torn", qdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, small_file.p, small_file.len - 1) > 0,
	    "wrote a torn copy");
	close(fd);
	{
		struct qfile *q = NULL;

		ok(qfile_open(path, &q, &why) == -1 && q == NULL,
		    "qfile_open refuses it: %s", why.msg);
	}
	unlink(path);
}

/* Flip one byte at off; expect refusal with a reason containing what. */
static void
flip(size_t off, const char *what, const char *name)
{
	struct why why;
	int r;

	small_file.p[off] ^= 0x20;
	why.msg[0] = '\0';
	r = parse_copy(small_file.p, small_file.len, &why);
	ok(r == -1 && strstr(why.msg, what) != NULL, "%s: %s", name, why.msg);
	small_file.p[off] ^= 0x20;
}

static void
test_damage(void)
{
	struct qfile *q = NULL;
	struct why why;
	size_t len = small_file.len;
	size_t i;
	size_t accepted = 0;

	ok(qfile_parse(buf_span(&small_file), &q, &why) == 0, "parses");
	if (q == NULL)
		return;
	flip(q->content_off + 2, "content checksum", "flipped content byte");
	flip(len - 20, "", "flipped end record byte");
	flip(q->rcpt[1].status_off + 12, "status checksum",
	    "flipped status byte");
	flip(q->rcpt[1].status_off + 45, "envelope checksum",
	    "flipped address byte");
	flip(9, "not a queue file", "flipped magic");
	small_file.p[13] = 2;
	flip(0, "not a queue file", "flipped type");
	ok(parse_copy(small_file.p, len, &why) == -1 &&
		strstr(why.msg, "version") != NULL, "version 2 refused");
	small_file.p[13] = QFILE_VERSION;
	qfile_close(&q);
	for (i = 0; i < len; i++) {
		small_file.p[i] ^= 0x01;
		if (parse_copy(small_file.p, len, &why) == 0)
			accepted++;
		small_file.p[i] ^= 0x01;
	}
	is_int(accepted, 0, "any single flipped bit refused");
}

static void
test_garbage(void)
{
	unsigned char junk[4096];
	struct why why;
	size_t i;
	size_t accepted = 0;

	ok(parse_copy((const unsigned char *)"", 0, &why) == -1, "empty");
	ok(parse_copy((const unsigned char *)"POSTERNQ", 8, &why) == -1,
	    "magic only");
	srand(4);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)rand() % sizeof(junk);
		size_t k;

		for (k = 0; k < n; k++)
			junk[k] = (unsigned char)rand();
		/* Half of them start like a real file. */
		if (i % 2 && n > 30)
			memcpy(junk, small_file.p, 30);
		if (parse_copy(junk, n, &why) == 0)
			accepted++;
	}
	is_int(accepted, 0, "2000 garbage inputs refused");
}

static void
test_order(void)
{
	struct qfile_writer *w = qfile_create(qdir, NULL);
	struct qfile_env e;
	struct qfile_rcpt r;
	struct why why;
	char qid[QID_SIZE];
	char a[64];

	full_env(&e);
	rcpt_make(&r, 1, a, sizeof(a));
	ok(w != NULL, "writer");
	if (w == NULL)
		return;
	ok(qfile_add_rcpt(w, &r, &why) == -1, "recipient before envelope");
	ok(qfile_write_content(w, span_str("x"), &why) == -1,
	    "content before envelope");
	ok(qfile_set_env(w, &e, &why) == 0, "envelope");
	ok(qfile_commit(w, qid, &why) == -1, "commit without recipients");
	r.addr = span_make("", 0);
	ok(qfile_add_rcpt(w, &r, &why) == -1, "empty address refused");
	r.addr = span_str("a@b");
	r.notify = QFILE_NOTIFY_NEVER | QFILE_NOTIFY_DELAY;
	ok(qfile_add_rcpt(w, &r, &why) == -1, "NEVER with DELAY refused");
	is_int(count_files(), 1, "one temporary file while writing");
	qfile_abort(&w);
	ok(w == NULL, "abort clears the pointer");
	is_int(count_files(), 0, "abort leaves nothing behind");
	clean_queue();
}

/* Child: a file size limit makes writes fail (EFBIG) like a full disk. */
static void
fsize_child(void *arg)
{
	struct rlimit rl = { 8192, 8192 };
	struct qfile_writer *w;
	struct qfile_env e;
	struct qfile_rcpt r;
	struct why why;
	char a[64];
	char qid[QID_SIZE];
	static char big[100000];
	int failed;

	(void)arg;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	full_env(&e);
	rcpt_make(&r, 0, a, sizeof(a));
	memset(big, 'x', sizeof(big));
	if ((w = qfile_create(qdir, &why)) == NULL ||
	    qfile_set_env(w, &e, &why) == -1 ||
	    qfile_add_rcpt(w, &r, &why) == -1)
		_exit(2);
	failed = qfile_write_content(w, span_make(big, sizeof(big)), &why) ==
		-1 || qfile_commit(w, qid, &why) == -1;
	qfile_abort(&w);
	_exit(failed && strstr(why.msg, "File too large") ? 0 : 3);
}

static void
test_write_error(void)
{
	int status = tap_fork(fsize_child, NULL);

	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "write error reported (status %d)", status);
	is_int(count_files(), 0, "no partial file left after abort");
	clean_queue();
}

/* A held message is written into hold/, never incoming/. */
static void
test_hold(void)
{
	struct qfile_writer *w;
	struct qfile_env e;
	struct qfile_rcpt r;
	struct qfile *q = NULL;
	struct why why;
	char a[64], qid[QID_SIZE], path[4096];

	full_env(&e);
	rcpt_make(&r, 0, a, sizeof(a));
	ok((w = qfile_create_in(qdir, "hold", &why)) != NULL &&
	    qfile_set_env(w, &e, &why) == 0 && qfile_add_rcpt(w, &r, &why) == 0 &&
	    qfile_commit(w, qid, &why) == 0, "a message written to hold");
	qfile_writer_free(&w);
	qfile_path(qdir, "hold", qid, path, sizeof(path));
	ok(qfile_open(path, &q, &why) == 0, "it is in hold/H1/H2/QID");
	qfile_close(&q);
	qfile_path(qdir, "incoming", qid, path, sizeof(path));
	ok(access(path, F_OK) == -1, "and not in incoming/");
	is_int(count_files(), 1, "one file in all");
	clean_queue();
}

static void
test_io(void)
{
	test_round_trip();
	test_many_and_status();
	test_torn();
	test_damage();
	test_garbage();
	test_order();
	test_write_error();
	test_hold();
	buf_fini(&small_file);
}

int
main(void)
{
	if (mkdtemp(qdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_qid_valid();
	test_qid_unique();
	test_path();
	test_io();
	clean_queue();
	rmdir(qdir);
	return done_testing();
}
