/*
 * fuzz_address.c - libFuzzer target for directory_split, the address
 * splitter of the directory: the parts lie inside the input, in order,
 * and put together again give the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/directory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct span user, ext, domain;

	if (directory_split(in, "+-", &user, &ext, &domain) == -1)
		return 0;
	if (user.p != in.p || user.len == 0 || domain.len == 0)
		abort();
	if (ext.p != user.p + user.len ||
	    user.len + ext.len + 1 + domain.len != size ||
	    domain.p != in.p + size - domain.len || domain.p[-1] != '@' ||
	    memchr(domain.p, '@', domain.len) != NULL)
		abort();
	if (ext.len > 0 && ext.p[0] != '+' && ext.p[0] != '-')
		abort();
	return 0;
}
