/*
 * imaputf7.h - IMAP's modified UTF-7 for mailbox names (RFC 3501 section
 * 5.1.3), to and from UTF-8.  imapcmd returns names as sent; the daemon
 * decodes them here unless the client enabled UTF8=ACCEPT (RFC 6855), and
 * encodes names for LIST/LSUB/STATUS replies the same way.
 * Linked into: imapd.  Trust: names are peer data; only the canonical
 * encoding is accepted, so that one name has one spelling.
 */
#ifndef POSTERN_IMAPUTF7_H
#define POSTERN_IMAPUTF7_H

#include "base/buf.h"

/*
 * Decode modified UTF-7 in to UTF-8, appending to out.  Refused (-1, out
 * unchanged): bytes outside printable ASCII, an unterminated or empty
 * "&...-" run other than "&-", bad base64, leftover bits that are not
 * zero, an odd number of UTF-16 bytes, unpaired surrogates, a run that
 * encodes printable ASCII, two runs in a row, or a full out.  Returns 0.
 */
int	imaputf7_decode(struct span in, struct buf *out);
/* Encode UTF-8 in as modified UTF-7, appending to out.  Returns 0, or -1
 * (out unchanged) for invalid UTF-8 or a full out. */
int	imaputf7_encode(struct span in, struct buf *out);

#endif
