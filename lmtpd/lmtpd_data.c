/*
 * lmtpd_data.c - the message text: DATA (ended only by CRLF.CRLF) and
 * BDAT chunks (RFC 3030), both through the decoder of lib/mail/smtpdata
 * with lmtpd's limits, then on to lmtpd_deliver.c.  A refused message
 * gets its refusal once per recipient (RFC 2033 4.2).
 * Linked into: lmtpd.  Trust: the text is bounded by
 * lmtpd_message_size_limit and lmtpd_data_line_limit, and is only ever
 * copied into the store.
 */
#include <stdio.h>

#include "lmtpd.h"

static void
append_out(void *arg, struct span body)
{
	struct lmtpd_sess *s = arg;

	/* Cannot fail: text's max is above lmtpd_message_size_limit. */
	buf_addspan(&s->tx.text, body);
}

/* The end of the text: refuse it for every recipient, or deliver it. */
static void
finish(struct lmtpd_sess *s, enum smtpdata_status st)
{
	const char *enh;
	const char *text;
	int code = smtpdata_refusal(st, &enh, &text);

	lmtpd_end_raw(s);
	if (code != 0)
		lmtpd_refuse_all(s, code, enh, text);
	else
		lmtpd_deliver(s);
}

static void
start(struct lmtpd_sess *s, bool bdat)
{
	const struct params *p = s->ld->p;
	struct smtpdata_limits lim = {
		.max_size = p->lmtpd_message_size_limit,
		.max_line_length = p->lmtpd_data_line_limit,
		/* The MTA before us limited the header already. */
		.max_header_size = 0,
	};
	unsigned flags = p->lmtpd_forbid_bare_newline ? 0 : SMTPDATA_RELAXED;

	if (bdat)
		smtpdata_bdat_init(&s->tx.data, &lim, flags);
	else
		smtpdata_init(&s->tx.data, &lim, flags);
	buf_reset(&s->tx.text);
}

static size_t
on_data(void *arg, struct span data)
{
	struct lmtpd_sess *s = arg;
	size_t took = smtpdata_feed(&s->tx.data, data, append_out, s);
	enum smtpdata_status st = smtpdata_status(&s->tx.data);

	if (st != SMTPDATA_MORE)
		finish(s, st);
	return took;
}

void
lmtpd_data(struct lmtpd_sess *s)
{
	if (s->tx.bdat) {
		lmtpd_reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		lmtpd_error(s);
		return;
	}
	start(s, false);
	lmtpd_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	lmtpd_read_raw(s, on_data);
}

/* A chunk is complete: the message is refused, finished, or goes on. */
static void
chunk_done(struct lmtpd_sess *s)
{
	struct smtpdata *d = &s->tx.data;

	if (smtpdata_failed(d) || d->chunk_last) {
		finish(s, smtpdata_failed(d) ? d->err : smtpdata_status(d));
		return;
	}
	lmtpd_end_raw(s);
	lmtpd_reply(s, 250, "2.0.0", "Ok: %llu octets received",
	    (unsigned long long)s->tx.chunk_size);
}

static size_t
on_bdat(void *arg, struct span data)
{
	struct lmtpd_sess *s = arg;
	size_t took = smtpdata_bdat_feed(&s->tx.data, data, append_out, s);

	if (!smtpdata_bdat_in_chunk(&s->tx.data))
		chunk_done(s);
	return took;
}

/* A refused BDAT: its octets are read and dropped, then the reply. */
static size_t
on_discard(void *arg, struct span data)
{
	struct lmtpd_sess *s = arg;
	size_t took = data.len < s->discard_left ? data.len :
						  (size_t)s->discard_left;

	s->discard_left -= took;
	if (s->discard_left == 0) {
		lmtpd_end_raw(s);
		lmtpd_reply(s, s->discard_code, "5.5.1", "%s",
		    s->discard_text);
	}
	return took;
}

void
lmtpd_bdat(struct lmtpd_sess *s, const struct smtpcmd *c)
{
	struct lmtpd_tx *tx = &s->tx;

	/* The octets follow the command whatever the answer (RFC 3030). */
	if (!(s->state & LMTPD_S_RCPT)) {
		s->discard_code = 503;
		snprintf(s->discard_text, sizeof(s->discard_text), "Error: %s",
		    s->state & LMTPD_S_MAIL ? "no valid recipients" :
					      "need MAIL command");
		s->discard_left = c->bdat_size;
		if (c->bdat_size == 0)
			lmtpd_reply(s, 503, "5.5.1", "%s", s->discard_text);
		else
			lmtpd_read_raw(s, on_discard);
		lmtpd_error(s);
		return;
	}
	if (!tx->bdat)
		start(s, true);
	tx->bdat = true;
	smtpdata_bdat_chunk(&tx->data, c->bdat_size, c->bdat_last);
	tx->chunk_size = c->bdat_size;
	if (c->bdat_size == 0) {
		smtpdata_bdat_feed(&tx->data, span_make("", 0), append_out, s);
		chunk_done(s);
		return;
	}
	lmtpd_read_raw(s, on_bdat);
}
