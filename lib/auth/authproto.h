/*
 * authproto.h - the authd line protocol (documented in authd(8)).
 *
 * Every message is one line: an id, a word and fields, separated by TAB,
 * ended by LF:
 *     ID <TAB> WORD [<TAB> FIELD]... <LF>
 * ID is a decimal number chosen by the client (1-4294967295) and echoed
 * in the answer, so answers may come back in any order.  WORD is a
 * command (LOOKUP, VERIFY, EXPAND, DOMAIN) or a status (OK, NOTFOUND,
 * FAIL, TEMP, PERM, ERROR).  In fields, backslash, TAB, LF and CR are
 * written \\, \t, \n and \r; NUL never appears.
 *
 * A failed VERIFY is answered at once, with the delay that the asking
 * daemon must wait out before it tells its client:
 *     ID <TAB> FAIL <TAB> authentication failed <TAB> DELAY-MS <LF>
 * authd decides the delay (per user and client address) and the daemon
 * holds its reply on its event loop, so no thread waits for it.
 *
 * Linked into: authd, and every daemon that asks it.  Trust: authd treats
 * requests as hostile input; clients trust answers from authd's socket
 * but still parse them strictly.
 */
#ifndef POSTERN_AUTHPROTO_H
#define POSTERN_AUTHPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

#define AUTHPROTO_MAX_FIELDS 4096
/* The longest delay a FAIL may name; a larger one is a garbled answer. */
#define AUTHPROTO_MAX_DELAY_MS (3600 * 1000)

struct authproto_msg {
	uint32_t id;
	struct span word;
	struct span *field;	/* nfield spans into store */
	size_t nfield;
	struct buf store;	/* the unescaped fields */
};

/* Prepare msg; max bounds the unescaped text of one message. */
void	authproto_init(struct authproto_msg *msg, size_t max);
/* Release; field text that may hold a password is wiped. */
void	authproto_fini(struct authproto_msg *msg);
/*
 * Parse one line (without its LF).  Returns 0, or -1 with why: a bad id,
 * an empty or non-alphabetic word, a bad escape, a NUL or a stray CR, too
 * many fields or too much text.  On -1, msg->id is the id when it could
 * be read (0 otherwise), so the answer can name the request.
 */
int	authproto_parse(struct span line, struct authproto_msg *msg,
	    struct why *why);
/*
 * Append one message to out: id, word, then n fields escaped, then LF.
 * Returns 0, or -1 (out unchanged) when it would pass out's max.
 */
int	authproto_format(struct buf *out, uint32_t id, const char *word,
	    const struct span *fields, size_t n);

#endif
