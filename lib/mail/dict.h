/*
 * dict.h - lookup tables: one API for every table type (users, domains,
 * aliases, transports, access rules).
 * Linked into: every program that looks things up (smtpd, qmgr, authd,
 * postern).  Trust: table specs come from the admin's configuration;
 * table files are admin-written and replaced only by rename; lookup keys
 * may be peer data and are bounded before use.
 *
 * A table is named "type:name":
 *   hash:/path/file    Berkeley DB DB_HASH file /path/file.db, read-only
 *   lmdb:/path/file    LMDB file /path/file.lmdb (MDB_NOSUBDIR), read-only
 *   inline:{k=v, ...}  the pairs given; blanks around items and around
 *                      '=' are ignored, values may contain spaces, "{ }"
 *                      is an empty table
 *   static:value       every key maps to value (taken exactly)
 *   ldap:/path/file.cf an LDAP search described by the file
 *                      (postern-ldap(5)); look-ups block on the network
 *
 * Case folding: keys are folded to lower case (ASCII letters only) when a
 * table is compiled (dict_build) or an inline table is parsed, and the
 * key is folded again on every lookup, for every table type.  Values are
 * always kept and returned exactly.
 *
 * Postfix compatibility: hash and lmdb files store each key and value
 * with a trailing NUL, as Postfix's postmap writes them.  Lookups try the
 * key with a trailing NUL first, then without; a trailing NUL on a
 * stored value is not part of the value.
 *
 * Changed files: hash and lmdb tables remember the device, inode, mtime
 * and size of the file they opened; every lookup stat()s the file and
 * reopens it when any of these changed, so a table replaced by
 * `postern map` is served at once.  Files must be replaced by rename:
 * no lock is taken, so a table rewritten in place (as Postfix's postmap
 * does, under its own lock) may be read half-written.
 */
#ifndef POSTERN_DICT_H
#define POSTERN_DICT_H

#include "base/buf.h"
#include "base/why.h"

/* Longest key a table can hold; a longer lookup key is DICT_NOTFOUND. */
#define DICT_MAX_KEY 1024

enum dict_res {
	DICT_FOUND,
	DICT_NOTFOUND,
	DICT_TEMPFAIL,
};

struct dict;

/*
 * Open the table named by spec (copied).  Returns a table (caller frees
 * with dict_close), or NULL with the reason in why, which names the
 * table, e.g. "hash:/x: /x.db: No such file or directory" or
 * "foo:/x: unsupported table type".  Does not log.
 */
struct dict *dict_open(const char *spec, struct why *why);

/*
 * Look up key (folded to lower case first).  DICT_FOUND: the value
 * replaces the contents of value_out.  DICT_NOTFOUND: the key is not in
 * the table, or is longer than DICT_MAX_KEY (so it cannot be);
 * value_out is unchanged.  DICT_TEMPFAIL, with the reason in why: an I/O
 * or database error, a table file that vanished or cannot be reopened,
 * or a value longer than value_out's max; the caller should try again
 * later, never treat it as "not found".  Does not log.
 */
enum dict_res dict_get(struct dict *d, struct span key,
    struct buf *value_out, struct why *why);

/* Close the table and free it; NULL and *d == NULL are allowed; clears
 * *d. */
void	dict_close(struct dict **d);

/* The spec the table was opened with; borrowed, valid while d lives. */
const char *dict_name(const struct dict *d);
/*
 * The compiled file a hash: or lmdb: table reads ("/x.db", "/x.lmdb"):
 * caller frees.  NULL for the types that read no file of their own
 * (inline:, static:, ldap:).
 */
char	*dict_file(const struct dict *d);

#endif
