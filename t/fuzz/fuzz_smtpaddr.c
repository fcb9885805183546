/*
 * fuzz_smtpaddr.c - libFuzzer target for lib/mail/smtpaddr: the first byte
 * picks the flags, the rest is a path.  Spans lie inside the input, a path
 * ends with ">", and an accepted mailbox formats to a canonical form that
 * parses again and formats to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtpaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

/* format(a), parse it as a mailbox, format again: the same bytes. */
static void
round_trip(const struct smtpaddr *a, unsigned flags)
{
	struct smtpaddr b;
	struct why why;
	struct buf one, two;

	if (a->is_null || a->domain.len == 0)
		return;
	buf_init(&one, 1024);
	buf_init(&two, 1024);
	if (smtpaddr_format(a, &one) == -1 ||
	    smtpaddr_parse_mailbox(buf_span(&one), flags, &b, &why) == -1 ||
	    smtpaddr_format(&b, &two) == -1 ||
	    !span_eq_span(buf_span(&one), buf_span(&two)) ||
	    b.has_utf8 != a->has_utf8 || b.is_literal != a->is_literal)
		abort();
	buf_fini(&one);
	buf_fini(&two);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpaddr a;
	struct why why;
	struct span in;
	unsigned flags;
	size_t used = 0;
	bool lit;

	if (size == 0)
		return 0;
	flags = data[0] & 7;
	in = span_make(data + 1, size - 1);
	if (smtpaddr_parse_path(in, flags, &a, &used, &why) == 0) {
		if (used < 2 || used > in.len || in.p[used - 1] != '>')
			abort();
		check_inside(a.local, in);
		check_inside(a.domain, in);
		round_trip(&a, flags);
	}
	if (smtpaddr_parse_mailbox(in, flags, &a, &why) == 0) {
		check_inside(a.local, in);
		check_inside(a.domain, in);
		if (a.domain.p + a.domain.len != in.p + in.len)
			abort();
		round_trip(&a, flags);
	}
	(void)smtpaddr_check_domain(in, flags, true, &lit, &why);
	return 0;
}
