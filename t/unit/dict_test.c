/*
 * dict_test.c - unit tests for lib/mail/dict and dict_build: inline and
 * static tables, malformed specs, case folding, NOTFOUND versus TEMPFAIL,
 * 100,000-entry hash and lmdb tables, reopening replaced files, Postfix's
 * on-disk format, and failed builds that must leave the old table alone.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include <db.h>
#include <lmdb.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/dict.h"
#include "mail/dict_build.h"
#include "tap.h"

#define BIG_N 100000

static char tmpdir[] = "/tmp/dict_test.XXXXXX";

/* What the last build reported, one "[warning: ]msg" a line. */
static struct buf diags;

/* A path in the temporary directory; borrowed, valid for 3 more calls. */
static const char *
tpath(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(p, 1, n, f) != n)
		diag("cannot write %s: %s", path, strerror(errno));
	if (f != NULL && fclose(f) != 0)
		diag("cannot close %s: %s", path, strerror(errno));
}

/* Whether a file whose name contains sub is in the directory; with
 * sub "" it removes every file instead. */
static bool
file_left(const char *sub)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	bool found = false;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (*sub == '\0' && e->d_name[0] != '.')
			unlink(tpath(e->d_name));
		else if (*sub != '\0' && strstr(e->d_name, sub) != NULL)
			found = true;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/* The reason the last check_get() got TEMPFAIL. */
static struct why last_why;

/* Look key up in d; compare the value with want unless it is NULL. */
static void
check_get(struct dict *d, const char *key, enum dict_res want_res,
    const char *want)
{
	struct buf v;
	enum dict_res res;

	buf_init(&v, 1 << 20);
	last_why.msg[0] = '\0';
	res = dict_get(d, span_str(key), &v, &last_why);
	is_int(res, want_res, "%s: get '%.40s'", dict_name(d), key);
	if (res == DICT_TEMPFAIL && want_res != DICT_TEMPFAIL)
		diag("why: %s", last_why.msg);
	if (want != NULL && res == DICT_FOUND)
		is_str(buf_str(&v), want, "%s: value of '%.40s'",
		    dict_name(d), key);
	buf_fini(&v);
}

/* Open type:NAME, expecting success. */
static struct dict *
open_ok(const char *type, const char *name)
{
	char spec[600];
	struct why why = { "" };
	struct dict *d;

	snprintf(spec, sizeof(spec), "%s:%s", type, tpath(name));
	d = dict_open(spec, &why);
	ok(d != NULL, "open %s (%s)", spec, why.msg);
	return d;
}

static void
collect(void *arg, size_t line, bool is_error, const char *msg)
{
	(void)arg;
	(void)line;
	buf_addf(&diags, "%s%s\n", is_error ? "" : "warning: ", msg);
}

/* Write n bytes of text to NAME and build type from it. */
static int
build_n(const char *type, const char *name, const void *text, size_t n,
    struct dict_build_report *rep, struct why *why)
{
	struct dict_build_report dummy;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	rep->diag = collect;
	write_file(tpath(name), text, n);
	buf_reset(&diags);
	return dict_build(type, tpath(name), rep, why);
}

static int
build(const char *type, const char *name, const char *text,
    struct why *why)
{
	return build_n(type, name, text, strlen(text), NULL, why);
}

static const struct {
	const char *spec;
	const char *why;	/* NULL: any reason */
} bad_specs[] = {
	{ "inline:a=b", "inline:a=b: inline table must be {key=value, ...}" },
	{ "inline:{a=b", NULL },
	{ "inline:a=b}", NULL },
	{ "inline:", NULL },
	{ "inline:{a}", "inline:{a}: inline item \"a\" is not key=value" },
	{ "inline:{=b}", "inline:{=b}: empty key in inline table" },
	{ "inline:{a=b,,c=d}",
	    "inline:{a=b,,c=d}: empty item in inline table" },
	{ "inline:{a=b,}", NULL },
	{ "inline:{,}", NULL },
	{ "inline:{a=b, A=c}",
	    "inline:{a=b, A=c}: duplicate key \"a\" in inline table" },
	{ "inline:{a={b}}", "inline:{a={b}}: nested braces in inline table" },
	{ "inline:{a=b} x", NULL },
	{ "foo:bar", "foo:bar: unsupported table type" },
	{ "ldap:/nonexistent/x.cf", "ldap:/nonexistent/x.cf: /nonexistent/x.cf: No such file or directory" },
	{ "nosuch:/etc/x.cf", "nosuch:/etc/x.cf: unsupported table type" },
	{ "nocolon", "nocolon: table name must be type:name" },
	{ ":x", ":x: table name must be type:name" },
	{ "hash:", "hash:: missing file name" },
	{ "lmdb:", "lmdb:: missing file name" },
};

static void
test_bad_specs(void)
{
	struct why why;
	struct dict *d;
	size_t i;

	for (i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		why.msg[0] = '\0';
		d = dict_open(bad_specs[i].spec, &why);
		ok(d == NULL && why.msg[0] != '\0', "open '%s' fails",
		    bad_specs[i].spec);
		if (bad_specs[i].why != NULL)
			is_str(why.msg, bad_specs[i].why, "reason for '%s'",
			    bad_specs[i].spec);
		dict_close(&d);
	}
}

static void
test_inline(void)
{
	struct why why = { "" };
	struct dict *d;

	d = dict_open("inline:{ a=b , Key2 = value with  spaces,c=, d=x=y }",
	    &why);
	ok(d != NULL, "inline opens (%s)", why.msg);
	if (d == NULL)
		return;
	check_get(d, "a", DICT_FOUND, "b");
	check_get(d, "KEY2", DICT_FOUND, "value with  spaces");
	check_get(d, "c", DICT_FOUND, "");
	check_get(d, "D", DICT_FOUND, "x=y");
	check_get(d, "b", DICT_NOTFOUND, NULL);
	check_get(d, "", DICT_NOTFOUND, NULL);
	dict_close(&d);
	ok(d == NULL, "dict_close clears the pointer");
	dict_close(&d);
	dict_close(NULL);
	ok(1, "dict_close accepts NULL");

	d = dict_open("inline:{MixedKey=MixedValue}", &why);
	check_get(d, "mixedkey", DICT_FOUND, "MixedValue");
	check_get(d, "MIXEDKEY", DICT_FOUND, "MixedValue");
	dict_close(&d);
	d = dict_open("inline:{ }", &why);
	ok(d != NULL, "inline:{ } opens");
	check_get(d, "a", DICT_NOTFOUND, NULL);
	dict_close(&d);
	d = dict_open("inline:{}", &why);
	ok(d != NULL, "inline:{} opens");
	dict_close(&d);
}

static void
test_static(void)
{
	struct why why = { "" };
	struct dict *d;
	struct buf v;
	char big[DICT_MAX_KEY + 2];

	d = dict_open("static:Some Value", &why);
	ok(d != NULL, "static opens");
	is_str(dict_name(d), "static:Some Value", "dict_name is the spec");
	check_get(d, "anything", DICT_FOUND, "Some Value");
	check_get(d, "", DICT_FOUND, "Some Value");
	memset(big, 'x', sizeof(big) - 1);
	big[DICT_MAX_KEY] = '\0';
	check_get(d, big, DICT_FOUND, "Some Value");
	big[DICT_MAX_KEY] = 'x';
	big[DICT_MAX_KEY + 1] = '\0';
	check_get(d, big, DICT_NOTFOUND, NULL);
	dict_close(&d);

	d = dict_open("inline:{k=0123456789}", &why);
	buf_init(&v, 5);
	buf_adds(&v, "old");
	is_int(dict_get(d, span_str("k"), &v, &why), DICT_TEMPFAIL,
	    "value longer than the buffer's max is TEMPFAIL");
	is_str(why.msg, "inline:{k=0123456789}: value of 10 bytes is too "
	    "long", "reason names the table");
	is_str(buf_str(&v), "old", "buffer unchanged");
	buf_fini(&v);
	dict_close(&d);
}

/* Look up every key (in mixed case) and some absent ones. */
static void
check_big(struct dict *d, const char *type)
{
	struct buf v;
	struct why why = { "" };
	char key[64];
	char want[64];
	size_t bad = 0;
	size_t i;

	buf_init(&v, 1024);
	for (i = 0; i < BIG_N; i++) {
		snprintf(key, sizeof(key), i % 2 ? "user%zu@example.com" :
		    "USER%zu@EXAMPLE.COM", i);
		snprintf(want, sizeof(want), "value %zu of %s", i, type);
		if (dict_get(d, span_str(key), &v, &why) != DICT_FOUND ||
		    strcmp(buf_str(&v), want) != 0)
			bad++;
	}
	is_int(bad, 0, "%s: every key found with its value", type);
	for (i = BIG_N, bad = 0; i < BIG_N + 1000; i++) {
		snprintf(key, sizeof(key), "user%zu@example.com", i);
		if (dict_get(d, span_str(key), &v, &why) != DICT_NOTFOUND)
			bad++;
	}
	is_int(bad, 0, "%s: 1000 absent keys not found", type);
	buf_fini(&v);
}

static void
test_big(const char *type)
{
	struct dict_build_report rep;
	struct why why = { "" };
	struct buf text;
	struct dict *d;
	size_t i;

	buf_init(&text, 1 << 26);
	for (i = 0; i < BIG_N; i++)
		buf_addf(&text, "User%zu@Example.COM value %zu of %s\n", i, i,
		    type);
	ok(build_n(type, "big", text.p, text.len, &rep, &why) == 0,
	    "%s: build %d entries (%s)", type, BIG_N, why.msg);
	is_int(rep.entries, BIG_N, "%s: entries reported", type);
	ok(!file_left(".tmp."), "%s: no temporary file left", type);
	if ((d = open_ok(type, "big")) != NULL)
		check_big(d, type);
	dict_close(&d);
	buf_fini(&text);
}

/* A deleted file is TEMPFAIL for get and a failure for open. */
static void
check_vanished(struct dict *d, const char *type, const char *file)
{
	struct why why = { "" };
	char want[1200];

	unlink(file);
	check_get(d, "key", DICT_TEMPFAIL, NULL);
	snprintf(want, sizeof(want), "%s: %s: No such file or directory",
	    dict_name(d), file);
	is_str(last_why.msg, want, "%s: reason names table and file", type);
	ok(dict_open(dict_name(d), &why) == NULL, "%s: missing file: open "
	    "fails", type);
	is_str(why.msg, want, "%s: same reason from dict_open", type);
}

static void
test_reopen(const char *type)
{
	struct why why = { "" };
	struct dict *d;
	char file[512];

	snprintf(file, sizeof(file), "%s", tpath(strcmp(type, "hash") == 0 ?
	    "re.db" : "re.lmdb"));
	ok(build(type, "re", "Key old value\nother 1\n", &why) == 0,
	    "%s: first build", type);
	if ((d = open_ok(type, "re")) == NULL)
		return;
	check_get(d, "key", DICT_FOUND, "old value");
	ok(build(type, "re", "key new value\n", &why) == 0, "%s: rebuild",
	    type);
	check_get(d, "KEY", DICT_FOUND, "new value");
	check_get(d, "other", DICT_NOTFOUND, NULL);
	check_vanished(d, type, file);

	/* Replaced by garbage that cannot be opened: TEMPFAIL again. */
	write_file(file, "this is not a table\n", 20);
	check_get(d, "key", DICT_TEMPFAIL, NULL);
	ok(build(type, "re", "key third\n", &why) == 0,
	    "%s: rebuild after garbage", type);
	check_get(d, "key", DICT_FOUND, "third");
	dict_close(&d);
}

static const char *const pf_entries[] = {
	"postmaster@example.com", "root",
	"user@example.com", "user@mailhost.example.com, other",
	"example.org", "OK",
	NULL,
};

/* Write NAME.db as Postfix's postmap does: DB_HASH, NUL-terminated
 * keys and values (nul = 1), or without the NUL (nul = 0). */
static int
write_bdb(const char *name, size_t nul)
{
	DB *db;
	DBT k;
	DBT v;
	size_t i;
	int ret;

	if (db_create(&db, NULL, 0) != 0)
		return -1;
	/* Postfix's dict_db.c settings for a hash table being created. */
	ret = db->set_cachesize(db, 0, 16 * 1024 * 1024, 0);
	if (ret == 0)
		ret = db->set_h_nelem(db, 4096);
	if (ret == 0)
		ret = db->open(db, NULL, tpath(name), NULL, DB_HASH,
		    DB_CREATE | DB_TRUNCATE, 0644);
	for (i = 0; ret == 0 && pf_entries[i] != NULL; i += 2) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = (void *)pf_entries[i];
		k.size = (u_int32_t)(strlen(pf_entries[i]) + nul);
		v.data = (void *)pf_entries[i + 1];
		v.size = (u_int32_t)(strlen(pf_entries[i + 1]) + nul);
		ret = db->put(db, NULL, &k, &v, 0);
	}
	if (db->close(db, 0) != 0)
		ret = -1;
	return ret == 0 ? 0 : -1;
}

/* Write NAME.lmdb as Postfix's lmdb: tables are, with or without NUL. */
static int
write_lmdb(const char *name, size_t nul)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k;
	MDB_val v;
	size_t i;
	int rc;

	if (mdb_env_create(&env) != 0)
		return -1;
	rc = mdb_env_open(env, tpath(name), MDB_NOSUBDIR | MDB_NOLOCK, 0644);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		mdb_txn_abort(txn);
	for (i = 0; rc == 0 && pf_entries[i] != NULL; i += 2) {
		k.mv_data = (void *)pf_entries[i];
		k.mv_size = strlen(pf_entries[i]) + nul;
		v.mv_data = (void *)pf_entries[i + 1];
		v.mv_size = strlen(pf_entries[i + 1]) + nul;
		if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
			mdb_txn_abort(txn);
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	mdb_env_close(env);
	return rc == 0 ? 0 : -1;
}

static void
check_fixture(const char *type, const char *name)
{
	struct dict *d;

	if ((d = open_ok(type, name)) == NULL)
		return;
	check_get(d, "Postmaster@Example.COM", DICT_FOUND, "root");
	check_get(d, "user@example.com", DICT_FOUND,
	    "user@mailhost.example.com, other");
	check_get(d, "EXAMPLE.ORG", DICT_FOUND, "OK");
	check_get(d, "example.net", DICT_NOTFOUND, NULL);
	check_get(d, "example", DICT_NOTFOUND, NULL);
	dict_close(&d);
}

static void
test_postfix_format(void)
{
	ok(write_bdb("pf-nul.db", 1) == 0, "Postfix hash fixture written");
	check_fixture("hash", "pf-nul");
	ok(write_bdb("pf-raw.db", 0) == 0, "hash fixture without NUL");
	check_fixture("hash", "pf-raw");
	ok(write_lmdb("pf-nul.lmdb", 1) == 0, "Postfix lmdb fixture written");
	check_fixture("lmdb", "pf-nul");
	ok(write_lmdb("pf-raw.lmdb", 0) == 0, "lmdb fixture without NUL");
	check_fixture("lmdb", "pf-raw");
}

/* make check points POSTERN_POSTMAP at an unpacked Postfix postmap. */
static const char *
postmap_path(void)
{
	const char *p = getenv("POSTERN_POSTMAP");

	return p != NULL && access(p, X_OK) == 0 ? p : "/usr/sbin/postmap";
}

static void
run_postmap(void *arg)
{
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(126);
	execl(postmap_path(), "postmap", (const char *)arg, (char *)NULL);
	_exit(127);
}

/* Read what Postfix's own postmap wrote, when it is installed. */
static void
test_postmap(void)
{
	char arg[600];
	struct dict *d;
	int status;

	if (access(postmap_path(), X_OK) != 0) {
		ok(1, "# SKIP Postfix's postmap is not available");
		return;
	}
	write_file(tpath("pm"), "Alias@Example.COM target, two\n", 30);
	snprintf(arg, sizeof(arg), "hash:%s", tpath("pm"));
	status = tap_fork(run_postmap, arg);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "postmap ran");
	if ((d = open_ok("hash", "pm")) != NULL)
		check_get(d, "alias@example.com", DICT_FOUND, "target, two");
	dict_close(&d);
}

/* "KEY<klen k's> <vlen v's>\n" */
static void
add_long(struct buf *b, const char *key, size_t klen, size_t vlen)
{
	buf_adds(b, key);
	while (klen-- > 0)
		buf_addc(b, 'k');
	buf_addc(b, ' ');
	while (vlen-- > 0)
		buf_addc(b, 'v');
	buf_addc(b, '\n');
}

/*
 * Build, expecting a failure with exactly the diagnostics in want, where
 * '@' stands for the text file's name.
 */
static void
check_refused(const char *type, struct span text, const char *want)
{
	struct dict_build_report rep;
	struct why why = { "" };
	struct buf b;
	char exp[1024];

	buf_init(&b, 1 << 16);
	for (; *want != '\0'; want++)
		if (*want == '@')
			buf_adds(&b, tpath("err"));
		else
			buf_addc(&b, *want);
	ok(build_n(type, "err", text.p, text.len, &rep, &why) == -1,
	    "%s: bad text refused", type);
	is_str(buf_str(&diags), buf_str(&b), "%s: every bad line reported",
	    type);
	buf_fini(&b);
	snprintf(exp, sizeof(exp), "%s: %zu error%s, %s table not changed",
	    tpath("err"), rep.errors, rep.errors == 1 ? "" : "s", type);
	is_str(why.msg, exp, "%s: reason", type);
	ok(!file_left(".tmp."), "%s: no temporary file left", type);
}

static void
test_build_errors(const char *type)
{
	struct why why = { "" };
	struct stat before;
	struct stat after;
	struct buf text;
	struct dict *d;
	const char *db = strcmp(type, "hash") == 0 ? "err.db" : "err.lmdb";

	ok(build(type, "err", "a 1\nb 2\n", &why) == 0, "%s: good build",
	    type);
	stat(tpath(db), &before);
	buf_init(&text, 1 << 20);
	buf_adds(&text, "a 9\nnovalue\n# comment\n");
	add_long(&text, "", 1025, 1);
	add_long(&text, "c", 0, 65537);
	buf_add(&text, "d\0 e\nA 10\n", 10);
	check_refused(type, buf_span(&text),
	    "@:2: expected format: key whitespace value\n"
	    "@:4: key is longer than 1024 bytes\n"
	    "@:5: value is longer than 65536 bytes\n"
	    "@:6: NUL byte in line\n"
	    "warning: @:7: duplicate entry A, keeping the first\n");
	check_refused(type, span_str(" orphan x\nz 1\n"),
	    "@:1: continuation line without a preceding entry\n");
	stat(tpath(db), &after);
	ok(before.st_ino == after.st_ino &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec &&
	    before.st_size == after.st_size, "%s: old table untouched", type);
	if ((d = open_ok(type, "err")) != NULL)
		check_get(d, "a", DICT_FOUND, "1");
	dict_close(&d);

	/* LMDB holds shorter keys than the text format allows. */
	buf_reset(&text);
	add_long(&text, "ok 1\n", 600, 1);
	if (strcmp(type, "lmdb") == 0)
		check_refused(type, buf_span(&text), "@:2: key is longer "
		    "than 510 bytes (the lmdb: limit)\n");
	else
		ok(build_n(type, "err", text.p, text.len, NULL, &why) == 0,
		    "hash: 600-byte key accepted");
	buf_fini(&text);
}

/* Our files are in Postfix's format: key and value end in NUL. */
static void
check_raw_hash(void)
{
	DB *db;
	DBT k;
	DBT v;
	int ret = -1;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)"dup";
	k.size = 4;
	if (db_create(&db, NULL, 0) == 0) {
		ret = db->open(db, NULL, tpath("misc.db"), NULL, DB_HASH,
		    DB_RDONLY, 0);
		if (ret == 0)
			ret = db->get(db, NULL, &k, &v, 0);
		ok(ret == 0 && v.size == 6 && memcmp(v.data, "first", 6) == 0,
		    "raw hash: \"dup\\0\" -> \"first\\0\"");
		db->close(db, 0);
	}
}

static void
test_build_misc(void)
{
	struct why why = { "" };
	struct dict *d;
	struct stat st;
	char want[1024];

	ok(build("hash", "misc", "Dup first\r\ndup second\r\n\r\nx a\r\n  b",
	    &why) == 0, "duplicates, CRLF, no final newline: built");
	snprintf(want, sizeof(want), "warning: %s:2: duplicate entry dup, "
	    "keeping the first\n", tpath("misc"));
	is_str(buf_str(&diags), want, "duplicate warning");
	if ((d = open_ok("hash", "misc")) != NULL) {
		check_get(d, "DUP", DICT_FOUND, "first");
		check_get(d, "x", DICT_FOUND, "a b");
	}
	dict_close(&d);
	check_raw_hash();
	ok(stat(tpath("misc.db"), &st) == 0 && (st.st_mode & 07777) == 0644,
	    "table file mode 0644");

	ok(build("lmdb", "empty", "# nothing\n", &why) == 0,
	    "empty lmdb table built");
	if ((d = open_ok("lmdb", "empty")) != NULL)
		check_get(d, "x", DICT_NOTFOUND, NULL);
	dict_close(&d);
	ok(!file_left("-lock"), "no LMDB lock file made");

	ok(dict_build("hash", tpath("nonexistent"), NULL, &why) == -1,
	    "missing text file refused");
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    tpath("nonexistent"));
	is_str(why.msg, want, "missing text file reason");
	ok(build("btree", "misc", "a b\n", &why) == -1,
	    "unsupported build type refused");
	is_str(why.msg, "btree: unsupported table type", "reason");

	/* Someone else's file where ours would go is not touched. */
	snprintf(want, sizeof(want), "misc.db.tmp.%ld", (long)getpid());
	write_file(tpath(want), "theirs", 6);
	ok(build("hash", "misc", "a b\n", &why) == -1, "existing temporary "
	    "file: refused (%s)", why.msg);
	ok(stat(tpath(want), &st) == 0 && st.st_size == 6, "and left alone");
	unlink(tpath(want));
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	buf_init(&diags, 1 << 16);
	test_bad_specs();
	test_inline();
	test_static();
	test_big("hash");
	test_big("lmdb");
	test_reopen("hash");
	test_reopen("lmdb");
	test_postfix_format();
	test_postmap();
	test_build_errors("hash");
	test_build_errors("lmdb");
	test_build_misc();
	file_left("");
	ok(rmdir(tmpdir) == 0, "temporary directory removed");
	buf_fini(&diags);
	return done_testing();
}
