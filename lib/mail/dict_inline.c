/*
 * dict_inline.c - tables written in the spec itself: inline:{k=v, ...}
 * and static:value.
 * Linked into: every program that links dict.  Trust: the spec is admin
 * configuration; it is parsed strictly and a malformed one is refused
 * with a reason, never guessed at.
 */
#include <string.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_impl.h"

struct inline_item {
	struct span key;	/* owned (folded), freed with the table */
	struct span value;	/* owned, exact */
};

struct inline_table {
	struct inline_item *items;	/* owned, n of them */
	size_t n;
};

struct static_table {
	struct span value;	/* owned */
};

static struct span
trim(struct span s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

static struct span
owned_copy(struct span s)
{
	return span_make(span_dup(s), s.len);
}

static void
inline_free(struct inline_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		xfree(&t->items[i].key.p);
		xfree(&t->items[i].value.p);
	}
	xfree(&t->items);
	xfree(&t);
}

static void
inline_close(void *impl)
{
	inline_free(impl);
}

static const struct inline_item *
inline_find(const struct inline_table *t, struct span key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (span_eq_span(t->items[i].key, key))
			return &t->items[i];
	return NULL;
}

static enum dict_res
inline_get(void *impl, struct span key, struct buf *value_out,
    struct why *why)
{
	const struct inline_item *it = inline_find(impl, key);

	if (it == NULL)
		return DICT_NOTFOUND;
	if (buf_set(value_out, it->value.p, it->value.len) == -1) {
		why_set(why, "value of %zu bytes is too long", it->value.len);
		return DICT_TEMPFAIL;
	}
	return DICT_FOUND;
}

static const struct dict_ops inline_ops = { inline_get, inline_close };

/* Parse one "key = value" item and add it.  0, or -1 with why. */
static int
inline_add(struct inline_table *t, struct span item, struct why *why)
{
	long eq = span_chr(item, '=');
	struct span key;
	struct inline_item *it;

	if (item.len == 0)
		return why_set(why, "empty item in inline table");
	if (eq < 0)
		return why_set(why, "inline item \"%.*s\" is not key=value",
		    (int)item.len, (const char *)item.p);
	key = trim(span_sub(item, 0, (size_t)eq));
	if (key.len == 0)
		return why_set(why, "empty key in inline table");
	if (key.len > DICT_MAX_KEY)
		return why_set(why, "inline key longer than %d bytes",
		    DICT_MAX_KEY);
	key = owned_copy(key);
	dict_fold((unsigned char *)key.p, key.len);
	if (inline_find(t, key) != NULL) {
		why_set(why, "duplicate key \"%.*s\" in inline table",
		    (int)key.len, (const char *)key.p);
		xfree(&key.p);
		return -1;
	}
	t->items = xreallocarray(t->items, t->n + 1, sizeof(*t->items));
	it = &t->items[t->n++];
	it->key = key;
	it->value = owned_copy(trim(span_sub(item, (size_t)eq + 1, item.len)));
	return 0;
}

/* Split the text between the braces at commas. */
static int
inline_parse(struct inline_table *t, struct span body, struct why *why)
{
	size_t start = 0;
	size_t i;

	if (span_chr(body, '{') >= 0 || span_chr(body, '}') >= 0)
		return why_set(why, "nested braces in inline table");
	if (trim(body).len == 0)
		return 0;
	for (i = 0; i <= body.len; i++) {
		if (i < body.len && body.p[i] != ',')
			continue;
		if (inline_add(t, trim(span_sub(body, start, i - start)),
		    why) == -1)
			return -1;
		start = i + 1;
	}
	return 0;
}

int
dict_inline_open(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why)
{
	struct span s = trim(span_str(arg));
	struct inline_table *t;

	if (s.len < 2 || s.p[0] != '{' || s.p[s.len - 1] != '}')
		return why_set(why, "inline table must be {key=value, ...}");
	t = xcalloc(1, sizeof(*t));
	if (inline_parse(t, span_sub(s, 1, s.len - 2), why) == -1) {
		inline_free(t);
		return -1;
	}
	*ops_out = &inline_ops;
	*impl_out = t;
	return 0;
}

static enum dict_res
static_get(void *impl, struct span key, struct buf *value_out,
    struct why *why)
{
	const struct static_table *t = impl;

	(void)key;
	if (buf_set(value_out, t->value.p, t->value.len) == -1) {
		why_set(why, "value of %zu bytes is too long", t->value.len);
		return DICT_TEMPFAIL;
	}
	return DICT_FOUND;
}

static void
static_close(void *impl)
{
	struct static_table *t = impl;

	xfree(&t->value.p);
	xfree(&t);
}

static const struct dict_ops static_ops = { static_get, static_close };

int
dict_static_open(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why)
{
	struct static_table *t;

	(void)why;
	t = xcalloc(1, sizeof(*t));
	t->value = owned_copy(span_str(arg));
	*ops_out = &static_ops;
	*impl_out = t;
	return 0;
}
