/*
 * store_rec.c - the store's index records and keys, transactions, meta
 * counters, paths and change notices (formats: postern-store(5)).
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * records come from an index that may be damaged; each is checked.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_impl.h"

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
putbe(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint32_t
store_le32(const unsigned char *p)
{
	return get32(p);
}

uint32_t
store_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
store_be64(const unsigned char *p)
{
	return (uint64_t)store_be32(p) << 32 | store_be32(p + 4);
}

void
store_key_id(struct store_key *k, uint32_t id)
{
	putbe(k->b, id, 4);
	k->v.mv_data = k->b;
	k->v.mv_size = 4;
}

void
store_key_msg(struct store_key *k, uint32_t id, uint32_t uid)
{
	putbe(k->b, id, 4);
	putbe(k->b + 4, uid, 4);
	k->v.mv_data = k->b;
	k->v.mv_size = 8;
}

void
store_key_seq(struct store_key *k, uint32_t id, uint64_t modseq,
    uint32_t uid)
{
	putbe(k->b, id, 4);
	putbe(k->b + 4, modseq, 8);
	putbe(k->b + 12, uid, 4);
	k->v.mv_data = k->b;
	k->v.mv_size = 16;
}

/* Message: flags, 0, keywords, modseq, internaldate, size, guid. */
void
store_msg_encode(const struct store_msg *m, unsigned char *out)
{
	put32(out, m->flags);
	put32(out + 4, 0);
	put64(out + 8, m->keywords);
	put64(out + 16, m->modseq);
	put64(out + 24, (uint64_t)m->internaldate);
	put64(out + 32, m->size);
	memcpy(out + 40, m->guid, 16);
}

int
store_msg_decode(MDB_val v, uint32_t uid, struct store_msg *m)
{
	const unsigned char *p = v.mv_data;

	if (v.mv_size != STORE_MSG_REC || get32(p) & ~STORE_ALL_FLAGS ||
	    get32(p + 4) != 0)
		return -1;
	m->uid = uid;
	m->flags = get32(p);
	m->keywords = get64(p + 8);
	m->modseq = get64(p + 16);
	m->internaldate = (int64_t)get64(p + 24);
	m->size = get64(p + 32);
	memcpy(m->guid, p + 40, 16);
	return m->modseq == 0 || uid == 0 ? -1 : 0;
}

/*
 * Mailbox: version 1, role, flags (1 = noselect), nkeywords, then id,
 * uidvalidity, uidnext, messages, unseen, first_recent, recent (u32
 * each), highestmodseq, size (u64 each); then each keyword as a length
 * byte and its bytes.  The name is the key; subscription is elsewhere.
 */
int
store_mbox_encode(const struct store_mailbox *m, struct buf *out)
{
	unsigned char f[STORE_MBOX_FIXED];
	const uint32_t w[7] = { m->id, m->uidvalidity, m->uidnext,
		m->messages, m->unseen, m->first_recent, m->recent };

	f[0] = 1;
	f[1] = (unsigned char)m->role;
	f[2] = m->noselect ? 1 : 0;
	f[3] = (unsigned char)m->nkeywords;
	for (int i = 0; i < 7; i++)
		put32(f + 4 + 4 * i, w[i]);
	put64(f + 32, m->highestmodseq);
	put64(f + 40, m->size);
	if (buf_add(out, f, sizeof(f)) == -1)
		return -1;
	for (unsigned i = 0; i < m->nkeywords; i++) {
		size_t n = strlen(m->keywords[i]);

		if (buf_addc(out, (int)n) == -1 ||
		    buf_add(out, m->keywords[i], n) == -1)
			return -1;
	}
	return 0;
}

static int
decode_keywords(const unsigned char *p, size_t len, struct store_mailbox *m)
{
	for (unsigned i = 0; i < m->nkeywords; i++) {
		size_t n;

		if (len < 1 || (n = p[0]) == 0 || n > STORE_MAX_KEYWORD ||
		    n + 1 > len)
			return -1;
		memcpy(m->keywords[i], p + 1, n);
		m->keywords[i][n] = '\0';
		if (strlen(m->keywords[i]) != n)
			return -1;
		p += n + 1;
		len -= n + 1;
	}
	return len == 0 ? 0 : -1;
}

int
store_mbox_decode(MDB_val v, struct store_mailbox *m)
{
	const unsigned char *p = v.mv_data;
	uint32_t w[7];

	if (v.mv_size < STORE_MBOX_FIXED || p[0] != 1 ||
	    p[1] > STORE_ROLE_ARCHIVE || p[2] > 1 ||
	    p[3] > STORE_MAX_KEYWORDS)
		return -1;
	m->role = (enum store_role)p[1];
	m->noselect = p[2] == 1;
	m->nkeywords = p[3];
	for (int i = 0; i < 7; i++)
		w[i] = get32(p + 4 + 4 * i);
	m->id = w[0];
	m->uidvalidity = w[1];
	m->uidnext = w[2];
	m->messages = w[3];
	m->unseen = w[4];
	m->first_recent = w[5];
	m->recent = w[6];
	m->highestmodseq = get64(p + 32);
	m->size = get64(p + 40);
	if (m->id == 0 || m->uidvalidity == 0 || m->uidnext == 0 ||
	    m->highestmodseq == 0 || m->unseen > m->messages ||
	    m->recent > m->messages)
		return -1;
	return decode_keywords(p + STORE_MBOX_FIXED,
	    v.mv_size - STORE_MBOX_FIXED, m);
}

enum store_res
store_mdb(int rc, const char *what, struct why *why)
{
	if (rc == 0)
		return STORE_OK;
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	why_set(why, "index %s: %s", what, rc == MDB_MAP_FULL ?
	    "full (raise store_index_max_size)" : mdb_strerror(rc));
	return STORE_TEMP;
}

bool
store_index_replaced(struct store_env *e)
{
	char path[4200];
	struct stat open_st, now_st;
	mdb_filehandle_t fd;
	bool replaced;

	if (!e->registered)
		return false;
	if (__atomic_load_n(&e->replaced, __ATOMIC_RELAXED))
		return true;
	snprintf(path, sizeof(path), "%s/index/data.mdb", e->dir);
	if (mdb_env_get_fd(e->env, &fd) != 0 || fstat(fd, &open_st) == -1 ||
	    stat(path, &now_st) == -1)
		return false;	/* the transaction reports what is wrong */
	replaced = open_st.st_ino != now_st.st_ino ||
	    open_st.st_dev != now_st.st_dev;
	if (replaced)
		__atomic_store_n(&e->replaced, true, __ATOMIC_RELAXED);
	return replaced;
}

enum store_res
store_txn(struct store *s, bool write, MDB_txn **out, struct why *why)
{
	*out = NULL;
	if (write && store_index_replaced(s->e)) {
		why_set(why, "the index was rebuilt meanwhile: open the store "
			     "again");
		return STORE_TEMP;
	}
	return store_mdb(mdb_txn_begin(s->e->env, NULL, write ? 0 :
	    MDB_RDONLY, out), "begin", why);
}

enum store_res
store_commit(MDB_txn *t, struct why *why)
{
	return store_mdb(mdb_txn_commit(t), "commit", why);
}

enum store_res
store_damaged(struct store *s, const char *what, struct why *why)
{
	char path[4096];
	int fd;

	/* The next open rebuilds the index from the message files. */
	if (snprintf(path, sizeof(path), "%s/index/damaged", s->e->dir) <
		(int)sizeof(path) &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	why_set(why, "index damaged: bad %s record", what);
	return STORE_TEMP;
}

enum store_res
store_usage_get(struct store *s, MDB_txn *t, struct store_usage *u,
    struct why *why)
{
	MDB_val k = { 5, "usage" };
	MDB_val v;
	enum store_res r = store_mdb(mdb_get(t, s->e->dbi[DB_META], &k, &v),
	    "usage", why);

	u->bytes = u->messages = 0;
	if (r == STORE_NOTFOUND)
		return STORE_OK;
	if (r != STORE_OK)
		return r;
	if (v.mv_size != 16)
		return store_damaged(s, "usage", why);
	u->bytes = get64(v.mv_data);
	u->messages = get64((const unsigned char *)v.mv_data + 8);
	return STORE_OK;
}

enum store_res
store_usage_put(struct store *s, MDB_txn *t, const struct store_usage *u,
    struct why *why)
{
	unsigned char b[16];
	MDB_val k = { 5, "usage" };
	MDB_val v = { sizeof(b), b };

	put64(b, u->bytes);
	put64(b + 8, u->messages);
	return store_mdb(mdb_put(t, s->e->dbi[DB_META], &k, &v, 0), "usage",
	    why);
}

enum store_res
store_meta_next(struct store *s, MDB_txn *t, const char *key,
    uint32_t floor, uint32_t *out, struct why *why)
{
	MDB_val k = { strlen(key), (void *)key };
	MDB_val v;
	unsigned char b[4];
	uint32_t n = 0;
	enum store_res r = store_mdb(mdb_get(t, s->e->dbi[DB_META], &k, &v),
	    key, why);

	if (r == STORE_OK && v.mv_size != 4)
		return store_damaged(s, key, why);
	if (r == STORE_OK)
		n = get32(v.mv_data);
	else if (r != STORE_NOTFOUND)
		return r;
	if (n == UINT32_MAX)
		return why_set(why, "%s counter exhausted", key), STORE_TEMP;
	n = n + 1 > floor ? n + 1 : floor;
	put32(b, n);
	v.mv_size = 4;
	v.mv_data = b;
	*out = n;
	return store_mdb(mdb_put(t, s->e->dbi[DB_META], &k, &v, 0), key, why);
}

int
store_path_msg(const struct store *s, uint32_t id, uint32_t uid,
    const unsigned char guid[16], char *out, size_t len)
{
	char hex[33];

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", guid[i]);
	return snprintf(out, len, "%s/mbox/%u/%u.%s", s->e->dir, id, uid,
		   hex) < (int)len ? 0 : -1;
}

int
store_path_mbox(const struct store *s, uint32_t id, const char *leaf,
    char *out, size_t len)
{
	return snprintf(out, len, "%s/mbox/%u%s%s", s->e->dir, id,
		   leaf[0] != '\0' ? "/" : "", leaf) < (int)len ? 0 : -1;
}

void
store_notify(struct store *s, uint32_t id)
{
	char path[4096];
	int fd;

	/* A write is what the watchers' inotify waits for. */
	if (store_path_mbox(s, id, "changes", path, sizeof(path)) == -1 ||
	    (fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (pwrite(fd, "c", 1, 0) != 1) {
		/* Nothing to do: watchers then notice the next change. */
	}
	close(fd);
}
