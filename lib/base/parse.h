/*
 * parse.h - strict parsing of numbers, time intervals, sizes and booleans.
 * Linked into: every program.  Trust: input may be peer or admin text;
 * signs, overflow, empty input and trailing bytes are all rejected.
 */
#ifndef POSTERN_PARSE_H
#define POSTERN_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

/* Decimal digits only, value in [min, max].  Returns 0 or -1. */
int	parse_u64(struct span s, uint64_t min, uint64_t max, uint64_t *out);
/*
 * A time interval in seconds: digits with an optional unit s, m, h, d or w
 * (case-insensitive; no unit means seconds).  Returns 0 or -1.
 */
int	parse_time(struct span s, uint64_t *secs_out);
/*
 * A size in bytes: digits with an optional unit k, m or g (powers of 1024,
 * case-insensitive, an optional trailing "b" allowed).  Returns 0 or -1.
 */
int	parse_size(struct span s, uint64_t *bytes_out);
/* yes/no, true/false, on/off, 1/0 (case-insensitive).  Returns 0 or -1. */
int	parse_bool(struct span s, bool *out);

#endif
