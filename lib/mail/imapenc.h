/*
 * imapenc.h - the IMAP4rev1 response encoder (RFC 3501 sections 4, 5.1.3
 * and 7): strings as atoms, quoted strings or literals, nstrings and
 * astrings, mailbox names in modified UTF-7 (and the decoder for the
 * names clients send), flag lists and INTERNALDATE (imapenc.c); ENVELOPE,
 * BODYSTRUCTURE and BODY from a message cache (imapenc_struct.c).  Body
 * sections (BODY[...]<...>) are in mail/imapsect.h.
 * Linked into: imapd, its unit tests and fuzz target.  Trust: every
 * string may be a remote sender's (header text, names) or come from a
 * damaged cache blob that msgcache_open accepted; the functions are pure
 * (no I/O, no globals, no logging) and write only into the caller's
 * buffer, bounded by its max.
 *
 * Every function that appends returns 0, or -1 with out unchanged (its
 * length is put back) when out would pass its max or, where said, when
 * the input is not valid.
 *
 * Strings (RFC 3501 section 4.3): a string goes quoted when it is at most
 * IMAPENC_QUOTED_MAX bytes of 7-bit text without CR, LF and NUL ('"' and
 * '\' escaped), else as a literal, "{N}" CRLF and the N bytes.  A literal
 * may not hold NUL either (CHAR8 is %x01-ff): each NUL is sent as 0x80,
 * which keeps the length and cannot be mistaken for text.  Message bytes
 * of BODY[...] are streamed by the daemon (imapsect.h), not through here.
 *
 * Date-time strings the client sends (APPEND, SEARCH) are parsed by the
 * command parser (mail/imapcmd), not here.
 */
#ifndef POSTERN_IMAPENC_H
#define POSTERN_IMAPENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/msgcache.h"

/* Longest string sent quoted; longer ones go as literals. */
#define IMAPENC_QUOTED_MAX 1024

/* System flags: the same bits as STORE_SEEN ... STORE_DRAFT of
 * store/store.h, plus \Recent, which only a session knows. */
enum {
	IMAPENC_SEEN = 1u << 0,
	IMAPENC_ANSWERED = 1u << 1,
	IMAPENC_FLAGGED = 1u << 2,
	IMAPENC_DELETED = 1u << 3,
	IMAPENC_DRAFT = 1u << 4,
	IMAPENC_RECENT = 1u << 5,
};

/* Is s an atom (1*ATOM-CHAR)?  Keywords and tags must be. */
bool imapenc_is_atom(struct span s);

/* s as a string: quoted or a literal, as above. */
int imapenc_string(struct buf *out, struct span s);
/* An nstring: NIL when s is NULL, else imapenc_string(*s). */
int imapenc_nstring(struct buf *out, const struct span *s);
/* An astring: an atom (']' allowed) when s is one and is not "NIL" in
 * any case, else imapenc_string. */
int imapenc_astring(struct buf *out, struct span s);
/* The head of a literal of len bytes: "{len}" CRLF. */
int imapenc_literal_head(struct buf *out, uint64_t len);

/*
 * Modified UTF-7 (RFC 3501 section 5.1.3).  encode: UTF-8 in, the
 * 7-bit form out; -1 when utf8 is not valid UTF-8 or holds NUL.
 * decode: a name a client sent in, UTF-8 out; -1 with the reason in
 * why when it is not valid modified UTF-7: a byte outside printable
 * US-ASCII, an '&' run without its '-', a character outside the
 * modified BASE64 alphabet, bits left over or not zero, a broken
 * surrogate pair, a printable US-ASCII character or NUL encoded, or two
 * encoded runs in a row.  Every valid name decodes and encodes back to
 * exactly itself.
 */
int imapenc_mutf7_encode(struct buf *out, struct span utf8);
int imapenc_mutf7_decode(struct buf *out, struct span mutf7, struct why *why);

/*
 * A mailbox name (UTF-8, as the store has it) as LIST, LSUB and STATUS
 * send it: INBOX in any case as INBOX; any other name in modified UTF-7
 * as an astring, or, after ENABLE UTF8=ACCEPT (utf8_accept: RFC 6855
 * section 3 lets quoted strings hold UTF-8), as it is: an atom, or a
 * quoted string (a literal with CR or LF, or when long).  -1 when the
 * name is not valid UTF-8 or holds NUL.
 */
int imapenc_mailbox(struct buf *out, struct span utf8, bool utf8_accept);

/*
 * A flag list: "(" the system flags in flags (IMAPENC_*), then keyword i
 * of names[0 .. nnames) for each bit i set in keywords, ")".  Keyword bits
 * past nnames and names that are not atoms are left out (the store only
 * keeps atoms, so neither happens unless it is damaged).
 */
int imapenc_flags(struct buf *out, uint32_t flags, uint64_t keywords,
                  const char *const *names, size_t nnames);

/*
 * INTERNALDATE: t (seconds since the epoch) in the zone zone_min minutes
 * east of UTC, as "\"dd-Mon-yyyy hh:mm:ss +hhmm\"" with the day padded
 * by a space (date-day-fixed).  -1 when |zone_min| > 99:59 or the year
 * in that zone is outside 0000 .. 9999.
 */
int imapenc_date_time(struct buf *out, int64_t t, int zone_min);

/*
 * ENVELOPE (RFC 3501 section 7.4.2) of message part i of an opened
 * cache (part 0, or the child of a message/rfc822 part): date, subject,
 * from, sender, reply-to, to, cc, bcc, in-reply-to, message-id.  Sender
 * and Reply-To fall back to From (msgcache_envelope); a mailbox goes
 * without its RFC 5322 quoting (RFC 3501: "local-part after removing
 * [RFC-2822] quoting").  A part that is no message gives the all-NIL
 * envelope.
 */
int imapenc_envelope(struct buf *out, const struct msgcache *mc, uint32_t i);

/*
 * BODYSTRUCTURE (ext: with extension data) or BODY (without) of part i
 * (part 0 for the FETCH items), per RFC 3501 section 7.4.2.  Strings are
 * written as the message had them (case kept, never decoded), except
 * that text parts without a charset get ("charset" "us-ascii").  Body
 * lines are given for text/ and message/rfc822 parts.  RFC 3501 cannot
 * express some parts; as Dovecot does, a multipart without children
 * holds one empty text/plain part, a message/rfc822 part without an
 * embedded message in the cache has an all-NIL envelope and that empty
 * part as its body, and message/global is a basic part (imapenc_struct.c
 * has the details).
 */
int imapenc_bodystructure(struct buf *out, const struct msgcache *mc,
                          uint32_t i, bool ext);

#endif
