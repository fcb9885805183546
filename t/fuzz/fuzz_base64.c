/*
 * fuzz_base64.c - libFuzzer target for lib/base/base64: a decoding that
 * succeeds re-encodes to exactly the input (the decoder is strict, so
 * there is one spelling per byte string), and output stays in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct buf dec, enc;

	buf_init(&dec, 4096);
	buf_init(&enc, 8192);
	if (base64_decode(in, &dec) == 0) {
		if (dec.len > size / 4 * 3)
			abort();
		if (base64_encode(buf_span(&dec), &enc) == -1 ||
		    enc.len != size ||
		    (size > 0 && memcmp(enc.p, data, size) != 0))
			abort();
	}
	buf_fini(&dec);
	buf_fini(&enc);
	return 0;
}
