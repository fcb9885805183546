/*
 * userrec.h - the user record: the value of an entry in the users table
 * (virtual_mailbox_maps), format postern-users(5).  A pure parser and
 * its inverse.
 * Linked into: authd, postern (user), the unit tests and the fuzz
 * target.  Trust: the value is admin-written (a text table, or a
 * directory attribute) but may be anything; every field is bounded and
 * checked, nothing is logged and nothing is allocated.
 *
 * Format: HASH:ENABLED:QUOTA_BYTES:QUOTA_MESSAGES:MAILHOST:DISPLAY_NAME
 *   - fields are separated by ':'; DISPLAY_NAME is the rest of the value
 *     and may itself hold ':'; trailing fields may be left out, and an
 *     empty field takes its default;
 *   - HASH: a password hash (see passwd.h), possibly with a {SCHEME}
 *     prefix; empty (the default) means no password: the user cannot
 *     log in.  At most USERREC_MAX_HASH bytes, no control characters;
 *   - ENABLED: y, n, yes, no, true, false, 1 or 0 (any case); default y;
 *   - QUOTA_BYTES: a size, digits with an optional k, m or g (powers of
 *     1024); 0 (the default) means unlimited;
 *   - QUOTA_MESSAGES: digits; 0 (the default) means unlimited;
 *   - MAILHOST: the backend that holds the mailbox, a host name (labels
 *     of letters, digits and '-', separated by '.'; at most
 *     USERREC_MAX_HOST bytes) or empty (the default: this host);
 *   - DISPLAY_NAME: free text without control characters (bytes below
 *     0x20 and 0x7f), at most USERREC_MAX_NAME bytes; default empty.
 */
#ifndef POSTERN_USERREC_H
#define POSTERN_USERREC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

#define USERREC_MAX_HASH 512
#define USERREC_MAX_HOST 253
#define USERREC_MAX_NAME 512

/* Spans are borrowed from the parsed value (or, for userrec_format,
 * from the caller) and are empty when the field is. */
struct userrec {
	struct span password;	/* the HASH field, exactly as stored */
	bool enabled;
	uint64_t quota_bytes;	/* 0 = unlimited */
	uint64_t quota_messages; /* 0 = unlimited */
	struct span mailhost;
	struct span name;
};

/*
 * Parse value into *out (spans point into value).  Returns 0, or -1
 * with why naming the field, e.g. "QUOTA_BYTES: not a size"; *out is
 * then unspecified.  No I/O, no allocation, no logging.
 */
int	userrec_parse(struct span value, struct userrec *out,
	    struct why *why);

/*
 * Append the record for u to out: "HASH:y|n" and then only as many
 * further fields as needed (quotas as plain numbers or with k, m, g when
 * exact), so that userrec_parse gives u back.  Returns 0, or -1 with out
 * unchanged when a field cannot be written (a hash with ':' or a control
 * character, a bad host or name, anything too long) or out is full.
 */
int	userrec_format(const struct userrec *u, struct buf *out);

#endif
