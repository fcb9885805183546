/*
 * fuzz_aliastarget.c - libFuzzer target for lib/mail/aliastarget: split
 * the input as an alias value and classify each target.  Targets lie
 * inside the input, are never empty nor over the limit, hold no
 * separator unless quoted, the walk ends and stays ended, a refused
 * split leaves the rest alone, and every classified argument lies inside
 * its target and holds no control character for a command or path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/aliastarget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

static void
check_parse(struct span item)
{
	enum aliastarget_kind kind;
	struct span arg;
	struct why why;
	size_t i;

	if (aliastarget_parse(item, &kind, &arg, &why) == -1)
		return;
	check_inside(arg, item);
	if (kind == ALIASTARGET_ADDRESS)
		return;
	if (arg.len == 0)
		abort();
	for (i = 0; i < arg.len; i++)
		if (arg.p[i] < 0x20 || arg.p[i] == 0x7f)
			abort();
	if ((kind == ALIASTARGET_FILE || kind == ALIASTARGET_INCLUDE) &&
	    arg.p[0] != '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct span rest = in;
	struct span item;
	struct why why;
	size_t n = 0;
	int r;

	while ((r = aliastarget_next(&rest, &item, &why)) == 1) {
		check_inside(item, in);
		check_inside(rest, in);
		if (item.len == 0 || item.len > ALIASTARGET_MAX)
			abort();
		/* An unquoted target holds no separator. */
		if ((item.p == in.p || item.p[-1] != '"') &&
		    (memchr(item.p, ',', item.len) != NULL ||
			memchr(item.p, ' ', item.len) != NULL))
			abort();
		check_parse(item);
		if (++n > size)
			abort();
	}
	if (r == -1) {
		struct span again = rest;

		if (aliastarget_next(&again, &item, &why) != -1 ||
		    again.p != rest.p || again.len != rest.len)
			abort();
	}
	if (r == 0 && aliastarget_next(&rest, &item, &why) != 0)
		abort();
	return 0;
}
