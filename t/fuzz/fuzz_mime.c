/*
 * fuzz_mime.c - libFuzzer target for lib/mail/mime: parse the input as a
 * message.  The parse never fails, and the tree keeps its invariants:
 * every part lies inside the message and inside its parent's body, the
 * pre-order links hold, line counts fit the bodies, strings and
 * parameters are where they should be (t/unit/mcheck.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "mail/mime.h"
#include "mcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime m;
	struct why why;

	mime_init(&m);
	if (mime_parse(&m, span_make(data, size), &why) == -1 ||
	    !mcheck_tree(&m, size))
		abort();
	mime_fini(&m);
	return 0;
}
