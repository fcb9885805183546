/*
 * domlist.c - match a domain against a list of names and tables.
 * Linked into: authd.  Trust: the domain may come from a peer; it is only
 * compared and used as a table key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cfg.h"
#include "base/xmem.h"
#include "mail/domlist.h"

struct domlist_item {
	char *name;		/* a literal domain, or NULL */
	struct dict *table;	/* or a table */
};

struct domlist {
	struct domlist_item *v;
	size_t n;
};

void
domlist_free(struct domlist **dlp)
{
	struct domlist *dl = *dlp;
	size_t i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->n; i++) {
		free(dl->v[i].name);
		dict_close(&dl->v[i].table);
	}
	free(dl->v);
	free(dl);
	*dlp = NULL;
}

/* Add a literal domain, or open a table when the item has a ':'. */
static int
add_item(struct domlist *dl, struct span item, struct why *why)
{
	struct domlist_item *it;
	char *text = span_dup(item);

	dl->v = xreallocarray(dl->v, dl->n + 1, sizeof(*dl->v));
	it = &dl->v[dl->n++];
	memset(it, 0, sizeof(*it));
	if (strchr(text, ':') == NULL) {
		it->name = text;
		return 0;
	}
	it->table = dict_open(text, why);
	free(text);
	return it->table == NULL ? -1 : 0;
}

struct domlist *
domlist_new(const char *list, struct why *why)
{
	struct domlist *dl = xcalloc(1, sizeof(*dl));
	struct span rest = span_str(list);
	struct span item;

	while (cfg_list_next(&rest, &item)) {
		if (add_item(dl, item, why) == -1) {
			domlist_free(&dl);
			return NULL;
		}
	}
	return dl;
}

enum dict_res
domlist_match(struct domlist *dl, struct span domain, struct why *why)
{
	struct buf value;
	size_t i;
	enum dict_res res = DICT_NOTFOUND;

	if (domain.len > 0 && domain.p[domain.len - 1] == '.')
		domain.len--;	/* "example.org." is example.org */
	buf_init(&value, 65536);
	for (i = 0; i < dl->n && res == DICT_NOTFOUND; i++) {
		if (dl->v[i].name != NULL) {
			if (span_eq_nocase(domain, dl->v[i].name))
				res = DICT_FOUND;
			continue;
		}
		res = dict_get(dl->v[i].table, domain, &value, why);
	}
	buf_fini(&value);
	return res;
}
