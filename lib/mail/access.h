/*
 * access.h - access tables (postern-access(5)): which keys are looked up
 * for a client, a HELO name, a sender or a recipient; the parser of the
 * action a table returns; and the check that walks a list of tables.
 * Linked into: smtpd.  Runs as postern; tables are opened before the
 * chroot and then looked up from worker threads.  Trust: names and
 * addresses come from peers and are only used as bounded table keys;
 * table values are the admin's but are parsed strictly, and a value that
 * does not parse is a temporary failure, never a permission.
 */
#ifndef POSTERN_ACCESS_H
#define POSTERN_ACCESS_H

#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/dict.h"

/* Longest reply text kept from a table value (the rest is cut off). */
#define ACCESS_MAX_TEXT 200
/* Longest host-name key: a longer name is looked up by its shorter
 * parent domains only.  Allows at most 128 keys for one name. */
#define ACCESS_MAX_NAME 255
/* Most keys one check looks up in each table (see access_keys). */
#define ACCESS_MAX_KEYS 136
/* Longest key kept in a result for the log. */
#define ACCESS_MAX_LOGKEY 255
/* Longest table value accepted; a longer one is a temporary failure. */
#define ACCESS_MAX_VALUE 4096

enum access_kind {
	ACCESS_CLIENT,		/* key1: address text; key2: host name */
	ACCESS_HELO,		/* key1: the HELO/EHLO argument */
	ACCESS_SENDER,		/* key1: MAIL FROM address, "" or "<>" if null */
	ACCESS_RECIPIENT,	/* key1: RCPT TO address */
};

enum access_action {
	ACCESS_NONE,	/* no table decided (not found, or DUNNO): go on */
	ACCESS_OK,	/* accept: skip the remaining access checks */
	ACCESS_REJECT,	/* answer code/enh/text (5xx) */
	ACCESS_DEFER,	/* answer code/enh/text (4xx) */
	ACCESS_DISCARD,	/* accept, then drop the message; text is a reason */
	ACCESS_HOLD,	/* accept into the hold queue; text is a reason */
	ACCESS_TEMP,	/* a table failed or held a bad action: answer
			 * code/enh/text (451) and log why */
};

struct access_result {
	enum access_action action;
	int code;		/* REJECT, DEFER, TEMP: the reply code; else 0 */
	char enh[16];		/* its enhanced status code ("5.7.1"), or "" */
	/* REJECT, DEFER, TEMP: the reply text; DISCARD, HOLD: the reason
	 * given in the table, or "".  Printable ASCII, at most
	 * ACCESS_MAX_TEXT bytes, no CR or LF; not a format string. */
	char text[ACCESS_MAX_TEXT + 1];
	/* The table that decided (or failed); NULL for ACCESS_NONE.
	 * Borrowed: valid while the struct access lives. */
	const char *table;
	/* The key that matched, cut to ACCESS_MAX_LOGKEY bytes; "" for
	 * ACCESS_NONE.  Peer data: pass it through log_esc(). */
	char key[ACCESS_MAX_LOGKEY + 1];
};

/*
 * Parse a table value (the action).  Pure: no I/O, no allocation, no
 * logging.  Keywords ignore case:
 *   OK, DUNNO                     nothing may follow
 *   REJECT [enh] [text]           554 5.7.1 "Access denied" by default
 *   DEFER [enh] [text]            450 4.7.1 "Try again later" by default
 *   4NN [enh] [text]              DEFER with that code
 *   5NN [enh] [text]              REJECT with that code
 *   DISCARD [text], HOLD [text]   text is a reason for the log
 * NN is 00 to 59; enh is an RFC 3463 code "C.S.D" whose class C equals
 * the reply's first digit.  DUNNO gives ACCESS_NONE.  The text is made
 * safe (see struct access_result).  Returns 0 with out filled (table and
 * key cleared), or -1 with why saying what is wrong (out unspecified).
 */
int	access_parse_action(struct span value, struct access_result *out,
	    struct why *why);

/*
 * The keys one check looks up, most specific first.  Spans are borrowed
 * from the inputs given to access_keys() or from text[], so they are
 * valid while both live.
 */
struct access_keys {
	size_t n;
	struct span v[ACCESS_MAX_KEYS];
	size_t text_len;			/* bytes of text[] in use */
	char text[2 * DICT_MAX_KEY + 64];	/* keys built from parts */
};

/*
 * Compute the keys of a check (postern-access(5) gives the rules).  Pure.
 * key1 and key2 are NUL-terminated and may be NULL (nothing to look up);
 * key2 is used only for ACCESS_CLIENT, where NULL or "unknown" means the
 * client has no name.  delimiters are the characters that start an
 * address extension (recipient_delimiter); NULL means "+", "" means
 * none.  Keys longer than a table key can be (DICT_MAX_KEY) are left out.
 */
void	access_keys(enum access_kind kind, const char *key1, const char *key2,
	    const char *delimiters, struct access_keys *out);

struct access;

/*
 * Open every table in list (the value of smtpd_client_access and
 * friends: type:name items separated by commas or blanks, consulted in
 * order); delimiters as for access_keys (copied).  NULL or "" gives an
 * empty list, whose checks are always ACCESS_NONE.  Returns the list
 * (caller frees with access_close), or NULL with why naming the bad
 * table.  Does not log.
 *
 * Chroot: hash: and lmdb: tables stat() their path at every lookup (to
 * notice a replaced file), so a path that does not resolve inside the
 * chroot makes every lookup a temporary failure (ACCESS_TEMP).  ldap:
 * tables with bind_pw_file hold a credential in the process.
 */
struct access *access_open(const char *list, const char *delimiters,
	    struct why *why);

/* Close every table and free a; NULL and *a == NULL are allowed. */
void	access_close(struct access **a);

/*
 * Look the keys of (kind, key1, key2) up, for each table in order: every
 * key in turn until one is found.  A found OK, REJECT, DEFER, DISCARD or
 * HOLD decides; a found DUNNO ends the search in that table (less
 * specific keys are not tried there) and the next table is consulted.
 * A table that cannot answer, or a value that does not parse, gives
 * ACCESS_TEMP at once (451 4.3.0 "Temporary lookup failure" or 451 4.3.5
 * "Server configuration error"), with the reason in why.  Fills out and
 * returns out->action.  Thread-safe (the tables are used under a mutex,
 * so an ldap: lookup holds back other threads checking the same list).
 * May block on table I/O.  Does not log.
 */
enum access_action access_check(struct access *a, enum access_kind kind,
	    const char *key1, const char *key2, struct access_result *out,
	    struct why *why);

/* "OK", "REJECT", ... for logs; "NONE" for ACCESS_NONE. */
const char *access_action_name(enum access_action action);
/* "client", "helo", "sender", "recipient" for logs. */
const char *access_kind_name(enum access_kind kind);

#endif
