/*
 * smtpstuff.c - dot-stuffing and CRLF line ends for SMTP DATA, a line at
 * a time with memchr, bounded by the caller's room.
 * Linked into: the delivery agents.  Pure.  Trust: any bytes are handled;
 * output never passes room.
 */
#include <string.h>

#include "mail/smtpstuff.h"

void
smtpstuff_init(struct smtpstuff *st)
{
	st->bol = true;
	st->cr = false;
}

size_t
smtpstuff_encode(struct smtpstuff *st, struct span in, struct buf *out,
    size_t room)
{
	size_t i = 0;

	while (i < in.len) {
		size_t avail = room > out->len ? room - out->len : 0;
		const unsigned char *lf;
		size_t end, n, take;

		if (avail < 3)
			break;
		if (st->bol) {
			/* RFC 5321 4.5.2: a line that starts with a dot
			 * gets one more; the bol flag goes first, so that
			 * a break below never doubles it twice. */
			st->bol = false;
			if (in.p[i] == '.') {
				buf_addc(out, '.');
				avail--;
			}
		}
		lf = memchr(in.p + i, '\n', in.len - i);
		end = lf != NULL ? (size_t)(lf - in.p) : in.len;
		n = end - i;
		if (n > 0) {
			/* Two bytes stay free for a CRLF. */
			take = n < avail - 2 ? n : avail - 2;
			if (take == 0)
				break;
			buf_add(out, in.p + i, take);
			st->cr = in.p[i + take - 1] == '\r';
			i += take;
			if (take < n)
				break;
		}
		if (lf == NULL)
			break;
		/* A bare LF ends its line as CRLF does. */
		if (!st->cr)
			buf_addc(out, '\r');
		buf_addc(out, '\n');
		i++;
		st->cr = false;
		st->bol = true;
	}
	return i;
}

int
smtpstuff_finish(struct smtpstuff *st, struct buf *out)
{
	size_t mark = out->len;
	int r = 0;

	if (!st->bol)
		r = buf_adds(out, st->cr ? "\n" : "\r\n");
	if (r == 0)
		r = buf_adds(out, ".\r\n");
	if (r == -1) {
		buf_truncate(out, mark);
		return -1;
	}
	st->bol = true;
	st->cr = false;
	return 0;
}
