/*
 * imapenc.c - IMAP response strings: atoms, quoted strings, literals,
 * modified UTF-7 mailbox names (both ways), flag lists and INTERNALDATE.
 * Linked into: imapd.  Trust: strings are header text, names and
 * keywords that may be hostile; every output is checked against the
 * grammar of RFC 3501 section 9 by the unit tests and the fuzz target,
 * and names a client sends are checked byte by byte before they are
 * decoded.
 */
#include <string.h>

#include "base/base64.h"
#include "mail/imapenc.h"

static bool
is_atom_char(unsigned char c)
{
	/* CHAR except atom-specials: ( ) { SP CTL % * " \ ] */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	       c != '%' && c != '*' && c != '"' && c != '\\' && c != ']';
}

bool
imapenc_is_atom(struct span s)
{
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++)
		if (!is_atom_char(s.p[i]))
			return false;
	return true;
}

/* Does s need a literal: too long, or a byte a quoted string cannot
 * hold (RFC 3501 section 9: QUOTED-CHAR is 7-bit TEXT-CHAR)? */
static bool
needs_literal(struct span s)
{
	size_t i;

	if (s.len > IMAPENC_QUOTED_MAX)
		return true;
	for (i = 0; i < s.len; i++)
		if (s.p[i] == 0 || s.p[i] == '\r' || s.p[i] == '\n' ||
		    s.p[i] >= 0x80)
			return true;
	return false;
}

int
imapenc_literal_head(struct buf *out, uint64_t len)
{
	return buf_addf(out, "{%llu}\r\n", (unsigned long long)len);
}

/* The literal's bytes, each NUL as 0x80 (see imapenc.h). */
static int
add_literal(struct buf *out, struct span s)
{
	size_t old = out->len;
	size_t i;

	if (imapenc_literal_head(out, s.len) == -1 || buf_addspan(out, s) == -1)
		goto full;
	for (i = out->len - s.len; i < out->len; i++)
		if (out->p[i] == 0)
			out->p[i] = 0x80;
	return 0;
full:
	buf_truncate(out, old);
	return -1;
}

static int
add_quoted(struct buf *out, struct span s)
{
	size_t old = out->len;
	size_t i;
	size_t run = 0;

	if (buf_addc(out, '"') == -1)
		return -1;
	/* Copy runs between the two quoted-specials in one go. */
	for (i = 0; i < s.len; i++) {
		if (s.p[i] != '"' && s.p[i] != '\\')
			continue;
		if (buf_add(out, s.p + run, i - run) == -1 ||
		    buf_addc(out, '\\') == -1)
			goto full;
		run = i;
	}
	if (buf_add(out, s.p + run, s.len - run) == 0 &&
	    buf_addc(out, '"') == 0)
		return 0;
full:
	buf_truncate(out, old);
	return -1;
}

int
imapenc_string(struct buf *out, struct span s)
{
	return needs_literal(s) ? add_literal(out, s) : add_quoted(out, s);
}

int
imapenc_nstring(struct buf *out, const struct span *s)
{
	return s == NULL ? buf_adds(out, "NIL") : imapenc_string(out, *s);
}

int
imapenc_astring(struct buf *out, struct span s)
{
	size_t i;

	if (s.len == 0 || span_eq_nocase(s, "NIL"))
		return imapenc_string(out, s);
	for (i = 0; i < s.len; i++)
		if (!is_atom_char(s.p[i]) && s.p[i] != ']')
			return imapenc_string(out, s);
	return buf_addspan(out, s);
}

/* Modified BASE64: RFC 2045's alphabet with ',' for '/', no padding. */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The code point of the valid UTF-8 character of n bytes at p. */
static uint32_t
utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = p[0] & lead_mask[n];
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

static int
utf8_encode(struct buf *out, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		n = 4;
	}
	for (size_t i = 1; i < n; i++)
		u[i] =
		    (unsigned char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	return buf_add(out, u, n);
}

/* The bit accumulator of an open BASE64 run. */
struct b64run {
	uint32_t bits;
	unsigned nbits;
	bool open;
};

static int
run_add16(struct buf *out, struct b64run *r, uint32_t unit)
{
	if (!r->open && buf_addc(out, '&') == -1)
		return -1;
	r->open = true;
	r->bits = (r->bits << 16 | unit) & 0x3fffff;
	r->nbits += 16;
	while (r->nbits >= 6) {
		r->nbits -= 6;
		if (buf_addc(out, b64[(r->bits >> r->nbits) & 0x3f]) == -1)
			return -1;
	}
	return 0;
}

/* Close an open run: the last bits padded with zeros, then '-'. */
static int
run_close(struct buf *out, struct b64run *r)
{
	if (!r->open)
		return 0;
	if (r->nbits > 0 &&
	    buf_addc(out, b64[(r->bits << (6 - r->nbits)) & 0x3f]) == -1)
		return -1;
	r->open = false;
	r->bits = 0;
	r->nbits = 0;
	return buf_addc(out, '-');
}

/* One UTF-8 character of n bytes at p, in modified UTF-7. */
static int
encode_char(struct buf *out, struct b64run *r, const unsigned char *p, size_t n)
{
	uint32_t cp;

	if (n == 1 && p[0] >= 0x20 && p[0] <= 0x7e) {
		if (run_close(out, r) == -1)
			return -1;
		return p[0] == '&' ? buf_adds(out, "&-") : buf_addc(out, p[0]);
	}
	cp = utf8_decode(p, n);
	if (cp >= 0x10000) {
		cp -= 0x10000;
		return run_add16(out, r, 0xd800 | cp >> 10) == 0 &&
		               run_add16(out, r, 0xdc00 | (cp & 0x3ff)) == 0
		           ? 0
		           : -1;
	}
	return run_add16(out, r, cp);
}

int
imapenc_mutf7_encode(struct buf *out, struct span utf8)
{
	struct b64run r = {0, 0, false};
	size_t old = out->len;
	size_t i = 0;
	size_t n;

	while (i < utf8.len) {
		n = span_utf8_len(span_sub(utf8, i, utf8.len - i));
		if (n == 0 || utf8.p[i] == 0 ||
		    encode_char(out, &r, utf8.p + i, n) == -1)
			goto fail;
		i += n;
	}
	if (run_close(out, &r) == 0)
		return 0;
fail:
	buf_truncate(out, old);
	return -1;
}

/*
 * Decode the BASE64 run in[start .. end) (end is at its '-') into out.
 * Each 16 bits are a UTF-16 unit; surrogates must pair up.
 */
static int
decode_run(struct buf *out, struct span in, size_t start, size_t end,
           struct why *why)
{
	uint32_t bits = 0;
	unsigned nbits = 0;
	uint32_t high = 0; /* a high surrogate waiting for its pair */
	size_t i;

	for (i = start; i < end; i++) {
		int v = base64_value(in.p[i], ',');
		uint32_t u;

		if (v < 0)
			return why_set(why, "bad modified BASE64 character");
		bits = (bits << 6 | (uint32_t)v) & 0x3fffff;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		if (high != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return why_set(why, "unpaired surrogate");
			u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return why_set(why, "unpaired surrogate");
		} else if (u == 0 || (u >= 0x20 && u <= 0x7e)) {
			return why_set(why, "NUL or printable ASCII encoded");
		}
		if (utf8_encode(out, u) == -1)
			return why_set(why, "mailbox name too long");
	}
	/* Only the zero padding of the last unit may be left over. */
	if (high != 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 ||
	    start == end)
		return why_set(why, "bad end of modified BASE64");
	return 0;
}

int
imapenc_mutf7_decode(struct buf *out, struct span in, struct why *why)
{
	size_t old = out->len;
	size_t i = 0;
	size_t end;
	bool after_run = false;

	while (i < in.len) {
		unsigned char c = in.p[i];

		if (c < 0x20 || c > 0x7e) {
			why_set(why, "byte outside printable US-ASCII");
			goto fail;
		}
		if (c != '&') {
			if (buf_addc(out, c) == -1)
				goto full;
			after_run = false;
			i++;
			continue;
		}
		for (end = i + 1; end < in.len && in.p[end] != '-'; end++)
			;
		if (end == in.len) {
			why_set(why, "'&' without its '-'");
			goto fail;
		}
		if (end == i + 1) {
			if (buf_addc(out, '&') == -1)
				goto full;
			after_run = false;
		} else {
			/* Two runs in a row would be one run. */
			if (after_run) {
				why_set(why, "two encoded runs in a row");
				goto fail;
			}
			if (decode_run(out, in, i + 1, end, why) == -1)
				goto fail;
			after_run = true;
		}
		i = end + 1;
	}
	return 0;
full:
	why_set(why, "mailbox name too long");
fail:
	buf_truncate(out, old);
	return -1;
}

int
imapenc_mailbox(struct buf *out, struct span utf8, bool utf8_accept)
{
	struct buf enc;
	int r;

	if (span_eq_nocase(utf8, "INBOX"))
		return buf_adds(out, "INBOX");
	if (utf8_accept) {
		if (!span_utf8_ok(utf8) ||
		    (utf8.len > 0 && memchr(utf8.p, 0, utf8.len) != NULL))
			return -1;
		if (!span_has_8bit(utf8))
			return imapenc_astring(out, utf8);
		/* RFC 6855: quoted strings may hold UTF-8; CR and LF still
		 * need a literal. */
		if (utf8.len <= IMAPENC_QUOTED_MAX &&
		    memchr(utf8.p, '\r', utf8.len) == NULL &&
		    memchr(utf8.p, '\n', utf8.len) == NULL)
			return add_quoted(out, utf8);
		return add_literal(out, utf8);
	}
	/* Bounded by the input: at most 5 bytes ("&AAE-") a UTF-8 byte. */
	buf_init(&enc, BUF_MAX_CEILING);
	r = imapenc_mutf7_encode(&enc, utf8);
	if (r == 0)
		r = imapenc_astring(out, buf_span(&enc));
	buf_fini(&enc);
	return r;
}

int
imapenc_flags(struct buf *out, uint32_t flags, uint64_t keywords,
              const char *const *names, size_t nnames)
{
	static const char *const sys[] = {
	    "\\Seen",    "\\Answered", "\\Flagged",
	    "\\Deleted", "\\Draft",    "\\Recent",
	};
	size_t old = out->len;
	bool sp = false;
	size_t i;

	if (buf_addc(out, '(') == -1)
		return -1;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		if (!(flags & 1u << i))
			continue;
		if ((sp && buf_addc(out, ' ') == -1) ||
		    buf_adds(out, sys[i]) == -1)
			goto full;
		sp = true;
	}
	for (i = 0; i < 64 && i < nnames; i++) {
		if (!(keywords & (uint64_t)1 << i) || names[i] == NULL ||
		    !imapenc_is_atom(span_str(names[i])))
			continue;
		if ((sp && buf_addc(out, ' ') == -1) ||
		    buf_adds(out, names[i]) == -1)
			goto full;
		sp = true;
	}
	if (buf_addc(out, ')') == 0)
		return 0;
full:
	buf_truncate(out, old);
	return -1;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic:
 * 400-year cycles of 146097 days, years starting on 1 March). */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
imapenc_date_time(struct buf *out, int64_t t, int zone_min)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	/* 0000-01-01 and 10000-01-01 00:00:00 UTC. */
	const int64_t lo = -62167219200LL;
	const int64_t hi = 253402300800LL;
	int64_t local;
	int64_t days;
	int64_t secs;
	int64_t y;
	unsigned m;
	unsigned d;
	unsigned z = (unsigned)(zone_min < 0 ? -zone_min : zone_min);

	if (zone_min < -(99 * 60 + 59) || zone_min > 99 * 60 + 59 || t < lo ||
	    t >= hi)
		return -1;
	local = t + (int64_t)zone_min * 60;
	if (local < lo || local >= hi)
		return -1;
	days = (local >= 0 ? local : local - 86399) / 86400;
	secs = local - days * 86400;
	civil(days, &y, &m, &d);
	return buf_addf(out, "\"%2u-%s-%04d %02d:%02d:%02d %c%02u%02u\"", d,
	                months[m - 1], (int)y, (int)(secs / 3600),
	                (int)(secs / 60 % 60), (int)(secs % 60),
	                zone_min < 0 ? '-' : '+', z / 60, z % 60);
}
