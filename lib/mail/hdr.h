/*
 * hdr.h - walk the fields of an RFC 5322 header block (section 2.2) and
 * unfold their values, with CRLF or bare LF line ends.
 * Linked into: the MIME parser and the message cache (lmtpd, imapd,
 * the store tools), their tests and fuzz targets.  Trust: the header is
 * whatever a remote sender wrote; the functions are pure (no I/O, no
 * globals, no logging) and every scan is linear in the input.
 *
 * A field starts on a line that does not begin with a blank and holds a
 * ':' (the name is what comes before it, blanks before the ':' dropped),
 * and goes on over every following line that begins with a space or a
 * tab.  A line without ':' and a continuation line with no field before
 * it are skipped.  The block ends at the first empty line ("" or "\r"
 * before the LF) or at the end of the input.  NUL and 8-bit bytes are
 * data like any other.
 */
#ifndef POSTERN_HDR_H
#define POSTERN_HDR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* One field; every span is borrowed from the iterator's input. */
struct hdr_field {
	struct span name;  /* before the ':' */
	struct span value; /* after the ':', folded, without the last EOL */
	struct span line;  /* the whole field, its last line end included */
};

/* Iterator state: fill with hdr_init; fields are private. */
struct hdr_iter {
	struct span in; /* borrowed: the header block */
	size_t pos;
	bool done;
};

/* Start walking the fields of the header block at the start of in. */
void hdr_init(struct hdr_iter *it, struct span in);
/* The next field: true with *out filled, false at the end of the block. */
bool hdr_next(struct hdr_iter *it, struct hdr_field *out);

/*
 * Length of the header block at the start of msg: up to and including
 * the empty line that ends it, or all of msg when there is none.
 */
size_t hdr_block_len(struct span msg);

/*
 * Append value to out unfolded: every CR and LF removed (RFC 5322
 * section 2.2.3), then blanks trimmed from both ends.  Returns 0, or -1
 * with out unchanged when it would pass out's max.
 */
int hdr_unfold(struct span value, struct buf *out);

/*
 * The line of in that starts at pos (< in.len): its content (without
 * the LF and a CR before it) ends at *content_end, and the next line
 * starts at *next (in.len after the last line).
 */
void hdr_line_at(struct span in, size_t pos, size_t *content_end, size_t *next);

/* Is c a blank (space or tab: what starts a continuation line)? */
static inline bool
hdr_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

#endif
