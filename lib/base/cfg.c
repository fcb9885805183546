/*
 * cfg.c - read postern.conf-style files, expand $name references and fill
 * typed parameter tables.
 * Linked into: every program.  Trust: admin files; every error names its
 * file and line, nothing is trusted to be well-formed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"
#include "base/file.h"
#include "base/parse.h"
#include "base/xmem.h"

/* Largest configuration file accepted. */
#define CFG_MAX_FILE (4 * 1024 * 1024)

struct setting {
	char *name;
	char *raw;		/* as written, or the default */
	char *origin;		/* file name, "-o", or NULL for the default */
	int line;
	bool is_set;
	bool busy;		/* being expanded: loop detection */
	char *expanded;		/* cached by expand_setting() */
};

struct cfg {
	const struct cfg_param *table;	/* borrowed: outlives cfg */
	struct setting *v;
	size_t n;
	cfg_warn_fn *warn;
	void *warn_arg;
};

static bool
is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* One logical line: "name = value" on the first physical line. */
static int
parse_assignment(struct span line, struct span *name_out,
    struct span *value_out, struct why *why)
{
	size_t i = 0;

	while (i < line.len && is_name_char(line.p[i]))
		i++;
	if (i == 0)
		return why_set(why, "expected \"name = value\"");
	*name_out = span_make(line.p, i);
	while (i < line.len && is_space(line.p[i]))
		i++;
	if (i == line.len || line.p[i] != '=')
		return why_set(why, "missing '=' after \"%.*s\"",
		    (int)name_out->len, (const char *)name_out->p);
	*value_out = span_trim(span_sub(line, i + 1, line.len));
	return 0;
}

struct pending {
	struct span name;
	struct buf value;
	int line;
	bool active;
};

static int
flush_pending(struct pending *pd, cfg_entry_fn *fn, void *arg)
{
	int r = 0;

	if (pd->active)
		r = fn(pd->name, buf_span(&pd->value), pd->line, arg);
	pd->active = false;
	buf_reset(&pd->value);
	return r;
}

static int
parse_line(struct pending *pd, struct span line, int lineno, cfg_entry_fn *fn,
    void *arg, struct why *why)
{
	struct span t = span_trim(line);
	struct span value;

	if (span_chr(line, '\0') != -1)
		return why_set(why, "NUL byte in line");
	if (t.len == 0 || t.p[0] == '#')
		return 0;
	if (is_space(line.p[0])) {
		if (!pd->active)
			return why_set(why, "continuation line without a "
					    "preceding \"name = value\"");
		if ((pd->value.len > 0 && buf_addc(&pd->value, ' ') == -1) ||
		    buf_addspan(&pd->value, t) == -1)
			return why_set(why, "value longer than %d bytes",
			    CFG_MAX_VALUE);
		return 0;
	}
	if (flush_pending(pd, fn, arg) == -1)
		return -2;	/* the caller refused the previous entry */
	if (parse_assignment(t, &pd->name, &value, why) == -1)
		return -1;
	if (buf_addspan(&pd->value, value) == -1)
		return why_set(why, "value longer than %d bytes",
		    CFG_MAX_VALUE);
	pd->line = lineno;
	pd->active = true;
	return 0;
}

int
cfg_parse(struct span text, cfg_entry_fn *fn, void *arg, int *err_line_out,
    struct why *why)
{
	struct pending pd = { .active = false };
	int lineno = 0;
	int r = 0;

	buf_init(&pd.value, CFG_MAX_VALUE);
	while (text.len > 0 && r == 0) {
		long nl = span_chr(text, '\n');
		size_t n = nl == -1 ? text.len : (size_t)nl;

		lineno++;
		r = parse_line(&pd, span_make(text.p, n), lineno, fn, arg, why);
		text = span_sub(text, nl == -1 ? n : n + 1, text.len);
	}
	if (r == 0 && flush_pending(&pd, fn, arg) == -1)
		r = -2;
	if (r == -2) {
		/* Report the refused entry's own line. */
		lineno = pd.line;
		r = why_set(why, "setting refused");
	}
	if (r == -1)
		*err_line_out = lineno;
	buf_fini(&pd.value);
	return r;
}

static struct setting *
find(const struct cfg *cfg, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg->n; i++)
		if (strlen(cfg->v[i].name) == len &&
		    memcmp(cfg->v[i].name, name, len) == 0)
			return &cfg->v[i];
	return NULL;
}

static struct setting *
add_setting(struct cfg *cfg, struct span name)
{
	struct setting *s;

	cfg->v = xreallocarray(cfg->v, cfg->n + 1, sizeof(*cfg->v));
	s = &cfg->v[cfg->n++];
	memset(s, 0, sizeof(*s));
	s->name = span_dup(name);
	return s;
}

struct cfg *
cfg_new(const struct cfg_param *table, cfg_warn_fn *warn, void *warn_arg)
{
	struct cfg *cfg = xcalloc(1, sizeof(*cfg));
	size_t i;

	cfg->table = table;
	cfg->warn = warn;
	cfg->warn_arg = warn_arg;
	for (i = 0; table[i].name != NULL; i++) {
		struct setting *s = add_setting(cfg, span_str(table[i].name));

		s->raw = xstrdup(table[i].def);
	}
	return cfg;
}

void
cfg_free(struct cfg **cfgp)
{
	struct cfg *cfg = *cfgp;
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->v[i].name);
		free(cfg->v[i].raw);
		free(cfg->v[i].origin);
		free(cfg->v[i].expanded);
	}
	free(cfg->v);
	free(cfg);
	*cfgp = NULL;
}

static void
invalidate(struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n; i++)
		xfree(&cfg->v[i].expanded);
}

void
cfg_set_default(struct cfg *cfg, const char *name, const char *value)
{
	struct setting *s = find(cfg, name, strlen(name));

	if (s == NULL || s->is_set)
		return;
	free(s->raw);
	s->raw = xstrdup(value);
	invalidate(cfg);
}

struct read_ctx {
	struct cfg *cfg;
	const char *origin;
};

static int
store_entry(struct span name, struct span value, int line, void *arg)
{
	struct read_ctx *rc = arg;
	struct setting *s = find(rc->cfg, (const char *)name.p, name.len);
	char msg[512];

	if (s == NULL) {
		s = add_setting(rc->cfg, name);
		if (line > 0)
			snprintf(msg, sizeof(msg), "%s:%d: unknown parameter "
			    "%s", rc->origin, line, s->name);
		else
			snprintf(msg, sizeof(msg), "%s: unknown parameter %s",
			    rc->origin, s->name);
		if (rc->cfg->warn != NULL)
			rc->cfg->warn(msg, rc->cfg->warn_arg);
	}
	free(s->raw);
	free(s->origin);
	s->raw = span_dup(value);
	s->origin = xstrdup(rc->origin);
	s->line = line;
	s->is_set = true;
	return 0;
}

int
cfg_read_text(struct cfg *cfg, struct span text, const char *origin,
    struct why *why)
{
	struct read_ctx rc = { cfg, origin };
	struct why inner;
	int line = 0;

	invalidate(cfg);
	if (cfg_parse(text, store_entry, &rc, &line, &inner) == -1)
		return why_set(why, "%s:%d: %s", origin, line, inner.msg);
	return 0;
}

int
cfg_read_file(struct cfg *cfg, const char *path, struct why *why)
{
	struct buf text;
	int r;

	buf_init(&text, CFG_MAX_FILE);
	r = file_read(path, &text, why);
	if (r == 0)
		r = cfg_read_text(cfg, buf_span(&text), path, why);
	buf_fini(&text);
	return r == -1 ? -1 : 0;
}

int
cfg_override(struct cfg *cfg, const char *assignment, struct why *why)
{
	struct span name;
	struct span value;
	struct why inner;

	if (parse_assignment(span_trim(span_str(assignment)), &name, &value,
		&inner) == -1)
		return why_set(why, "-o %s: %s", assignment, inner.msg);
	invalidate(cfg);
	return store_entry(name, value, 0, &(struct read_ctx){ cfg, "-o" });
}

static int expand_setting(struct cfg *cfg, struct setting *s, int depth,
    struct why *why);

/* Append the value of the name at text[*i...] (just after '$'). */
static int
expand_ref(struct cfg *cfg, struct span text, size_t *i, struct buf *out,
    int depth, struct why *why)
{
	bool braced = *i < text.len && text.p[*i] == '{';
	size_t start = *i + braced;
	size_t end = start;
	struct setting *ref;

	while (end < text.len && is_name_char(text.p[end]))
		end++;
	if (end == start || (braced && (end == text.len || text.p[end] != '}')))
		return why_set(why, "bad $ reference (write $$ for a "
				    "literal $)");
	ref = find(cfg, (const char *)text.p + start, end - start);
	if (ref == NULL)
		return why_set(why, "undefined parameter $%.*s",
		    (int)(end - start), (const char *)text.p + start);
	if (expand_setting(cfg, ref, depth + 1, why) == -1)
		return -1;
	*i = end + braced;
	if (buf_adds(out, ref->expanded) == -1)
		return why_set(why, "value longer than %d bytes after "
				    "expansion", CFG_MAX_VALUE);
	return 0;
}

static int
expand_text(struct cfg *cfg, struct span text, struct buf *out, int depth,
    struct why *why)
{
	size_t i = 0;

	while (i < text.len) {
		unsigned char c = text.p[i++];

		if (c == '$' && i < text.len && text.p[i] == '$') {
			i++;
		} else if (c == '$') {
			if (expand_ref(cfg, text, &i, out, depth, why) == -1)
				return -1;
			continue;
		}
		if (buf_addc(out, c) == -1)
			return why_set(why, "value longer than %d bytes after "
					    "expansion", CFG_MAX_VALUE);
	}
	return 0;
}

static int
expand_setting(struct cfg *cfg, struct setting *s, int depth, struct why *why)
{
	struct buf out;
	int r;

	if (s->expanded != NULL)
		return 0;
	if (s->busy)
		return why_set(why, "$%s refers to itself (expansion loop)",
		    s->name);
	if (depth > CFG_MAX_DEPTH)
		return why_set(why, "$%s: references nested deeper than %d",
		    s->name, CFG_MAX_DEPTH);
	s->busy = true;
	buf_init(&out, CFG_MAX_VALUE);
	r = expand_text(cfg, span_str(s->raw), &out, depth, why);
	s->busy = false;
	if (r == 0)
		s->expanded = buf_steal(&out);
	buf_fini(&out);
	return r;
}

int
cfg_expand(struct cfg *cfg, struct span text, struct buf *out,
    struct why *why)
{
	return expand_text(cfg, text, out, 0, why);
}

static const char *const type_names[] = { "bool", "int", "time", "size",
	"string", "list" };

const char *
cfg_type_name(enum cfg_type type)
{
	return type_names[type];
}

static int
convert_number(const struct cfg_param *p, struct span v, uint64_t *out,
    struct why *why)
{
	int r;

	if (p->type == CFG_TIME)
		r = parse_time(v, out);
	else if (p->type == CFG_SIZE)
		r = parse_size(v, out);
	else
		r = parse_u64(v, 0, UINT64_MAX, out);
	if (r == -1)
		return why_set(why, "bad %s value \"%.*s\"%s",
		    type_names[p->type], (int)v.len, (const char *)v.p,
		    p->type == CFG_TIME   ? " (expected e.g. 30s, 5m, 2h, 1d)"
		    : p->type == CFG_SIZE ? " (expected e.g. 512, 10k, 50m, 1g)"
					  : " (expected a whole number)");
	if (*out < p->min || *out > p->max)
		return why_set(why, "value %.*s is out of range [%llu, %llu]",
		    (int)v.len, (const char *)v.p,
		    (unsigned long long)p->min, (unsigned long long)p->max);
	return 0;
}

static int
convert(const struct cfg_param *p, const char *text, void *dst,
    struct why *why)
{
	char *field = (char *)dst + p->offset;
	struct span v = span_str(text);

	switch (p->type) {
	case CFG_BOOL:
		if (parse_bool(v, (bool *)field) == -1)
			return why_set(why, "bad bool value \"%s\" (expected "
					    "yes or no)", text);
		return 0;
	case CFG_INT:
	case CFG_TIME:
	case CFG_SIZE:
		return convert_number(p, v, (uint64_t *)field, why);
	case CFG_STR:
	case CFG_LIST:
		*(const char **)field = text;
		return 0;
	}
	return why_set(why, "bad parameter type");
}

static int
located(const struct setting *s, struct why *why, const char *reason)
{
	if (s->origin == NULL)
		return why_set(why, "default of %s: %s", s->name, reason);
	if (s->line == 0)
		return why_set(why, "%s %s: %s", s->origin, s->name, reason);
	return why_set(why, "%s:%d: %s: %s", s->origin, s->line, s->name,
	    reason);
}

int
cfg_error(const struct cfg *cfg, const char *name, struct why *why,
    const char *fmt, ...)
{
	struct setting *s = find(cfg, name, strlen(name));
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (s == NULL)
		return why_set(why, "%s: %s", name, reason);
	return located(s, why, reason);
}

static int
finish_one(struct cfg *cfg, const struct cfg_param *p, void *dst,
    struct why *why)
{
	struct setting *s = find(cfg, p->name, strlen(p->name));
	struct why inner;

	if (expand_setting(cfg, s, 0, &inner) == 0 &&
	    convert(p, s->expanded, dst, &inner) == 0)
		return 0;
	return located(s, why, inner.msg);
}

int
cfg_finish(struct cfg *cfg, void *dst, struct why *why)
{
	size_t i;

	for (i = 0; cfg->table[i].name != NULL; i++)
		if (finish_one(cfg, &cfg->table[i], dst, why) == -1)
			return -1;
	return 0;
}

const char *
cfg_value(const struct cfg *cfg, const char *name)
{
	struct setting *s = find(cfg, name, strlen(name));

	return s != NULL ? s->expanded : NULL;
}

bool
cfg_is_set(const struct cfg *cfg, const char *name)
{
	struct setting *s = find(cfg, name, strlen(name));

	return s != NULL && s->is_set;
}

const struct cfg_param *
cfg_lookup(const struct cfg_param *table, const char *name)
{
	size_t i;

	for (i = 0; table[i].name != NULL; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

bool
cfg_list_next(struct span *list, struct span *item_out)
{
	static const char seps[] = ", \t\r\n";
	size_t i = 0;
	size_t start;
	int depth = 0;

	while (i < list->len && strchr(seps, list->p[i]) != NULL &&
	    list->p[i] != '\0')
		i++;
	if (i == list->len) {
		*list = span_make(list->p + i, 0);
		return false;
	}
	/* Separators inside {...} belong to the item (inline:{a=b, c=d}). */
	for (start = i; i < list->len; i++) {
		unsigned char c = list->p[i];

		if (c == '{')
			depth++;
		else if (c == '}' && depth > 0)
			depth--;
		else if (depth == 0 && c != '\0' && strchr(seps, c) != NULL)
			break;
	}
	*item_out = span_make(list->p + start, i - start);
	*list = span_make(list->p + i, list->len - i);
	return true;
}
