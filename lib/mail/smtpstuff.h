/*
 * smtpstuff.h - message text to SMTP DATA form (RFC 5321 4.5.2): a dot
 * doubled at the start of each line, every line ended by CRLF (a bare LF
 * becomes CRLF), and the end marker, as an incremental encoder that
 * writes into a bounded buffer so that a large message is sent piece by
 * piece.  Pure: no I/O, no logging, no allocation beyond out's.
 * Linked into: the delivery agents (lib/mail/smtpclient).  Trust: the
 * text is ours (a queue file) but any byte sequence is handled.
 */
#ifndef POSTERN_SMTPSTUFF_H
#define POSTERN_SMTPSTUFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct smtpstuff {
	bool bol;	/* the next byte starts a line */
	bool cr;	/* the last byte written was a CR */
};

/* Start at the beginning of the text. */
void	smtpstuff_init(struct smtpstuff *st);

/*
 * Encode bytes of in, appending to out as long as out->len stays within
 * room (room should exceed out->len by at least 3, and out's max must be
 * at least room).  Returns how many bytes of in were taken; the caller
 * passes the rest next time.  A CR LF pair split between two calls is
 * recognised.
 */
size_t	smtpstuff_encode(struct smtpstuff *st, struct span in, struct buf *out,
	    size_t room);

/* The end: CRLF when the text did not end with a line end, then
 * ".CRLF".  0, or -1 when out's max would be passed (out unchanged). */
int	smtpstuff_finish(struct smtpstuff *st, struct buf *out);

#endif
