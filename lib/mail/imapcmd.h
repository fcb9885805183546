/*
 * imapcmd.h - the IMAP command grammar (RFC 3501 and the extensions imapd
 * offers): framing of a command's lines and literals, the generic
 * argument tree, and a typed struct for each command's arguments.
 * Linked into: imapd.  Trust: every byte is peer data.  The parser is a
 * pure function: no I/O, no globals, no logging; it allocates only from
 * the caller's arena, and every limit is a parameter under a ceiling.
 *
 * How the session drives it (for imapd):
 *
 *  1. Per session: imapcmd_limits_default(&lim), adjust it from the
 *     config (imapcmd_limits_clamp applies the ceilings), then
 *     imapcmd_frame_init(&f, &lim) and arena_init(&a, bytes).
 *  2. Each line from lineio, CR LF removed: r = imapcmd_frame_line(&f, l).
 *     - IMAPCMD_FRAME_LITERAL: the line announced a literal of f.need
 *       bytes.  Unless f.nonsync, send "+ Ready\r\n".  Read exactly f.need
 *       raw bytes (lineio_raw) and hand them to imapcmd_frame_literal (in
 *       chunks if you like) until f.need is 0, then read lines again.  A
 *       literal that "lies" about its length simply takes the next bytes.
 *     - IMAPCMD_FRAME_DONE: the command is complete.  imapcmd_frame_input
 *       (&f, &in); imapcmd_parse(&in, &lim, &a, &cmd, &why); act; then
 *       imapcmd_frame_reset(&f) and arena_reset(&a).
 *     - IMAPCMD_FRAME_REFUSED: a limit was hit before the command was
 *       complete (f.err, f.why; f.tag is the tag, empty when there was
 *       none: reply untagged).  Reply with imapcmd_err_reply's words.  If
 *       f.need > 0 the client is sending a non-synchronising literal
 *       anyway: read f.need raw bytes into imapcmd_frame_literal, which
 *       throws them away; the lines that follow get
 *       IMAPCMD_FRAME_SKIPPED (no reply) until the refused command ends.
 *     - IMAPCMD_FRAME_SKIPPED: see above; f.need may again be > 0.
 *     After REFUSED or SKIPPED with f.need == 0 the frame is ready for
 *     the next command by itself.
 *  3. imapcmd_parse returns -1 with cmd.err and a reason: reply with
 *     imapcmd_err_reply (cmd.tag empty: "* BAD"), count an error, go on.
 *     On 0, cmd.name and cmd.u hold the typed arguments; check the state
 *     (e.g. FETCH needs a selected mailbox), then act.
 *  4. IDLE's "DONE" line and AUTHENTICATE's response lines are not
 *     commands: while they are awaited, give lines to the session's own
 *     code, not to imapcmd_frame_line.
 *  5. Too-long lines that lineio reports (LINEIO_TOO_LONG): reply
 *     "* BAD", imapcmd_frame_reset.
 *
 * Assembled command (struct imapcmd_input): text holds the command's
 * lines joined, and each line that ended with a literal announcement is
 * followed by CR LF in text; the literal bytes themselves are not in text
 * but in lit[], in order.  So 8-bit, NUL or "{5}" bytes in a literal can
 * never be read as syntax, and text holds CR LF only right after an
 * announcement.
 *
 * Strings: quoted strings are unescaped (only \\ and \" are escapes),
 * literals are taken as they are; NUL, CR and LF inside a string are BAD.
 * Mailbox names are returned as sent: modified UTF-7 (RFC 3501 5.1.3) or,
 * after ENABLE UTF8=ACCEPT, UTF-8; decoding is the daemon's (it knows
 * which one applies), with imapenc_mutf7_decode (lib/mail/imapenc.h).
 * Only the name INBOX is case-insensitive: it is returned as "INBOX"
 * with inbox set.
 */
#ifndef POSTERN_IMAPCMD_H
#define POSTERN_IMAPCMD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/why.h"
#include "mail/imapcmd_args.h"

/* Limits of one command; every field has a compiled-in ceiling. */
struct imapcmd_limits {
	size_t max_line;          /* one line, CR LF excluded */
	uint64_t max_literal;     /* one literal (APPEND: the message) */
	uint64_t max_nonsync;     /* one {N+} literal (LITERAL-: 4096) */
	uint64_t max_command;     /* all lines and literals of a command */
	size_t max_literals;      /* literals in one command */
	unsigned max_depth;       /* parentheses, and SEARCH NOT/OR nesting */
	size_t max_nodes;         /* tokens in one command */
	size_t max_seq;           /* ranges in one sequence set */
};

#define IMAPCMD_MAX_LINE_DEFAULT 65536
#define IMAPCMD_MAX_LINE_CEILING (1024 * 1024)
#define IMAPCMD_MAX_LITERAL_DEFAULT (50ULL * 1024 * 1024)
#define IMAPCMD_MAX_LITERAL_CEILING (1ULL << 30)
#define IMAPCMD_MAX_COMMAND_DEFAULT (64ULL * 1024 * 1024)
#define IMAPCMD_MAX_COMMAND_CEILING (1ULL << 30)
#define IMAPCMD_MAX_LITERALS_DEFAULT 100
#define IMAPCMD_MAX_LITERALS_CEILING 10000
#define IMAPCMD_MAX_DEPTH_DEFAULT 32
#define IMAPCMD_MAX_DEPTH_CEILING 1000
#define IMAPCMD_MAX_NODES_DEFAULT 100000
#define IMAPCMD_MAX_NODES_CEILING 1000000
#define IMAPCMD_MAX_SEQ_DEFAULT 100000

/* ---- Framing ---- */

/* The assembled command; every span is borrowed from the frame. */
struct imapcmd_input {
	struct span text;
	const struct span *lit;
	size_t nlit;
};

enum imapcmd_frame_res {
	IMAPCMD_FRAME_DONE,
	IMAPCMD_FRAME_LITERAL,
	IMAPCMD_FRAME_REFUSED,
	IMAPCMD_FRAME_SKIPPED,
};

/* A command being read; see the top of this file. */
struct imapcmd_frame {
	struct imapcmd_limits lim;
	struct buf text;       /* owned: the lines, CR LF after each literal */
	struct buf lits;       /* owned: the literals' bytes back to back */
	size_t *lit_len;       /* owned: lit_len[i], i < nlit */
	struct span *lit;      /* owned: filled by imapcmd_frame_input */
	size_t nlit;
	uint64_t need;         /* literal bytes still expected */
	bool nonsync;          /* the expected literal was {N+} */
	bool skipping;         /* the command was refused; rest discarded */
	uint64_t total;        /* bytes of the command so far */
	struct span tag;       /* borrowed from text: valid until next call */
	enum imapcmd_err err;  /* REFUSED: why */
	struct why why;
	bool ended;            /* the next line starts a new command */
};

/*
 * Whether line (CR LF removed) ends with a literal announcement "{N}" or
 * "{N+}": returns true with *n_out and *nonsync_out.  A number that does
 * not fit 64 bits is announced as UINT64_MAX (refused as too large).
 */
bool	imapcmd_literal_at_end(struct span line, uint64_t *n_out,
	    bool *nonsync_out);
/* The tag that starts line, or false when it has none (empty, "*",
 * "+", or a character a tag may not hold before the first space). */
bool	imapcmd_tag(struct span line, struct span *tag_out);

void	imapcmd_frame_init(struct imapcmd_frame *f,
	    const struct imapcmd_limits *lim);
/* Free the buffers (wiping them: they may hold a password). */
void	imapcmd_frame_fini(struct imapcmd_frame *f);
/* Forget the command; the frame waits for a new one. */
void	imapcmd_frame_reset(struct imapcmd_frame *f);
enum imapcmd_frame_res imapcmd_frame_line(struct imapcmd_frame *f,
	    struct span line);
/* Take up to f->need bytes of data; returns how many it took. */
size_t	imapcmd_frame_literal(struct imapcmd_frame *f, struct span data);
/* After IMAPCMD_FRAME_DONE: the command, valid until the frame changes. */
void	imapcmd_frame_input(struct imapcmd_frame *f, struct imapcmd_input *in);

/* ---- The generic argument tree ---- */

enum imapcmd_type {
	IMAPCMD_N_ATOM,     /* s: the atom (may hold % * ] and a leading \) */
	IMAPCMD_N_NUMBER,   /* s: the digits; num: their value (fits 64 bits) */
	IMAPCMD_N_NIL,      /* s: "NIL" as written */
	IMAPCMD_N_QUOTED,   /* s: the unescaped value */
	IMAPCMD_N_LITERAL,  /* s: the bytes; nonsync: it was {N+} */
	IMAPCMD_N_LIST,     /* child: the first element (NULL: empty list) */
	IMAPCMD_N_SECTION,  /* BODY[...]<o.n>: s: "BODY.PEEK" etc., child:
	                     the bracket's contents, partial */
};

struct imapcmd_node {
	enum imapcmd_type type;
	struct span s;
	uint64_t num;
	bool nonsync;
	bool partial;     /* SECTION: <off.len> given */
	uint64_t off;
	uint64_t len;
	const struct imapcmd_node *child;
	const struct imapcmd_node *next;
};

/*
 * Parse a complete command.  Everything out points to is borrowed from in
 * or allocated in a (valid until arena_reset).  Returns 0, or -1 with
 * out->err and a reason in why; out->tag and out->name are set as far as
 * they were read.
 */
int	imapcmd_parse(const struct imapcmd_input *in,
	    const struct imapcmd_limits *lim, struct arena *a,
	    struct imapcmd *out, struct why *why);
/* The defaults, and the ceilings applied to a filled-in struct. */
void	imapcmd_limits_default(struct imapcmd_limits *lim);
void	imapcmd_limits_clamp(struct imapcmd_limits *lim);
/*
 * The reply for err: *status_out is "BAD" or "NO", the result is the
 * response code with its brackets ("[LIMIT]") or "" (static strings).
 * nonsync: the refused literal was {N+} (TOOBIG is then BAD, else NO).
 */
const char *imapcmd_err_reply(enum imapcmd_err err, bool nonsync,
	    const char **status_out);
/* The command's name in capitals ("UID FETCH" is "FETCH"), static. */
const char *imapcmd_name_str(enum imapcmd_name name);

#endif
