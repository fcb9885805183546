/*
 * smtpcmd.h - the SMTP command-line grammar (RFC 5321 section 4.1 with the
 * ESMTP parameters of RFC 1870, 6152, 3030, 3461, 4954 and 6531, and LMTP's
 * LHLO of RFC 2033): one line in, a struct smtpcmd or a reason out.
 * Linked into: smtpd, lmtpd; sendmail and the delivery agents use the
 * xtext encoder.  Trust: the line is peer data; the parser is a pure
 * function (no I/O, no globals, no logging, no allocation).
 */
#ifndef POSTERN_SMTPCMD_H
#define POSTERN_SMTPCMD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/smtpaddr.h"

/*
 * The longest command line the session should accept, CRLF included: 512
 * (RFC 5321 section 4.5.3.1.4) plus room for the parameters of SIZE, BODY,
 * SMTPUTF8, RET, ENVID (100), AUTH (500) and ORCPT (500), which each extend
 * the limit.  Enforcing it is the framing layer's job, not the parser's.
 */
#define SMTPCMD_MAX_LINE 2048

enum smtpcmd_verb {
	SMTPCMD_UNKNOWN,
	SMTPCMD_EHLO,
	SMTPCMD_HELO,
	SMTPCMD_MAIL,
	SMTPCMD_RCPT,
	SMTPCMD_DATA,
	SMTPCMD_BDAT,
	SMTPCMD_RSET,
	SMTPCMD_NOOP,
	SMTPCMD_QUIT,
	SMTPCMD_VRFY,
	SMTPCMD_EXPN,
	SMTPCMD_HELP,
	SMTPCMD_STARTTLS,
	SMTPCMD_AUTH,
	SMTPCMD_LHLO,	/* LMTP (RFC 2033 4.1): EHLO's grammar */
};

/* What kind of error smtpcmd_parse found, to pick the reply code. */
enum smtpcmd_err {
	SMTPCMD_ERR_NONE,
	SMTPCMD_ERR_VERB,   /* 500 5.5.2: unknown verb or bad line */
	SMTPCMD_ERR_SYNTAX, /* 501 5.5.4: bad arguments */
	SMTPCMD_ERR_ADDR,   /* 501 5.1.3 (RCPT) / 5.1.7 (MAIL): bad path */
	SMTPCMD_ERR_PARAM,  /* 555 5.5.4: unknown, repeated or bad param */
};

enum smtpcmd_body {
	SMTPCMD_BODY_NONE, /* not given */
	SMTPCMD_BODY_7BIT,
	SMTPCMD_BODY_8BITMIME,
	SMTPCMD_BODY_BINARYMIME,
};

enum smtpcmd_ret {
	SMTPCMD_RET_NONE, /* not given */
	SMTPCMD_RET_FULL,
	SMTPCMD_RET_HDRS,
};

/* The ESMTP parameters, as bits of smtpcmd.params (which were given). */
#define SMTPCMD_P_SIZE 0x01
#define SMTPCMD_P_BODY 0x02
#define SMTPCMD_P_SMTPUTF8 0x04
#define SMTPCMD_P_RET 0x08
#define SMTPCMD_P_ENVID 0x10
#define SMTPCMD_P_AUTH 0x20
#define SMTPCMD_P_NOTIFY 0x40
#define SMTPCMD_P_ORCPT 0x80

/* RCPT NOTIFY= (RFC 3461 section 4.1); NEVER is an empty mask. */
#define SMTPCMD_NOTIFY_SUCCESS 0x01
#define SMTPCMD_NOTIFY_FAILURE 0x02
#define SMTPCMD_NOTIFY_DELAY 0x04

/*
 * A parsed command.  Every span is borrowed from the line given to
 * smtpcmd_parse and is valid while it lives; an absent one is empty.
 */
struct smtpcmd {
	enum smtpcmd_verb verb;
	enum smtpcmd_err err;
	struct span arg;      /* EHLO/HELO/LHLO name; NOOP/HELP/VRFY/EXPN text */
	bool helo_ok;         /* arg is a valid domain (or literal, EHLO) */
	struct smtpaddr path; /* MAIL/RCPT */
	unsigned params;      /* SMTPCMD_P_* given */
	uint64_t size;        /* SIZE= */
	enum smtpcmd_body body;
	bool smtputf8;
	enum smtpcmd_ret ret;
	struct span envid;        /* ENVID=, raw xtext */
	struct span auth_param;   /* MAIL AUTH=, raw xtext ("<>" or mailbox) */
	unsigned notify;          /* SMTPCMD_NOTIFY_*; 0 with P_NOTIFY: NEVER */
	struct span orcpt_type;   /* "rfc822" or "utf-8", as written */
	struct span orcpt;        /* raw xtext (utf-8-addr-xtext for utf-8) */
	struct span auth_mech;    /* AUTH mechanism, as written */
	struct span auth_initial; /* AUTH initial response: base64 or "=" */
	uint64_t bdat_size;
	bool bdat_last;
};

/*
 * Parse one command line (without its CRLF).  Verbs are case-insensitive.
 * Leniencies, each for common clients: trailing blanks are ignored, one
 * space after "MAIL FROM:" / "RCPT TO:" is accepted, parameters may be
 * separated by more than one space, and EHLO/HELO never fail on a bad name
 * (helo_ok says whether it was one; arg is the rest of the line).
 * RCPT accepts "<Postmaster>" (empty domain).  Paths may hold UTF-8: the
 * session must refuse path.has_utf8 unless the transaction has SMTPUTF8.
 * Returns 0, or -1 with out->err and a short reason in why; an unknown verb
 * gives out->verb SMTPCMD_UNKNOWN and SMTPCMD_ERR_VERB.
 */
int smtpcmd_parse(struct span line, struct smtpcmd *out, struct why *why);
/*
 * The reply to a line that smtpcmd_parse refused: returns the code (500,
 * 501 or 555) and sets *enh_out to the enhanced code (static) and text
 * to the reply's text, with why's reason where it helps the client.
 */
int smtpcmd_err_reply(const struct smtpcmd *c, const struct why *why,
                      const char **enh_out, char *text, size_t size);
/*
 * The reply line "code enh text" + CRLF (no enh when it is NULL) in out,
 * which has size bytes (at least 8); text too long for it is cut so that
 * the line still ends in CRLF.  Returns the line's length.
 */
size_t smtpcmd_reply_line(char *out, size_t size, int code, const char *enh,
                          const char *text);
/*
 * Decode RFC 3461 xtext ("+" and two hex digits for a byte), appending to
 * out.  Returns 0, or -1 on bad syntax or a full buffer (out unchanged).
 */
int smtpcmd_xtext_decode(struct span in, struct buf *out);
/*
 * Encode in as RFC 3461 xtext (every byte outside "!".."~", and "+" and
 * "=", as "+" and two upper-case hex digits), appending to out.  An empty
 * in appends nothing (xtext may not be empty: callers leave the parameter
 * out).  Returns 0, or -1 with out unchanged when it would pass its max.
 */
int smtpcmd_xtext_encode(struct span in, struct buf *out);

#endif
