/*
 * imapd_condstore.h - CONDSTORE and QRESYNC (RFC 7162) for the commands
 * of a selected session (imapd_condstore.c).
 * Linked into: imapd.  Trust: as imapd.h.
 */
#ifndef POSTERN_IMAPD_CONDSTORE_H
#define POSTERN_IMAPD_CONDSTORE_H

#include "imapd.h"

/* A CONDSTORE-enabling command came (tells HIGHESTMODSEQ if selected). */
void	imapd_condstore_on(struct imapd_sess *s);
/* Take uids[0..n) (sorted here; those the view lacks are skipped; the
 * array is reused) out of s's view, and append "* VANISHED" (QRESYNC)
 * or "* N EXPUNGE" to out. */
void	imapd_view_expunge(struct imapd_sess *s, uint32_t *uids, size_t n,
	    struct buf *out);
/* The client has been shown uid's flags as of modseq (its own STORE). */
void	imapd_view_own(struct imapd_view *v, uint32_t uid, uint64_t modseq);
/* A command of the session changed the mailbox, whose highestmodseq
 * was before just before and after just after, ours of it (0 or 1):
 * move v->modseq to after unless other changes came or were pending.
 * Returns whether it moved. */
bool	imapd_view_advance(struct imapd_view *v, uint64_t before,
	    uint64_t after, uint64_t ours);
/* "* N FETCH ([UID u ]FLAGS (...)[ MODSEQ (m)])" (UID with condstore or
 * uid, MODSEQ with condstore) appended; 0, or -1 when out is full. */
int	imapd_fetch_flags(struct buf *out, const struct imapd_view *v,
	    size_t msn, const struct store_mailbox *m,
	    const struct store_msg *msg, bool condstore, bool uid);
/* v[0..n) (sorted here) as a compact set ("1:3,7") appended to out. */
void	imapd_uidset_format(uint32_t *v, size_t n, struct buf *out);
/* On a worker: SELECT's QRESYNC responses (VANISHED (EARLIER), FETCH)
 * for view v of mailbox m, whose messages' lowest modseq is min_modseq. */
enum store_res imapd_qresync_select(struct store *st,
	    const struct imapd_view *v, const struct store_mailbox *m,
	    const struct imapcmd_select *sel, uint64_t min_modseq,
	    struct buf *out, struct why *why);
/* On a worker: keep of msn[0..*n) those changed since modseq since
 * (highest: the mailbox's now); with vset (UID FETCH ... VANISHED, the
 * UID set resolved) append its VANISHED (EARLIER) to out. */
enum store_res imapd_changedsince(struct store *st,
	    const struct imapd_view *v, uint64_t highest, uint64_t since,
	    const struct imapseq *vset, uint32_t *msn, size_t *n,
	    struct buf *out, struct why *why);

#endif
