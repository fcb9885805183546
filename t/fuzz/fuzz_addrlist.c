/*
 * fuzz_addrlist.c - libFuzzer target for lib/mail/addrlist: walk the
 * input as an address list.  Display and group names lie inside the
 * input, the mailbox fields agree with each other, the walk ends, a failed
 * walk stays failed, and every canonical mailbox parses again to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addrlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

static void
check_mailbox(const struct addrlist_mailbox *m, struct span in)
{
	check_inside(m->display, in);
	check_inside(m->group, in);
	if (m->len == 0 || m->len > ADDRLIST_ADDR_MAX ||
	    strlen(m->addr) != m->len || m->local_len == 0 ||
	    m->local_len > m->len)
		abort();
	if (m->has_domain
	        ? m->addr[m->local_len] != '@' || m->local_len + 1 == m->len
	        : m->local_len != m->len)
		abort();
}

/* The canonical text of m is a list of one mailbox: m itself. */
static void
round_trip(const struct addrlist_mailbox *m)
{
	struct addrlist al;
	struct addrlist_mailbox again;
	struct why why;

	addrlist_init(&al, span_make(m->addr, m->len));
	if (addrlist_next(&al, &again, &why) != 1 ||
	    strcmp(again.addr, m->addr) != 0 ||
	    again.local_len != m->local_len ||
	    again.has_domain != m->has_domain ||
	    again.has_utf8 != m->has_utf8 ||
	    addrlist_next(&al, &again, &why) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct addrlist al;
	struct addrlist_mailbox m;
	struct why why;
	size_t n = 0;
	int r;

	addrlist_init(&al, in);
	while ((r = addrlist_next(&al, &m, &why)) == 1) {
		check_mailbox(&m, in);
		round_trip(&m);
		/* Each mailbox takes at least one input byte. */
		if (++n > size)
			abort();
	}
	if (r == -1 && addrlist_next(&al, &m, &why) != -1)
		abort();
	if (r == 0 && addrlist_next(&al, &m, &why) != 0)
		abort();
	return 0;
}
