/*
 * fuzz_maptext.c - libFuzzer target for maptext_parse() (lib/mail/maptext),
 * the parser `postern map` runs on text tables.
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: every key lies inside the input, is 1..MAPTEXT_MAX_KEY
 * bytes, starts with neither a blank nor '#' and holds no blank, NUL or
 * newline; every value is 1..MAPTEXT_MAX_VALUE bytes with no NUL or
 * newline and no blank at either end, and lies inside the input unless
 * it was joined from several lines (then it holds a space); entry lines
 * increase; every line number is within the input; the counts match the
 * callbacks; the result is 0 exactly when there was no error; and a
 * second parse reports exactly the same things.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/maptext.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct span in;
	size_t lines;		/* newlines in the input, plus one */
	size_t entries;
	size_t errors;
	size_t warnings;
	size_t last_entry_line;
	uint64_t digest;	/* of everything reported, in order */
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
inside(struct span in, struct span s)
{
	return s.p >= in.p && s.len <= in.len &&
	    (size_t)(s.p - in.p) <= in.len - s.len;
}

static void
mix(struct seen *sn, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		sn->digest = (sn->digest ^ b[i]) * 1099511628211ULL;
}

static void
check_key(struct span in, struct span key)
{
	size_t i;

	check(key.len >= 1 && key.len <= MAPTEXT_MAX_KEY);
	check(inside(in, key));
	check(key.p[0] != '#');
	for (i = 0; i < key.len; i++)
		check(!is_blank(key.p[i]) && key.p[i] != '\0' &&
		    key.p[i] != '\n');
}

static void
check_value(struct span in, struct span v)
{
	check(v.len >= 1 && v.len <= MAPTEXT_MAX_VALUE);
	check(!is_blank(v.p[0]) && !is_blank(v.p[v.len - 1]));
	check(memchr(v.p, '\0', v.len) == NULL);
	check(memchr(v.p, '\n', v.len) == NULL);
	if (!inside(in, v))
		check(memchr(v.p, ' ', v.len) != NULL);
}

static int
on_entry(void *arg, size_t line, struct span key, struct span value)
{
	struct seen *sn = arg;

	check_key(sn->in, key);
	check_value(sn->in, value);
	check(line >= 1 && line <= sn->lines);
	check(line > sn->last_entry_line);
	sn->last_entry_line = line;
	sn->entries++;
	mix(sn, &line, sizeof(line));
	mix(sn, key.p, key.len);
	mix(sn, value.p, value.len);
	return 0;
}

static void
on_diag(void *arg, size_t line, bool is_error, const char *reason)
{
	struct seen *sn = arg;

	check(line >= 1 && line <= sn->lines);
	check(reason != NULL && reason[0] != '\0');
	if (is_error)
		sn->errors++;
	else
		sn->warnings++;
	mix(sn, &line, sizeof(line));
	mix(sn, reason, strlen(reason));
}

static uint64_t
parse_once(const uint8_t *data, size_t size)
{
	struct seen sn;
	struct maptext_cb cb = { on_entry, on_diag, &sn };
	struct maptext_stats st;
	size_t i;
	int r;

	memset(&sn, 0, sizeof(sn));
	sn.in = span_make(data, size);
	sn.lines = 1;
	for (i = 0; i < size; i++)
		sn.lines += data[i] == '\n';
	sn.digest = 14695981039346656037ULL;
	r = maptext_parse(sn.in, &cb, &st);
	check(st.entries == sn.entries && st.errors == sn.errors &&
	    st.warnings == sn.warnings && !st.stopped);
	check(st.lines <= sn.lines);
	check(r == (sn.errors == 0 ? 0 : -1));
	return sn.digest;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(parse_once(data, size) == parse_once(data, size));
	return 0;
}
