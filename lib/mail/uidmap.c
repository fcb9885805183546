/*
 * uidmap.c - the UIDs of a selected IMAP mailbox as runs of consecutive
 * UIDs (see uidmap.h for the representation and its cost).
 * Linked into: imapd.  Trust: UIDs come from the store; a call that
 * breaks the map's order is our bug and panics.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/uidmap.h"

/* How many messages run r holds. */
static size_t
run_len(const struct uidmap *m, size_t r)
{
	size_t end = r + 1 < m->nrun ? m->run[r + 1].start : m->n;

	return end - m->run[r].start;
}

/* The last run whose first message is at or before index i (i < n). */
static size_t
run_of_index(const struct uidmap *m, size_t i)
{
	size_t lo = 0, hi = m->nrun;

	/* run[0].start is 0 <= i: the answer lies in [lo, hi). */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->run[mid].start <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* How many runs start at or below uid (the run that may hold it is the
 * one before that count; 0: uid is below every UID). */
static size_t
runs_upto(const struct uidmap *m, uint32_t uid)
{
	size_t lo = 0, hi = m->nrun;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->run[mid].first <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
uidmap_init(struct uidmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
uidmap_fini(struct uidmap *m)
{
	free(m->run);
	uidmap_init(m);
}

void
uidmap_clear(struct uidmap *m)
{
	m->nrun = 0;
	m->n = 0;
}

void
uidmap_copy(struct uidmap *dst, const struct uidmap *src)
{
	if (dst == src)
		return;
	/* Exactly the runs: a copy is usually kept, not appended to. */
	if (dst->cap < src->nrun || dst->cap > 2 * src->nrun + 4) {
		free(dst->run);
		dst->run = NULL;
		dst->cap = 0;
		if (src->nrun > 0) {
			dst->run =
			    xreallocarray(NULL, src->nrun, sizeof(*dst->run));
			dst->cap = src->nrun;
		}
	}
	if (src->nrun > 0)
		memcpy(dst->run, src->run, src->nrun * sizeof(*dst->run));
	dst->nrun = src->nrun;
	dst->n = src->n;
}

uint32_t
uidmap_uid(const struct uidmap *m, size_t i)
{
	size_t r;

	ASSERT(i < m->n);
	r = run_of_index(m, i);
	return m->run[r].first + (uint32_t)(i - m->run[r].start);
}

uint32_t
uidmap_last(const struct uidmap *m)
{
	const struct uidmap_run *r;

	if (m->n == 0)
		return 0;
	r = &m->run[m->nrun - 1];
	return r->first + (uint32_t)(m->n - 1 - r->start);
}

size_t
uidmap_msn(const struct uidmap *m, uint32_t uid)
{
	size_t r = runs_upto(m, uid);
	uint32_t off;

	if (r == 0)
		return 0;
	off = uid - m->run[r - 1].first;
	if (off >= run_len(m, r - 1))
		return 0;
	return m->run[r - 1].start + (size_t)off + 1;
}

size_t
uidmap_lower(const struct uidmap *m, uint32_t uid)
{
	size_t r = runs_upto(m, uid), len;
	uint32_t off;

	if (r == 0)
		return 0;
	off = uid - m->run[r - 1].first;
	len = run_len(m, r - 1);
	/* Past the run's end: the next run's first message (or the end). */
	return m->run[r - 1].start + (off < len ? (size_t)off : len);
}

void
uidmap_append(struct uidmap *m, uint32_t uid)
{
	ASSERT(uid > uidmap_last(m));
	if (m->n > 0 && uid - 1 == uidmap_last(m)) {
		m->n++;
		return;
	}
	if (m->nrun == m->cap) {
		m->cap = m->cap == 0 ? 4 : m->cap * 2;
		m->run = xreallocarray(m->run, m->cap, sizeof(*m->run));
	}
	/* n < 2^32: UIDs are distinct and above 0. */
	m->run[m->nrun].first = uid;
	m->run[m->nrun].start = (uint32_t)m->n;
	m->nrun++;
	m->n++;
}

/* Removal's state: the runs being built, and what went so far. */
struct removal {
	struct uidmap_run *out;
	size_t nout;
	size_t gone; /* UIDs removed so far */
};

/* Keep the UIDs first.. of old index start.. as a run (len > 0). */
static void
keep(struct removal *x, uint32_t first, size_t start)
{
	x->out[x->nout].first = first;
	x->out[x->nout].start = (uint32_t)(start - x->gone);
	x->nout++;
}

size_t
uidmap_remove(struct uidmap *m, uint32_t *uids, size_t n, size_t *idx_out)
{
	struct removal x = {NULL, 0, 0};
	size_t r, at = 0, k = 0;

	if (n == 0 || m->n == 0)
		return 0;
	/* Each removal splits at most one run in two. */
	x.out = xreallocarray(NULL, m->nrun + n, sizeof(*x.out));
	for (r = 0; r < m->nrun; r++) {
		uint32_t first = m->run[r].first;
		size_t start = m->run[r].start, len = run_len(m, r);
		size_t kept = 0; /* the run's offsets below are done */

		while (at < n && uids[at] < first)
			at++;
		/* first + len - 1 is the run's last UID (no overflow). */
		for (; at < n && uids[at] - first < len; at++) {
			size_t off = uids[at] - first;

			if (off < kept)
				continue; /* a repeat */
			if (off > kept)
				keep(&x, first + (uint32_t)kept, start + kept);
			if (idx_out != NULL)
				idx_out[k] = start + off;
			uids[k++] = uids[at];
			x.gone++;
			kept = off + 1;
		}
		if (kept < len)
			keep(&x, first + (uint32_t)kept, start + kept);
	}
	free(m->run);
	m->n -= x.gone;
	m->nrun = x.nout;
	/* Give back what the splits did not use. */
	m->cap = x.nout > 4 ? x.nout : 4;
	m->run = xreallocarray(x.out, m->cap, sizeof(*m->run));
	return k;
}
