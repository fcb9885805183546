/*
 * store.c - open and close a user's store: where its directory is, the
 * per-process registry of LMDB environments, first-use set-up (INBOX and
 * the default mailboxes) and the checks made at open.
 * Linked into: lmtpd, imapd, pop3d, postern.  Runs as store_owner.
 * Trust: the user name comes from authd; the index may be damaged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xmem.h"
#include "mail/params.h"
#include "store/store_impl.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_env *registry;

static const char *const db_names[DB_COUNT] = { "meta", "mbox", "mboxid",
	"msg", "cache", "mseq", "gone", "subs" };

/* Bytes kept as they are in a directory name; the rest become %XX. */
static bool
plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    strchr("@._+-", c) != NULL;
}

int
store_user_dir(const char *user, struct buf *out)
{
	uint32_t h = 2166136261u;
	size_t n = strlen(user);

	if (n == 0 || n > 200)
		return -1;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)user[i]) * 16777619u;
	if (buf_addf(out, "%02x/%02x/", h & 0xff, (h >> 8) & 0xff) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)user[i];
		/* No "." or ".." as a name: a leading dot is encoded. */
		bool keep = plain_byte(c) && !(i == 0 && c == '.');

		if ((keep ? buf_addc(out, c) : buf_addf(out, "%%%02X", c)) ==
		    -1)
			return -1;
	}
	return 0;
}

int
store_user_name(const char *dirname, struct buf *out)
{
	for (size_t i = 0; dirname[i] != '\0'; i++) {
		unsigned v = 0;
		unsigned char c = (unsigned char)dirname[i];

		if (c != '%') {
			if (!plain_byte(c) || (i == 0 && c == '.') ||
			    buf_addc(out, c) == -1)
				return -1;
			continue;
		}
		for (int j = 1; j <= 2; j++) {
			char h = dirname[i + (size_t)j];

			if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F')))
				return -1;
			v = v * 16 + (unsigned)(h <= '9' ? h - '0' : h - 'A' + 10);
		}
		if (v == 0 || buf_addc(out, (int)v) == -1)
			return -1;
		i += 2;
	}
	return out->len > 0 ? 0 : -1;
}

void
store_conf_init(struct store_conf *conf, const struct params *p)
{
	conf->root = p->store_directory;
	conf->index_size = p->store_index_max_size;
	conf->sent = p->store_sent_mailbox;
	conf->drafts = p->store_drafts_mailbox;
	conf->trash = p->store_trash_mailbox;
	conf->junk = p->store_junk_mailbox;
}

static int
make_dirs(const char *root, const char *rel, struct why *why)
{
	char path[4096];
	const char *leaves[] = { "", "/index", "/tmp", "/mbox" };
	size_t rootlen = strlen(root);

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    (int)sizeof(path))
		return why_set(why, "store path too long");
	/* The two hash levels, then the user's own directories. */
	for (char *p = path + rootlen + 1; (p = strchr(p, '/')) != NULL;
	     p++) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return why_syserr(why, "mkdir %s", path);
		*p = '/';
	}
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		char sub[4200];

		snprintf(sub, sizeof(sub), "%s%s", path, leaves[i]);
		if (mkdir(sub, 0700) == -1 && errno != EEXIST)
			return why_syserr(why, "mkdir %s", sub);
	}
	return 0;
}

static enum store_res
open_dbs(struct store_env *e, struct why *why)
{
	MDB_txn *t;
	int rc = mdb_txn_begin(e->env, NULL, 0, &t);

	for (int i = 0; rc == 0 && i < DB_COUNT; i++)
		rc = mdb_dbi_open(t, db_names[i], MDB_CREATE, &e->dbi[i]);
	if (rc != 0) {
		if (t != NULL)
			mdb_txn_abort(t);
		return store_mdb(rc, "open", why);
	}
	return store_mdb(mdb_txn_commit(t), "open", why);
}

/* Open the environment of dir; STORE_NOTALLOWED means damaged. */
static enum store_res
env_open(struct store_env *e, uint64_t mapsize, struct why *why)
{
	char path[4200];
	int dead;
	int rc;

	snprintf(path, sizeof(path), "%s/index", e->dir);
	if ((rc = mdb_env_create(&e->env)) != 0)
		return store_mdb(rc, "create", why);
	mdb_env_set_maxdbs(e->env, DB_COUNT);
	mdb_env_set_mapsize(e->env, (size_t)mapsize);
	/* MDB_NOTLS: read transactions are not tied to a thread. */
	rc = mdb_env_open(e->env, path, MDB_NOTLS, 0600);
	if (rc == 0)
		mdb_reader_check(e->env, &dead);
	if (rc == 0 && open_dbs(e, why) == STORE_OK) {
		mdb_filehandle_t fd;
		struct stat st;

		if (mdb_env_get_fd(e->env, &fd) == 0 && fstat(fd, &st) == 0)
			e->ino = (uint64_t)st.st_ino;
		return STORE_OK;
	}
	mdb_env_close(e->env);
	e->env = NULL;
	if (rc == MDB_INVALID || rc == MDB_CORRUPTED ||
	    rc == MDB_VERSION_MISMATCH || rc == MDB_PAGE_NOTFOUND) {
		why_set(why, "index unreadable: %s", mdb_strerror(rc));
		return STORE_NOTALLOWED;
	}
	return rc != 0 ? store_mdb(rc, "open", why) : STORE_TEMP;
}

/* A new index: the version, then INBOX and the default mailboxes; nothing
 * when another process has done it meanwhile. */
static enum store_res
init_index(struct store *s, struct why *why)
{
	const struct { const char *name; enum store_role role; } boxes[] = {
		{ "INBOX", STORE_ROLE_NONE },
		{ s->conf->sent, STORE_ROLE_SENT },
		{ s->conf->drafts, STORE_ROLE_DRAFTS },
		{ s->conf->trash, STORE_ROLE_TRASH },
		{ s->conf->junk, STORE_ROLE_JUNK },
	};
	MDB_txn *t;
	MDB_val k = { 7, "version" };
	MDB_val v;
	uint32_t version;
	enum store_res r = store_txn(s, true, &t, why);

	if (r != STORE_OK)
		return r;
	/* Another process may have set it up since we looked: once only
	 * (a second set-up would move the version on). */
	if (mdb_get(t, s->e->dbi[DB_META], &k, &v) == 0) {
		mdb_txn_abort(t);
		return STORE_OK;
	}
	r = store_meta_next(s, t, "version", STORE_VERSION, &version, why);
	for (size_t i = 0; r == STORE_OK && i < 5; i++) {
		struct store_mailbox m;

		if (boxes[i].name == NULL || boxes[i].name[0] == '\0' ||
		    !store_name_ok(boxes[i].name))
			continue;
		r = store_mbox_make(s, t, boxes[i].name, boxes[i].role, &m,
		    why);
		if (r == STORE_OK && boxes[i].role != STORE_ROLE_NONE)
			r = store_subscribe_txn(s, t, boxes[i].name, true, why);
		if (r == STORE_EXISTS)
			r = STORE_OK;
	}
	if (r != STORE_OK) {
		mdb_txn_abort(t);
		return r;
	}
	return store_commit(t, why);
}

/* The checks made at every open: version, and every mailbox decodes. */
static enum store_res
check_open(struct store *s, bool *fresh, struct why *why)
{
	MDB_txn *t;
	MDB_val k = { 7, "version" };
	MDB_val v;
	MDB_cursor *c;
	enum store_res r = store_txn(s, false, &t, why);
	int rc;

	if (r != STORE_OK)
		return r;
	rc = mdb_get(t, s->e->dbi[DB_META], &k, &v);
	*fresh = rc == MDB_NOTFOUND;
	if (rc == 0 && (v.mv_size != 4 || store_le32(v.mv_data) !=
						 STORE_VERSION))
		r = STORE_NOTALLOWED;
	else if (rc != 0 && rc != MDB_NOTFOUND)
		r = store_mdb(rc, "version", why);
	if (r == STORE_OK && (rc = mdb_cursor_open(t, s->e->dbi[DB_MBOX],
				  &c)) == 0) {
		struct store_mailbox m;

		while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0)
			if (store_mbox_decode(v, &m) == -1 ||
			    k.mv_size > STORE_MAX_NAME)
				r = STORE_NOTALLOWED;
		mdb_cursor_close(c);
	}
	mdb_txn_abort(t);
	if (r == STORE_NOTALLOWED)
		why_set(why, "index fails its checks");
	return r;
}

/* Find or open the environment of dir (under the registry lock). */
static enum store_res
env_get(const struct store_conf *conf, const char *dir,
    struct store_env **out, struct why *why)
{
	struct store_env *e;
	enum store_res r;

	for (e = registry; e != NULL; e = e->next)
		if (strcmp(e->dir, dir) == 0 && !store_index_replaced(e)) {
			e->refs++;
			*out = e;
			return STORE_OK;
		}
	e = xcalloc(1, sizeof(*e));
	e->dir = xstrdup(dir);
	if ((r = env_open(e, conf->index_size, why)) != STORE_OK) {
		free(e->dir);
		free(e);
		return r;
	}
	e->refs = 1;
	e->registered = true;
	pthread_mutex_init(&e->append_lock, NULL);
	pthread_cond_init(&e->append_done, NULL);
	e->append_tail = &e->append_queue;
	e->next = registry;
	registry = e;
	*out = e;
	return STORE_OK;
}

static void
env_put(struct store_env *e)
{
	struct store_env **pp;

	pthread_mutex_lock(&registry_lock);
	if (--e->refs == 0) {
		for (pp = &registry; *pp != e; pp = &(*pp)->next)
			;
		*pp = e->next;
		pthread_cond_destroy(&e->append_done);
		pthread_mutex_destroy(&e->append_lock);
		mdb_env_close(e->env);
		free(e->dir);
		free(e);
	}
	pthread_mutex_unlock(&registry_lock);
}

/* Open once, rebuilding first when the index is marked or unreadable. */
static enum store_res
open_dir(const struct store_conf *conf, const char *dir, struct store **out,
    struct why *why)
{
	struct store *s;
	char mark[4200];
	bool fresh;
	enum store_res r;

	snprintf(mark, sizeof(mark), "%s/index/damaged", dir);
	pthread_mutex_lock(&registry_lock);
	s = xcalloc(1, sizeof(*s));
	s->conf = conf;
	r = env_get(conf, dir, &s->e, why);
	if (r == STORE_OK && s->e->refs == 1 && access(mark, F_OK) == 0)
		r = (why_set(why, "index marked damaged"), STORE_NOTALLOWED);
	if (r == STORE_OK && s->e->refs == 1)
		r = check_open(s, &fresh, why);
	if (r == STORE_OK && s->e->refs == 1 && fresh)
		r = init_index(s, why);
	pthread_mutex_unlock(&registry_lock);
	if (r != STORE_OK) {
		if (s->e != NULL)
			env_put(s->e);
		free(s);
		return r;
	}
	*out = s;
	return STORE_OK;
}

enum store_res
store_open(const struct store_conf *conf, const char *user,
    struct store **out, struct why *why)
{
	struct buf rel;
	char dir[4200];
	enum store_res r = STORE_TEMP;

	*out = NULL;
	buf_init(&rel, 1024);
	if (store_user_dir(user, &rel) == -1)
		why_set(why, "bad user name");
	else if (make_dirs(conf->root, buf_str(&rel), why) == 0) {
		snprintf(dir, sizeof(dir), "%s/%s", conf->root, buf_str(&rel));
		r = open_dir(conf, dir, out, why);
		/* A damaged index is rebuilt from the files, once. */
		if (r == STORE_NOTALLOWED) {
			struct why first = *why;

			r = store_rebuild(conf, user, why);
			if (r == STORE_OK)
				r = open_dir(conf, dir, out, why);
			if (r == STORE_OK)
				snprintf((*out)->rebuilt,
				    sizeof((*out)->rebuilt), "%s", first.msg);
			else {
				struct why then = *why;

				why_set(why, "%s; rebuild failed: %.200s",
				    first.msg, then.msg);
			}
		}
	}
	buf_fini(&rel);
	return r == STORE_NOTALLOWED ? STORE_TEMP : r;
}

void
store_free(struct store **sp)
{
	if (*sp == NULL)
		return;
	env_put((*sp)->e);
	free(*sp);
	*sp = NULL;
}

void
store_set_quota(struct store *s, uint64_t bytes, uint64_t messages)
{
	s->quota_bytes = bytes;
	s->quota_messages = messages;
}

void
store_quota(const struct store *s, struct store_usage *out)
{
	out->bytes = s->quota_bytes;
	out->messages = s->quota_messages;
}

enum store_res
store_usage(struct store *s, struct store_usage *out, struct why *why)
{
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	if (r != STORE_OK)
		return r;
	r = store_usage_get(s, t, out, why);
	mdb_txn_abort(t);
	return r;
}

const char *
store_rebuilt(const struct store *s)
{
	return s->rebuilt[0] != '\0' ? s->rebuilt : NULL;
}

uint64_t
store_index_id(const struct store *s)
{
	return s->e->ino;
}

const char *
store_dir(const struct store *s)
{
	return s->e->dir;
}
