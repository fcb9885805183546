/*
 * imapseq.h - IMAP sequence sets (RFC 3501 section 9, sequence-set): parse
 * "1,3:5,7:*,*" into sorted, merged ranges of message numbers or UIDs,
 * test membership, iterate, and format a set compactly (for COPYUID,
 * APPENDUID, VANISHED and ESEARCH ALL).
 * Linked into: imapd.  Trust: the text is peer data; a set never holds
 * more ranges than the storage the caller gave, so a million-element set
 * is refused (or, when its elements are consecutive, merged as it is
 * read) in bounded memory.
 */
#ifndef POSTERN_IMAPSEQ_H
#define POSTERN_IMAPSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* The most ranges any set may be given room for. */
#define IMAPSEQ_MAX_CEILING 1000000

/* Numbers lo..hi, 1 <= lo <= hi. */
struct imapseq_range {
	uint32_t lo;
	uint32_t hi;
};

/*
 * A set.  Once parsed (or after imapseq_finish) r[0..n) is sorted, the
 * ranges neither overlap nor touch.  "*" (the highest number in use) is
 * not known when the text is read, so the ranges that name it are kept
 * apart: every one of them covers star, and their union is the one range
 * from min(star_lo, star) to max(star_hi, star) (star_lo > star_hi when
 * only a lone "*" was given).  imapseq_resolve folds it in.
 */
struct imapseq {
	struct imapseq_range *r; /* borrowed: the caller's array of max */
	size_t n;
	size_t max;
	size_t sorted;          /* r[0..sorted) is sorted and merged */
	bool joins_only;        /* parsing: full, only joins are taken */
	bool star;
	uint32_t star_lo;
	uint32_t star_hi;
};

/* An iteration over a set; zero it (or imapseq_iter_init) to start. */
struct imapseq_iter {
	size_t i;
	uint64_t next;
};

/* An empty set over the caller's array r of max ranges (which it must
 * outlive; max is capped at IMAPSEQ_MAX_CEILING). */
void	imapseq_init(struct imapseq *s, struct imapseq_range *r, size_t max);
/*
 * Parse a sequence-set (nz-number or "*", "a:b" in either order, joined by
 * commas) into s, which must have been initialised; its old contents are
 * dropped.  Numbers are 1 to 4294967295 without leading zeros.  Elements
 * that touch or overlap merge as they are read, so a run of consecutive
 * numbers costs one range.  At most max - 1 ranges are kept (one slot
 * stays free for imapseq_resolve); when they fill it, they are sorted
 * and merged, and if they still fill three quarters of it, only elements
 * that join a range are taken from then on: the cost stays O(n log n) for
 * any text, and sorted text can use all of the room.  Pure: no allocation.  Returns 0, -1 on bad
 * syntax or -2 when the set has too many ranges, with a reason in why (s
 * then holds an unspecified part of the set).
 */
int	imapseq_parse(struct span in, struct imapseq *s, struct why *why);
/* How many ranges the text may need at most (for sizing the array):
 * its commas plus two. */
size_t	imapseq_need(struct span in);
/*
 * Add lo..hi (either order, both >= 1) to a set being built; call
 * imapseq_finish before reading it.  Returns 0, or -1 when the set is
 * full (s unchanged).
 */
int	imapseq_add(struct imapseq *s, uint32_t lo, uint32_t hi);
/* Sort and merge the ranges (after imapseq_add). */
void	imapseq_finish(struct imapseq *s);
/*
 * Replace "*" by star, the highest number in use (0: the mailbox is
 * empty, and the ranges with "*" cover nothing), so that the set is plain
 * ranges.  Returns 0, or -1 when there is no room (never after
 * imapseq_parse, which leaves one slot).
 */
int	imapseq_resolve(struct imapseq *s, uint32_t star);
/* v is in the set, with star as "*" (see imapseq_resolve). */
bool	imapseq_has(const struct imapseq *s, uint32_t v, uint32_t star);
/* How many numbers the set holds (a resolved set). */
uint64_t imapseq_count(const struct imapseq *s);
/* The smallest and largest number (a resolved, non-empty set). */
uint32_t imapseq_min(const struct imapseq *s);
uint32_t imapseq_max(const struct imapseq *s);
/* The numbers of a resolved set in ascending order: true and *v_out,
 * or false at the end. */
bool	imapseq_next(const struct imapseq *s, struct imapseq_iter *it,
	    uint32_t *v_out);
/*
 * Append the set compactly ("1:3,5,9:12") to out; an unresolved "*" is
 * written as "*" ranges.  Returns 0, or -1 with out unchanged when it
 * would pass its max.  An empty set appends nothing.
 */
int	imapseq_format(const struct imapseq *s, struct buf *out);

#endif
