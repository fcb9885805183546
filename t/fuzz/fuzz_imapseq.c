/*
 * fuzz_imapseq.c - libFuzzer target for lib/mail/imapseq: an accepted set
 * is sorted and merged, survives a format/parse round trip unchanged,
 * resolves within its room, and membership agrees with iteration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/imapseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_sorted(const struct imapseq *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->r[i].lo == 0 || s->r[i].lo > s->r[i].hi ||
		    (i > 0 && (uint64_t)s->r[i - 1].hi + 1 >= s->r[i].lo))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imapseq_range r[16], r2[16];
	struct imapseq s, t;
	struct imapseq_iter it = {0, 0};
	struct why why;
	struct buf b;
	uint32_t star, v, prev = 0;
	size_t n = 0;

	if (size < 1)
		return 0;
	star = data[0];
	imapseq_init(&s, r, 16);
	if (imapseq_parse(span_make(data + 1, size - 1), &s, &why) != 0) {
		if (why.msg[0] == '\0')
			abort();
		return 0;
	}
	check_sorted(&s);
	buf_init(&b, 4096);
	imapseq_init(&t, r2, 16);
	if (imapseq_format(&s, &b) != 0 ||
	    imapseq_parse(buf_span(&b), &t, &why) != 0 || t.n != s.n ||
	    memcmp(r, r2, s.n * sizeof(r[0])) != 0 || t.star != s.star ||
	    t.star_lo != s.star_lo || t.star_hi != s.star_hi)
		abort();
	buf_fini(&b);
	if (imapseq_resolve(&t, star) != 0)
		abort();
	check_sorted(&t);
	/* Every number iterated is a member, and none between. */
	while (n < 1000 && imapseq_next(&t, &it, &v)) {
		if (!imapseq_has(&s, v, star) || (n > 0 && v <= prev))
			abort();
		if (n > 0 && v > prev + 1 && imapseq_has(&s, prev + 1, star))
			abort();
		prev = v;
		n++;
	}
	return 0;
}
