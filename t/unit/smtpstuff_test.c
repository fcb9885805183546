/*
 * smtpstuff_test.c - unit tests for lib/mail/smtpstuff: dot-stuffing,
 * bare LF to CRLF, the end marker, and the same output however the input
 * is split and however little room each call has.
 */
#include <string.h>

#include "mail/smtpstuff.h"
#include "tap.h"

/* The whole encoding in one go, with room to spare. */
static void
encode_all(const char *in, size_t len, struct buf *out)
{
	struct smtpstuff st;
	size_t took;

	smtpstuff_init(&st);
	took = smtpstuff_encode(&st, span_make(in, len), out, 3 * len + 16);
	if (took != len)
		diag("took %zu of %zu", took, len);
	smtpstuff_finish(&st, out);
}

/* A byte at a time reference: what the encoder must produce. */
static void
reference(const char *in, size_t len, struct buf *out)
{
	bool bol = true;
	bool cr = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			buf_addc(out, '.');
		bol = false;
		if (in[i] == '\n') {
			if (!cr)
				buf_addc(out, '\r');
			bol = true;
		}
		buf_addc(out, in[i]);
		cr = in[i] == '\r';
	}
	if (!bol)
		buf_adds(out, cr ? "\n" : "\r\n");
	buf_adds(out, ".\r\n");
}

static void
test_cases(void)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "", ".\r\n" },
		{ "a\r\n", "a\r\n.\r\n" },
		{ "a", "a\r\n.\r\n" },
		{ "a\r", "a\r\n.\r\n" },
		{ ".\r\n", "..\r\n.\r\n" },
		{ "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n" },
		{ "..x\r\n", "...x\r\n.\r\n" },
		{ "a\nb\n", "a\r\nb\r\n.\r\n" },
		{ "a\n.\n", "a\r\n..\r\n.\r\n" },
		{ "\r\n\r\n", "\r\n\r\n.\r\n" },
		{ "a\rb\r\n", "a\rb\r\n.\r\n" },
		{ "x.\r\n .\r\n", "x.\r\n .\r\n.\r\n" },
	};
	struct buf out;
	size_t i;

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		encode_all(cases[i].in, strlen(cases[i].in), &out);
		is_str(buf_str(&out), cases[i].out, "case %zu", i);
	}
	buf_fini(&out);
}

/* Random text of dots, CRs, LFs and letters, split at random, with a
 * random room per call, must give the reference output. */
static void
test_random(void)
{
	static const char alphabet[] = "..\r\n\nab";
	char in[600];
	struct buf want, got;
	unsigned seed = 12345;
	int round, bad = 0;

	buf_init(&want, 1 << 16);
	buf_init(&got, 1 << 16);
	for (round = 0; round < 2000; round++) {
		struct smtpstuff st;
		size_t len, i, off = 0;

		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		buf_reset(&want);
		buf_reset(&got);
		reference(in, len, &want);
		smtpstuff_init(&st);
		while (off < len) {
			size_t piece, room;

			seed = seed * 1103515245 + 12345;
			piece = 1 + (seed >> 16) % 40;
			if (piece > len - off)
				piece = len - off;
			seed = seed * 1103515245 + 12345;
			room = got.len + 3 + (seed >> 16) % 10;
			off += smtpstuff_encode(&st, span_make(in + off, piece),
			    &got, room);
			if (got.len > room)
				bad++;
		}
		smtpstuff_finish(&st, &got);
		if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0)
			bad++;
	}
	is_int(bad, 0, "2000 random texts, split and squeezed: as the "
		       "reference, never past room");
	buf_fini(&want);
	buf_fini(&got);
}

static void
test_finish_full(void)
{
	struct smtpstuff st;
	struct buf out;

	buf_init(&out, 4);
	smtpstuff_init(&st);
	smtpstuff_encode(&st, span_str("ab"), &out, 4);
	is_int(smtpstuff_finish(&st, &out), -1, "no room for the end");
	is_int(out.len, 2, "out unchanged");
	buf_fini(&out);
}

int
main(void)
{
	test_cases();
	test_random();
	test_finish_full();
	return done_testing();
}
