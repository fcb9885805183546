/*
 * deliverreq.c - the qmgr <-> delivery agent request and result lines
 * (protocol: deliverreq.h, qmgr(8)).
 * Linked into: qmgr and the delivery agents.  Pure.  Trust: every line
 * is hostile until it has parsed.
 */
#include <stdio.h>
#include <string.h>

#include "base/parse.h"
#include "mail/deliverreq.h"
#include "mail/smtpreply.h"

enum { SEEN_QID = 1, SEEN_NEXTHOP = 2, SEEN_END = 4 };

void
deliverreq_init(struct deliverreq *r)
{
	memset(r, 0, sizeof(*r));
}

/* A next hop is printable ASCII without blanks. */
static bool
nexthop_ok(struct span s)
{
	size_t i;

	if (s.len == 0 || s.len >= DELIVERREQ_NEXTHOP_SIZE)
		return false;
	for (i = 0; i < s.len; i++)
		if (s.p[i] <= ' ' || s.p[i] >= 0x7f)
			return false;
	return true;
}

/* Split "word value" at the first space. */
static void
split_word(struct span line, struct span *word, struct span *value)
{
	long sp = span_chr(line, ' ');

	if (sp < 0) {
		*word = line;
		*value = span_make(line.p + line.len, 0);
		return;
	}
	*word = span_sub(line, 0, (size_t)sp);
	*value = span_sub(line, (size_t)sp + 1, line.len - (size_t)sp - 1);
}

int
deliverreq_parse_line(struct deliverreq *r, struct span line, struct why *why)
{
	struct span word, value;
	uint64_t n;

	if (r->seen & SEEN_END)
		return why_set(why, "line after end");
	split_word(line, &word, &value);
	if (span_eq(word, "queue_id")) {
		if (r->seen & SEEN_QID)
			return why_set(why, "queue_id repeated");
		if (!qid_valid(value))
			return why_set(why, "bad queue id");
		memcpy(r->qid, value.p, value.len);
		r->qid[value.len] = '\0';
		r->seen |= SEEN_QID;
		return 0;
	}
	if (span_eq(word, "nexthop")) {
		if (r->seen & SEEN_NEXTHOP)
			return why_set(why, "nexthop repeated");
		if (!nexthop_ok(value))
			return why_set(why, "bad next hop");
		memcpy(r->nexthop, value.p, value.len);
		r->nexthop[value.len] = '\0';
		r->seen |= SEEN_NEXTHOP;
		return 0;
	}
	if (span_eq(word, "rcpt")) {
		if (parse_u64(value, 0, QFILE_MAX_RCPT - 1, &n) == -1)
			return why_set(why, "bad recipient index");
		if (r->nrcpt == DELIVERREQ_MAX_RCPT)
			return why_set(why, "too many recipients");
		if (r->nrcpt > 0 && n <= r->rcpt[r->nrcpt - 1])
			return why_set(why, "recipient indexes not ascending");
		r->rcpt[r->nrcpt++] = (uint32_t)n;
		return 0;
	}
	if (span_eq(word, "end") && value.len == 0) {
		if ((r->seen & (SEEN_QID | SEEN_NEXTHOP)) !=
			(SEEN_QID | SEEN_NEXTHOP) ||
		    r->nrcpt == 0)
			return why_set(why, "incomplete request");
		r->seen |= SEEN_END;
		return 1;
	}
	return why_set(why, "unknown request line");
}

int
deliverreq_format(struct buf *out, const char *qid, const char *nexthop,
    const uint32_t *rcpt, size_t nrcpt)
{
	size_t mark = out->len;
	size_t i;
	int r;

	if (!qid_valid_str(qid) || !nexthop_ok(span_str(nexthop)) ||
	    nrcpt == 0 || nrcpt > DELIVERREQ_MAX_RCPT)
		return -1;
	r = buf_addf(out, "queue_id %s\nnexthop %s\n", qid, nexthop);
	for (i = 0; r == 0 && i < nrcpt; i++)
		r = buf_addf(out, "rcpt %u\n", (unsigned)rcpt[i]);
	if (r == 0)
		r = buf_adds(out, "end\n");
	if (r == -1)
		out->len = mark;
	return r;
}

bool
deliverreq_dsn_ok(const char *dsn, char state)
{
	char want = state == DELIVERREQ_SENT ? '2' :
	    state == DELIVERREQ_DEFERRED ? '4' :
	    state == DELIVERREQ_BOUNCED ? '5' : 0;
	struct span s = span_str(dsn);

	return want != 0 && s.len > 0 && smtpreply_enh_len(s, want) == s.len;
}

/* Append s with control characters and TAB written as spaces. */
static int
add_clean(struct buf *out, const char *s)
{
	size_t i, n = strnlen(s, DELIVERREQ_TEXT_MAX);
	int r = 0;

	for (i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		r = buf_addc(out, c < ' ' || c == 0x7f ? ' ' : c);
	}
	return r;
}

int
deliverreq_result_format(struct buf *out, const struct deliverreq_result *r)
{
	size_t mark = out->len;
	int rc;

	if (!deliverreq_dsn_ok(r->dsn, r->state))
		return -1;
	rc = buf_addf(out, "result\t%u\t%c\t%s\t%c\t", (unsigned)r->index,
	    r->state, r->dsn, r->dest ? 'd' : 'r');
	if (rc == 0)
		rc = add_clean(out, r->relay[0] != '\0' ? r->relay : "none");
	if (rc == 0)
		rc = buf_addf(out, "\t%u\t%u\t", (unsigned)r->conn_ms,
		    (unsigned)r->xmit_ms);
	if (rc == 0)
		rc = add_clean(out, r->reply);
	if (rc == 0)
		rc = buf_addc(out, '\t');
	if (rc == 0)
		rc = add_clean(out, r->text);
	if (rc == 0)
		rc = buf_addc(out, '\n');
	if (rc == -1 || out->len - mark > DELIVERREQ_MAX_LINE + 1) {
		out->len = mark;
		return -1;
	}
	return 0;
}

int
deliverreq_done_format(struct buf *out)
{
	return buf_adds(out, "done\n");
}

/* Copy a field without control characters into out (size bytes). */
static int
copy_field(struct span f, char *out, size_t size)
{
	size_t i;

	if (f.len >= size)
		return -1;
	for (i = 0; i < f.len; i++)
		if (f.p[i] < ' ' || f.p[i] == 0x7f)
			return -1;
	memcpy(out, f.p, f.len);
	out[f.len] = '\0';
	return 0;
}

int
deliverreq_result_parse(struct span line, struct deliverreq_result *out,
    struct why *why)
{
	struct span f[10];
	struct span rest = line;
	uint64_t n[3];
	size_t i;

	if (span_eq(line, "done"))
		return 1;
	if (line.len > DELIVERREQ_MAX_LINE)
		return why_set(why, "result line too long");
	memset(out, 0, sizeof(*out));
	for (i = 0; i < 9; i++) {
		long tab = span_chr(rest, '\t');

		if (tab < 0)
			return why_set(why, "too few fields in result");
		f[i] = span_sub(rest, 0, (size_t)tab);
		rest = span_sub(rest, (size_t)tab + 1,
		    rest.len - (size_t)tab - 1);
	}
	f[9] = rest;
	if (!span_eq(f[0], "result"))
		return why_set(why, "not a result line");
	if (parse_u64(f[1], 0, QFILE_MAX_RCPT - 1, &n[0]) == -1 ||
	    parse_u64(f[6], 0, UINT32_MAX, &n[1]) == -1 ||
	    parse_u64(f[7], 0, UINT32_MAX, &n[2]) == -1)
		return why_set(why, "bad number in result");
	if (f[2].len != 1 || copy_field(f[3], out->dsn, sizeof(out->dsn)) ==
		-1 ||
	    !deliverreq_dsn_ok(out->dsn, (char)f[2].p[0]))
		return why_set(why, "bad state or status code in result");
	if (!span_eq(f[4], "r") && !span_eq(f[4], "d"))
		return why_set(why, "bad scope in result");
	if (f[5].len == 0 ||
	    copy_field(f[5], out->relay, sizeof(out->relay)) == -1 ||
	    copy_field(f[8], out->reply, sizeof(out->reply)) == -1 ||
	    copy_field(f[9], out->text, sizeof(out->text)) == -1)
		return why_set(why, "bad text field in result");
	out->index = (uint32_t)n[0];
	out->state = (char)f[2].p[0];
	out->dest = span_eq(f[4], "d");
	out->conn_ms = (uint32_t)n[1];
	out->xmit_ms = (uint32_t)n[2];
	return 0;
}
