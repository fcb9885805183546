/*
 * pop3top.h - where TOP (RFC 1939 section 7) cuts a message: the header,
 * the empty line that ends it, then the first n lines of the body.  An
 * incremental scanner, so that the message can be streamed from its file
 * a chunk at a time.  Pure: no I/O, no logging, no allocation.
 * Linked into: pop3d and its unit test.  Trust: the message is ours (the
 * store's file) but any byte sequence is handled: a line ends at LF; a
 * message without an empty line is all header and is sent whole.
 */
#ifndef POSTERN_POP3TOP_H
#define POSTERN_POP3TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct pop3top {
	uint64_t left;		/* body lines still to send */
	bool body;		/* past the empty line */
	bool bol;		/* the next byte starts a line */
	bool cr_only;		/* the line so far is a lone CR */
	bool done;		/* the cut is reached: send nothing more */
};

/* Start at the beginning of a message, for TOP msg lines. */
void	pop3top_init(struct pop3top *t, uint64_t lines);
/*
 * How many bytes of in (the next bytes of the message) belong to the
 * output: all of them, or fewer when the cut falls inside in (then
 * t->done is set, and later calls return 0).
 */
size_t	pop3top_take(struct pop3top *t, struct span in);

#endif
