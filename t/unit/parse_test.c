/*
 * parse_test.c - unit tests for lib/base/parse: numbers, times, sizes and
 * booleans, including every rejection branch.
 */
#include "base/parse.h"
#include "tap.h"

static const struct {
	const char *in;
	int ret;
	uint64_t want;
} u64_cases[] = {
	{ "0", 0, 0 },
	{ "42", 0, 42 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -1, 0 },
	{ "99999999999999999999", -1, 0 },
	{ "000000000000000000001", -1, 0 },
	{ "", -1, 0 },
	{ "-1", -1, 0 },
	{ "+1", -1, 0 },
	{ " 1", -1, 0 },
	{ "1 ", -1, 0 },
	{ "1x", -1, 0 },
	{ "0x10", -1, 0 },
};

static const struct {
	const char *in;
	int ret;
	uint64_t want;
} time_cases[] = {
	{ "30", 0, 30 },   { "30s", 0, 30 },   { "5m", 0, 300 },
	{ "2h", 0, 7200 }, { "1d", 0, 86400 }, { "1W", 0, 604800 },
	{ "5M", 0, 300 },  { "s", -1, 0 },     { "", -1, 0 },
	{ "5x", -1, 0 },   { "5ms", -1, 0 },   { "-5s", -1, 0 },
	{ "1.5h", -1, 0 }, { "18446744073709551615w", -1, 0 },
};

static const struct {
	const char *in;
	int ret;
	uint64_t want;
} size_cases[] = {
	{ "100", 0, 100 },
	{ "10k", 0, 10240 },
	{ "10K", 0, 10240 },
	{ "10kb", 0, 10240 },
	{ "2m", 0, 2097152 },
	{ "1g", 0, 1073741824 },
	{ "1t", -1, 0 },
	{ "k", -1, 0 },
	{ "b", -1, 0 },
	{ "10b", -1, 0 },
	{ "", -1, 0 },
	{ "18014398509481984k", -1, 0 },
};

int
main(void)
{
	size_t i;
	uint64_t v;
	bool b;

	for (i = 0; i < sizeof(u64_cases) / sizeof(u64_cases[0]); i++) {
		v = 7;
		is_int(parse_u64(span_str(u64_cases[i].in), 0, UINT64_MAX, &v),
		    u64_cases[i].ret, "parse_u64 '%s'", u64_cases[i].in);
		if (u64_cases[i].ret == 0)
			ok(v == u64_cases[i].want, "parse_u64 '%s' value",
			    u64_cases[i].in);
		else
			ok(v == 7, "parse_u64 '%s' leaves output alone",
			    u64_cases[i].in);
	}
	ok(parse_u64(span_str("5"), 6, 10, &v) == -1, "below min refused");
	ok(parse_u64(span_str("11"), 6, 10, &v) == -1, "above max refused");
	ok(parse_u64(span_str("10"), 6, 10, &v) == 0 && v == 10, "max fits");
	ok(parse_u64(span_make("1\0", 2), 0, 9, &v) == -1, "embedded NUL");

	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		int r = parse_time(span_str(time_cases[i].in), &v);

		ok(r == time_cases[i].ret &&
			(r == -1 || v == time_cases[i].want),
		    "parse_time '%s'", time_cases[i].in);
	}
	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		int r = parse_size(span_str(size_cases[i].in), &v);

		ok(r == size_cases[i].ret &&
			(r == -1 || v == size_cases[i].want),
		    "parse_size '%s'", size_cases[i].in);
	}
	ok(parse_bool(span_str("yes"), &b) == 0 && b, "bool yes");
	ok(parse_bool(span_str("ON"), &b) == 0 && b, "bool ON");
	ok(parse_bool(span_str("0"), &b) == 0 && !b, "bool 0");
	ok(parse_bool(span_str("False"), &b) == 0 && !b, "bool False");
	ok(parse_bool(span_str("yess"), &b) == -1, "bool yess refused");
	ok(parse_bool(span_str(""), &b) == -1, "bool empty refused");
	return done_testing();
}
