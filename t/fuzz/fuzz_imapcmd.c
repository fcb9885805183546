/*
 * fuzz_imapcmd.c - libFuzzer target for lib/mail/imapcmd and imapsearch:
 * the input is a client's byte stream, read through the frame as imapd
 * would (lines, literals, refusals, skipping).  Every complete command is
 * parsed: a success has a name and no error, a failure has a kind and a
 * reason, the tag lies inside the command text, sets are sorted and
 * merged, and a SEARCH is evaluated against a message made of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/imapcmd.h"
#include "mail/imapsearch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct span text_of_msg;

static bool
f_header(void *arg, struct span name, size_t i, struct span *out)
{
	(void)arg;
	(void)name;
	if (i > 1)
		return false;
	*out = text_of_msg;
	return true;
}

static bool
f_text(void *arg, bool whole, struct span *out)
{
	(void)arg;
	(void)whole;
	*out = text_of_msg;
	return true;
}

static bool
f_keyword(void *arg, struct span kw)
{
	(void)arg;
	return kw.len % 2 == 0;
}

static void
check_set(const struct imapseq *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->r[i].lo == 0 || s->r[i].lo > s->r[i].hi)
			abort();
		if (i > 0 && (uint64_t)s->r[i - 1].hi + 1 >= s->r[i].lo)
			abort();
	}
}

static void
check(const struct imapcmd_input *in, const struct imapcmd *c, int r,
      const struct why *why)
{
	struct imapsearch_msg m;

	if (c->tag.len > 0 &&
	    (c->tag.p < in->text.p ||
	     c->tag.p + c->tag.len > in->text.p + in->text.len))
		abort();
	if (r == -1) {
		if (c->err == IMAPCMD_ERR_NONE || why->msg[0] == '\0')
			abort();
		return;
	}
	if (r != 0 || c->err != IMAPCMD_ERR_NONE || c->name == IMAPCMD_NONE)
		abort();
	if (c->name == IMAPCMD_FETCH)
		check_set(&c->u.fetch.set);
	if (c->name == IMAPCMD_STORE)
		check_set(&c->u.store.set);
	if (c->name == IMAPCMD_COPY || c->name == IMAPCMD_MOVE)
		check_set(&c->u.copy.set);
	if (c->name == IMAPCMD_SEARCH) {
		memset(&m, 0, sizeof(m));
		m.msn = 3;
		m.uid = 7;
		m.flags = IMAPCMD_F_SEEN;
		m.size = in->text.len;
		m.internal = 1000000000;
		m.header = f_header;
		m.text = f_text;
		m.keyword = f_keyword;
		text_of_msg = in->text;
		(void)imapsearch_eval(c->u.search, &m, 5, 9);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imapcmd_limits lim;
	struct imapcmd_frame f;
	struct imapcmd_input in;
	struct imapcmd c;
	struct arena a;
	struct why why;
	size_t pos = 0;

	imapcmd_limits_default(&lim);
	/* Small limits, so that the fuzzer reaches them. */
	lim.max_line = 200;
	lim.max_literal = 100;
	lim.max_nonsync = 50;
	lim.max_command = 1000;
	lim.max_literals = 4;
	lim.max_depth = 8;
	lim.max_nodes = 100;
	lim.max_seq = 8;
	imapcmd_frame_init(&f, &lim);
	arena_init(&a, 64 * 1024);
	while (pos < size) {
		const uint8_t *lf = memchr(data + pos, '\n', size - pos);
		size_t end = lf != NULL ? (size_t)(lf - data) : size;
		size_t len = end - pos;
		enum imapcmd_frame_res res;

		if (len > 0 && data[pos + len - 1] == '\r')
			len--;
		res = imapcmd_frame_line(&f, span_make(data + pos, len));
		pos = end + 1;
		while (f.need > 0 && pos < size)
			pos += imapcmd_frame_literal(
			    &f, span_make(data + pos, size - pos));
		if (res != IMAPCMD_FRAME_DONE)
			continue;
		imapcmd_frame_input(&f, &in);
		arena_reset(&a);
		check(&in, &c, imapcmd_parse(&in, &lim, &a, &c, &why), &why);
	}
	imapcmd_frame_fini(&f);
	arena_reset(&a);
	return 0;
}
