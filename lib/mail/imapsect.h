/*
 * imapsect.h - what FETCH BODY[section]<partial> sends (RFC 3501 section
 * 6.4.5): from a message cache and a section spec, the pieces of the
 * answer, byte ranges of the message file or a few built bytes, so that
 * the daemon streams the literal with back-pressure instead of building
 * it in memory.
 * Linked into: imapd, its unit tests and fuzz target.  Trust: the spec
 * comes from a client (through mail/imapcmd); the cache passed
 * msgcache_open; the header bytes the caller passes are the message's.
 * The functions are pure (no I/O, no globals, no logging) and every
 * range they give lies inside the message (msg_size of the cache).
 *
 * How imapd uses it, for one message:
 *
 *	imapsect_init(&s, max);
 *	r = imapsect_get(&s, &mc, &spec, span_make(NULL, 0), &why);
 *	if (r == 1) {	// HEADER.FIELDS the cache cannot answer
 *		map or read s.need_len bytes of the file at s.need_off;
 *		r = imapsect_get(&s, &mc, &spec, those bytes, &why);
 *	}
 *	if (r == -1) tagged BAD/NO with why;
 *	imapsect_label(&line, &spec);		// BODY[1.TEXT]<0>
 *	imapenc_literal_head(&line, s.len);	// " {N}\r\n"
 *	for each piece: pread it from the file (or copy it from s.text)
 *	    when the connection's output drains, imapsect_fix_nul() it,
 *	    and send it;
 *	imapsect_fini(&s);
 *
 * The FETCH items that are sections under another name: RFC822 is
 * BODY[], RFC822.HEADER is BODY.PEEK[HEADER], RFC822.TEXT is BODY[TEXT]
 * (their labels are the item names); RFC822.SIZE is msg_size.  BODY.PEEK
 * differs from BODY only in not setting \Seen, which is the daemon's.
 *
 * Sections (msgcache.h tells which part covers which bytes):
 *  - no part number: the whole message, HEADER, TEXT, HEADER.FIELDS and
 *    HEADER.FIELDS.NOT of the message's header; MIME is an error.
 *  - a part number: the part's body, or MIME (the part's own header);
 *    HEADER, TEXT and the HEADER.FIELDS sections only of a message/rfc822
 *    part, where they are its embedded message's.
 *  - a part number that names no part, or HEADER/TEXT/HEADER.FIELDS of a
 *    part that is no message/rfc822: the empty string, with missing set.
 *  - HEADER.FIELDS (.NOT): the fields whose names are (are not) in the
 *    list, compared without case, in message order, each whole with its
 *    folding, then the empty line (CRLF), even when no field matches.
 *    Lines of the header that are no field are left out.  The fields come
 *    from the cache when it holds every name asked for (the message's
 *    own header only), else from the header bytes of the file.
 *  - <start.len>: the bytes start .. start+len-1 of that, fewer at its
 *    end, none when start is past it (the label still says <start>).
 */
#ifndef POSTERN_IMAPSECT_H
#define POSTERN_IMAPSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/msgcache.h"

/* Most field names one HEADER.FIELDS list may name. */
#define IMAPSECT_MAX_NAMES 1024

enum imapsect_text {
	IMAPSECT_BODY,       /* nothing after the part number: BODY[], [1.2] */
	IMAPSECT_HEADER,     /* HEADER */
	IMAPSECT_FIELDS,     /* HEADER.FIELDS (names) */
	IMAPSECT_FIELDS_NOT, /* HEADER.FIELDS.NOT (names) */
	IMAPSECT_TEXT,       /* TEXT */
	IMAPSECT_MIME,       /* MIME */
};

/* Most levels of a part number (mail/imapcmd has the same). */
#define IMAPSECT_MAX_PART 32

/* A section as the client gave it; everything borrowed for the call. */
struct imapsect_spec {
	const uint32_t *part; /* 1.2.3 as {1, 2, 3}; none: the message */
	size_t npart;
	enum imapsect_text text;
	const struct span *names; /* the field names of HEADER.FIELDS (.NOT) */
	size_t nnames;
	bool partial; /* <start.len> was given */
	uint64_t start;
	uint64_t len;
};

/* One piece of the answer: len bytes at off of the message file, or of
 * the built bytes (text) when in_text. */
struct imapsect_piece {
	uint64_t off;
	uint64_t len;
	bool in_text;
};

/* An answer, in storage the caller owns (imapsect_init/imapsect_fini). */
struct imapsect {
	struct buf pieces; /* owned: struct imapsect_piece[npieces] */
	struct buf text;   /* owned: built bytes the pieces refer to */
	size_t npieces;
	uint64_t len; /* the literal's length: the pieces' sum */
	bool missing; /* no such section: the answer is empty */
	/* HEADER.FIELDS (.NOT): where the header is in the message; when
	 * imapsect_get returned 1, the bytes to pass to the next call. */
	uint64_t need_off;
	uint64_t need_len;
};

/* Start empty; pieces and text each hold at most max bytes. */
void imapsect_init(struct imapsect *s, size_t max);
void imapsect_fini(struct imapsect *s);
/* Piece i (< s->npieces); borrowed, valid until s changes. */
const struct imapsect_piece *imapsect_piece(const struct imapsect *s, size_t i);

/*
 * Work out the answer to spec into s (replacing what it held).  hdr: the
 * message's bytes need_off .. need_off+need_len-1 when a first call
 * returned 1, else empty.  Returns 0 with the answer, 1 when the header
 * bytes at s->need_off are needed (call again with them), or -1 with the
 * reason in why: a part number of more than IMAPSECT_MAX_PART levels or
 * with a 0, MIME without a part number, more than IMAPSECT_MAX_NAMES
 * names, hdr not of the length asked for, or s's buffers full.
 */
int imapsect_get(struct imapsect *s, const struct msgcache *mc,
                 const struct imapsect_spec *spec, struct span hdr,
                 struct why *why);

/*
 * Make n bytes of an answer fit to send in a literal: each NUL becomes
 * 0x80 (RFC 3501's CHAR8 excludes NUL; Dovecot does the same).  The
 * length stays the same, so the literal's length still holds.
 */
void imapsect_fix_nul(unsigned char *p, size_t n);

/*
 * The item's name in the FETCH response: "BODY[" section "]", with
 * "<start>" when partial.  Field names are written as astrings, in the
 * case the client used.  Returns 0, or -1 with out unchanged when full
 * or the part number is bad.
 */
int imapsect_label(struct buf *out, const struct imapsect_spec *spec);

#endif
