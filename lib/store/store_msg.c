/*
 * store_msg.c - message records (put, load, drop, counts, quota) and
 * expunge.  Files of expunged messages are removed after the commit, so
 * a crash there leaves orphans, which postern store check removes.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * the index is ours but may be damaged: records are checked on reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/xmem.h"
#include "store/store_impl.h"

enum store_res
store_quota_check(const struct store *s, const struct store_usage *u,
    uint64_t bytes, uint64_t msgs, struct why *why)
{
	if ((s->quota_bytes != 0 && u->bytes + bytes > s->quota_bytes) ||
	    (s->quota_messages != 0 && u->messages + msgs > s->quota_messages))
		return why_set(why, "quota exceeded"), STORE_OVERQUOTA;
	return STORE_OK;
}

/* Put a message's records (message, change key) into the index. */
enum store_res
store_msg_put(struct store *s, MDB_txn *t, uint32_t id, const struct store_msg *m,
    struct why *why)
{
	unsigned char rec[STORE_MSG_REC];
	struct store_key k;
	MDB_val v = { sizeof(rec), rec };
	MDB_val empty = { 0, "" };
	int rc;

	store_msg_encode(m, rec);
	store_key_msg(&k, id, m->uid);
	rc = mdb_put(t, s->e->dbi[DB_MSG], &k.v, &v, 0);
	store_key_seq(&k, id, m->modseq, m->uid);
	if (rc == 0)
		rc = mdb_put(t, s->e->dbi[DB_MSEQ], &k.v, &empty, 0);
	return store_mdb(rc, "message", why);
}

void
store_count_in(struct store_mailbox *mb, const struct store_msg *m)
{
	mb->messages++;
	mb->unseen += !(m->flags & STORE_SEEN);
	mb->recent += m->uid >= mb->first_recent;
	mb->size += m->size;
}

enum store_res
store_msg_load(struct store *s, MDB_txn *t, uint32_t id, uint32_t uid,
    struct store_msg *m, struct why *why)
{
	struct store_key k;
	MDB_val v;
	enum store_res r;

	store_key_msg(&k, id, uid);
	r = store_mdb(mdb_get(t, s->e->dbi[DB_MSG], &k.v, &v), "message", why);
	if (r == STORE_OK && store_msg_decode(v, uid, m) == -1)
		return store_damaged(s, "message", why);
	return r;
}

/* Take a message out of the index (its file goes after the commit). */
enum store_res
store_msg_drop(struct store *s, MDB_txn *t, struct store_mailbox *mb,
    const struct store_msg *m, struct store_usage *u, struct why *why)
{
	struct store_key k;
	MDB_val empty = { 0, "" };
	int rc;

	store_key_msg(&k, mb->id, m->uid);
	rc = mdb_del(t, s->e->dbi[DB_MSG], &k.v, NULL);
	if (rc == 0) {
		rc = mdb_del(t, s->e->dbi[DB_CACHE], &k.v, NULL);
		rc = rc == MDB_NOTFOUND ? 0 : rc;
	}
	store_key_seq(&k, mb->id, m->modseq, m->uid);
	if (rc == 0)
		rc = mdb_del(t, s->e->dbi[DB_MSEQ], &k.v, NULL);
	store_key_seq(&k, mb->id, mb->highestmodseq, m->uid);
	if (rc == 0)
		rc = mdb_put(t, s->e->dbi[DB_GONE], &k.v, &empty, 0);
	mb->messages--;
	mb->unseen -= !(m->flags & STORE_SEEN) && mb->unseen > 0;
	mb->recent -= m->uid >= mb->first_recent && mb->recent > 0;
	mb->size -= m->size <= mb->size ? m->size : mb->size;
	u->bytes -= m->size <= u->bytes ? m->size : u->bytes;
	u->messages -= u->messages > 0;
	return store_mdb(rc, "expunge", why);
}

void
store_doom(struct store_doomed *d, const struct store_msg *m)
{
	d->msg = xreallocarray(d->msg, d->n + 1, sizeof(*d->msg));
	d->msg[d->n++] = *m;
}

void
store_doomed_unlink(struct store *s, uint32_t id, struct store_doomed *d,
    bool ok)
{
	for (size_t i = 0; ok && i < d->n; i++) {
		char path[4200];

		if (store_path_msg(s, id, d->msg[i].uid, d->msg[i].guid, path,
			sizeof(path)) == 0)
			unlink(path);
	}
	free(d->msg);
}

static enum store_res
expunge_txn(struct store *s, MDB_txn *t, uint32_t id, const uint32_t *uids,
    size_t n, struct store_doomed *d, struct why *why)
{
	struct store_mailbox mb;
	struct store_usage u;
	enum store_res r = store_mbox_load_id(s, t, id, &mb, why);

	if (r == STORE_OK)
		r = store_usage_get(s, t, &u, why);
	if (r != STORE_OK)
		return r;
	mb.highestmodseq++;
	for (size_t i = 0; r == STORE_OK && i < n; i++) {
		struct store_msg m;

		r = store_msg_load(s, t, id, uids[i], &m, why);
		if (r == STORE_NOTFOUND) {
			r = STORE_OK;
			continue;
		}
		if (r == STORE_OK)
			r = store_msg_drop(s, t, &mb, &m, &u, why);
		if (r == STORE_OK)
			store_doom(d, &m);
	}
	if (r == STORE_OK)
		r = store_mbox_save(s, t, &mb, why);
	return r == STORE_OK ? store_usage_put(s, t, &u, why) : r;
}

enum store_res
store_expunge(struct store *s, uint32_t mailbox, const uint32_t *uids,
    size_t n, store_uid_fn *fn, void *arg, struct why *why)
{
	struct store_doomed d = { NULL, 0 };
	MDB_txn *t;
	enum store_res r = store_txn(s, true, &t, why);

	if (r != STORE_OK)
		return r;
	r = expunge_txn(s, t, mailbox, uids, n, &d, why);
	r = r == STORE_OK ? store_commit(t, why) : (mdb_txn_abort(t), r);
	for (size_t i = 0; r == STORE_OK && fn != NULL && i < d.n; i++)
		fn(arg, d.msg[i].uid);
	if (r == STORE_OK && d.n > 0)
		store_notify(s, mailbox);
	store_doomed_unlink(s, mailbox, &d, r == STORE_OK);
	return r;
}
