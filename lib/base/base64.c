/*
 * base64.c - strict RFC 4648 base64.
 * Linked into: smtpd, imapd, pop3d.  Trust: decoded input is hostile; every
 * byte is checked and output never exceeds the buffer's max.
 */
#include "base/base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_encode(struct span in, struct buf *out)
{
	size_t i;

	for (i = 0; i < in.len; i += 3) {
		unsigned int v = (unsigned int)in.p[i] << 16;
		size_t left = in.len - i;
		char q[4];

		if (left > 1)
			v |= (unsigned int)in.p[i + 1] << 8;
		if (left > 2)
			v |= in.p[i + 2];
		q[0] = alphabet[(v >> 18) & 63];
		q[1] = alphabet[(v >> 12) & 63];
		q[2] = left > 1 ? alphabet[(v >> 6) & 63] : '=';
		q[3] = left > 2 ? alphabet[v & 63] : '=';
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

int
base64_value(unsigned char c, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	return c == (unsigned char)c63 ? 63 : -1;
}

int
base64_decode(struct span in, struct buf *out)
{
	size_t i;

	if (in.len % 4 != 0)
		return -1;
	for (i = 0; i < in.len; i += 4) {
		bool last = i + 4 == in.len;
		size_t pad = 0;
		unsigned int v = 0;
		unsigned char b[3];
		size_t k;

		if (last && in.p[i + 3] == '=')
			pad = in.p[i + 2] == '=' ? 2 : 1;
		for (k = 0; k < 4; k++) {
			int d = k < 4 - pad ? base64_value(in.p[i + k], '/') : 0;

			if (d < 0)
				return -1;
			v = v << 6 | (unsigned int)d;
		}
		/* The bits the padding leaves unused must be zero. */
		if ((pad == 2 && (v & 0xffff) != 0) ||
		    (pad == 1 && (v & 0xff) != 0))
			return -1;
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		if (buf_add(out, b, 3 - pad) == -1)
			return -1;
	}
	return 0;
}
