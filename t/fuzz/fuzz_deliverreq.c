/*
 * fuzz_deliverreq.c - libFuzzer target for lib/mail/deliverreq: request
 * lines fed one by one and result lines never crash, and an accepted
 * result survives a format/parse round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/deliverreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct deliverreq_result *r)
{
	struct deliverreq_result back;
	struct why why;
	struct buf b;

	buf_init(&b, 2 * DELIVERREQ_MAX_LINE);
	if (deliverreq_result_format(&b, r) == -1 ||
	    deliverreq_result_parse(span_make(b.p, b.len - 1), &back, &why) !=
		0 ||
	    back.index != r->index || back.state != r->state ||
	    back.dest != r->dest || strcmp(back.dsn, r->dsn) != 0 ||
	    strcmp(back.relay, r->relay) != 0 ||
	    strcmp(back.reply, r->reply) != 0 ||
	    strcmp(back.text, r->text) != 0)
		abort();
	buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct deliverreq req;
	struct deliverreq_result res;
	struct span in = span_make(data, size), line;
	struct why why;
	int rc = 0;

	deliverreq_init(&req);
	while (rc == 0 && span_token(&in, "\n", &line)) {
		rc = deliverreq_parse_line(&req, line, &why);
		if (req.nrcpt > DELIVERREQ_MAX_RCPT)
			abort();
	}
	if (deliverreq_result_parse(span_make(data, size), &res, &why) == 0)
		round_trip(&res);
	return 0;
}
