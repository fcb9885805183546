/*
 * dict_impl.h - private interface between the dict dispatcher, the table
 * types (dict_hash.c, dict_lmdb.c, dict_inline.c) and the table compiler
 * (dict_build.c).  Not for use outside lib/mail/dict*.c.
 * Linked into: every program that links dict.  Trust: as dict.h.
 *
 * Adding a table type (ldap:, ...) means: write its open function and
 * ops, and add one row to the type table in dict.c.  A type that can be
 * compiled from text also provides a struct dict_writer_ops and a row in
 * the writer table in dict_build.c.
 */
#ifndef POSTERN_DICT_IMPL_H
#define POSTERN_DICT_IMPL_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/dict.h"

/*
 * What a table type does once open.  get receives a key that is already
 * folded, at most DICT_MAX_KEY bytes long, and followed by a NUL byte
 * (key.p[key.len] == '\0', so the "with NUL" variant is key.len + 1
 * bytes).  Its why needs no table name; dict_get prefixes it.
 */
struct dict_ops {
	enum dict_res (*get)(void *impl, struct span key,
	    struct buf *value_out, struct why *why);
	void (*close)(void *impl);	/* frees impl */
};

/*
 * Open the table arg (the part of the spec after "type:").  Returns 0
 * and sets *ops_out and *impl_out (owned by the caller, freed through
 * ops->close), or -1 with a reason that need not name the spec.
 */
typedef int dict_open_fn(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why);

dict_open_fn dict_hash_open;
dict_open_fn dict_lmdb_open;
dict_open_fn dict_inline_open;
dict_open_fn dict_static_open;
dict_open_fn dict_ldap_open;

/* Fold ASCII upper case to lower case in place. */
void	dict_fold(unsigned char *p, size_t n);

/* "arg" + "suffix" as a heap string (caller frees). */
char	*dict_path(const char *arg, const char *suffix);

/*
 * Set value_out to the n bytes at p, less one trailing NUL if there is
 * one.  DICT_FOUND, or DICT_TEMPFAIL when value_out's max is too small.
 */
enum dict_res dict_set_value(struct buf *value_out, const void *p, size_t n,
    struct why *why);

/* The identity of an open table file, to notice that it was replaced. */
struct dict_fid {
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	off_t size;
};

/* Record the identity of the file open on fd.  0, or -1 with why. */
int	dict_fid_get(int fd, const char *path, struct dict_fid *out,
	    struct why *why);
/*
 * stat() path and compare it with *id: 0 when unchanged, 1 when
 * changed, -1 (why set) when the file cannot be stat()ed.
 */
int	dict_fid_check(const struct dict_fid *id, const char *path,
	    struct why *why);

/* The result of storing one entry while compiling a table. */
enum dict_wres {
	DICT_W_OK,
	DICT_W_ERROR,		/* why is set */
	DICT_W_FULL,		/* out of room: retry with a larger size */
};

/*
 * A writer fills an existing, empty temporary file (created by
 * dict_build) with a table.  Keys arrive folded, values exact, both
 * already carrying their trailing NUL (Postfix format), keys unique.
 */
struct dict_writer_ops {
	const char *type;	/* "hash" */
	const char *suffix;	/* ".db" */
	/* Longest key the format stores, trailing NUL included. */
	size_t (*max_key)(void);
	/* Open tmp for writing; size_hint is a byte estimate of the data.
	 * Returns a handle, or NULL with why. */
	void *(*create)(const char *tmp, size_t entries, size_t size_hint,
	    struct why *why);
	enum dict_wres (*put)(void *w, struct span key, struct span value,
	    struct why *why);
	/* Write out, close and free (also on failure); DICT_W_FULL asks
	 * for a retry with a larger size_hint, as put's does. */
	enum dict_wres (*commit)(void *w, struct why *why);
	/* Close and free without caring about the file's contents. */
	void (*abort)(void *w);
};

extern const struct dict_writer_ops dict_hash_writer;
extern const struct dict_writer_ops dict_lmdb_writer;

#endif
