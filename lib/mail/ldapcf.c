/*
 * ldapcf.c - parse an ldap: table's .cf file (postern-ldap(5)) into a
 * struct ldapcf, and expand query filters and result templates.
 * Linked into: every program that links dict.  Trust: the .cf file is
 * admin text but guards access to the directory, so anything unknown,
 * repeated or malformed is refused with its line; lookup keys are peer
 * data and reach a filter only through ldapcf_escape (RFC 4515 section
 * 3), so "*)(uid=*" is searched for literally, never as filter syntax.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/cfg.h"
#include "base/parse.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/ldapcf.h"

/* Longest attribute name in a template or result_attribute. */
#define ATTR_MAX_NAME 64
/* Longest timeout (seconds) and size_limit accepted. */
#define TIMEOUT_MAX 3600
#define SIZE_LIMIT_MAX 2147483647

enum kind {
	K_STR,		/* char *, any text */
	K_SECRET,	/* char *, never quoted in messages */
	K_BOOL,
	K_TIME,
	K_COUNT,
	K_SCOPE,
	K_URIS,		/* struct ldapcf_list of checked URIs */
	K_ATTRS,	/* struct ldapcf_list of attribute names */
};

static const struct param {
	const char *name;
	enum kind kind;
	size_t off;
} params[] = {
	{ "server_host", K_URIS, offsetof(struct ldapcf, server_host) },
	{ "start_tls", K_BOOL, offsetof(struct ldapcf, start_tls) },
	{ "tls_ca_cert_file", K_STR,
	    offsetof(struct ldapcf, tls_ca_cert_file) },
	{ "tls_require_cert", K_BOOL,
	    offsetof(struct ldapcf, tls_require_cert) },
	{ "bind_dn", K_STR, offsetof(struct ldapcf, bind_dn) },
	{ "bind_pw", K_SECRET, offsetof(struct ldapcf, bind_pw) },
	{ "bind_pw_file", K_STR, offsetof(struct ldapcf, bind_pw_file) },
	{ "search_base", K_STR, offsetof(struct ldapcf, search_base) },
	{ "scope", K_SCOPE, offsetof(struct ldapcf, scope) },
	{ "query_filter", K_STR, offsetof(struct ldapcf, query_filter) },
	{ "result_attribute", K_ATTRS,
	    offsetof(struct ldapcf, result_attribute) },
	{ "result_template", K_STR,
	    offsetof(struct ldapcf, result_template) },
	{ "timeout", K_TIME, offsetof(struct ldapcf, timeout) },
	{ "size_limit", K_COUNT, offsetof(struct ldapcf, size_limit) },
};

#define NPARAMS (sizeof(params) / sizeof(params[0]))

static const char *const scope_names[] = { "sub", "one", "base" };

/* The string fields: "" until set, freed by ldapcf_fini. */
static const size_t str_offs[] = {
	offsetof(struct ldapcf, tls_ca_cert_file),
	offsetof(struct ldapcf, bind_dn),
	offsetof(struct ldapcf, bind_pw),
	offsetof(struct ldapcf, bind_pw_file),
	offsetof(struct ldapcf, search_base),
	offsetof(struct ldapcf, query_filter),
	offsetof(struct ldapcf, result_template),
};

#define NSTRS (sizeof(str_offs) / sizeof(str_offs[0]))

static char **
field_str(struct ldapcf *cf, size_t off)
{
	return (char **)(void *)((char *)cf + off);
}

static void
list_add(struct ldapcf_list *l, struct span s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = span_dup(s);
}

static void
list_free(struct ldapcf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		xfree(&l->v[i]);
	xfree(&l->v);
	l->n = 0;
}

void
ldapcf_init(struct ldapcf *cf)
{
	size_t i;

	memset(cf, 0, sizeof(*cf));
	for (i = 0; i < NSTRS; i++)
		*field_str(cf, str_offs[i]) = xstrdup("");
	cf->tls_require_cert = true;
	cf->scope = LDAPCF_SCOPE_SUB;
	cf->timeout = 10;
}

void
ldapcf_fini(struct ldapcf *cf)
{
	size_t i;

	if (cf->bind_pw != NULL)
		secret_wipe(cf->bind_pw, strlen(cf->bind_pw));
	for (i = 0; i < NSTRS; i++)
		xfree(field_str(cf, str_offs[i]));
	list_free(&cf->server_host);
	list_free(&cf->result_attribute);
	list_free(&cf->attrs);
}

const char *
ldapcf_scope_name(enum ldapcf_scope scope)
{
	return scope_names[scope];
}

/* A value for a message: at most 64 bytes, non-printables as '?'. */
static const char *
shown(struct span v, char *out, size_t size)
{
	size_t i;
	size_t n = v.len < size - 1 ? v.len : size - 1;

	for (i = 0; i < n; i++)
		out[i] = v.p[i] >= 0x20 && v.p[i] < 0x7f ? (char)v.p[i] : '?';
	out[n] = '\0';
	return out;
}

static bool
is_attr_name(struct span s)
{
	size_t i;

	if (s.len == 0 || s.len > ATTR_MAX_NAME)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '.' && c != ';')))
			return false;
	}
	return true;
}

/* ldap://host[:port][/], ldaps://..., ldapi://[socket][/]: no DN,
 * attributes or filter, which belong in the other parameters. */
static bool
is_server_uri(struct span u)
{
	static const char *const schemes[] = { "ldap://", "ldaps://",
		"ldapi://" };
	size_t i;

	for (i = 0; i < 3; i++) {
		size_t n = strlen(schemes[i]);
		struct span rest;

		if (!span_startswith_nocase(u, schemes[i]))
			continue;
		rest = span_sub(u, n, u.len);
		if (rest.len > 0 && rest.p[rest.len - 1] == '/')
			rest.len--;
		return span_chr(rest, '/') < 0 && span_chr(rest, '?') < 0 &&
		    span_chr(rest, '#') < 0;
	}
	return false;
}

static int
set_list(struct ldapcf_list *l, enum kind kind, struct span v,
    struct why *why)
{
	char tmp[65];
	struct span item;
	size_t max = kind == K_URIS ? LDAPCF_MAX_URIS : LDAPCF_MAX_ATTRS;

	while (cfg_list_next(&v, &item)) {
		if (l->n == max)
			return why_set(why, "more than %zu items", max);
		if (kind == K_URIS && !is_server_uri(item))
			return why_set(why, "bad URI \"%s\" (want ldap://HOST"
					    "[:PORT], ldaps://HOST[:PORT] or "
					    "ldapi://[SOCKET])",
			    shown(item, tmp, sizeof(tmp)));
		if (kind == K_ATTRS && !is_attr_name(item))
			return why_set(why, "bad attribute name \"%s\"",
			    shown(item, tmp, sizeof(tmp)));
		list_add(l, item);
	}
	return 0;
}

static int
set_scalar(void *field, enum kind kind, struct span v, struct why *why)
{
	char tmp[65];
	size_t i;

	switch (kind) {
	case K_BOOL:
		if (parse_bool(v, field) == 0)
			return 0;
		return why_set(why, "bad boolean \"%s\" (want yes or no)",
		    shown(v, tmp, sizeof(tmp)));
	case K_TIME:
		if (parse_time(v, field) == 0 && *(uint64_t *)field >= 1 &&
		    *(uint64_t *)field <= TIMEOUT_MAX)
			return 0;
		return why_set(why, "bad time \"%s\" (want 1s to %ds)",
		    shown(v, tmp, sizeof(tmp)), TIMEOUT_MAX);
	case K_COUNT:
		if (parse_u64(v, 0, SIZE_LIMIT_MAX, field) == 0)
			return 0;
		return why_set(why, "bad number \"%s\" (want 0 to %d)",
		    shown(v, tmp, sizeof(tmp)), SIZE_LIMIT_MAX);
	default:
		for (i = 0; i < 3; i++)
			if (span_eq(v, scope_names[i])) {
				*(enum ldapcf_scope *)field =
				    (enum ldapcf_scope)i;
				return 0;
			}
		return why_set(why, "bad scope \"%s\" (want sub, one or base)",
		    shown(v, tmp, sizeof(tmp)));
	}
}

static int
set_param(struct ldapcf *cf, const struct param *p, struct span v,
    struct why *why)
{
	void *field = (char *)cf + p->off;
	char **s = field;

	switch (p->kind) {
	case K_STR:
	case K_SECRET:
		xfree(s);
		*s = span_dup(v);
		return 0;
	case K_URIS:
	case K_ATTRS:
		return set_list(field, p->kind, v, why);
	default:
		return set_scalar(field, p->kind, v, why);
	}
}

struct parse_ctx {
	struct ldapcf *cf;
	int seen[NPARAMS];	/* line where each was set, 0 = not yet */
	struct why why;
	int line;
	bool refused;
};

static int
on_entry(struct span name, struct span value, int line, void *arg)
{
	struct parse_ctx *ctx = arg;
	struct why inner;
	size_t i;

	ctx->line = line;
	ctx->refused = true;
	for (i = 0; i < NPARAMS; i++)
		if (span_eq(name, params[i].name))
			break;
	if (i == NPARAMS)
		return why_set(&ctx->why, "unknown parameter %.*s",
		    (int)name.len, (const char *)name.p);
	if (ctx->seen[i] != 0)
		return why_set(&ctx->why, "duplicate parameter %s (first set "
				"on line %d)", params[i].name, ctx->seen[i]);
	if (set_param(ctx->cf, &params[i], value, &inner) == -1)
		return why_set(&ctx->why, "%s: %s", params[i].name, inner.msg);
	ctx->seen[i] = line;
	ctx->refused = false;
	return 0;
}

/* Check a result_template and add its %{attr} names to cf->attrs. */
static int
template_attrs(struct ldapcf *cf, struct why *why)
{
	const char *t = cf->result_template;
	struct why inner;
	struct buf scratch;
	size_t i;
	size_t j;
	int r;

	buf_init(&scratch, LDAPCF_MAX_FILE);
	r = ldapcf_template_expand(t, NULL, 0, &scratch, &inner);
	buf_fini(&scratch);
	if (r == -1)
		return why_set(why, "result_template: %s", inner.msg);
	for (i = 0; t[i] != '\0'; i++) {
		struct span name;

		if (t[i] != '%' || t[++i] != '{')
			continue;
		name = span_make(t + i + 1, strcspn(t + i + 1, "}"));
		for (j = 0; j < cf->attrs.n; j++)
			if (span_eq_nocase(name, cf->attrs.v[j]))
				break;
		if (j == cf->attrs.n && cf->attrs.n == LDAPCF_MAX_ATTRS)
			return why_set(why, "result_template: more than %d "
					    "attributes", LDAPCF_MAX_ATTRS);
		if (j == cf->attrs.n)
			list_add(&cf->attrs, name);
	}
	return 0;
}

static int
check_bind(const struct ldapcf *cf, struct why *why)
{
	bool has_pw = cf->bind_pw[0] != '\0';
	bool has_file = cf->bind_pw_file[0] != '\0';

	if (has_pw && has_file)
		return why_set(why, "set bind_pw or bind_pw_file, not both");
	if (cf->bind_dn[0] == '\0' && (has_pw || has_file))
		return why_set(why, "a password is set but bind_dn is empty");
	/* An "unauthenticated bind" (RFC 4513 5.1.2) would be anonymous. */
	if (cf->bind_dn[0] != '\0' && !has_pw && !has_file)
		return why_set(why, "bind_dn needs bind_pw or bind_pw_file");
	return 0;
}

static int
check_whole(struct ldapcf *cf, struct why *why)
{
	bool has_attr = cf->result_attribute.n > 0;
	bool has_tmpl = cf->result_template[0] != '\0';
	struct why inner;
	struct buf scratch;
	enum ldapcf_xres x;
	size_t i;

	if (cf->server_host.n == 0)
		return why_set(why, "missing server_host");
	if (cf->search_base[0] == '\0')
		return why_set(why, "missing search_base");
	if (cf->query_filter[0] == '\0')
		return why_set(why, "missing query_filter");
	buf_init(&scratch, LDAPCF_MAX_FILE);
	x = ldapcf_filter_expand(cf->query_filter, span_str("u@d"), &scratch,
	    &inner);
	buf_fini(&scratch);
	if (x == LDAPCF_X_ERROR)
		return why_set(why, "query_filter: %s", inner.msg);
	if (!has_attr && !has_tmpl)
		return why_set(why, "missing result_attribute or "
				    "result_template");
	if (has_attr && has_tmpl)
		return why_set(why, "set result_attribute or result_template, "
				    "not both");
	if (check_bind(cf, why) == -1)
		return -1;
	if (has_tmpl)
		return template_attrs(cf, why);
	for (i = 0; i < cf->result_attribute.n; i++)
		list_add(&cf->attrs, span_str(cf->result_attribute.v[i]));
	return 0;
}

int
ldapcf_parse(struct span text, struct ldapcf *cf, int *err_line_out,
    struct why *why)
{
	struct parse_ctx ctx;
	int line = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cf = cf;
	if (cfg_parse(text, on_entry, &ctx, &line, why) == -1) {
		if (ctx.refused) {
			*why = ctx.why;
			line = ctx.line;
		}
		*err_line_out = line;
		return -1;
	}
	*err_line_out = 0;
	return check_whole(cf, why);
}

int
ldapcf_escape(struct span s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];
		char esc[3] = { '\\', hex[c >> 4], hex[c & 15] };
		int r;

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0')
			r = buf_add(out, esc, sizeof(esc));
		else
			r = buf_addc(out, c);
		if (r == -1)
			return -1;
	}
	return 0;
}

enum ldapcf_xres
ldapcf_filter_expand(const char *filter, struct span key, struct buf *out,
    struct why *why)
{
	long at = -1;
	struct span local = key;
	struct span domain = span_make("", 0);
	bool noquery = false;
	size_t i;
	int r;

	for (i = 0; i < key.len; i++)
		if (key.p[i] == '@')
			at = (long)i;
	if (at >= 0) {
		local = span_sub(key, 0, (size_t)at);
		domain = span_sub(key, (size_t)at + 1, key.len);
	}
	for (i = 0; filter[i] != '\0'; i++) {
		if (filter[i] != '%') {
			r = buf_addc(out, filter[i]);
		} else if (filter[++i] == 's') {
			r = ldapcf_escape(key, out);
		} else if (filter[i] == 'u') {
			r = ldapcf_escape(local, out);
		} else if (filter[i] == 'd') {
			noquery |= domain.len == 0;
			r = ldapcf_escape(domain, out);
		} else if (filter[i] == '%') {
			r = buf_addc(out, '%');
		} else {
			why_set(why, "bad %% sequence (want %%s, %%u, %%d "
				     "or %%%%)");
			return LDAPCF_X_ERROR;
		}
		if (r == -1) {
			why_set(why, "filter longer than %zu bytes", out->max);
			return LDAPCF_X_ERROR;
		}
	}
	return noquery ? LDAPCF_X_NOQUERY : LDAPCF_X_OK;
}

static struct span
attr_value(const struct ldapcf_attr *attrs, size_t n, struct span name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (attrs[i].name.len == name.len &&
		    strncasecmp((const char *)attrs[i].name.p,
			(const char *)name.p, name.len) == 0)
			return attrs[i].value;
	return span_make("", 0);
}

int
ldapcf_template_expand(const char *tmpl, const struct ldapcf_attr *attrs,
    size_t nattrs, struct buf *out, struct why *why)
{
	size_t i;
	int r;

	for (i = 0; tmpl[i] != '\0'; i++) {
		struct span name;

		if (tmpl[i] != '%') {
			r = buf_addc(out, tmpl[i]);
		} else if (tmpl[++i] == '%') {
			r = buf_addc(out, '%');
		} else if (tmpl[i] == '{') {
			name = span_make(tmpl + i + 1, strcspn(tmpl + i + 1,
			    "}"));
			if (tmpl[i + 1 + name.len] != '}' ||
			    !is_attr_name(name))
				return why_set(why, "bad %%{attribute}");
			i += name.len + 1;
			r = buf_addspan(out, attr_value(attrs, nattrs, name));
		} else {
			return why_set(why, "bad %% sequence (want %%{name} or "
					    "%%%%)");
		}
		if (r == -1)
			return why_set(why, "result longer than %zu bytes",
			    out->max);
	}
	return 0;
}
