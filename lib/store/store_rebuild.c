/*
 * store_rebuild.c - make a new index from the message files: mailboxes
 * are the directories mbox/ID (named by their "name" file), UIDs and
 * GUIDs are the file names "UID.GUID", INTERNALDATE the files' mtime.
 * What only the old index knew (UIDVALIDITY, flags, keywords, MODSEQ,
 * roles, subscriptions) is kept when the old index is readable; else
 * every mailbox gets a new UIDVALIDITY.  The new index is built beside
 * the old one and renamed over it.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * files and the old index may be damaged; names are parsed strictly.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "mail/msgcache.h"
#include "store/store_impl.h"

/* Messages put into the new index per transaction. */
#define BATCH 500

/* Parse "UID.GUID" (32 lower-case hex digits). */
static int
parse_name(const char *name, uint32_t *uid, unsigned char guid[16])
{
	const char *dot = strchr(name, '.');
	uint64_t v;

	if (dot == NULL || strlen(dot + 1) != 32 ||
	    parse_u64(span_make(name, (size_t)(dot - name)), 1,
		UINT32_MAX - 1, &v) == -1)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned b = 0;

		for (int j = 0; j < 2; j++) {
			char c = dot[1 + 2 * i + j];

			if (c >= '0' && c <= '9')
				b = b * 16 + (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				b = b * 16 + (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		guid[i] = (unsigned char)b;
	}
	*uid = (uint32_t)v;
	return 0;
}

/* An environment outside the registry (the old or the new index). */
static int
env_at(struct store_env *e, const char *path, unsigned flags, uint64_t size)
{
	static const char *const names[DB_COUNT] = { "meta", "mbox",
		"mboxid", "msg", "cache", "mseq", "gone", "subs" };
	MDB_txn *t = NULL;
	int rc;

	if ((rc = mdb_env_create(&e->env)) != 0)
		return rc;
	mdb_env_set_maxdbs(e->env, DB_COUNT);
	mdb_env_set_mapsize(e->env, (size_t)size);
	rc = mdb_env_open(e->env, path, MDB_NOTLS | flags, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(e->env, NULL, flags & MDB_RDONLY, &t);
	for (int i = 0; rc == 0 && i < DB_COUNT; i++)
		rc = mdb_dbi_open(t, names[i], flags & MDB_RDONLY ? 0 :
								  MDB_CREATE,
		    &e->dbi[i]);
	if (rc == 0)
		rc = mdb_txn_commit(t);
	else if (t != NULL)
		mdb_txn_abort(t);
	if (rc != 0) {
		mdb_env_close(e->env);
		e->env = NULL;
	}
	return rc;
}

struct rebuild {
	struct store old;		/* e NULL when unreadable */
	struct store_env olde;
	struct store new;
	struct store_env newe;
	MDB_txn *t;			/* the open write transaction */
	size_t batch;
};

/* A mailbox's record: from the old index, else from its name file. */
static enum store_res
mailbox_for(struct rebuild *rb, uint32_t id, struct store_mailbox *m,
    struct why *why)
{
	MDB_txn *t;
	struct buf name;
	char path[4200];
	bool have = false;

	if (rb->old.e != NULL && store_txn(&rb->old, false, &t, why) ==
				     STORE_OK) {
		have = store_mbox_load_id(&rb->old, t, id, m, why) == STORE_OK;
		mdb_txn_abort(t);
	}
	if (!have) {
		memset(m, 0, sizeof(*m));
		buf_init(&name, STORE_MAX_NAME);
		store_path_mbox(&rb->new, id, "name", path, sizeof(path));
		if (file_read(path, &name, why) != 0 ||
		    !store_name_ok(buf_str(&name)))
			snprintf(m->name, sizeof(m->name), "Recovered/%u", id);
		else
			snprintf(m->name, sizeof(m->name), "%s", buf_str(&name));
		buf_fini(&name);
		m->highestmodseq = 1;
		if (store_meta_next(&rb->new, rb->t, "uidvalidity",
			(uint32_t)time(NULL), &m->uidvalidity, why) != STORE_OK)
			return STORE_TEMP;
	}
	m->id = id;
	m->messages = m->unseen = m->recent = 0;
	m->size = 0;
	m->uidnext = 1;
	m->noselect = false;
	return STORE_OK;
}

/* What the old index said about a file's flags, when it matches. */
static void
old_flags(struct rebuild *rb, uint32_t id, struct store_msg *m)
{
	MDB_txn *t;
	struct store_msg o;
	struct why why;

	if (rb->old.e == NULL || store_txn(&rb->old, false, &t, &why) !=
				     STORE_OK)
		return;
	if (store_msg_load(&rb->old, t, id, m->uid, &o, &why) == STORE_OK &&
	    memcmp(o.guid, m->guid, 16) == 0) {
		m->flags = o.flags;
		m->keywords = o.keywords;
	}
	mdb_txn_abort(t);
}

static enum store_res
next_batch(struct rebuild *rb, struct why *why)
{
	enum store_res r;

	if (++rb->batch < BATCH)
		return STORE_OK;
	rb->batch = 0;
	if ((r = store_commit(rb->t, why)) != STORE_OK) {
		rb->t = NULL;
		return r;
	}
	return store_txn(&rb->new, true, &rb->t, why);
}

static enum store_res
add_file(struct rebuild *rb, struct store_mailbox *m, int dfd,
    const char *fname, struct why *why)
{
	struct store_msg msg = { 0 };
	struct store_key k;
	struct buf text;
	struct buf cache;
	struct stat st;
	char path[4200];
	MDB_val cv;
	enum store_res r;

	if (parse_name(fname, &msg.uid, msg.guid) == -1 ||
	    fstatat(dfd, fname, &st, 0) == -1 || !S_ISREG(st.st_mode))
		return STORE_OK;
	/* A second file for one UID (an unacknowledged orphan) waits. */
	if (msg.uid < m->uidnext)
		return STORE_OK;
	msg.size = (uint64_t)st.st_size;
	msg.internaldate = st.st_mtime;
	msg.modseq = m->highestmodseq + 1;
	old_flags(rb, m->id, &msg);
	m->uidnext = msg.uid + 1;
	store_count_in(m, &msg);
	if ((r = store_msg_put(&rb->new, rb->t, m->id, &msg, why)) != STORE_OK)
		return r;
	store_path_mbox(&rb->new, m->id, fname, path, sizeof(path));
	buf_init(&text, (size_t)st.st_size + 1);
	buf_init(&cache, 4 * 1024 * 1024);
	if (file_read(path, &text, why) == 0 &&
	    msgcache_build(buf_span(&text), &cache, why) == 0) {
		store_key_msg(&k, m->id, msg.uid);
		cv.mv_size = cache.len;
		cv.mv_data = cache.p;
		r = store_mdb(mdb_put(rb->t, rb->new.e->dbi[DB_CACHE], &k.v,
				  &cv, 0), "cache", why);
	}
	buf_fini(&text);
	buf_fini(&cache);
	return r == STORE_OK ? next_batch(rb, why) : r;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint64_t x = strtoull(*(char *const *)a, NULL, 10);
	uint64_t y = strtoull(*(char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

/* The files of one mailbox directory, in UID order. */
static enum store_res
add_mailbox(struct rebuild *rb, uint32_t id, struct store_usage *u,
    struct why *why)
{
	struct store_mailbox m;
	char path[4200];
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	enum store_res r = mailbox_for(rb, id, &m, why);

	store_path_mbox(&rb->new, id, "", path, sizeof(path));
	if (r != STORE_OK || (d = opendir(path)) == NULL)
		return r;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9') {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xstrdup(de->d_name);
		}
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_uid);
	for (size_t i = 0; i < n; i++) {
		if (r == STORE_OK)
			r = add_file(rb, &m, dirfd(d), names[i], why);
		free(names[i]);
	}
	free(names);
	closedir(d);
	m.highestmodseq++;
	m.first_recent = m.uidnext;
	u->bytes += m.size;
	u->messages += m.messages;
	return r == STORE_OK ? store_mbox_save(&rb->new, rb->t, &m, why) : r;
}

/* Subscriptions, and the id counter above every id seen. */
static enum store_res
finish_meta(struct rebuild *rb, uint32_t maxid, struct why *why)
{
	uint32_t v;
	enum store_res r = store_meta_next(&rb->new, rb->t, "nextid", maxid,
	    &v, why);
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k;
	MDB_val val;

	if (r == STORE_OK)
		r = store_meta_next(&rb->new, rb->t, "version", STORE_VERSION,
		    &v, why);
	if (r != STORE_OK || rb->old.e == NULL ||
	    store_txn(&rb->old, false, &t, why) != STORE_OK)
		return r;
	if (mdb_cursor_open(t, rb->olde.dbi[DB_SUBS], &c) == 0) {
		while (r == STORE_OK &&
		       mdb_cursor_get(c, &k, &val, MDB_NEXT) == 0)
			r = store_mdb(mdb_put(rb->t, rb->newe.dbi[DB_SUBS], &k,
					  &val, 0), "subscribe", why);
		mdb_cursor_close(c);
	}
	mdb_txn_abort(t);
	return r;
}

static enum store_res
build(struct rebuild *rb, const char *dir, struct why *why)
{
	struct store_usage u = { 0, 0 };
	char path[4300];
	uint32_t maxid = 0;
	DIR *d;
	struct dirent *de;
	enum store_res r = store_txn(&rb->new, true, &rb->t, why);

	snprintf(path, sizeof(path), "%s/mbox", dir);
	if (r == STORE_OK && (d = opendir(path)) == NULL)
		r = (why_syserr(why, "opendir %s", path), STORE_TEMP);
	if (r != STORE_OK)
		return r;
	while (r == STORE_OK && (de = readdir(d)) != NULL) {
		uint64_t id;

		if (parse_u64(span_str(de->d_name), 1, UINT32_MAX - 1, &id) ==
		    -1)
			continue;
		maxid = (uint32_t)id > maxid ? (uint32_t)id : maxid;
		r = add_mailbox(rb, (uint32_t)id, &u, why);
	}
	closedir(d);
	if (r == STORE_OK)
		r = store_usage_put(&rb->new, rb->t, &u, why);
	if (r == STORE_OK)
		r = finish_meta(rb, maxid, why);
	if (rb->t != NULL)
		r = r == STORE_OK ? store_commit(rb->t, why) :
				    (mdb_txn_abort(rb->t), r);
	return r;
}

/* Put the new index in place of the old one, whose files go. */
static enum store_res
swap(const char *dir, struct why *why)
{
	char cur[4300];
	char fresh[4300];
	char old[4300];
	char file[4400];
	const char *files[] = { "data.mdb", "lock.mdb", "damaged" };

	snprintf(cur, sizeof(cur), "%s/index", dir);
	snprintf(fresh, sizeof(fresh), "%s/index.new", dir);
	snprintf(old, sizeof(old), "%s/index.old", dir);
	if (rename(cur, old) == -1 && errno != ENOENT)
		return why_syserr(why, "rename %s", cur), STORE_TEMP;
	if (rename(fresh, cur) == -1)
		return why_syserr(why, "rename %s", fresh), STORE_TEMP;
	for (size_t i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s/%s", old, files[i]);
		unlink(file);
	}
	rmdir(old);
	return file_sync_dir(cur, why) == 0 ? STORE_OK : STORE_TEMP;
}

/* An empty directory for the new index. */
static int
fresh_dir(const char *path, struct why *why)
{
	char f[4400];

	snprintf(f, sizeof(f), "%s/data.mdb", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s/lock.mdb", path);
	unlink(f);
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return why_syserr(why, "mkdir %s", path);
	return 0;
}

enum store_res
store_rebuild(const struct store_conf *conf, const char *user,
    struct why *why)
{
	struct rebuild *rb;
	struct buf rel;
	char dir[4200];
	char path[4300];
	enum store_res r = STORE_TEMP;
	int rc;

	buf_init(&rel, 1024);
	if (store_user_dir(user, &rel) == -1) {
		buf_fini(&rel);
		return why_set(why, "bad user name"), STORE_TEMP;
	}
	snprintf(dir, sizeof(dir), "%s/%s", conf->root, buf_str(&rel));
	buf_fini(&rel);
	rb = xcalloc(1, sizeof(*rb));
	rb->olde.dir = rb->newe.dir = dir;
	rb->old.conf = rb->new.conf = conf;
	rb->new.e = &rb->newe;
	snprintf(path, sizeof(path), "%s/index", dir);
	if (env_at(&rb->olde, path, MDB_RDONLY, conf->index_size) == 0)
		rb->old.e = &rb->olde;
	snprintf(path, sizeof(path), "%s/index.new", dir);
	if (fresh_dir(path, why) == 0) {
		if ((rc = env_at(&rb->newe, path, 0, conf->index_size)) != 0)
			r = store_mdb(rc, "create", why);
		else {
			r = build(rb, dir, why);
			mdb_env_close(rb->newe.env);
		}
	}
	if (rb->old.e != NULL)
		mdb_env_close(rb->olde.env);
	if (r == STORE_OK)
		r = swap(dir, why);
	free(rb);
	return r;
}
