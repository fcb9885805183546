/*
 * pop3cmd.h - the POP3 command-line grammar (RFC 1939 section 3, with
 * CAPA of RFC 2449, STLS of RFC 2595 and AUTH of RFC 5034): one line in,
 * a struct pop3cmd or a reason out.
 * Linked into: pop3d, the unit test and the fuzz target.  Trust: the line
 * is peer data; the parser is a pure function (no I/O, no globals, no
 * logging, no allocation).
 */
#ifndef POSTERN_POP3CMD_H
#define POSTERN_POP3CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* RFC 2449 section 4: a command line is at most 255 octets, CRLF
 * included.  Limits are the session's job; this is the floor of its
 * configurable one. */
#define POP3CMD_MIN_LINE 255
/* Longest SASL mechanism name (RFC 4422 section 3.1). */
#define POP3CMD_MAX_MECH 20

enum pop3cmd_verb {
	POP3CMD_UNKNOWN,
	POP3CMD_USER,
	POP3CMD_PASS,
	POP3CMD_QUIT,
	POP3CMD_STAT,
	POP3CMD_LIST,
	POP3CMD_RETR,
	POP3CMD_DELE,
	POP3CMD_NOOP,
	POP3CMD_RSET,
	POP3CMD_TOP,
	POP3CMD_UIDL,
	POP3CMD_CAPA,
	POP3CMD_STLS,
	POP3CMD_AUTH,
};

/* What kind of error pop3cmd_parse found. */
enum pop3cmd_err {
	POP3CMD_ERR_NONE,
	POP3CMD_ERR_VERB,	/* unknown command, or a bad byte */
	POP3CMD_ERR_SYNTAX,	/* a known command with bad arguments */
};

/*
 * A parsed command.  Spans are borrowed from the line given to
 * pop3cmd_parse and are valid while it lives; an absent one is empty.
 */
struct pop3cmd {
	enum pop3cmd_verb verb;
	enum pop3cmd_err err;
	bool has_msg;		/* LIST, UIDL: a message number was given;
				 * always for RETR, DELE and TOP */
	uint32_t msg;		/* the message number (0 is parsed: the
				 * session answers "no such message") */
	uint64_t lines;		/* TOP: body lines */
	struct span arg;	/* USER: the name; PASS: the password */
	struct span mech;	/* AUTH: the mechanism; empty: none given */
	bool has_ir;		/* AUTH: an initial response came */
	struct span ir;		/* its base64, or "=" for an empty one */
};

/*
 * Parse one command line (without its CRLF).  Keywords are
 * case-insensitive and are followed by one space before each argument.
 * Leniencies, each for common clients: trailing blanks are ignored (but
 * PASS takes the rest of the line as it is, blanks included, as RFC 1939
 * allows, since passwords may hold them); USER's name is the rest of the
 * line.  A NUL, CR or LF anywhere is refused.  Returns 0, or -1 with
 * out->err and a short reason in why; an unknown keyword gives
 * POP3CMD_UNKNOWN and POP3CMD_ERR_VERB.
 */
int	pop3cmd_parse(struct span line, struct pop3cmd *out, struct why *why);
/* The keyword of verb in capitals ("RETR"; "?" for UNKNOWN).  Static. */
const char *pop3cmd_name(enum pop3cmd_verb verb);

#endif
