/*
 * store_check.c - postern store check: compare the index with the
 * message files, and with repair remove orphan files, drop entries whose
 * file is gone and recompute counters.
 * Linked into: whatever links lib/store.  Runs as store_owner.  Trust:
 * directory listings and index records may be damaged; names are parsed
 * strictly.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/parse.h"
#include "base/xmem.h"
#include "store/store_impl.h"

/* tmp/ files older than this are left from a crash. */
#define TMP_AGE (24 * 3600)

struct names {
	char **v;			/* owned, sorted */
	size_t n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(struct names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

/* What one mailbox looks like in the index, recounted. */
struct box {
	struct store_mailbox m;
	struct store_mailbox counted;
	struct names files;		/* "uid.guid" of every entry */
	struct store_msg *missing;	/* owned */
	size_t nmissing;
};

struct check {
	struct store *s;
	struct box *box;		/* owned */
	size_t nbox;
	size_t cur;			/* the box msg_step fills */
	struct store_report *rep;
};

static bool
msg_step(void *arg, const struct store_msg *m)
{
	struct check *c = arg;
	struct box *b = &c->box[c->cur];
	char path[4200];
	struct stat st;

	c->rep->messages++;
	store_count_in(&b->counted, m);
	store_path_msg(c->s, b->m.id, m->uid, m->guid, path, sizeof(path));
	if (stat(path, &st) == -1) {
		c->rep->missing++;
		b->missing = xreallocarray(b->missing, b->nmissing + 1,
		    sizeof(*b->missing));
		b->missing[b->nmissing++] = *m;
		return true;
	}
	b->files.v = xreallocarray(b->files.v, b->files.n + 1, sizeof(char *));
	b->files.v[b->files.n++] = xstrdup(strrchr(path, '/') + 1);
	return true;
}

static bool
box_step(void *arg, const struct store_mailbox *m)
{
	struct check *c = arg;

	c->box = xreallocarray(c->box, c->nbox + 1, sizeof(*c->box));
	memset(&c->box[c->nbox], 0, sizeof(c->box[0]));
	c->box[c->nbox].m = *m;
	c->box[c->nbox].counted = *m;
	c->box[c->nbox].counted.messages = c->box[c->nbox].counted.unseen = 0;
	c->box[c->nbox].counted.recent = 0;
	c->box[c->nbox].counted.size = 0;
	c->nbox++;
	return true;
}

static struct box *
find_box(struct check *c, uint32_t id)
{
	for (size_t i = 0; i < c->nbox; i++)
		if (c->box[i].m.id == id)
			return &c->box[i];
	return NULL;
}

/* Remove (or count) the files of dir that the index does not name. */
static void
sweep_dir(struct check *c, const char *dir, const struct names *keep,
    bool repair, time_t older)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *key = de->d_name;
		struct stat st;

		if (key[0] == '.' || strcmp(key, "changes") == 0 ||
		    strcmp(key, "name") == 0)
			continue;
		if (keep != NULL && keep->n > 0 && bsearch(&key, keep->v, keep->n,
					sizeof(char *), cmp_str) != NULL)
			continue;
		if (older != 0 && (fstatat(dirfd(d), key, &st, 0) == -1 ||
				      st.st_mtime > older))
			continue;
		c->rep->orphans++;
		if (repair)
			unlinkat(dirfd(d), key, 0);
	}
	closedir(d);
}

static void
sweep(struct check *c, bool repair)
{
	char path[4200];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/tmp", store_dir(c->s));
	sweep_dir(c, path, NULL, repair, time(NULL) - TMP_AGE);
	snprintf(path, sizeof(path), "%s/mbox", store_dir(c->s));
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		uint64_t id;
		struct box *b;

		if (parse_u64(span_str(de->d_name), 1, UINT32_MAX, &id) == -1)
			continue;
		b = find_box(c, (uint32_t)id);
		store_path_mbox(c->s, (uint32_t)id, "", path, sizeof(path));
		sweep_dir(c, path, b != NULL ? &b->files : NULL, repair, 0);
		if (b == NULL && repair)
			store_mbox_rmdir(c->s, (uint32_t)id);
	}
	closedir(d);
}

static bool
counters_differ(const struct store_mailbox *a, const struct store_mailbox *b)
{
	return a->messages != b->messages || a->unseen != b->unseen ||
	    a->size != b->size || a->recent != b->recent;
}

/* Drop the entries without files and store the recounted counters. */
static enum store_res
repair_txn(struct check *c, MDB_txn *t, struct why *why)
{
	struct store_usage u = { 0, 0 };
	struct store_usage scratch = { UINT64_MAX, UINT64_MAX };
	enum store_res r = STORE_OK;

	for (size_t i = 0; r == STORE_OK && i < c->nbox; i++) {
		struct box *b = &c->box[i];
		struct store_mailbox m;

		if ((r = store_mbox_load_id(c->s, t, b->m.id, &m, why)) !=
		    STORE_OK)
			break;
		m.highestmodseq++;
		for (size_t j = 0; r == STORE_OK && j < b->nmissing; j++)
			r = store_msg_drop(c->s, t, &m, &b->missing[j],
			    &scratch, why);
		m.messages = b->counted.messages - (uint32_t)b->nmissing;
		m.unseen = b->counted.unseen;
		m.recent = b->counted.recent;
		m.size = b->counted.size;
		for (size_t j = 0; j < b->nmissing; j++) {
			m.unseen -= !(b->missing[j].flags & STORE_SEEN);
			m.recent -= b->missing[j].uid >= m.first_recent;
			m.size -= b->missing[j].size;
		}
		u.bytes += m.size;
		u.messages += m.messages;
		if (r == STORE_OK)
			r = store_mbox_save(c->s, t, &m, why);
	}
	return r == STORE_OK ? store_usage_put(c->s, t, &u, why) : r;
}

static enum store_res
check_usage(struct check *c, struct why *why)
{
	struct store_usage u;
	uint64_t bytes = 0;
	uint64_t msgs = 0;
	enum store_res r = store_usage(c->s, &u, why);

	for (size_t i = 0; i < c->nbox; i++) {
		bytes += c->box[i].counted.size;
		msgs += c->box[i].counted.messages;
		if (counters_differ(&c->box[i].m, &c->box[i].counted))
			c->rep->bad_counters++;
	}
	if (r == STORE_OK && (u.bytes != bytes || u.messages != msgs))
		c->rep->bad_counters++;
	return r;
}

enum store_res
store_check(struct store *s, bool repair, struct store_report *out,
    struct why *why)
{
	struct check c = { s, NULL, 0, 0, out };
	MDB_txn *t;
	enum store_res r;

	memset(out, 0, sizeof(*out));
	r = store_mailbox_list(s, box_step, &c, why);
	for (size_t i = 0; r == STORE_OK && i < c.nbox; i++) {
		c.cur = i;
		r = store_msg_list(s, c.box[i].m.id, 1, msg_step, &c, why);
		if (c.box[i].files.n > 1)
			qsort(c.box[i].files.v, c.box[i].files.n,
			    sizeof(char *), cmp_str);
	}
	if (r == STORE_OK)
		r = check_usage(&c, why);
	if (r == STORE_OK && repair && (out->missing > 0 ||
					   out->bad_counters > 0) &&
	    (r = store_txn(s, true, &t, why)) == STORE_OK) {
		r = repair_txn(&c, t, why);
		r = r == STORE_OK ? store_commit(t, why) :
				    (mdb_txn_abort(t), r);
	}
	if (r == STORE_OK)
		sweep(&c, repair);
	for (size_t i = 0; i < c.nbox; i++) {
		names_free(&c.box[i].files);
		free(c.box[i].missing);
	}
	free(c.box);
	return r;
}
