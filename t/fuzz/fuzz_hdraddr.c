/*
 * fuzz_hdraddr.c - libFuzzer target for lib/mail/hdraddr: walk the input
 * as an address list.  The walk ends (each item takes input), never
 * fails with room enough for its strings, pairs every group start with
 * a group end, and gives group markers no mailbox fields.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mail/hdraddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct buf text;
	bool open = false;
	size_t n = 0;
	int r;

	buf_init(&text, 4 * size + 64);
	hdraddr_init(&it, span_make(data, size));
	while ((r = hdraddr_next(&it, &a, &text)) != 0) {
		/* A group start and its end may come from one ':'. */
		if (r == -1 || ++n > 2 * size + 2)
			abort();
		if (a.kind == HDRADDR_GROUP_START) {
			if (open || a.route.len || a.mailbox.len || a.host.len)
				abort();
			open = true;
		} else if (a.kind == HDRADDR_GROUP_END) {
			if (!open || a.name.len || a.mailbox.len)
				abort();
			open = false;
		}
	}
	if (open || hdraddr_next(&it, &a, &text) != 0)
		abort();
	buf_fini(&text);
	return 0;
}
