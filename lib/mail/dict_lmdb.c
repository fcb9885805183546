/*
 * dict_lmdb.c - lmdb: tables, single-file LMDB environments (MDB_NOSUBDIR)
 * with keys and values carrying a trailing NUL as Postfix writes them:
 * the reader that serves lookups and the writer that dict_build uses.
 * Linked into: every program that links dict; the writer runs in postern
 * (map).  Trust: table files are admin-written and only ever replaced by
 * rename, which is why readers map them with MDB_NOLOCK (a file that is
 * truncated in place while mapped would fault); errors are temporary
 * failures, never "not found".
 */
#include <stdint.h>
#include <string.h>

#include <lmdb.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_impl.h"

/* Map sizes are rounded up to this (a multiple of any page size). */
#define LMDB_MAP_UNIT ((size_t)1 << 20)

struct lmdb_table {
	char *path;		/* owned: FILE.lmdb */
	MDB_env *env;		/* owned; NULL after a failed reopen */
	MDB_dbi dbi;
	size_t max_key;		/* longest key the env can hold */
	struct dict_fid id;	/* of the file env has open */
};

struct lmdb_writer {
	MDB_env *env;		/* owned */
	MDB_txn *txn;		/* owned; the one write transaction */
	MDB_dbi dbi;
	char *path;		/* owned: the temporary file */
};

/* Open the main database of env in a transaction of txn_flags. */
static int
lmdb_begin(MDB_env *env, unsigned int txn_flags, MDB_txn **txn_out,
    MDB_dbi *dbi_out)
{
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, txn_flags, txn_out)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(*txn_out, NULL, 0, dbi_out)) != 0)
		mdb_txn_abort(*txn_out);
	return rc;
}

/* An environment on path, or NULL with why. */
static MDB_env *
lmdb_env_open(const char *path, size_t mapsize, unsigned int flags,
    struct why *why)
{
	MDB_env *env;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0) {
		why_set(why, "%s: %s", path, mdb_strerror(rc));
		return NULL;
	}
	if (mapsize > 0)
		rc = mdb_env_set_mapsize(env, mapsize);
	if (rc == 0)
		rc = mdb_env_open(env, path, flags | MDB_NOSUBDIR | MDB_NOLOCK,
		    0644);
	if (rc != 0) {
		why_set(why, "%s: %s", path, mdb_strerror(rc));
		mdb_env_close(env);
		return NULL;
	}
	return env;
}

static int
lmdb_load(struct lmdb_table *t, struct why *why)
{
	MDB_env *env;
	MDB_txn *txn;
	int fd;
	int rc;

	if ((env = lmdb_env_open(t->path, 0, MDB_RDONLY, why)) == NULL)
		return -1;
	rc = mdb_env_get_fd(env, &fd);
	if (rc == 0 && (rc = lmdb_begin(env, MDB_RDONLY, &txn, &t->dbi)) == 0)
		rc = mdb_txn_commit(txn);	/* keeps the dbi handle */
	if (rc != 0) {
		why_set(why, "%s: %s", t->path, mdb_strerror(rc));
		mdb_env_close(env);
		return -1;
	}
	if (dict_fid_get(fd, t->path, &t->id, why) == -1) {
		mdb_env_close(env);
		return -1;
	}
	t->max_key = (size_t)mdb_env_get_maxkeysize(env);
	t->env = env;
	return 0;
}

static void
lmdb_unload(struct lmdb_table *t)
{
	if (t->env != NULL)
		mdb_env_close(t->env);
	t->env = NULL;
}

/* Reopen the file when it was replaced (or an earlier reopen failed). */
static int
lmdb_refresh(struct lmdb_table *t, struct why *why)
{
	if (t->env != NULL) {
		switch (dict_fid_check(&t->id, t->path, why)) {
		case 0:
			return 0;
		case -1:
			return -1;
		}
		lmdb_unload(t);
	}
	return lmdb_load(t, why);
}

/* Look up exactly n bytes at k in txn. */
static enum dict_res
lmdb_try(struct lmdb_table *t, MDB_txn *txn, const unsigned char *k,
    size_t n, struct buf *value_out, struct why *why)
{
	MDB_val key = { n, (void *)k };
	MDB_val val;
	int rc;

	/* LMDB refuses empty and over-long keys; neither can be stored. */
	if (n == 0 || n > t->max_key)
		return DICT_NOTFOUND;
	rc = mdb_get(txn, t->dbi, &key, &val);
	if (rc == MDB_NOTFOUND)
		return DICT_NOTFOUND;
	if (rc != 0) {
		why_set(why, "%s: %s", t->path, mdb_strerror(rc));
		return DICT_TEMPFAIL;
	}
	return dict_set_value(value_out, val.mv_data, val.mv_size, why);
}

static enum dict_res
lmdb_get(void *impl, struct span key, struct buf *value_out,
    struct why *why)
{
	struct lmdb_table *t = impl;
	enum dict_res res;
	MDB_txn *txn;
	int rc;

	if (lmdb_refresh(t, why) == -1)
		return DICT_TEMPFAIL;
	if ((rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn)) != 0) {
		why_set(why, "%s: %s", t->path, mdb_strerror(rc));
		return DICT_TEMPFAIL;
	}
	/* Postfix's format first (key.p[key.len] is NUL), then without. */
	res = lmdb_try(t, txn, key.p, key.len + 1, value_out, why);
	if (res == DICT_NOTFOUND)
		res = lmdb_try(t, txn, key.p, key.len, value_out, why);
	mdb_txn_abort(txn);
	return res;
}

static void
lmdb_close(void *impl)
{
	struct lmdb_table *t = impl;

	lmdb_unload(t);
	xfree(&t->path);
	xfree(&t);
}

static const struct dict_ops lmdb_ops = { lmdb_get, lmdb_close };

int
dict_lmdb_open(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why)
{
	struct lmdb_table *t;

	if (*arg == '\0')
		return why_set(why, "missing file name");
	t = xcalloc(1, sizeof(*t));
	t->path = dict_path(arg, ".lmdb");
	if (lmdb_load(t, why) == -1) {
		lmdb_close(t);
		return -1;
	}
	*ops_out = &lmdb_ops;
	*impl_out = t;
	return 0;
}

static size_t
lmdb_max_key(void)
{
	MDB_env *env;
	size_t n = 0;

	/* A compile-time constant of the library, but only asked via env. */
	if (mdb_env_create(&env) == 0) {
		n = (size_t)mdb_env_get_maxkeysize(env);
		mdb_env_close(env);
	}
	return n;
}

static void
lmdb_writer_free(struct lmdb_writer *w)
{
	if (w->txn != NULL)
		mdb_txn_abort(w->txn);
	if (w->env != NULL)
		mdb_env_close(w->env);
	xfree(&w->path);
	xfree(&w);
}

static void *
lmdb_create(const char *tmp, size_t entries, size_t size_hint,
    struct why *why)
{
	struct lmdb_writer *w;
	size_t mapsize;
	int rc;

	(void)entries;
	mapsize = size_hint / LMDB_MAP_UNIT + 1;
	mapsize = mapsize > SIZE_MAX / LMDB_MAP_UNIT ? SIZE_MAX / 2 + 1 :
	    mapsize * LMDB_MAP_UNIT;
	w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(tmp);
	if ((w->env = lmdb_env_open(tmp, mapsize, 0, why)) == NULL) {
		lmdb_writer_free(w);
		return NULL;
	}
	if ((rc = lmdb_begin(w->env, 0, &w->txn, &w->dbi)) != 0) {
		w->txn = NULL;
		why_set(why, "%s: %s", tmp, mdb_strerror(rc));
		lmdb_writer_free(w);
		return NULL;
	}
	return w;
}

static enum dict_wres
lmdb_put(void *wp, struct span key, struct span value, struct why *why)
{
	struct lmdb_writer *w = wp;
	MDB_val k = { key.len, (void *)key.p };
	MDB_val v = { value.len, (void *)value.p };
	int rc;

	rc = mdb_put(w->txn, w->dbi, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_MAP_FULL)
		return DICT_W_FULL;
	if (rc != 0) {
		why_set(why, "%s: %s", w->path, mdb_strerror(rc));
		return DICT_W_ERROR;
	}
	return DICT_W_OK;
}

static enum dict_wres
lmdb_commit(void *wp, struct why *why)
{
	struct lmdb_writer *w = wp;
	int rc;

	/* The transaction is gone after commit, whatever it returns. */
	rc = mdb_txn_commit(w->txn);
	w->txn = NULL;
	if (rc != 0 && rc != MDB_MAP_FULL)
		why_set(why, "%s: %s", w->path, mdb_strerror(rc));
	lmdb_writer_free(w);
	if (rc == MDB_MAP_FULL)
		return DICT_W_FULL;
	return rc == 0 ? DICT_W_OK : DICT_W_ERROR;
}

static void
lmdb_abort(void *wp)
{
	lmdb_writer_free(wp);
}

const struct dict_writer_ops dict_lmdb_writer = {
	"lmdb", ".lmdb", lmdb_max_key, lmdb_create, lmdb_put, lmdb_commit,
	lmdb_abort,
};
