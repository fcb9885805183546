/*
 * imapcmd_args.h - the typed arguments of each IMAP command, as
 * imapcmd_parse returns them in struct imapcmd (see imapcmd.h).
 * Linked into: imapd.  Trust: the values were taken from peer data and
 * checked against the grammar, nothing more: whether a mailbox exists or
 * a state allows the command is the daemon's to decide.
 */
#ifndef POSTERN_IMAPCMD_ARGS_H
#define POSTERN_IMAPCMD_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "mail/imapseq.h"

struct imapcmd_node;
struct imapsearch;

/* Why a command failed, and so the reply (see imapcmd_err_reply). */
enum imapcmd_err {
	IMAPCMD_ERR_NONE,
	IMAPCMD_ERR_UNTAGGED,   /* no usable tag: "* BAD" */
	IMAPCMD_ERR_BAD,        /* bad syntax or arguments: "tag BAD" */
	IMAPCMD_ERR_UNKNOWN,    /* unknown command: "tag BAD" */
	IMAPCMD_ERR_LIMIT,      /* a limit was passed: "tag BAD [LIMIT]" */
	IMAPCMD_ERR_TOOBIG,     /* a literal is too large: "[TOOBIG]" */
	IMAPCMD_ERR_BADCHARSET, /* SEARCH CHARSET: "tag NO [BADCHARSET]" */
};

enum imapcmd_name {
	IMAPCMD_NONE,
	IMAPCMD_CAPABILITY, IMAPCMD_NOOP, IMAPCMD_LOGOUT, IMAPCMD_STARTTLS,
	IMAPCMD_AUTHENTICATE, IMAPCMD_LOGIN, IMAPCMD_SELECT, IMAPCMD_EXAMINE,
	IMAPCMD_CREATE, IMAPCMD_DELETE, IMAPCMD_RENAME, IMAPCMD_SUBSCRIBE,
	IMAPCMD_UNSUBSCRIBE, IMAPCMD_LIST, IMAPCMD_LSUB, IMAPCMD_STATUS,
	IMAPCMD_APPEND, IMAPCMD_CHECK, IMAPCMD_CLOSE, IMAPCMD_EXPUNGE,
	IMAPCMD_SEARCH, IMAPCMD_FETCH, IMAPCMD_STORE, IMAPCMD_COPY,
	IMAPCMD_MOVE, IMAPCMD_IDLE, IMAPCMD_NAMESPACE, IMAPCMD_ENABLE,
	IMAPCMD_ID, IMAPCMD_UNSELECT, IMAPCMD_GETQUOTA, IMAPCMD_GETQUOTAROOT,
	IMAPCMD_SETQUOTA,
	IMAPCMD_NAME_COUNT
};

/* System flags, as bits (\Recent only in SEARCH, never stored). */
#define IMAPCMD_F_ANSWERED 0x01
#define IMAPCMD_F_FLAGGED 0x02
#define IMAPCMD_F_DELETED 0x04
#define IMAPCMD_F_SEEN 0x08
#define IMAPCMD_F_DRAFT 0x10
#define IMAPCMD_F_RECENT 0x20

/* A flag list: system flags and keywords (atoms, as written). */
struct imapcmd_flags {
	unsigned sys;
	const struct span *kw;
	size_t nkw;
};

/* A mailbox name as sent; "INBOX" in any case becomes "INBOX". */
struct imapcmd_mbox {
	struct span name;
	bool inbox;
};

/* SELECT/EXAMINE with the CONDSTORE and QRESYNC parameters. */
struct imapcmd_select {
	struct imapcmd_mbox mbox;
	bool condstore;
	bool qresync;
	uint32_t uidvalidity;     /* QRESYNC */
	uint64_t modseq;          /* QRESYNC */
	bool has_known_uids;
	struct imapseq known_uids;
	bool has_match;           /* seq-match-data */
	struct imapseq match_seq;
	struct imapseq match_uid;
};

/* LIST selection options (RFC 5258, 6154). */
#define IMAPCMD_LSEL_SUBSCRIBED 0x01
#define IMAPCMD_LSEL_REMOTE 0x02
#define IMAPCMD_LSEL_RECURSIVEMATCH 0x04
#define IMAPCMD_LSEL_SPECIAL_USE 0x08
/* LIST return options (RFC 5258, 3348, 6154, 5819). */
#define IMAPCMD_LRET_SUBSCRIBED 0x01
#define IMAPCMD_LRET_CHILDREN 0x02
#define IMAPCMD_LRET_SPECIAL_USE 0x04
#define IMAPCMD_LRET_STATUS 0x08

/* STATUS items (RFC 3501, 7162, 8438, 9208). */
#define IMAPCMD_ST_MESSAGES 0x01
#define IMAPCMD_ST_RECENT 0x02
#define IMAPCMD_ST_UIDNEXT 0x04
#define IMAPCMD_ST_UIDVALIDITY 0x08
#define IMAPCMD_ST_UNSEEN 0x10
#define IMAPCMD_ST_HIGHESTMODSEQ 0x20
#define IMAPCMD_ST_SIZE 0x40
#define IMAPCMD_ST_DELETED 0x80
#define IMAPCMD_ST_DELETED_STORAGE 0x100

/* LIST and LSUB (LSUB: never extended). */
struct imapcmd_list {
	bool extended;            /* selection/return options or patterns */
	unsigned sel;             /* IMAPCMD_LSEL_* */
	struct span ref;          /* reference name */
	const struct span *pat;   /* one or more patterns (% and * kept) */
	size_t npat;
	unsigned ret;             /* IMAPCMD_LRET_* */
	unsigned status;          /* IMAPCMD_ST_* for RETURN (STATUS (...)) */
};

struct imapcmd_status {
	struct imapcmd_mbox mbox;
	unsigned items;           /* IMAPCMD_ST_*, at least one */
};

/* One message of APPEND (several with MULTIAPPEND, RFC 3502). */
struct imapcmd_append_msg {
	struct imapcmd_flags flags;
	bool has_date;
	time_t date;              /* the date-time, as seconds since 1970 */
	int tz;                   /* its zone, minutes east of UTC */
	struct span data;         /* the literal */
};

struct imapcmd_append {
	struct imapcmd_mbox mbox;
	const struct imapcmd_append_msg *msg;
	size_t nmsg;
};

enum imapcmd_store_op {
	IMAPCMD_STORE_SET,        /* FLAGS */
	IMAPCMD_STORE_ADD,        /* +FLAGS */
	IMAPCMD_STORE_REMOVE,     /* -FLAGS */
};

struct imapcmd_store {
	struct imapseq set;
	enum imapcmd_store_op op;
	bool silent;
	struct imapcmd_flags flags;
	bool has_unchangedsince;  /* CONDSTORE (RFC 7162) */
	uint64_t unchangedsince;
};

enum imapcmd_fetch_item {
	IMAPCMD_FI_ENVELOPE, IMAPCMD_FI_FLAGS, IMAPCMD_FI_INTERNALDATE,
	IMAPCMD_FI_RFC822, IMAPCMD_FI_RFC822_HEADER, IMAPCMD_FI_RFC822_SIZE,
	IMAPCMD_FI_RFC822_TEXT, IMAPCMD_FI_BODY, IMAPCMD_FI_BODYSTRUCTURE,
	IMAPCMD_FI_UID, IMAPCMD_FI_MODSEQ,
	IMAPCMD_FI_BODY_SECTION,  /* BODY[...] and BODY.PEEK[...] */
	IMAPCMD_FI_BINARY,        /* BINARY[...] and BINARY.PEEK[...] */
	IMAPCMD_FI_BINARY_SIZE,   /* BINARY.SIZE[...] */
};

enum imapcmd_sectext {
	IMAPCMD_SEC_ALL,          /* [] or [1.2]: the whole (part) */
	IMAPCMD_SEC_HEADER,
	IMAPCMD_SEC_HEADER_FIELDS,
	IMAPCMD_SEC_HEADER_FIELDS_NOT,
	IMAPCMD_SEC_TEXT,
	IMAPCMD_SEC_MIME,         /* only after a part number */
};

#define IMAPCMD_MAX_PART 32

struct imapcmd_section {
	uint32_t part[IMAPCMD_MAX_PART]; /* "1.2.3" */
	size_t npart;
	enum imapcmd_sectext text;
	const struct span *field;        /* HEADER.FIELDS (.NOT) names */
	size_t nfield;
};

struct imapcmd_fetch_att {
	enum imapcmd_fetch_item item;
	bool peek;
	struct imapcmd_section sec;
	bool partial;
	uint32_t off;
	uint32_t len;
};

/*
 * FETCH.  What the RFCs add implicitly is the daemon's to add: UID for
 * UID FETCH (RFC 3501 6.4.8), MODSEQ with CHANGEDSINCE (RFC 7162 3.1.4.1).
 */
struct imapcmd_fetch {
	struct imapseq set;
	const struct imapcmd_fetch_att *att;
	size_t natt;
	unsigned items;           /* bit (1 << item) for each att */
	bool has_changedsince;    /* CONDSTORE (RFC 7162) */
	uint64_t changedsince;
	bool vanished;            /* QRESYNC; UID FETCH with CHANGEDSINCE */
};

/* COPY and MOVE. */
struct imapcmd_copy {
	struct imapseq set;
	struct imapcmd_mbox mbox;
};

/* EXPUNGE; UID EXPUNGE has a set (RFC 4315). */
struct imapcmd_expunge {
	bool has_set;
	struct imapseq set;
};

struct imapcmd_login {
	struct span user;
	struct span pass;
};

struct imapcmd_auth {
	struct span mech;
	bool has_ir;              /* SASL-IR (RFC 4959) */
	struct span ir;           /* base64, or "=" for an empty one */
};

struct imapcmd_rename {
	struct imapcmd_mbox from;
	struct imapcmd_mbox to;
};

struct imapcmd_enable {
	const struct span *cap;
	size_t ncap;
};

/* ID (RFC 2971): field/value pairs; a NIL value has val_nil. */
struct imapcmd_idpair {
	struct span key;
	struct span val;
	bool val_nil;
};

struct imapcmd_id {
	bool nil;
	const struct imapcmd_idpair *pair;
	size_t npair;
};

/* QUOTA (RFC 9208): GETQUOTA root, SETQUOTA root (resource limit...). */
struct imapcmd_quota_res {
	struct span name;
	uint64_t limit;
};

struct imapcmd_quota {
	struct span root;
	const struct imapcmd_quota_res *res;
	size_t nres;
};

/* A parsed command: the union member named after the command is set. */
struct imapcmd {
	struct span tag;
	enum imapcmd_name name;
	bool uid;                            /* UID COPY/MOVE/FETCH/... */
	enum imapcmd_err err;
	const struct imapcmd_node *args;     /* the generic tree */
	union {
		struct imapcmd_mbox mbox;    /* CREATE DELETE (UN)SUBSCRIBE
		                                GETQUOTAROOT */
		struct imapcmd_rename rename;
		struct imapcmd_login login;
		struct imapcmd_auth auth;
		struct imapcmd_select select; /* SELECT EXAMINE */
		struct imapcmd_list list;     /* LIST LSUB */
		struct imapcmd_status status;
		struct imapcmd_append append;
		struct imapcmd_store store;
		struct imapcmd_fetch fetch;
		struct imapcmd_copy copy;     /* COPY MOVE */
		struct imapcmd_expunge expunge;
		const struct imapsearch *search;
		struct imapcmd_enable enable;
		struct imapcmd_id id;
		struct imapcmd_quota quota;  /* GETQUOTA SETQUOTA */
	} u;
};

#endif
