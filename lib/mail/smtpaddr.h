/*
 * smtpaddr.h - RFC 5321 paths and mailboxes (with RFC 6531 SMTPUTF8):
 * parse "<local@domain>", the null path and bare mailboxes into spans of the
 * input, and write the canonical form.
 * Linked into: smtpd (MAIL/RCPT), the sendmail command (-f) and later the
 * header parser.  Trust: the input is peer data; the parsers are pure
 * functions (no I/O, no globals, no logging, no allocation).
 */
#ifndef POSTERN_SMTPADDR_H
#define POSTERN_SMTPADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

/* RFC 5321 section 4.5.3.1: the size limits, in octets. */
#define SMTPADDR_MAX_LOCAL 64
#define SMTPADDR_MAX_DOMAIN 255
#define SMTPADDR_MAX_PATH 256 /* "<" ... ">", source route included */
#define SMTPADDR_MAX_LABEL 63

/* Flags. */
#define SMTPADDR_NULL_OK 0x01       /* accept "<>" (MAIL FROM) */
#define SMTPADDR_UTF8 0x02          /* RFC 6531: UTF-8 in local and domain */
#define SMTPADDR_POSTMASTER_OK 0x04 /* accept "<Postmaster>" (RCPT TO) */

/*
 * A parsed mailbox.  All spans are borrowed from the parser's input and are
 * valid while it lives.  local is the local part as written, quotes and
 * quoted-pairs included when is_quoted; domain is the host name or the
 * address literal with its brackets.  For the null path both are empty;
 * for "<Postmaster>" (RFC 5321 section 4.1.1.3) domain is empty and the
 * caller supplies its own.
 */
struct smtpaddr {
	struct span local;
	struct span domain;
	bool is_null;
	bool is_literal; /* domain is "[...]" */
	bool is_quoted;  /* local is a quoted-string */
	bool has_utf8;   /* a byte >= 0x80 in local or domain */
};

/*
 * Parse a path "<...>" at the start of in: "<>" when flags has
 * SMTPADDR_NULL_OK, or an optional source route "@a,@b:" (checked, then
 * ignored as RFC 5321 appendix C allows) and a mailbox.  "%" and "!" are
 * ordinary local-part characters, never routing.  The bytes after ">" are
 * not looked at; *consumed_out gets the path's length.  Returns 0, or -1
 * with a short reason (fit for an SMTP reply) in why.
 */
int smtpaddr_parse_path(struct span in, unsigned flags, struct smtpaddr *out,
                        size_t *consumed_out, struct why *why);
/* Parse a bare mailbox "local@domain" that makes up all of in. */
int smtpaddr_parse_mailbox(struct span in, unsigned flags, struct smtpaddr *out,
                           struct why *why);
/*
 * Check that in is all of a domain: a host name of LDH labels (1-63 octets
 * each, 255 in all, no trailing dot; U-labels only with SMTPADDR_UTF8), or,
 * when allow_literal, "[IPv4]" or "[IPv6:...]".  Sets *is_literal_out.
 * Returns 0, or -1 with why.
 */
int smtpaddr_check_domain(struct span in, unsigned flags, bool allow_literal,
                          bool *is_literal_out, struct why *why);
/*
 * Append the canonical "local@domain" to out (nothing for the null path):
 * a quoted local part loses its quotes when it is a valid dot-string
 * without them and otherwise keeps only the backslashes it needs; a host
 * name is lower-cased (ASCII only).  Returns 0, or -1 when out is full.
 */
int smtpaddr_format(const struct smtpaddr *a, struct buf *out);
/* Domains equal ignoring ASCII case. */
bool smtpaddr_domain_eq(struct span a, struct span b);

#endif
