/*
 * dict_build.h - compile a text table (maptext.h format) into a hash:
 * (FILE.db) or lmdb: (FILE.lmdb) table, replacing the old one atomically.
 * Linked into: postern (map) and the unit tests.  Runs as the admin who
 * invokes it.  Trust: the text file is admin-written; every bad line is
 * reported and any error leaves the old table untouched.
 */
#ifndef POSTERN_DICT_BUILD_H
#define POSTERN_DICT_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

/*
 * One problem in the text, in file order: msg is "PATH:LINE: reason",
 * borrowed for the duration of the call.  Warnings (duplicate keys) do
 * not stop the build; any error does.
 */
typedef void dict_build_diag_fn(void *arg, size_t line, bool is_error,
    const char *msg);

struct dict_build_report {
	dict_build_diag_fn *diag;	/* in: may be NULL */
	void *arg;			/* in: passed to diag */
	size_t entries;			/* out: entries written */
	size_t errors;			/* out: lines rejected */
	size_t warnings;		/* out */
};

/*
 * Compile the text file path into path.db (type "hash") or path.lmdb
 * (type "lmdb").  Keys are folded to lower case; keys and values are
 * stored with a trailing NUL, as Postfix's postmap does.  The table is
 * written to a new file path.SUFFIX.tmp.PID (O_EXCL, mode 0644) in the
 * same directory, fsynced, renamed over path.SUFFIX, and the directory
 * is fsynced.  rep may be NULL; its counts are filled in either way.
 * Returns 0, or -1 with why: then no temporary file is left behind and
 * nothing was replaced, unless only the final directory fsync failed
 * (the new table is in place but may not survive a crash).  Does not
 * log.
 */
int	dict_build(const char *type, const char *path,
	    struct dict_build_report *rep, struct why *why);

/*
 * The same from text already in memory (what dict_build does once it has
 * read the file); path still names the output and the diagnostics.
 */
int	dict_build_text(const char *type, const char *path, struct span text,
	    struct dict_build_report *rep, struct why *why);

#endif
