/*
 * localfmt.c - envelope fields, the mbox From_ line and line conversion
 * for the local delivery agent (the rules are in localfmt.h).
 * Linked into: local.  Trust: addresses and text are peer data; every
 * byte that could end a line is replaced.
 */
#include <string.h>

#include "mail/localfmt.h"

/* Append s, each byte for which bad() holds written as repl. */
static int
add_clean(struct buf *out, struct span s, bool (*bad)(unsigned char),
    unsigned char repl)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (buf_addc(out, bad(s.p[i]) ? repl : s.p[i]) == -1)
			return -1;
	return 0;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
is_blank_or_ctl(unsigned char c)
{
	return c == ' ' || is_ctl(c);
}

static bool
is_not_ascii_text(unsigned char c)
{
	return is_ctl(c) || c >= 0x80;
}

int
localfmt_from_line(struct buf *out, struct span sender, const struct tm *when)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	size_t len = out->len;

	if (buf_adds(out, "From ") == -1 ||
	    (sender.len == 0 ? buf_adds(out, "MAILER-DAEMON") :
			       add_clean(out, sender, is_blank_or_ctl, '_')) ==
		-1 ||
	    buf_addf(out, " %s %s %2d %02d:%02d:%02d %d\n",
		days[(unsigned)when->tm_wday % 7],
		months[(unsigned)when->tm_mon % 12], when->tm_mday,
		when->tm_hour, when->tm_min, when->tm_sec,
		when->tm_year + 1900) == -1) {
		buf_truncate(out, len);
		return -1;
	}
	return 0;
}

int
localfmt_headers(struct buf *out, struct span sender, struct span recipient)
{
	size_t len = out->len;

	if (buf_adds(out, "Return-Path: <") == -1 ||
	    add_clean(out, sender, is_ctl, '?') == -1 ||
	    buf_adds(out, ">\nDelivered-To: ") == -1 ||
	    add_clean(out, recipient, is_ctl, '?') == -1 ||
	    buf_addc(out, '\n') == -1) {
		buf_truncate(out, len);
		return -1;
	}
	return 0;
}

/* ">*From " at the start of line. */
static bool
needs_quote(struct span line)
{
	size_t i = 0;

	while (i < line.len && line.p[i] == '>')
		i++;
	return line.len - i >= 5 && memcmp(line.p + i, "From ", 5) == 0;
}

int
localfmt_convert(const struct localfmt_conv *conv, struct span *rest,
    size_t chunk, struct buf *out)
{
	while (rest->len > 0 && out->len < chunk) {
		long nl = span_chr(*rest, '\n');
		size_t next = nl < 0 ? rest->len : (size_t)nl + 1;
		struct span line = span_make(rest->p, nl < 0 ? rest->len :
							       (size_t)nl);
		size_t len = out->len;

		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if ((conv->quote_from && needs_quote(line) &&
			buf_addc(out, '>') == -1) ||
		    buf_add(out, line.p, line.len) == -1 ||
		    buf_addc(out, '\n') == -1) {
			buf_truncate(out, len);
			return -1;
		}
		*rest = span_sub(*rest, next, rest->len - next);
	}
	return 0;
}

int
localfmt_env_value(struct buf *out, struct span s)
{
	buf_reset(out);
	return add_clean(out, s, is_not_ascii_text, '_');
}
