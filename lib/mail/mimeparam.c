/*
 * mimeparam.c - parse Content-Type and Content-Disposition values and
 * join RFC 2231 parameter sections.
 * Linked into: the MIME parser (lmtpd, imapd, the store tools), its tests
 * and fuzz targets.  Trust: the value is a remote sender's; every scan
 * moves forward through it, comments are counted rather than recursed
 * into, and the joining work is bounded by MIMEPARAM_MAX squared name
 * comparisons of at most MIMEPARAM_ATTR_MAX bytes.
 */
#include <string.h>

#include "mail/mimeparam.h"

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters (8-bit bytes allowed, as mailers send them). */
static bool
is_token(unsigned char c)
{
	return c > 0x20 && c != 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skip white space and comments (nested; unterminated runs to the end). */
static size_t
skip_cfws(struct span in, size_t i)
{
	while (i < in.len) {
		size_t depth = 0;

		if (is_ws(in.p[i])) {
			i++;
			continue;
		}
		if (in.p[i] != '(')
			break;
		for (; i < in.len; i++) {
			if (in.p[i] == '\\')
				i++;
			else if (in.p[i] == '(')
				depth++;
			else if (in.p[i] == ')' && --depth == 0)
				break;
		}
		if (i < in.len)
			i++;
	}
	return i < in.len ? i : in.len;
}

static size_t
token(struct span in, size_t i, struct span *out)
{
	size_t start = i;

	while (i < in.len && is_token(in.p[i]))
		i++;
	*out = span_make(in.p + start, i - start);
	return i;
}

/* Skip to the next ';' that is not inside a quoted string. */
static size_t
skip_junk(struct span in, size_t i)
{
	bool quoted = false;

	for (; i < in.len; i++) {
		if (quoted && in.p[i] == '\\')
			i++;
		else if (in.p[i] == '"')
			quoted = !quoted;
		else if (!quoted && in.p[i] == ';')
			break;
	}
	return i < in.len ? i : in.len;
}

/* A value after '=': a quoted string, or bytes up to a delimiter. */
static size_t
param_value(struct span in, size_t i, struct mimeparam_item *it)
{
	size_t start;

	if (i < in.len && in.p[i] == '"') {
		start = ++i;
		while (i < in.len && in.p[i] != '"')
			i += in.p[i] == '\\' && i + 1 < in.len ? 2 : 1;
		it->value = span_make(in.p + start, i - start);
		it->quoted = true;
		return i < in.len ? i + 1 : in.len;
	}
	start = i;
	while (i < in.len && !is_ws(in.p[i]) && strchr(";(\"", in.p[i]) == NULL)
		i++;
	it->value = span_make(in.p + start, i - start);
	it->quoted = false;
	return i;
}

/* One "attr = value" at i; false if it is not one. */
static bool
param(struct span in, size_t *ip, struct mimeparam_item *it)
{
	size_t i = skip_cfws(in, *ip);

	i = token(in, i, &it->attr);
	*ip = i;
	if (it->attr.len == 0 || it->attr.len > MIMEPARAM_ATTR_MAX)
		return false;
	i = skip_cfws(in, i);
	if (i >= in.len || in.p[i] != '=')
		return false;
	*ip = param_value(in, skip_cfws(in, i + 1), it);
	return true;
}

void
mimeparam_parse(struct span value, bool with_subtype, struct mimeparam *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	i = token(value, skip_cfws(value, 0), &out->type);
	if (out->type.len == 0)
		return;
	if (with_subtype) {
		i = skip_cfws(value, i);
		if (i >= value.len || value.p[i] != '/')
			return;
		i = token(value, skip_cfws(value, i + 1), &out->subtype);
		if (out->subtype.len == 0)
			return;
	}
	out->valid = true;
	for (;;) {
		i = skip_junk(value, i);
		if (i >= value.len)
			break;
		if (out->n == MIMEPARAM_MAX) {
			out->cut = true;
			break;
		}
		i++;
		if (param(value, &i, &out->item[out->n]))
			out->n++;
	}
}

/* Append a value with quoted-pairs and folding removed. */
static int
add_unquoted(struct buf *b, const struct mimeparam_item *it)
{
	size_t i;

	if (!it->quoted)
		return buf_addspan(b, it->value);
	for (i = 0; i < it->value.len; i++) {
		unsigned char c = it->value.p[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '\\' && i + 1 < it->value.len)
			c = it->value.p[++i];
		if (buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

/* RFC 2231 attribute-char: what needs no %-encoding in an extended value. */
static bool
is_attr_char(unsigned char c)
{
	return is_token(c) && c < 0x80 && c != '*' && c != '\'' && c != '%';
}

/* Append an unencoded section to an extended value, %-encoding as needed. */
static int
add_encoded(struct buf *b, const struct mimeparam_item *it, struct buf *tmp)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	buf_reset(tmp);
	if (add_unquoted(tmp, it) == -1)
		return -1;
	for (i = 0; i < tmp->len; i++) {
		unsigned char c = tmp->p[i];
		char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (is_attr_char(c) ? buf_addc(b, c) : buf_add(b, enc, 3))
			return -1;
	}
	return 0;
}

/* The RFC 2231 reading of a parameter name. */
struct section {
	struct span base; /* the name without the section suffix */
	int num;          /* -1: not a section */
	bool ext;         /* a trailing '*': the value is encoded */
};

static void
section_of(struct span attr, struct section *s)
{
	long star = span_chr(attr, '*');
	size_t i;
	int num = 0;

	s->base = attr;
	s->num = -1;
	s->ext = false;
	if (star < 0)
		return;
	for (i = (size_t)star + 1; i < attr.len && i < (size_t)star + 4; i++) {
		if (attr.p[i] < '0' || attr.p[i] > '9')
			break;
		num = num * 10 + (attr.p[i] - '0');
	}
	if (i == (size_t)star + 1)
		return;
	if (i < attr.len && attr.p[i] == '*') {
		s->ext = true;
		i++;
	}
	if (i != attr.len)
		return;
	s->base = span_make(attr.p, (size_t)star);
	s->num = num;
}

/* Index of the unused section num of base, or -1. */
static long
find_section(const struct mimeparam *mp, const bool *used, struct span base,
             int num, struct section *s_out)
{
	size_t j;

	for (j = 0; j < mp->n; j++) {
		if (used[j])
			continue;
		section_of(mp->item[j].attr, s_out);
		if (s_out->num == num && span_eq_span_nocase(s_out->base, base))
			return (long)j;
	}
	return -1;
}

/* Join the sections of base (section 0 is unused) into scratch. */
static int
join(const struct mimeparam *mp, bool *used, const struct section *s0,
     struct buf *scratch, size_t *attr_len)
{
	struct buf tmp;
	struct section s;
	long j;
	int num;
	int r = 0;

	if (buf_addspan(scratch, s0->base) == -1 ||
	    (s0->ext && buf_addc(scratch, '*') == -1))
		return -1;
	*attr_len = scratch->len;
	buf_init(&tmp, scratch->max);
	for (num = 0; r == 0; num++) {
		j = find_section(mp, used, s0->base, num, &s);
		if (j < 0)
			break;
		used[j] = true;
		if (s0->ext && !s.ext)
			r = add_encoded(scratch, &mp->item[j], &tmp);
		else
			r = add_unquoted(scratch, &mp->item[j]);
	}
	buf_fini(&tmp);
	return r;
}

int
mimeparam_each(const struct mimeparam *mp, struct buf *scratch,
               mimeparam_fn *fn, void *arg)
{
	bool used[MIMEPARAM_MAX] = {false};
	struct section s;
	struct section s0;
	size_t attr_len;
	size_t i;

	for (i = 0; i < mp->n; i++) {
		const struct mimeparam_item *it = &mp->item[i];

		if (used[i])
			continue;
		buf_reset(scratch);
		section_of(it->attr, &s);
		if (s.num == 0) {
			if (join(mp, used, &s, scratch, &attr_len) == -1)
				return -1;
		} else if (s.num > 0 &&
		           find_section(mp, used, s.base, 0, &s0) >= 0) {
			continue; /* joined into its section 0 later */
		} else {
			if (buf_addspan(scratch, it->attr) == -1 ||
			    add_unquoted(scratch, it) == -1)
				return -1;
			attr_len = it->attr.len;
		}
		if (fn(arg, span_make(scratch->p, attr_len),
		       span_make(scratch->p + attr_len,
		                 scratch->len - attr_len)) == -1)
			return -1;
	}
	return 0;
}
