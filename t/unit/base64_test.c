/*
 * base64_test.c - unit tests for lib/base/base64: the RFC 4648 test
 * vectors both ways, strictness of the decoder, and the output bound.
 */
#include <string.h>

#include "base/base64.h"
#include "tap.h"

static void
test_vectors(void)
{
	/* RFC 4648 section 10. */
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b;

		buf_init(&b, 64);
		ok(base64_encode(span_str(v[i][0]), &b) == 0, "encode \"%s\"",
		    v[i][0]);
		is_str(b.p != NULL ? (const char *)b.p : "", v[i][1],
		    "encoding of \"%s\"", v[i][0]);
		buf_reset(&b);
		ok(base64_decode(span_str(v[i][1]), &b) == 0, "decode \"%s\"",
		    v[i][1]);
		ok(b.len == strlen(v[i][0]) &&
		    (b.len == 0 || memcmp(b.p, v[i][0], b.len) == 0),
		    "decoding of \"%s\"", v[i][1]);
		buf_fini(&b);
	}
}

static void
test_binary(void)
{
	unsigned char all[256];
	struct buf enc, dec;
	size_t i;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	buf_init(&enc, 1024);
	buf_init(&dec, 256);
	ok(base64_encode(span_make(all, 256), &enc) == 0 &&
	    base64_decode(buf_span(&enc), &dec) == 0 && dec.len == 256 &&
	    memcmp(dec.p, all, 256) == 0, "every byte value round-trips");
	buf_reset(&dec);
	dec.max = 255;
	ok(base64_decode(buf_span(&enc), &dec) == -1, "output past max: -1");
	buf_fini(&enc);
	buf_fini(&dec);
	/* PLAIN's NUL-separated response. */
	buf_init(&dec, 64);
	ok(base64_decode(span_str("AHVzZXIAcGFzcw=="), &dec) == 0 &&
	    dec.len == 10 && memcmp(dec.p, "\0user\0pass", 10) == 0,
	    "NUL bytes decode");
	buf_fini(&dec);
}

static void
test_strict(void)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Zm9v Zm9v",
		"Zm9v\r\n", "Zh==", "Zm9=", "Zm!v", "Zg=A", "=Zg=", "Z-9v",
		"Zm9vYmFy=",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;

		buf_init(&b, 64);
		ok(base64_decode(span_str(bad[i]), &b) == -1, "refused: bad[%zu]",
		    i);
		buf_fini(&b);
	}
}

int
main(void)
{
	test_vectors();
	test_binary();
	test_strict();
	return done_testing();
}
