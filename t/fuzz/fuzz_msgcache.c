/*
 * fuzz_msgcache.c - libFuzzer target for lib/mail/msgcache.  The input is
 * (1) a message: its cache is built, opens, and says exactly what a fresh
 * parse says; (2) a blob as it stands: opening it must not crash, and an
 * opened blob is walked through; (3) a blob given the right magic,
 * version, length and checksum, so that the checks behind the checksum
 * get fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/msgcache.h"
#include "mail/msgcache_format.h"
#include "mcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
as_message(struct span in)
{
	struct buf blob;
	struct msgcache mc;
	struct mime m;
	struct why why;

	buf_init(&blob, BUF_MAX_CEILING);
	mime_init(&m);
	if (msgcache_build(in, &blob, &why) == -1 ||
	    msgcache_open(buf_span(&blob), &mc, &why) == -1 ||
	    mime_parse(&m, in, &why) == -1 || !mcheck_all(&mc, in, &m))
		abort();
	mcheck_walk(&mc);
	mime_fini(&m);
	buf_fini(&blob);
}

static void
as_blob(const uint8_t *data, size_t size, bool mend)
{
	struct msgcache mc;
	struct why why;
	unsigned char *p = malloc(size + 1);
	uint64_t v;

	memcpy(p, data, size);
	if (mend && size >= MC_HDR_LEN + MC_SUM_LEN) {
		memcpy(p, MC_MAGIC, 4);
		mc_put16(p + 4, MC_VERSION);
		mc_put16(p + 6, MC_HDR_LEN);
		mc_put32(p + MC_H_SIZE, (uint32_t)size);
		v = msgcache_sum(p, size - MC_SUM_LEN);
		mc_put32(p + size - 8, (uint32_t)v);
		mc_put32(p + size - 4, (uint32_t)(v >> 32));
	}
	if (msgcache_open(span_make(p, size), &mc, &why) == 0)
		mcheck_walk(&mc);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_message(span_make(data, size));
	as_blob(data, size, false);
	as_blob(data, size, true);
	return 0;
}
