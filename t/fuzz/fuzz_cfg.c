/*
 * fuzz_cfg.c - libFuzzer target for cfg_parse() and the typed loader
 * (lib/base/cfg).
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: cfg_parse returns 0 or -1; every entry's name is a
 * non-empty run of name bytes inside the input, at the start of the line
 * the entry reports, followed by blanks and '='; values are trimmed, hold
 * no NUL or newline and fit CFG_MAX_VALUE; lines only grow; an error has
 * a reason and a line within the input.  The same text then goes through
 * cfg_read_text and cfg_finish with a small table, whose $name expansion
 * must end (loops included) with every value present and bounded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

struct ctx {
	const uint8_t *data;
	size_t size;
	int last_line;
	size_t n;
};

static int
is_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The 1-based line number of offset off. */
static int
line_of(const uint8_t *data, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (data[i] == '\n')
			line++;
	return line;
}

static int
entry(struct span name, struct span value, int line, void *arg)
{
	struct ctx *c = arg;
	size_t off;
	size_t i;

	check(name.len > 0 && name.p >= c->data &&
	    name.p + name.len <= c->data + c->size);
	off = (size_t)(name.p - c->data);
	for (i = 0; i < name.len; i++)
		check(is_name_byte(name.p[i]));
	/*
	 * The name starts its line, after blanks only if the line does not
	 * start with a space or tab (that would be a continuation).
	 */
	check(line == line_of(c->data, off));
	for (i = off; i > 0 && c->data[i - 1] != '\n'; i--)
		check(is_blank(c->data[i - 1]));
	check(i == off || (c->data[i] != ' ' && c->data[i] != '\t'));
	/* Blanks, then '='. */
	for (i = off + name.len; i < c->size && (c->data[i] == ' ' ||
						    c->data[i] == '\t');
	     i++)
		;
	check(i < c->size && c->data[i] == '=');

	check(line > c->last_line);
	c->last_line = line;
	check(value.len <= CFG_MAX_VALUE);
	check(value.len == 0 || value.p != NULL);
	if (value.len > 0) {
		check(!is_blank(value.p[0]));
		check(!is_blank(value.p[value.len - 1]));
		check(memchr(value.p, '\0', value.len) == NULL);
		check(memchr(value.p, '\n', value.len) == NULL);
	}
	c->n++;
	return 0;
}

struct dst {
	const char *a;
	const char *b;
	const char *c;
	uint64_t n;
	uint64_t t;
	bool f;
};

#define ROW(name, type, def, lo, hi)                                       \
	{ #name, type, def, lo, hi, offsetof(struct dst, name), "fuzz" }

static const struct cfg_param table[] = {
	ROW(a, CFG_STR, "x$b", 0, 0),
	ROW(b, CFG_LIST, "${c}, y", 0, 0),
	ROW(c, CFG_STR, "z$$", 0, 0),
	ROW(n, CFG_INT, "1", 0, 1000),
	ROW(t, CFG_TIME, "1m", 0, 86400),
	ROW(f, CFG_BOOL, "no", 0, 1),
	{ NULL, CFG_STR, NULL, 0, 0, 0, NULL },
};

static void
ignore_warning(const char *msg, void *arg)
{
	(void)arg;
	check(msg != NULL && msg[0] != '\0');
}

static void
load(const uint8_t *data, size_t size, int parsed)
{
	struct cfg *cfg = cfg_new(table, ignore_warning, NULL);
	struct why why = { "" };
	struct dst d;
	size_t i;
	int r;

	r = cfg_read_text(cfg, span_make(data, size), "f", &why);
	check(r == parsed);
	check(r == 0 || strncmp(why.msg, "f:", 2) == 0);
	if (r == 0) {
		memset(&d, 0, sizeof(d));
		why.msg[0] = '\0';
		r = cfg_finish(cfg, &d, &why);
		check(r == 0 || r == -1);
		check(r == 0 || why.msg[0] != '\0');
		for (i = 0; r == 0 && table[i].name != NULL; i++) {
			const char *v = cfg_value(cfg, table[i].name);

			check(v != NULL && strlen(v) <= CFG_MAX_VALUE);
		}
		if (r == 0)
			check(strcmp(d.a, cfg_value(cfg, "a")) == 0 &&
			    d.n <= 1000 && d.t <= 86400);
	}
	cfg_free(&cfg);
	check(cfg == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { data, size, 0, 0 };
	struct why why = { "" };
	int line = -7;
	int r;

	r = cfg_parse(span_make(data, size), entry, &c, &line, &why);
	check(r == 0 || r == -1);
	if (r == -1) {
		check(why.msg[0] != '\0');
		check(line >= 1 && line <= line_of(data, size));
	} else {
		check(line == -7);
	}
	load(data, size, r);
	return 0;
}
