/*
 * fuzz_qfile.c - libFuzzer target for the queue file parser (exactly what
 * qfile_open() runs on a mapped file): any input parses or is refused;
 * on success every span and the content lie inside the input, recipient
 * status fields sit inside one sector, and limits hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/qfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(struct span s, const uint8_t *data, size_t size)
{
	if (s.len > 0 && (s.p < data || s.p + s.len > data + size))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfile *q = NULL;
	struct why why;
	size_t i;

	if (qfile_parse(span_make(data, size), &q, &why) == -1) {
		if (q != NULL || memchr(why.msg, '\0', sizeof(why.msg)) == NULL)
			abort();
		return 0;
	}
	if (q->nrcpt == 0 || q->nrcpt > QFILE_MAX_RCPT ||
	    q->content_off + q->content_len > size)
		abort();
	inside(q->env.sender, data, size);
	inside(q->env.client_name, data, size);
	inside(q->env.helo, data, size);
	inside(q->env.envid, data, size);
	for (i = 0; i < q->nrcpt; i++) {
		inside(q->rcpt[i].addr, data, size);
		inside(q->rcpt[i].orig, data, size);
		inside(q->rcpt[i].orcpt_type, data, size);
		if (q->rcpt[i].addr.len == 0 ||
		    q->rcpt[i].status_off % 512 > 512 - 32 ||
		    q->rcpt[i].status.dsn[QFILE_DSN_SIZE - 1] != '\0')
			abort();
	}
	qfile_close(&q);
	return 0;
}
