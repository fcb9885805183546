/*
 * dsn_impl.h - the encoders dsn.c builds a notice with (dsn_enc.c): safe
 * one-line text, folded fields, wrapped paragraphs, dates, the address
 * forms of RFC 3464 and 6533, and the bytes of the original.
 * Linked into: qmgr, through dsn.c only.  Trust: every function takes
 * hostile bytes and emits text that holds no CR or LF but its own line
 * ends, and no line over 998 octets.
 */
#ifndef POSTERN_DSN_IMPL_H
#define POSTERN_DSN_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

/* Room for "Mon, 02 Jan 2006 15:04:05 +0000" and its NUL. */
#define DSN_DATE_SIZE 40
/* The latest date written: 9999-12-31 23:59:59 UTC. */
#define DSN_DATE_MAX INT64_C(253402300799)

/* What the lines of a span hold (dsn_scan). */
struct dsn_scan {
	bool eight_bit; /* a byte >= 0x80 */
	bool long_line; /* a line over 998 octets without its line end */
	bool bad;       /* NUL, or a CR not before LF: no 7bit/8bit copy */
};

/*
 * Append s as one line of text: every run of blanks, CR and LF becomes
 * one space (none at either end), other control bytes become '?', and
 * so do 8-bit bytes, unless utf8 and they are valid UTF-8.  At most max
 * bytes (>= 3) are added; a longer text is cut at a character and ends
 * in "...".  Returns 0, or -1 with b unchanged.
 */
int dsn_clean(struct buf *b, struct span s, bool utf8, size_t max);
/* s holds only bytes from lo to hi and is not empty. */
bool dsn_all_in(struct span s, unsigned char lo, unsigned char hi);
/*
 * Append the field "name: value" CRLF, folded before a space wherever a
 * line would pass 78 octets.  value must hold no CR or LF and be at most
 * DSN_VALUE_MAX bytes.  Returns 0, or -1 with b unchanged.
 */
int dsn_field(struct buf *b, const char *name, struct span value);
/*
 * Append text (one line, as dsn_clean makes it) wrapped to 72 columns,
 * the first line after first_indent spaces, the rest after indent, each
 * ending in CRLF.  A word longer than a line stays whole.  Returns 0, or
 * -1 with b unchanged.
 */
int dsn_wrap(struct buf *b, struct span text, size_t first_indent,
             size_t indent);
/* t (unix seconds, 0..DSN_DATE_MAX) at UTC offset tz_minutes as an RFC
 * 5322 date-time in out.  Returns 0, or -1 when either is out of range. */
int dsn_date(int64_t t, int tz_minutes, char out[DSN_DATE_SIZE]);
/*
 * Append "rfc822; ADDR" or "utf-8; ..." for a Final-Recipient (final) or
 * an Original-Recipient of type type: an rfc822 address of printable
 * ASCII as it is; anything else as utf-8, in the form RFC 6533 gives for
 * where it goes (global: the message/global-delivery-status part).  The
 * address is cut at DSN_VALUE_MAX - 20 bytes.  Returns 0, or -1 with b
 * unchanged.
 */
int dsn_addr(struct buf *b, struct span type, struct span addr, bool global,
             bool final);
/* Scan the lines of s (ended by LF or CRLF). */
void dsn_scan(struct span s, struct dsn_scan *out);
/* Append s with every line ended by CRLF (a bare LF becomes CRLF, and a
 * last line without one gets one).  s must not be dsn_scan()'s bad. */
int dsn_copy_lines(struct buf *b, struct span s);
/* Append s quoted-printable (RFC 2045 section 6.7), line ends kept as
 * CRLF, lines at most 76 octets.  Returns 0, or -1 with b unchanged. */
int dsn_qp(struct buf *b, struct span s);

#endif
