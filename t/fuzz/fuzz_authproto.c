/*
 * fuzz_authproto.c - libFuzzer target for the authd protocol parser: any
 * input parses or is refused; parsed fields lie in the message's store and
 * re-formatting them gives a line that parses to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authproto_msg m;
	struct authproto_msg again;
	struct buf out;
	struct why why;
	size_t i;

	authproto_init(&m, 65536);
	authproto_init(&again, 65536);
	buf_init(&out, 1 << 20);
	if (authproto_parse(span_make(data, size), &m, &why) == 0) {
		char word[32];

		if (m.id == 0 || m.word.len == 0 || m.word.len >= sizeof(word))
			abort();
		for (i = 0; i < m.nfield; i++)
			if (m.field[i].len > 0 &&
			    (m.field[i].p < m.store.p ||
				m.field[i].p + m.field[i].len >
				    m.store.p + m.store.len))
				abort();
		memcpy(word, m.word.p, m.word.len);
		word[m.word.len] = '\0';
		if (authproto_format(&out, m.id, word, m.field, m.nfield) == 0 &&
		    (authproto_parse(span_make(out.p, out.len - 1), &again,
			 &why) == -1 ||
			again.nfield != m.nfield))
			abort();
		for (i = 0; i < again.nfield && i < m.nfield; i++)
			if (!span_eq_span(again.field[i], m.field[i]))
				abort();
	}
	buf_fini(&out);
	authproto_fini(&again);
	authproto_fini(&m);
	return 0;
}
