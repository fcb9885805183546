/*
 * directory.c - domains, users and alias expansion over lookup tables
 * (the rules are in directory.h).
 * Linked into: authd.  Runs as postern-auth.  Trust: addresses come from
 * peers and are only used as table keys, bounded in length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cfg.h"
#include "base/file.h"
#include "base/xmem.h"
#include "mail/aliastarget.h"
#include "mail/dict.h"
#include "mail/directory.h"
#include "mail/domlist.h"

/* Longest address (RFC 5321 path limit) and table value accepted. */
#define DIR_MAX_ADDR 256
#define DIR_MAX_VALUE 65536
/* Largest :include: file read. */
#define DIR_MAX_INCLUDE (1024 * 1024)

struct tables {
	struct dict **v;
	size_t n;
};

struct directory {
	struct directory_conf conf;	/* strings borrowed */
	struct domlist *mydestination;
	struct domlist *virtual_domains;
	struct domlist *relay_domains;
	struct dict *users;
	struct tables virtual_alias;
	struct tables aliases;
};

static int
tables_open(struct tables *t, const char *list, struct why *why)
{
	struct span rest = span_str(list);
	struct span item;

	while (cfg_list_next(&rest, &item)) {
		char *spec = span_dup(item);
		struct dict *d = dict_open(spec, why);

		free(spec);
		if (d == NULL)
			return -1;
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = d;
	}
	return 0;
}

static void
tables_close(struct tables *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		dict_close(&t->v[i]);
	free(t->v);
}

void
directory_free(struct directory **dirp)
{
	struct directory *dir = *dirp;

	if (dir == NULL)
		return;
	domlist_free(&dir->mydestination);
	domlist_free(&dir->virtual_domains);
	domlist_free(&dir->relay_domains);
	dict_close(&dir->users);
	tables_close(&dir->virtual_alias);
	tables_close(&dir->aliases);
	free(dir);
	*dirp = NULL;
}

struct directory *
directory_new(const struct directory_conf *conf, struct why *why)
{
	struct directory *dir = xcalloc(1, sizeof(*dir));

	dir->conf = *conf;
	if ((dir->mydestination = domlist_new(conf->mydestination, why)) ==
		NULL ||
	    (dir->virtual_domains = domlist_new(conf->virtual_mailbox_domains,
		 why)) == NULL ||
	    (dir->relay_domains = domlist_new(conf->relay_domains, why)) ==
		NULL ||
	    (dir->users = dict_open(conf->users, why)) == NULL ||
	    tables_open(&dir->virtual_alias, conf->virtual_alias_maps, why) ==
		-1 ||
	    tables_open(&dir->aliases, conf->alias_maps, why) == -1) {
		directory_free(&dir);
		return NULL;
	}
	return dir;
}

int
directory_split(struct span address, const char *delimiters,
    struct span *user_out, struct span *ext_out, struct span *domain_out)
{
	size_t at = address.len;
	size_t i;

	while (at > 0 && address.p[at - 1] != '@')
		at--;
	if (at <= 1 || at == address.len)
		return -1;
	*domain_out = span_sub(address, at, address.len);
	*user_out = span_make(address.p, at - 1);
	*ext_out = span_make(address.p + at - 1, 0);
	for (i = 1; i < user_out->len; i++) {
		if (strchr(delimiters, user_out->p[i]) != NULL &&
		    user_out->p[i] != '\0') {
			*ext_out = span_sub(*user_out, i, user_out->len - i);
			user_out->len = i;
			break;
		}
	}
	return 0;
}

enum dir_res
directory_class(struct directory *dir, struct span domain,
    enum dir_class *out, struct why *why)
{
	static const enum dir_class classes[] = { DIR_CLASS_LOCAL,
		DIR_CLASS_VIRTUAL, DIR_CLASS_RELAY };
	struct domlist *lists[] = { dir->mydestination, dir->virtual_domains,
		dir->relay_domains };
	size_t i;

	for (i = 0; i < 3; i++) {
		enum dict_res r = domlist_match(lists[i], domain, why);

		if (r == DICT_TEMPFAIL)
			return DIR_TEMP;
		if (r == DICT_FOUND) {
			*out = classes[i];
			return DIR_OK;
		}
	}
	*out = DIR_CLASS_REMOTE;
	return DIR_OK;
}

/* Fold to lower case into out; -1 when too long or not printable. */
static int
fold(struct span in, struct buf *out)
{
	size_t i;

	buf_reset(out);
	if (in.len == 0 || in.len > DIR_MAX_ADDR)
		return -1;
	for (i = 0; i < in.len; i++) {
		unsigned char c = in.p[i];

		if (c <= ' ' || c == 0x7f)
			return -1;
		buf_addc(out, c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return 0;
}

/* Look key up in each table in turn; the first answer wins (and is
 * named in *from_out when from_out is not NULL). */
static enum dict_res
tables_get(struct tables *t, struct span key, struct buf *value,
    const struct dict **from_out, struct why *why)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		enum dict_res r = dict_get(t->v[i], key, value, why);

		if (r != DICT_NOTFOUND) {
			if (from_out != NULL)
				*from_out = t->v[i];
			return r;
		}
	}
	return DICT_NOTFOUND;
}

/* Try "user+ext@domain" then "user@domain" in one table (list). */
static enum dict_res
get_with_ext(struct dict *one, struct tables *many, struct span user,
    struct span ext, struct span domain, struct buf *key, struct buf *value,
    const struct dict **from_out, struct why *why)
{
	enum dict_res r = DICT_NOTFOUND;
	int pass;

	for (pass = ext.len > 0 ? 0 : 1; pass < 2 && r == DICT_NOTFOUND;
	     pass++) {
		buf_reset(key);
		buf_addspan(key, user);
		if (pass == 0)
			buf_addspan(key, ext);
		if (domain.len > 0) {
			buf_addc(key, '@');
			buf_addspan(key, domain);
		}
		r = one != NULL ? dict_get(one, buf_span(key), value, why) :
				  tables_get(many, buf_span(key), value,
				      from_out, why);
	}
	return r;
}

static enum dir_res
dict_to_dir(enum dict_res r)
{
	return r == DICT_FOUND ? DIR_OK :
	    r == DICT_NOTFOUND ? DIR_NOTFOUND : DIR_TEMP;
}

enum dir_res
directory_user(struct directory *dir, struct span address,
    struct buf *record_out, struct buf *key_out, struct why *why)
{
	struct span user, ext, domain;
	struct buf addr;
	enum dir_res res = DIR_PERM;

	buf_init(&addr, DIR_MAX_ADDR);
	if (fold(address, &addr) == -1 ||
	    directory_split(buf_span(&addr), dir->conf.recipient_delimiter,
		&user, &ext, &domain) == -1)
		why_set(why, "malformed address");
	else
		res = dict_to_dir(get_with_ext(dir->users, NULL, user, ext,
		    domain, key_out, record_out, NULL, why));
	buf_fini(&addr);
	return res;
}

void
dir_rcpts_fini(struct dir_rcpts *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].addr);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* One expansion in progress. */
struct expand {
	struct directory *dir;
	struct dir_rcpts *out;
	char **path;		/* addresses being expanded, outermost first */
	size_t depth;
	struct why *why;
};

/*
 * Where an alias value came from: a virtual_alias_maps table (table
 * NULL, include false), an alias_maps table (table), or an :include:
 * file that passed its checks (include true).
 */
struct source {
	const struct dict *table;
	bool include;
};

static enum dir_res expand_addr(struct expand *x, struct span addr);

static enum dir_res
add_final(struct expand *x, struct span addr, enum dir_kind kind,
    enum dir_res res)
{
	size_t i;

	for (i = 0; i < x->out->n; i++)
		if (x->out->v[i].kind == kind &&
		    span_eq(addr, x->out->v[i].addr))
			return DIR_OK;
	if (x->out->n >= x->dir->conf.expansion_limit) {
		why_set(x->why, "more than %llu recipients after alias "
				"expansion",
		    (unsigned long long)x->dir->conf.expansion_limit);
		return DIR_PERM;
	}
	x->out->v = xreallocarray(x->out->v, x->out->n + 1,
	    sizeof(*x->out->v));
	x->out->v[x->out->n].addr = span_dup(addr);
	x->out->v[x->out->n].kind = kind;
	x->out->v[x->out->n++].res = res;
	return DIR_OK;
}

static enum dir_res
refuse(struct expand *x, struct span target, const char *reason)
{
	why_set(x->why, "alias target \"%.*s\" is not allowed: %s",
	    (int)(target.len > 64 ? 64 : target.len), (const char *)target.p,
	    reason);
	return DIR_PERM;
}

/*
 * May src name a command, a file or an include?  Only an alias_maps
 * table whose file only root can change, or an include file (checked
 * when it was read), and only with the parameter for the kind on.
 */
static enum dir_res
special_allowed(struct expand *x, const struct source *src,
    struct span target, enum aliastarget_kind kind)
{
	const struct directory_conf *c = &x->dir->conf;
	struct why inner;
	char *file;
	int r;

	if (kind == ALIASTARGET_COMMAND && !c->allow_commands)
		return refuse(x, target, "allow_mail_to_commands is off");
	if (kind == ALIASTARGET_FILE && !c->allow_files)
		return refuse(x, target, "allow_mail_to_files is off");
	if (kind == ALIASTARGET_INCLUDE && !c->allow_commands &&
	    !c->allow_files)
		return refuse(x, target, "allow_mail_to_commands and "
					 "allow_mail_to_files are off");
	if (src->include)
		return DIR_OK;
	if (src->table == NULL)
		return refuse(x, target, "only alias_maps may name commands, "
					 "files and includes");
	if ((file = dict_file(src->table)) == NULL)
		return refuse(x, target, "only hash: and lmdb: tables may "
					 "name commands, files and includes");
	r = file_root_only(file, -1, &inner);
	free(file);
	return r == 0 ? DIR_OK : refuse(x, target, inner.msg);
}

static enum dir_res expand_include(struct expand *x, struct span self,
    struct span path);

/* A command ("|text") or file target: final as it is. */
static enum dir_res
add_special(struct expand *x, enum aliastarget_kind kind, struct span arg)
{
	struct buf t;
	enum dir_res r;

	buf_init(&t, ALIASTARGET_MAX + 1);
	if (kind == ALIASTARGET_COMMAND)
		buf_addc(&t, '|');
	buf_addspan(&t, arg);
	r = add_final(x, buf_span(&t), kind == ALIASTARGET_COMMAND ?
	    DIR_COMMAND : DIR_FILE, DIR_OK);
	buf_fini(&t);
	return r;
}

/* Expand one alias target (an address is qualified and folded first). */
static enum dir_res
expand_target(struct expand *x, const struct source *src, struct span self,
    struct span target)
{
	enum aliastarget_kind kind;
	struct span arg;
	struct buf addr;
	struct why inner;
	enum dir_res r;

	if (aliastarget_parse(target, &kind, &arg, &inner) == -1)
		return refuse(x, target, inner.msg);
	if (kind != ALIASTARGET_ADDRESS) {
		if ((r = special_allowed(x, src, target, kind)) != DIR_OK)
			return r;
		return kind == ALIASTARGET_INCLUDE ?
		    expand_include(x, self, arg) : add_special(x, kind, arg);
	}
	buf_init(&addr, DIR_MAX_ADDR * 2);
	if (fold(target, &addr) == -1 ||
	    (span_chr(target, '@') == -1 &&
		(buf_addc(&addr, '@') == -1 ||
		    buf_adds(&addr, x->dir->conf.myorigin) == -1))) {
		why_set(x->why, "malformed alias target");
		buf_fini(&addr);
		return DIR_PERM;
	}
	if (span_eq_span(buf_span(&addr), self))
		r = add_final(x, self, DIR_ADDRESS, DIR_OK);
	else
		r = expand_addr(x, buf_span(&addr));
	buf_fini(&addr);
	return r;
}

static enum dir_res
expand_targets(struct expand *x, const struct source *src, struct span self,
    struct span value)
{
	struct span item;
	struct why inner;
	enum dir_res r = DIR_OK;
	int n;

	while (r == DIR_OK && (n = aliastarget_next(&value, &item, &inner)) !=
	    0) {
		if (n == -1) {
			why_set(x->why, "%s", inner.msg);
			return DIR_PERM;
		}
		r = expand_target(x, src, self, item);
	}
	return r;
}

static enum dir_res
check_path(struct expand *x, struct span addr)
{
	size_t i;

	if (x->depth >= x->dir->conf.recursion_limit) {
		why_set(x->why, "aliases nested deeper than %llu",
		    (unsigned long long)x->dir->conf.recursion_limit);
		return DIR_PERM;
	}
	for (i = 0; i < x->depth; i++) {
		if (span_eq(addr, x->path[i])) {
			why_set(x->why, "alias loop at %s", x->path[i]);
			return DIR_PERM;
		}
	}
	return DIR_OK;
}

/* Enter addr (an address, or ":include:PATH") on the expansion path. */
static enum dir_res
push_path(struct expand *x, struct span addr)
{
	enum dir_res r = check_path(x, addr);

	if (r != DIR_OK)
		return r;
	x->path = xreallocarray(x->path, x->depth + 1, sizeof(*x->path));
	x->path[x->depth++] = span_dup(addr);
	return DIR_OK;
}

static void
pop_path(struct expand *x)
{
	free(x->path[--x->depth]);
}

/*
 * Read an include file into text: not a symbolic link, a regular file
 * only root can change (in a directory only root can change), at most
 * DIR_MAX_INCLUDE bytes.  A file that cannot be read is a temporary
 * failure (the admin may fix it); one that fails the checks is refused.
 */
static enum dir_res
read_include(struct expand *x, const char *path, struct buf *text)
{
	struct why inner;
	int fd;
	int r;

	/* O_NONBLOCK: a FIFO put there must not hang the thread; it is
	 * refused as not a regular file. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		why_syserr(x->why, ":include:%s", path);
		return errno == ELOOP ? DIR_PERM : DIR_TEMP;
	}
	if (file_root_only(path, fd, &inner) == -1) {
		close(fd);
		return refuse(x, span_str(path), inner.msg);
	}
	r = file_read_fd(fd, text, &inner);
	close(fd);
	if (r == -1) {
		r = errno == EFBIG ? DIR_PERM : DIR_TEMP;
		why_set(x->why, ":include:%s: %s", path, inner.msg);
		return r;
	}
	return DIR_OK;
}

/* The targets of an include file, a line at a time ('#' comments). */
static enum dir_res
expand_include(struct expand *x, struct span self, struct span path)
{
	static const struct source src = { NULL, true };
	struct buf key;
	struct buf text;
	struct span rest;
	struct span line;
	enum dir_res r;

	buf_init(&key, ALIASTARGET_MAX + 16);
	buf_adds(&key, ":include:");
	buf_addspan(&key, path);
	if ((r = push_path(x, buf_span(&key))) != DIR_OK) {
		buf_fini(&key);
		return r;
	}
	buf_init(&text, DIR_MAX_INCLUDE);
	r = read_include(x, buf_str(&key) + 9, &text);
	rest = buf_span(&text);
	while (r == DIR_OK && span_token(&rest, "\n", &line)) {
		struct span t = span_trim(line);

		if (t.len > 0 && t.p[0] != '#')
			r = expand_targets(x, &src, self, t);
	}
	buf_fini(&text);
	buf_fini(&key);
	pop_path(x);
	return r;
}

/* The alias value for addr, if any: virtual, then local aliases; the
 * table a local alias came from goes to src. */
static enum dict_res
find_alias(struct expand *x, struct span user, struct span ext,
    struct span domain, struct buf *value, struct source *src)
{
	struct directory *dir = x->dir;
	struct buf key;
	enum dict_res r;
	enum dir_class cls;

	buf_init(&key, DIR_MAX_ADDR * 2);
	r = get_with_ext(NULL, &dir->virtual_alias, user, ext, domain, &key,
	    value, NULL, x->why);
	if (r == DICT_NOTFOUND) {
		buf_reset(&key);
		buf_addc(&key, '@');
		buf_addspan(&key, domain);
		r = tables_get(&dir->virtual_alias, buf_span(&key), value,
		    NULL, x->why);
	}
	if (r == DICT_NOTFOUND) {
		if (directory_class(dir, domain, &cls, x->why) == DIR_TEMP)
			r = DICT_TEMPFAIL;
		else if (cls == DIR_CLASS_LOCAL)
			r = get_with_ext(NULL, &dir->aliases, user, ext,
			    span_make(NULL, 0), &key, value, &src->table,
			    x->why);
	}
	buf_fini(&key);
	return r;
}

/* No alias: a hosted domain's user must exist; others are final. */
static enum dir_res
expand_leaf(struct expand *x, struct span addr, struct span domain)
{
	struct buf record;
	struct buf key;
	enum dir_class cls;
	enum dir_res r;

	if (directory_class(x->dir, domain, &cls, x->why) == DIR_TEMP)
		return DIR_TEMP;
	if (cls == DIR_CLASS_RELAY || cls == DIR_CLASS_REMOTE)
		return add_final(x, addr, DIR_ADDRESS, DIR_OK);
	buf_init(&record, DIR_MAX_VALUE);
	buf_init(&key, DIR_MAX_ADDR * 2);
	r = directory_user(x->dir, addr, &record, &key, x->why);
	buf_fini(&record);
	buf_fini(&key);
	if (r == DIR_NOTFOUND && x->depth == 1)
		return DIR_NOTFOUND;
	if (r == DIR_NOTFOUND || r == DIR_OK)
		return add_final(x, addr, DIR_ADDRESS, r);
	return r;
}

static enum dir_res
expand_addr(struct expand *x, struct span addr)
{
	struct span user, ext, domain;
	struct source src = { NULL, false };
	struct buf value;
	enum dict_res found;
	enum dir_res r;

	if (directory_split(addr, x->dir->conf.recipient_delimiter, &user,
		&ext, &domain) == -1) {
		why_set(x->why, "malformed address");
		return DIR_PERM;
	}
	if ((r = push_path(x, addr)) != DIR_OK)
		return r;
	buf_init(&value, DIR_MAX_VALUE);
	found = find_alias(x, user, ext, domain, &value, &src);
	if (found == DICT_TEMPFAIL)
		r = DIR_TEMP;
	else if (found == DICT_FOUND)
		r = expand_targets(x, &src, addr, buf_span(&value));
	else
		r = expand_leaf(x, addr, domain);
	buf_fini(&value);
	pop_path(x);
	return r;
}

enum dir_res
directory_expand(struct directory *dir, struct span address,
    struct dir_rcpts *out, struct why *why)
{
	struct expand x = { dir, out, NULL, 0, why };
	struct buf addr;
	enum dir_res r = DIR_PERM;

	buf_init(&addr, DIR_MAX_ADDR);
	if (fold(address, &addr) == -1)
		why_set(why, "malformed address");
	else
		r = expand_addr(&x, buf_span(&addr));
	buf_fini(&addr);
	free(x.path);
	if (r == DIR_NOTFOUND)
		why_set(why, "unknown user");
	return r;
}
