/*
 * fuzz_smtpreply.c - libFuzzer target for lib/mail/smtpreply: reply lines
 * (the input split at LF) never crash the parser, the text stays within
 * its bound and printable, the code stays the first line's, and a
 * refused line leaves the reply unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct smtpreply *r)
{
	size_t i;

	if (r->text_len > SMTPREPLY_TEXT_MAX || r->text[r->text_len] != '\0' ||
	    r->nlines > SMTPREPLY_MAX_LINES)
		abort();
	for (i = 0; i < r->text_len; i++)
		if (r->text[i] < 0x20 || r->text[i] >= 0x7f)
			abort();
	if (r->nlines > 0 && (r->code < 200 || r->code > 559))
		abort();
	if (r->enh[0] != '\0' && r->enh[0] != '0' + r->code / 100)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtpreply r;
	static struct smtpreply before;
	struct span in = span_make(data, size), line;
	struct why why;
	int rc = 0;

	smtpreply_init(&r);
	while (span_token(&in, "\n", &line)) {
		memcpy(&before, &r, sizeof(r));
		rc = smtpreply_line(&r, line, &why);
		check(&r);
		if (rc == -1 && memcmp(&before, &r, sizeof(r)) != 0)
			abort();
		if (rc == 1 && !r.done)
			abort();
	}
	return 0;
}
