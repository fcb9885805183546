/*
 * fuzz_mastercf.c - libFuzzer target for mastercf_parse()
 * (lib/base/mastercf).
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: the result is 0 or -1; a rejection gives a reason and a
 * line within the input and leaves the table empty; an accepted table is
 * within its limits, every service has a valid unique name, a listener,
 * a command (NULL-terminated argv) and a line within the input, and equals
 * itself.  The input is parsed twice: without an expander and with one
 * that turns "$l" into a list, "$e" into nothing and fails on "$f".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mastercf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
lines_in(const uint8_t *data, size_t size)
{
	int n = 1;
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n;
}

static int
expand(struct span field, struct buf *out, void *arg, struct why *why)
{
	(void)arg;
	if (span_eq(field, "$f"))
		return why_set(why, "cannot expand");
	if (span_eq(field, "$e"))
		return 0;
	if (span_eq(field, "$l"))
		return buf_adds(out, "127.0.0.1:1, [::1]:2 ,,unix:/x") == -1 ?
		    why_set(why, "too long") : 0;
	return buf_addspan(out, field) == -1 ? why_set(why, "too long") : 0;
}

static void
check_service(const struct mastercf *mc, const struct mastercf_service *s,
    int nlines)
{
	const char *p;
	size_t i;

	check(s->name != NULL && s->name[0] != '\0' && strlen(s->name) <= 64);
	for (p = s->name; *p != '\0'; p++)
		check(strchr("abcdefghijklmnopqrstuvwxyz0123456789_-.", *p) !=
		    NULL);
	check(mastercf_find(mc, s->name) == s);
	check(s->type == MASTERCF_INET || s->type == MASTERCF_UNIX);
	check(s->nlisten >= 1 && s->nlisten <= MASTERCF_MAX_LISTEN);
	for (i = 0; i < s->nlisten; i++)
		check(s->listen[i] != NULL && s->listen[i][0] != '\0');
	check(s->limit <= MASTERCF_MAX_LIMIT);
	check(s->user == NULL || s->user[0] != '\0');
	check(s->argc >= 1 && s->argc <= MASTERCF_MAX_ARGS);
	check(s->argv != NULL && s->argv[s->argc] == NULL);
	for (i = 0; i < s->argc; i++)
		check(s->argv[i] != NULL);
	check(s->argv[0][0] != '\0');
	p = strchr(s->argv[0], '/');
	check(p == NULL || p == s->argv[0]);
	check(s->line >= 1 && s->line <= nlines);
	check(mastercf_same(s, s) && mastercf_same_listen(s, s));
}

static void
run(const uint8_t *data, size_t size, mastercf_expand_fn *fn)
{
	struct mastercf mc;
	struct why why = { "" };
	int nlines = lines_in(data, size);
	int line = -7;
	size_t i;
	int r;

	r = mastercf_parse(span_make(data, size), fn, NULL, &mc, &line, &why);
	check(r == 0 || r == -1);
	if (r == -1) {
		check(why.msg[0] != '\0');
		check(line >= 1 && line <= nlines);
		check(mc.n == 0 && mc.v == NULL);
	} else {
		check(line == -7);
		check(mc.n <= MASTERCF_MAX_SERVICES);
		for (i = 0; i < mc.n; i++) {
			check_service(&mc, &mc.v[i], nlines);
			check(i == 0 || mc.v[i].line > mc.v[i - 1].line);
		}
	}
	mastercf_fini(&mc);
	check(mc.n == 0 && mc.v == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, NULL);
	run(data, size, expand);
	return 0;
}
