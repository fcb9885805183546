/*
 * aliastarget.h - the targets of a local alias (aliases(5)): split an
 * alias value or a line of an :include: file into targets, and tell an
 * address from a command ("|..."), a file ("/...") and an include
 * (":include:/...").  Pure functions: no I/O, no allocation.
 *
 * Targets are separated by commas and blanks.  A target that starts
 * with a double quote runs to the next double quote (no escapes), so a
 * command with arguments is written "|/usr/bin/prog -x"; the quotes are
 * not part of the target.
 *
 * Linked into: authd (through directory.c), the aliastarget fuzz target.
 * Trust: alias values and include files are the administrator's, but a
 * table that is not root's may have been written by anyone, so every
 * input is bounded and checked.
 */
#ifndef POSTERN_ALIASTARGET_H
#define POSTERN_ALIASTARGET_H

#include "base/buf.h"
#include "base/why.h"

/* Longest target (a command line, a path, an address) accepted. */
#define ALIASTARGET_MAX 1000

enum aliastarget_kind {
	ALIASTARGET_ADDRESS,
	ALIASTARGET_COMMAND,	/* "|command": the text after '|' */
	ALIASTARGET_FILE,	/* "/path" */
	ALIASTARGET_INCLUDE,	/* ":include:/path": the path */
};

/*
 * Split the next target off *rest (advanced past it) into *item_out
 * (inside the quotes for a quoted target; never empty).  Returns 1 for a
 * target, 0 when none is left, -1 with why for a quote that is not
 * closed, text right after a closing quote, an empty quoted target, or
 * a target longer than ALIASTARGET_MAX; *rest is then left as it was.
 */
int	aliastarget_next(struct span *rest, struct span *item_out,
	    struct why *why);

/*
 * Classify a target from aliastarget_next and check its form.  On 0,
 * *kind_out is set and *arg_out is what the kind needs: the address as
 * it is, the command text after '|' (leading blanks removed), the path
 * of a file, or the path of an include.  -1 with why: an empty command,
 * a control character in a command or path, a path that is not
 * absolute (":include:" needs one too), or a file path that ends in '/'
 * (a directory: maildir delivery is not supported).
 */
int	aliastarget_parse(struct span item, enum aliastarget_kind *kind_out,
	    struct span *arg_out, struct why *why);

#endif
