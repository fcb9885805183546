/*
 * imapsearch.h - IMAP SEARCH (RFC 3501 section 6.4.4, with ESEARCH's
 * RETURN options of RFC 4731 and CONDSTORE's MODSEQ key of RFC 7162):
 * parse the search keys into a tree, and evaluate the tree for one
 * message through a struct the daemon fills in.
 * Linked into: imapd.  Trust: the keys are peer data; parsing is pure
 * (arena only), nesting is bounded, and substring matching runs in time
 * linear in the text searched, whatever the needle.
 *
 * Matching: string keys match case-insensitively as substrings.  Both
 * sides are read as UTF-8 (a byte that is not is a character of its own
 * that only matches itself) and simple case folding is applied to: ASCII,
 * Latin-1, Latin Extended-A and Additional, Greek (final sigma included),
 * Cyrillic, Armenian, and the fullwidth Latin letters.  Nothing is
 * decomposed (ß does not match "ss"): decoding MIME words and transfer
 * encodings, and unfolding headers, is the daemon's before it hands the
 * text over.
 *
 * Dates: BEFORE/ON/SINCE compare the day of the internal date in its own
 * zone; SENT* compare the day written in the Date header (its zone is
 * disregarded, RFC 3501); a message without a readable Date header uses
 * its internal date's day instead.
 */
#ifndef POSTERN_IMAPSEARCH_H
#define POSTERN_IMAPSEARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "mail/imapcmd.h"

/* ESEARCH RETURN options (RFC 4731; SAVE is RFC 5182's). */
#define IMAPSEARCH_RET_MIN 0x01
#define IMAPSEARCH_RET_MAX 0x02
#define IMAPSEARCH_RET_ALL 0x04
#define IMAPSEARCH_RET_COUNT 0x08
#define IMAPSEARCH_RET_SAVE 0x10

enum imapsearch_op {
	IMAPSEARCH_AND,        /* kid: the first of a list */
	IMAPSEARCH_OR,         /* kid, kid->next */
	IMAPSEARCH_NOT,        /* kid */
	IMAPSEARCH_ALL,
	IMAPSEARCH_FLAG,       /* every flag bit set */
	IMAPSEARCH_UNFLAG,     /* no flag bit set */
	IMAPSEARCH_NEW,        /* \Recent and not \Seen */
	IMAPSEARCH_KEYWORD,    /* str */
	IMAPSEARCH_UNKEYWORD,  /* str */
	IMAPSEARCH_SEQ,        /* set of message numbers */
	IMAPSEARCH_UID,        /* set of UIDs */
	IMAPSEARCH_LARGER,     /* num */
	IMAPSEARCH_SMALLER,    /* num */
	IMAPSEARCH_BEFORE,     /* day */
	IMAPSEARCH_ON,
	IMAPSEARCH_SINCE,
	IMAPSEARCH_SENTBEFORE,
	IMAPSEARCH_SENTON,
	IMAPSEARCH_SENTSINCE,
	IMAPSEARCH_HEADER,     /* field, str (BCC CC FROM SUBJECT TO too) */
	IMAPSEARCH_BODY,       /* str */
	IMAPSEARCH_TEXT,       /* str */
	IMAPSEARCH_MODSEQ,     /* num */
};

/* A string key's needle, folded, with its failure table. */
struct imapsearch_needle {
	const uint32_t *cp;
	const uint32_t *fail;
	size_t n;
};

struct imapsearch_key {
	enum imapsearch_op op;
	const struct imapsearch_key *kid;
	const struct imapsearch_key *next;
	unsigned flag;          /* IMAPCMD_F_* */
	struct span field;      /* HEADER: the field name */
	struct span str;        /* the string as sent */
	struct imapsearch_needle needle;
	uint64_t num;
	int32_t day;            /* days since 1970-01-01 */
	struct imapseq set;
};

struct imapsearch {
	const struct imapsearch_key *root; /* an AND */
	bool esearch;           /* RETURN was given */
	unsigned ret;           /* IMAPSEARCH_RET_* (RETURN () is ALL) */
	bool has_charset;
	bool modseq;            /* a MODSEQ key is used (RFC 7162 3.1.5) */
};

/* What the daemon knows of one message. */
struct imapsearch_msg {
	uint32_t msn;
	uint32_t uid;
	unsigned flags;         /* IMAPCMD_F_*, \Recent included */
	uint64_t size;
	uint64_t modseq;
	time_t internal;        /* internal date */
	int internal_tz;        /* its zone, minutes east of UTC */
	void *arg;              /* for the callbacks */
	/* The keyword is set (NULL: no keywords). */
	bool (*keyword)(void *arg, struct span kw);
	/* The i-th (from 0) field named name (any case): its value, decoded
	 * and unfolded, in *out; false when there is no i-th. */
	bool (*header)(void *arg, struct span name, size_t i,
	               struct span *out);
	/* The body (whole: the whole message) as text, in *out; false when
	 * it cannot be had (then it matches nothing). */
	bool (*text)(void *arg, bool whole, struct span *out);
};

/*
 * Parse SEARCH's arguments (the generic tree of imapcmd_parse): [RETURN
 * (...)] [CHARSET name] key...  Allocates from a.  Returns 0 with *out, or
 * -1 with *err (IMAPCMD_ERR_BAD, _LIMIT, or _BADCHARSET for a charset
 * other than UTF-8 and US-ASCII) and a reason in why.
 */
int	imapsearch_parse(const struct imapcmd_node *args,
	    const struct imapcmd_limits *lim, struct arena *a,
	    const struct imapsearch **out, enum imapcmd_err *err,
	    struct why *why);
/* Whether message m matches; max_msn and max_uid stand for "*". */
bool	imapsearch_eval(const struct imapsearch *s,
	    const struct imapsearch_msg *m, uint32_t max_msn, uint32_t max_uid);
/* needle occurs in hay, folding case as described above. */
bool	imapsearch_contains(struct span hay, struct span needle);
/* The simple case folding of one code point. */
uint32_t imapsearch_fold(uint32_t cp);
/* The day (since 1970-01-01) an RFC 5322 Date value names, or false. */
bool	imapsearch_date_day(struct span value, int32_t *day_out);

#endif
