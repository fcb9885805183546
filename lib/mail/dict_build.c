/*
 * dict_build.c - compile a text table into a hash: or lmdb: file and
 * replace the old one by rename, so readers see the old or the new table,
 * never a torn one.
 * Linked into: postern (map) and the unit tests; runs as the invoking
 * admin.  Trust: the text is admin-written but checked line by line
 * (maptext); nothing is written until the whole text is clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_build.h"
#include "mail/dict_impl.h"
#include "mail/maptext.h"

/* Each retry after "map full" doubles the size; give up after this. */
#define BUILD_MAX_ATTEMPTS 10

static const struct dict_writer_ops *const writers[] = {
	&dict_hash_writer,
	&dict_lmdb_writer,
};

struct build {
	const char *path;			/* borrowed: the text file */
	const struct dict_writer_ops *wr;	/* borrowed: static */
	struct dict_build_report *rep;		/* borrowed: caller's */
	size_t max_key;		/* longest key, without its NUL */
	void *w;		/* writer handle while writing */
	enum dict_wres wres;	/* why writing stopped */
	struct why *why;	/* borrowed: caller's */
	struct buf val;		/* owned: value plus NUL */
};

static void
report(struct build *b, size_t line, bool is_error, const char *reason)
{
	char msg[2048];

	if (is_error)
		b->rep->errors++;
	else
		b->rep->warnings++;
	if (b->rep->diag == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s:%zu: %s", b->path, line, reason);
	b->rep->diag(b->rep->arg, line, is_error, msg);
}

static void
check_diag(void *arg, size_t line, bool is_error, const char *reason)
{
	report(arg, line, is_error, reason);
}

/* Pass 1: limits of the output format that the text format lacks. */
static int
check_entry(void *arg, size_t line, struct span key, struct span value)
{
	struct build *b = arg;
	char reason[128];

	(void)value;
	if (key.len > b->max_key) {
		snprintf(reason, sizeof(reason),
		    "key is longer than %zu bytes (the %s: limit)", b->max_key,
		    b->wr->type);
		report(b, line, true, reason);
	}
	return 0;
}

/* Pass 2: store one entry, folded and in Postfix's format. */
static int
put_entry(void *arg, size_t line, struct span key, struct span value)
{
	struct build *b = arg;
	unsigned char k[DICT_MAX_KEY + 1];

	(void)line;
	memcpy(k, key.p, key.len);
	k[key.len] = '\0';
	dict_fold(k, key.len);
	if (buf_set(&b->val, value.p, value.len) == -1 ||
	    buf_addc(&b->val, '\0') == -1) {
		why_set(b->why, "%s:%zu: value too long", b->path, line);
		b->wres = DICT_W_ERROR;
		return -1;
	}
	b->wres = b->wr->put(b->w, span_make(k, key.len + 1),
	    buf_span(&b->val), b->why);
	return b->wres == DICT_W_OK ? 0 : -1;
}

/* One attempt at writing the table into the empty file tmp. */
static enum dict_wres
write_once(struct build *b, struct span text, const char *tmp,
    size_t size_hint)
{
	struct maptext_cb cb = { put_entry, NULL, b };

	b->w = b->wr->create(tmp, b->rep->entries, size_hint, b->why);
	if (b->w == NULL)
		return DICT_W_ERROR;
	b->wres = DICT_W_OK;
	if (maptext_parse(text, &cb, NULL) == -1) {
		b->wr->abort(b->w);
		if (b->wres == DICT_W_OK) {
			/* Cannot happen: pass 1 found the text clean. */
			why_set(b->why, "%s: text changed while building",
			    b->path);
			return DICT_W_ERROR;
		}
		return b->wres;
	}
	return b->wr->commit(b->w, b->why);
}

/* Write the table into tmp (open as fd), growing the map as needed. */
static int
write_table(struct build *b, struct span text, const char *tmp, int fd)
{
	size_t hint = text.len * 3 + b->rep->entries * 64 + (1U << 20);
	enum dict_wres r = DICT_W_FULL;
	int i;

	for (i = 0; i < BUILD_MAX_ATTEMPTS && r == DICT_W_FULL; i++) {
		if (i > 0) {
			if (hint > SIZE_MAX / 2)
				break;
			hint *= 2;
			if (ftruncate(fd, 0) == -1)
				return why_syserr(b->why, "%s: truncate", tmp);
		}
		r = write_once(b, text, tmp, hint);
	}
	if (r == DICT_W_FULL)
		return why_set(b->why, "%s: table does not fit in %zu bytes",
		    tmp, hint);
	if (r != DICT_W_OK)
		return -1;
	if (fsync(fd) == -1)
		return why_syserr(b->why, "%s: fsync", tmp);
	return 0;
}

/* Pass 2 onwards: temporary file, write, rename, directory sync. */
static int
install(struct build *b, struct span text)
{
	char *final = dict_path(b->path, b->wr->suffix);
	size_t n = strlen(final) + 32;
	char *tmp = xmalloc(n);
	int fd;
	int r = -1;

	snprintf(tmp, n, "%s.tmp.%ld", final, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		why_syserr(b->why, "%s", tmp);
		goto out;
	}
	if (fchmod(fd, 0644) == -1)
		why_syserr(b->why, "%s: chmod", tmp);
	else if (write_table(b, text, tmp, fd) == 0) {
		if (rename(tmp, final) == -1)
			why_syserr(b->why, "rename %s to %s", tmp, final);
		else
			r = file_sync_dir(final, b->why);
	}
	close(fd);
	if (r == -1 && unlink(tmp) == -1 && errno != ENOENT)
		why_syserr(b->why, "%s: unlink", tmp);
out:
	xfree(&tmp);
	xfree(&final);
	return r;
}

static const struct dict_writer_ops *
find_writer(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		if (strcmp(writers[i]->type, type) == 0)
			return writers[i];
	return NULL;
}

int
dict_build_text(const char *type, const char *path, struct span text,
    struct dict_build_report *rep, struct why *why)
{
	struct dict_build_report dummy = { .diag = NULL };
	struct build b = { .path = path, .rep = rep ? rep : &dummy,
		.why = why };
	struct maptext_cb cb = { check_entry, check_diag, &b };
	struct maptext_stats st;
	int r;

	b.rep->entries = b.rep->errors = b.rep->warnings = 0;
	if ((b.wr = find_writer(type)) == NULL)
		return why_set(why, "%s: unsupported table type", type);
	/* The format's limit counts the NUL that is stored with the key. */
	b.max_key = b.wr->max_key();
	b.max_key = b.max_key > 0 ? b.max_key - 1 : 0;
	if (b.max_key > DICT_MAX_KEY)
		b.max_key = DICT_MAX_KEY;
	maptext_parse(text, &cb, &st);
	b.rep->entries = st.entries;
	if (b.rep->errors > 0)
		return why_set(why, "%s: %zu error%s, %s table not changed",
		    path, b.rep->errors, b.rep->errors == 1 ? "" : "s", type);
	buf_init(&b.val, MAPTEXT_MAX_VALUE + 1);
	r = install(&b, text);
	buf_fini(&b.val);
	if (r == -1)
		b.rep->entries = 0;
	return r;
}

int
dict_build(const char *type, const char *path,
    struct dict_build_report *rep, struct why *why)
{
	struct buf text;
	int r;

	if (rep != NULL)
		rep->entries = rep->errors = rep->warnings = 0;
	buf_init(&text, BUF_MAX_CEILING);
	r = file_read(path, &text, why);
	if (r == 1)
		r = why_set(why, "%s: No such file or directory", path);
	if (r == 0)
		r = dict_build_text(type, path, buf_span(&text), rep, why);
	buf_fini(&text);
	return r;
}
