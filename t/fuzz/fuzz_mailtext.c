/*
 * fuzz_mailtext.c - libFuzzer target for lib/mail/mailtext.  The first
 * input line names a charset and an encoding ("charset encoding"), the
 * rest is decoded as a header value and as a body.  Invariants: decoding
 * never fails with room to spare; quoted-printable and base64 never grow
 * their input; a buffer cut short gets -1 and a prefix of the full text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mailtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode into out (max room); which: 0 header, 1 body. */
static int
decode(int which, struct span in, struct span cs, struct span enc,
       struct buf *out)
{
	return which == 0 ? mailtext_header(in, out)
	                  : mailtext_body(in, enc, cs, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span all = span_make(data, size), line, cs, enc, in;
	struct buf out, cut;
	long nl = span_chr(all, '\n');
	int which;

	if (nl < 0)
		return 0;
	line = span_make(data, (size_t)nl);
	in = span_make(data + nl + 1, size - (size_t)nl - 1);
	if (!span_token(&line, " ", &cs))
		cs = span_make(NULL, 0);
	if (!span_token(&line, " ", &enc))
		enc = span_make(NULL, 0);
	for (which = 0; which < 2; which++) {
		/* A charset may at most triple a byte (U+FFFD). */
		buf_init(&out, in.len * 4 + 64);
		if (decode(which, in, cs, enc, &out) != 0)
			abort();
		buf_init(&cut, out.len / 2);
		if (out.len > 0 &&
		    (decode(which, in, cs, enc, &cut) != -1 ||
		     cut.len > out.len / 2 ||
		     (cut.len > 0 && memcmp(cut.p, out.p, cut.len) != 0)))
			abort();
		buf_fini(&cut);
		buf_fini(&out);
	}
	buf_init(&out, in.len + 1);
	if (mailtext_qp(in, false, &out) != 0 || out.len > in.len)
		abort();
	buf_reset(&out);
	if (mailtext_base64(in, &out) != 0 || out.len > in.len / 4 * 3 + 2)
		abort();
	buf_fini(&out);
	return 0;
}
