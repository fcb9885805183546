/*
 * mastercf.c - parse master.conf into a table of services.
 * Linked into: master, postern.  Trust: the admin's file; every field is
 * checked and every error names its line.
 */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/mastercf.h"
#include "base/parse.h"
#include "base/xmem.h"

#define MASTERCF_MAX_LINE 65536
#define MASTERCF_MAX_FILE (1024 * 1024)

static void
service_fini(struct mastercf_service *s)
{
	size_t i;

	free(s->name);
	for (i = 0; i < s->nlisten; i++)
		free(s->listen[i]);
	free(s->listen);
	free(s->user);
	for (i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	memset(s, 0, sizeof(*s));
}

void
mastercf_fini(struct mastercf *mc)
{
	size_t i;

	for (i = 0; i < mc->n; i++)
		service_fini(&mc->v[i]);
	free(mc->v);
	mc->v = NULL;
	mc->n = 0;
}

static bool
valid_name(struct span s)
{
	size_t i;

	if (s.len == 0 || s.len > 64)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Expand one field into out (reset first). */
static int
expand_field(struct span field, mastercf_expand_fn *expand, void *arg,
    struct buf *out, struct why *why)
{
	buf_reset(out);
	if (expand == NULL)
		return buf_addspan(out, field) == -1 ?
		    why_set(why, "field too long") : 0;
	return expand(field, out, arg, why);
}

static int
set_listen(struct mastercf_service *s, struct span v, struct why *why)
{
	struct span item;

	while (span_token(&v, ", \t", &item)) {
		if (s->nlisten == MASTERCF_MAX_LISTEN)
			return why_set(why, "more than %d listen addresses",
			    MASTERCF_MAX_LISTEN);
		s->listen = xreallocarray(s->listen, s->nlisten + 1,
		    sizeof(*s->listen));
		s->listen[s->nlisten++] = span_dup(item);
	}
	if (s->nlisten == 0)
		return why_set(why, "empty listen address");
	return 0;
}

static int
set_simple(struct mastercf_service *s, int col, struct span v,
    struct why *why)
{
	uint64_t n;

	switch (col) {
	case 0:
		if (!valid_name(v))
			return why_set(why, "bad service name \"%.*s\"",
			    (int)v.len, (const char *)v.p);
		s->name = span_dup(v);
		return 0;
	case 1:
		if (span_eq(v, "inet") || span_eq(v, "unix")) {
			s->type = span_eq(v, "inet") ? MASTERCF_INET :
						       MASTERCF_UNIX;
			return 0;
		}
		return why_set(why, "bad type \"%.*s\" (expected inet or "
				    "unix)", (int)v.len, (const char *)v.p);
	case 2:
		return set_listen(s, v, why);
	case 3:
		if (span_eq(v, "y") || span_eq(v, "n")) {
			s->chroot = span_eq(v, "y");
			return 0;
		}
		return why_set(why, "bad chroot \"%.*s\" (expected y or n)",
		    (int)v.len, (const char *)v.p);
	case 4:
		if (span_eq(v, "-"))
			return 0;
		if (parse_u64(v, 1, MASTERCF_MAX_LIMIT, &n) == -1)
			return why_set(why, "bad process limit \"%.*s\" "
					    "(expected 1-%d or -)", (int)v.len,
			    (const char *)v.p, MASTERCF_MAX_LIMIT);
		s->limit = (unsigned int)n;
		return 0;
	default:
		if (span_eq(v, "-"))
			return 0;
		if (!valid_name(v))
			return why_set(why, "bad user name \"%.*s\"",
			    (int)v.len, (const char *)v.p);
		s->user = span_dup(v);
		return 0;
	}
}

static int
add_arg(struct mastercf_service *s, struct span v, struct why *why)
{
	if (s->argc == MASTERCF_MAX_ARGS)
		return why_set(why, "more than %d arguments",
		    MASTERCF_MAX_ARGS);
	if (s->argc == 0 && (v.len == 0 || span_chr(v, '/') > 0))
		return why_set(why, "bad command \"%.*s\" (a name in "
				    "daemon_directory or an absolute path)",
		    (int)v.len, (const char *)v.p);
	s->argv = xreallocarray(s->argv, s->argc + 2, sizeof(*s->argv));
	s->argv[s->argc++] = span_dup(v);
	s->argv[s->argc] = NULL;
	return 0;
}

/* Split one logical line into fields and fill s. */
static int
parse_service(struct span line, mastercf_expand_fn *expand, void *arg,
    struct mastercf_service *s, struct why *why)
{
	struct buf field;
	struct span tok;
	int col = 0;
	int r = 0;

	buf_init(&field, MASTERCF_MAX_LINE);
	while (r == 0 && span_token(&line, " \t\r", &tok)) {
		r = expand_field(tok, expand, arg, &field, why);
		if (r == 0 && col < 6)
			r = set_simple(s, col, buf_span(&field), why);
		else if (r == 0)
			r = add_arg(s, buf_span(&field), why);
		col++;
	}
	buf_fini(&field);
	if (r == 0 && col < 7)
		r = why_set(why, "expected: name type listen chroot limit "
				 "user command [args...]");
	return r;
}

static int
add_service(struct mastercf *mc, struct span line, int lineno,
    mastercf_expand_fn *expand, void *arg, struct why *why)
{
	struct mastercf_service s;

	memset(&s, 0, sizeof(s));
	s.line = lineno;
	if (parse_service(line, expand, arg, &s, why) == -1) {
		service_fini(&s);
		return -1;
	}
	if (mastercf_find(mc, s.name) != NULL) {
		why_set(why, "duplicate service name \"%s\"", s.name);
		service_fini(&s);
		return -1;
	}
	if (mc->n == MASTERCF_MAX_SERVICES) {
		service_fini(&s);
		return why_set(why, "more than %d services",
		    MASTERCF_MAX_SERVICES);
	}
	mc->v = xreallocarray(mc->v, mc->n + 1, sizeof(*mc->v));
	mc->v[mc->n++] = s;
	return 0;
}

struct pending {
	struct buf text;
	int line;
};

static int
flush(struct mastercf *mc, struct pending *pd, mastercf_expand_fn *expand,
    void *arg, struct why *why)
{
	int r = 0;

	if (pd->line > 0)
		r = add_service(mc, buf_span(&pd->text), pd->line, expand, arg,
		    why);
	buf_reset(&pd->text);
	return r;
}

static int
take_line(struct mastercf *mc, struct pending *pd, struct span line,
    int *lineno, mastercf_expand_fn *expand, void *arg, struct why *why)
{
	struct span t = span_trim(line);

	if (span_chr(line, '\0') != -1)
		return why_set(why, "NUL byte in line");
	if (t.len == 0 || t.p[0] == '#')
		return 0;
	if (line.p[0] == ' ' || line.p[0] == '\t') {
		if (pd->line == 0)
			return why_set(why, "continuation line without a "
					    "service line before it");
	} else {
		int here = *lineno;

		*lineno = pd->line;
		if (flush(mc, pd, expand, arg, why) == -1)
			return -1;
		*lineno = here;
		pd->line = here;
	}
	if (buf_addc(&pd->text, ' ') == -1 || buf_addspan(&pd->text, t) == -1)
		return why_set(why, "line too long");
	return 0;
}

int
mastercf_parse(struct span text, mastercf_expand_fn *expand, void *arg,
    struct mastercf *out, int *err_line_out, struct why *why)
{
	struct pending pd = { .line = 0 };
	int lineno = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&pd.text, MASTERCF_MAX_LINE);
	while (text.len > 0 && r == 0) {
		long nl = span_chr(text, '\n');
		size_t n = nl == -1 ? text.len : (size_t)nl;

		lineno++;
		r = take_line(out, &pd, span_make(text.p, n), &lineno, expand,
		    arg, why);
		text = span_sub(text, nl == -1 ? n : n + 1, text.len);
	}
	if (r == 0) {
		lineno = pd.line;
		r = flush(out, &pd, expand, arg, why);
	}
	buf_fini(&pd.text);
	if (r == -1) {
		*err_line_out = lineno;
		mastercf_fini(out);
	}
	return r;
}

int
mastercf_read(const char *path, mastercf_expand_fn *expand, void *arg,
    struct mastercf *out, struct why *why)
{
	struct buf text;
	struct why inner;
	int line = 0;
	int r;

	memset(out, 0, sizeof(*out));
	buf_init(&text, MASTERCF_MAX_FILE);
	r = file_read(path, &text, why);
	if (r == 1)
		r = 0;		/* no file: no services */
	if (r == 0 && mastercf_parse(buf_span(&text), expand, arg, out, &line,
			  &inner) == -1)
		r = why_set(why, "%s:%d: %s", path, line, inner.msg);
	buf_fini(&text);
	return r;
}

const struct mastercf_service *
mastercf_find(const struct mastercf *mc, const char *name)
{
	size_t i;

	for (i = 0; i < mc->n; i++)
		if (strcmp(mc->v[i].name, name) == 0)
			return &mc->v[i];
	return NULL;
}

static bool
same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

bool
mastercf_same_listen(const struct mastercf_service *a,
    const struct mastercf_service *b)
{
	return a->type == b->type &&
	    same_strings(a->listen, a->nlisten, b->listen, b->nlisten);
}

bool
mastercf_same(const struct mastercf_service *a,
    const struct mastercf_service *b)
{
	bool same_user = (a->user == NULL && b->user == NULL) ||
	    (a->user != NULL && b->user != NULL &&
		strcmp(a->user, b->user) == 0);

	return strcmp(a->name, b->name) == 0 && mastercf_same_listen(a, b) &&
	    a->chroot == b->chroot && a->limit == b->limit && same_user &&
	    same_strings(a->argv, a->argc, b->argv, b->argc);
}
