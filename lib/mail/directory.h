/*
 * directory.h - the directory model: which domains are hosted here, which
 * are relayed, who the users are, and what an address expands to through
 * aliases.  Built on lookup tables (hash:, lmdb:, ldap:, inline:), so it
 * may block: authd calls it from its worker threads, one directory per
 * thread (a directory is not shared between threads).
 *
 * Expansion of an address, in order:
 *   1. virtual_alias_maps, keys "user+ext@domain", "user@domain",
 *      "@domain" (catch-all); each target is expanded again, except a
 *      target equal to the address itself, which is kept as final;
 *   2. for a domain of mydestination: alias_maps, keys "user+ext", "user";
 *      a target without '@' gets "@myorigin"; targets are split and
 *      classified by aliastarget.h.  A command ("|text"), a file
 *      ("/path") or an include (":include:/path", a file of more
 *      targets, one or more a line, '#' comments) is allowed only in an
 *      alias_maps table of type hash: or lmdb: whose file and directory
 *      only root can change (file_root_only), or in such an include
 *      file, and only with allow_commands (commands), allow_files
 *      (files) or either of them (includes); otherwise it is refused
 *      (DIR_PERM, the reason in why).  Commands and files are final
 *      recipients: "|" + the command text, or the path; an include
 *      counts as one level of nesting;
 *   3. for a hosted domain (mydestination or virtual_mailbox_domains): the
 *      user must exist in the users table (key "user+ext@domain", then
 *      "user@domain"); the final recipient keeps its extension;
 *   4. any other domain: the address is final as it is (relay/remote).
 * A repeated address on one expansion path is a loop (permanent error);
 * so is nesting deeper than the recursion limit or more final recipients
 * than the expansion limit.  Addresses are folded to lower case.
 *
 * Linked into: authd.  Runs as postern-auth.  Trust: addresses come from
 * peers (through smtpd/qmgr); they are only used as table keys.  Only
 * root's tables and include files may name commands and files, because
 * local(8) runs and writes what they name.
 */
#ifndef POSTERN_DIRECTORY_H
#define POSTERN_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Where the directory's tables are: borrowed strings (struct params). */
struct directory_conf {
	const char *myorigin;		/* qualifies bare alias targets */
	const char *mydestination;
	const char *virtual_mailbox_domains;
	const char *relay_domains;
	const char *users;		/* virtual_mailbox_maps */
	const char *virtual_alias_maps;
	const char *alias_maps;
	const char *recipient_delimiter;
	uint64_t recursion_limit;
	uint64_t expansion_limit;
	bool allow_commands;		/* allow_mail_to_commands */
	bool allow_files;		/* allow_mail_to_files */
};

enum dir_class {
	DIR_CLASS_LOCAL,	/* mydestination */
	DIR_CLASS_VIRTUAL,	/* virtual_mailbox_domains */
	DIR_CLASS_RELAY,	/* relay_domains */
	DIR_CLASS_REMOTE,	/* everything else */
};

enum dir_res {
	DIR_OK,
	DIR_NOTFOUND,	/* no such user in a hosted domain */
	DIR_TEMP,	/* a table could not answer: try again later */
	DIR_PERM,	/* loop, limit, malformed address, refused target */
};

enum dir_kind {
	DIR_ADDRESS,
	DIR_COMMAND,		/* addr is "|" and the command text */
	DIR_FILE,		/* addr is the absolute path */
};

/* One final recipient of an expansion. */
struct dir_rcpt {
	char *addr;
	enum dir_kind kind;
	enum dir_res res;	/* DIR_OK, or DIR_NOTFOUND for an unknown user */
};

struct dir_rcpts {
	struct dir_rcpt *v;
	size_t n;
};

struct directory;

/* Open every table (lazily for ldap:).  NULL with why on a bad spec. */
struct directory *directory_new(const struct directory_conf *conf,
	    struct why *why);
void	directory_free(struct directory **dir);

/* The class of a domain.  DIR_OK, or DIR_TEMP with why. */
enum dir_res directory_class(struct directory *dir, struct span domain,
	    enum dir_class *out, struct why *why);
/*
 * Look up the user record of address (postern-users(5)), trying the
 * address with its extension, then without.  On DIR_OK record_out holds
 * the record and key_out the key that matched.  DIR_NOTFOUND, DIR_TEMP or
 * DIR_PERM (malformed address) with why.
 */
enum dir_res directory_user(struct directory *dir, struct span address,
	    struct buf *record_out, struct buf *key_out, struct why *why);
/*
 * Expand address into its final recipients (appended to out; free with
 * dir_rcpts_fini).  DIR_OK: out lists each final recipient with its own
 * result; DIR_NOTFOUND: the address itself is an unknown user;
 * DIR_TEMP/DIR_PERM with why.
 */
enum dir_res directory_expand(struct directory *dir, struct span address,
	    struct dir_rcpts *out, struct why *why);
void	dir_rcpts_fini(struct dir_rcpts *r);

/*
 * Split address at its last '@' and its local part at the first
 * recipient delimiter character (not when the local part starts with
 * one).  Pure.  Returns 0, or -1 when there is no '@' or either side is
 * empty.
 */
int	directory_split(struct span address, const char *delimiters,
	    struct span *user_out, struct span *ext_out, struct span *domain_out);

#endif
