/*
 * dict_test.c - unit tests for lib/mail/dict and dict_build: inline and
 * static tables, case folding, NOTFOUND versus TEMPFAIL, 100,000-entry
 * hash and lmdb tables, reopening replaced files, Postfix's on-disk
 * format, and builds that must leave the old table alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <db.h>
#include <lmdb.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_build.h"
#include "tap.h"

#define BIG_N 100000

static char tmpdir[] = "/tmp/dict_test.XXXXXX";

/* A path inside the temporary directory (borrowed: static storage). */
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

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		diag("cannot write %s: %s", path, strerror(errno));
}

static void
remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlink(tpath(e->d_name));
	if (d != NULL)
		closedir(d);
	ok(rmdir(tmpdir) == 0, "temporary directory removed");
}

/* Look key up in d and compare with want (NULL: expect res only). */
static void
check_get(struct dict *d, const char *key, enum dict_res want_res,
    const char *want)
{
	struct buf v;
	struct why why = { "" };
	enum dict_res res;

	buf_init(&v, 1 << 20);
	res = dict_get(d, span_str(key), &v, &why);
	is_int(res, want_res, "%s: get '%s'", dict_name(d), key);
	if (res == DICT_TEMPFAIL && want_res != DICT_TEMPFAIL)
		diag("why: %s", why.msg);
	if (want != NULL && res == DICT_FOUND)
		is_str(buf_str(&v), want, "%s: value of '%s'", dict_name(d),
		    key);
	buf_fini(&v);
}

static void
check_open_fails(const char *spec, const char *want)
{
	struct why why = { "" };
	struct dict *d = dict_open(spec, &why);

	ok(d == NULL, "open '%s' fails", spec);
	if (want != NULL)
		is_str(why.msg, want, "reason for '%s'", spec);
	dict_close(&d);
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
	check_get(d, "d", DICT_FOUND, "x=y");
	check_get(d, "b", DICT_NOTFOUND, NULL);
	check_get(d, "", DICT_NOTFOUND, NULL);
	dict_close(&d);
	ok(d == NULL, "dict_close clears the pointer");
	dict_close(&d);
	dict_close(NULL);
	ok(1, "dict_close accepts NULL");

	d = dict_open("inline:{ }", &why);
	ok(d != NULL, "inline:{ } opens");
	check_get(d, "a", DICT_NOTFOUND, NULL);
	dict_close(&d);
	d = dict_open("inline:{}", &why);
	ok(d != NULL, "inline:{} opens");
	dict_close(&d);

	check_open_fails("inline:a=b", "inline:a=b: inline table must be "
	    "{key=value, ...}");
	check_open_fails("inline:{a=b", NULL);
	check_open_fails("inline:a=b}", NULL);
	check_open_fails("inline:", NULL);
	check_open_fails("inline:{a}", "inline:{a}: inline item \"a\" is "
	    "not key=value");
	check_open_fails("inline:{=b}", "inline:{=b}: empty key in inline "
	    "table");
	check_open_fails("inline:{a=b,,c=d}", "inline:{a=b,,c=d}: empty item "
	    "in inline table");
	check_open_fails("inline:{a=b,}", NULL);
	check_open_fails("inline:{,}", NULL);
	check_open_fails("inline:{a=b, A=c}", "inline:{a=b, A=c}: duplicate "
	    "key \"a\" in inline table");
	check_open_fails("inline:{a={b}}", NULL);
	check_open_fails("inline:{a=b} x", NULL);
}

static void
test_static_and_types(void)
{
	struct why why = { "" };
	struct dict *d;
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

	check_open_fails("foo:bar", "foo:bar: unsupported table type");
	check_open_fails("ldap:/etc/x.cf", "ldap:/etc/x.cf: unsupported "
	    "table type");
	check_open_fails("nocolon", "nocolon: table name must be type:name");
	check_open_fails(":x", ":x: table name must be type:name");
	check_open_fails("hash:", "hash:: missing file name");
	check_open_fails("lmdb:", "lmdb:: missing file name");
}

static void
test_value_limit(void)
{
	struct why why = { "" };
	struct dict *d = dict_open("inline:{k=0123456789}", &why);
	struct buf v;

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

struct diags {
	struct buf text;
};

static void
collect(void *arg, size_t line, bool is_error, const char *msg)
{
	struct diags *dg = arg;

	(void)line;
	buf_addf(&dg->text, "%s%s\n", is_error ? "" : "warning: ", msg);
}

/* Build type from text written to NAME; returns dict_build's result. */
static int
build(const char *type, const char *name, const char *text,
    struct diags *dg, struct why *why)
{
	struct dict_build_report rep = { collect, dg, 0, 0, 0 };

	write_file(tpath(name), text, strlen(text));
	buf_reset(&dg->text);
	return dict_build(type, tpath(name), &rep, why);
}

static void
test_big(const char *type)
{
	struct buf text;
	struct buf v;
	struct why why = { "" };
	struct dict_build_report rep = { NULL, NULL, 0, 0, 0 };
	char spec[600];
	char key[64];
	char want[64];
	struct dict *d;
	size_t i;
	size_t bad = 0;

	buf_init(&text, 1 << 26);
	for (i = 0; i < BIG_N; i++)
		buf_addf(&text, "User%zu@Example.COM value %zu of %s\n", i, i,
		    type);
	write_file(tpath("big"), text.p, text.len);
	ok(dict_build(type, tpath("big"), &rep, &why) == 0,
	    "%s: build %d entries (%s)", type, BIG_N, why.msg);
	is_int(rep.entries, BIG_N, "%s: entries reported", type);
	snprintf(spec, sizeof(spec), "%s:%s", type, tpath("big"));
	d = dict_open(spec, &why);
	ok(d != NULL, "%s: opens (%s)", type, why.msg);
	buf_init(&v, 1024);
	for (i = 0; d != NULL && i < BIG_N; i++) {
		snprintf(key, sizeof(key), i % 2 ? "user%zu@example.com" :
		    "USER%zu@EXAMPLE.COM", i);
		snprintf(want, sizeof(want), "value %zu of %s", i, type);
		if (dict_get(d, span_str(key), &v, &why) != DICT_FOUND ||
		    strcmp(buf_str(&v), want) != 0)
			bad++;
	}
	is_int(bad, 0, "%s: every key found with its value", type);
	for (i = BIG_N, bad = 0; d != NULL && i < BIG_N + 1000; i++) {
		snprintf(key, sizeof(key), "user%zu@example.com", i);
		if (dict_get(d, span_str(key), &v, &why) != DICT_NOTFOUND)
			bad++;
	}
	is_int(bad, 0, "%s: 1000 absent keys not found", type);
	dict_close(&d);
	buf_fini(&v);
	buf_fini(&text);
}

/* Open type:name, expecting success. */
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
test_reopen(const char *type)
{
	struct diags dg;
	struct why why = { "" };
	struct dict *d;
	char file[64];

	buf_init(&dg.text, 1 << 16);
	ok(build(type, "re", "Key old value\nother 1\n", &dg, &why) == 0,
	    "%s: first build", type);
	if ((d = open_ok(type, "re")) == NULL)
		return;
	check_get(d, "key", DICT_FOUND, "old value");
	ok(build(type, "re", "key new value\n", &dg, &why) == 0,
	    "%s: rebuild", type);
	check_get(d, "KEY", DICT_FOUND, "new value");
	check_get(d, "other", DICT_NOTFOUND, NULL);

	/* The file vanishes: TEMPFAIL, not NOTFOUND. */
	snprintf(file, sizeof(file), "re.%s",
	    strcmp(type, "hash") == 0 ? "db" : "lmdb");
	unlink(tpath(file));
	check_get(d, "key", DICT_TEMPFAIL, NULL);
	check_get(d, "absent", DICT_TEMPFAIL, NULL);

	/* Replaced by garbage that cannot be opened: TEMPFAIL again. */
	write_file(tpath(file), "this is not a table\n", 20);
	check_get(d, "key", DICT_TEMPFAIL, NULL);
	ok(build(type, "re", "key third\n", &dg, &why) == 0,
	    "%s: rebuild after garbage", type);
	check_get(d, "key", DICT_FOUND, "third");
	dict_close(&d);
	buf_fini(&dg.text);
}

static void
test_tempfail_reason(void)
{
	struct diags dg;
	struct why why = { "" };
	struct dict *d;
	struct buf v;
	char want[1024];

	buf_init(&dg.text, 1 << 16);
	build("hash", "gone", "a b\n", &dg, &why);
	d = open_ok("hash", "gone");
	unlink(tpath("gone.db"));
	buf_init(&v, 100);
	is_int(dict_get(d, span_str("a"), &v, &why), DICT_TEMPFAIL,
	    "deleted table file: TEMPFAIL");
	snprintf(want, sizeof(want), "hash:%s: %s: No such file or directory",
	    tpath("gone"), tpath("gone.db"));
	is_str(why.msg, want, "reason names table and file");
	dict_close(&d);

	snprintf(want, sizeof(want), "hash:%s", tpath("missing"));
	d = dict_open(want, &why);
	ok(d == NULL, "missing hash file: open fails");
	snprintf(want, sizeof(want), "hash:%s: %s: No such file or directory",
	    tpath("missing"), tpath("missing.db"));
	is_str(why.msg, want, "missing file reason");
	snprintf(want, sizeof(want), "lmdb:%s", tpath("missing"));
	d = dict_open(want, &why);
	ok(d == NULL, "missing lmdb file: open fails");
	snprintf(want, sizeof(want), "lmdb:%s: %s: No such file or directory",
	    tpath("missing"), tpath("missing.lmdb"));
	is_str(why.msg, want, "missing lmdb file reason");
	buf_fini(&v);
	buf_fini(&dg.text);
}

/* Write NAME.db as Postfix's postmap does: DB_HASH, NUL-terminated. */
static int
write_bdb(const char *name, const char *const *kv, size_t nul)
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
	for (i = 0; ret == 0 && kv[i] != NULL; i += 2) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = (void *)kv[i];
		k.size = (u_int32_t)(strlen(kv[i]) + nul);
		v.data = (void *)kv[i + 1];
		v.size = (u_int32_t)(strlen(kv[i + 1]) + nul);
		ret = db->put(db, NULL, &k, &v, 0);
	}
	if (db->close(db, 0) != 0)
		ret = -1;
	return ret == 0 ? 0 : -1;
}

/* Write NAME.lmdb as Postfix's lmdb: tables are, with or without NUL. */
static int
write_lmdb(const char *name, const char *const *kv, size_t nul)
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
	/* No lock file: this is the only process using it. */
	rc = mdb_env_open(env, tpath(name), MDB_NOSUBDIR | MDB_NOLOCK, 0644);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		mdb_txn_abort(txn);
	for (i = 0; rc == 0 && kv[i] != NULL; i += 2) {
		k.mv_data = (void *)kv[i];
		k.mv_size = strlen(kv[i]) + nul;
		v.mv_data = (void *)kv[i + 1];
		v.mv_size = strlen(kv[i + 1]) + nul;
		if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
			mdb_txn_abort(txn);
	}
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	mdb_env_close(env);
	return rc == 0 ? 0 : -1;
}

static const char *const pf_entries[] = {
	"postmaster@example.com", "root",
	"user@example.com", "user@mailhost.example.com, other",
	"example.org", "OK",
	NULL,
};

static void
check_pf_entries(struct dict *d)
{
	check_get(d, "Postmaster@Example.COM", DICT_FOUND, "root");
	check_get(d, "user@example.com", DICT_FOUND,
	    "user@mailhost.example.com, other");
	check_get(d, "EXAMPLE.ORG", DICT_FOUND, "OK");
	check_get(d, "example.net", DICT_NOTFOUND, NULL);
	check_get(d, "example", DICT_NOTFOUND, NULL);
}

static void
test_postfix_hash(void)
{
	struct dict *d;

	ok(write_bdb("pf-nul.db", pf_entries, 1) == 0,
	    "Postfix-format hash fixture (trailing NUL) written");
	if ((d = open_ok("hash", "pf-nul")) != NULL)
		check_pf_entries(d);
	dict_close(&d);
	ok(write_bdb("pf-raw.db", pf_entries, 0) == 0,
	    "hash fixture without NUL written");
	if ((d = open_ok("hash", "pf-raw")) != NULL)
		check_pf_entries(d);
	dict_close(&d);
}

static void
test_postfix_lmdb(void)
{
	struct dict *d;

	ok(write_lmdb("pf-nul.lmdb", pf_entries, 1) == 0,
	    "Postfix-format lmdb fixture (trailing NUL) written");
	if ((d = open_ok("lmdb", "pf-nul")) != NULL)
		check_pf_entries(d);
	dict_close(&d);
	ok(write_lmdb("pf-raw.lmdb", pf_entries, 0) == 0,
	    "lmdb fixture without NUL written");
	if ((d = open_ok("lmdb", "pf-raw")) != NULL)
		check_pf_entries(d);
	dict_close(&d);
}

/* Run Postfix's own postmap on a text file, when it is installed. */
static void
test_postmap(void)
{
	static const char postmap[] = "/usr/sbin/postmap";
	char arg[600];
	struct dict *d;
	int status = -1;
	pid_t pid;

	if (access(postmap, X_OK) != 0) {
		ok(1, "# SKIP %s is not installed", postmap);
		return;
	}
	write_file(tpath("pm"), "Alias@Example.COM target, two\n", 30);
	snprintf(arg, sizeof(arg), "hash:%s", tpath("pm"));
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execl(postmap, "postmap", arg, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "postmap ran");
	if ((d = open_ok("hash", "pm")) != NULL)
		check_get(d, "alias@example.com", DICT_FOUND, "target, two");
	dict_close(&d);
}

static bool
tmp_files_left(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	bool found = false;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp.") != NULL)
			found = true;
	if (d != NULL)
		closedir(d);
	return found;
}

static void
add_long(struct buf *b, const char *key, size_t klen, size_t vlen)
{
	size_t i;

	buf_adds(b, key);
	for (i = 0; i < klen; i++)
		buf_addc(b, 'k');
	buf_addc(b, ' ');
	for (i = 0; i < vlen; i++)
		buf_addc(b, 'v');
	buf_addc(b, '\n');
}

/* A text with one error of every kind; nothing may be replaced. */
static void
test_build_errors(const char *type)
{
	const char *db = strcmp(type, "hash") == 0 ? "err.db" : "err.lmdb";
	struct dict_build_report rep = { collect, NULL, 0, 0, 0 };
	struct diags dg;
	struct why why = { "" };
	struct stat before;
	struct stat after;
	struct buf text;
	struct buf want;
	struct dict *d;
	char p[512];

	snprintf(p, sizeof(p), "%s", tpath("err"));
	buf_init(&dg.text, 1 << 16);
	rep.arg = &dg;
	ok(build(type, "err", "a 1\nb 2\n", &dg, &why) == 0, "%s: good build",
	    type);
	stat(tpath(db), &before);
	buf_init(&text, 1 << 20);
	buf_adds(&text, "a 9\nnovalue\n# comment\n");
	add_long(&text, "", 1025, 1);
	add_long(&text, "c", 0, 65537);
	buf_add(&text, "d\0 e\nA 10\n", 10);
	write_file(p, text.p, text.len);
	ok(dict_build(type, p, &rep, &why) == -1, "%s: bad text refused",
	    type);
	buf_init(&want, 1 << 16);
	buf_addf(&want, "%s:2: expected format: key whitespace value\n"
	    "%s:4: key is longer than 1024 bytes\n"
	    "%s:5: value is longer than 65536 bytes\n"
	    "%s:6: NUL byte in line\n"
	    "warning: %s:7: duplicate entry A, keeping the first\n",
	    p, p, p, p, p);
	is_str(buf_str(&dg.text), buf_str(&want), "%s: every bad line", type);
	ok(rep.errors == 4 && rep.warnings == 1, "%s: counts", type);
	buf_reset(&want);
	buf_addf(&want, "%s: 4 errors, %s table not changed", p, type);
	is_str(why.msg, buf_str(&want), "%s: reason", type);
	stat(tpath(db), &after);
	ok(before.st_ino == after.st_ino &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec &&
	    before.st_size == after.st_size, "%s: old table untouched", type);
	ok(!tmp_files_left(), "%s: no temporary file left", type);
	if ((d = open_ok(type, "err")) != NULL)
		check_get(d, "a", DICT_FOUND, "1");
	dict_close(&d);

	ok(build(type, "err", " orphan x\nz 1\n", &dg, &why) == -1,
	    "%s: orphan continuation refused", type);
	buf_reset(&want);
	buf_addf(&want, "%s:1: continuation line without a preceding "
	    "entry\n", p);
	is_str(buf_str(&dg.text), buf_str(&want), "%s: orphan line", type);

	/* LMDB holds shorter keys than the text format allows. */
	buf_reset(&text);
	add_long(&text, "ok 1\n", 600, 1);
	write_file(p, text.p, text.len);
	buf_reset(&dg.text);
	if (strcmp(type, "lmdb") == 0) {
		ok(dict_build(type, p, &rep, &why) == -1, "lmdb: 600-byte key "
		    "refused");
		buf_reset(&want);
		buf_addf(&want, "%s:2: key is longer than 510 bytes (the "
		    "lmdb: limit)\n", p);
		is_str(buf_str(&dg.text), buf_str(&want), "lmdb: key limit");
	} else {
		ok(dict_build(type, p, &rep, &why) == 0, "hash: 600-byte key "
		    "accepted");
	}
	buf_fini(&want);
	buf_fini(&text);
	buf_fini(&dg.text);
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
		db->close(db, 0);
	}
	ok(ret == 0 && v.size == 6, "raw hash: \"dup\\0\" -> \"first\\0\"");
}

static void
test_build_misc(void)
{
	struct diags dg;
	struct why why = { "" };
	struct dict *d;
	struct stat st;
	char want[1024];

	buf_init(&dg.text, 1 << 16);
	ok(build("hash", "misc", "Dup first\r\ndup second\r\n\r\nx a\r\n  b",
	    &dg, &why) == 0, "duplicates, CRLF, no final newline: built");
	snprintf(want, sizeof(want), "warning: %s:2: duplicate entry dup, "
	    "keeping the first\n", tpath("misc"));
	is_str(buf_str(&dg.text), want, "duplicate warning");
	if ((d = open_ok("hash", "misc")) != NULL) {
		check_get(d, "DUP", DICT_FOUND, "first");
		check_get(d, "x", DICT_FOUND, "a b");
	}
	dict_close(&d);
	check_raw_hash();
	ok(stat(tpath("misc.db"), &st) == 0 && (st.st_mode & 07777) == 0644,
	    "table file mode 0644");

	ok(build("lmdb", "empty", "# nothing\n", &dg, &why) == 0,
	    "empty lmdb table built");
	if ((d = open_ok("lmdb", "empty")) != NULL)
		check_get(d, "x", DICT_NOTFOUND, NULL);
	dict_close(&d);

	ok(dict_build("hash", tpath("nonexistent"), NULL, &why) == -1,
	    "missing text file refused");
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    tpath("nonexistent"));
	is_str(why.msg, want, "missing text file reason");
	ok(build("btree", "misc", "a b\n", &dg, &why) == -1,
	    "unsupported build type refused");
	is_str(why.msg, "btree: unsupported table type", "reason");
	buf_fini(&dg.text);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_inline();
	test_static_and_types();
	test_value_limit();
	test_big("hash");
	test_big("lmdb");
	test_reopen("hash");
	test_reopen("lmdb");
	test_tempfail_reason();
	test_postfix_hash();
	test_postfix_lmdb();
	test_postmap();
	test_build_errors("hash");
	test_build_errors("lmdb");
	test_build_misc();
	remove_tmpdir();
	return done_testing();
}
