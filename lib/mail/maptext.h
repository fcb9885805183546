/*
 * maptext.h - the text lookup-table format that `postern map` compiles:
 * a pure parser, bytes in, entries and line-numbered diagnostics out.
 * Linked into: postern (map), the unit tests and the fuzz target.
 * Trust: the text is admin-written but may be anything; every line is
 * bounded and checked, and nothing is logged or written.
 *
 * Format:
 *   - one entry per logical line: "key<blanks>value"; blanks are space,
 *     tab, CR, FF and VT; trailing blanks are trimmed, so CRLF works;
 *   - a line whose first non-blank byte is '#' is a comment; blank lines
 *     and comments are skipped and do not end an entry;
 *   - a line that starts with a blank continues the current entry: its
 *     text is appended to the value, joined with one space;
 *   - the key is the first line's text up to its first blank (at most
 *     MAPTEXT_MAX_KEY bytes), less a final ':' when it holds no other
 *     (the "name: value" lines of aliases(5); IPv6 keys keep theirs); the joined value must be non-empty and at
 *     most MAPTEXT_MAX_VALUE bytes; a NUL byte anywhere in a line is an
 *     error;
 *   - a key seen before (compared ignoring ASCII case, as tables fold
 *     keys) is a warning "duplicate entry KEY, keeping the first".
 */
#ifndef POSTERN_MAPTEXT_H
#define POSTERN_MAPTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define MAPTEXT_MAX_KEY 1024
#define MAPTEXT_MAX_VALUE (64 * 1024)

/*
 * One accepted entry, in file order; line is where it starts (1-based).
 * key is borrowed from the text; value is borrowed from the text or, for
 * a value joined from several lines, from the parser's scratch buffer.
 * Both are valid only during the call.  Return 0 to go on, -1 to stop.
 */
typedef int maptext_entry_fn(void *arg, size_t line, struct span key,
    struct span value);
/* A problem at line (1-based): an error (the text is unusable) or a
 * warning.  reason is borrowed for the duration of the call. */
typedef void maptext_diag_fn(void *arg, size_t line, bool is_error,
    const char *reason);

struct maptext_cb {
	maptext_entry_fn *entry;	/* may be NULL */
	maptext_diag_fn *diag;		/* may be NULL */
	void *arg;			/* passed to both */
};

struct maptext_stats {
	size_t entries;		/* entries passed to cb->entry */
	size_t errors;
	size_t warnings;
	size_t lines;		/* physical lines read */
	bool stopped;		/* cb->entry returned -1 */
};

/*
 * Parse the whole text (need not end in a newline).  Entries and
 * diagnostics go to cb as they are found; entries of good lines are
 * passed even when other lines have errors.  Fills *stats_out (may be
 * NULL).  Returns 0 when the text has no errors (warnings allowed), -1
 * when it has errors or cb->entry stopped it.  Allocates only temporary
 * memory, freed before it returns; no I/O, no logging.
 */
int	maptext_parse(struct span text, const struct maptext_cb *cb,
	    struct maptext_stats *stats_out);

#endif
