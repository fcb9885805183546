/*
 * uidmap_test.c - unit tests for lib/mail/uidmap: edge cases (empty, one
 * UID, the highest UIDs, removing the first, last or middle UID of a run
 * and whole runs, repeats and absent UIDs), the panics on misuse, and
 * thousands of seeded random appends and removals checked against a plain
 * array of UIDs after every operation.
 */
#include <signal.h>

#include "base/xmem.h"
#include "mail/uidmap.h"
#include "tap.h"

/* The reference: UIDs ascending in a plain array. */
struct ref {
	uint32_t *uid;
	size_t n;
	size_t cap;
};

static void
ref_append(struct ref *f, uint32_t uid)
{
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 64 : f->cap * 2;
		f->uid = xreallocarray(f->uid, f->cap, sizeof(*f->uid));
	}
	f->uid[f->n++] = uid;
}

static size_t
ref_find(const struct ref *f, uint32_t uid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->uid[i] >= uid)
			return i;
	return f->n;
}

/* Does m hold exactly f, in maximal runs that account for every UID?
 * Checks every index, every UID and the gaps around them; quiet. */
static bool
same(const struct uidmap *m, const struct ref *f)
{
	size_t i, r;

	if (uidmap_count(m) != f->n ||
	    uidmap_last(m) != (f->n > 0 ? f->uid[f->n - 1] : 0))
		return false;
	if ((f->n == 0) != (m->nrun == 0) ||
	    (m->nrun > 0 && m->run[0].start != 0))
		return false;
	for (r = 1; r < m->nrun; r++) {
		const struct uidmap_run *a = &m->run[r - 1], *b = &m->run[r];

		/* Maximal runs: a gap before every run but the first. */
		if (b->start <= a->start ||
		    b->first <= a->first + (b->start - a->start))
			return false;
	}
	for (i = 0; i < f->n; i++) {
		uint32_t u = f->uid[i];

		if (uidmap_uid(m, i) != u || uidmap_msn(m, u) != i + 1 ||
		    uidmap_lower(m, u) != i)
			return false;
		if (u > 1 && (i == 0 || f->uid[i - 1] != u - 1) &&
		    (uidmap_msn(m, u - 1) != 0 || uidmap_lower(m, u - 1) != i))
			return false;
		if (u < UINT32_MAX &&
		    (i + 1 == f->n || f->uid[i + 1] != u + 1) &&
		    (uidmap_msn(m, u + 1) != 0 ||
		     uidmap_lower(m, u + 1) != i + 1))
			return false;
	}
	return uidmap_msn(m, 0) == 0 && uidmap_lower(m, 0) == 0 &&
	       uidmap_lower(m, UINT32_MAX) == ref_find(f, UINT32_MAX);
}

static void
fill(struct uidmap *m, struct ref *f, const uint32_t *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uidmap_append(m, u[i]);
		ref_append(f, u[i]);
	}
}

/* Remove from both; check what uidmap_remove said against the ref. */
static bool
remove_both(struct uidmap *m, struct ref *f, const uint32_t *del, size_t n)
{
	uint32_t *u = xcalloc(n + 1, sizeof(*u));
	size_t *idx = xcalloc(n + 1, sizeof(*idx));
	size_t i, j, k, w, want = 0;
	bool good = true;

	if (n > 0)
		memcpy(u, del, n * sizeof(*u));
	k = uidmap_remove(m, u, n, idx);
	/* The reference, one at a time: what goes, and where it was. */
	for (i = w = j = 0; i < f->n; i++) {
		while (j < n && del[j] < f->uid[i])
			j++;
		if (j < n && del[j] == f->uid[i]) {
			good &=
			    want < k && u[want] == f->uid[i] && idx[want] == i;
			want++;
			continue;
		}
		f->uid[w++] = f->uid[i];
	}
	f->n = w;
	free(u);
	free(idx);
	return good && k == want;
}

static void
test_empty(void)
{
	struct uidmap m;
	struct ref f = {0};
	uint32_t del[] = {1, 5};
	struct uidmap zero = {0};

	uidmap_init(&m);
	ok(uidmap_count(&m) == 0 && uidmap_last(&m) == 0, "empty: no UIDs");
	ok(uidmap_msn(&m, 1) == 0 && uidmap_msn(&m, 0) == 0 &&
	       uidmap_msn(&m, UINT32_MAX) == 0,
	   "empty: no message numbers");
	ok(uidmap_lower(&m, 0) == 0 && uidmap_lower(&m, UINT32_MAX) == 0,
	   "empty: lower is 0");
	ok(uidmap_remove(&m, del, 2, NULL) == 0 && same(&m, &f),
	   "empty: removing does nothing");
	ok(uidmap_remove(&m, NULL, 0, NULL) == 0, "empty: removing none");
	uidmap_copy(&m, &zero);
	ok(same(&m, &f), "a zeroed map is empty, and copies as one");
	uidmap_fini(&m);
	ok(m.run == NULL && same(&m, &f), "fini leaves an empty map");
	uidmap_fini(&m);
}

static void
test_one(void)
{
	struct uidmap m;
	struct ref f = {0};
	uint32_t one[] = {7}, del[] = {7};

	uidmap_init(&m);
	fill(&m, &f, one, 1);
	ok(same(&m, &f) && m.nrun == 1, "one UID: one run");
	ok(uidmap_msn(&m, 6) == 0 && uidmap_msn(&m, 8) == 0 &&
	       uidmap_lower(&m, 6) == 0 && uidmap_lower(&m, 8) == 1,
	   "one UID: neighbours absent");
	ok(remove_both(&m, &f, del, 1) && same(&m, &f) && m.nrun == 0,
	   "one UID removed: empty");
	uidmap_append(&m, 3);
	ref_append(&f, 3);
	ok(same(&m, &f), "append after emptying (below the old UID)");
	uidmap_fini(&m);
	free(f.uid);
}

static void
test_high(void)
{
	struct uidmap m;
	struct ref f = {0};
	uint32_t u[] = {1, UINT32_MAX - 2, UINT32_MAX - 1, UINT32_MAX};
	uint32_t del[] = {UINT32_MAX - 1}, del2[] = {UINT32_MAX};

	uidmap_init(&m);
	fill(&m, &f, u, 4);
	ok(same(&m, &f) && m.nrun == 2, "UIDs up to UINT32_MAX: two runs");
	ok(uidmap_lower(&m, 2) == 1 && uidmap_lower(&m, UINT32_MAX) == 3,
	   "lower at the top");
	ok(remove_both(&m, &f, del, 1) && same(&m, &f) && m.nrun == 3,
	   "UINT32_MAX-1 removed: the top run split");
	ok(remove_both(&m, &f, del2, 1) && same(&m, &f) && m.nrun == 2 &&
	       uidmap_last(&m) == UINT32_MAX - 2,
	   "UINT32_MAX removed");
	uidmap_fini(&m);
	free(f.uid);
}

/* A map of runs 1..10, 20..29, 40..49 (30 messages). */
static void
three_runs(struct uidmap *m, struct ref *f)
{
	uint32_t u;

	uidmap_clear(m);
	f->n = 0;
	for (u = 1; u <= 49; u++)
		if (u <= 10 || (u >= 20 && u <= 29) || u >= 40) {
			uidmap_append(m, u);
			ref_append(f, u);
		}
}

static void
test_runs(void)
{
	static const struct {
		const char *what;
		uint32_t del[10];
		size_t n;
		size_t runs;
	} cases[] = {
	    {"none present", {11, 15, 30, 50}, 4, 3},
	    {"first of a run", {20}, 1, 3},
	    {"last of a run", {29}, 1, 3},
	    {"middle of a run", {25}, 1, 4},
	    {"first of the map", {1}, 1, 3},
	    {"last of the map", {49}, 1, 3},
	    {"a whole run", {20, 21, 22, 23, 24, 25, 26, 27, 28, 29}, 10, 2},
	    {"most of a run", {20, 21, 22, 23, 24, 25, 26, 27}, 8, 3},
	    {"several in a run", {2, 4, 6, 8}, 4, 7},
	    {"repeats", {5, 5, 5, 21, 21}, 5, 5},
	    {"absent between", {3, 12, 13, 41, 55}, 5, 5},
	    {"first and last of each", {1, 10, 20, 29, 40, 49}, 6, 3},
	};
	struct uidmap m, c;
	struct ref f = {0};
	uint32_t all[30];
	size_t i;

	uidmap_init(&m);
	uidmap_init(&c);
	three_runs(&m, &f);
	ok(same(&m, &f) && m.nrun == 3, "three runs");
	ok(uidmap_msn(&m, 15) == 0 && uidmap_lower(&m, 15) == 10 &&
	       uidmap_lower(&m, 30) == 20 && uidmap_lower(&m, 50) == 30,
	   "gaps: absent, lower is the next run");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		three_runs(&m, &f);
		ok(remove_both(&m, &f, cases[i].del, cases[i].n) &&
		       same(&m, &f),
		   "remove %s", cases[i].what);
		is_int(m.nrun, cases[i].runs, "remove %s: runs", cases[i].what);
	}
	/* Removing whole runs, and everything. */
	three_runs(&m, &f);
	memcpy(all, f.uid, sizeof(all));
	ok(remove_both(&m, &f, all, 10) && same(&m, &f) && m.nrun == 2,
	   "the first run removed");
	ok(remove_both(&m, &f, all + 20, 10) && same(&m, &f) && m.nrun == 1,
	   "the last run removed");
	uidmap_append(&m, 100);
	ref_append(&f, 100);
	uidmap_copy(&c, &m);
	ok(same(&c, &f), "copy");
	ok(remove_both(&m, &f, all + 10, 10) && same(&m, &f) && m.nrun == 1,
	   "a run removed, the appended one left");
	ok(uidmap_count(&c) == 11 && uidmap_uid(&c, 10) == 100,
	   "the copy is apart from the original");
	uidmap_copy(&c, &m);
	ok(same(&c, &f), "copy over a larger map");
	uidmap_copy(&c, &c);
	ok(same(&c, &f), "copy onto itself");
	uidmap_fini(&m);
	uidmap_fini(&c);
	free(f.uid);
}

/* Appending a UID not above the last is our bug: it panics. */
static void
do_bad_append(void *arg)
{
	struct uidmap m;

	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(99);
	uidmap_init(&m);
	uidmap_append(&m, 5);
	uidmap_append(&m, 5);
}

static void
do_zero_append(void *arg)
{
	struct uidmap m;

	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(99);
	uidmap_init(&m);
	uidmap_append(&m, 0);
}

static void
do_past_end(void *arg)
{
	struct uidmap m;

	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(99);
	uidmap_init(&m);
	uidmap_append(&m, 1);
	(void)uidmap_uid(&m, 1);
}

static bool
aborted(int status)
{
	return status != -1 && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGABRT;
}

static void
test_panics(void)
{
	ok(aborted(tap_fork(do_bad_append, NULL)), "append of a repeat panics");
	ok(aborted(tap_fork(do_zero_append, NULL)), "append of UID 0 panics");
	ok(aborted(tap_fork(do_past_end, NULL)),
	   "an index past the end panics");
}

/* A small, seeded generator (xorshift), so a failure can be replayed. */
static uint64_t rng;

static uint32_t
rnd(uint32_t bound)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % bound);
}

/* One random operation on both. */
static bool
random_op(struct uidmap *m, struct ref *f)
{
	uint32_t *del;
	size_t i, n;
	bool good;

	switch (rnd(4)) {
	case 0:
	case 1: {
		/* Appends: mostly consecutive, sometimes after a gap. */
		uint32_t u = uidmap_last(m), k = 1 + rnd(40);

		for (i = 0; i < k; i++) {
			u += rnd(8) == 0 ? 1 + rnd(50) : 1;
			uidmap_append(m, u);
			ref_append(f, u);
		}
		return true;
	}
	case 2:
		/* A few scattered UIDs, present or not, with repeats. */
		n = rnd(6);
		break;
	default:
		/* Many: up to every UID, sometimes a stretch. */
		n = f->n > 0 ? rnd((uint32_t)f->n + 1) : 0;
		break;
	}
	del = xcalloc(n + 1, sizeof(*del));
	for (i = 0; i < n; i++) {
		uint32_t top = uidmap_last(m) + 3;

		del[i] = f->n > 0 && rnd(4) != 0 ? f->uid[rnd((uint32_t)f->n)]
		                                 : 1 + rnd(top);
	}
	if (n > 0 && f->n > 0 && rnd(3) == 0) {
		/* A stretch of the map from a random place. */
		size_t at = rnd((uint32_t)f->n);

		for (i = 0; i < n && at + i < f->n; i++)
			del[i] = f->uid[at + i];
	}
	/* Ascending (repeats kept) as uidmap_remove wants. */
	for (i = 1; i < n; i++) {
		uint32_t x = del[i];
		size_t j = i;

		for (; j > 0 && del[j - 1] > x; j--)
			del[j] = del[j - 1];
		del[j] = x;
	}
	good = remove_both(m, f, del, n);
	free(del);
	return good;
}

static void
test_random(void)
{
	struct uidmap m, c;
	struct ref f = {0};
	uint64_t seed;
	int op, bad = -1;

	for (seed = 1; seed <= 8 && bad < 0; seed++) {
		rng = seed * 0x9e3779b97f4a7c15ull;
		uidmap_init(&m);
		f.n = 0;
		for (op = 0; op < 800 && bad < 0; op++) {
			if (!random_op(&m, &f) || !same(&m, &f))
				bad = op;
			if (op % 97 == 0) {
				uidmap_init(&c);
				uidmap_copy(&c, &m);
				if (!same(&c, &f))
					bad = op;
				uidmap_fini(&c);
			}
		}
		if (bad >= 0)
			diag("seed %llu: operation %d differs",
			     (unsigned long long)seed, bad);
		uidmap_fini(&m);
	}
	ok(bad < 0, "6,400 random appends and removals match an array");
	free(f.uid);
}

/* Expunging every other of 200,000 messages: one call, one pass. */
static void
test_large(void)
{
	struct uidmap m;
	struct ref f = {0};
	uint32_t *del = xcalloc(100000, sizeof(*del));
	uint32_t u;
	size_t i;

	uidmap_init(&m);
	for (u = 1; u <= 200000; u++) {
		uidmap_append(&m, u);
		ref_append(&f, u);
	}
	ok(m.nrun == 1, "200,000 consecutive UIDs: one run");
	for (i = 0; i < 100000; i++)
		del[i] = (uint32_t)(2 * i + 2);
	ok(remove_both(&m, &f, del, 100000) && m.nrun == 100000,
	   "every other one removed: a run each");
	for (i = 0; i < f.n && uidmap_uid(&m, i) == f.uid[i]; i++)
		;
	ok(i == f.n && uidmap_count(&m) == 100000, "and the map is right");
	uidmap_fini(&m);
	free(f.uid);
	free(del);
}

int
main(void)
{
	test_empty();
	test_one();
	test_high();
	test_runs();
	test_panics();
	test_random();
	test_large();
	return done_testing();
}
