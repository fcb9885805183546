/*
 * store_impl.h - what the store's files share: the open index, the
 * record formats (postern-store(5)), paths and transactions.  Not for
 * use outside lib/store.
 *
 * Records are fixed-width little-endian fields; keys that must sort
 * (message, change and expunge keys) are big-endian so that LMDB's
 * byte order is numeric order.  Every record read is checked: one that
 * does not decode marks the index damaged (rebuilt at the next open).
 *
 * Linked into: whatever links lib/store.  Trust: the index and files
 * are ours but may be damaged.
 */
#ifndef POSTERN_STORE_IMPL_H
#define POSTERN_STORE_IMPL_H

#include <lmdb.h>
#include <pthread.h>

#include "store/store.h"

/* The format version in meta "version". */
#define STORE_VERSION 1

enum store_db {
	DB_META,	/* "version", "uidvalidity", "nextid", "usage" */
	DB_MBOX,	/* name -> mailbox record */
	DB_MBOXID,	/* id (BE32) -> name */
	DB_MSG,		/* id, uid (BE32 each) -> message record */
	DB_CACHE,	/* id, uid -> msgcache blob */
	DB_MSEQ,	/* id, modseq (BE64), uid -> "" : changes */
	DB_GONE,	/* id, modseq, uid -> "" : expunges */
	DB_SUBS,	/* name -> "" : subscriptions */
	DB_COUNT,
};

/* One LMDB environment per user directory per process (LMDB forbids
 * opening one twice in a process): shared by every struct store of that
 * user, counted, freed with the last. */
struct store_env {
	char *dir;			/* owned: the user's directory */
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	unsigned refs;			/* under the registry lock */
	bool registered;		/* in the registry (not a rebuild's) */
	uint64_t ino;			/* of its data.mdb: which index */
	bool replaced;			/* a rebuild put a new index in its
					 * place: not handed out again */
	struct store_env *next;
	/* Group commit of appends (store_append.c); registered only. */
	pthread_mutex_t append_lock;
	pthread_cond_t append_done;	/* a batch was committed */
	struct store_append_req *append_queue;	/* waiting, oldest first */
	struct store_append_req **append_tail;
	bool appending;			/* a thread is committing a batch */
};

struct store {
	const struct store_conf *conf;	/* borrowed: the caller's */
	struct store_env *e;		/* counted reference */
	uint64_t quota_bytes;
	uint64_t quota_messages;
	char rebuilt[300];		/* why store_open rebuilt, or "" */
};

#define STORE_MSG_REC 56
#define STORE_MBOX_FIXED 48

/* Keys. */
struct store_key {
	unsigned char b[16];
	MDB_val v;
};
void	store_key_msg(struct store_key *k, uint32_t id, uint32_t uid);
void	store_key_seq(struct store_key *k, uint32_t id, uint64_t modseq,
	    uint32_t uid);
void	store_key_id(struct store_key *k, uint32_t id);
uint32_t store_be32(const unsigned char *p);
uint32_t store_le32(const unsigned char *p);
uint64_t store_be64(const unsigned char *p);

/* Records: decode returns 0, or -1 for a record that cannot be ours. */
void	store_msg_encode(const struct store_msg *m, unsigned char *out);
int	store_msg_decode(MDB_val v, uint32_t uid, struct store_msg *m);
int	store_mbox_encode(const struct store_mailbox *m, struct buf *out);
int	store_mbox_decode(MDB_val v, struct store_mailbox *m);

/* Transactions: STORE_OK, or STORE_TEMP with why. */
/* Whether another process's rebuild has renamed a new index over the one
 * e (a registry environment) has open: what is written to the old one
 * would be lost, so write transactions on it are refused and opens make
 * a new environment. */
bool	store_index_replaced(struct store_env *e);
enum store_res store_txn(struct store *s, bool write, MDB_txn **out,
	    struct why *why);
enum store_res store_commit(MDB_txn *t, struct why *why);
/* An LMDB error as a result (MDB_NOTFOUND -> STORE_NOTFOUND). */
enum store_res store_mdb(int rc, const char *what, struct why *why);
/* A record that does not decode: mark the index for rebuilding. */
enum store_res store_damaged(struct store *s, const char *what,
	    struct why *why);

/* Mailboxes inside a transaction (name given or by id). */
enum store_res store_mbox_load(struct store *s, MDB_txn *t,
	    const char *name, struct store_mailbox *m, struct why *why);
enum store_res store_mbox_load_id(struct store *s, MDB_txn *t, uint32_t id,
	    struct store_mailbox *m, struct why *why);
enum store_res store_mbox_save(struct store *s, MDB_txn *t,
	    const struct store_mailbox *m, struct why *why);
/* A new mailbox record and its directory (id, uidvalidity given out). */
enum store_res store_mbox_make(struct store *s, MDB_txn *t,
	    const char *name, enum store_role role, struct store_mailbox *m,
	    struct why *why);
/* Delete every message record of a mailbox (counters and usage too);
 * fn gets each message so that its file can be removed after commit. */
enum store_res store_mbox_empty(struct store *s, MDB_txn *t,
	    struct store_mailbox *m, store_msg_fn *fn, void *arg,
	    struct why *why);
/* The keyword bit of name in m, defining it when define; -1 if none. */
int	store_keyword_bit(struct store_mailbox *m, const char *name,
	    bool define);

enum store_res store_subscribe_txn(struct store *s, MDB_txn *t,
	    const char *name, bool on, struct why *why);

/* Quota usage in meta. */
enum store_res store_usage_get(struct store *s, MDB_txn *t,
	    struct store_usage *u, struct why *why);
enum store_res store_usage_put(struct store *s, MDB_txn *t,
	    const struct store_usage *u, struct why *why);
/* A u32 counter in meta: its value + 1 is stored and returned. */
enum store_res store_meta_next(struct store *s, MDB_txn *t, const char *key,
	    uint32_t floor, uint32_t *out, struct why *why);

/* Messages inside a transaction. */
enum store_res store_msg_load(struct store *s, MDB_txn *t, uint32_t id,
	    uint32_t uid, struct store_msg *m, struct why *why);
/* Put the message and change-key records. */
enum store_res store_msg_put(struct store *s, MDB_txn *t, uint32_t id,
	    const struct store_msg *m, struct why *why);
/* Take a message out (counters, usage, an expunge record at the
 * mailbox's highestmodseq); its file goes after the commit. */
enum store_res store_msg_drop(struct store *s, MDB_txn *t,
	    struct store_mailbox *mb, const struct store_msg *m,
	    struct store_usage *u, struct why *why);
/* Count a message into its mailbox's counters. */
void	store_count_in(struct store_mailbox *mb, const struct store_msg *m);
enum store_res store_quota_check(const struct store *s,
	    const struct store_usage *u, uint64_t bytes, uint64_t msgs,
	    struct why *why);
/* Files to remove after a commit. */
struct store_doomed {
	struct store_msg *msg;		/* owned */
	size_t n;
};
void	store_doom(struct store_doomed *d, const struct store_msg *m);
/* Remove the files (when ok) and free the list. */
void	store_doomed_unlink(struct store *s, uint32_t id,
	    struct store_doomed *d, bool ok);

/* Paths (into a caller's buffer of PATH_MAX). */
int	store_path_msg(const struct store *s, uint32_t id, uint32_t uid,
	    const unsigned char guid[16], char *out, size_t len);
int	store_path_mbox(const struct store *s, uint32_t id, const char *leaf,
	    char *out, size_t len);
/* Tell watchers of mailbox id that it changed (after a commit). */
void	store_notify(struct store *s, uint32_t id);
/* Remove a mailbox's directory and files (after its records went). */
void	store_mbox_rmdir(struct store *s, uint32_t id);

#endif
