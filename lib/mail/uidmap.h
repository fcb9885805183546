/*
 * uidmap.h - the UIDs of a selected IMAP mailbox in message-number order
 * (RFC 3501 2.3.1), stored as runs of consecutive UIDs.
 *
 * Message number i + 1 is the UID at index i.  UIDs only ever ascend with
 * the index, and a mailbox's UIDs are consecutive except where messages
 * were expunged, so a run { first UID, index of its first message } per
 * stretch of consecutive UIDs holds the whole map: 8 bytes a run, whatever
 * the number of messages (a 5,000-message mailbox that never saw an
 * expunge is one run).  The worst case, every other UID expunged, is one
 * run a message: 8 bytes a message, 16 just after the run array doubled,
 * against 4 for a plain array of UIDs.  Look-ups are binary searches over
 * the runs; removing any number of UIDs is one pass (O(runs + removed)).
 * Runs are kept maximal (two neighbours never hold consecutive UIDs):
 * appends extend the last run, removals only open gaps.
 *
 * Linked into: imapd.  Trust: UIDs come from the store; calls that break
 * the order (an append not above the last UID, an index past the end)
 * are our bugs and panic.
 */
#ifndef POSTERN_UIDMAP_H
#define POSTERN_UIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Consecutive UIDs from first; its first message has index start. */
struct uidmap_run {
	uint32_t first;
	uint32_t start;
};

/* A zeroed struct uidmap is an empty map (as uidmap_init leaves it). */
struct uidmap {
	struct uidmap_run *run;		/* owned; run[0..nrun) */
	size_t nrun;
	size_t cap;
	size_t n;			/* UIDs in the map */
};

void	uidmap_init(struct uidmap *m);
/* Frees the runs; m is then empty (and may be used again). */
void	uidmap_fini(struct uidmap *m);
/* Empty the map, keeping its storage. */
void	uidmap_clear(struct uidmap *m);
/* Make dst (initialised) a copy of src; dst's old contents go. */
void	uidmap_copy(struct uidmap *dst, const struct uidmap *src);

/* How many UIDs the map holds (the highest message number). */
static inline size_t
uidmap_count(const struct uidmap *m)
{
	return m->n;
}

/* The UID at index i (message number i + 1); i < count, else panic. */
uint32_t uidmap_uid(const struct uidmap *m, size_t i);
/* The highest UID, or 0 when the map is empty. */
uint32_t uidmap_last(const struct uidmap *m);
/* The message number (index + 1) of uid, or 0 when the map lacks it. */
size_t	uidmap_msn(const struct uidmap *m, uint32_t uid);
/* The index of the first UID >= uid (count when there is none): the UIDs
 * in lo..hi are those at uidmap_lower(lo) up to before uidmap_lower(hi+1). */
size_t	uidmap_lower(const struct uidmap *m, uint32_t uid);

/* Add uid as the last message; it must be above uidmap_last (and so
 * never 0), else panic. */
void	uidmap_append(struct uidmap *m, uint32_t uid);
/*
 * Remove the UIDs of uids[0..n) (ascending; repeats and UIDs the map
 * lacks are skipped) in one pass.  On return uids[0..k) holds those
 * removed, ascending, and when idx_out is not NULL (room for n),
 * idx_out[0..k) their indexes before the call: the j-th of them had
 * message number idx_out[j] + 1 - j when the ones before it were gone
 * (the number an untagged EXPUNGE names).  Returns k.
 */
size_t	uidmap_remove(struct uidmap *m, uint32_t *uids, size_t n,
	    size_t *idx_out);

#endif
