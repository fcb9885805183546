/*
 * store_msg.c - the calls that change messages: append, flag changes
 * (with MODSEQ), expunge, copy and move, and claiming \Recent.
 *
 * Order of durable steps (postern-store(5)): a new message file is
 * written and fsynced in tmp/, renamed into its mailbox's directory and
 * that directory fsynced while the index write transaction is open; then
 * the transaction commits (synchronously).  A crash before the commit
 * leaves an orphan file that no index entry names (never acknowledged);
 * files of expunged messages are removed after the commit, so a crash
 * there leaves orphans too.  postern store check removes orphans.
 *
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * message bytes are peer data but are only stored, and parsed by
 * lib/mail/msgcache; flags and keywords are checked.
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
#include "mail/msgcache.h"
#include "store/store_impl.h"

/* Largest cache blob kept; a bigger one is not kept (readers parse). */
#define CACHE_MAX (4 * 1024 * 1024)

enum store_res
store_quota_check(const struct store *s, const struct store_usage *u,
    uint64_t bytes, uint64_t msgs, struct why *why)
{
	if ((s->quota_bytes != 0 && u->bytes + bytes > s->quota_bytes) ||
	    (s->quota_messages != 0 && u->messages + msgs > s->quota_messages))
		return why_set(why, "quota exceeded"), STORE_OVERQUOTA;
	return STORE_OK;
}

/* Write the message to tmp/, fsynced, its mtime the INTERNALDATE. */
static int
write_tmp(struct store *s, const struct store_msg *m, struct span msg,
    char *path, size_t len, struct why *why)
{
	struct timespec ts[2] = { { m->internaldate, 0 },
		{ m->internaldate, 0 } };
	size_t off = 0;
	int fd;

	snprintf(path, len, "%s/tmp/%02x%02x%02x%02x%02x%02x%02x%02x",
	    store_dir(s), m->guid[0], m->guid[1], m->guid[2], m->guid[3],
	    m->guid[4], m->guid[5], m->guid[6], m->guid[7]);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return why_syserr(why, "create %s", path);
	while (off < msg.len) {
		ssize_t n = write(fd, msg.p + off, msg.len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < msg.len || futimens(fd, ts) == -1 || fsync(fd) == -1) {
		why_syserr(why, "write %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
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

static enum store_res
append_txn(struct store *s, MDB_txn *t, const struct store_append *a,
    struct store_msg *m, struct span cache, const char *tmp, char *final,
    struct why *why)
{
	struct store_mailbox mb;
	struct store_usage u;
	struct store_key k;
	MDB_val cv = { cache.len, (void *)cache.p };
	enum store_res r = store_mbox_load_id(s, t, a->mailbox, &mb, why);

	if (r == STORE_OK && mb.noselect)
		return why_set(why, "mailbox is \\Noselect"), STORE_NOTALLOWED;
	if (r == STORE_OK)
		r = store_usage_get(s, t, &u, why);
	if (r == STORE_OK)
		r = store_quota_check(s, &u, m->size, 1, why);
	for (size_t i = 0; r == STORE_OK && i < a->nkeywords; i++) {
		int bit = store_keyword_bit(&mb, a->keywords[i], true);

		if (bit < 0)
			return why_set(why, "bad keyword or too many keywords"),
			       STORE_NOTALLOWED;
		m->keywords |= 1ull << bit;
	}
	if (r != STORE_OK)
		return r;
	if (mb.uidnext == UINT32_MAX)
		return why_set(why, "UIDs exhausted"), STORE_TEMP;
	m->uid = mb.uidnext++;
	m->modseq = ++mb.highestmodseq;
	store_count_in(&mb, m);
	u.bytes += m->size;
	u.messages++;
	store_path_msg(s, mb.id, m->uid, m->guid, final, 4200);
	if (rename(tmp, final) == -1)
		return why_syserr(why, "rename %s", final), STORE_TEMP;
	if (file_sync_dir(final, why) == -1)
		return STORE_TEMP;
	r = store_msg_put(s, t, mb.id, m, why);
	store_key_msg(&k, mb.id, m->uid);
	if (r == STORE_OK && cache.len > 0)
		r = store_mdb(mdb_put(t, s->e->dbi[DB_CACHE], &k.v, &cv, 0),
		    "cache", why);
	if (r == STORE_OK)
		r = store_mbox_save(s, t, &mb, why);
	return r == STORE_OK ? store_usage_put(s, t, &u, why) : r;
}

enum store_res
store_append(struct store *s, const struct store_append *a,
    struct store_msg *out, struct why *why)
{
	struct store_msg m = { 0 };
	struct buf cache;
	struct why cwhy;
	char tmp[4200];
	char final[4200] = "";
	MDB_txn *t;
	enum store_res r;

	m.flags = a->flags & STORE_ALL_FLAGS;
	m.size = a->msg.len;
	m.internaldate = a->internaldate != 0 ? a->internaldate : time(NULL);
	if (getentropy(m.guid, sizeof(m.guid)) == -1)
		return why_syserr(why, "getentropy"), STORE_TEMP;
	/* The cache is best effort: without it readers parse the file. */
	buf_init(&cache, CACHE_MAX);
	if (msgcache_build(a->msg, &cache, &cwhy) == -1)
		buf_reset(&cache);
	if (write_tmp(s, &m, a->msg, tmp, sizeof(tmp), why) == -1) {
		buf_fini(&cache);
		return STORE_TEMP;
	}
	r = store_txn(s, true, &t, why);
	if (r == STORE_OK) {
		r = append_txn(s, t, a, &m, buf_span(&cache), tmp, final, why);
		r = r == STORE_OK ? store_commit(t, why) :
				    (mdb_txn_abort(t), r);
	}
	buf_fini(&cache);
	if (r != STORE_OK) {
		unlink(final[0] != '\0' ? final : tmp);
		unlink(tmp);
		return r;
	}
	store_notify(s, a->mailbox);
	*out = m;
	return STORE_OK;
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
