/*
 * hdraddr.h - RFC 5322 address lists (From:, To:, Cc: ..., with the
 * obsolete syntax of section 4.4) as IMAP's ENVELOPE reports them (RFC
 * 3501 section 7.4.2): (name, source route, mailbox, host) tuples, with
 * a group start and a group end marker around the members of a group.
 * Linked into: the message cache (lmtpd, imapd, the store tools), the
 * unit test and the fuzz target.  Trust: the value is a remote sender's;
 * the parser is pure (no I/O, no globals, no logging; it writes only
 * into the caller's buffer) and linear in the input.
 *
 * Unlike mail/addrlist (sendmail's strict reading), nothing is an error:
 * a malformed list still gives what can be made of it.  The reading:
 *  - Tokens are atoms, quoted strings, domain literals, comments and the
 *    specials < > : ; @ , . ; any other byte (controls, NUL, 8-bit, a
 *    stray ')' or '\') is atom text.  CR and LF are white space.  An
 *    unterminated quoted string, comment or literal runs to the end.
 *  - "phrase <route:local@host>" is a mailbox with a display name; the
 *    '>' may be missing.  Text after the '>' up to the next ',' is
 *    ignored.  "@a,@b:" before the address is the source route.
 *  - "phrase:" starts a group; ";" (or the end, or another group start)
 *    ends it.  A ';' outside a group separates like ','.
 *  - Anything else between commas is an addr-spec split at its last
 *    '@'; with no '@' it is a mailbox without host, or, when it is
 *    several words, a display name without an address.  Empty list
 *    elements are skipped.
 *  - Strings are never decoded (RFC 2047 encoded words stay as they
 *    are).  name: the display name's words (quoted strings unquoted)
 *    with one space where the text had white space or a comment between
 *    them; without a display name, the text of the element's first
 *    comment ("a@b (Ann)" gives "Ann").  mailbox: the local part's words
 *    joined by their dots, quoted again (with '\' before '"' and '\')
 *    when it is not a dot-atom.  host: the domain without white space
 *    and comments.  route: "@a,@b".
 */
#ifndef POSTERN_HDRADDR_H
#define POSTERN_HDRADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum hdraddr_kind {
	HDRADDR_MAILBOX,     /* (name route mailbox host) */
	HDRADDR_GROUP_START, /* (NIL NIL group-name NIL): name is set */
	HDRADDR_GROUP_END,   /* (NIL NIL NIL NIL) */
};

/*
 * One item.  The spans are borrowed from the text buffer passed to
 * hdraddr_next and valid until it changes.  An empty name or route is
 * NIL in IMAP; an empty host means the address had no domain; an empty
 * mailbox means there was no address at all (only a name).
 */
struct hdraddr {
	enum hdraddr_kind kind;
	struct span name;
	struct span route;
	struct span mailbox;
	struct span host;
};

/* Iterator state: fill with hdraddr_init; fields are private. */
struct hdraddr_iter {
	struct span in; /* borrowed: the field value */
	size_t pos;
	bool in_group;
};

/* Start walking the address list in (a raw field value, folding and
 * all), borrowed for the walk. */
void hdraddr_init(struct hdraddr_iter *it, struct span in);

/*
 * The next item.  Its strings are written into text (reset first).
 * Returns 1 with *out filled, 0 at the end of the list (a group left
 * open is closed first), or -1 when the strings would pass text's max:
 * *out is filled all the same, with its strings cut short, and the walk
 * may go on.  Every group start is followed, in time, by its group end.
 */
int hdraddr_next(struct hdraddr_iter *it, struct hdraddr *out,
                 struct buf *text);

#endif
