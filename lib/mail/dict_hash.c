/*
 * dict_hash.c - hash: tables, Berkeley DB 5.3 DB_HASH files in Postfix's
 * postmap format (keys and values carry a trailing NUL): the reader that
 * serves lookups and the writer that dict_build uses.
 * Linked into: every program that links dict; the writer runs in postern
 * (map).  Trust: table files are admin-written and replaced only by
 * rename; a file that cannot be read is a temporary failure, never "not
 * found".
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <db.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_impl.h"

/* Cache for building, as Postfix's dict_db_cache_size default. */
#define HASH_BUILD_CACHE (16U * 1024 * 1024)

struct hash_table {
	char *path;		/* owned: FILE.db */
	DB *db;			/* owned; NULL after a failed reopen */
	struct dict_fid id;	/* of the file db has open */
};

struct hash_writer {
	DB *db;			/* owned */
	char *path;		/* owned: the temporary file */
};

/* Berkeley DB would print its own messages; db_strerror() is enough. */
static void
quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	(void)msg;
}

/* A DB handle for path, or NULL with why. */
static DB *
hash_db_new(const char *path, struct why *why)
{
	DB *db;
	int ret;

	if ((ret = db_create(&db, NULL, 0)) != 0) {
		why_set(why, "%s: db_create: %s", path, db_strerror(ret));
		return NULL;
	}
	db->set_errcall(db, quiet);
	return db;
}

static int
hash_load(struct hash_table *h, struct why *why)
{
	DB *db;
	int fd;
	int ret;

	if ((db = hash_db_new(h->path, why)) == NULL)
		return -1;
	ret = db->open(db, NULL, h->path, NULL, DB_HASH, DB_RDONLY, 0);
	if (ret == 0)
		ret = db->fd(db, &fd);
	if (ret != 0) {
		/* What Berkeley DB says about a file in another format. */
		why_set(why, "%s: %s", h->path, ret == EINVAL ?
		    "not a Berkeley DB hash file" : db_strerror(ret));
		db->close(db, 0);
		return -1;
	}
	if (dict_fid_get(fd, h->path, &h->id, why) == -1) {
		db->close(db, 0);
		return -1;
	}
	h->db = db;
	return 0;
}

static void
hash_unload(struct hash_table *h)
{
	if (h->db != NULL)
		h->db->close(h->db, 0);
	h->db = NULL;
}

/* Reopen the file when it was replaced (or an earlier reopen failed). */
static int
hash_refresh(struct hash_table *h, struct why *why)
{
	if (h->db != NULL) {
		switch (dict_fid_check(&h->id, h->path, why)) {
		case 0:
			return 0;
		case -1:
			return -1;
		}
		hash_unload(h);
	}
	return hash_load(h, why);
}

/* Look up exactly n bytes at k. */
static enum dict_res
hash_try(struct hash_table *h, const unsigned char *k, size_t n,
    struct buf *value_out, struct why *why)
{
	DBT key;
	DBT val;
	int ret;

	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k;
	key.size = (u_int32_t)n;
	ret = h->db->get(h->db, NULL, &key, &val, 0);
	if (ret == DB_NOTFOUND)
		return DICT_NOTFOUND;
	if (ret != 0) {
		why_set(why, "%s: %s", h->path, db_strerror(ret));
		return DICT_TEMPFAIL;
	}
	return dict_set_value(value_out, val.data, val.size, why);
}

static enum dict_res
hash_get(void *impl, struct span key, struct buf *value_out,
    struct why *why)
{
	struct hash_table *h = impl;
	enum dict_res res;

	if (hash_refresh(h, why) == -1)
		return DICT_TEMPFAIL;
	/* Postfix's format first (key.p[key.len] is NUL), then without. */
	res = hash_try(h, key.p, key.len + 1, value_out, why);
	if (res == DICT_NOTFOUND && key.len > 0)
		res = hash_try(h, key.p, key.len, value_out, why);
	return res;
}

static void
hash_close(void *impl)
{
	struct hash_table *h = impl;

	hash_unload(h);
	xfree(&h->path);
	xfree(&h);
}

static const struct dict_ops hash_ops = { hash_get, hash_close };

int
dict_hash_open(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why)
{
	struct hash_table *h;

	if (*arg == '\0')
		return why_set(why, "missing file name");
	h = xcalloc(1, sizeof(*h));
	h->path = dict_path(arg, ".db");
	if (hash_load(h, why) == -1) {
		hash_close(h);
		return -1;
	}
	*ops_out = &hash_ops;
	*impl_out = h;
	return 0;
}

static size_t
hash_max_key(void)
{
	return DICT_MAX_KEY + 1;
}

static void
hash_writer_free(struct hash_writer *w, u_int32_t flags)
{
	if (w->db != NULL)
		w->db->close(w->db, flags);
	xfree(&w->path);
	xfree(&w);
}

static void *
hash_create(const char *tmp, size_t entries, size_t size_hint,
    struct why *why)
{
	struct hash_writer *w;
	int ret;

	(void)size_hint;
	w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(tmp);
	if ((w->db = hash_db_new(tmp, why)) == NULL) {
		hash_writer_free(w, 0);
		return NULL;
	}
	ret = w->db->set_cachesize(w->db, 0, HASH_BUILD_CACHE, 0);
	/* Sizing the bucket array up front makes building much faster. */
	if (ret == 0 && entries > 0 && entries < UINT32_MAX)
		ret = w->db->set_h_nelem(w->db, (u_int32_t)entries);
	if (ret == 0)
		ret = w->db->open(w->db, NULL, tmp, NULL, DB_HASH, DB_CREATE,
		    0644);
	if (ret != 0) {
		why_set(why, "%s: %s", tmp, db_strerror(ret));
		hash_writer_free(w, DB_NOSYNC);
		return NULL;
	}
	return w;
}

static enum dict_wres
hash_put(void *wp, struct span key, struct span value, struct why *why)
{
	struct hash_writer *w = wp;
	DBT k;
	DBT v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key.p;
	k.size = (u_int32_t)key.len;
	v.data = (void *)value.p;
	v.size = (u_int32_t)value.len;
	ret = w->db->put(w->db, NULL, &k, &v, DB_NOOVERWRITE);
	if (ret != 0) {
		why_set(why, "%s: %s", w->path, db_strerror(ret));
		return DICT_W_ERROR;
	}
	return DICT_W_OK;
}

static enum dict_wres
hash_commit(void *wp, struct why *why)
{
	struct hash_writer *w = wp;
	int ret;

	/* close() writes every page out; the caller fsyncs the file. */
	ret = w->db->close(w->db, 0);
	w->db = NULL;
	if (ret != 0)
		why_set(why, "%s: %s", w->path, db_strerror(ret));
	hash_writer_free(w, 0);
	return ret == 0 ? DICT_W_OK : DICT_W_ERROR;
}

static void
hash_abort(void *wp)
{
	hash_writer_free(wp, DB_NOSYNC);
}

const struct dict_writer_ops dict_hash_writer = {
	"hash", ".db", hash_max_key, hash_create, hash_put, hash_commit,
	hash_abort,
};
