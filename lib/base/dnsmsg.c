/*
 * dnsmsg.c - build DNS queries and parse DNS responses (RFC 1035 4).
 * Linked into: smtpd and the SMTP delivery agent (through dns).  Trust:
 * a response is hostile bytes: each read is checked against the message
 * length first, compressed names may only point backwards and are
 * bounded in length, labels and pointers, and a malformed record fails
 * the whole message.
 */
#include <stdio.h>
#include <string.h>

#include "base/dnsmsg.h"

/* Most pointers followed in one name: a name has at most 127 labels,
 * and a sane encoder never points at a pointer. */
#define MAX_HOPS 127

/* Header flags (RFC 1035 4.1.1), in the 16-bit word after the id. */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080

static unsigned int
get16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void
put16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

int
dnsmsg_query(uint16_t id, const char *name, uint16_t type,
    unsigned char *out, size_t cap, size_t *len_out, struct why *why)
{
	size_t len = strlen(name);
	size_t wire;
	size_t pos = DNSMSG_HDR_LEN;
	size_t start = 0;
	size_t i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return why_set(why, "empty name");
	/* Each label gets a length octet in place of its dot, plus one for
	 * the first label and the root's zero octet. */
	wire = len + 2;
	if (wire > DNSMSG_NAME_WIRE_MAX)
		return why_set(why, "name longer than %d octets",
		    DNSMSG_NAME_WIRE_MAX);
	if (cap < DNSMSG_HDR_LEN + wire + 4)
		return why_set(why, "no room for the query");
	memset(out, 0, DNSMSG_HDR_LEN);
	put16(out, id);
	put16(out + 2, F_RD);
	put16(out + 4, 1);
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start || i - start > DNSMSG_LABEL_MAX)
			return why_set(why, "empty or overlong label");
		out[pos++] = (unsigned char)(i - start);
		memcpy(out + pos, name + start, i - start);
		pos += i - start;
		start = i + 1;
	}
	out[pos++] = 0;
	put16(out + pos, type);
	put16(out + pos + 2, DNSMSG_CLASS_IN);
	*len_out = pos + 4;
	return 0;
}

/* Append one label to the text of a name (room is assured by the
 * caller: the wire length is checked first). */
static void
add_label(char *text, size_t *tlen, const unsigned char *p, size_t n)
{
	size_t i;

	if (*tlen > 0)
		text[(*tlen)++] = '.';
	for (i = 0; i < n; i++)
		text[(*tlen)++] = p[i] > ' ' && p[i] < 0x7f && p[i] != '.' ?
		    (char)p[i] : '?';
}

/*
 * Read the name at *off into text and move *off past it as it is stored
 * there (a pointer ends it).  A pointer must point before the start of
 * the piece of name that holds it: every jump then lands strictly lower
 * than the one before, which rules out loops, and real encoders only
 * point at names written earlier anyway.
 */
static int
read_name(struct span msg, size_t *off, char text[DNSMSG_NAME_SIZE])
{
	size_t pos = *off;
	size_t piece = *off;		/* where the current piece began */
	size_t end = 0;			/* past the first pointer, if any */
	size_t wire = 0;
	size_t tlen = 0;
	unsigned int hops = 0;

	for (;;) {
		unsigned int c;

		if (pos >= msg.len)
			return -1;
		c = msg.p[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= msg.len || ++hops > MAX_HOPS)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | msg.p[pos + 1];
			if (target >= piece)
				return -1;
			if (end == 0)
				end = pos + 2;
			pos = piece = target;
			continue;
		}
		/* 0x40 and 0x80 are extended label types (RFC 6891 made
		 * them obsolete); no answer of ours has them. */
		if (c > DNSMSG_LABEL_MAX)
			return -1;
		wire += c + 1;
		if (wire > DNSMSG_NAME_WIRE_MAX || pos + 1 + c > msg.len)
			return -1;
		if (c == 0)
			break;
		add_label(text, &tlen, msg.p + pos + 1, c);
		pos += 1 + c;
	}
	text[tlen] = '\0';
	*off = end != 0 ? end : pos + 1;
	return 0;
}

/* The data of one kept record, which runs from off to end. */
static int
read_rdata(struct span msg, size_t off, size_t end, struct dnsmsg_rr *rr)
{
	size_t len = end - off;

	switch (rr->type) {
	case DNSMSG_A:
	case DNSMSG_AAAA:
		if (len != (rr->type == DNSMSG_A ? 4u : 16u))
			return -1;
		memcpy(rr->addr, msg.p + off, len);
		return 0;
	case DNSMSG_MX:
		if (len < 3)
			return -1;
		rr->pref = get16(msg.p + off);
		off += 2;
		break;
	case DNSMSG_CNAME:
		break;
	default:
		return -1;
	}
	/* The name is read in the whole message (it may point back out of
	 * the record) but must end where the record does. */
	if (read_name(span_make(msg.p, end), &off, rr->target) == -1 ||
	    off != end)
		return -1;
	return 0;
}

static bool
is_kept_type(unsigned int type)
{
	return type == DNSMSG_A || type == DNSMSG_AAAA || type == DNSMSG_MX ||
	    type == DNSMSG_CNAME;
}

/* Read one answer record at *off; keep it when it is one of ours. */
static int
read_rr(struct span msg, size_t *off, struct dnsmsg_reply *out,
    struct why *why)
{
	char owner[DNSMSG_NAME_SIZE];
	struct dnsmsg_rr *rr;
	unsigned int type;
	unsigned int class;
	size_t rdlen;

	if (read_name(msg, off, owner) == -1)
		return why_set(why, "bad owner name in answer %zu",
		    out->nrr + out->nother + 1);
	if (msg.len - *off < 10)
		return why_set(why, "answer %zu cut short",
		    out->nrr + out->nother + 1);
	type = get16(msg.p + *off);
	class = get16(msg.p + *off + 2);
	rdlen = get16(msg.p + *off + 8);
	*off += 10;
	if (msg.len - *off < rdlen)
		return why_set(why, "answer %zu: data past the end",
		    out->nrr + out->nother + 1);
	if (class != DNSMSG_CLASS_IN || !is_kept_type(type) ||
	    out->nrr == DNSMSG_MAX_RR) {
		out->nother++;
		*off += rdlen;
		return 0;
	}
	rr = &out->rr[out->nrr];
	memcpy(rr->owner, owner, sizeof(rr->owner));
	rr->type = (uint16_t)type;
	rr->pref = 0;
	if (read_rdata(msg, *off, *off + rdlen, rr) == -1)
		return why_set(why, "answer %zu: bad record data (type %u)",
		    out->nrr + out->nother + 1, type);
	*off += rdlen;
	out->nrr++;
	return 0;
}

static void
read_header(struct span msg, struct dnsmsg_reply *out)
{
	unsigned int flags = get16(msg.p + 2);

	out->id = (uint16_t)get16(msg.p);
	out->qr = (flags & F_QR) != 0;
	out->opcode = (flags >> 11) & 0xf;
	out->aa = (flags & F_AA) != 0;
	out->tc = (flags & F_TC) != 0;
	out->rd = (flags & F_RD) != 0;
	out->ra = (flags & F_RA) != 0;
	out->rcode = flags & 0xf;
	out->ancount = get16(msg.p + 6);
}

int
dnsmsg_parse(struct span msg, struct dnsmsg_reply *out, struct why *why)
{
	size_t off = DNSMSG_HDR_LEN;
	unsigned int qdcount;
	unsigned int i;

	out->nrr = 0;
	out->nother = 0;
	if (msg.len < DNSMSG_HDR_LEN)
		return why_set(why, "shorter than a DNS header");
	read_header(msg, out);
	qdcount = get16(msg.p + 4);
	if (qdcount != 1)
		return why_set(why, "%u questions, not 1", qdcount);
	if (read_name(msg, &off, out->qname) == -1)
		return why_set(why, "bad question name");
	if (msg.len - off < 4)
		return why_set(why, "question cut short");
	out->qtype = (uint16_t)get16(msg.p + off);
	out->qclass = (uint16_t)get16(msg.p + off + 2);
	off += 4;
	if (out->tc)
		return 0;
	/* ancount is bounded by the message: each record is at least 11
	 * bytes, and reading past the end fails. */
	for (i = 0; i < out->ancount; i++)
		if (read_rr(msg, &off, out, why) == -1)
			return -1;
	return 0;
}

bool
dnsmsg_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t i;

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return false;
	for (i = 0; i < la; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
	}
	return true;
}

bool
dnsmsg_is_reply_to(const struct dnsmsg_reply *r, uint16_t id,
    const char *name, uint16_t type)
{
	return r->qr && r->opcode == 0 && r->id == id && r->qtype == type &&
	    r->qclass == DNSMSG_CLASS_IN && dnsmsg_name_eq(r->qname, name);
}

const char *
dnsmsg_rcode_str(unsigned int rcode, char out[16])
{
	static const char *const names[] = { "NOERROR", "FORMERR",
		"SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };

	if (rcode < sizeof(names) / sizeof(names[0]))
		snprintf(out, 16, "%s", names[rcode]);
	else
		snprintf(out, 16, "rcode %u", rcode & 0xffff);
	return out;
}
