/*
 * base64.h - RFC 4648 base64 (the standard alphabet, with padding), as
 * SASL exchanges in SMTP, IMAP and POP3 carry it (RFC 4954, 3501, 5034).
 * Pure functions: no I/O, no logging.
 * Linked into: smtpd, imapd, pop3d.  Trust: the text to decode comes
 * from the peer; decoding is strict and bounded by the output's max.
 */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include "base/buf.h"

/* Append the encoding of in to out.  0, or -1 when out is full. */
int	base64_encode(struct span in, struct buf *out);

/*
 * Append the bytes encoded by in to out.  Strict: only the alphabet, a
 * length that is a multiple of 4, '=' only as one or two final pad
 * characters, and zero unused bits before the padding.  No blanks.
 * Returns 0, or -1 for bad input or a full out (out then holds the
 * bytes of the complete groups before the fault; callers discard it).
 */
int	base64_decode(struct span in, struct buf *out);

/* The 6-bit value of c in the alphabet whose 64th character is c63 ('/'
 * in RFC 4648, ',' in IMAP's modified base64), or -1. */
int	base64_value(unsigned char c, char c63);

#endif
