/*
 * addrlist.h - RFC 5322 address lists (To:, Cc:, Bcc: and the like, with
 * the obsolete forms of section 4.4 and RFC 6532 UTF-8): walk the list and
 * get each mailbox as a canonical RFC 5321 "local@domain".
 * Linked into: sendmail (header recipients for -t, command-line
 * addresses), the unit test and the fuzz target.  Trust: the text is
 * whatever a local user or a remote sender wrote; the parser is a pure
 * function (no I/O, no globals, no logging, no allocation).
 *
 * What it understands: comments (nested, with quoted-pairs), quoted
 * strings, display names (phrases with dots and even stray '@', as MUAs
 * write them), angle addresses with an obsolete source route, groups
 * ("name: a@x, b@y;", possibly empty), empty list elements, domain
 * literals, and folded lines (CR and LF count as white space).  Two
 * extensions that sendmail needs: a bare local part without "@domain"
 * (has_domain false, for the caller to qualify), and a group whose ';'
 * is missing at the end of the text.
 */
#ifndef POSTERN_ADDRLIST_H
#define POSTERN_ADDRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

/* Longest canonical mailbox produced; a longer one is an error. */
#define ADDRLIST_ADDR_MAX 512
/* Deepest nesting of comments accepted. */
#define ADDRLIST_MAX_COMMENT_DEPTH 32

/*
 * One mailbox.  addr is "local@domain" (or only the local part when
 * has_domain is false), NUL-terminated: the local part as an RFC 5321
 * dot-string when it is one once its quotes are removed, otherwise as a
 * quoted-string with only the backslashes it needs; the domain as its
 * atoms joined by dots (case kept), or a domain literal "[...]" without
 * white space.  White space, comments and folding are gone.  display and
 * group are borrowed from the input (valid while it lives) and are the
 * raw text of the display name and of the enclosing group's name; empty
 * when there is none.
 */
struct addrlist_mailbox {
	struct span display;
	struct span group;
	char addr[ADDRLIST_ADDR_MAX + 1];
	size_t len;       /* strlen(addr) */
	size_t local_len; /* addr[0, local_len) is the local part */
	bool has_domain;  /* addr[local_len] is '@' */
	bool has_utf8;    /* a byte >= 0x80 in addr */
};

/* Iterator state: fill with addrlist_init; fields are private. */
struct addrlist {
	struct span in; /* borrowed: the caller's text */
	size_t pos;
	bool in_group;
	bool failed;
	struct span group; /* borrowed from in */
};

/* Start walking the address list in (borrowed for the walk). */
void addrlist_init(struct addrlist *al, struct span in);

/*
 * The next mailbox of the list.  Returns 1 with *out filled, 0 at the end
 * of the list, or -1 with a short reason in why on a syntax error (an
 * unterminated quoted string or comment, a control character, a nested
 * group, text after an address, an empty local part, too long an
 * address, ...).  After -1 every further call returns -1: a list with
 * one bad element is refused as a whole.
 */
int addrlist_next(struct addrlist *al, struct addrlist_mailbox *out,
                  struct why *why);

#endif
