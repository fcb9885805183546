/*
 * dsn.h - compose delivery status notifications: the bounce, delay and
 * success notices qmgr sends to a message's sender (RFC 3461, 3464,
 * 6522; RFC 6533 for SMTPUTF8 messages).  Format: postern-dsn(5).
 * Linked into: qmgr (and its tests).  Trust: addresses, the remote reply
 * text and the original message come from the network; the composer is a
 * pure function (no I/O, no clock, no globals, no logging) that makes
 * every such value safe before it reaches a header line: no CR or LF
 * gets through, lines stay within 998 octets, values are cut to a limit.
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* The longest value of one header or delivery-status field, and of one
 * recipient's reason: longer ones are cut and end in "...". */
#define DSN_VALUE_MAX 900

/* What happened to one recipient (RFC 3464 section 2.3.3). */
enum dsn_action {
	DSN_FAILED,    /* given up: a bounce */
	DSN_DELAYED,   /* still being retried */
	DSN_DELIVERED, /* delivered, and NOTIFY=SUCCESS asked to be told */
	DSN_RELAYED,   /* passed to a peer that sends no DSNs */
	DSN_EXPANDED,  /* delivered to an alias's or list's members */
};

/* The original's RET= (RFC 3461 section 4.3); the order of qfile_ret. */
enum dsn_ret {
	DSN_RET_NONE,
	DSN_RET_FULL,
	DSN_RET_HDRS,
};

/* What a notice is, from its recipients' actions (dsn_kind()). */
enum dsn_kind {
	DSN_KIND_FAILURE, /* any recipient failed */
	DSN_KIND_DELAY,   /* none failed, one or more delayed */
	DSN_KIND_SUCCESS, /* all delivered, relayed or expanded */
};

/* What the original part of a notice holds (struct dsn_info). */
enum dsn_returned {
	DSN_RETURNED_FULL, /* the whole message */
	DSN_RETURNED_HDRS, /* its header only */
};

/*
 * One recipient.  Spans are borrowed for the call; an empty span is
 * absent.  Addresses are plain (no <>), decoded from xtext, UTF-8 when
 * the original used SMTPUTF8.
 */
struct dsn_rcpt {
	struct span addr;       /* the final recipient (required) */
	struct span orcpt_type; /* ORCPT type: "rfc822" or "utf-8" */
	struct span orcpt;      /* ORCPT address; needs orcpt_type */
	enum dsn_action action;
	/* "5.1.1" (RFC 3463); one that is not "c.s.d" with c matching the
	 * action (5 failed, 4 delayed, 2 otherwise) becomes c.0.0. */
	struct span status;
	struct span remote_mta; /* the peer's host name: Remote-MTA */
	/* The peer's reply ("550 5.1.1 <x>: no such user"; CR/LF between
	 * the lines of a multi-line reply): Diagnostic-Code.  Leave it
	 * empty when no peer replied; the reason then says why. */
	struct span diag;
	/* Why, for people: the text part's paragraph for this recipient
	 * (the diag is used when it is empty). */
	struct span reason;
	int64_t last_attempt; /* unix seconds; 0: none */
	int64_t retry_until;  /* unix seconds, DSN_DELAYED only; 0: none */
};

/* A notice.  Spans are borrowed for the call; empty means absent. */
struct dsn_notice {
	struct span mta;        /* Reporting-MTA: myhostname (required) */
	struct span from;       /* empty: MAILER-DAEMON@mta */
	struct span from_name;  /* empty: "Mail Delivery System" */
	struct span to;         /* the original sender, or the postmaster
	                         * for a double bounce (required) */
	int64_t date;           /* Date: unix seconds (required) */
	int tz_minutes;         /* the caller's UTC offset, -1439..1439;
	                         * every date of the notice uses it */
	struct span message_id; /* Message-ID: without <> (required) */
	struct span queue_id;   /* the original's (required) */
	int64_t arrival;        /* Arrival-Date; 0: none */
	struct span envid;      /* ENVID, decoded from xtext */
	enum dsn_ret ret;
	bool smtputf8; /* the original used SMTPUTF8 */
	/* The caller can send an 8-bit notice (BODY=8BITMIME): then an
	 * original with 8-bit text may be returned whole. */
	bool allow_8bit;
	struct span content;         /* the original: header + body */
	uint64_t size_limit;         /* bounce_size_limit */
	const struct dsn_rcpt *rcpt; /* borrowed: nrcpt recipients */
	size_t nrcpt;
};

/* What dsn_make() made, for the caller's queue file and log. */
struct dsn_info {
	enum dsn_kind kind;
	enum dsn_returned returned;
	bool eight_bit; /* holds 8-bit bytes: send it as 8BITMIME */
};

/* The kind of a notice for these recipients (nrcpt > 0). */
enum dsn_kind dsn_kind(const struct dsn_rcpt *rcpt, size_t nrcpt);

/*
 * Append the complete notice (header and MIME body, CRLF line ends, no
 * line over 998 octets) to out, as postern-dsn(5) describes it.  The
 * original is returned whole (message/rfc822, or message/global for
 * SMTPUTF8) in a failure notice when RET is not HDRS, it is no larger
 * than size_limit, and its lines allow it (none over 998 octets, no NUL
 * or lone CR, and 8-bit text only with smtputf8 or allow_8bit);
 * otherwise its header alone is returned.  info_out may be NULL.
 * Deterministic: the same input gives the same bytes.  Does not log.
 * Returns 0, or -1 with why (a required field missing, a date out of
 * range, out's max passed) and out unchanged.
 */
int dsn_make(const struct dsn_notice *n, struct buf *out,
             struct dsn_info *info_out, struct why *why);

#endif
