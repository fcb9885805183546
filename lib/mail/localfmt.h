/*
 * localfmt.h - how the local delivery agent (local(8)) hands a message
 * to a command or appends it to a file: the envelope header fields it
 * adds, the mbox "From " line, and the conversion of the queued text
 * (CRLF lines) to Unix lines, with mboxrd quoting for files: a line that
 * starts with zero or more '>' and then "From " gets one more '>'.
 * Also the cleaning of mail data put into a command's environment.
 * Pure functions: no I/O.
 *
 * Linked into: local, the unit test.  Trust: sender and recipient
 * addresses and the message come from the network (through smtpd's
 * checks); nothing here lets a byte of them end a line or a field early.
 */
#ifndef POSTERN_LOCALFMT_H
#define POSTERN_LOCALFMT_H

#include <stdbool.h>
#include <time.h>

#include "base/buf.h"

/*
 * Append "From SENDER DATE\n" to out: SENDER is the envelope sender
 * (MAILER-DAEMON for the null sender) with blanks and control bytes
 * written as '_', DATE is when in asctime() form ("Sat Nov 22 15:04:05
 * 2026").  0, or -1 when out's max would be passed.
 */
int	localfmt_from_line(struct buf *out, struct span sender,
	    const struct tm *when);

/*
 * Append "Return-Path: <SENDER>\nDelivered-To: RECIPIENT\n" to out,
 * control bytes written as '?'.  0, or -1 when out's max would be
 * passed.
 */
int	localfmt_headers(struct buf *out, struct span sender,
	    struct span recipient);

/* Where a conversion is, between calls. */
struct localfmt_conv {
	bool quote_from;	/* mboxrd quoting (files), not for commands */
};

/*
 * Convert whole lines from the start of *rest (advanced past them) into
 * out: "\r\n" and a bare "\n" become "\n", quoted as above when
 * conv->quote_from; a last line without an end gets "\n".  Stops once
 * out holds at least chunk bytes, or *rest is empty.  Returns 0, or -1
 * when out's max would be passed (out then holds the lines that fit;
 * *rest starts at the line that did not).
 */
int	localfmt_convert(const struct localfmt_conv *conv, struct span *rest,
	    size_t chunk, struct buf *out);

/*
 * A value for a command's environment (SENDER=, RECIPIENT=): s with
 * control bytes and bytes >= 0x7f written as '_', into out (replaced).
 * 0, or -1 when out's max would be passed.
 */
int	localfmt_env_value(struct buf *out, struct span s);

#endif
