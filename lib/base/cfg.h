/*
 * cfg.h - the configuration reader: "name = value" files, $name expansion,
 * and typed parameter tables filled into a caller's struct.
 * Linked into: every program.  Trust: the files are the admin's; every
 * syntax or value error is reported as "file:line: reason" and stops
 * start-up, unknown names only warn.
 *
 * File syntax: "name = value"; a line whose first non-blank byte is '#' is
 * a comment; blank lines are ignored; a line starting with white space
 * continues the previous value (joined with one space).  In values, $name
 * and ${name} expand to another parameter's value and $$ is a literal $.
 */
#ifndef POSTERN_CFG_H
#define POSTERN_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

enum cfg_type {
	CFG_BOOL,	/* bool field */
	CFG_INT,	/* uint64_t field, plain number */
	CFG_TIME,	/* uint64_t field, seconds (s, m, h, d, w) */
	CFG_SIZE,	/* uint64_t field, bytes (k, m, g) */
	CFG_STR,	/* char * field, owned by the struct cfg */
	CFG_LIST,	/* char * field: items separated by commas or blanks */
};

struct cfg_param {
	const char *name;
	enum cfg_type type;
	const char *def;	/* default text; may use $name */
	uint64_t min;		/* numeric types only */
	uint64_t max;
	size_t offset;		/* of the field in the destination struct */
	const char *desc;	/* one line, for documentation */
};

/* Longest value after continuation joining and expansion. */
#define CFG_MAX_VALUE 65536
/* Deepest $name nesting before a loop is assumed. */
#define CFG_MAX_DEPTH 20

/*
 * Pure parser of the file syntax.  Calls fn once for each setting with the
 * name, the value (continuations joined) and the line where the name is.
 * Returns 0, or -1 with err_line_out and why set at the first bad line.
 * No I/O, no logging.
 */
typedef int cfg_entry_fn(struct span name, struct span value, int line,
    void *arg);
int	cfg_parse(struct span text, cfg_entry_fn *fn, void *arg,
	    int *err_line_out, struct why *why);

/* Warnings (unknown parameter names) go to this callback. */
typedef void cfg_warn_fn(const char *msg, void *arg);

struct cfg;

/* A loader for table (borrowed; must outlive the struct cfg). */
struct cfg *cfg_new(const struct cfg_param *table, cfg_warn_fn *warn,
	    void *warn_arg);
void	cfg_free(struct cfg **cfg);
/* Replace a parameter's built-in default (computed defaults). */
void	cfg_set_default(struct cfg *cfg, const char *name, const char *value);
/*
 * Read a file.  A missing file is not an error (built-in defaults).
 * Returns 0, or -1 with why = "file:line: reason".
 */
int	cfg_read_file(struct cfg *cfg, const char *path, struct why *why);
/* Read settings from text (origin names it in messages).  0 or -1. */
int	cfg_read_text(struct cfg *cfg, struct span text, const char *origin,
	    struct why *why);
/* Set one parameter from "name=value" (a -o option).  0 or -1. */
int	cfg_override(struct cfg *cfg, const char *assignment,
	    struct why *why);
/*
 * Expand and check every table parameter and store it into dst.  String
 * fields point into the struct cfg.  Returns 0, or -1 with why =
 * "origin:line: name: reason".
 */
int	cfg_finish(struct cfg *cfg, void *dst, struct why *why);

/*
 * Expand $name references in text against the loaded settings, appending
 * to out.  Returns 0, or -1 with why (undefined name, loop, too long).
 */
int	cfg_expand(struct cfg *cfg, struct span text, struct buf *out,
	    struct why *why);

/* After cfg_finish: the expanded text of a parameter (NULL if unknown). */
const char *cfg_value(const struct cfg *cfg, const char *name);
/* After cfg_finish: true when the parameter was set (file or override). */
bool	cfg_is_set(const struct cfg *cfg, const char *name);
/*
 * Report a problem with a parameter's value where it was set: why becomes
 * "origin:line: name: reason" (or "default of name: reason").  Returns -1.
 */
int	cfg_error(const struct cfg *cfg, const char *name, struct why *why,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The table row for name, or NULL. */
const struct cfg_param *cfg_lookup(const struct cfg_param *table,
	    const char *name);

/* Type name for messages and documentation ("time", "size", ...). */
const char *cfg_type_name(enum cfg_type type);

/*
 * Iterate over the items of a list value: commas and blanks separate,
 * except inside braces, so "inline:{a=b, c=d}" is one item.  Returns
 * false when no item is left.
 */
bool	cfg_list_next(struct span *list, struct span *item_out);

#endif
