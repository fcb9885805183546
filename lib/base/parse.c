/*
 * parse.c - strict parsing of numbers, time intervals, sizes and booleans.
 * Linked into: every program.  Trust: input may be peer or admin text.
 */
#include <ctype.h>

#include "base/parse.h"

int
parse_u64(struct span s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 20)
		return -1;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parse digits followed by one optional unit letter from units. */
static int
parse_scaled(struct span s, const char *units, const uint64_t *mult,
    uint64_t *out)
{
	uint64_t v;
	uint64_t m = 1;
	size_t i;

	if (s.len > 0) {
		int c = tolower(s.p[s.len - 1]);

		for (i = 0; units[i] != '\0'; i++) {
			if (c == units[i]) {
				m = mult[i];
				s.len--;
				break;
			}
		}
	}
	if (parse_u64(s, 0, UINT64_MAX, &v) == -1)
		return -1;
	if (v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int
parse_time(struct span s, uint64_t *secs_out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 604800 };

	return parse_scaled(s, "smhdw", mult, secs_out);
}

int
parse_size(struct span s, uint64_t *bytes_out)
{
	static const uint64_t mult[] = { 1024, 1024 * 1024,
		1024 * 1024 * 1024 };

	/* Accept "10k" and "10kb" alike. */
	if (s.len >= 2 && (s.p[s.len - 1] == 'b' || s.p[s.len - 1] == 'B') &&
	    isalpha(s.p[s.len - 2]))
		s.len--;
	return parse_scaled(s, "kmg", mult, bytes_out);
}

int
parse_bool(struct span s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (span_eq_nocase(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (span_eq_nocase(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}
