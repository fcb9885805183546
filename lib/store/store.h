/*
 * store.h - the mailbox store: one user's mailboxes, messages, flags and
 * parsed message caches (on-disk layout: postern-store(5)).
 *
 * A user's store is a directory: message files written once and never
 * modified (a copy is a hard link), and an LMDB index holding the
 * mailbox list, per-message records (UID, flags, keywords, MODSEQ,
 * INTERNALDATE, size, GUID) and the cache lib/mail/msgcache builds at
 * delivery.  LMDB gives lock-free readers in every process, one writer
 * at a time, and nothing to recover when a process is killed.
 *
 * Every call that changes the store is durable when it returns
 * STORE_OK: message files and their directories are fsynced before the
 * index transaction commits, and the commit is synchronous.  Calls block
 * (disk, the index writer lock): daemons make them on worker threads.
 * A struct store may be used by several threads, but one call at a time
 * per thread; message records handed to callbacks are valid only during
 * the callback.
 *
 * Linked into: lmtpd, imapd, pop3d, postern (store subcommands).  Runs as
 * store_owner (vmail).  Trust: the user name comes from authd, never from
 * a client; mailbox names come from clients and are checked here; files
 * and index are ours but may be damaged, so every record is checked when
 * read and a damaged index is rebuilt (and logged), never trusted.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Longest mailbox name in bytes (UTF-8, '/' separates levels). */
#define STORE_MAX_NAME 512
/* Deepest mailbox hierarchy. */
#define STORE_MAX_DEPTH 32
/* Longest keyword, and most keywords a mailbox may define. */
#define STORE_MAX_KEYWORD 64
#define STORE_MAX_KEYWORDS 64

enum store_res {
	STORE_OK,
	STORE_NOTFOUND,		/* no such mailbox or message */
	STORE_EXISTS,		/* mailbox name taken */
	STORE_BADNAME,		/* mailbox name not allowed */
	STORE_NOTALLOWED,	/* e.g. delete INBOX, or a \Noselect box */
	STORE_OVERQUOTA,	/* the user's quota would be exceeded */
	STORE_TEMP,		/* disk, index or lock trouble: try later */
};

/* System flags. */
enum {
	STORE_SEEN = 1u << 0,
	STORE_ANSWERED = 1u << 1,
	STORE_FLAGGED = 1u << 2,
	STORE_DELETED = 1u << 3,
	STORE_DRAFT = 1u << 4,
	STORE_ALL_FLAGS = (1u << 5) - 1,
};

/* SPECIAL-USE roles (RFC 6154). */
enum store_role {
	STORE_ROLE_NONE,
	STORE_ROLE_SENT,
	STORE_ROLE_DRAFTS,
	STORE_ROLE_TRASH,
	STORE_ROLE_JUNK,
	STORE_ROLE_ARCHIVE,
};

/* Where the stores live and the names of the default mailboxes; strings
 * borrowed from the caller for the life of every store opened with it. */
struct store_conf {
	const char *root;		/* store_directory */
	uint64_t index_size;		/* store_index_max_size: LMDB map */
	const char *sent;		/* default mailboxes; "" = none */
	const char *drafts;
	const char *trash;
	const char *junk;
};

struct params;
/* conf from the store_* parameters (strings borrowed from p). */
void	store_conf_init(struct store_conf *conf, const struct params *p);

struct store;

/*
 * Open (creating on first use, with INBOX and the default mailboxes)
 * the store of user, the canonical address authd answered.  Checks the
 * index; a damaged one is set aside and rebuilt from the message files
 * (logged).  Returns STORE_OK with *out (free with store_free), or
 * STORE_TEMP with why.
 */
enum store_res store_open(const struct store_conf *conf, const char *user,
	    struct store **out, struct why *why);
void	store_free(struct store **s);
/* The user name a directory name (its last component) stands for,
 * appended to out; -1 when it is no encoded name.  Pure. */
int	store_user_name(const char *dirname, struct buf *out);
/* Why store_open rebuilt the index (for the caller's log), or NULL
 * when it did not.  Borrowed, valid while s lives. */
const char *store_rebuilt(const struct store *s);
/* The user's directory (absolute); borrowed, valid while s lives. */
const char *store_dir(const struct store *s);
/* Which index s has open (a rebuild makes a new one): with a mailbox's
 * UIDVALIDITY and HIGHESTMODSEQ it names one state of the mailbox, for
 * caches of what was read from it. */
uint64_t store_index_id(const struct store *s);
/* The user's quota (from authd's record), checked by store_append and
 * store_copy; 0 means unlimited.  Unlimited until set. */
void	store_set_quota(struct store *s, uint64_t bytes, uint64_t messages);
/* The user's directory, relative to conf->root ("ab/cd/user@dom"),
 * appended to out.  Pure. */
int	store_user_dir(const char *user, struct buf *out);

/* A mailbox as the index has it. */
struct store_mailbox {
	uint32_t id;			/* stable across renames */
	char name[STORE_MAX_NAME + 1];
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;
	uint32_t unseen;
	uint32_t recent;		/* UIDs >= first_recent */
	uint32_t first_recent;
	uint64_t size;			/* octets of all its messages */
	enum store_role role;
	bool noselect;			/* kept only as a parent */
	bool subscribed;
	unsigned nkeywords;
	char keywords[STORE_MAX_KEYWORDS][STORE_MAX_KEYWORD + 1];
};

/* Mailbox calls.  Names are compared exactly, except INBOX (any case). */
enum store_res store_mailbox_get(struct store *s, const char *name,
	    struct store_mailbox *out, struct why *why);
enum store_res store_mailbox_by_id(struct store *s, uint32_t id,
	    struct store_mailbox *out, struct why *why);
/* Every mailbox, in name order; fn returns false to stop. */
typedef bool store_mailbox_fn(void *arg, const struct store_mailbox *m);
enum store_res store_mailbox_list(struct store *s, store_mailbox_fn *fn,
	    void *arg, struct why *why);
/* Create name, and any missing parents (RFC 3501 CREATE). */
enum store_res store_mailbox_create(struct store *s, const char *name,
	    enum store_role role, struct why *why);
/* RFC 3501 DELETE: a box with children becomes \Noselect. */
enum store_res store_mailbox_delete(struct store *s, const char *name,
	    struct why *why);
/* RFC 3501 RENAME, children included; INBOX moves its messages to the
 * new name and is left empty. */
enum store_res store_mailbox_rename(struct store *s, const char *from,
	    const char *to, struct why *why);
/* Subscriptions, kept for names with or without a mailbox. */
enum store_res store_subscribe(struct store *s, const char *name, bool on,
	    struct why *why);
/* Every subscribed name (with or without a mailbox), in name order; fn
 * returns false to stop. */
typedef bool store_name_fn(void *arg, const char *name);
enum store_res store_subscription_list(struct store *s, store_name_fn *fn,
	    void *arg, struct why *why);
/* Check a client's mailbox name: UTF-8, no control characters, no
 * empty level, not too long or deep.  Pure. */
bool	store_name_ok(const char *name);

/* A message as the index has it. */
struct store_msg {
	uint32_t uid;
	uint32_t flags;			/* STORE_SEEN ... */
	uint64_t keywords;		/* bit i: the mailbox's keyword i */
	uint64_t modseq;
	int64_t internaldate;		/* seconds since the epoch */
	uint64_t size;			/* octets, CRLF line ends */
	unsigned char guid[16];
};

/*
 * Append msg (CRLF line ends) to a mailbox.  internaldate 0 means now.
 * Keywords not yet defined in the mailbox are defined (up to
 * STORE_MAX_KEYWORDS; more is STORE_NOTALLOWED).  Checks the quota.
 * Returns STORE_OK with the new message's record in *out.
 */
struct store_append {
	uint32_t mailbox;		/* id */
	struct span msg;
	uint32_t flags;
	const char *const *keywords;
	size_t nkeywords;
	int64_t internaldate;
};
enum store_res store_append(struct store *s, const struct store_append *a,
	    struct store_msg *out, struct why *why);

/* Messages of a mailbox with UID >= from, in UID order; fn returns
 * false to stop.  One consistent snapshot. */
typedef bool store_msg_fn(void *arg, const struct store_msg *m);
enum store_res store_msg_list(struct store *s, uint32_t mailbox,
	    uint32_t from, store_msg_fn *fn, void *arg, struct why *why);
enum store_res store_msg_get(struct store *s, uint32_t mailbox,
	    uint32_t uid, struct store_msg *out, struct why *why);
/* The message's cache blob (lib/mail/msgcache), appended to out. */
enum store_res store_msg_cache(struct store *s, uint32_t mailbox,
	    uint32_t uid, struct buf *out, struct why *why);
/*
 * A read snapshot for a batch of lookups: one index read transaction
 * for all of them instead of one each.  The blob store_snap_cache hands
 * out points into the index (no copy) and is valid until
 * store_snap_end.  Hold a snapshot briefly (one batch of work): while it
 * is open the index cannot reuse the pages it sees.
 */
struct store_snap;
enum store_res store_snap_begin(struct store *s, struct store_snap **out,
	    struct why *why);
enum store_res store_snap_msg(struct store_snap *sn, uint32_t mailbox,
	    uint32_t uid, struct store_msg *out, struct why *why);
enum store_res store_snap_cache(struct store_snap *sn, uint32_t mailbox,
	    uint32_t uid, struct span *out, struct why *why);
void	store_snap_end(struct store_snap **sn);
/* Open the message file read-only: a descriptor to pread byte ranges
 * from (the caller closes it).  The file never changes while open, even
 * if the message is expunged meanwhile. */
enum store_res store_msg_open(struct store *s, uint32_t mailbox,
	    uint32_t uid, int *fd_out, struct why *why);

/* Flag changes (STORE): set, add or remove. */
enum store_flag_op { STORE_FLAGS_SET, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };
struct store_flags {
	enum store_flag_op op;
	uint32_t flags;
	const char *const *keywords;
	size_t nkeywords;
	/* CONDSTORE: change only messages whose modseq is <= this; 0 = any.
	 * Others are reported to fn with changed false. */
	uint64_t unchangedsince;
};
/* Apply f to uids[0..n) (absent ones are skipped) in one transaction;
 * fn (may be NULL) sees each message after the change. */
typedef void store_changed_fn(void *arg, const struct store_msg *m,
	    bool changed);
enum store_res store_flags_change(struct store *s, uint32_t mailbox,
	    const uint32_t *uids, size_t n, const struct store_flags *f,
	    store_changed_fn *fn, void *arg, struct why *why);

/* Expunge uids[0..n) (absent ones are skipped); fn (may be NULL) gets
 * each expunged UID. */
typedef void store_uid_fn(void *arg, uint32_t uid);
enum store_res store_expunge(struct store *s, uint32_t mailbox,
	    const uint32_t *uids, size_t n, store_uid_fn *fn, void *arg,
	    struct why *why);

/*
 * Copy (or move) uids[0..n) to another mailbox of the same user without
 * copying message bytes (hard links).  new_uids_out[i] receives the new
 * UID of uids[i], or 0 when it was absent.  Keywords carry over, defined
 * in the target as needed.  Checks the quota (a move frees what it
 * takes).
 */
enum store_res store_copy(struct store *s, uint32_t from, const uint32_t *uids,
	    size_t n, uint32_t to, bool move, uint32_t *new_uids_out,
	    uint32_t *uidvalidity_out, struct why *why);

/* RFC 3501 \Recent: the UIDs from *first_out on are recent for the
 * caller's session, and for no later one. */
enum store_res store_claim_recent(struct store *s, uint32_t mailbox,
	    uint32_t *first_out, struct why *why);

/*
 * Changes since modseq: fn_msg sees every message whose modseq is
 * greater (appended or flags changed), fn_gone every UID expunged since
 * (either may be NULL).  Reads only the changes, not the mailbox.
 */
enum store_res store_changes(struct store *s, uint32_t mailbox,
	    uint64_t modseq, store_msg_fn *fn_msg, store_uid_fn *fn_gone,
	    void *arg, struct why *why);

/*
 * Change notification: a descriptor (inotify) that becomes readable
 * after another process (or thread) commits a change to the mailbox.
 * Call store_watch_drain() when it is readable, then store_changes().
 * The caller closes it.  Returns -1 with why when it cannot be made.
 */
int	store_watch(struct store *s, uint32_t mailbox, struct why *why);
void	store_watch_drain(int fd);

/*
 * Change notices of many mailboxes (of any users) on one descriptor, so
 * that a daemon with thousands of watchers uses one inotify instance:
 * store_watchset_open() makes it (the caller closes it; -1 with why),
 * store_watchset_add() watches a mailbox and returns a watch id >= 0 (a
 * mailbox already watched on fd gives the same id again, so the caller
 * counts references and removes each id once, with store_watchset_rm),
 * store_watchset_read() reads up to STORE_WATCHSET_MAX pending notices
 * into out (0: none left).  A notice names the id of a mailbox another
 * process or thread committed a change to; gone: that watch has ended
 * (the mailbox was deleted; do not remove it); id -1: notices were lost,
 * every mailbox may have changed.
 */
#define STORE_WATCHSET_MAX 256
struct store_notice {
	int id;
	bool gone;
};
int	store_watchset_open(struct why *why);
int	store_watchset_add(int fd, struct store *s, uint32_t mailbox,
	    struct why *why);
void	store_watchset_rm(int fd, int id);
size_t	store_watchset_read(int fd, struct store_notice *out);

/* Quota usage of the whole store. */
struct store_usage {
	uint64_t bytes;
	uint64_t messages;
};
enum store_res store_usage(struct store *s, struct store_usage *out,
	    struct why *why);
/* The limits store_set_quota set, in the same units (0: unlimited). */
void	store_quota(const struct store *s, struct store_usage *out);

/*
 * postern store check: compare the index with the message files.  With
 * repair, files the index does not name are removed (they were never
 * acknowledged, or were expunged) and index entries whose file is gone
 * are dropped (logged).  Counts go to *out.
 */
struct store_report {
	uint64_t messages;		/* index entries checked */
	uint64_t orphans;		/* files without an index entry */
	uint64_t missing;		/* index entries without a file */
	uint64_t bad_counters;		/* mailbox counters recomputed */
};
enum store_res store_check(struct store *s, bool repair,
	    struct store_report *out, struct why *why);
/*
 * postern store rebuild: make a new index from the message files.  UIDs
 * always come back (they are the file names); UIDVALIDITY, flags and
 * keywords too while the old index is readable, else a new UIDVALIDITY.
 */
enum store_res store_rebuild(const struct store_conf *conf,
	    const char *user, struct why *why);

#endif
