/*
 * store_mbox.c - the mailbox list: names, records, hierarchy, create,
 * delete, rename (RFC 3501 semantics), subscriptions and keywords.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * mailbox names and keywords come from clients and are checked here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "store/store_impl.h"

bool
store_name_ok(const char *name)
{
	size_t len = strlen(name);
	unsigned depth = 1;
	struct span sp = span_make(name, len);

	if (len == 0 || len > STORE_MAX_NAME || name[0] == '/' ||
	    name[len - 1] == '/' || strstr(name, "//") != NULL ||
	    !span_utf8_ok(sp))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* Controls, and the LIST wildcards, never name a mailbox. */
		if (c < 0x20 || c == 0x7f || c == '*' || c == '%')
			return false;
		if (c == '/' && ++depth > STORE_MAX_DEPTH)
			return false;
	}
	return true;
}

/* INBOX is INBOX in any case (RFC 3501 5.1); other names are exact. */
static const char *
canon(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

static MDB_val
name_val(const char *name)
{
	MDB_val v = { strlen(name), (void *)name };

	return v;
}

static bool
subscribed(struct store *s, MDB_txn *t, const char *name)
{
	MDB_val k = name_val(name);
	MDB_val v;

	return mdb_get(t, s->e->dbi[DB_SUBS], &k, &v) == 0;
}

enum store_res
store_mbox_load(struct store *s, MDB_txn *t, const char *name,
    struct store_mailbox *m, struct why *why)
{
	MDB_val k = name_val(canon(name));
	MDB_val v;
	enum store_res r;

	if (k.mv_size > STORE_MAX_NAME)
		return STORE_NOTFOUND;
	r = store_mdb(mdb_get(t, s->e->dbi[DB_MBOX], &k, &v), "mailbox", why);
	if (r != STORE_OK)
		return r;
	if (store_mbox_decode(v, m) == -1)
		return store_damaged(s, "mailbox", why);
	memcpy(m->name, k.mv_data, k.mv_size);
	m->name[k.mv_size] = '\0';
	m->subscribed = subscribed(s, t, m->name);
	return STORE_OK;
}

enum store_res
store_mbox_load_id(struct store *s, MDB_txn *t, uint32_t id,
    struct store_mailbox *m, struct why *why)
{
	struct store_key k;
	MDB_val v;
	char name[STORE_MAX_NAME + 1];
	enum store_res r;

	store_key_id(&k, id);
	r = store_mdb(mdb_get(t, s->e->dbi[DB_MBOXID], &k.v, &v), "mailbox",
	    why);
	if (r != STORE_OK)
		return r;
	if (v.mv_size == 0 || v.mv_size > STORE_MAX_NAME)
		return store_damaged(s, "mailbox id", why);
	memcpy(name, v.mv_data, v.mv_size);
	name[v.mv_size] = '\0';
	r = store_mbox_load(s, t, name, m, why);
	if (r == STORE_OK && m->id != id)
		return store_damaged(s, "mailbox id", why);
	return r == STORE_NOTFOUND ? store_damaged(s, "mailbox id", why) : r;
}

enum store_res
store_mbox_save(struct store *s, MDB_txn *t, const struct store_mailbox *m,
    struct why *why)
{
	struct buf b;
	struct store_key k;
	MDB_val key = name_val(m->name);
	MDB_val v;
	int rc;

	buf_init(&b, 8192);
	store_mbox_encode(m, &b);
	v.mv_size = b.len;
	v.mv_data = b.p;
	rc = mdb_put(t, s->e->dbi[DB_MBOX], &key, &v, 0);
	buf_fini(&b);
	store_key_id(&k, m->id);
	if (rc == 0)
		rc = mdb_put(t, s->e->dbi[DB_MBOXID], &k.v, &key, 0);
	return store_mdb(rc, "mailbox", why);
}

/* The mailbox's directory, its change file and its name (for rebuild). */
static int
make_dir(struct store *s, const struct store_mailbox *m, struct why *why)
{
	char path[4200];
	int fd;

	store_path_mbox(s, m->id, "", path, sizeof(path));
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return why_syserr(why, "mkdir %s", path);
	store_path_mbox(s, m->id, "changes", path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return why_syserr(why, "create %s", path);
	close(fd);
	store_path_mbox(s, m->id, "name", path, sizeof(path));
	return file_write_atomic(path, span_str(m->name), 0600, why);
}

enum store_res
store_mbox_make(struct store *s, MDB_txn *t, const char *name,
    enum store_role role, struct store_mailbox *m, struct why *why)
{
	enum store_res r = store_mbox_load(s, t, name, m, why);

	if (r != STORE_NOTFOUND)
		return r == STORE_OK ? STORE_EXISTS : r;
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", canon(name));
	m->role = role;
	m->uidnext = m->first_recent = 1;
	m->highestmodseq = 1;
	r = store_meta_next(s, t, "nextid", 1, &m->id, why);
	if (r == STORE_OK)
		r = store_meta_next(s, t, "uidvalidity", (uint32_t)time(NULL),
		    &m->uidvalidity, why);
	if (r == STORE_OK)
		r = store_mbox_save(s, t, m, why);
	if (r == STORE_OK && make_dir(s, m, why) == -1)
		r = STORE_TEMP;
	return r;
}

/* Delete every key of db that starts with id. */
static int
del_range(MDB_txn *t, MDB_dbi db, uint32_t id)
{
	struct store_key k;
	MDB_cursor *c;
	MDB_val key;
	MDB_val v;
	int rc;

	store_key_id(&k, id);
	if ((rc = mdb_cursor_open(t, db, &c)) != 0)
		return rc;
	for (;;) {
		key = k.v;
		rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
		if (rc != 0 || key.mv_size < 4 ||
		    memcmp(key.mv_data, k.b, 4) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

enum store_res
store_mbox_empty(struct store *s, MDB_txn *t, struct store_mailbox *m,
    store_msg_fn *fn, void *arg, struct why *why)
{
	struct store_key k;
	MDB_cursor *c;
	MDB_val key;
	MDB_val v;
	struct store_usage u;
	enum store_res r = store_usage_get(s, t, &u, why);
	int rc;

	if (r != STORE_OK)
		return r;
	if ((rc = mdb_cursor_open(t, s->e->dbi[DB_MSG], &c)) != 0)
		return store_mdb(rc, "messages", why);
	store_key_id(&k, m->id);
	key = k.v;
	rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
	for (; rc == 0 && key.mv_size == 8 && memcmp(key.mv_data, k.b, 4) == 0;
	     rc = mdb_cursor_get(c, &key, &v, MDB_NEXT)) {
		struct store_msg msg;

		if (store_msg_decode(v, store_be32((unsigned char *)key.mv_data +
						   4), &msg) == 0) {
			u.bytes -= msg.size <= u.bytes ? msg.size : u.bytes;
			u.messages -= u.messages > 0;
			if (fn != NULL)
				fn(arg, &msg);
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND && rc != 0)
		return store_mdb(rc, "messages", why);
	rc = del_range(t, s->e->dbi[DB_MSG], m->id);
	if (rc == 0)
		rc = del_range(t, s->e->dbi[DB_CACHE], m->id);
	if (rc == 0)
		rc = del_range(t, s->e->dbi[DB_MSEQ], m->id);
	if (rc != 0)
		return store_mdb(rc, "messages", why);
	m->messages = m->unseen = m->recent = 0;
	m->size = 0;
	m->highestmodseq++;
	return store_usage_put(s, t, &u, why);
}

int
store_keyword_bit(struct store_mailbox *m, const char *name, bool define)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < m->nkeywords; i++)
		if (strcasecmp(m->keywords[i], name) == 0)
			return (int)i;
	if (!define || n == 0 || n > STORE_MAX_KEYWORD ||
	    m->nkeywords >= STORE_MAX_KEYWORDS || name[0] == '\\')
		return -1;
	/* An IMAP atom: no specials, spaces or controls. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f ||
		    strchr("(){%*\"\\]", name[i]) != NULL)
			return -1;
	memcpy(m->keywords[m->nkeywords], name, n + 1);
	return (int)m->nkeywords++;
}

enum store_res
store_subscribe_txn(struct store *s, MDB_txn *t, const char *name, bool on,
    struct why *why)
{
	MDB_val k = name_val(canon(name));
	MDB_val v = { 0, "" };
	int rc = on ? mdb_put(t, s->e->dbi[DB_SUBS], &k, &v, 0) :
		      mdb_del(t, s->e->dbi[DB_SUBS], &k, NULL);

	return rc == MDB_NOTFOUND ? STORE_OK : store_mdb(rc, "subscribe",
							why);
}

void
store_mbox_rmdir(struct store *s, uint32_t id)
{
	char path[4200];
	DIR *d;
	struct dirent *de;

	if (store_path_mbox(s, id, "", path, sizeof(path)) == -1 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(path);
}
