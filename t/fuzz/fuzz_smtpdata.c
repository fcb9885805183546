/*
 * fuzz_smtpdata.c - libFuzzer target for the DATA / BDAT body decoder.
 * Input: 5 control bytes (flags and mode, size, line and header limits,
 * split point), then the client's bytes.  Invariants: consumed <= input;
 * not finished means all consumed; output = body_size, within the limits;
 * strict output has no bare LF or CR (LF_OK: no bare LF); a clean strict
 * body re-stuffed plus ".\r\n" decodes to itself; feeding in
 * two pieces gives the same output, status and count as feeding whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtpdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	struct buf out;
	enum smtpdata_status st;
	size_t consumed;
	struct smtpdata d;
};

static void
collect(void *arg, struct span s)
{
	if (buf_addspan(arg, s) == -1)
		abort();
}

static void
run_data(struct result *r, const struct smtpdata_limits *lim,
    unsigned flags, struct span in, size_t split)
{
	size_t got;

	smtpdata_init(&r->d, lim, flags);
	got = smtpdata_feed(&r->d, span_sub(in, 0, split), collect, &r->out);
	if (got > split || (got < split && smtpdata_status(&r->d) ==
	    SMTPDATA_MORE))
		abort();
	r->consumed = got;
	if (got == split)
		r->consumed += smtpdata_feed(&r->d, span_sub(in, split,
		    in.len - split), collect, &r->out);
	r->st = smtpdata_status(&r->d);
	if (r->consumed > in.len ||
	    (r->st == SMTPDATA_MORE && r->consumed != in.len))
		abort();
}

static void
run_bdat(struct result *r, const struct smtpdata_limits *lim,
    unsigned flags, struct span in, size_t split)
{
	smtpdata_bdat_init(&r->d, lim, flags);
	smtpdata_bdat_chunk(&r->d, split, false);
	r->consumed = smtpdata_bdat_feed(&r->d, in, collect, &r->out);
	if (r->consumed != split || smtpdata_bdat_in_chunk(&r->d))
		abort();
	smtpdata_bdat_chunk(&r->d, in.len - split, true);
	r->consumed += smtpdata_bdat_feed(&r->d, span_sub(in, split,
	    in.len - split), collect, &r->out);
	r->st = smtpdata_status(&r->d);
	if (r->consumed != in.len || r->st == SMTPDATA_MORE)
		abort();
}

static void
check_canonical(const struct buf *o, bool cr_too)
{
	size_t i;

	for (i = 0; i < o->len; i++) {
		if (o->p[i] == '\n' && (i == 0 || o->p[i - 1] != '\r'))
			abort();
		if (cr_too && o->p[i] == '\r' &&
		    (i + 1 == o->len || o->p[i + 1] != '\n'))
			abort();
	}
}

/* A clean strict DATA body, stuffed again, decodes to itself, and the
 * end marker is exactly where the stuffed copy ends. */
static void
check_roundtrip(const struct buf *o)
{
	struct smtpdata_limits none = { 0, 0, 0 };
	struct smtpdata d;
	struct buf b;
	struct buf again;
	size_t i;

	buf_init(&b, 1 << 24);
	buf_init(&again, 1 << 24);
	for (i = 0; i < o->len; i++) {
		if ((i == 0 || o->p[i - 1] == '\n') && o->p[i] == '.')
			(void)buf_addc(&b, '.');
		(void)buf_addc(&b, o->p[i]);
	}
	(void)buf_adds(&b, ".\r\nX");
	smtpdata_init(&d, &none, 0);
	if (smtpdata_feed(&d, buf_span(&b), collect, &again) != b.len - 1 ||
	    smtpdata_status(&d) != SMTPDATA_DONE ||
	    !span_eq_span(buf_span(&again), buf_span(o)))
		abort();
	buf_fini(&again);
	buf_fini(&b);
}

static void
check_one(const struct result *r, const struct smtpdata_limits *lim,
    unsigned flags, bool bdat)
{
	if (r->out.len != r->d.body_size ||
	    (lim->max_size != 0 && r->d.body_size > lim->max_size) ||
	    (lim->max_line_length != 0 &&
		r->d.longest_line > lim->max_line_length) ||
	    (lim->max_header_size != 0 &&
		r->d.header_size > lim->max_header_size))
		abort();
	/* A bare LF is refused or converted, never passed on. */
	check_canonical(&r->out, !(flags & SMTPDATA_BARE_CR_OK));
	if (!bdat && flags == 0 && r->st == SMTPDATA_DONE)
		check_roundtrip(&r->out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpdata_limits lim;
	struct result whole;
	struct result split;
	struct span in;
	unsigned flags;
	bool bdat;
	size_t k;

	if (size < 5)
		return 0;
	flags = data[0] & SMTPDATA_RELAXED;
	bdat = (data[0] & 4) != 0;
	lim.max_size = (uint64_t)data[1] * 4;
	lim.max_line_length = data[2];
	lim.max_header_size = (uint64_t)data[3] * 2;
	in = span_make(data + 5, size - 5);
	k = in.len * data[4] / 255;
	buf_init(&whole.out, 1 << 24);
	buf_init(&split.out, 1 << 24);
	if (bdat) {
		run_bdat(&whole, &lim, flags, in, in.len);
		run_bdat(&split, &lim, flags, in, k);
	} else {
		run_data(&whole, &lim, flags, in, in.len);
		run_data(&split, &lim, flags, in, k);
	}
	check_one(&whole, &lim, flags, bdat);
	if (whole.st != split.st || whole.consumed != split.consumed ||
	    !span_eq_span(buf_span(&whole.out), buf_span(&split.out)))
		abort();
	buf_fini(&whole.out);
	buf_fini(&split.out);
	return 0;
}
