/*
 * imapd_mbox.c - commands on mailboxes: NAMESPACE, CREATE, DELETE,
 * RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with the SPECIAL-USE and CHILDREN
 * attributes, the LIST-EXTENDED selection and return options, and
 * LIST-STATUS), LSUB, STATUS, and the read-only QUOTA commands.  One hierarchy separator, "/"; names are UTF-8 in the
 * store and modified UTF-7 on the wire unless UTF8=ACCEPT is enabled.
 * The store calls run on a worker; the responses are built there and
 * written by the loop.
 * Linked into: imapd.  Trust: names and patterns come from the client:
 * decoded and checked (store_name_ok) before they reach the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "mail/imapenc.h"

struct mbox_job {
	struct imapd_sess *s;
	enum imapcmd_name name;
	char a[STORE_MAX_NAME + 1];	/* the mailbox (or reference+pattern) */
	char b[STORE_MAX_NAME + 1];	/* RENAME's target */
	struct imapcmd_list list;	/* LIST/LSUB options */
	char **pat;			/* LIST patterns, UTF-8 */
	size_t npat;
	unsigned items;			/* STATUS */
	bool root_empty;		/* GETQUOTA: the root is "" */
	bool utf8;
	struct buf out;			/* untagged responses */
	const char *status;		/* the tagged reply */
	char text[300];
};

int
imapd_name_in(const struct imapd_sess *s, const struct imapcmd_mbox *m,
    char out[STORE_MAX_NAME + 1], struct why *why)
{
	struct buf b;
	int r = 0;

	if (m->inbox) {
		snprintf(out, STORE_MAX_NAME + 1, "INBOX");
		return 0;
	}
	buf_init(&b, STORE_MAX_NAME + 1);
	if (s->utf8_accept) {
		if (!span_utf8_ok(m->name) || buf_addspan(&b, m->name) == -1)
			r = why_set(why, "invalid mailbox name");
	} else if (imapenc_mutf7_decode(&b, m->name, why) == -1) {
		r = -1;
	}
	/* A trailing separator names the same mailbox (RFC 3501 CREATE). */
	while (r == 0 && b.len > 1 && b.p[b.len - 1] == '/')
		b.len--;
	if (r == 0 && (b.len == 0 || b.len > STORE_MAX_NAME))
		r = why_set(why, "invalid mailbox name");
	if (r == 0) {
		memcpy(out, b.p, b.len);
		out[b.len] = '\0';
		if (!store_name_ok(out))
			r = why_set(why, "invalid mailbox name");
	}
	buf_fini(&b);
	return r;
}

static void
set(struct mbox_job *j, const char *status, const char *text)
{
	j->status = status;
	snprintf(j->text, sizeof(j->text), "%s", text);
}

/* The tagged reply for a store result other than STORE_OK. */
static void
set_res(struct mbox_job *j, enum store_res r, const struct why *why)
{
	switch (r) {
	case STORE_OK:
		set(j, "OK", "completed");
		break;
	case STORE_NOTFOUND:
		set(j, "NO", "[NONEXISTENT] No such mailbox");
		break;
	case STORE_EXISTS:
		set(j, "NO", "[ALREADYEXISTS] Mailbox already exists");
		break;
	case STORE_BADNAME:
		set(j, "NO", "[CANNOT] Invalid mailbox name");
		break;
	case STORE_NOTALLOWED:
		set(j, "NO", "[CANNOT] Not allowed for this mailbox");
		break;
	case STORE_OVERQUOTA:
		set(j, "NO", "[OVERQUOTA] Quota exceeded");
		break;
	case STORE_TEMP:
		log_warn("%s: store: %s", j->s->id, why->msg);
		set(j, "NO", "[UNAVAILABLE] Try again later");
		break;
	}
}

/* ---- LIST and LSUB ---- */

/* Does name match pattern ('*' anything, '%' anything but '/')? */
static bool
match(const char *pat, const char *name)
{
	for (; *pat != '\0'; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (;; name++) {
				if (match(pat + 1, name))
					return true;
				if (*name == '\0' || (*pat == '%' && *name == '/'))
					return false;
			}
		}
		if (*name != *pat)
			return false;
	}
	return *name == '\0';
}

/* A pattern matches INBOX in any case. */
static bool
match_name(const char *pat, const char *name)
{
	char up[STORE_MAX_NAME * 2 + 2];
	size_t i;

	if (strcmp(name, "INBOX") != 0)
		return match(pat, name);
	snprintf(up, sizeof(up), "%s", pat);
	for (i = 0; i < 5 && up[i] != '\0' && up[i] != '*' && up[i] != '%';
	     i++)
		if (up[i] >= 'a' && up[i] <= 'z')
			up[i] = (char)(up[i] - 'a' + 'A');
	return match(up, name);
}

struct boxes {
	struct store_mailbox *v;
	size_t n;
};

static bool
collect(void *arg, const struct store_mailbox *m)
{
	struct boxes *b = arg;

	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	b->v[b->n++] = *m;
	return true;
}

static bool
has_children(const struct boxes *b, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < b->n; i++)
		if (strncmp(b->v[i].name, name, len) == 0 &&
		    b->v[i].name[len] == '/')
			return true;
	return false;
}

static const char *const role_attr[] = {
	[STORE_ROLE_NONE] = NULL, [STORE_ROLE_SENT] = "\\Sent",
	[STORE_ROLE_DRAFTS] = "\\Drafts", [STORE_ROLE_TRASH] = "\\Trash",
	[STORE_ROLE_JUNK] = "\\Junk", [STORE_ROLE_ARCHIVE] = "\\Archive",
};

/* A name LIST or LSUB may answer with: a mailbox, a subscription, or
 * (RECURSIVEMATCH) the parent of a subscription. */
struct entry {
	char name[STORE_MAX_NAME + 1];
	const struct store_mailbox *m;	/* borrowed from boxes; NULL: none */
	bool subscribed;
	bool parent;			/* a descendant is subscribed */
};

struct entries {
	struct entry *v;
	size_t n;
};

static struct entry *
entry_add(struct entries *e, const char *name, size_t len)
{
	struct entry *x;

	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->name, name, len);
	x->name[len] = '\0';
	return x;
}

static bool
add_sub(void *arg, const char *name)
{
	entry_add(arg, name, strlen(name))->subscribed = true;
	return true;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name);
}

/* Sort by name and merge the entries of one name. */
static void
entries_merge(struct entries *e)
{
	size_t i, k = 0;

	qsort(e->v, e->n, sizeof(*e->v), entry_cmp);
	for (i = 0; i < e->n; i++) {
		if (k > 0 && strcmp(e->v[k - 1].name, e->v[i].name) == 0) {
			struct entry *x = &e->v[k - 1];

			x->m = x->m != NULL ? x->m : e->v[i].m;
			x->subscribed |= e->v[i].subscribed;
			x->parent |= e->v[i].parent;
			continue;
		}
		e->v[k++] = e->v[i];
	}
	e->n = k;
}

/*
 * What the command may list: every mailbox, and with the SUBSCRIBED
 * selection (or LSUB) every subscribed name too, which may have no
 * mailbox (RFC 5258 \NonExistent); with RECURSIVEMATCH also the
 * ancestors of subscribed names, marked parent (RFC 5258 3.5, CHILDINFO).
 */
static enum store_res
gather(struct mbox_job *j, struct store *st, const struct boxes *b,
    bool subs, struct entries *e, struct why *why)
{
	enum store_res r = STORE_OK;
	char name[STORE_MAX_NAME + 1];
	size_t i, n;
	const char *p;

	for (i = 0; i < b->n; i++) {
		struct entry *x = entry_add(e, b->v[i].name,
		    strlen(b->v[i].name));

		x->m = &b->v[i];
		x->subscribed = b->v[i].subscribed;
	}
	if (subs)
		r = store_subscription_list(st, add_sub, e, why);
	if (r == STORE_OK && j->list.sel & IMAPCMD_LSEL_RECURSIVEMATCH &&
	    j->list.sel & IMAPCMD_LSEL_SUBSCRIBED) {
		n = e->n;
		for (i = 0; i < n; i++) {
			if (!e->v[i].subscribed)
				continue;
			/* A copy: entry_add moves e->v. */
			memcpy(name, e->v[i].name, sizeof(name));
			for (p = strchr(name, '/'); p != NULL;
			     p = strchr(p + 1, '/'))
				entry_add(e, name, (size_t)(p - name))->parent =
				    true;
		}
	}
	entries_merge(e);
	return r;
}

/* \Deleted messages of a mailbox: how many, and their octets. */
struct deleted {
	uint32_t n;
	uint64_t bytes;
};

static bool
count_deleted(void *arg, const struct store_msg *m)
{
	struct deleted *d = arg;

	if (m->flags & STORE_DELETED) {
		d->n++;
		d->bytes += m->size;
	}
	return true;
}

/* The STATUS items of m (RFC 3501 STATUS, RFC 5819 LIST-STATUS, RFC
 * 8438 SIZE, RFC 9208 DELETED and DELETED-STORAGE). */
static enum store_res
status_line(struct mbox_job *j, struct store *st,
    const struct store_mailbox *m, unsigned items, struct why *why)
{
	struct deleted del = { 0, 0 };
	const char *sep = "";
	enum store_res r;

	/* The only items the index does not count: a walk of the
	 * mailbox's records, made only when asked for. */
	if (items & (IMAPCMD_ST_DELETED | IMAPCMD_ST_DELETED_STORAGE) &&
	    (r = store_msg_list(st, m->id, 1, count_deleted, &del, why)) !=
		STORE_OK)
		return r;
	buf_adds(&j->out, "* STATUS ");
	imapenc_mailbox(&j->out, span_str(m->name), j->utf8);
	buf_adds(&j->out, " (");
#define ITEM(bit, fmt, val)                                                \
	if (items & (bit)) {                                               \
		buf_addf(&j->out, "%s" fmt, sep, val);                     \
		sep = " ";                                                 \
	}
	ITEM(IMAPCMD_ST_MESSAGES, "MESSAGES %u", m->messages);
	ITEM(IMAPCMD_ST_RECENT, "RECENT %u", m->recent);
	ITEM(IMAPCMD_ST_UIDNEXT, "UIDNEXT %u", m->uidnext);
	ITEM(IMAPCMD_ST_UIDVALIDITY, "UIDVALIDITY %u", m->uidvalidity);
	ITEM(IMAPCMD_ST_UNSEEN, "UNSEEN %u", m->unseen);
	ITEM(IMAPCMD_ST_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu",
	    (unsigned long long)m->highestmodseq);
	ITEM(IMAPCMD_ST_SIZE, "SIZE %llu", (unsigned long long)m->size);
	ITEM(IMAPCMD_ST_DELETED, "DELETED %u", del.n);
	/* In units of 1024 octets, as the STORAGE resource. */
	ITEM(IMAPCMD_ST_DELETED_STORAGE, "DELETED-STORAGE %llu",
	    (unsigned long long)(del.bytes / 1024));
#undef ITEM
	buf_adds(&j->out, ")\r\n");
	return STORE_OK;
}

static enum store_res
list_one(struct mbox_job *j, struct store *st, const struct boxes *b,
    const struct entry *x, bool lsub, bool childinfo, struct why *why)
{
	const struct imapcmd_list *l = &j->list;
	const struct store_mailbox *m = x->m;
	const char *sep = "";

	buf_addf(&j->out, "* %s (", lsub ? "LSUB" : "LIST");
	if (m == NULL && !lsub) {
		buf_adds(&j->out, "\\NonExistent");
		sep = " ";
	} else if (m != NULL && m->noselect) {
		buf_adds(&j->out, "\\Noselect");
		sep = " ";
	}
	if (!lsub) {
		buf_addf(&j->out, "%s%s", sep,
		    has_children(b, x->name) ? "\\HasChildren" :
					       "\\HasNoChildren");
		if (m != NULL && role_attr[m->role] != NULL)
			buf_addf(&j->out, " %s", role_attr[m->role]);
		if ((l->ret & IMAPCMD_LRET_SUBSCRIBED ||
			l->sel & IMAPCMD_LSEL_SUBSCRIBED) &&
		    x->subscribed)
			buf_adds(&j->out, " \\Subscribed");
	}
	buf_adds(&j->out, ") \"/\" ");
	imapenc_mailbox(&j->out, span_str(x->name), j->utf8);
	if (childinfo)
		buf_adds(&j->out, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buf_adds(&j->out, "\r\n");
	/* RFC 5819: the mailbox's STATUS right after its LIST, and none
	 * for a name that cannot be selected. */
	if (!lsub && l->ret & IMAPCMD_LRET_STATUS && m != NULL &&
	    !m->noselect)
		return status_line(j, st, m, l->status, why);
	return STORE_OK;
}

/* Does x meet the selection options (LSUB: is it subscribed)? */
static bool
selected(const struct mbox_job *j, const struct entry *x, bool lsub)
{
	unsigned sel = j->list.sel;

	if (lsub || sel & IMAPCMD_LSEL_SUBSCRIBED) {
		if (!x->subscribed)
			return false;
	} else if (x->m == NULL) {
		return false;
	}
	return !(sel & IMAPCMD_LSEL_SPECIAL_USE) ||
	    (x->m != NULL && x->m->role != STORE_ROLE_NONE);
}

static bool
matches(const struct mbox_job *j, const char *name)
{
	size_t k;

	for (k = 0; k < j->npat; k++)
		if (match_name(j->pat[k], name))
			return true;
	return false;
}

static void
do_list(struct mbox_job *j, struct store *st, bool lsub)
{
	struct boxes b = { NULL, 0 };
	struct entries e = { NULL, 0 };
	struct why why = { "" };
	enum store_res r;
	size_t i;
	bool subs = lsub || j->list.sel & IMAPCMD_LSEL_SUBSCRIBED;

	/* LIST "" "": the hierarchy separator and the root. */
	if (!lsub && j->npat == 1 && j->pat[0][0] == '\0') {
		buf_adds(&j->out, "* LIST (\\Noselect) \"/\" \"\"\r\n");
		set(j, "OK", "LIST completed");
		return;
	}
	r = store_mailbox_list(st, collect, &b, &why);
	if (r == STORE_OK)
		r = gather(j, st, &b, subs, &e, &why);
	for (i = 0; r == STORE_OK && i < e.n; i++) {
		const struct entry *x = &e.v[i];
		bool sel = selected(j, x, lsub);

		/* RECURSIVEMATCH: a name that does not meet the selection
		 * itself is listed for its subscribed descendants. */
		if ((sel || x->parent) && matches(j, x->name))
			r = list_one(j, st, &b, x, lsub, !sel, &why);
	}
	if (r != STORE_OK) {
		buf_reset(&j->out);
		set_res(j, r, &why);
	} else {
		set(j, "OK", lsub ? "LSUB completed" : "LIST completed");
	}
	free(e.v);
	free(b.v);
}

/* ---- STATUS ---- */

static void
do_status(struct mbox_job *j, struct store *st)
{
	struct store_mailbox m;
	struct why why = { "" };
	enum store_res r = store_mailbox_get(st, j->a, &m, &why);

	if (r == STORE_OK && m.noselect)
		r = STORE_NOTFOUND;
	if (r == STORE_OK)
		r = status_line(j, st, &m, j->items, &why);
	if (r != STORE_OK) {
		buf_reset(&j->out);
		set_res(j, r, &why);
		return;
	}
	set(j, "OK", "STATUS completed");
}

/* ---- QUOTA (RFC 9208), read-only ---- */

/*
 * One quota root, "", for the whole store, with the limits authd gave
 * at login.  A resource without a limit is not reported; without any
 * limit the root has no QUOTA response at all (it needs a resource).
 */
static enum store_res
quota_line(struct mbox_job *j, struct store *st, struct why *why)
{
	struct store_usage q, u;
	enum store_res r;

	store_quota(st, &q);
	if (q.bytes == 0 && q.messages == 0)
		return STORE_OK;
	if ((r = store_usage(st, &u, why)) != STORE_OK)
		return r;
	buf_adds(&j->out, "* QUOTA \"\" (");
	/* STORAGE counts units of 1024 octets. */
	if (q.bytes > 0)
		buf_addf(&j->out, "STORAGE %llu %llu",
		    (unsigned long long)(u.bytes / 1024),
		    (unsigned long long)(q.bytes / 1024));
	if (q.messages > 0)
		buf_addf(&j->out, "%sMESSAGE %llu %llu",
		    q.bytes > 0 ? " " : "", (unsigned long long)u.messages,
		    (unsigned long long)q.messages);
	buf_adds(&j->out, ")\r\n");
	return STORE_OK;
}

static void
do_quota(struct mbox_job *j, struct store *st)
{
	struct store_mailbox m;
	struct why why = { "" };
	enum store_res r = STORE_OK;

	if (j->name == IMAPCMD_GETQUOTA && !j->root_empty) {
		set(j, "NO", "[NONEXISTENT] No such quota root");
		return;
	}
	if (j->name == IMAPCMD_GETQUOTAROOT) {
		r = store_mailbox_get(st, j->a, &m, &why);
		if (r == STORE_OK) {
			buf_adds(&j->out, "* QUOTAROOT ");
			imapenc_mailbox(&j->out, span_str(m.name), j->utf8);
			buf_adds(&j->out, " \"\"\r\n");
		}
	}
	if (r == STORE_OK)
		r = quota_line(j, st, &why);
	if (r != STORE_OK) {
		buf_reset(&j->out);
		set_res(j, r, &why);
		return;
	}
	set(j, "OK", "completed");
}

static void
mbox_work(void *arg)
{
	struct mbox_job *j = arg;
	struct store *st = j->s->store;
	struct why why = { "" };
	enum store_res r;

	switch (j->name) {
	case IMAPCMD_CREATE:
		r = store_mailbox_create(st, j->a, STORE_ROLE_NONE, &why);
		set_res(j, r, &why);
		break;
	case IMAPCMD_DELETE:
		r = strcmp(j->a, "INBOX") == 0 ? STORE_NOTALLOWED :
		    store_mailbox_delete(st, j->a, &why);
		set_res(j, r, &why);
		break;
	case IMAPCMD_RENAME:
		r = store_mailbox_rename(st, j->a, j->b, &why);
		set_res(j, r, &why);
		break;
	case IMAPCMD_SUBSCRIBE:
	case IMAPCMD_UNSUBSCRIBE:
		r = store_subscribe(st, j->a, j->name == IMAPCMD_SUBSCRIBE,
		    &why);
		set_res(j, r, &why);
		break;
	case IMAPCMD_LIST:
	case IMAPCMD_LSUB:
		do_list(j, st, j->name == IMAPCMD_LSUB);
		break;
	case IMAPCMD_STATUS:
		do_status(j, st);
		break;
	case IMAPCMD_GETQUOTA:
	case IMAPCMD_GETQUOTAROOT:
		do_quota(j, st);
		break;
	default:
		set(j, "BAD", "unexpected command");
		break;
	}
}

static void
mbox_free(void *arg)
{
	struct mbox_job *j = arg;
	size_t i;

	for (i = 0; i < j->npat; i++)
		free(j->pat[i]);
	free(j->pat);
	buf_fini(&j->out);
	free(j);
}

static void
mbox_done(void *arg)
{
	struct mbox_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended) {
		imapd_write(s, j->out.p, j->out.len);
		if (strcmp(j->text, "completed") == 0)
			imapd_tagged(s, j->status, "%s completed",
			    imapcmd_name_str(j->name));
		else
			imapd_tagged(s, j->status, "%s", j->text);
	}
	mbox_free(j);
	imapd_job_end(s);
}

/* Reference and pattern joined, decoded to UTF-8. */
static int
pattern_in(const struct imapd_sess *s, struct span ref, struct span pat,
    char **out, struct why *why)
{
	struct buf raw, b;
	int r = 0;

	buf_init(&raw, 2 * STORE_MAX_NAME + 2);
	buf_init(&b, 4 * STORE_MAX_NAME + 4);
	if (buf_addspan(&raw, ref) == -1 || buf_addspan(&raw, pat) == -1)
		r = why_set(why, "pattern too long");
	else if (s->utf8_accept)
		r = span_utf8_ok(buf_span(&raw)) ?
		    buf_addspan(&b, buf_span(&raw)) :
		    why_set(why, "invalid pattern");
	else
		r = imapenc_mutf7_decode(&b, buf_span(&raw), why);
	if (r == 0)
		*out = span_dup(buf_span(&b));
	buf_fini(&raw);
	buf_fini(&b);
	return r;
}

void
imapd_mailbox_cmd(struct imapd_sess *s)
{
	const struct imapcmd *c = &s->cmd;
	struct mbox_job *j;
	struct why why = { "" };
	int r = 0;
	size_t i;

	if (c->name == IMAPCMD_NAMESPACE) {
		imapd_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
		imapd_tagged(s, "OK", "NAMESPACE completed");
		return;
	}
	if (c->name == IMAPCMD_SETQUOTA) {
		/* No QUOTASET: limits come from the user's directory entry. */
		imapd_tagged(s, "NO", "[NOPERM] Quotas are set by the "
				      "administrator");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->name = c->name;
	j->utf8 = s->utf8_accept;
	buf_init(&j->out, 64 * 1024 * 1024);
	switch (c->name) {
	case IMAPCMD_RENAME:
		r = imapd_name_in(s, &c->u.rename.from, j->a, &why);
		if (r == 0)
			r = imapd_name_in(s, &c->u.rename.to, j->b, &why);
		break;
	case IMAPCMD_LIST:
	case IMAPCMD_LSUB:
		j->list = c->u.list;
		j->pat = xcalloc(c->u.list.npat, sizeof(*j->pat));
		for (i = 0; r == 0 && i < c->u.list.npat; i++, j->npat++)
			r = pattern_in(s, c->u.list.ref, c->u.list.pat[i],
			    &j->pat[i], &why);
		break;
	case IMAPCMD_STATUS:
		j->items = c->u.status.items;
		/* RFC 7162 3.1: CONDSTORE-enabling. */
		if (j->items & IMAPCMD_ST_HIGHESTMODSEQ)
			imapd_condstore_on(s);
		r = imapd_name_in(s, &c->u.status.mbox, j->a, &why);
		break;
	case IMAPCMD_GETQUOTA:
		j->root_empty = c->u.quota.root.len == 0;
		break;
	default:
		r = imapd_name_in(s, &c->u.mbox, j->a, &why);
		break;
	}
	if (r == -1) {
		imapd_tagged(s, "NO", "[CANNOT] %s", why.msg);
		mbox_free(j);
		return;
	}
	imapd_job(s, mbox_work, mbox_done, mbox_free, j);
}
