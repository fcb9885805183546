/*
 * dict.c - lookup tables: parse "type:name", dispatch to the table type,
 * fold keys, and the helpers the file-backed types share.
 * Linked into: every program that looks things up (smtpd, qmgr, authd,
 * postern).  Trust: specs are admin configuration; lookup keys may be
 * peer data, so they are length-checked before they are copied.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_impl.h"

struct dict_type;

struct dict {
	char *name;			/* owned: the spec */
	const struct dict_ops *ops;	/* borrowed: static table */
	void *impl;			/* owned: freed by ops->close */
	const struct dict_type *type;	/* borrowed: static table */
};

/* Every table type; a new type is one more row. */
static const struct dict_type {
	const char *name;
	dict_open_fn *open;
	const char *suffix;	/* of the file it reads, or NULL for none */
} dict_types[] = {
	{ "hash", dict_hash_open, ".db" },
	{ "lmdb", dict_lmdb_open, ".lmdb" },
	{ "inline", dict_inline_open, NULL },
	{ "static", dict_static_open, NULL },
	{ "ldap", dict_ldap_open, NULL },
};

static const struct dict_type *
find_type(const char *spec, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(dict_types) / sizeof(dict_types[0]); i++)
		if (strlen(dict_types[i].name) == len &&
		    memcmp(dict_types[i].name, spec, len) == 0)
			return &dict_types[i];
	return NULL;
}

struct dict *
dict_open(const char *spec, struct why *why)
{
	const struct dict_type *t;
	const char *colon = strchr(spec, ':');
	struct why inner = { "unknown error" };
	struct dict *d;

	if (colon == NULL || colon == spec) {
		why_set(why, "%s: table name must be type:name", spec);
		return NULL;
	}
	if ((t = find_type(spec, (size_t)(colon - spec))) == NULL) {
		why_set(why, "%s: unsupported table type", spec);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	if (t->open(colon + 1, &d->ops, &d->impl, &inner) == -1) {
		why_set(why, "%s: %s", spec, inner.msg);
		xfree(&d);
		return NULL;
	}
	d->name = xstrdup(spec);
	d->type = t;
	return d;
}

enum dict_res
dict_get(struct dict *d, struct span key, struct buf *value_out,
    struct why *why)
{
	unsigned char folded[DICT_MAX_KEY + 1];
	struct why inner = { "unknown error" };
	enum dict_res res;

	/* Nothing longer was ever stored, and this bounds peer keys. */
	if (key.len > DICT_MAX_KEY)
		return DICT_NOTFOUND;
	memcpy(folded, key.p, key.len);
	folded[key.len] = '\0';
	dict_fold(folded, key.len);
	res = d->ops->get(d->impl, span_make(folded, key.len), value_out,
	    &inner);
	if (res == DICT_TEMPFAIL)
		why_set(why, "%s: %s", d->name, inner.msg);
	return res;
}

void
dict_close(struct dict **dp)
{
	struct dict *d;

	if (dp == NULL || (d = *dp) == NULL)
		return;
	d->ops->close(d->impl);
	xfree(&d->name);
	xfree(dp);
}

const char *
dict_name(const struct dict *d)
{
	return d->name;
}

char *
dict_file(const struct dict *d)
{
	if (d->type->suffix == NULL)
		return NULL;
	return dict_path(d->name + strlen(d->type->name) + 1,
	    d->type->suffix);
}

void
dict_fold(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (unsigned char)(p[i] + ('a' - 'A'));
}

char *
dict_path(const char *arg, const char *suffix)
{
	size_t n = strlen(arg) + strlen(suffix) + 1;
	char *p = xmalloc(n);

	snprintf(p, n, "%s%s", arg, suffix);
	return p;
}

enum dict_res
dict_set_value(struct buf *value_out, const void *p, size_t n,
    struct why *why)
{
	if (n > 0 && ((const unsigned char *)p)[n - 1] == '\0')
		n--;
	if (buf_set(value_out, p, n) == -1) {
		why_set(why, "value of %zu bytes is too long", n);
		return DICT_TEMPFAIL;
	}
	return DICT_FOUND;
}

static void
fid_from_stat(const struct stat *st, struct dict_fid *out)
{
	out->dev = st->st_dev;
	out->ino = st->st_ino;
	out->mtim = st->st_mtim;
	out->size = st->st_size;
}

int
dict_fid_get(int fd, const char *path, struct dict_fid *out,
    struct why *why)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return why_syserr(why, "%s: fstat", path);
	fid_from_stat(&st, out);
	return 0;
}

int
dict_fid_check(const struct dict_fid *id, const char *path, struct why *why)
{
	struct stat st;
	struct dict_fid now;

	if (stat(path, &st) == -1)
		return why_syserr(why, "%s", path);
	fid_from_stat(&st, &now);
	if (now.dev == id->dev && now.ino == id->ino &&
	    now.mtim.tv_sec == id->mtim.tv_sec &&
	    now.mtim.tv_nsec == id->mtim.tv_nsec && now.size == id->size)
		return 0;
	return 1;
}
