/*
 * smtpreply.h - the SMTP/LMTP reply grammar (RFC 5321 section 4.2), with
 * the enhanced status codes of RFC 2034 / RFC 3463 and the EHLO/LHLO
 * keywords a client acts on: reply lines in, one struct smtpreply out.
 * Linked into: the delivery agents (through lib/mail/smtpclient).  Pure:
 * no I/O, no globals, no logging, no allocation.  Trust: replies come from
 * servers on the internet and are hostile: the number of lines and the
 * text kept are bounded, and the text is made printable ASCII.
 */
#ifndef POSTERN_SMTPREPLY_H
#define POSTERN_SMTPREPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Most lines of one reply (an EHLO reply has one per keyword). */
#define SMTPREPLY_MAX_LINES 100
/* The text kept of one reply, NUL excluded; the rest is cut off. */
#define SMTPREPLY_TEXT_MAX 1000
/* An enhanced status code "c.sss.ddd" and its NUL. */
#define SMTPREPLY_ENH_SIZE 12

/* EHLO/LHLO keywords (RFC 2920, 1870, 3207, 6152, 3461, 6531, 3030,
 * 2034), as bits of smtpreply.ext. */
#define SMTPREPLY_EXT_PIPELINING 0x01u
#define SMTPREPLY_EXT_SIZE 0x02u
#define SMTPREPLY_EXT_STARTTLS 0x04u
#define SMTPREPLY_EXT_8BITMIME 0x08u
#define SMTPREPLY_EXT_DSN 0x10u
#define SMTPREPLY_EXT_SMTPUTF8 0x20u
#define SMTPREPLY_EXT_CHUNKING 0x40u
#define SMTPREPLY_EXT_ENHANCEDSTATUSCODES 0x80u

struct smtpreply {
	int code;			/* 200..559; 0 before the first line */
	/* The enhanced code of the first line when it has one whose class
	 * is the code's first digit, else "". */
	char enh[SMTPREPLY_ENH_SIZE];
	/* Every line as sent (codes included), joined by one space; bytes
	 * outside printable ASCII become '?', a TAB a space.  Cut at
	 * SMTPREPLY_TEXT_MAX bytes (truncated then says so). */
	char text[SMTPREPLY_TEXT_MAX + 1];
	size_t text_len;
	bool truncated;
	unsigned int nlines;
	bool done;			/* the last line has come */
	/* Keywords of lines 2 and later of a 2xx reply (an EHLO reply's
	 * first line is the server's name): SMTPREPLY_EXT_* bits. */
	unsigned int ext;
	uint64_t size_max;		/* SIZE's value; 0: none or no limit */
};

/* Empty r before its first line. */
/*
 * The length of an RFC 3463 status code "C.S.D" at the start of s (S and
 * D 1 to 3 digits each), C being klass ('2', '4' or '5'; 0: any of the
 * three), followed by a space or the end of s; 0 when s has none.  Pure.
 */
size_t	smtpreply_enh_len(struct span s, char klass);
void	smtpreply_init(struct smtpreply *r);

/*
 * Feed one reply line without its CRLF.  Returns 0 when more lines are
 * due ("250-..."), 1 when the reply is complete ("250 ..." or "250"),
 * and -1 with why on a bad line: no three-digit code (first digit 2 to
 * 5, second 0 to 5), a code that differs from the first line's, a byte
 * other than '-' or ' ' after the code, more than SMTPREPLY_MAX_LINES
 * lines, or any line after the last.  r is left as it was on -1.
 */
int	smtpreply_line(struct smtpreply *r, struct span line, struct why *why);

/* The class of a complete reply: 2, 3, 4 or 5 (code / 100). */
int	smtpreply_class(const struct smtpreply *r);

#endif
