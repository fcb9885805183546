/*
 * store_read.c - the reading calls: messages of a mailbox, one message,
 * its cache and its file, changes since a MODSEQ, and the change
 * watches (one mailbox per descriptor, or many on one).
 * Readers never block writers (LMDB snapshots).
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * index records may be damaged and are checked as they are read.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/xmem.h"
#include "store/store_impl.h"

/* Walk the keys of db from "id, start" while they belong to id. */
static enum store_res
walk(struct store *s, MDB_txn *t, enum store_db db, struct store_key *from,
    bool (*step)(struct store *, MDB_val, MDB_val, void *), void *arg,
    struct why *why)
{
	MDB_cursor *c;
	MDB_val k = from->v;
	MDB_val v;
	int rc = mdb_cursor_open(t, s->e->dbi[db], &c);

	if (rc != 0)
		return store_mdb(rc, "cursor", why);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (k.mv_size < 4 || memcmp(k.mv_data, from->b, 4) != 0 ||
		    !step(s, k, v, arg))
			break;
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK :
					      store_mdb(rc, "cursor", why);
}

struct list_arg {
	store_msg_fn *fn;
	void *arg;
	bool damaged;
};

static bool
list_step(struct store *s, MDB_val k, MDB_val v, void *arg)
{
	struct list_arg *a = arg;
	struct store_msg m;

	(void)s;
	if (k.mv_size != 8 ||
	    store_msg_decode(v, store_be32((unsigned char *)k.mv_data + 4),
		&m) == -1) {
		a->damaged = true;
		return false;
	}
	return a->fn(a->arg, &m);
}

enum store_res
store_msg_list(struct store *s, uint32_t mailbox, uint32_t from,
    store_msg_fn *fn, void *arg, struct why *why)
{
	struct list_arg a = { fn, arg, false };
	struct store_key k;
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	if (r != STORE_OK)
		return r;
	store_key_msg(&k, mailbox, from);
	r = walk(s, t, DB_MSG, &k, list_step, &a, why);
	mdb_txn_abort(t);
	return a.damaged ? store_damaged(s, "message", why) : r;
}

enum store_res
store_msg_get(struct store *s, uint32_t mailbox, uint32_t uid,
    struct store_msg *out, struct why *why)
{
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	if (r != STORE_OK)
		return r;
	r = store_msg_load(s, t, mailbox, uid, out, why);
	mdb_txn_abort(t);
	return r;
}

struct store_snap {
	struct store *s;
	MDB_txn *t;
};

enum store_res
store_snap_begin(struct store *s, struct store_snap **out, struct why *why)
{
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	*out = NULL;
	if (r != STORE_OK)
		return r;
	*out = xmalloc(sizeof(**out));
	(*out)->s = s;
	(*out)->t = t;
	return STORE_OK;
}

void
store_snap_end(struct store_snap **snp)
{
	if (*snp == NULL)
		return;
	mdb_txn_abort((*snp)->t);
	xfree(snp);
}

enum store_res
store_snap_cache(struct store_snap *sn, uint32_t mailbox, uint32_t uid,
    struct span *out, struct why *why)
{
	struct store_key k;
	MDB_val v;
	enum store_res r;

	store_key_msg(&k, mailbox, uid);
	r = store_mdb(mdb_get(sn->t, sn->s->e->dbi[DB_CACHE], &k.v, &v),
	    "cache", why);
	*out = r == STORE_OK ? span_make(v.mv_data, v.mv_size) :
			       span_make(NULL, 0);
	return r;
}

enum store_res
store_snap_msg(struct store_snap *sn, uint32_t mailbox, uint32_t uid,
    struct store_msg *out, struct why *why)
{
	return store_msg_load(sn->s, sn->t, mailbox, uid, out, why);
}

enum store_res
store_msg_cache(struct store *s, uint32_t mailbox, uint32_t uid,
    struct buf *out, struct why *why)
{
	struct store_snap *sn;
	struct span blob;
	enum store_res r = store_snap_begin(s, &sn, why);

	if (r == STORE_OK)
		r = store_snap_cache(sn, mailbox, uid, &blob, why);
	if (r == STORE_OK && buf_add(out, blob.p, blob.len) == -1)
		r = (why_set(why, "cache too big"), STORE_TEMP);
	store_snap_end(&sn);
	return r;
}

enum store_res
store_msg_open(struct store *s, uint32_t mailbox, uint32_t uid, int *fd_out,
    struct why *why)
{
	struct store_msg m;
	char path[4200];
	enum store_res r = store_msg_get(s, mailbox, uid, &m, why);

	if (r != STORE_OK)
		return r;
	store_path_msg(s, mailbox, uid, m.guid, path, sizeof(path));
	/* Expunged meanwhile: the index no longer names it. */
	if ((*fd_out = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return why_syserr(why, "open %s", path), STORE_NOTFOUND;
	return STORE_OK;
}

struct change_arg {
	MDB_txn *t;
	uint32_t id;
	store_msg_fn *fn_msg;
	store_uid_fn *fn_gone;
	void *arg;
	bool damaged;
};

static bool
change_step(struct store *s, MDB_val k, MDB_val v, void *arg)
{
	struct change_arg *a = arg;
	struct store_msg m;
	struct why why;
	uint32_t uid;

	(void)v;
	if (k.mv_size != 16) {
		a->damaged = true;
		return false;
	}
	uid = store_be32((unsigned char *)k.mv_data + 12);
	if (a->fn_gone != NULL) {
		a->fn_gone(a->arg, uid);
		return true;
	}
	if (store_msg_load(s, a->t, a->id, uid, &m, &why) != STORE_OK)
		return true;	/* changed again since: a later key has it */
	return a->fn_msg(a->arg, &m);
}

enum store_res
store_changes(struct store *s, uint32_t mailbox, uint64_t modseq,
    store_msg_fn *fn_msg, store_uid_fn *fn_gone, void *arg,
    struct why *why)
{
	struct change_arg a = { NULL, mailbox, fn_msg, NULL, arg, false };
	struct store_key k;
	enum store_res r = store_txn(s, false, &a.t, why);

	if (r != STORE_OK)
		return r;
	store_key_seq(&k, mailbox, modseq + 1, 0);
	if (fn_msg != NULL)
		r = walk(s, a.t, DB_MSEQ, &k, change_step, &a, why);
	a.fn_msg = NULL;
	a.fn_gone = fn_gone;
	if (r == STORE_OK && fn_gone != NULL)
		r = walk(s, a.t, DB_GONE, &k, change_step, &a, why);
	mdb_txn_abort(a.t);
	return a.damaged ? store_damaged(s, "change", why) : r;
}

int
store_watch(struct store *s, uint32_t mailbox, struct why *why)
{
	char path[4200];
	int fd;

	store_path_mbox(s, mailbox, "changes", path, sizeof(path));
	if ((fd = compat_watch_file(path)) == -1)
		return why_syserr(why, "watch %s", path);
	return fd;
}

void
store_watch_drain(int fd)
{
	compat_watch_drain(fd);
}

int
store_watchset_open(struct why *why)
{
	int fd = compat_watch_open();

	if (fd == -1)
		why_syserr(why, "change notices");
	return fd;
}

int
store_watchset_add(int fd, struct store *s, uint32_t mailbox,
    struct why *why)
{
	char path[4200];
	int id;

	store_path_mbox(s, mailbox, "changes", path, sizeof(path));
	if ((id = compat_watch_add(fd, path)) == -1)
		return why_syserr(why, "watch %s", path);
	return id;
}

void
store_watchset_rm(int fd, int id)
{
	compat_watch_rm(fd, id);
}

_Static_assert(STORE_WATCHSET_MAX == COMPAT_WATCH_MAX, "notice batch");

size_t
store_watchset_read(int fd, struct store_notice *out)
{
	struct compat_watch_ev ev[COMPAT_WATCH_MAX];
	size_t n = compat_watch_read(fd, ev), i;

	for (i = 0; i < n; i++) {
		out[i].id = ev[i].what == COMPAT_WATCH_OVERFLOW ? -1 : ev[i].wd;
		out[i].gone = ev[i].what == COMPAT_WATCH_GONE;
	}
	return n;
}
