/*
 * store_append.c - appending a message, with group commit.
 *
 * Order of durable steps (postern-store(5)): the message file is
 * written and fsynced in tmp/ (by the caller's thread, in parallel with
 * others), renamed into its mailbox's directory and that directory
 * fsynced while the index write transaction is open; then the
 * transaction commits (synchronously).  A crash before the commit
 * leaves an orphan file that no index entry names (never acknowledged);
 * postern store check removes orphans.
 *
 * Group commit: only one write transaction of an index runs at a time,
 * and its fsyncs are most of an append's cost.  Appends to an index
 * that come while one of the process's threads is committing queue up;
 * when it is done, one of them commits the whole queue in one
 * transaction (each append in a nested transaction of its own, so that
 * one that fails, over quota say, fails alone), one fsync per mailbox
 * directory and one commit for all.  One append alone costs what it did
 * before; N at once cost about one.
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

/* One append waiting in its index's queue (on its thread's stack). */
struct store_append_req {
	struct store *s;
	const struct store_append *a;
	struct store_msg m;
	struct span cache;
	char tmp[4200];
	char final[4200];		/* "" until renamed */
	struct why *why;
	enum store_res r;
	bool done;
	struct store_append_req *next;
};

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

/* One append's records, and its file renamed into place (not synced). */
static enum store_res
append_txn(struct store_append_req *q, MDB_txn *t)
{
	struct store *s = q->s;
	const struct store_append *a = q->a;
	struct store_msg *m = &q->m;
	struct store_mailbox mb;
	struct store_usage u;
	struct store_key k;
	MDB_val cv = { q->cache.len, (void *)q->cache.p };
	enum store_res r = store_mbox_load_id(s, t, a->mailbox, &mb, q->why);

	if (r == STORE_OK && mb.noselect)
		return why_set(q->why, "mailbox is \\Noselect"),
		       STORE_NOTALLOWED;
	if (r == STORE_OK)
		r = store_usage_get(s, t, &u, q->why);
	if (r == STORE_OK)
		r = store_quota_check(s, &u, m->size, 1, q->why);
	for (size_t i = 0; r == STORE_OK && i < a->nkeywords; i++) {
		int bit = store_keyword_bit(&mb, a->keywords[i], true);

		if (bit < 0)
			return why_set(q->why, "bad keyword or too many "
					       "keywords"),
			       STORE_NOTALLOWED;
		m->keywords |= 1ull << bit;
	}
	if (r != STORE_OK)
		return r;
	if (mb.uidnext == UINT32_MAX)
		return why_set(q->why, "UIDs exhausted"), STORE_TEMP;
	m->uid = mb.uidnext++;
	m->modseq = ++mb.highestmodseq;
	store_count_in(&mb, m);
	u.bytes += m->size;
	u.messages++;
	store_path_msg(s, mb.id, m->uid, m->guid, q->final, sizeof(q->final));
	if (rename(q->tmp, q->final) == -1) {
		why_syserr(q->why, "rename %s", q->final);
		q->final[0] = '\0';
		return STORE_TEMP;
	}
	r = store_msg_put(s, t, mb.id, m, q->why);
	store_key_msg(&k, mb.id, m->uid);
	if (r == STORE_OK && q->cache.len > 0)
		r = store_mdb(mdb_put(t, s->e->dbi[DB_CACHE], &k.v, &cv, 0),
		    "cache", q->why);
	if (r == STORE_OK)
		r = store_mbox_save(s, t, &mb, q->why);
	return r == STORE_OK ? store_usage_put(s, t, &u, q->why) : r;
}

/* Whether an earlier good append of the batch renamed into q's
 * directory (the directory's fsync covers both). */
static bool
dir_synced(const struct store_append_req *batch,
    const struct store_append_req *q)
{
	const char *slash = strrchr(q->final, '/');
	size_t len = slash != NULL ? (size_t)(slash - q->final) : 0;

	for (; batch != q; batch = batch->next)
		if (batch->r == STORE_OK &&
		    strncmp(batch->final, q->final, len + 1) == 0)
			return true;
	return false;
}

/* Commit a batch of appends to one index: each gets its r and why. */
static void
commit_batch(struct store_append_req *batch)
{
	struct store_append_req *q;
	MDB_txn *t, *nested;
	struct why why;
	enum store_res r = store_txn(batch->s, true, &t, &why);

	/* One alone needs no nested transaction (LMDB allocates each a
	 * dirty-page list): its failure aborts the whole. */
	if (r == STORE_OK && batch->next == NULL &&
	    (batch->r = append_txn(batch, t)) != STORE_OK) {
		mdb_txn_abort(t);
		return;
	}
	for (q = batch; r == STORE_OK && q != NULL && batch->next != NULL;
	     q = q->next) {
		q->r = store_mdb(mdb_txn_begin(q->s->e->env, t, 0, &nested),
		    "begin", q->why);
		if (q->r != STORE_OK)
			continue;
		q->r = append_txn(q, nested);
		q->r = q->r == STORE_OK ? store_commit(nested, q->why) :
					  (mdb_txn_abort(nested), q->r);
	}
	/* The renames are durable before the index names the files. */
	for (q = batch; r == STORE_OK && q != NULL; q = q->next)
		if (q->r == STORE_OK && !dir_synced(batch, q) &&
		    file_sync_dir(q->final, &why) == -1)
			r = STORE_TEMP;
	if (r == STORE_OK)
		r = store_commit(t, &why);
	else if (t != NULL)
		mdb_txn_abort(t);
	for (q = batch; r != STORE_OK && q != NULL; q = q->next)
		if (q->r == STORE_OK) {
			q->r = r;
			*q->why = why;
		}
}

/*
 * Queue q on its index and wait until it is committed: by this thread,
 * when no other is committing, taking everything queued so far; or by
 * the thread that is.
 */
static void
group_commit(struct store_append_req *q)
{
	struct store_env *e = q->s->e;
	struct store_append_req *batch;

	pthread_mutex_lock(&e->append_lock);
	*e->append_tail = q;
	e->append_tail = &q->next;
	while (!q->done) {
		if (e->appending) {
			pthread_cond_wait(&e->append_done, &e->append_lock);
			continue;
		}
		batch = e->append_queue;
		e->append_queue = NULL;
		e->append_tail = &e->append_queue;
		e->appending = true;
		pthread_mutex_unlock(&e->append_lock);
		commit_batch(batch);
		pthread_mutex_lock(&e->append_lock);
		for (; batch != NULL; batch = batch->next)
			batch->done = true;
		e->appending = false;
		pthread_cond_broadcast(&e->append_done);
	}
	pthread_mutex_unlock(&e->append_lock);
}

enum store_res
store_append(struct store *s, const struct store_append *a,
    struct store_msg *out, struct why *why)
{
	struct store_append_req q = { .s = s, .a = a, .why = why,
		.r = STORE_OK };
	struct buf cache;
	struct why cwhy;

	q.m.flags = a->flags & STORE_ALL_FLAGS;
	q.m.size = a->msg.len;
	q.m.internaldate = a->internaldate != 0 ? a->internaldate :
						    time(NULL);
	if (getentropy(q.m.guid, sizeof(q.m.guid)) == -1)
		return why_syserr(why, "getentropy"), STORE_TEMP;
	if (write_tmp(s, &q.m, a->msg, q.tmp, sizeof(q.tmp), why) == -1)
		return STORE_TEMP;
	/* The cache is best effort: without it readers parse the file. */
	buf_init(&cache, CACHE_MAX);
	if (msgcache_build(a->msg, &cache, &cwhy) == -1)
		buf_reset(&cache);
	q.cache = buf_span(&cache);
	group_commit(&q);
	buf_fini(&cache);
	if (q.r != STORE_OK) {
		if (q.final[0] != '\0')
			unlink(q.final);
		unlink(q.tmp);
		return q.r;
	}
	store_notify(s, a->mailbox);
	*out = q.m;
	return STORE_OK;
}
