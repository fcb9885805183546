/*
 * fuzz_qlist.c - libFuzzer target for the look-up in a reasons file
 * (qlist_reason): the input is an address, a NUL, then the file's text.
 * Any input is answered; a found reason's DSN and text lie inside the
 * text, on one line that starts with exactly the address and a TAB; and
 * the escaping of the text for a terminal never writes a control byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/qlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
	if (memchr(s.p, '\n', s.len) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct span addr, text, dsn, reason;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (nul == NULL)
		return 0;
	addr = span_make(data, (size_t)(nul - data));
	text = span_make(nul + 1, size - addr.len - 1);
	if (qlist_reason(text, addr, &dsn, &reason)) {
		inside(dsn, text);
		inside(reason, text);
		/* The line: ADDRESS TAB DSN TAB REASON. */
		if (dsn.p < text.p + addr.len + 1 ||
		    memcmp(dsn.p - addr.len - 1, addr.p, addr.len) != 0 ||
		    dsn.p[-1] != '\t' ||
		    (dsn.p - addr.len - 1 != text.p &&
			dsn.p[-(long)addr.len - 2] != '\n'))
			abort();
	}
	if ((f = open_memstream(&out, &len)) == NULL)
		return 0;
	qlist_put(f, text);
	fclose(f);
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\t')
			abort();
	free(out);
	return 0;
}
