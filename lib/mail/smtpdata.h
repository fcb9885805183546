/*
 * smtpdata.h - the SMTP message body decoder: DATA (RFC 5321 4.1.1.4,
 * 4.5.2: dot-unstuffing, the end marker) and BDAT chunks (RFC 3030), as
 * an incremental byte-level state machine with size, line and header
 * limits.  Pure: bytes in, body spans and counters out; no I/O, no
 * allocation, no logging.
 * Linked into: smtpd (and its tests).  Trust: the bytes come straight
 * from an SMTP client and are hostile.
 *
 * Rules (SMTP smuggling defence):
 *  - In every mode the data ends ONLY at <CR><LF>.<CR><LF>, as sent (the
 *    CRLF of the DATA command counts, so ".\r\n" at once is an empty
 *    body): <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF> and <CR><LF>.<LF> never
 *    end the data (like Postfix's smtpd_forbid_bare_newline = normalize).
 *  - Strict (flags 0): a bare LF (not after CR) or bare CR (not before
 *    LF) is an error: it is recorded, output stops, and the rest is
 *    consumed up to the real end marker so that the session stays in
 *    sync.  A bare LF is no line end.
 *  - SMTPDATA_BARE_LF_OK: a bare LF is a line end, written out as CRLF
 *    (a "." line next to one is body text, unstuffed, so "\n.\n" gives
 *    an empty line).
 *  - SMTPDATA_BARE_CR_OK: a bare CR is kept as a data byte; it never ends
 *    a line.  SMTPDATA_RELAXED is both (trusted clients only).
 *  - A line that starts with "." loses exactly that one dot.
 *  - The body is written with CRLF line ends; the CRLF before the final
 *    "." belongs to the body, the "." line does not.
 *  - BDAT: exactly the announced octets, no dot handling, no end marker,
 *    the same CR/LF rules and limits across chunks (a CRLF may be split
 *    between two chunks); the message is finished when the LAST chunk is
 *    complete.  A final line without CRLF is passed on as it is.
 *
 * Counters are of output bytes: body_size (RFC 1870 SIZE, CRLFs counted,
 * stuffing dots not), the length of each line without its CRLF (a limit
 * of 998 is RFC 5321's 1000 with CRLF), the header bytes before the first
 * empty line (with their CRLFs; the empty line not counted; a message
 * without an empty line is all header).  A limit of 0 means none.
 *
 * Errors: the first one that happens wins (a byte-exact position, so the
 * result does not depend on how the input is split); when two limits trip
 * on the same byte the order is TOO_BIG, LINE_TOO_LONG, HEADER_TOO_BIG.
 * Output stops at the byte where the error happens.
 */
#ifndef POSTERN_SMTPDATA_H
#define POSTERN_SMTPDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Flags for smtpdata_init. */
#define SMTPDATA_BARE_LF_OK 0x1u
#define SMTPDATA_BARE_CR_OK 0x2u
#define SMTPDATA_RELAXED (SMTPDATA_BARE_LF_OK | SMTPDATA_BARE_CR_OK)

enum smtpdata_status {
	SMTPDATA_MORE,			/* not finished: feed more */
	SMTPDATA_DONE,			/* finished, body good */
	SMTPDATA_DONE_BARE_LF,		/* 5xx (5.5.2 / 5.6.0) */
	SMTPDATA_DONE_BARE_CR,
	SMTPDATA_DONE_TOO_BIG,		/* 552 5.3.4 */
	SMTPDATA_DONE_LINE_TOO_LONG,	/* 500 5.5.2 / 5.6.0 */
	SMTPDATA_DONE_HEADER_TOO_BIG,	/* 552 5.3.4 */
};

/*
 * The reply that refuses a text that ended with status st: returns the
 * code and sets *enh_out and *text_out (static strings); returns 0 for
 * SMTPDATA_DONE and SMTPDATA_MORE, which refuse nothing.
 */
int	smtpdata_refusal(enum smtpdata_status st, const char **enh_out,
	    const char **text_out);

struct smtpdata_limits {
	uint64_t max_size;		/* body bytes; 0: none */
	uint64_t max_line_length;	/* bytes without CRLF; 0: none */
	uint64_t max_header_size;	/* header bytes; 0: none */
};

/*
 * Decoder state, in storage the caller owns (no _fini needed).  The
 * counters are read-only for callers and stop changing at an error.
 */
struct smtpdata {
	struct smtpdata_limits lim;
	unsigned flags;
	int state;			/* private */
	enum smtpdata_status err;	/* SMTPDATA_DONE: none so far */
	bool bdat;
	bool in_header;
	bool has_8bit;			/* a byte >= 0x80 in the body */
	uint64_t body_size;
	uint64_t header_size;
	uint64_t line_len;		/* current line so far */
	uint64_t longest_line;
	uint64_t chunk_left;		/* BDAT: octets still due */
	bool chunk_open;
	bool chunk_last;
};

/*
 * Receives the decoded body in order, as borrowed spans: of the input
 * passed to the feed call that is running, or of constant storage; each
 * valid only during the call.
 */
typedef void smtpdata_out_fn(void *arg, struct span body);

/* Start a DATA body (lim is copied). */
void	smtpdata_init(struct smtpdata *d, const struct smtpdata_limits *lim,
	    unsigned flags);
/*
 * Decode DATA bytes, passing body spans to out(arg, ...).  Returns the
 * number of bytes consumed: all of in, or fewer when the end marker was
 * reached, in which case the bytes after "." CRLF (pipelined commands)
 * are the caller's.  Returns 0 once finished.
 */
size_t	smtpdata_feed(struct smtpdata *d, struct span in, smtpdata_out_fn *out,
	    void *arg);
/* SMTPDATA_MORE until the end marker (or the LAST chunk), then DONE_*. */
enum smtpdata_status smtpdata_status(const struct smtpdata *d);
/* True as soon as the body is known to be refused (before it ends). */
bool	smtpdata_failed(const struct smtpdata *d);

/* Start a BDAT message (lim is copied). */
void	smtpdata_bdat_init(struct smtpdata *d,
	    const struct smtpdata_limits *lim, unsigned flags);
/*
 * A BDAT command announced len octets (last: it had LAST).  Panics if
 * the previous chunk is still open or the message is finished (our bug:
 * the session checks the order of commands).
 */
void	smtpdata_bdat_chunk(struct smtpdata *d, uint64_t len, bool last);
/*
 * Decode chunk octets: consumes min(in.len, octets still due) and
 * returns that.  The call that completes the chunk (for a 0-octet chunk,
 * any call, even with empty input) closes it and, for LAST, finishes
 * the message.  Returns 0 when no chunk is open.
 */
size_t	smtpdata_bdat_feed(struct smtpdata *d, struct span in,
	    smtpdata_out_fn *out, void *arg);
/* True while the current chunk still needs a smtpdata_bdat_feed call. */
bool	smtpdata_bdat_in_chunk(const struct smtpdata *d);

#endif
