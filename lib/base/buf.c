/*
 * buf.c - growable bounded buffers and borrowed spans.
 * Linked into: every program.  Trust: contents may be peer data; growth is
 * overflow-checked and bounded, and failure leaves the buffer unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmem.h"

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max > BUF_MAX_CEILING ? BUF_MAX_CEILING : max;
}

void
buf_fini(struct buf *b)
{
	xfree(&b->p);
	b->len = 0;
	b->cap = 0;
}

void
buf_wipe(struct buf *b)
{
	if (b->p != NULL)
		secret_wipe(b->p, b->cap);
	buf_fini(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t n)
{
	ASSERT(n <= b->len);
	b->len = n;
	if (b->p != NULL)
		b->p[n] = '\0';
}

/* Make room for n more bytes plus the trailing NUL. */
static int
reserve(struct buf *b, size_t n)
{
	size_t need;
	size_t cap;

	if (n > b->max || b->len > b->max - n)
		return -1;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	return reserve(b, n);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return buf_add(b, &ch, 1);
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addspan(struct buf *b, struct span s)
{
	return buf_add(b, s.p, s.len);
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || reserve(b, (size_t)n) == -1)
		return -1;
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
buf_set(struct buf *b, const void *p, size_t n)
{
	size_t old = b->len;

	if (n > b->max)
		return -1;
	b->len = 0;
	if (buf_add(b, p, n) == -1) {
		b->len = old;
		return -1;
	}
	return 0;
}

const char *
buf_str(const struct buf *b)
{
	return b->p != NULL ? (const char *)b->p : "";
}

struct span
buf_span(const struct buf *b)
{
	return span_make(b->p, b->len);
}

char *
buf_steal(struct buf *b)
{
	char *s = b->p != NULL ? (char *)b->p : xstrdup("");

	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return s;
}

struct span
span_make(const void *p, size_t len)
{
	struct span s = { p, len };

	if (s.p == NULL)
		s.p = (const unsigned char *)"";
	return s;
}

struct span
span_str(const char *s)
{
	return span_make(s, strlen(s));
}

bool
span_eq(struct span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

bool
span_eq_nocase(struct span s, const char *lit)
{
	return s.len == strlen(lit) &&
	    strncasecmp((const char *)s.p, lit, s.len) == 0;
}

bool
span_eq_span(struct span a, struct span b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

bool
span_eq_span_nocase(struct span a, struct span b)
{
	size_t i;

	/* A byte loop, not strncasecmp: spans may hold NUL bytes. */
	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (ascii_lower(a.p[i]) != ascii_lower(b.p[i]))
			return false;
	return true;
}

bool
span_startswith_nocase(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && strncasecmp((const char *)s.p, lit, n) == 0;
}

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct span
span_trim(struct span s)
{
	while (s.len > 0 && is_blank(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

long
span_chr(struct span s, int c)
{
	const unsigned char *q = s.len > 0 ? memchr(s.p, c, s.len) : NULL;

	return q != NULL ? (long)(q - s.p) : -1;
}

struct span
span_sub(struct span s, size_t off, size_t n)
{
	if (off > s.len)
		off = s.len;
	if (n > s.len - off)
		n = s.len - off;
	return span_make(s.p + off, n);
}

char *
span_dup(struct span s)
{
	char *p = xmalloc(s.len + 1);

	memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

bool
span_token(struct span *s, const char *seps, struct span *tok_out)
{
	size_t i = 0;
	size_t start;

	while (i < s->len && s->p[i] != '\0' && strchr(seps, s->p[i]) != NULL)
		i++;
	if (i == s->len) {
		*s = span_make(s->p + i, 0);
		return false;
	}
	start = i;
	while (i < s->len && (s->p[i] == '\0' || strchr(seps, s->p[i]) == NULL))
		i++;
	*tok_out = span_make(s->p + start, i - start);
	*s = span_make(s->p + i, s->len - i);
	return true;
}

/*
 * The length of the valid UTF-8 sequence for a non-ASCII character at s.p
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or
 * 0 when the bytes are not one.
 */
size_t
span_utf8_len(struct span s)
{
	const unsigned char *p = s.p;
	size_t n = s.len;
	unsigned lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

bool
span_utf8_ok(struct span s)
{
	size_t i = 0;

	while (i < s.len) {
		size_t n = span_utf8_len(span_sub(s, i, s.len - i));

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

bool
span_has_8bit(struct span s)
{
	unsigned char acc = 0;
	size_t i;

	/* One pass without a branch a byte: message bodies are long. */
	for (i = 0; i < s.len; i++)
		acc |= s.p[i];
	return (acc & 0x80) != 0;
}
