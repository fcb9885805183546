/*
 * store_folder.c - the mailbox calls of the store API: look-up, list,
 * create with parents, delete, rename (RFC 3501 6.3.3 to 6.3.5) and
 * subscriptions.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * mailbox names come from clients and are checked before use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/file.h"
#include "store/store_impl.h"

enum store_res
store_mailbox_get(struct store *s, const char *name,
    struct store_mailbox *out, struct why *why)
{
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	if (r != STORE_OK)
		return r;
	r = store_mbox_load(s, t, name, out, why);
	mdb_txn_abort(t);
	return r;
}

enum store_res
store_mailbox_by_id(struct store *s, uint32_t id, struct store_mailbox *out,
    struct why *why)
{
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	if (r != STORE_OK)
		return r;
	r = store_mbox_load_id(s, t, id, out, why);
	mdb_txn_abort(t);
	return r;
}

enum store_res
store_mailbox_list(struct store *s, store_mailbox_fn *fn, void *arg,
    struct why *why)
{
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k;
	MDB_val v;
	enum store_res r = store_txn(s, false, &t, why);
	int rc;

	if (r != STORE_OK)
		return r;
	if ((rc = mdb_cursor_open(t, s->e->dbi[DB_MBOX], &c)) != 0) {
		mdb_txn_abort(t);
		return store_mdb(rc, "list", why);
	}
	while (r == STORE_OK &&
	       (rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		struct store_mailbox m;
		char name[STORE_MAX_NAME + 1];

		if (k.mv_size > STORE_MAX_NAME) {
			r = store_damaged(s, "mailbox name", why);
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		r = store_mbox_load(s, t, name, &m, why);
		if (r == STORE_OK && !fn(arg, &m))
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(t);
	return r;
}

/* Create the missing parents of name ("a" and "a/b" for "a/b/c"). */
static enum store_res
make_parents(struct store *s, MDB_txn *t, const char *name, struct why *why)
{
	char parent[STORE_MAX_NAME + 1];
	enum store_res r = STORE_OK;

	snprintf(parent, sizeof(parent), "%s", name);
	for (char *p = parent; r == STORE_OK && (p = strchr(p, '/')) != NULL;
	     *p++ = '/') {
		struct store_mailbox m;

		*p = '\0';
		r = store_mbox_make(s, t, parent, STORE_ROLE_NONE, &m, why);
		if (r == STORE_EXISTS)
			r = STORE_OK;
	}
	return r;
}

static enum store_res
finish(MDB_txn *t, enum store_res r, struct why *why)
{
	if (r != STORE_OK) {
		mdb_txn_abort(t);
		return r;
	}
	return store_commit(t, why);
}

enum store_res
store_mailbox_create(struct store *s, const char *name, enum store_role role,
    struct why *why)
{
	struct store_mailbox m;
	MDB_txn *t;
	enum store_res r;

	if (!store_name_ok(name))
		return why_set(why, "bad mailbox name"), STORE_BADNAME;
	if ((r = store_txn(s, true, &t, why)) != STORE_OK)
		return r;
	r = make_parents(s, t, name, why);
	if (r == STORE_OK)
		r = store_mbox_make(s, t, name, role, &m, why);
	return finish(t, r, why);
}

/* Does a mailbox below name exist? */
static bool
has_children(struct store *s, MDB_txn *t, const char *name)
{
	char prefix[STORE_MAX_NAME + 2];
	MDB_cursor *c;
	MDB_val k;
	MDB_val v;
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%s/", name);
	bool yes = false;

	if (mdb_cursor_open(t, s->e->dbi[DB_MBOX], &c) != 0)
		return true;
	k.mv_size = n;
	k.mv_data = prefix;
	if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0)
		yes = k.mv_size > n && memcmp(k.mv_data, prefix, n) == 0;
	mdb_cursor_close(c);
	return yes;
}

static bool
collect(void *arg, const struct store_msg *m)
{
	store_doom(arg, m);
	return true;
}

static enum store_res
delete_txn(struct store *s, MDB_txn *t, const char *name,
    struct store_doomed *d, uint32_t *id, bool *gone, struct why *why)
{
	struct store_mailbox m;
	struct store_key k;
	MDB_val key = { strlen(name), (void *)name };
	enum store_res r = store_mbox_load(s, t, name, &m, why);
	bool children;

	if (r != STORE_OK)
		return r;
	children = has_children(s, t, m.name);
	if (strcmp(m.name, "INBOX") == 0 || (children && m.noselect))
		return why_set(why, "cannot delete %s", strcmp(m.name,
			"INBOX") == 0 ? "INBOX" : "a \\Noselect parent"),
		       STORE_NOTALLOWED;
	*id = m.id;
	if ((r = store_mbox_empty(s, t, &m, collect, d, why)) != STORE_OK)
		return r;
	/* RFC 3501 6.3.4: with inferiors it stays, as \Noselect. */
	if (children) {
		m.noselect = true;
		return store_mbox_save(s, t, &m, why);
	}
	*gone = true;
	store_key_id(&k, m.id);
	r = store_mdb(mdb_del(t, s->e->dbi[DB_MBOX], &key, NULL), "delete",
	    why);
	if (r == STORE_OK)
		r = store_mdb(mdb_del(t, s->e->dbi[DB_MBOXID], &k.v, NULL),
		    "delete", why);
	return r;
}

enum store_res
store_mailbox_delete(struct store *s, const char *name, struct why *why)
{
	struct store_doomed d = { NULL, 0 };
	MDB_txn *t;
	uint32_t id = 0;
	bool gone = false;
	enum store_res r = store_txn(s, true, &t, why);

	if (r != STORE_OK)
		return r;
	r = finish(t, delete_txn(s, t, name, &d, &id, &gone, why), why);
	store_doomed_unlink(s, id, &d, r == STORE_OK);
	if (r == STORE_OK) {
		store_notify(s, id);
		if (gone)
			store_mbox_rmdir(s, id);
	}
	return r;
}

/* Give mailbox from the name to (its id, and so its messages, stay). */
static enum store_res
rename_one(struct store *s, MDB_txn *t, const char *from, const char *to,
    struct why *why)
{
	struct store_mailbox m;
	MDB_val key = { strlen(from), (void *)from };
	char path[4200];
	enum store_res r = store_mbox_load(s, t, from, &m, why);

	if (r != STORE_OK)
		return r;
	if (mdb_del(t, s->e->dbi[DB_MBOX], &key, NULL) != 0)
		return store_mdb(MDB_NOTFOUND, "rename", why);
	snprintf(m.name, sizeof(m.name), "%s", to);
	if ((r = store_mbox_save(s, t, &m, why)) != STORE_OK)
		return r;
	store_path_mbox(s, m.id, "name", path, sizeof(path));
	return file_write_atomic(path, span_str(to), 0600, why) == 0 ?
	    STORE_OK : STORE_TEMP;
}

/* Rename every mailbox below from (its children keep their places). */
static enum store_res
rename_children(struct store *s, MDB_txn *t, const char *from, const char *to,
    struct why *why)
{
	char prefix[STORE_MAX_NAME + 2];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%s/", from);
	enum store_res r = STORE_OK;

	while (r == STORE_OK) {
		MDB_cursor *c;
		MDB_val k = { n, prefix };
		MDB_val v;
		char old[STORE_MAX_NAME + 1];
		char new[2 * STORE_MAX_NAME + 2];
		int rc;

		if ((rc = mdb_cursor_open(t, s->e->dbi[DB_MBOX], &c)) != 0)
			return store_mdb(rc, "rename", why);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		mdb_cursor_close(c);
		if (rc != 0 || k.mv_size <= n || k.mv_size > STORE_MAX_NAME ||
		    memcmp(k.mv_data, prefix, n) != 0)
			break;
		memcpy(old, k.mv_data, k.mv_size);
		old[k.mv_size] = '\0';
		snprintf(new, sizeof(new), "%s/%s", to, old + n);
		if (!store_name_ok(new))
			return why_set(why, "new name too long or deep"),
			       STORE_BADNAME;
		r = rename_one(s, t, old, new, why);
	}
	return r;
}

static enum store_res
rename_txn(struct store *s, MDB_txn *t, const char *from, const char *to,
    struct why *why)
{
	struct store_mailbox m;
	enum store_res r = store_mbox_load(s, t, to, &m, why);

	if (r == STORE_OK)
		return why_set(why, "mailbox exists"), STORE_EXISTS;
	if (r != STORE_NOTFOUND)
		return r;
	if ((r = store_mbox_load(s, t, from, &m, why)) != STORE_OK)
		return r;
	if ((r = make_parents(s, t, to, why)) != STORE_OK)
		return r;
	if ((r = rename_one(s, t, m.name, to, why)) != STORE_OK)
		return r;
	/* RFC 3501 6.3.5: INBOX's messages move, a new empty INBOX stays,
	 * and INBOX's children do not move. */
	if (strcmp(m.name, "INBOX") == 0)
		return store_mbox_make(s, t, "INBOX", STORE_ROLE_NONE, &m, why);
	return rename_children(s, t, from, to, why);
}

enum store_res
store_mailbox_rename(struct store *s, const char *from, const char *to,
    struct why *why)
{
	MDB_txn *t;
	enum store_res r;

	if (!store_name_ok(to) || strcasecmp(to, "INBOX") == 0)
		return why_set(why, "bad mailbox name"), STORE_BADNAME;
	/* A mailbox cannot become its own child. */
	if (strncmp(to, from, strlen(from)) == 0 && to[strlen(from)] == '/')
		return why_set(why, "cannot rename into itself"),
		       STORE_NOTALLOWED;
	if ((r = store_txn(s, true, &t, why)) != STORE_OK)
		return r;
	return finish(t, rename_txn(s, t, from, to, why), why);
}

enum store_res
store_subscribe(struct store *s, const char *name, bool on, struct why *why)
{
	MDB_txn *t;
	enum store_res r;

	if (!store_name_ok(name))
		return why_set(why, "bad mailbox name"), STORE_BADNAME;
	if ((r = store_txn(s, true, &t, why)) != STORE_OK)
		return r;
	return finish(t, store_subscribe_txn(s, t, name, on, why), why);
}

enum store_res
store_subscription_list(struct store *s, store_name_fn *fn, void *arg,
    struct why *why)
{
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k;
	MDB_val v;
	enum store_res r = store_txn(s, false, &t, why);
	char name[STORE_MAX_NAME + 1];
	int rc;

	if (r != STORE_OK)
		return r;
	if ((rc = mdb_cursor_open(t, s->e->dbi[DB_SUBS], &c)) != 0) {
		mdb_txn_abort(t);
		return store_mdb(rc, "subscriptions", why);
	}
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		/* Only store_subscribe writes here, with checked names. */
		if (k.mv_size == 0 || k.mv_size > STORE_MAX_NAME) {
			r = store_damaged(s, "subscription", why);
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (!store_name_ok(name)) {
			r = store_damaged(s, "subscription", why);
			break;
		}
		if (!fn(arg, name))
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(t);
	return r;
}
