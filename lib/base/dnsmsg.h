/*
 * dnsmsg.h - DNS messages (RFC 1035 section 4): build a query, and parse
 * a response into its header, its question and the answer records a mail
 * client uses (A, AAAA, MX, CNAME).  Pure: no I/O, no allocation, no
 * logging, no globals; fuzzed (t/fuzz/fuzz_dnsmsg.c).
 *
 * Names are given and returned as text: labels joined by '.', no final
 * dot, the root name as "".  A returned name fits DNSMSG_NAME_SIZE.  A
 * label byte that is not printable ASCII, or is a '.', comes out as '?',
 * which no host name check accepts (net_host_name_valid()), so such a name
 * can be compared and logged but is never used as a host.
 *
 * Linked into: smtpd and the SMTP delivery agent (through dns).  Trust:
 * responses come from the network and are hostile: every length is
 * checked against the message, a compression pointer must point before
 * the part of the name that holds it (so no loop can form), and names,
 * labels and pointer chains are bounded.
 */
#ifndef POSTERN_DNSMSG_H
#define POSTERN_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* The header (RFC 1035 4.1.1). */
#define DNSMSG_HDR_LEN 12
/* Longest name on the wire, length octets included (RFC 1035 2.3.4). */
#define DNSMSG_NAME_WIRE_MAX 255
/* Longest label. */
#define DNSMSG_LABEL_MAX 63
/* Size of a buffer for a name as text: 253 characters and a NUL. */
#define DNSMSG_NAME_SIZE 254
/* Largest query dnsmsg_query() builds: header, name, type and class. */
#define DNSMSG_QUERY_MAX (DNSMSG_HDR_LEN + DNSMSG_NAME_WIRE_MAX + 4)
/* Answer records kept by dnsmsg_parse(); more are counted, not kept. */
#define DNSMSG_MAX_RR 64

/* Record types (RFC 1035 3.2.2, RFC 3596). */
enum dnsmsg_type {
	DNSMSG_A = 1,
	DNSMSG_CNAME = 5,
	DNSMSG_MX = 15,
	DNSMSG_AAAA = 28,
};

/* The class of every record and question here: IN. */
#define DNSMSG_CLASS_IN 1

/* Response codes (RFC 1035 4.1.1). */
enum dnsmsg_rcode {
	DNSMSG_NOERROR = 0,
	DNSMSG_FORMERR = 1,
	DNSMSG_SERVFAIL = 2,
	DNSMSG_NXDOMAIN = 3,
	DNSMSG_NOTIMP = 4,
	DNSMSG_REFUSED = 5,
};

/* One answer record of a type in enum dnsmsg_type, class IN. */
struct dnsmsg_rr {
	uint16_t type;
	char owner[DNSMSG_NAME_SIZE];
	unsigned int pref;		/* MX: the preference */
	char target[DNSMSG_NAME_SIZE];	/* MX: the exchange; CNAME: the
					 * canonical name */
	unsigned char addr[16];		/* A: 4 bytes, AAAA: 16 */
};

struct dnsmsg_reply {
	uint16_t id;
	bool qr;			/* a response */
	unsigned int opcode;
	bool aa;
	bool tc;			/* truncated: no answers parsed */
	bool rd;
	bool ra;
	unsigned int rcode;
	unsigned int ancount;		/* as the header says */
	char qname[DNSMSG_NAME_SIZE];	/* the one question */
	uint16_t qtype;
	uint16_t qclass;
	struct dnsmsg_rr rr[DNSMSG_MAX_RR];	/* in message order */
	size_t nrr;
	/* Answer records not kept: other types or classes, or past
	 * DNSMSG_MAX_RR. */
	size_t nother;
};

/*
 * Build a recursive (RD) query for name (text; one optional final dot;
 * labels of 1..DNSMSG_LABEL_MAX bytes, none of them '.'; at most
 * DNSMSG_NAME_WIRE_MAX octets on the wire; not the root) of type, class
 * IN, with id, into out (cap bytes; DNSMSG_QUERY_MAX is always enough).
 * Sets *len_out.  Returns 0, or -1 with a reason (bad name, no room).
 */
int	dnsmsg_query(uint16_t id, const char *name, uint16_t type,
	    unsigned char *out, size_t cap, size_t *len_out, struct why *why);

/*
 * Parse the message msg: the header, exactly one question, then, unless
 * TC is set (a truncated message may end anywhere), the answer section:
 * records of enum dnsmsg_type and class IN are kept (up to
 * DNSMSG_MAX_RR), the others checked for framing and counted.  A, AAAA,
 * MX and CNAME data must have the right length (a name must end exactly
 * at the end of its record).  The authority and additional sections and
 * anything after them are not read.  Returns 0 with *out filled, or -1
 * with a reason (*out then holds garbage).  *out is large (~35 KiB).
 */
int	dnsmsg_parse(struct span msg, struct dnsmsg_reply *out,
	    struct why *why);

/*
 * True when r is the response to the query (id, name, type) built by
 * dnsmsg_query(): QR set, opcode QUERY, the same id, and the same
 * question (name without regard to ASCII case or a final dot, type,
 * class IN).
 */
bool	dnsmsg_is_reply_to(const struct dnsmsg_reply *r, uint16_t id,
	    const char *name, uint16_t type);

/* Two names as text are the same: ASCII case and a final dot aside. */
bool	dnsmsg_name_eq(const char *a, const char *b);

/* The name of a response code, for reasons ("SERVFAIL", "rcode 9"):
 * writes into out and returns it. */
const char *dnsmsg_rcode_str(unsigned int rcode, char out[16]);

#endif
