/*
 * dsn_enc.c - the encoders of delivery status notifications (dsn_impl.h):
 * hostile bytes in, text for one header field or one line of a notice
 * out.
 * Linked into: qmgr, through dsn.c.  Trust: every input may come from the
 * network (addresses, a remote server's reply, the original message);
 * the only line ends in the output are the ones written here, and every
 * function adds nothing when it fails (the buffer's max is the bound).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail/dsn.h"
#include "mail/dsn_impl.h"

#define FOLD_AT 78   /* RFC 5322 section 2.1.1: should not pass 78 */
#define WRAP_AT 72   /* text lines, for people */
#define LINE_MAX 998 /* RFC 5322 section 2.1.1: must not pass 998 */
#define QP_MAX 76    /* RFC 2045 section 6.7 rule 5 */

static int
undo(struct buf *b, size_t old)
{
	buf_truncate(b, old);
	return -1;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The length of the character at s, and whether it may stay as it is. */
static size_t
char_at(struct span s, bool utf8, bool *keep_out)
{
	size_t n;

	if (s.p[0] >= 0x20 && s.p[0] < 0x7f) {
		*keep_out = true;
		return 1;
	}
	n = utf8 && s.p[0] >= 0x80 ? span_utf8_len(s) : 0;
	*keep_out = n > 0;
	return n > 0 ? n : 1;
}

int
dsn_clean(struct buf *b, struct span s, bool utf8, size_t max)
{
	size_t old = b->len, added = 0, i = 0, n;
	bool space = false, keep;
	int r = 0;

	while (i < s.len && is_space(s.p[i]))
		i++;
	while (i < s.len && r == 0) {
		if (is_space(s.p[i])) {
			space = true;
			i++;
			continue;
		}
		n = char_at(span_sub(s, i, s.len - i), utf8, &keep);
		/* Room for this character, a space before it, and "...". */
		if (added + space + (keep ? n : 1) + 3 > max) {
			r |= buf_add(b, "...", 3);
			break;
		}
		if (space)
			r |= buf_addc(b, ' ');
		r |= keep ? buf_add(b, s.p + i, n) : buf_addc(b, '?');
		added += space + (keep ? n : 1);
		space = false;
		i += n;
	}
	return r == 0 ? 0 : undo(b, old);
}

bool
dsn_all_in(struct span s, unsigned char lo, unsigned char hi)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] < lo || s.p[i] > hi)
			return false;
	return s.len > 0;
}

/* Bytes from s.p[i] (a space or the start) to the next space or end. */
static size_t
word_len(struct span s, size_t i)
{
	size_t j = i + 1;

	while (j < s.len && s.p[j] != ' ')
		j++;
	return j - i;
}

int
dsn_field(struct buf *b, const char *name, struct span value)
{
	size_t old = b->len, col, i, w;
	int r;

	r = buf_addf(b, "%s: ", name);
	col = strlen(name) + 2;
	for (i = 0; i < value.len && r == 0; i += w) {
		w = word_len(value, i);
		/* Fold before a space (never the first: no empty line). */
		if (i > 0 && col + w > FOLD_AT) {
			r |= buf_add(b, "\r\n", 2);
			col = 0;
		}
		r |= buf_add(b, value.p + i, w);
		col += w;
	}
	r |= buf_add(b, "\r\n", 2);
	return r == 0 ? 0 : undo(b, old);
}

static int
indent_by(struct buf *b, size_t n)
{
	static const char blanks[] = "        ";

	return buf_add(b, blanks, n < sizeof(blanks) - 1 ? n : 8);
}

int
dsn_wrap(struct buf *b, struct span text, size_t first_indent, size_t indent)
{
	size_t old = b->len, col, i = 0, w;
	int r;

	r = indent_by(b, first_indent);
	col = first_indent;
	while (i < text.len && r == 0) {
		w = word_len(text, i);
		if (i > 0 && col + w > WRAP_AT) {
			/* The space that was there is the line break. */
			r |= buf_add(b, "\r\n", 2);
			r |= indent_by(b, indent);
			col = indent;
			i++;
			w--;
		}
		r |= buf_add(b, text.p + i, w);
		col += w;
		i += w;
	}
	r |= buf_add(b, "\r\n", 2);
	return r == 0 ? 0 : undo(b, old);
}

int
dsn_date(int64_t t, int tz_minutes, char out[DSN_DATE_SIZE])
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t local;
	struct tm tm;
	int a = tz_minutes < 0 ? -tz_minutes : tz_minutes;

	if (t < 0 || t > DSN_DATE_MAX || a > 1439)
		return -1;
	local = (time_t)(t + (int64_t)tz_minutes * 60);
	if (gmtime_r(&local, &tm) == NULL)
		return -1;
	snprintf(out, DSN_DATE_SIZE,
	         "%.3s, %02d %.3s %04d %02d:%02d:%02d %c%02d%02d",
	         days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon,
	         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         tz_minutes < 0 ? '-' : '+', a / 60, a % 60);
	return 0;
}

/* RFC 6533 QCHAR: printable ASCII but "+", "=" and "\". */
static bool
is_qchar(unsigned c)
{
	return c > 0x20 && c < 0x7f && c != '+' && c != '=' && c != '\\';
}

/* The code point of the UTF-8 character of n bytes at p. */
static unsigned long
code_point(const unsigned char *p, size_t n)
{
	unsigned long cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* s cut to at most max bytes, at the start of a UTF-8 character. */
static struct span
cut_utf8(struct span s, size_t max)
{
	if (s.len <= max)
		return s;
	s.len = max;
	while (s.len > 0 && (s.p[s.len] & 0xc0) == 0x80)
		s.len--;
	return s;
}

/*
 * utf-8-addr-xtext (unitext false) or utf-8-addr-unitext (RFC 6533
 * section 3): what is not a QCHAR (or, for unitext, a non-ASCII
 * character) as "\x{HEX}"; a byte that is not UTF-8 as U+FFFD.  Stops
 * before the character that would take it past max bytes.
 */
static int
add_utf8_addr(struct buf *b, struct span a, bool unitext, size_t max)
{
	char piece[16];
	size_t i = 0, n, start = b->len, plen;
	const char *pp;
	int r = 0;

	while (i < a.len && r == 0) {
		n = span_utf8_len(span_sub(a, i, a.len - i));
		pp = piece;
		if ((n == 1 && is_qchar(a.p[i])) || (n > 1 && unitext)) {
			pp = (const char *)a.p + i;
			plen = n;
		} else if (n == 0) {
			plen =
			    (size_t)snprintf(piece, sizeof(piece), "\\x{FFFD}");
		} else {
			plen =
			    (size_t)snprintf(piece, sizeof(piece),
			                     n == 1 ? "\\x{%02lX}" : "\\x{%lX}",
			                     code_point(a.p + i, n));
		}
		if (b->len - start + plen > max)
			break;
		r |= buf_add(b, pp, plen);
		i += n > 0 ? n : 1;
	}
	return r;
}

/* Valid UTF-8 without control characters: a mailbox as it is. */
static bool
plain_utf8(struct span a)
{
	size_t i;

	for (i = 0; i < a.len; i++)
		if (a.p[i] < 0x20 || a.p[i] == 0x7f)
			return false;
	return a.len > 0 && span_utf8_ok(a);
}

int
dsn_addr(struct buf *b, struct span type, struct span addr, bool global,
         bool final)
{
	size_t old = b->len, max = DSN_VALUE_MAX - 20;
	int r;

	if (!span_eq_nocase(type, "utf-8") && !(global && final) &&
	    dsn_all_in(addr, 0x20, 0x7e)) {
		addr = span_sub(addr, 0, max);
		return buf_addf(b, "rfc822; %.*s", (int)addr.len,
		                (const char *)addr.p);
	}
	r = buf_adds(b, "utf-8; ");
	/* RFC 6533 section 3: the mailbox itself in a Final-Recipient of
	 * message/global-delivery-status, unitext in its Original-Recipient,
	 * and xtext (ASCII) in message/delivery-status. */
	if (global && final && plain_utf8(addr))
		r |= buf_addspan(b, cut_utf8(addr, max));
	else
		r |= add_utf8_addr(b, addr, global, max);
	return r == 0 ? 0 : undo(b, old);
}

void
dsn_scan(struct span s, struct dsn_scan *out)
{
	size_t i, line = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c == '\r' && i + 1 < s.len && s.p[i + 1] == '\n')
			continue;
		if (c == '\0' || c == '\r')
			out->bad = true;
		if (c >= 0x80)
			out->eight_bit = true;
		if (++line > LINE_MAX)
			out->long_line = true;
	}
}

/* The end of the line at pos (its LF, or s.len) and where the content
 * ends (before a CR that precedes the LF). */
static size_t
line_end(struct span s, size_t pos, size_t *content_end)
{
	const unsigned char *lf = memchr(s.p + pos, '\n', s.len - pos);
	size_t end = lf != NULL ? (size_t)(lf - s.p) : s.len;

	*content_end =
	    end > pos && lf != NULL && s.p[end - 1] == '\r' ? end - 1 : end;
	return end;
}

int
dsn_copy_lines(struct buf *b, struct span s)
{
	size_t old = b->len, pos = 0, end, cend;
	int r = 0;

	while (pos < s.len && r == 0) {
		end = line_end(s, pos, &cend);
		r |= buf_add(b, s.p + pos, cend - pos);
		r |= buf_add(b, "\r\n", 2);
		pos = end + 1;
	}
	return r == 0 ? 0 : undo(b, old);
}

/* One line's content as quoted-printable, soft breaks within QP_MAX. */
static int
qp_line(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, w;
	char enc[3];
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = p[i];
		/* Blanks are literal but at the end of a line (rule 3). */
		bool lit = (c >= 33 && c <= 126 && c != '=') ||
		           ((c == ' ' || c == '\t') && i + 1 < n);

		enc[0] = lit ? (char)c : '=';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		w = lit ? 1 : 3;
		/* Leave room for the "=" of a soft break (rule 5) unless
		 * this is the line's last character. */
		if (col + w > (i + 1 < n ? QP_MAX - 1 : QP_MAX)) {
			r |= buf_add(b, "=\r\n", 3);
			col = 0;
		}
		r |= buf_add(b, enc, w);
		col += w;
	}
	return r;
}

int
dsn_qp(struct buf *b, struct span s)
{
	size_t old = b->len, pos = 0, end, cend;
	int r = 0;

	while (pos < s.len && r == 0) {
		end = line_end(s, pos, &cend);
		r |= qp_line(b, s.p + pos, cend - pos);
		r |= buf_add(b, "\r\n", 2);
		pos = end + 1;
	}
	return r == 0 ? 0 : undo(b, old);
}
