/*
 * mime.h - parse a whole RFC 5322 message into its MIME tree (RFC 2045,
 * 2046, 2183): where each part's header and body lie, their sizes and
 * line counts, and every field IMAP's BODYSTRUCTURE reports.
 * Linked into: the message cache (lmtpd, imapd, the store tools), the
 * unit test and the fuzz target.  Trust: the message is a remote
 * sender's and hostile; the parser is pure (no I/O, no globals, no
 * logging; memory only in the caller's struct mime, bounded by the
 * limits below) and runs in time linear in the message (each line is
 * looked at once, a "--" line against at most MIME_MAX_DEPTH boundaries).
 *
 * The tree.  Parts are numbered in pre-order: part 0 is the message
 * itself (header = the message header, body = the rest); the descendants
 * of part i are the parts i+1 .. end-1.  A multipart's children are its
 * body parts; a message/rfc822 (or message/global) part has one child,
 * the embedded message (flag MIME_F_MESSAGE, like part 0), whose header
 * is the start of the part's body and which spans all of it (unless the
 * part has a base64 or quoted-printable encoding, which RFC 2046 5.2.1
 * forbids: then it is an opaque leaf).  Line ends
 * may be CRLF or bare LF, mixed.  A header ends with the first empty
 * line (which belongs to the header); a part without one is all header
 * with an empty body.
 *
 * Boundaries (RFC 2046 section 5.1.1): a line is a delimiter of an open
 * multipart when it is "--" boundary, then "--" (the close delimiter,
 * whatever follows) or only blanks.  The line end before a delimiter
 * belongs to the delimiter, not to the part before it.  Each line is
 * tried against the open multiparts from the innermost out, so a
 * boundary of an enclosing multipart also ends the inner parts (a
 * missing close delimiter).  What comes before the first delimiter (the
 * preamble) and after the close delimiter (the epilogue) belongs only
 * to the multipart's body.  A multipart without a boundary parameter,
 * with an empty or over-long one, or whose boundary never shows up, has
 * no children; its body is opaque.  (RFC 3501 cannot express a
 * multipart without parts: the IMAP writer reports one empty text/plain
 * part there, as Dovecot does.)
 *
 * Defaults (RFC 2045 section 5.2, RFC 2046 section 5.1.5): no or an
 * unusable Content-Type gives text/plain with charset=us-ascii, or
 * message/rfc822 for the children of a multipart/digest (flag
 * MIME_F_DEFAULT); no Content-Transfer-Encoding gives "7BIT".  Of a
 * field that occurs twice the first one counts.  Strings are unfolded
 * (CR and LF removed) and trimmed, never decoded (RFC 2047 encoded words
 * and transfer encodings are left as they are, broken or not); parameter
 * values are unquoted and RFC 2231 sections joined (mail/mimeparam.h).
 * Type, subtype and parameter names keep the case they were written in.
 *
 * Limits: a part at depth MIME_MAX_DEPTH (part 0 is at depth 0) is a
 * leaf whatever its type, and once the message has MIME_MAX_PARTS parts
 * no more are made: a multipart that would get another child stops
 * looking for its boundary (the rest of its body is epilogue), and a
 * message/rfc822 part gets no embedded message.  Such parts have flag
 * MIME_F_LIMIT.  Header fields of any length cost linear time; NUL and
 * 8-bit bytes are data.  Messages of 4 GiB or more are refused.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

#define MIME_MAX_DEPTH 100
#define MIME_MAX_PARTS 10000
/* Longest boundary used (RFC 2046 allows 70). */
#define MIME_MAX_BOUNDARY 200
/* "No such part" and the NIL string. */
#define MIME_NONE UINT32_MAX

/* Part flags. */
#define MIME_F_MULTIPART 0x01u /* type multipart/...: children are parts */
#define MIME_F_RFC822 0x02u    /* message/rfc822 with its embedded message */
#define MIME_F_MESSAGE 0x04u   /* a message: part 0 or an embedded one */
#define MIME_F_DEFAULT 0x08u   /* no usable Content-Type: the default */
#define MIME_F_LIMIT 0x10u     /* not parsed further: a limit was reached */

/* A string of mime.text; off == MIME_NONE is NIL (the field is absent). */
struct mime_ref {
	uint32_t off;
	uint32_t len;
};

struct mime_param {
	struct mime_ref attr; /* NIL for the items of a language list */
	struct mime_ref value;
};

struct mime_part {
	uint32_t parent; /* MIME_NONE for part 0 */
	uint32_t end;    /* one past the last descendant */
	uint32_t depth;
	uint32_t flags; /* MIME_F_* */
	size_t off;     /* where the header starts, in the message */
	size_t header_len;
	size_t body_len; /* the body follows the header */
	size_t body_lines;
	struct mime_ref type; /* Content-Type */
	struct mime_ref subtype;
	struct mime_ref id;          /* Content-ID */
	struct mime_ref description; /* Content-Description */
	struct mime_ref encoding;    /* Content-Transfer-Encoding */
	struct mime_ref md5;         /* Content-MD5 */
	struct mime_ref disposition; /* Content-Disposition's type */
	struct mime_ref location;    /* Content-Location */
	/* mime.param[params ..]: Content-Type's parameters, then
	 * Content-Disposition's, then the Content-Language tags. */
	uint32_t params;
	uint32_t n_type_params;
	uint32_t n_disp_params;
	uint32_t n_lang;
};

/* A parsed message, in storage the caller owns (mime_init/mime_fini). */
struct mime {
	struct buf parts;  /* owned: struct mime_part[nparts] */
	struct buf params; /* owned: struct mime_param[nparams] */
	struct buf text;   /* owned: the bytes of every mime_ref */
	uint32_t nparts;
	uint32_t nparams;
	bool limited; /* some part has MIME_F_LIMIT */
};

void mime_init(struct mime *m);
void mime_fini(struct mime *m);

/*
 * Parse msg (borrowed for the call only: nothing points into it
 * afterwards) into m, replacing what m held.  Returns 0, or -1 with the
 * reason in why when msg is 4 GiB or more or m's memory would pass its
 * bounds (then m holds no parts).  Never fails on malformed input.
 */
int mime_parse(struct mime *m, struct span msg, struct why *why);

/* Part i (< m->nparts); borrowed, valid until m changes. */
const struct mime_part *mime_part(const struct mime *m, uint32_t i);
/* Parameter i (< m->nparams); borrowed, valid until m changes. */
const struct mime_param *mime_param(const struct mime *m, uint32_t i);
/* The bytes of r (empty for NIL); borrowed, valid until m changes. */
struct span mime_str(const struct mime *m, struct mime_ref r);
static inline bool
mime_is_nil(struct mime_ref r)
{
	return r.off == MIME_NONE;
}

#endif
