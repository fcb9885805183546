/*
 * fuzz_imaputf7.c - libFuzzer target for lib/mail/imaputf7: what decodes
 * is valid UTF-8 and encodes back to the very same bytes (one spelling
 * per name); what encodes decodes back to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/imaputf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct buf a, b;

	buf_init(&a, 8 * size + 16);
	buf_init(&b, 8 * size + 16);
	if (imaputf7_decode(in, &a) == 0) {
		if (!span_utf8_ok(buf_span(&a)) ||
		    imaputf7_encode(buf_span(&a), &b) != 0 || b.len != size ||
		    memcmp(b.p, data, size) != 0)
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	if (imaputf7_encode(in, &a) == 0) {
		if (imaputf7_decode(buf_span(&a), &b) != 0 || b.len != size ||
		    memcmp(b.p, data, size) != 0)
			abort();
	} else if (span_utf8_ok(in)) {
		abort();
	}
	buf_fini(&a);
	buf_fini(&b);
	return 0;
}
