/*
 * smtpdata.c - the SMTP DATA / BDAT body decoder: dot-unstuffing, the
 * end marker, bare CR/LF rules and body limits (rules in smtpdata.h).
 * Linked into: smtpd.  Trust: client bytes, hostile; every position is
 * checked against the end of the input, and nothing is stored but
 * counters.
 *
 * Speed: inside a line the decoder looks for the next LF with memchr
 * and handles the whole line at once; consecutive lines are passed on
 * as one span of the input, so a body costs about one callback per feed
 * call.  Only a removed dot, a converted bare LF or a CR held across a
 * feed boundary breaks a span.
 */
#include <string.h>

#include "base/log.h"
#include "mail/smtpdata.h"

enum {
	ST_BOL,		/* at the start of a line, after CRLF */
	ST_BOL_LF,	/* at the start of a line, after a bare LF */
	ST_MID,		/* inside a line */
	ST_CR,		/* inside a line, a CR held back (input ended) */
	ST_DOT,		/* a "." at the start of a line, dropped */
	ST_DOT_CR,	/* "." CR at the start of a line, CR held back */
	ST_DONE,
};

/* One feed call: where the body goes, and the output not yet passed on
 * (a range of the input: [pend, pend_end)). */
struct run {
	struct smtpdata *d;
	smtpdata_out_fn *out;
	void *arg;
	const unsigned char *pend;
	const unsigned char *pend_end;
};

static const unsigned char crlf[] = "\r\n";

static void
flush(struct run *r)
{
	if (r->pend != NULL && r->pend_end > r->pend)
		r->out(r->arg, span_make(r->pend, (size_t)(r->pend_end -
		    r->pend)));
	r->pend = NULL;
	r->pend_end = NULL;
}

/* Pass on n input bytes at p (already counted), joining the pending
 * range when they follow it. */
static void
put(struct run *r, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	if (r->pend != NULL && r->pend_end == p) {
		r->pend_end += n;
		return;
	}
	flush(r);
	r->pend = p;
	r->pend_end = p + n;
}

/* Pass on constant bytes: never joined, since they are not input. */
static void
put_const(struct run *r, const unsigned char *p, size_t n)
{
	flush(r);
	r->out(r->arg, span_make(p, n));
}

static void
set_err(struct smtpdata *d, enum smtpdata_status e)
{
	if (d->err == SMTPDATA_DONE)
		d->err = e;
}

static uint64_t
room(uint64_t max, uint64_t used)
{
	return max == 0 ? UINT64_MAX : max - used;
}

/*
 * Count n content bytes (no line end) at p.  Returns how many fit under
 * the limits: n, or the position of the byte that trips the first limit
 * (which becomes the error).  0 after an error.
 */
static size_t
account(struct smtpdata *d, const unsigned char *p, size_t n)
{
	enum smtpdata_status e = SMTPDATA_DONE;
	uint64_t k = n;

	if (d->err != SMTPDATA_DONE)
		return 0;
	if (room(d->lim.max_size, d->body_size) < k) {
		k = room(d->lim.max_size, d->body_size);
		e = SMTPDATA_DONE_TOO_BIG;
	}
	if (room(d->lim.max_line_length, d->line_len) < k) {
		k = room(d->lim.max_line_length, d->line_len);
		e = SMTPDATA_DONE_LINE_TOO_LONG;
	}
	if (d->in_header && room(d->lim.max_header_size, d->header_size) < k) {
		k = room(d->lim.max_header_size, d->header_size);
		e = SMTPDATA_DONE_HEADER_TOO_BIG;
	}
	d->body_size += k;
	d->line_len += k;
	if (d->line_len > d->longest_line)
		d->longest_line = d->line_len;
	if (d->in_header)
		d->header_size += k;
	if (!d->has_8bit)
		d->has_8bit = span_has_8bit(span_make(p, (size_t)k));
	set_err(d, e);
	return (size_t)k;
}

/* Count a line end (CRLF on output).  False if it does not fit. */
static bool
account_eol(struct smtpdata *d)
{
	bool ends_header = d->in_header && d->line_len == 0;

	if (d->err != SMTPDATA_DONE)
		return false;
	if (room(d->lim.max_size, d->body_size) < 2) {
		set_err(d, SMTPDATA_DONE_TOO_BIG);
		return false;
	}
	if (d->in_header && !ends_header &&
	    room(d->lim.max_header_size, d->header_size) < 2) {
		set_err(d, SMTPDATA_DONE_HEADER_TOO_BIG);
		return false;
	}
	d->body_size += 2;
	if (ends_header)
		d->in_header = false;
	else if (d->in_header)
		d->header_size += 2;
	d->line_len = 0;
	return true;
}

static void
take(struct run *r, const unsigned char *p, size_t n)
{
	put(r, p, account(r->d, p, n));
}

/* A CR that was held back turned out bare (not followed by LF). */
static void
bare_cr(struct run *r)
{
	if (r->d->flags & SMTPDATA_BARE_CR_OK) {
		if (account(r->d, crlf, 1) == 1)
			put_const(r, crlf, 1);
	} else
		set_err(r->d, SMTPDATA_DONE_BARE_CR);
}

/* Line content [p, e) (no LF; a CR in it is bare). */
static void
content(struct run *r, const unsigned char *p, const unsigned char *e)
{
	const unsigned char *cr;

	if (r->d->err != SMTPDATA_DONE || p == e)
		return;
	if (r->d->flags & SMTPDATA_BARE_CR_OK) {
		take(r, p, (size_t)(e - p));
		return;
	}
	cr = memchr(p, '\r', (size_t)(e - p));
	if (cr == NULL) {
		take(r, p, (size_t)(e - p));
		return;
	}
	take(r, p, (size_t)(cr - p));
	set_err(r->d, SMTPDATA_DONE_BARE_CR);
}

/*
 * Inside a line: handle it up to and including its LF, or to the end of
 * the input.  Returns where to go on.
 */
static const unsigned char *
scan_line(struct run *r, const unsigned char *p, const unsigned char *end)
{
	struct smtpdata *d = r->d;
	const unsigned char *lf = memchr(p, '\n', (size_t)(end - p));
	const unsigned char *stop = lf != NULL ? lf : end;
	const unsigned char *ce = stop;

	if (ce > p && ce[-1] == '\r')
		ce--;
	content(r, p, ce);
	if (lf == NULL) {
		d->state = ce < stop ? ST_CR : ST_MID;
		return end;
	}
	if (ce < stop) {
		if (account_eol(d))
			put(r, ce, 2);
		d->state = ST_BOL;
	} else if (d->flags & SMTPDATA_BARE_LF_OK) {
		if (account_eol(d))
			put_const(r, crlf, 2);
		d->state = ST_BOL_LF;
	} else {
		/* Not a line end: what follows is no new line, so a "."
		 * after it can never be taken for the end marker. */
		set_err(d, SMTPDATA_DONE_BARE_LF);
		d->state = ST_MID;
	}
	return lf + 1;
}

/* The states between lines and around a held CR, one byte at most. */
static const unsigned char *
step_edge(struct run *r, const unsigned char *p)
{
	struct smtpdata *d = r->d;

	switch (d->state) {
	case ST_BOL:
		if (!d->bdat && *p == '.') {
			d->state = ST_DOT;	/* exactly one dot is dropped */
			return p + 1;
		}
		d->state = ST_MID;
		return p;
	case ST_BOL_LF:
		/* Unstuffed, but never the end marker: that needs a CRLF
		 * before the dot, as sent. */
		d->state = ST_MID;
		return !d->bdat && *p == '.' ? p + 1 : p;
	case ST_DOT:
		if (*p == '\r') {
			d->state = ST_DOT_CR;
			return p + 1;
		}
		/* Any other byte, a bare LF too (scan_line rules on it),
		 * goes on as a line that lost its dot. */
		d->state = ST_MID;
		return p;
	case ST_DOT_CR:
		if (*p == '\n') {
			d->state = ST_DONE;
			return p + 1;
		}
		bare_cr(r);
		d->state = ST_MID;
		return p;
	default:	/* ST_CR */
		if (*p == '\n') {
			if (account_eol(d))
				put_const(r, crlf, 2);
			d->state = ST_BOL;
			return p + 1;
		}
		bare_cr(r);
		d->state = ST_MID;
		return p;
	}
}

/* Decode [p, end) up to the end marker; returns where it stopped. */
static const unsigned char *
run_bytes(struct run *r, const unsigned char *p, const unsigned char *end)
{
	while (p < end && r->d->state != ST_DONE) {
		if (r->d->state == ST_MID)
			p = scan_line(r, p, end);
		else
			p = step_edge(r, p);
	}
	return p;
}

void
smtpdata_init(struct smtpdata *d, const struct smtpdata_limits *lim,
    unsigned flags)
{
	memset(d, 0, sizeof(*d));
	d->lim = *lim;
	d->flags = flags;
	d->state = ST_BOL;
	d->err = SMTPDATA_DONE;
	d->in_header = true;
}

size_t
smtpdata_feed(struct smtpdata *d, struct span in, smtpdata_out_fn *out,
    void *arg)
{
	struct run r = { d, out, arg, NULL, NULL };
	const unsigned char *p;

	ASSERT(!d->bdat);
	if (in.len == 0 || d->state == ST_DONE)
		return 0;
	p = run_bytes(&r, in.p, in.p + in.len);
	flush(&r);
	return (size_t)(p - in.p);
}

enum smtpdata_status
smtpdata_status(const struct smtpdata *d)
{
	if (d->state != ST_DONE)
		return SMTPDATA_MORE;
	return d->err;
}

bool
smtpdata_failed(const struct smtpdata *d)
{
	return d->err != SMTPDATA_DONE;
}

void
smtpdata_bdat_init(struct smtpdata *d, const struct smtpdata_limits *lim,
    unsigned flags)
{
	smtpdata_init(d, lim, flags);
	d->bdat = true;
}

void
smtpdata_bdat_chunk(struct smtpdata *d, uint64_t len, bool last)
{
	ASSERT(d->bdat && !d->chunk_open && d->state != ST_DONE);
	d->chunk_left = len;
	d->chunk_last = last;
	d->chunk_open = true;
}

size_t
smtpdata_bdat_feed(struct smtpdata *d, struct span in, smtpdata_out_fn *out,
    void *arg)
{
	struct run r = { d, out, arg, NULL, NULL };
	size_t n = in.len;

	ASSERT(d->bdat);
	if (!d->chunk_open)
		return 0;
	if (n > d->chunk_left)
		n = (size_t)d->chunk_left;
	if (n > 0)
		(void)run_bytes(&r, in.p, in.p + n);
	d->chunk_left -= n;
	if (d->chunk_left == 0) {
		d->chunk_open = false;
		if (d->chunk_last) {
			/* The message ends: a CR still held is bare. */
			if (d->state == ST_CR)
				bare_cr(&r);
			d->state = ST_DONE;
		}
	}
	flush(&r);
	return n;
}

bool
smtpdata_bdat_in_chunk(const struct smtpdata *d)
{
	return d->chunk_open;
}

int
smtpdata_refusal(enum smtpdata_status st, const char **enh_out,
    const char **text_out)
{
	static const struct {
		enum smtpdata_status st;
		int code;
		const char *enh;
		const char *text;
	} refusals[] = {
		{ SMTPDATA_DONE_BARE_LF, 550, "5.5.2",
		    "Error: bare <LF> received" },
		{ SMTPDATA_DONE_BARE_CR, 550, "5.5.2",
		    "Error: bare <CR> received" },
		{ SMTPDATA_DONE_TOO_BIG, 552, "5.3.4",
		    "Message size exceeds fixed limit" },
		{ SMTPDATA_DONE_LINE_TOO_LONG, 554, "5.6.0",
		    "Message content rejected: line too long" },
		{ SMTPDATA_DONE_HEADER_TOO_BIG, 552, "5.3.4",
		    "Message header too large" },
	};

	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].st == st) {
			*enh_out = refusals[i].enh;
			*text_out = refusals[i].text;
			return refusals[i].code;
		}
	return 0;
}
