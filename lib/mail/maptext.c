/*
 * maptext.c - parse the text lookup-table format (see maptext.h).
 * Linked into: postern (map), the unit tests and the fuzz target.
 * Trust: the text may be anything; lines are split by length, never
 * copied unbounded, and every rejection names its line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/maptext.h"

/* Keys already passed on, to warn about duplicates (open addressing). */
struct keyset {
	struct span *slot;	/* owned; len 0 marks an empty slot */
	size_t cap;		/* a power of two */
	size_t n;
};

/* The entry being assembled from its first line and continuations. */
struct pending {
	bool active;		/* an entry has started */
	bool bad;		/* an error was reported for it already */
	bool joined;		/* value lives in join, not in the text */
	bool too_long;		/* the joined value passed the limit */
	size_t line;
	struct span key;	/* borrowed from the text */
	struct span value;	/* borrowed from the text or from join */
	struct buf join;	/* owned scratch for multi-line values */
};

struct parser {
	const struct maptext_cb *cb;
	struct maptext_stats st;
	struct pending cur;
	struct keyset seen;
};

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static size_t
key_hash(struct span k)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < k.len; i++)
		h = (h ^ lower(k.p[i])) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot holding k, or the empty slot where it would go. */
static struct span *
keyset_find(struct keyset *ks, struct span k)
{
	size_t i = key_hash(k) & (ks->cap - 1);

	while (ks->slot[i].len != 0 && !span_eq_span_nocase(ks->slot[i], k))
		i = (i + 1) & (ks->cap - 1);
	return &ks->slot[i];
}

static void
keyset_grow(struct keyset *ks)
{
	struct span *old = ks->slot;
	size_t oldcap = ks->cap;
	size_t i;

	ks->cap = oldcap ? oldcap * 2 : 64;
	ks->slot = xcalloc(ks->cap, sizeof(*ks->slot));
	for (i = 0; i < oldcap; i++)
		if (old[i].len != 0)
			*keyset_find(ks, old[i]) = old[i];
	xfree(&old);
}

/* Add k (non-empty); false if it was already there. */
static bool
keyset_add(struct keyset *ks, struct span k)
{
	struct span *s;

	if ((ks->n + 1) * 2 > ks->cap)
		keyset_grow(ks);
	s = keyset_find(ks, k);
	if (s->len != 0)
		return false;
	*s = k;
	ks->n++;
	return true;
}

static void
diag(struct parser *ps, size_t line, bool is_error, const char *reason)
{
	if (is_error)
		ps->st.errors++;
	else
		ps->st.warnings++;
	if (ps->cb != NULL && ps->cb->diag != NULL)
		ps->cb->diag(ps->cb->arg, line, is_error, reason);
}

static void
warn_duplicate(struct parser *ps, const struct pending *e)
{
	char esc[LOG_ESC_SIZE];
	char msg[LOG_ESC_SIZE + 64];

	snprintf(msg, sizeof(msg), "duplicate entry %s, keeping the first",
	    log_esc(e->key, esc));
	diag(ps, e->line, false, msg);
}

/* Check the finished entry and pass it on. */
static void
finish(struct parser *ps)
{
	struct pending *e = &ps->cur;
	char msg[128];

	if (!e->active || e->bad || ps->st.stopped)
		goto out;
	if (e->value.len == 0) {
		diag(ps, e->line, true,
		    "expected format: key whitespace value");
	} else if (e->key.len > MAPTEXT_MAX_KEY) {
		snprintf(msg, sizeof(msg), "key is longer than %d bytes",
		    MAPTEXT_MAX_KEY);
		diag(ps, e->line, true, msg);
	} else if (e->too_long || e->value.len > MAPTEXT_MAX_VALUE) {
		snprintf(msg, sizeof(msg), "value is longer than %d bytes",
		    MAPTEXT_MAX_VALUE);
		diag(ps, e->line, true, msg);
	} else if (!keyset_add(&ps->seen, e->key)) {
		warn_duplicate(ps, e);
	} else {
		ps->st.entries++;
		if (ps->cb != NULL && ps->cb->entry != NULL &&
		    ps->cb->entry(ps->cb->arg, e->line, e->key, e->value) == -1)
			ps->st.stopped = true;
	}
out:
	e->active = false;
	e->bad = false;
	e->joined = false;
	e->too_long = false;
}

/* A line that starts an entry: split it into key and value. */
static void
start_entry(struct parser *ps, size_t line, struct span t)
{
	struct pending *e = &ps->cur;
	size_t i = 0;

	finish(ps);
	while (i < t.len && !is_blank(t.p[i]))
		i++;
	e->active = true;
	e->line = line;
	e->key = span_make(t.p, i);
	/* aliases(5) writes "name: value": such a key loses its colon. */
	if (e->key.len > 1 && e->key.p[e->key.len - 1] == ':' &&
	    span_chr(span_make(e->key.p, e->key.len - 1), ':') < 0)
		e->key.len--;
	while (i < t.len && is_blank(t.p[i]))
		i++;
	e->value = span_make(t.p + i, t.len - i);
}

/* A continuation line: append its text (leading blanks removed). */
static void
continue_entry(struct pending *e, struct span t)
{
	while (t.len > 0 && is_blank(t.p[0])) {
		t.p++;
		t.len--;
	}
	if (e->bad || e->too_long)
		return;
	if (e->value.len == 0 && !e->joined) {
		e->value = t;
		return;
	}
	if (!e->joined) {
		e->joined = true;
		if (buf_set(&e->join, e->value.p, e->value.len) == -1)
			e->too_long = true;
	}
	if (buf_addc(&e->join, ' ') == -1 || buf_addspan(&e->join, t) == -1)
		e->too_long = true;
	e->value = buf_span(&e->join);
}

static void
parse_line(struct parser *ps, size_t line, struct span l)
{
	struct pending *e = &ps->cur;
	size_t i = 0;
	bool cont;

	while (l.len > 0 && is_blank(l.p[l.len - 1]))
		l.len--;
	while (i < l.len && is_blank(l.p[i]))
		i++;
	if (i == l.len || l.p[i] == '#') {
		if (memchr(l.p, '\0', l.len) != NULL)
			diag(ps, line, true, "NUL byte in line");
		return;
	}
	cont = i > 0;
	if (cont && !e->active) {
		diag(ps, line, true,
		    "continuation line without a preceding entry");
		return;
	}
	if (!cont)
		start_entry(ps, line, l);
	else
		continue_entry(e, l);
	if (memchr(l.p, '\0', l.len) != NULL) {
		diag(ps, line, true, "NUL byte in line");
		e->bad = true;
	}
}

int
maptext_parse(struct span text, const struct maptext_cb *cb,
    struct maptext_stats *stats_out)
{
	struct parser ps;
	size_t pos = 0;
	size_t line = 0;

	memset(&ps, 0, sizeof(ps));
	ps.cb = cb;
	buf_init(&ps.cur.join, MAPTEXT_MAX_VALUE);
	while (pos < text.len && !ps.st.stopped) {
		const unsigned char *nl;
		size_t end;

		nl = memchr(text.p + pos, '\n', text.len - pos);
		end = nl != NULL ? (size_t)(nl - text.p) : text.len;
		parse_line(&ps, ++line, span_make(text.p + pos, end - pos));
		pos = end + 1;
	}
	finish(&ps);
	ps.st.lines = line;
	buf_fini(&ps.cur.join);
	xfree(&ps.seen.slot);
	if (stats_out != NULL)
		*stats_out = ps.st;
	return ps.st.errors == 0 && !ps.st.stopped ? 0 : -1;
}
