/*
 * buf.h - the one growable byte buffer (struct buf, owned, with a hard
 * maximum) and the borrowed byte range parsers produce (struct span).
 * Linked into: every program.  Trust: contents may be peer data; every
 * growth is overflow-checked and bounded by the buffer's max.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Borrowed bytes: never assume NUL termination. */
struct span {
	const unsigned char *p;
	size_t len;
};

/* Owned bytes; a NUL always follows len once anything was added. */
struct buf {
	unsigned char *p;
	size_t len;
	size_t cap;
	size_t max;
};

/* Hard ceiling for any buffer's max (1 GiB). */
#define BUF_MAX_CEILING ((size_t)1 << 30)

/* Start an empty buffer that may hold at most max bytes (capped). */
void	buf_init(struct buf *b, size_t max);
/* Release the memory; the buffer is empty and usable again. */
void	buf_fini(struct buf *b);
/* Like buf_fini, but overwrites the contents first (secrets). */
void	buf_wipe(struct buf *b);
/* Empty the buffer, keeping its memory. */
void	buf_reset(struct buf *b);
/* Shorten to n bytes (n <= len). */
void	buf_truncate(struct buf *b, size_t n);

/*
 * Append.  Each returns 0, or -1 with the buffer unchanged when the result
 * would pass max.  They never abort on input.
 */
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_addc(struct buf *b, int c);
int	buf_adds(struct buf *b, const char *s);
int	buf_addspan(struct buf *b, struct span s);
int	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Make room for n more bytes after len (to fill in place, then add to
 * len): 0, or -1 when len + n would pass max. */
int	buf_reserve(struct buf *b, size_t n);
/* Replace the contents (0, or -1 with the buffer unchanged). */
int	buf_set(struct buf *b, const void *p, size_t n);

/* The contents as a C string: borrowed, valid until the next change. */
const char *buf_str(const struct buf *b);
/* The contents as a span: borrowed, valid until the next change. */
struct span buf_span(const struct buf *b);
/* Take the contents as a NUL-terminated heap string (caller frees);
 * the buffer is left empty. */
char	*buf_steal(struct buf *b);

/* Span helpers. */
struct span span_make(const void *p, size_t len);
struct span span_str(const char *s);
bool	span_eq(struct span s, const char *lit);
bool	span_eq_nocase(struct span s, const char *lit);
bool	span_eq_span(struct span a, struct span b);
/* Equal ignoring ASCII case. */
bool	span_eq_span_nocase(struct span a, struct span b);
bool	span_startswith_nocase(struct span s, const char *lit);
/* Remove leading and trailing blanks (space, tab, CR, LF). */
struct span span_trim(struct span s);
/* The length of the UTF-8 character (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) that starts s, or 0 when s does
 * not start with one.  ASCII counts as a character of length 1. */
size_t	span_utf8_len(struct span s);
/* s is all valid UTF-8 (ASCII included). */
bool	span_utf8_ok(struct span s);
/* s holds a byte >= 0x80 (it is not 7-bit). */
bool	span_has_8bit(struct span s);
/* Index of the first c, or -1. */
long	span_chr(struct span s, int c);
/* Bytes [off, off+n) clamped to s. */
struct span span_sub(struct span s, size_t off, size_t n);
/* A NUL-terminated heap copy (caller frees). */
char	*span_dup(struct span s);
/*
 * Split the next token off *s: skips leading separators (any byte of
 * seps), returns the token and advances *s past it.  Returns false when
 * no token is left.
 */
bool	span_token(struct span *s, const char *seps, struct span *tok_out);

#endif
