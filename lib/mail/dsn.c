/*
 * dsn.c - compose a delivery status notification (format: postern-dsn(5)):
 * a multipart/report (RFC 6522) of a text for people, the
 * message/delivery-status part (RFC 3464) and the original or its header.
 * Linked into: qmgr.  Trust: the recipients' addresses, the remote
 * replies and the original are hostile; each value passes an encoder of
 * dsn_enc.c before it is written, and the boundary is checked against
 * every part.  The caller's own values (host name, ids) are checked and
 * refused when they could break the format.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mail/dsn.h"
#include "mail/dsn_impl.h"
#include "mail/hdr.h"
#include "mail/smtpcmd.h"
#include "mail/smtpreply.h"

/* Longest host name, ids and From address the caller may give. */
#define NAME_MAX_LEN 255
/* Boundaries tried before giving up (each must be absent everywhere). */
#define BOUNDARY_TRIES 100

struct ctx {
	const struct dsn_notice *n;
	enum dsn_kind kind;
	enum dsn_returned returned;
	bool global;          /* SMTPUTF8: RFC 6533 types and UTF-8 text */
	struct dsn_scan scan; /* of what the original part holds */
	struct span orig;     /* the content or its header */
};

enum dsn_kind
dsn_kind(const struct dsn_rcpt *rcpt, size_t nrcpt)
{
	enum dsn_kind k = DSN_KIND_SUCCESS;
	size_t i;

	for (i = 0; i < nrcpt; i++) {
		if (rcpt[i].action == DSN_FAILED)
			return DSN_KIND_FAILURE;
		if (rcpt[i].action == DSN_DELAYED)
			k = DSN_KIND_DELAY;
	}
	return k;
}

static char
action_class(enum dsn_action a)
{
	return a == DSN_FAILED ? '5' : a == DSN_DELAYED ? '4' : '2';
}

static const char *
action_name(enum dsn_action a)
{
	switch (a) {
	case DSN_FAILED:
		return "failed";
	case DSN_DELAYED:
		return "delayed";
	case DSN_DELIVERED:
		return "delivered";
	case DSN_RELAYED:
		return "relayed";
	case DSN_EXPANDED:
		return "expanded";
	}
	return "failed";
}

/* The Status of r: its own when it is "c.s.d" (RFC 3463 section 2) of
 * the action's class, else the class's "c.0.0". */
static void
status_of(const struct dsn_rcpt *r, char out[16])
{
	struct span s = r->status;
	char cls = action_class(r->action);

	if (s.len > 0 && s.len < 16 && smtpreply_enh_len(s, cls) == s.len) {
		memcpy(out, s.p, s.len);
		out[s.len] = '\0';
	} else {
		snprintf(out, 16, "%c.0.0", cls);
	}
}

/* The caller's own values: refuse what would break the format. */
static int
check_notice(const struct dsn_notice *n, struct why *why)
{
	char date[DSN_DATE_SIZE];
	size_t i;

	if (n->mta.len > NAME_MAX_LEN || !dsn_all_in(n->mta, 0x21, 0x7e))
		return why_set(why, "bad reporting MTA name");
	if (n->from.len > NAME_MAX_LEN ||
	    (n->from.len > 0 && !dsn_all_in(n->from, 0x21, 0x7e)))
		return why_set(why, "bad From address");
	if (n->message_id.len > NAME_MAX_LEN ||
	    !dsn_all_in(n->message_id, 0x21, 0x7e) ||
	    span_chr(n->message_id, '<') >= 0 ||
	    span_chr(n->message_id, '>') >= 0)
		return why_set(why, "bad Message-ID");
	if (n->queue_id.len > NAME_MAX_LEN ||
	    !dsn_all_in(n->queue_id, 0x21, 0x7e))
		return why_set(why, "bad queue id");
	if (n->to.len == 0)
		return why_set(why, "no recipient for the notice");
	if (n->nrcpt == 0)
		return why_set(why, "no recipients to report on");
	if (dsn_date(n->date, n->tz_minutes, date) == -1 ||
	    (n->arrival != 0 &&
	     dsn_date(n->arrival, n->tz_minutes, date) == -1))
		return why_set(why, "date or UTC offset out of range");
	for (i = 0; i < n->nrcpt; i++) {
		const struct dsn_rcpt *r = &n->rcpt[i];

		if (r->addr.len == 0)
			return why_set(why, "recipient %zu has no address", i);
		if ((r->last_attempt != 0 &&
		     dsn_date(r->last_attempt, n->tz_minutes, date) == -1) ||
		    (r->retry_until != 0 &&
		     dsn_date(r->retry_until, n->tz_minutes, date) == -1))
			return why_set(why, "recipient %zu: date out of range",
			               i);
	}
	return 0;
}

/* An optional date field (t 0: none). */
static int
date_field(struct buf *b, const char *name, int64_t t, int tz)
{
	char date[DSN_DATE_SIZE];

	if (t == 0)
		return 0;
	if (dsn_date(t, tz, date) == -1)
		return -1;
	return dsn_field(b, name, span_str(date));
}

/* "prefix" + the cleaned text as a field; nothing when text is empty. */
static int
text_field(struct buf *b, const char *name, const char *prefix,
           struct span text, bool utf8)
{
	struct buf v;
	int r;

	if (text.len == 0)
		return 0;
	buf_init(&v, DSN_VALUE_MAX + 1);
	r = buf_adds(&v, prefix);
	r |= dsn_clean(&v, text, utf8, DSN_VALUE_MAX - v.len);
	/* Text of nothing but blanks makes no field. */
	if (r == 0 && v.len > strlen(prefix))
		r = dsn_field(b, name, buf_span(&v));
	buf_fini(&v);
	return r;
}

/* Original-Envelope-Id: printable ASCII as it is, else as xtext. */
static int
envid_field(struct buf *b, struct span envid)
{
	struct buf v;
	int r;

	if (envid.len == 0)
		return 0;
	if (dsn_all_in(envid, 0x21, 0x7e))
		return dsn_field(b, "Original-Envelope-Id",
		                 span_sub(envid, 0, DSN_VALUE_MAX));
	buf_init(&v, DSN_VALUE_MAX);
	/* RFC 3461 allows 100 characters; three bytes each at most. */
	r = smtpcmd_xtext_encode(span_sub(envid, 0, DSN_VALUE_MAX / 3), &v);
	r |= dsn_field(b, "Original-Envelope-Id", buf_span(&v));
	buf_fini(&v);
	return r;
}

static int
addr_field(struct buf *b, const char *name, struct span type, struct span addr,
           bool global, bool final)
{
	struct buf v;
	int r;

	buf_init(&v, DSN_VALUE_MAX);
	r = dsn_addr(&v, type, addr, global, final);
	r |= dsn_field(b, name, buf_span(&v));
	buf_fini(&v);
	return r;
}

static int
rcpt_fields(struct buf *b, const struct ctx *c, const struct dsn_rcpt *r)
{
	char status[16];
	int tz = c->n->tz_minutes;
	int e = 0;

	status_of(r, status);
	e |= buf_add(b, "\r\n", 2);
	if (r->orcpt.len > 0 && r->orcpt_type.len > 0)
		e |= addr_field(b, "Original-Recipient", r->orcpt_type,
		                r->orcpt, c->global, false);
	e |= addr_field(b, "Final-Recipient", span_str("rfc822"), r->addr,
	                c->global, true);
	e |= dsn_field(b, "Action", span_str(action_name(r->action)));
	e |= dsn_field(b, "Status", span_str(status));
	e |= text_field(b, "Remote-MTA", "dns; ", r->remote_mta, c->global);
	e |= text_field(b, "Diagnostic-Code", "smtp; ", r->diag, c->global);
	e |= date_field(b, "Last-Attempt-Date", r->last_attempt, tz);
	if (r->action == DSN_DELAYED)
		e |= date_field(b, "Will-Retry-Until", r->retry_until, tz);
	return e;
}

/* The message/delivery-status part (RFC 3464 section 2). */
static int
status_part(struct buf *b, const struct ctx *c)
{
	const struct dsn_notice *n = c->n;
	size_t i;
	int e;

	e = buf_adds(b, c->global
	                    ? "Content-Type: message/global-delivery-status\r\n"
	                      "Content-Transfer-Encoding: 8bit\r\n"
	                    : "Content-Type: message/delivery-status\r\n");
	e |= buf_adds(b, "Content-Description: Delivery report\r\n\r\n");
	e |= text_field(b, "Reporting-MTA", "dns; ", n->mta, false);
	e |= dsn_field(b, "X-Postern-Queue-ID", n->queue_id);
	e |= envid_field(b, n->envid);
	e |= date_field(b, "Arrival-Date", n->arrival, n->tz_minutes);
	for (i = 0; i < n->nrcpt && e == 0; i++)
		e |= rcpt_fields(b, c, &n->rcpt[i]);
	return e;
}

/* A paragraph of the text part from a format (our words, and values
 * that were cleaned or checked already), wrapped. */
static int para(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
para(struct buf *b, const char *fmt, ...)
{
	struct buf t;
	va_list ap;
	int r;

	buf_init(&t, 4 * DSN_VALUE_MAX);
	va_start(ap, fmt);
	r = buf_vaddf(&t, fmt, ap);
	va_end(ap);
	r |= dsn_wrap(b, buf_span(&t), 0, 0);
	r |= buf_add(b, "\r\n", 2);
	buf_fini(&t);
	return r;
}

static int
intro(struct buf *b, const struct ctx *c)
{
	const char *host = (const char *)c->n->mta.p;
	int hlen = (int)c->n->mta.len;
	const char *att = c->returned == DSN_RETURNED_FULL
	                      ? "Your message is attached."
	                      : "The header of your message is attached.";
	int r;

	r = para(b, "This is the mail system at %.*s.", hlen, host);
	switch (c->kind) {
	case DSN_KIND_FAILURE:
		r |= para(b,
		          "Your message could not be delivered to the "
		          "recipients listed below, and the mail system has "
		          "stopped trying. The reason is given for each of "
		          "them. %s",
		          att);
		r |= para(b,
		          "If you need help, write to the postmaster of "
		          "%.*s and include this report.",
		          hlen, host);
		break;
	case DSN_KIND_DELAY:
		r |=
		    para(b,
		         "Your message has not yet reached the recipients "
		         "listed below. The mail system is still trying; there "
		         "is no need to send it again. You will get another "
		         "notice if it gives up. %s",
		         att);
		break;
	case DSN_KIND_SUCCESS:
		r |= para(b,
		          "You asked to be told when your message reached "
		          "its recipients. This report is about the recipients "
		          "listed below. %s",
		          att);
		break;
	}
	return r;
}

/* What happened, in words, for the first line of a recipient's
 * paragraph. */
static int
outcome(struct buf *t, const struct dsn_rcpt *r, int tz)
{
	char date[DSN_DATE_SIZE];

	switch (r->action) {
	case DSN_FAILED:
		return buf_adds(t, "could not be delivered");
	case DSN_DELAYED:
		if (r->retry_until == 0 ||
		    dsn_date(r->retry_until, tz, date) == -1)
			return buf_adds(t, "not delivered yet, still trying");
		return buf_addf(t, "not delivered yet, still trying until %s",
		                date);
	case DSN_DELIVERED:
		return buf_adds(t, "delivered");
	case DSN_RELAYED:
		return buf_adds(t, "passed on to a mail system that does not "
		                   "report delivery");
	case DSN_EXPANDED:
		return buf_adds(t, "delivered to the members of an alias or "
		                   "mailing list");
	}
	return 0;
}

/* One recipient's paragraph: the address and outcome, then why. */
static int
rcpt_para(struct buf *b, const struct ctx *c, const struct dsn_rcpt *r)
{
	char status[16];
	struct buf t;
	int e;

	status_of(r, status);
	buf_init(&t, 4 * DSN_VALUE_MAX);
	e = buf_addc(&t, '<');
	e |= dsn_clean(&t, r->addr, c->global, DSN_VALUE_MAX);
	e |= buf_adds(&t, ">: ");
	e |= outcome(&t, r, c->n->tz_minutes);
	e |= buf_addf(&t, " (status %s)", status);
	e |= dsn_wrap(b, buf_span(&t), 0, 4);
	buf_reset(&t);
	if (r->reason.len > 0) {
		e |= dsn_clean(&t, r->reason, c->global, DSN_VALUE_MAX);
	} else if (r->diag.len > 0) {
		e |= buf_adds(&t, "The remote server ");
		e |= dsn_clean(&t, r->remote_mta, c->global, 300);
		e |= buf_adds(&t, t.len > 0 && t.p[t.len - 1] == ' '
		                      ? "said: "
		                      : " said: ");
		e |= dsn_clean(&t, r->diag, c->global, DSN_VALUE_MAX);
	}
	if (t.len > 0)
		e |= dsn_wrap(b, buf_span(&t), 4, 4);
	e |= buf_add(b, "\r\n", 2);
	buf_fini(&t);
	return e;
}

/* The text for people (RFC 6522 section 3: the first part). */
static int
text_part(struct buf *b, const struct ctx *c)
{
	size_t i;
	int e;

	e = buf_adds(b, c->global
	                    ? "Content-Type: text/plain; charset=utf-8\r\n"
	                      "Content-Transfer-Encoding: 8bit\r\n"
	                    : "Content-Type: text/plain; charset=us-ascii\r\n");
	e |= buf_adds(b, "Content-Description: Notification\r\n\r\n");
	e |= intro(b, c);
	for (i = 0; i < c->n->nrcpt && e == 0; i++)
		e |= rcpt_para(b, c, &c->n->rcpt[i]);
	return e;
}

/*
 * What the third part returns: the whole message only in a failure
 * notice (RFC 3461 section 4.3: RET is about failed DSNs; delay and
 * success notices carry the header), when RET allows it, it fits
 * size_limit, and it can travel as it is: message/rfc822 admits no
 * transfer encoding but 7bit and 8bit (RFC 2046 section 5.2.1), while
 * message/global may be quoted-printable (RFC 6532 section 3.5).
 */
static void
choose_return(struct ctx *c)
{
	const struct dsn_notice *n = c->n;
	struct dsn_scan *sc = &c->scan;

	if (c->kind == DSN_KIND_FAILURE && n->ret != DSN_RET_HDRS &&
	    n->content.len <= n->size_limit) {
		dsn_scan(n->content, sc);
		if (c->global || (!sc->bad && !sc->long_line &&
		                  (!sc->eight_bit || n->allow_8bit))) {
			c->returned = DSN_RETURNED_FULL;
			c->orig = n->content;
			return;
		}
	}
	c->returned = DSN_RETURNED_HDRS;
	c->orig = span_sub(n->content, 0, hdr_block_len(n->content));
	dsn_scan(c->orig, sc);
}

static const char *
orig_type(const struct ctx *c)
{
	if (c->returned == DSN_RETURNED_FULL)
		return c->global ? "message/global" : "message/rfc822";
	return c->global ? "message/global-headers" : "text/rfc822-headers";
}

static const char *
orig_description(const struct ctx *c)
{
	if (c->returned == DSN_RETURNED_FULL)
		return "Undelivered Message";
	return c->kind == DSN_KIND_FAILURE ? "Undelivered Message Headers"
	       : c->kind == DSN_KIND_DELAY ? "Delayed Message Headers"
	                                   : "Delivered Message Headers";
}

/* The original or its header (RFC 6522 section 3: the third part). */
static int
original_part(struct buf *b, const struct ctx *c)
{
	const struct dsn_scan *sc = &c->scan;
	/* text/rfc822-headers is text: 7-bit unless quoted-printable. */
	bool qp =
	    sc->bad || sc->long_line ||
	    (sc->eight_bit && !c->global && c->returned == DSN_RETURNED_HDRS);
	int e;

	e = buf_addf(b, "Content-Type: %s\r\n", orig_type(c));
	e |= buf_addf(b, "Content-Description: %s\r\n", orig_description(c));
	if (qp)
		e |= buf_adds(
		    b, "Content-Transfer-Encoding: quoted-printable\r\n");
	else if (sc->eight_bit)
		e |= buf_adds(b, "Content-Transfer-Encoding: 8bit\r\n");
	e |= buf_add(b, "\r\n", 2);
	e |= qp ? dsn_qp(b, c->orig) : dsn_copy_lines(b, c->orig);
	return e;
}

static bool
contains(struct span hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= hay.len; i++)
		if (hay.p[i] == (unsigned char)needle[0] &&
		    memcmp(hay.p + i, needle, n) == 0)
			return true;
	return false;
}

/*
 * A boundary found in no part: "=_" (never in quoted-printable), "dsn.",
 * the queue id's letters and digits, and a number counting up from 0
 * while the candidate is found somewhere.  Returns 0, or -1.
 */
static int
pick_boundary(const struct dsn_notice *n, const struct buf parts[3],
              char out[64])
{
	char id[33];
	size_t i, k = 0;
	unsigned try;

	for (i = 0; i < n->queue_id.len && k < sizeof(id) - 1; i++)
		if ((n->queue_id.p[i] >= '0' && n->queue_id.p[i] <= '9') ||
		    ((n->queue_id.p[i] | 0x20) >= 'a' &&
		     (n->queue_id.p[i] | 0x20) <= 'z'))
			id[k++] = (char)n->queue_id.p[i];
	id[k] = '\0';
	for (try = 0; try < BOUNDARY_TRIES; try++) {
		snprintf(out, 64, "=_dsn.%s.%u", id, try);
		if (!contains(buf_span(&parts[0]), out) &&
		    !contains(buf_span(&parts[1]), out) &&
		    !contains(buf_span(&parts[2]), out))
			return 0;
	}
	return -1;
}

static const char *
subject(enum dsn_kind k)
{
	return k == DSN_KIND_FAILURE ? "Undelivered Mail Returned to Sender"
	       : k == DSN_KIND_DELAY ? "Delayed Mail (still being retried)"
	                             : "Successful Mail Delivery Report";
}

/* From: "NAME" <ADDR>, the name cleaned and quoted (RFC 5322 3.2.4). */
static int
from_field(struct buf *b, const struct ctx *c)
{
	const struct dsn_notice *n = c->n;
	struct span name = n->from_name.len > 0
	                       ? n->from_name
	                       : span_str("Mail Delivery System");
	struct buf v, clean;
	size_t i;
	int e;

	buf_init(&v, DSN_VALUE_MAX);
	buf_init(&clean, DSN_VALUE_MAX);
	e = dsn_clean(&clean, name, c->global, 200);
	e |= buf_addc(&v, '"');
	for (i = 0; i < clean.len; i++) {
		if (clean.p[i] == '"' || clean.p[i] == '\\')
			e |= buf_addc(&v, '\\');
		e |= buf_addc(&v, clean.p[i]);
	}
	if (n->from.len > 0)
		e |= buf_addf(&v, "\" <%.*s>", (int)n->from.len,
		              (const char *)n->from.p);
	else
		e |= buf_addf(&v, "\" <MAILER-DAEMON@%.*s>", (int)n->mta.len,
		              (const char *)n->mta.p);
	e |= dsn_field(b, "From", buf_span(&v));
	buf_fini(&clean);
	buf_fini(&v);
	return e;
}

static int
notice_header(struct buf *b, const struct ctx *c, const char *boundary)
{
	const struct dsn_notice *n = c->n;
	char date[DSN_DATE_SIZE];
	struct buf v;
	int e;

	buf_init(&v, DSN_VALUE_MAX);
	e = from_field(b, c);
	e |= buf_addc(&v, '<');
	e |= dsn_clean(&v, n->to, c->global, DSN_VALUE_MAX - 2);
	e |= buf_addc(&v, '>');
	e |= dsn_field(b, "To", buf_span(&v));
	buf_fini(&v);
	e |= dsn_field(b, "Subject", span_str(subject(c->kind)));
	if (dsn_date(n->date, n->tz_minutes, date) == -1)
		return -1;
	e |= dsn_field(b, "Date", span_str(date));
	e |= buf_addf(b, "Message-ID: <%.*s>\r\n", (int)n->message_id.len,
	              (const char *)n->message_id.p);
	/* RFC 3834 section 5: no auto-responder answers this. */
	e |= buf_adds(b, "Auto-Submitted: auto-replied\r\n");
	e |= buf_adds(b, "MIME-Version: 1.0\r\n");
	/* RFC 6522 section 3: report-type is the second part's subtype. */
	e |= buf_addf(b,
	              "Content-Type: multipart/report; report-type=%s;\r\n"
	              "\tboundary=\"%s\"\r\n",
	              c->global ? "global-delivery-status" : "delivery-status",
	              boundary);
	return e;
}

/* Header, preamble, the three parts between boundaries, the end. */
static int
assemble(struct buf *out, const struct buf *hb, const struct buf parts[3],
         const char *boundary, bool eight_bit)
{
	size_t i;
	int e;

	e = buf_addspan(out, buf_span(hb));
	if (eight_bit)
		e |= buf_adds(out, "Content-Transfer-Encoding: 8bit\r\n");
	e |= buf_adds(out, "\r\nThis is a delivery status notification in "
	                   "MIME format.\r\n");
	for (i = 0; i < 3; i++) {
		e |= buf_addf(out, "--%s\r\n", boundary);
		e |= buf_addspan(out, buf_span(&parts[i]));
	}
	/* The CRLF before a boundary belongs to it (RFC 2046 section
	 * 5.1.1): one more keeps the original's last line end. */
	e |= buf_addf(out, "\r\n--%s--\r\n", boundary);
	return e;
}

int
dsn_make(const struct dsn_notice *n, struct buf *out, struct dsn_info *info_out,
         struct why *why)
{
	struct ctx c = {.n = n};
	struct buf parts[3], hb;
	char boundary[64];
	size_t old = out->len, i;
	bool eight_bit;
	int e;

	if (check_notice(n, why) == -1)
		return -1;
	c.kind = dsn_kind(n->rcpt, n->nrcpt);
	c.global = n->smtputf8;
	choose_return(&c);
	buf_init(&hb, out->max);
	for (i = 0; i < 3; i++)
		buf_init(&parts[i], out->max);
	e = text_part(&parts[0], &c);
	e |= status_part(&parts[1], &c);
	e |= original_part(&parts[2], &c);
	if (e == 0 && pick_boundary(n, parts, boundary) == -1) {
		why_set(why, "no MIME boundary found that is not in the text");
		e = -2;
	}
	if (e == 0)
		e = notice_header(&hb, &c, boundary);
	eight_bit = span_has_8bit(buf_span(&hb));
	for (i = 0; i < 3; i++)
		eight_bit |= span_has_8bit(buf_span(&parts[i]));
	if (e == 0)
		e = assemble(out, &hb, parts, boundary, eight_bit);
	if (e == -1)
		why_set(why, "the notice would pass %zu bytes", out->max);
	if (e != 0)
		buf_truncate(out, old);
	else if (info_out != NULL)
		*info_out = (struct dsn_info){c.kind, c.returned, eight_bit};
	buf_fini(&hb);
	for (i = 0; i < 3; i++)
		buf_fini(&parts[i]);
	return e == 0 ? 0 : -1;
}
