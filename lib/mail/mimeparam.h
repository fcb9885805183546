/*
 * mimeparam.h - the values of Content-Type (RFC 2045 section 5.1) and
 * Content-Disposition (RFC 2183): a type (and "/" subtype) and a list of
 * parameters, with RFC 2231 continuations joined.
 * Linked into: the MIME parser (lmtpd, imapd, the store tools), its tests
 * and fuzz targets.  Trust: a remote sender wrote the value; parsing is
 * pure (no I/O, no globals, no logging, no allocation) and linear.
 *
 * Leniency, as mail readers need it: CFWS (white space, folding and
 * comments) may stand between any two items; an unquoted value runs up
 * to white space, ';', '(' or '"', so "boundary=----=_Part_1" works; a
 * quoted string without its closing quote runs to the end; text that is
 * not a parameter is skipped up to the next ';'.  Parameters past
 * MIMEPARAM_MAX, and those whose name is longer than MIMEPARAM_ATTR_MAX,
 * are dropped.  Encoded values are never decoded.
 *
 * RFC 2231 (section 3): the sections "name*0", "name*1", ... (each
 * optionally with a trailing '*') are joined in section order into one
 * parameter, named "name*" when section 0 is extended (charset'lang'
 * and %XX encoding: the bytes of an unencoded later section are then
 * %-encoded where RFC 2231 requires it, so the whole value decodes the
 * same way) and "name" otherwise.  The joined parameter takes the place
 * of its section 0.  A section after a gap in the numbers, and one with
 * no section 0, is kept as it is, under its own name.
 */
#ifndef POSTERN_MIMEPARAM_H
#define POSTERN_MIMEPARAM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Parameters kept of one header field. */
#define MIMEPARAM_MAX 64
/* Longest parameter name. */
#define MIMEPARAM_ATTR_MAX 256

/* One parameter as written; spans borrowed from the parsed value. */
struct mimeparam_item {
	struct span attr;
	struct span value; /* without the quotes, quoted-pairs still in */
	bool quoted;
};

struct mimeparam {
	struct span type;    /* the first token */
	struct span subtype; /* after '/': Content-Type only */
	bool valid;          /* the type (and subtype) were there */
	bool cut;            /* parameters were dropped (a limit) */
	size_t n;
	struct mimeparam_item item[MIMEPARAM_MAX];
};

/*
 * Parse a field value (raw, folding included).  with_subtype: the value
 * is "type/subtype" (Content-Type) rather than one token.  When the
 * type is missing or malformed, out->valid is false and no parameters
 * are parsed (RFC 2045 section 5.2: the default then applies).
 */
void mimeparam_parse(struct span value, bool with_subtype,
                     struct mimeparam *out);

/* Receives one final parameter; spans valid during the call only. */
typedef int mimeparam_fn(void *arg, struct span attr, struct span value);

/*
 * Call fn for each parameter of mp in order, quoted-pairs and folding
 * removed from values and RFC 2231 sections joined, using scratch (reset
 * at each parameter).  Returns 0, or -1 as soon as fn returns -1 or the
 * scratch buffer is full.
 */
int mimeparam_each(const struct mimeparam *mp, struct buf *scratch,
                   mimeparam_fn *fn, void *arg);

#endif
