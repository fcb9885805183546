/*
 * store_change.c - flag changes with MODSEQ (RFC 7162), copy and move
 * between a user's mailboxes by hard link, and claiming \Recent.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * keywords come from clients and are checked by store_keyword_bit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/xmem.h"
#include "store/store_impl.h"

/* The flags and keywords a message has after f. */
static void
apply(const struct store_flags *f, uint64_t kw, struct store_msg *m)
{
	uint32_t fl = f->flags & STORE_ALL_FLAGS;

	if (f->op == STORE_FLAGS_SET) {
		m->flags = fl;
		m->keywords = kw;
	} else if (f->op == STORE_FLAGS_ADD) {
		m->flags |= fl;
		m->keywords |= kw;
	} else {
		m->flags &= ~fl;
		m->keywords &= ~kw;
	}
}

/* Results reported after the commit. */
struct outcome {
	struct store_msg *msg;		/* owned */
	bool *changed;			/* owned */
	size_t n;
};

static void
note(struct outcome *o, const struct store_msg *m, bool changed)
{
	o->msg = xreallocarray(o->msg, o->n + 1, sizeof(*o->msg));
	o->changed = xreallocarray(o->changed, o->n + 1, sizeof(bool));
	o->msg[o->n] = *m;
	o->changed[o->n++] = changed;
}

/* Give m its new flags in the index (a new change key). */
static enum store_res
restamp(struct store *s, MDB_txn *t, struct store_mailbox *mb,
    const struct store_msg *old, struct store_msg *m, struct why *why)
{
	struct store_key k;
	int rc;

	store_key_seq(&k, mb->id, old->modseq, old->uid);
	if ((rc = mdb_del(t, s->e->dbi[DB_MSEQ], &k.v, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return store_mdb(rc, "flags", why);
	m->modseq = mb->highestmodseq + 1;
	mb->unseen += (old->flags & STORE_SEEN) && !(m->flags & STORE_SEEN);
	mb->unseen -= !(old->flags & STORE_SEEN) && (m->flags & STORE_SEEN);
	return store_msg_put(s, t, mb->id, m, why);
}

static enum store_res
flags_txn(struct store *s, MDB_txn *t, uint32_t id, const uint32_t *uids,
    size_t n, const struct store_flags *f, struct outcome *o,
    struct why *why)
{
	struct store_mailbox mb;
	uint64_t kw = 0;
	bool any = false;
	enum store_res r = store_mbox_load_id(s, t, id, &mb, why);

	for (size_t i = 0; r == STORE_OK && i < f->nkeywords; i++) {
		int bit = store_keyword_bit(&mb, f->keywords[i],
		    f->op != STORE_FLAGS_REMOVE);

		if (bit < 0 && f->op != STORE_FLAGS_REMOVE)
			return why_set(why, "bad keyword or too many keywords"),
			       STORE_NOTALLOWED;
		kw |= bit < 0 ? 0 : 1ull << bit;
	}
	for (size_t i = 0; r == STORE_OK && i < n; i++) {
		struct store_msg old;
		struct store_msg m;

		r = store_msg_load(s, t, id, uids[i], &old, why);
		if (r == STORE_NOTFOUND) {
			r = STORE_OK;
			continue;
		}
		m = old;
		if (r == STORE_OK)
			apply(f, kw, &m);
		if (r != STORE_OK || (f->unchangedsince != 0 &&
					 old.modseq > f->unchangedsince) ||
		    (m.flags == old.flags && m.keywords == old.keywords)) {
			note(o, &old, false);
			continue;
		}
		r = restamp(s, t, &mb, &old, &m, why);
		note(o, &m, true);
		any = true;
	}
	if (r != STORE_OK || !any)
		return r;
	mb.highestmodseq++;
	return store_mbox_save(s, t, &mb, why);
}

enum store_res
store_flags_change(struct store *s, uint32_t mailbox, const uint32_t *uids,
    size_t n, const struct store_flags *f, store_changed_fn *fn, void *arg,
    struct why *why)
{
	struct outcome o = { NULL, NULL, 0 };
	MDB_txn *t;
	bool any = false;
	enum store_res r = store_txn(s, true, &t, why);

	if (r != STORE_OK)
		return r;
	r = flags_txn(s, t, mailbox, uids, n, f, &o, why);
	r = r == STORE_OK ? store_commit(t, why) : (mdb_txn_abort(t), r);
	for (size_t i = 0; r == STORE_OK && i < o.n; i++) {
		any |= o.changed[i];
		if (fn != NULL)
			fn(arg, &o.msg[i], o.changed[i]);
	}
	if (any)
		store_notify(s, mailbox);
	free(o.msg);
	free(o.changed);
	return r;
}

/* The target's keyword bits for the source's (defined as needed). */
static int
map_keywords(const struct store_mailbox *from, struct store_mailbox *to,
    uint64_t kw, uint64_t *out)
{
	*out = 0;
	for (unsigned i = 0; i < from->nkeywords; i++) {
		int bit;

		if (!(kw & 1ull << i))
			continue;
		if ((bit = store_keyword_bit(to, from->keywords[i], true)) < 0)
			return -1;
		*out |= 1ull << bit;
	}
	return 0;
}

/* A hard link of the message file under its new UID. */
static enum store_res
link_file(struct store *s, uint32_t from, const struct store_msg *m,
    uint32_t to, const struct store_msg *n, struct why *why)
{
	char src[4200];
	char dst[4200];

	store_path_msg(s, from, m->uid, m->guid, src, sizeof(src));
	store_path_msg(s, to, n->uid, n->guid, dst, sizeof(dst));
	/* An orphan of a crashed copy may hold the name: never indexed. */
	if (link(src, dst) == -1 && (errno != EEXIST || unlink(dst) == -1 ||
					link(src, dst) == -1))
		return why_syserr(why, "link %s", dst), STORE_TEMP;
	return STORE_OK;
}

static enum store_res
copy_cache(struct store *s, MDB_txn *t, uint32_t from, uint32_t fuid,
    uint32_t to, uint32_t tuid, struct why *why)
{
	struct store_key k;
	MDB_val v;
	int rc;

	store_key_msg(&k, from, fuid);
	rc = mdb_get(t, s->e->dbi[DB_CACHE], &k.v, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_OK;
	store_key_msg(&k, to, tuid);
	if (rc == 0)
		rc = mdb_put(t, s->e->dbi[DB_CACHE], &k.v, &v, 0);
	return store_mdb(rc, "cache", why);
}

struct copy {
	struct store_mailbox from;
	struct store_mailbox to;
	struct store_usage u;
	struct store_doomed moved;	/* source files, after a move */
	char last[4200];		/* a linked file, to sync its dir */
};

static enum store_res
copy_one(struct store *s, MDB_txn *t, struct copy *c, uint32_t uid,
    bool move, uint32_t *new_uid, struct why *why)
{
	struct store_msg m;
	struct store_msg n;
	enum store_res r = store_msg_load(s, t, c->from.id, uid, &m, why);

	*new_uid = 0;
	if (r == STORE_NOTFOUND)
		return STORE_OK;
	if (r != STORE_OK)
		return r;
	n = m;
	if (map_keywords(&c->from, &c->to, m.keywords, &n.keywords) == -1)
		return why_set(why, "too many keywords"), STORE_NOTALLOWED;
	if (c->to.uidnext == UINT32_MAX)
		return why_set(why, "UIDs exhausted"), STORE_TEMP;
	n.uid = c->to.uidnext++;
	n.modseq = c->to.highestmodseq + 1;
	if ((r = link_file(s, c->from.id, &m, c->to.id, &n, why)) != STORE_OK)
		return r;
	store_path_msg(s, c->to.id, n.uid, n.guid, c->last, sizeof(c->last));
	store_count_in(&c->to, &n);
	c->u.bytes += n.size;
	c->u.messages++;
	r = store_msg_put(s, t, c->to.id, &n, why);
	if (r == STORE_OK)
		r = copy_cache(s, t, c->from.id, m.uid, c->to.id, n.uid, why);
	if (r == STORE_OK && move) {
		r = store_msg_drop(s, t, &c->from, &m, &c->u, why);
		store_doom(&c->moved, &m);
	}
	*new_uid = n.uid;
	return r;
}

static enum store_res
copy_txn(struct store *s, MDB_txn *t, uint32_t from, const uint32_t *uids,
    size_t n, uint32_t to, bool move, uint32_t *new_uids, struct copy *c,
    struct why *why)
{
	struct store_usage before;
	enum store_res r = store_mbox_load_id(s, t, from, &c->from, why);

	if (r == STORE_OK)
		r = store_mbox_load_id(s, t, to, &c->to, why);
	if (r == STORE_OK && (c->to.noselect || from == to))
		return why_set(why, "cannot copy there"), STORE_NOTALLOWED;
	if (r == STORE_OK)
		r = store_usage_get(s, t, &c->u, why);
	before = c->u;
	c->from.highestmodseq++;
	for (size_t i = 0; r == STORE_OK && i < n; i++)
		r = copy_one(s, t, c, uids[i], move, &new_uids[i], why);
	if (r == STORE_OK && c->u.bytes > before.bytes)
		r = store_quota_check(s, &before, c->u.bytes - before.bytes,
		    c->u.messages - before.messages, why);
	if (r == STORE_OK && c->last[0] != '\0' &&
	    file_sync_dir(c->last, why) == -1)
		r = STORE_TEMP;
	c->to.highestmodseq++;
	if (r == STORE_OK)
		r = store_mbox_save(s, t, &c->to, why);
	if (r == STORE_OK && move)
		r = store_mbox_save(s, t, &c->from, why);
	return r == STORE_OK ? store_usage_put(s, t, &c->u, why) : r;
}

enum store_res
store_copy(struct store *s, uint32_t from, const uint32_t *uids, size_t n,
    uint32_t to, bool move, uint32_t *new_uids_out,
    uint32_t *uidvalidity_out, struct why *why)
{
	struct copy *c = xcalloc(1, sizeof(*c));
	MDB_txn *t;
	enum store_res r = store_txn(s, true, &t, why);

	if (r == STORE_OK) {
		r = copy_txn(s, t, from, uids, n, to, move, new_uids_out, c,
		    why);
		r = r == STORE_OK ? store_commit(t, why) :
				    (mdb_txn_abort(t), r);
	}
	/* Links made by a failed copy are orphans; check removes them. */
	store_doomed_unlink(s, from, &c->moved, r == STORE_OK);
	if (r == STORE_OK) {
		*uidvalidity_out = c->to.uidvalidity;
		store_notify(s, to);
		if (move)
			store_notify(s, from);
	}
	free(c);
	return r;
}

enum store_res
store_claim_recent(struct store *s, uint32_t mailbox, uint32_t *first_out,
    struct why *why)
{
	struct store_mailbox mb;
	MDB_txn *t;
	enum store_res r = store_txn(s, false, &t, why);

	/* Nothing new since the last claim (the usual SELECT): no write
	 * transaction, no sync. */
	if (r != STORE_OK)
		return r;
	r = store_mbox_load_id(s, t, mailbox, &mb, why);
	mdb_txn_abort(t);
	if (r == STORE_OK && mb.first_recent == mb.uidnext) {
		*first_out = mb.first_recent;
		return STORE_OK;
	}
	if (r != STORE_OK || (r = store_txn(s, true, &t, why)) != STORE_OK)
		return r;
	r = store_mbox_load_id(s, t, mailbox, &mb, why);
	if (r == STORE_OK) {
		*first_out = mb.first_recent;
		mb.first_recent = mb.uidnext;
		mb.recent = 0;
		r = store_mbox_save(s, t, &mb, why);
	}
	return r == STORE_OK ? store_commit(t, why) : (mdb_txn_abort(t), r);
}
