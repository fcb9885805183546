/*
 * hdr.c - walk the fields of a header block and unfold their values.
 * Linked into: the MIME parser and the message cache (lmtpd, imapd, the
 * store tools), their tests and fuzz targets.  Trust: the bytes are a
 * remote sender's; each line is found with memchr from where the last
 * one ended, so a walk over the block is linear in its length, however
 * long one line is.
 */
#include <string.h>

#include "mail/hdr.h"

void
hdr_line_at(struct span in, size_t pos, size_t *content_end, size_t *next)
{
	const unsigned char *lf = memchr(in.p + pos, '\n', in.len - pos);
	size_t end = lf != NULL ? (size_t)(lf - in.p) : in.len;

	*next = lf != NULL ? end + 1 : in.len;
	if (lf != NULL && end > pos && in.p[end - 1] == '\r')
		end--;
	*content_end = end;
}

void
hdr_init(struct hdr_iter *it, struct span in)
{
	it->in = in;
	it->pos = 0;
	it->done = false;
}

/* The field starting at start (a line with a ':' at colon). */
static void
take_field(struct hdr_iter *it, size_t start, size_t colon, size_t cend,
           size_t next, struct hdr_field *out)
{
	struct span in = it->in;
	size_t name_end = colon;

	/* Continuation lines: those that begin with a blank. */
	while (next < in.len && hdr_is_blank(in.p[next]))
		hdr_line_at(in, next, &cend, &next);
	while (name_end > start && hdr_is_blank(in.p[name_end - 1]))
		name_end--;
	out->name = span_make(in.p + start, name_end - start);
	out->value = span_make(in.p + colon + 1, cend - colon - 1);
	out->line = span_make(in.p + start, next - start);
	it->pos = next;
}

bool
hdr_next(struct hdr_iter *it, struct hdr_field *out)
{
	struct span in = it->in;

	while (!it->done && it->pos < in.len) {
		size_t start = it->pos;
		const unsigned char *colon;
		size_t cend;
		size_t next;

		hdr_line_at(in, start, &cend, &next);
		if (cend == start) {
			it->done = true;
			break;
		}
		it->pos = next;
		if (hdr_is_blank(in.p[start]))
			continue; /* a continuation of nothing */
		colon = memchr(in.p + start, ':', cend - start);
		if (colon == NULL)
			continue;
		take_field(it, start, (size_t)(colon - in.p), cend, next, out);
		return true;
	}
	it->done = true;
	return false;
}

size_t
hdr_block_len(struct span msg)
{
	size_t pos = 0;

	while (pos < msg.len) {
		size_t cend;
		size_t next;

		hdr_line_at(msg, pos, &cend, &next);
		if (cend == pos)
			return next;
		pos = next;
	}
	return msg.len;
}

static bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
hdr_unfold(struct span value, struct buf *out)
{
	size_t old = out->len;
	size_t i = 0;
	size_t n = value.len;

	while (i < n && is_fws(value.p[i]))
		i++;
	while (n > i && is_fws(value.p[n - 1]))
		n--;
	while (i < n) {
		size_t run = i;

		while (run < n && value.p[run] != '\r' && value.p[run] != '\n')
			run++;
		if (buf_add(out, value.p + i, run - i) == -1) {
			buf_truncate(out, old);
			return -1;
		}
		i = run;
		while (i < n && (value.p[i] == '\r' || value.p[i] == '\n'))
			i++;
	}
	return 0;
}
