/*
 * icheck.h - a strict reader of what lib/mail/imapenc writes, for the
 * unit tests and the fuzz target: strings (quoted: 7-bit without CR, LF
 * and NUL, only \" and \\ escaped; literals: "{N}" CRLF and exactly N
 * bytes, no NUL), astrings, and the RFC 3501 section 9 grammar of
 * envelope and body (with extension data exactly as imapenc writes it:
 * all four fields, or none).  Each reader returns false at the first
 * byte that breaks the grammar and leaves the reason in c->why.
 * Linked into: imapenc_test, imapsect_test, fuzz_imapenc.  Trust: not
 * applicable.
 */
#ifndef POSTERN_ICHECK_H
#define POSTERN_ICHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"

struct icheck {
	struct span in;
	size_t pos;
	char why[128];
	unsigned bodies; /* body nodes read */
};

static inline void
icheck_init(struct icheck *c, struct span in)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
}

static inline bool
icheck_fail(struct icheck *c, const char *what)
{
	if (c->why[0] == '\0')
		snprintf(c->why, sizeof(c->why), "%s at byte %zu", what,
		         c->pos);
	return false;
}

static inline bool
icheck_at_end(const struct icheck *c)
{
	return c->pos == c->in.len;
}

static inline int
icheck_peek(const struct icheck *c)
{
	return c->pos < c->in.len ? c->in.p[c->pos] : -1;
}

static inline bool
icheck_lit(struct icheck *c, const char *lit)
{
	size_t n = strlen(lit);

	if (c->in.len - c->pos < n || memcmp(c->in.p + c->pos, lit, n) != 0)
		return icheck_fail(c, lit);
	c->pos += n;
	return true;
}

static inline bool
icheck_sp(struct icheck *c)
{
	return icheck_lit(c, " ");
}

/* A number (at most 32 bits). */
static inline bool
icheck_number(struct icheck *c, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = c->pos;

	while (c->pos < c->in.len && c->in.p[c->pos] >= '0' &&
	       c->in.p[c->pos] <= '9') {
		v = v * 10 + (c->in.p[c->pos++] - '0');
		if (v > UINT32_MAX)
			return icheck_fail(c, "number too large");
	}
	if (c->pos == start)
		return icheck_fail(c, "number");
	if (out != NULL)
		*out = v;
	return true;
}

/* A quoted string or a literal; its value goes to val (may be NULL). */
static inline bool
icheck_string(struct icheck *c, struct buf *val)
{
	uint64_t n = 0;

	if (val != NULL)
		buf_reset(val);
	if (icheck_peek(c) == '{') {
		c->pos++;
		if (!icheck_number(c, &n) || !icheck_lit(c, "}\r\n"))
			return false;
		if (c->in.len - c->pos < n)
			return icheck_fail(c, "literal longer than the rest");
		if (memchr(c->in.p + c->pos, 0, n) != NULL)
			return icheck_fail(c, "NUL in a literal");
		if (val != NULL)
			buf_add(val, c->in.p + c->pos, n);
		c->pos += n;
		return true;
	}
	if (!icheck_lit(c, "\""))
		return false;
	for (;;) {
		int ch = icheck_peek(c);

		if (ch == -1 || ch == 0 || ch == '\r' || ch == '\n' || ch > 0x7f)
			return icheck_fail(c, "bad byte in a quoted string");
		c->pos++;
		if (ch == '"')
			return true;
		if (ch == '\\') {
			ch = icheck_peek(c);
			if (ch != '"' && ch != '\\')
				return icheck_fail(c, "bad escape");
			c->pos++;
		}
		if (val != NULL)
			buf_addc(val, ch);
	}
}

/* NIL or a string; *nil says which. */
static inline bool
icheck_nstring(struct icheck *c, struct buf *val, bool *nil)
{
	bool is_nil = c->in.len - c->pos >= 3 &&
	              memcmp(c->in.p + c->pos, "NIL", 3) == 0;

	if (nil != NULL)
		*nil = is_nil;
	if (is_nil) {
		c->pos += 3;
		if (val != NULL)
			buf_reset(val);
		return true;
	}
	return icheck_string(c, val);
}

/* An astring: 1*ASTRING-CHAR or a string. */
static inline bool
icheck_astring(struct icheck *c, struct buf *val)
{
	size_t start = c->pos;
	int ch;

	if (icheck_peek(c) == '"' || icheck_peek(c) == '{')
		return icheck_string(c, val);
	while ((ch = icheck_peek(c)) > 0x20 && ch < 0x7f && ch != '(' &&
	       ch != ')' && ch != '{' && ch != '%' && ch != '*' && ch != '"' &&
	       ch != '\\')
		c->pos++;
	if (c->pos == start)
		return icheck_fail(c, "astring");
	if (val != NULL)
		buf_set(val, c->in.p + start, c->pos - start);
	return true;
}

static inline bool
icheck_address_list(struct icheck *c)
{
	int k;

	if (icheck_peek(c) == 'N')
		return icheck_lit(c, "NIL");
	if (!icheck_lit(c, "("))
		return false;
	do {
		if (!icheck_lit(c, "("))
			return false;
		for (k = 0; k < 4; k++)
			if ((k > 0 && !icheck_sp(c)) ||
			    !icheck_nstring(c, NULL, NULL))
				return false;
		if (!icheck_lit(c, ")"))
			return false;
	} while (icheck_peek(c) == '(');
	return icheck_lit(c, ")");
}

static inline bool
icheck_envelope(struct icheck *c)
{
	int k;

	if (!icheck_lit(c, "(") || !icheck_nstring(c, NULL, NULL) ||
	    !icheck_sp(c) || !icheck_nstring(c, NULL, NULL))
		return false;
	for (k = 0; k < 6; k++)
		if (!icheck_sp(c) || !icheck_address_list(c))
			return false;
	return icheck_sp(c) && icheck_nstring(c, NULL, NULL) && icheck_sp(c) &&
	       icheck_nstring(c, NULL, NULL) && icheck_lit(c, ")");
}

/* body-fld-param: NIL or "(" string SP string *(SP string SP string) ")" */
static inline bool
icheck_params(struct icheck *c)
{
	if (icheck_peek(c) == 'N')
		return icheck_lit(c, "NIL");
	if (!icheck_lit(c, "("))
		return false;
	do {
		if (!icheck_string(c, NULL) || !icheck_sp(c) ||
		    !icheck_string(c, NULL))
			return false;
	} while (icheck_peek(c) == ' ' && (c->pos++, true));
	return icheck_lit(c, ")");
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static inline bool
icheck_ext_tail(struct icheck *c)
{
	if (icheck_peek(c) == 'N') {
		if (!icheck_lit(c, "NIL"))
			return false;
	} else if (!icheck_lit(c, "(") || !icheck_string(c, NULL) ||
	           !icheck_sp(c) || !icheck_params(c) || !icheck_lit(c, ")")) {
		return false;
	}
	if (!icheck_sp(c))
		return false;
	if (icheck_peek(c) == '(') {
		c->pos++;
		do {
			if (!icheck_string(c, NULL))
				return false;
		} while (icheck_peek(c) == ' ' && (c->pos++, true));
		if (!icheck_lit(c, ")"))
			return false;
	} else if (!icheck_nstring(c, NULL, NULL)) {
		return false;
	}
	return icheck_sp(c) && icheck_nstring(c, NULL, NULL);
}

static inline bool icheck_body(struct icheck *c, bool ext, unsigned depth);

static inline bool
icheck_mpart(struct icheck *c, bool ext, unsigned depth)
{
	while (icheck_peek(c) == '(')
		if (!icheck_body(c, ext, depth + 1))
			return false;
	if (!icheck_sp(c) || !icheck_string(c, NULL))
		return false;
	if (!ext)
		return true;
	return icheck_sp(c) && icheck_params(c) && icheck_sp(c) &&
	       icheck_ext_tail(c);
}

static inline bool
icheck_1part(struct icheck *c, bool ext, unsigned depth)
{
	struct buf type;
	bool text;
	int k;

	buf_init(&type, 1 << 20);
	if (!icheck_string(c, &type)) {
		buf_fini(&type);
		return false;
	}
	text = span_eq_nocase(buf_span(&type), "text");
	buf_fini(&type);
	if (!icheck_sp(c) || !icheck_string(c, NULL) || !icheck_sp(c) ||
	    !icheck_params(c))
		return false;
	for (k = 0; k < 2; k++)
		if (!icheck_sp(c) || !icheck_nstring(c, NULL, NULL))
			return false;
	if (!icheck_sp(c) || !icheck_string(c, NULL) || !icheck_sp(c) ||
	    !icheck_number(c, NULL))
		return false;
	if (c->pos + 1 < c->in.len && c->in.p[c->pos] == ' ' &&
	    c->in.p[c->pos + 1] == '(') {
		/* body-type-msg: envelope, body, lines */
		c->pos++;
		if (text || !icheck_envelope(c) || !icheck_sp(c) ||
		    !icheck_body(c, ext, depth + 1) || !icheck_sp(c) ||
		    !icheck_number(c, NULL))
			return false;
	} else if (text && (!icheck_sp(c) || !icheck_number(c, NULL))) {
		return false;
	}
	if (!ext)
		return true;
	return icheck_sp(c) && icheck_nstring(c, NULL, NULL) && icheck_sp(c) &&
	       icheck_ext_tail(c);
}

static inline bool
icheck_body(struct icheck *c, bool ext, unsigned depth)
{
	bool r;

	if (depth > 300)
		return icheck_fail(c, "too deep");
	if (!icheck_lit(c, "("))
		return false;
	c->bodies++;
	r = icheck_peek(c) == '(' ? icheck_mpart(c, ext, depth)
	                          : icheck_1part(c, ext, depth);
	return r && icheck_lit(c, ")");
}

#endif
