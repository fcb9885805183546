/*
 * mailtext.h - message text as UTF-8 for searching: header values with
 * their RFC 2047 encoded words decoded, bodies with their
 * Content-Transfer-Encoding (quoted-printable, base64) undone, and both
 * converted from their charset to UTF-8.
 * Linked into: imapd (SEARCH), the unit test and the fuzz target.
 * Trust: the text is a remote sender's and hostile.  The functions are
 * pure but for iconv(3), which may load the C library's conversion
 * modules from disk the first time a charset is used; no logging, no
 * globals; time linear in the input; output bounded by out's max.
 *
 * Leniency, as readers of real mail must have it: a quoted-printable
 * "=" that starts no escape and no soft line break stays as it is;
 * base64 skips every byte outside its alphabet and stops at "=";
 * an encoded word may touch the text around it; a charset iconv does not
 * know (or none) leaves the bytes as they are, and a byte sequence that
 * is not valid in its charset becomes U+FFFD.  US-ASCII and UTF-8 text
 * is copied as it is (the matcher reads bytes that are not UTF-8 as
 * characters of their own).
 */
#ifndef POSTERN_MAILTEXT_H
#define POSTERN_MAILTEXT_H

#include <stdbool.h>

#include "base/buf.h"

/* Longest charset name looked up; longer ones count as unknown. */
#define MAILTEXT_MAX_CHARSET 64

/*
 * Append a header field's value, unfolded (CR and LF removed, blanks
 * trimmed from both ends), with RFC 2047 encoded words decoded to UTF-8.
 * Blanks between two adjacent encoded words are dropped (RFC 2047 6.2);
 * adjacent words of one charset are converted together, so a character
 * split between them survives.  Returns 0, or -1 when out's max was
 * reached (out then holds what fitted).
 */
int mailtext_header(struct span value, struct buf *out);

/*
 * Append a body decoded by its Content-Transfer-Encoding (encoding: the
 * field's value; "quoted-printable" and "base64" in any case are
 * decoded, anything else is taken as it is) and converted from charset
 * (the Content-Type parameter; empty: none) to UTF-8.  Returns 0, or -1
 * when out's max was reached (out then holds what fitted).
 */
int mailtext_body(struct span body, struct span encoding, struct span charset,
                  struct buf *out);

/*
 * The steps, for the tests.  Quoted-printable (RFC 2045 6.7; with q, the
 * "Q" encoding of RFC 2047 4.2, where "_" is a space); base64 (lenient,
 * see above); in, written in charset, to UTF-8.  Each returns 0, or -1
 * when out's max was reached (out then holds what fitted).
 */
int mailtext_qp(struct span in, bool q, struct buf *out);
int mailtext_base64(struct span in, struct buf *out);
int mailtext_charset(struct span in, struct span charset, struct buf *out);

#endif
