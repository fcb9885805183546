/*
 * imapseq.c - parse, merge, test, iterate and format IMAP sequence sets.
 * Linked into: imapd.  Trust: the text is peer data; every number is
 * range-checked, and ranges go only into the caller's fixed array.
 */
#include <stdlib.h>

#include "mail/imapseq.h"

void
imapseq_init(struct imapseq *s, struct imapseq_range *r, size_t max)
{
	s->r = r;
	s->n = 0;
	s->sorted = 0;
	s->joins_only = false;
	s->max = max > IMAPSEQ_MAX_CEILING ? IMAPSEQ_MAX_CEILING : max;
	s->star = false;
	s->star_lo = UINT32_MAX;
	s->star_hi = 0;
}

size_t
imapseq_need(struct span in)
{
	size_t i, n = 2;

	for (i = 0; i < in.len; i++)
		if (in.p[i] == ',')
			n++;
	return n;
}

static bool
touches(const struct imapseq_range *r, uint32_t lo, uint32_t hi)
{
	return (uint64_t)lo <= (uint64_t)r->hi + 1 &&
	       (uint64_t)hi + 1 >= (uint64_t)r->lo;
}

static void
widen(struct imapseq_range *r, uint32_t lo, uint32_t hi)
{
	if (lo < r->lo)
		r->lo = lo;
	if (hi > r->hi)
		r->hi = hi;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct imapseq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void
imapseq_finish(struct imapseq *s)
{
	size_t i, out = 0;

	if (s->sorted == s->n)
		return;
	qsort(s->r, s->n, sizeof(s->r[0]), cmp_range);
	for (i = 1; i < s->n; i++) {
		if (touches(&s->r[out], s->r[i].lo, s->r[i].hi))
			widen(&s->r[out], s->r[i].lo, s->r[i].hi);
		else
			s->r[++out] = s->r[i];
	}
	s->n = s->n == 0 ? 0 : out + 1;
	s->sorted = s->n;
}

/* The set is sorted and full: lo..hi must join a range it touches. */
static int
join_sorted(struct imapseq *s, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = s->n, i, j;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if ((uint64_t)s->r[mid].hi + 1 < lo)
			a = mid + 1;
		else
			b = mid;
	}
	if (a == s->n || !touches(&s->r[a], lo, hi))
		return -1;
	widen(&s->r[a], lo, hi);
	/* It may now reach its right-hand neighbours. */
	for (j = a + 1; j < s->n && touches(&s->r[a], s->r[j].lo, s->r[j].hi);
	     j++)
		widen(&s->r[a], s->r[j].lo, s->r[j].hi);
	if (j > a + 1) {
		for (i = a + 1; j < s->n; i++, j++)
			s->r[i] = s->r[j];
		s->n = i;
		s->sorted = s->n;
	}
	return 0;
}

/*
 * Add lo..hi within room slots.  A range that touches the last one joins
 * it, so a long run of consecutive numbers costs one slot.  A full set is
 * sorted and merged, and the appending goes on.  strict (peer text): when
 * the merged set still fills three quarters of its room, from then on it
 * takes only ranges that join it, so that no input makes it sort again
 * and again.
 */
static int
add(struct imapseq *s, uint32_t lo, uint32_t hi, size_t room, bool strict)
{
	if (lo > hi) {
		uint32_t t = lo;

		lo = hi;
		hi = t;
	}
	if (s->n >= room) {
		imapseq_finish(s);
		if (strict && s->n >= room - room / 4)
			s->joins_only = true;
	}
	if (s->n > 0 && touches(&s->r[s->n - 1], lo, hi)) {
		widen(&s->r[s->n - 1], lo, hi);
		/* In a sorted set it may now swallow the ranges before it;
		 * a range reaching below one's start covers all of it. */
		while (s->sorted == s->n && s->n >= 2 &&
		       touches(&s->r[s->n - 2], s->r[s->n - 1].lo,
		               s->r[s->n - 1].hi)) {
			widen(&s->r[s->n - 2], s->r[s->n - 1].lo,
			      s->r[s->n - 1].hi);
			s->n--;
			s->sorted--;
		}
		return 0;
	}
	if (s->n >= room || s->joins_only)
		return s->n > 0 ? join_sorted(s, lo, hi) : -1;
	if (s->sorted == s->n && (s->n == 0 || lo > s->r[s->n - 1].hi))
		s->sorted++;
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
	return 0;
}

int
imapseq_add(struct imapseq *s, uint32_t lo, uint32_t hi)
{
	if (lo == 0 || hi == 0)
		return -1;
	return add(s, lo, hi, s->max, false);
}

/* nz-number (RFC 3501: digit-nz *DIGIT, 32 bits) or "*" (0). */
static int
number(struct span in, size_t *i, uint32_t *out, struct why *why)
{
	uint64_t v = 0;
	size_t start = *i;

	if (*i < in.len && in.p[*i] == '*') {
		(*i)++;
		*out = 0;
		return 0;
	}
	while (*i < in.len && in.p[*i] >= '0' && in.p[*i] <= '9') {
		v = v * 10 + (in.p[*i] - '0');
		if (v > UINT32_MAX)
			return why_set(why, "number in sequence set too large");
		(*i)++;
	}
	if (*i == start)
		return why_set(why, "number or * expected in sequence set");
	if (in.p[start] == '0')
		return why_set(why, "zero or leading zero in sequence set");
	*out = (uint32_t)v;
	return 0;
}

static void
add_star(struct imapseq *s, uint32_t other)
{
	s->star = true;
	if (other == 0)
		return;
	if (other < s->star_lo)
		s->star_lo = other;
	if (other > s->star_hi)
		s->star_hi = other;
}

int
imapseq_parse(struct span in, struct imapseq *s, struct why *why)
{
	size_t i = 0;

	imapseq_init(s, s->r, s->max);
	if (in.len == 0)
		return why_set(why, "empty sequence set");
	for (;;) {
		uint32_t a, b;

		if (number(in, &i, &a, why) == -1)
			return -1;
		b = a;
		if (i < in.len && in.p[i] == ':') {
			i++;
			if (number(in, &i, &b, why) == -1)
				return -1;
		}
		if (a == 0 || b == 0)
			add_star(s, a == 0 ? b : a);
		else if (s->max < 1 || add(s, a, b, s->max - 1, true) == -1)
			return why_set(why, "sequence set has too many "
			                    "ranges") -
			       1;
		if (i == in.len)
			break;
		if (in.p[i] != ',')
			return why_set(why, "bad character in sequence set");
		i++;
	}
	imapseq_finish(s);
	return 0;
}

/* The range the "*" ranges cover for this star, false when none. */
static bool
star_range(const struct imapseq *s, uint32_t star, struct imapseq_range *r)
{
	if (!s->star || star == 0)
		return false;
	r->lo = star;
	r->hi = star;
	if (s->star_lo <= s->star_hi) {
		if (s->star_lo < r->lo)
			r->lo = s->star_lo;
		if (s->star_hi > r->hi)
			r->hi = s->star_hi;
	}
	return true;
}

int
imapseq_resolve(struct imapseq *s, uint32_t star)
{
	struct imapseq_range sr;

	if (star_range(s, star, &sr)) {
		if (s->n >= s->max)
			return -1;
		s->r[s->n++] = sr;
	}
	s->star = false;
	s->star_lo = UINT32_MAX;
	s->star_hi = 0;
	imapseq_finish(s);
	return 0;
}

bool
imapseq_has(const struct imapseq *s, uint32_t v, uint32_t star)
{
	struct imapseq_range sr;
	size_t lo = 0, hi = s->n;

	if (star_range(s, star, &sr) && v >= sr.lo && v <= sr.hi)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < s->r[mid].lo)
			hi = mid;
		else if (v > s->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint64_t
imapseq_count(const struct imapseq *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		n += (uint64_t)s->r[i].hi - s->r[i].lo + 1;
	return n;
}

uint32_t
imapseq_min(const struct imapseq *s)
{
	return s->n > 0 ? s->r[0].lo : 0;
}

uint32_t
imapseq_max(const struct imapseq *s)
{
	return s->n > 0 ? s->r[s->n - 1].hi : 0;
}

bool
imapseq_next(const struct imapseq *s, struct imapseq_iter *it, uint32_t *v_out)
{
	while (it->i < s->n) {
		const struct imapseq_range *r = &s->r[it->i];

		if (it->next < r->lo)
			it->next = r->lo;
		if (it->next <= r->hi) {
			*v_out = (uint32_t)it->next++;
			return true;
		}
		it->i++;
	}
	return false;
}

static int
add_range(struct buf *out, bool comma, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		return buf_addf(out, "%s%u", comma ? "," : "", (unsigned)lo);
	return buf_addf(out, "%s%u:%u", comma ? "," : "", (unsigned)lo,
	                (unsigned)hi);
}

int
imapseq_format(const struct imapseq *s, struct buf *out)
{
	size_t old = out->len, i;
	int r = 0;

	for (i = 0; i < s->n && r == 0; i++)
		r = add_range(out, i > 0, s->r[i].lo, s->r[i].hi);
	if (r == 0 && s->star) {
		const char *c = s->n > 0 ? "," : "";

		if (s->star_lo > s->star_hi)
			r = buf_addf(out, "%s*", c);
		else if (s->star_lo == s->star_hi)
			r = buf_addf(out, "%s%u:*", c, (unsigned)s->star_lo);
		else
			r = buf_addf(out, "%s%u:*,%u:*", c,
			             (unsigned)s->star_lo,
			             (unsigned)s->star_hi);
	}
	if (r != 0) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}
