/*
 * smtpsrv_data.c - the message text in the SMTP/LMTP session core: DATA
 * (ended only by CRLF.CRLF) and BDAT chunks (RFC 3030), both through the
 * decoder of lib/mail/smtpdata with the daemon's limits, then handed to
 * the daemon (ops->message), refused or whole.  A refused BDAT still has
 * its octets read, and dropped, before its reply.
 * Linked into: smtpd, lmtpd.  Trust: the text is hostile; it is bounded
 * by the daemon's message size and line limits.
 */
#include <stdio.h>

#include "mail/smtpsrv.h"

static void
append_out(void *arg, struct span body)
{
	struct smtpsrv *s = arg;

	/* Cannot fail: text's max is above the message size limit. */
	buf_addspan(&s->text, body);
}

/* Read message text, raw, with the data timeout. */
static void
read_raw(struct smtpsrv *s, lineio_raw_fn *fn)
{
	s->in_data = true;
	if (s->d->data_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->data_timeout_ms);
	lineio_raw(s->io, fn);
}

/* Message text is over: commands again, with the command timeout. */
static void
end_raw(struct smtpsrv *s)
{
	lineio_raw(s->io, NULL);
	s->in_data = false;
	if (s->d->data_timeout_ms != 0)
		lineio_set_idle(s->io, s->d->timeout_ms);
}

/* The end of the text: refused, or whole. */
static void
finish(struct smtpsrv *s, enum smtpdata_status st)
{
	const char *enh = NULL;
	const char *text = NULL;
	int code = smtpdata_refusal(st, &enh, &text);

	end_raw(s);
	s->d->ops->message(s, code, enh, text);
}

static void
start(struct smtpsrv *s, bool bdat)
{
	const struct smtpsrv_daemon *d = s->d;
	struct smtpdata_limits lim = {
		.max_size = d->message_size_limit,
		.max_line_length = d->data_line_limit,
		.max_header_size = d->header_size_limit,
	};
	unsigned flags = s->bare_newline_ok ? SMTPDATA_RELAXED : 0;

	if (bdat)
		smtpdata_bdat_init(&s->data, &lim, flags);
	else
		smtpdata_init(&s->data, &lim, flags);
	buf_reset(&s->text);
}

static size_t
on_data(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = smtpdata_feed(&s->data, data, append_out, s);
	enum smtpdata_status st = smtpdata_status(&s->data);

	if (st != SMTPDATA_MORE)
		finish(s, st);
	return took;
}

void
smtpsrv_data(struct smtpsrv *s, const struct smtpcmd *c)
{
	(void)c;
	if (!(s->state & SMTPSRV_S_RCPT)) {
		smtpsrv_reply(s, 503, "5.5.1", "Error: %s", s->d->no_rcpt);
		smtpsrv_error(s);
		return;
	}
	if (s->bdat) {
		smtpsrv_reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		smtpsrv_error(s);
		return;
	}
	start(s, false);
	smtpsrv_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	read_raw(s, on_data);
}

/* A chunk is complete: the message is refused, finished, or goes on. */
static void
chunk_done(struct smtpsrv *s)
{
	struct smtpdata *d = &s->data;

	if (smtpdata_failed(d) || d->chunk_last) {
		finish(s, smtpdata_failed(d) ? d->err : smtpdata_status(d));
		return;
	}
	end_raw(s);
	smtpsrv_reply(s, 250, "2.0.0", "Ok: %llu octets received",
	    (unsigned long long)s->chunk_size);
}

static size_t
on_bdat(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = smtpdata_bdat_feed(&s->data, data, append_out, s);

	if (!smtpdata_bdat_in_chunk(&s->data))
		chunk_done(s);
	return took;
}

/* A refused BDAT: its octets are read and dropped, then the reply. */
static size_t
on_discard(void *arg, struct span data)
{
	struct smtpsrv *s = arg;
	size_t took = data.len < s->discard_left ? data.len :
						  (size_t)s->discard_left;

	s->discard_left -= took;
	if (s->discard_left == 0) {
		end_raw(s);
		smtpsrv_reply(s, s->discard_code, "5.5.1", "%s",
		    s->discard_text);
	}
	return took;
}

void
smtpsrv_bdat(struct smtpsrv *s, const struct smtpcmd *c)
{
	/* The octets follow the command whatever the answer (RFC 3030). */
	if (!(s->state & SMTPSRV_S_RCPT)) {
		s->discard_code = 503;
		snprintf(s->discard_text, sizeof(s->discard_text), "Error: %s",
		    s->state & SMTPSRV_S_MAIL ? s->d->no_rcpt :
						"need MAIL command");
		s->discard_left = c->bdat_size;
		if (c->bdat_size == 0)
			smtpsrv_reply(s, 503, "5.5.1", "%s", s->discard_text);
		else
			read_raw(s, on_discard);
		smtpsrv_error(s);
		return;
	}
	if (!s->bdat)
		start(s, true);
	s->bdat = true;
	smtpdata_bdat_chunk(&s->data, c->bdat_size, c->bdat_last);
	s->chunk_size = c->bdat_size;
	if (c->bdat_size == 0) {
		smtpdata_bdat_feed(&s->data, span_make("", 0), append_out, s);
		chunk_done(s);
		return;
	}
	read_raw(s, on_bdat);
}
