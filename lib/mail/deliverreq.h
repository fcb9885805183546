/*
 * deliverreq.h - what qmgr asks a delivery agent and what the agent
 * answers (the protocol is described in qmgr(8)).
 *
 * qmgr connects to the agent's unix socket, one connection per request,
 * and writes the request, one LF-ended line each:
 *     queue_id QID
 *     nexthop NEXTHOP
 *     rcpt INDEX                (1 to DELIVERREQ_MAX_RCPT lines, INDEX
 *                                ascending: recipients of the queue file)
 *     end
 * The agent reads the queue file active/H1/H2/QID itself (envelope,
 * recipient addresses, content), delivers, and writes one result line per
 * recipient (any order), fields separated by TAB:
 *     result INDEX STATE DSN SCOPE RELAY CONN_MS XMIT_MS REPLY TEXT
 * then "done".  STATE is S (sent), D (deferred) or B (bounced); DSN is the
 * status code (its class agrees with STATE); SCOPE is r (this recipient)
 * or d (the whole destination failed: not reachable, or it refused the
 * session; qmgr backs the destination off); RELAY is HOST[ADDR]:PORT or
 * "none"; CONN_MS and XMIT_MS are the milliseconds spent connecting
 * (look-ups, greeting, TLS) and transmitting; REPLY is the peer's reply
 * (lines joined by a space) or empty; TEXT explains the result for the
 * log and the bounce.  A recipient without a result when the connection
 * ends is deferred by qmgr.
 *
 * Linked into: qmgr and the delivery agents.  Pure: no I/O, no logging.
 * Trust: each side parses the other's lines strictly (an agent talks to
 * hosts on the internet; qmgr does not trust what it relays).
 */
#ifndef POSTERN_DELIVERREQ_H
#define POSTERN_DELIVERREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/qfile.h"
#include "mail/qid.h"

/* Longest line either side writes, LF excluded. */
#define DELIVERREQ_MAX_LINE 4096
/* Most recipients of one request (qmgr splits larger groups). */
#define DELIVERREQ_MAX_RCPT 1000
#define DELIVERREQ_NEXTHOP_SIZE 512
#define DELIVERREQ_RELAY_SIZE 320
/* REPLY and TEXT are cut to this many bytes (NUL excluded). */
#define DELIVERREQ_TEXT_MAX 1000

struct deliverreq {
	char qid[QID_SIZE];
	char nexthop[DELIVERREQ_NEXTHOP_SIZE];
	uint32_t rcpt[DELIVERREQ_MAX_RCPT];	/* recipient indexes */
	size_t nrcpt;
	unsigned int seen;			/* parser state */
};

enum deliverreq_state {
	DELIVERREQ_SENT = 'S',
	DELIVERREQ_DEFERRED = 'D',
	DELIVERREQ_BOUNCED = 'B',
};

struct deliverreq_result {
	uint32_t index;
	char state;			/* enum deliverreq_state */
	char dsn[QFILE_DSN_SIZE];	/* "2.0.0" */
	bool dest;			/* SCOPE d */
	char relay[DELIVERREQ_RELAY_SIZE]; /* "none" when no peer */
	uint32_t conn_ms;
	uint32_t xmit_ms;
	char reply[DELIVERREQ_TEXT_MAX + 1];
	char text[DELIVERREQ_TEXT_MAX + 1];
};

/* Empty r before the first deliverreq_parse_line. */
void	deliverreq_init(struct deliverreq *r);
/*
 * Feed one request line (LF removed).  Returns 0 when more lines are
 * due, 1 when the request is complete ("end"), -1 with why on a bad line
 * (unknown or repeated keyword, a bad id, next hop or index, indexes not
 * ascending, too many, "end" too early, a line after "end").
 */
int	deliverreq_parse_line(struct deliverreq *r, struct span line,
	    struct why *why);
/* Append a whole request to out.  0, or -1 (out unchanged) on a bad
 * argument or when out's max would be passed. */
int	deliverreq_format(struct buf *out, const char *qid, const char *nexthop,
	    const uint32_t *rcpt, size_t nrcpt);

/*
 * True when dsn is a status code "C.S.D" (C 2, 4 or 5; S and D 1 to 3
 * digits) whose class fits state (S 2, D 4, B 5).
 */
bool	deliverreq_dsn_ok(const char *dsn, char state);
/*
 * Append one result line (with its LF) to out.  Control characters and
 * TABs in relay, reply and text are written as spaces.  0, or -1 (out
 * unchanged) on a bad state or dsn, or when out's max would be passed.
 */
int	deliverreq_result_format(struct buf *out,
	    const struct deliverreq_result *r);
/* Append "done" and its LF. */
int	deliverreq_done_format(struct buf *out);
/*
 * Parse one answer line (LF removed).  Returns 0 for a result (in *out),
 * 1 for "done", -1 with why for anything else.
 */
int	deliverreq_result_parse(struct span line, struct deliverreq_result *out,
	    struct why *why);

#endif
