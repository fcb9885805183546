/*
 * postern_user.h - the users table's text file as "postern user" edits
 * it (postern_usertab.c), and reading a password without echo.
 * Linked into: postern.  Runs as root or the instance's owner.  Trust:
 * the files and the password are the admin's.
 */
#ifndef POSTERN_USER_H
#define POSTERN_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/instance.h"

struct usertab {
	char *type;		/* owned: "hash" or "lmdb" */
	char *path;		/* owned: the text file */
	struct buf text;	/* its contents; empty when it is missing */
	const char *key;	/* borrowed from the caller: address or NULL */
	bool found;		/* key has an entry */
	size_t line;		/* where that entry starts (1-based) */
	struct buf value;	/* its value */
	const char *auth_owner;	/* borrowed: valid while the instance is */
	size_t errors;		/* bad lines seen in text */
};

/*
 * Find the text file behind virtual_mailbox_maps of inst (hash:PATH or
 * lmdb:PATH; default hash:$config_directory/users), read it and look up
 * key (NULL: none).  Problems are printed; a file with bad lines is
 * refused.  0 or -1; usertab_close is safe either way.
 */
int	usertab_open(struct usertab *t, const struct instance *inst,
	    const char *key);
void	usertab_close(struct usertab *t);

/*
 * Change the text and install it: line 0 appends the line repl; repl
 * NULL deletes every entry for t->key; otherwise the entry starting at
 * line (with its continuation lines) becomes repl.  Comments, blank
 * lines and other entries stay as they are.  The table is rebuilt
 * first, in a private directory, then the text file is replaced and the
 * table renamed into place; both get mode 0640 and, as root, owner root
 * and the group of auth_owner.  Problems are printed.  0 or -1.
 */
int	usertab_save(struct usertab *t, size_t line, const char *repl);

/*
 * Read a password into pw (size bytes, NUL-terminated, newline
 * stripped): one line of stdin, or twice from /dev/tty with echo off
 * (both must match).  0, or -1 with why.  The caller wipes pw.
 */
int	usertab_password(bool from_stdin, char *pw, size_t size,
	    struct why *why);

#endif
