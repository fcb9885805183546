/*
 * imaputf7.c - modified UTF-7 (RFC 3501 section 5.1.3) to and from UTF-8.
 * Linked into: imapd.  Trust: the input is peer data; it is checked for
 * the one canonical form and decoded only within its span.
 */
#include <stdint.h>

#include "mail/imaputf7.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64val(unsigned c)
{
	if (c >= 'A' && c <= 'Z')
		return (int)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (int)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (int)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static int
add_utf8(struct buf *out, uint32_t c)
{
	unsigned char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | c >> 6);
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | c >> 12);
		u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | c >> 18);
		u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return buf_add(out, u, n);
}

/* One "&...-" run at in.p[*i] (just past the "&"), up to and past "-". */
static int
run(struct span in, size_t *i, struct buf *out)
{
	uint32_t bits = 0, hi = 0;
	unsigned nbits = 0;
	size_t start = *i;
	int v;

	for (; *i < in.len && in.p[*i] != '-'; (*i)++) {
		if ((v = b64val(in.p[*i])) < 0)
			return -1;
		bits = (bits << 6 | (uint32_t)v) & 0xffffff;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		v = (int)((bits >> nbits) & 0xffff);
		if (hi != 0) {
			/* RFC 2781: a high surrogate needs a low one. */
			if (v < 0xdc00 || v > 0xdfff)
				return -1;
			if (add_utf8(out, 0x10000 + ((hi - 0xd800) << 10) +
			                      ((uint32_t)v - 0xdc00)) == -1)
				return -1;
			hi = 0;
		} else if (v >= 0xd800 && v <= 0xdbff) {
			hi = (uint32_t)v;
		} else if ((v >= 0xdc00 && v <= 0xdfff) ||
		           (v >= 0x20 && v <= 0x7e)) {
			return -1;
		} else if (add_utf8(out, (uint32_t)v) == -1) {
			return -1;
		}
	}
	/* Unterminated, empty, a dangling surrogate, or non-zero padding
	 * (RFC 3501: the run ends on a 16-bit boundary, padded with 0). */
	if (*i == in.len || *i == start || hi != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	(*i)++;
	return 0;
}

int
imaputf7_decode(struct span in, struct buf *out)
{
	size_t old = out->len, i = 0;
	bool after_run = false;

	while (i < in.len) {
		unsigned c = in.p[i++];

		if (c < 0x20 || c > 0x7e)
			goto fail;
		if (c != '&') {
			if (buf_addc(out, (int)c) == -1)
				goto fail;
			after_run = false;
			continue;
		}
		if (i < in.len && in.p[i] == '-') {
			i++;
			if (buf_addc(out, '&') == -1)
				goto fail;
			after_run = false;
			continue;
		}
		/* Two runs in a row should have been one. */
		if (after_run || run(in, &i, out) == -1)
			goto fail;
		after_run = true;
	}
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}

/* Flush the UTF-16 units gathered in bits as base64 and end the run. */
static int
flush(struct buf *out, uint32_t *bits, unsigned *nbits)
{
	int r = 0;

	while (*nbits >= 6) {
		*nbits -= 6;
		r |= buf_addc(out, b64[(*bits >> *nbits) & 63]);
	}
	if (*nbits > 0)
		r |= buf_addc(out, b64[(*bits << (6 - *nbits)) & 63]);
	*nbits = 0;
	*bits = 0;
	return r | buf_addc(out, '-');
}

static int
unit(struct buf *out, uint32_t u, uint32_t *bits, unsigned *nbits)
{
	int r = 0;

	*bits = (*bits << 16 | u) & 0xffffffff;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		r |= buf_addc(out, b64[(*bits >> *nbits) & 63]);
	}
	return r;
}

/* The code point of the n-byte UTF-8 character at p (validated). */
static uint32_t
utf8_cp(const unsigned char *p, size_t n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	case 3:
		return (uint32_t)(p[0] & 0x0f) << 12 |
		       (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	default:
		return (uint32_t)(p[0] & 0x07) << 18 |
		       (uint32_t)(p[1] & 0x3f) << 12 |
		       (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	}
}

int
imaputf7_encode(struct span in, struct buf *out)
{
	size_t old = out->len, i = 0;
	bool in_run = false;
	uint32_t bits = 0;
	unsigned nbits = 0;
	int r = 0;

	while (i < in.len && r == 0) {
		struct span rest = span_make(in.p + i, in.len - i);
		size_t n = span_utf8_len(rest);
		uint32_t c;

		if (n == 0)
			goto fail;
		if (n == 1 && in.p[i] >= 0x20 && in.p[i] <= 0x7e) {
			if (in_run)
				r |= flush(out, &bits, &nbits);
			in_run = false;
			r |= in.p[i] == '&' ? buf_adds(out, "&-")
			                    : buf_addc(out, in.p[i]);
			i++;
			continue;
		}
		c = utf8_cp(in.p + i, n);
		i += n;
		if (!in_run)
			r |= buf_addc(out, '&');
		in_run = true;
		if (c >= 0x10000) {
			r |= unit(out, 0xd800 + ((c - 0x10000) >> 10), &bits,
			          &nbits);
			r |= unit(out, 0xdc00 + ((c - 0x10000) & 0x3ff), &bits,
			          &nbits);
		} else {
			r |= unit(out, c, &bits, &nbits);
		}
	}
	if (in_run)
		r |= flush(out, &bits, &nbits);
	if (r == 0)
		return 0;
fail:
	buf_truncate(out, old);
	return -1;
}
