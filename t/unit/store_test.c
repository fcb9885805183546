/*
 * store_test.c - unit tests for lib/store: layout, mailbox names, default
 * mailboxes, append and read back, UID order, flags, keywords, MODSEQ and
 * changes, expunge, copy and move by hard link, quota, create/delete/
 * rename with RFC 3501 semantics (INBOX too), subscriptions, \Recent,
 * change notification across processes, many mailboxes on one notice
 * descriptor, concurrent appends from two processes, group commit of
 * threads' appends (one over quota fails alone), processes opening a
 * new store at once, a rebuild under an open store, check and repair,
 * rebuild from files (index unreadable or marked damaged), and a
 * 10,000-message mailbox.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tap.h"

static char root[64];
static struct store_conf conf = { root, 64 * 1024 * 1024, "Sent", "Drafts",
	"Trash", "Junk" };

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static struct store *
open_user(const char *user)
{
	struct store *s = NULL;
	struct why why = { "" };
	enum store_res r = store_open(&conf, user, &s, &why);

	if (r != STORE_OK)
		diag("store_open %s: %d %s", user, r, why.msg);
	return s;
}

static uint32_t
box_id(struct store *s, const char *name)
{
	struct store_mailbox m;
	struct why why;

	return store_mailbox_get(s, name, &m, &why) == STORE_OK ? m.id : 0;
}

static uint32_t
append(struct store *s, uint32_t box, const char *text, uint32_t flags)
{
	struct store_append a = { box, span_str(text), flags, NULL, 0, 0 };
	struct store_msg m;
	struct why why = { "" };
	enum store_res r = store_append(s, &a, &m, &why);

	if (r != STORE_OK) {
		diag("append: %d %s", r, why.msg);
		return 0;
	}
	return m.uid;
}

static void
test_layout(void)
{
	struct buf b;

	buf_init(&b, 1024);
	ok(store_user_dir("alice@example.org", &b) == 0, "user dir");
	ok(b.len == 6 + 17 && memcmp(b.p + 6, "alice@example.org", 17) == 0 &&
	       b.p[2] == '/' && b.p[5] == '/',
	    "two hash levels then the user: %s", buf_str(&b));
	buf_reset(&b);
	ok(store_user_dir("../x/Y", &b) == 0 && strstr(buf_str(&b), "/") ==
	    (char *)b.p + 2 && strstr(buf_str(&b) + 6, "%2E.%2Fx%2F%59") != NULL,
	    "dots, slashes and capitals are encoded: %s", buf_str(&b));
	{
		struct buf back;

		buf_init(&back, 1024);
		ok(store_user_name(buf_str(&b) + 6, &back) == 0 &&
		       strcmp(buf_str(&back), "../x/Y") == 0,
		    "directory name decodes back");
		buf_reset(&back);
		ok(store_user_name("a%2", &back) == -1 &&
		       store_user_name("a%00", &back) == -1 &&
		       store_user_name("A", &back) == -1 &&
		       store_user_name(".x", &back) == -1,
		    "bad directory names refused");
		buf_fini(&back);
	}
	buf_reset(&b);
	ok(store_user_dir("", &b) == -1, "empty user refused");
	buf_fini(&b);
	ok(store_name_ok("INBOX") && store_name_ok("a/b/c") &&
	       store_name_ok("Entw\xc3\xbcrfe"), "good names");
	ok(!store_name_ok("") && !store_name_ok("/a") && !store_name_ok("a/") &&
	       !store_name_ok("a//b") && !store_name_ok("a*") &&
	       !store_name_ok("a%") && !store_name_ok("a\tb") &&
	       !store_name_ok("\xc3(") && !store_name_ok("\xc0\xaf"),
	    "bad names refused");
}

static bool
count_box(void *arg, const struct store_mailbox *m)
{
	int *n = arg;

	(*n)++;
	if (m->role == STORE_ROLE_SENT && !(strcmp(m->name, "Sent") == 0 &&
					     m->subscribed))
		*n = -100;
	return true;
}

static void
test_defaults(void)
{
	struct store *s = open_user("def@example.org");
	struct store_mailbox m;
	struct why why;
	int n = 0;

	ok(s != NULL, "open creates the store");
	ok(store_mailbox_list(s, count_box, &n, &why) == STORE_OK && n == 5,
	    "INBOX, Sent, Drafts, Trash, Junk (got %d)", n);
	ok(store_mailbox_get(s, "inbox", &m, &why) == STORE_OK &&
	       strcmp(m.name, "INBOX") == 0 && m.uidnext == 1 &&
	       m.uidvalidity > 0, "INBOX in any case");
	ok(store_mailbox_get(s, "Trash", &m, &why) == STORE_OK &&
	       m.role == STORE_ROLE_TRASH, "Trash has its role");
	store_free(&s);
	ok(s == NULL, "free clears");
}

static bool
collect_uid(void *arg, const struct store_msg *m)
{
	uint32_t *u = arg;

	u[++u[0]] = m->uid;
	return u[0] < 63;
}

static void
test_append_read(struct store *s)
{
	uint32_t inbox = box_id(s, "INBOX");
	const char *text = "Subject: hi\r\n\r\nbody\r\n";
	uint32_t uids[64] = { 0 };
	struct store_mailbox m;
	struct store_msg msg;
	struct store_usage u;
	struct buf cache;
	struct store_snap *snap = NULL;
	struct span blob;
	struct why why;
	char got[64] = "";
	int fd;

	ok(append(s, inbox, text, 0) == 1 && append(s, inbox, text, 0) == 2 &&
	       append(s, inbox, text, STORE_SEEN) == 3, "UIDs 1, 2, 3");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.messages == 3 && m.unseen == 2 && m.uidnext == 4 &&
	       m.size == 3 * strlen(text) && m.recent == 3,
	    "counters: messages, unseen, uidnext, size, recent");
	ok(store_usage(s, &u, &why) == STORE_OK && u.messages == 3 &&
	       u.bytes == 3 * strlen(text), "quota usage");
	ok(store_msg_list(s, inbox, 1, collect_uid, uids, &why) == STORE_OK &&
	       uids[0] == 3 && uids[1] == 1 && uids[3] == 3, "listed in UID order");
	ok(store_msg_get(s, inbox, 3, &msg, &why) == STORE_OK &&
	       msg.flags == STORE_SEEN && msg.size == strlen(text) &&
	       msg.internaldate > 0, "one message");
	buf_init(&cache, 1 << 20);
	ok(store_msg_cache(s, inbox, 2, &cache, &why) == STORE_OK &&
	       cache.len > 0, "its cache");
	ok(store_snap_begin(s, &snap, &why) == STORE_OK &&
	       store_snap_cache(snap, inbox, 2, &blob, &why) == STORE_OK &&
	       blob.len == cache.len &&
	       memcmp(blob.p, cache.p, cache.len) == 0 &&
	       store_snap_cache(snap, inbox, 9, &blob, &why) ==
		   STORE_NOTFOUND && blob.len == 0,
	    "the same cache through a snapshot; none for UID 9");
	store_snap_end(&snap);
	ok(snap == NULL, "snapshot ended");
	buf_fini(&cache);
	ok(store_msg_open(s, inbox, 2, &fd, &why) == STORE_OK &&
	       pread(fd, got, sizeof(got), 0) == (ssize_t)strlen(text) &&
	       strcmp(got, text) == 0, "its file");
	close(fd);
	ok(store_msg_get(s, inbox, 9, &msg, &why) == STORE_NOTFOUND,
	    "no UID 9");
}

struct seen {
	int n;
	uint32_t uid[8];
	bool changed[8];
};

static void
note_change(void *arg, const struct store_msg *m, bool changed)
{
	struct seen *s = arg;

	s->uid[s->n] = m->uid;
	s->changed[s->n++] = changed;
}

static bool
count_msg(void *arg, const struct store_msg *m)
{
	(void)m;
	(*(int *)arg)++;
	return true;
}

static void
count_gone(void *arg, uint32_t uid)
{
	(void)uid;
	(*(int *)arg) += 100;
}

static void
test_flags(struct store *s)
{
	uint32_t inbox = box_id(s, "INBOX");
	const char *kw[] = { "$Forwarded", "bad keyword" };
	uint32_t one[] = { 1, 42 };
	struct store_flags f = { STORE_FLAGS_ADD, STORE_SEEN, kw, 1, 0 };
	struct store_mailbox before;
	struct store_mailbox m;
	struct store_msg msg;
	struct seen seen = { 0 };
	struct why why;
	int n = 0;

	store_mailbox_get(s, "INBOX", &before, &why);
	ok(store_flags_change(s, inbox, one, 2, &f, note_change, &seen,
	       &why) == STORE_OK && seen.n == 1 && seen.changed[0],
	    "add \\Seen and a keyword (absent UID skipped)");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.unseen == before.unseen - 1 &&
	       m.highestmodseq == before.highestmodseq + 1 &&
	       m.nkeywords == 1 && strcmp(m.keywords[0], "$Forwarded") == 0,
	    "unseen, highestmodseq and keywords follow");
	ok(store_msg_get(s, inbox, 1, &msg, &why) == STORE_OK &&
	       msg.modseq == m.highestmodseq && msg.keywords == 1,
	    "the message has the new modseq");
	seen.n = 0;
	ok(store_flags_change(s, inbox, one, 1, &f, note_change, &seen,
	       &why) == STORE_OK && seen.n == 1 && !seen.changed[0],
	    "no change, no modseq");
	f.op = STORE_FLAGS_REMOVE;
	f.unchangedsince = msg.modseq - 1;
	seen.n = 0;
	ok(store_flags_change(s, inbox, one, 1, &f, note_change, &seen,
	       &why) == STORE_OK && !seen.changed[0],
	    "UNCHANGEDSINCE below the message's modseq refuses");
	f.unchangedsince = 0;
	f.keywords = kw + 1;
	f.op = STORE_FLAGS_ADD;
	ok(store_flags_change(s, inbox, one, 1, &f, NULL, NULL, &why) ==
	       STORE_NOTALLOWED, "a bad keyword is refused");
	ok(store_changes(s, inbox, before.highestmodseq, count_msg, count_gone,
	       &n, &why) == STORE_OK && n == 1, "one change since (got %d)", n);
	n = 0;
	one[0] = 2;
	ok(store_expunge(s, inbox, one, 1, NULL, NULL, &why) == STORE_OK &&
	       store_changes(s, inbox, m.highestmodseq, count_msg, count_gone,
		   &n, &why) == STORE_OK && n == 100, "expunge is a change");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.messages == 2 && m.uidnext == 4, "expunged: UIDs not reused");
}

static void
test_copy(struct store *s)
{
	uint32_t inbox = box_id(s, "INBOX");
	uint32_t sent = box_id(s, "Sent");
	uint32_t uids[] = { 1, 3, 77 };
	uint32_t out[3];
	uint32_t uv;
	struct store_mailbox m;
	struct store_msg msg;
	struct why why;
	struct stat st;
	char path[4200];
	unsigned char hex[33];

	ok(store_copy(s, inbox, uids, 3, sent, false, out, &uv, &why) ==
		   STORE_OK && out[0] == 1 && out[1] == 2 && out[2] == 0,
	    "copy gives new UIDs");
	ok(store_mailbox_get(s, "Sent", &m, &why) == STORE_OK &&
	       m.messages == 2 && uv == m.uidvalidity && m.nkeywords == 1,
	    "target counters and keywords");
	ok(store_msg_get(s, sent, 1, &msg, &why) == STORE_OK &&
	       msg.keywords == 1 && (msg.flags & STORE_SEEN), "flags kept");
	for (int i = 0; i < 16; i++)
		snprintf((char *)hex + 2 * i, 3, "%02x", msg.guid[i]);
	snprintf(path, sizeof(path), "%s/mbox/%u/1.%s", store_dir(s), sent,
	    hex);
	ok(stat(path, &st) == 0 && st.st_nlink == 2, "a hard link");
	ok(store_copy(s, sent, uids, 1, inbox, true, out, &uv, &why) ==
		   STORE_OK && out[0] == 4, "move back");
	ok(store_mailbox_get(s, "Sent", &m, &why) == STORE_OK &&
	       m.messages == 1 && stat(path, &st) == -1,
	    "moved away: gone from the source");
}

static void
test_quota(struct store *s)
{
	uint32_t inbox = box_id(s, "INBOX");
	struct store_append a = { inbox, span_str("x\r\n"), 0, NULL, 0, 0 };
	struct store_usage u, q, u2;
	struct store_msg m;
	uint32_t uids[] = { 1 };
	uint32_t out[1];
	uint32_t uv;
	struct why why;

	store_quota(s, &q);
	ok(q.bytes == 0 && q.messages == 0, "unlimited until set");
	store_usage(s, &u, &why);
	store_set_quota(s, u.bytes + 2, 0);
	store_quota(s, &q);
	ok(q.bytes == u.bytes + 2 && q.messages == 0, "the limits set");
	ok(store_append(s, &a, &m, &why) == STORE_OVERQUOTA,
	    "over the byte quota");
	store_set_quota(s, 0, u.messages);
	ok(store_append(s, &a, &m, &why) == STORE_OVERQUOTA,
	    "over the message quota");
	ok(store_copy(s, inbox, uids, 1, box_id(s, "Trash"), false, out, &uv,
	       &why) == STORE_OVERQUOTA, "a copy counts");
	store_set_quota(s, 0, 0);
	ok(store_append(s, &a, &m, &why) == STORE_OK, "unlimited again");
	ok(store_usage(s, &u2, &why) == STORE_OK &&
	       u2.bytes == u.bytes + 3 && u2.messages == u.messages + 1,
	    "usage counts the append (%llu bytes, %llu messages)",
	    (unsigned long long)u2.bytes, (unsigned long long)u2.messages);
}

static void
test_hierarchy(struct store *s)
{
	struct store_mailbox m;
	struct store_mailbox inbox;
	uint32_t first;
	struct why why;

	ok(store_mailbox_create(s, "a/b/c", STORE_ROLE_NONE, &why) ==
		   STORE_OK && box_id(s, "a") != 0 && box_id(s, "a/b") != 0,
	    "create makes parents");
	ok(store_mailbox_create(s, "a", STORE_ROLE_NONE, &why) == STORE_EXISTS,
	    "exists");
	ok(store_mailbox_create(s, "x//y", STORE_ROLE_NONE, &why) ==
		   STORE_BADNAME, "bad name");
	ok(store_mailbox_delete(s, "a", &why) == STORE_OK &&
	       store_mailbox_get(s, "a", &m, &why) == STORE_OK && m.noselect,
	    "delete with children: \\Noselect");
	ok(store_mailbox_delete(s, "a", &why) == STORE_NOTALLOWED,
	    "a \\Noselect parent cannot be deleted");
	ok(store_mailbox_rename(s, "a", "z", &why) == STORE_OK &&
	       box_id(s, "z/b/c") != 0 && box_id(s, "a/b") == 0,
	    "rename moves children");
	ok(store_mailbox_rename(s, "z", "z/q", &why) == STORE_NOTALLOWED,
	    "not into itself");
	ok(store_mailbox_rename(s, "Sent", "Trash", &why) == STORE_EXISTS,
	    "not onto an existing name");
	ok(store_mailbox_delete(s, "INBOX", &why) == STORE_NOTALLOWED,
	    "INBOX cannot be deleted");
	ok(store_mailbox_delete(s, "z/b/c", &why) == STORE_OK &&
	       box_id(s, "z/b/c") == 0, "delete a leaf");
	store_mailbox_get(s, "INBOX", &inbox, &why);
	ok(store_mailbox_rename(s, "INBOX", "Old", &why) == STORE_OK &&
	       store_mailbox_get(s, "Old", &m, &why) == STORE_OK &&
	       m.messages == inbox.messages && m.id == inbox.id,
	    "rename INBOX moves its messages");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.messages == 0 && m.id != inbox.id,
	    "and leaves an empty INBOX");
	ok(store_claim_recent(s, m.id, &first, &why) == STORE_OK &&
	       first == 1 && append(s, m.id, "a\r\n", 0) == 1 &&
	       store_claim_recent(s, m.id, &first, &why) == STORE_OK &&
	       first == 1 && store_claim_recent(s, m.id, &first, &why) ==
				     STORE_OK && first == 2,
	    "\\Recent is claimed once");
	ok(store_subscribe(s, "Not/There", true, &why) == STORE_OK &&
	       store_subscribe(s, "Not/There", false, &why) == STORE_OK,
	    "subscriptions without a mailbox");
}

/* Child: open the store and append n messages. */
static void
appender(const char *user, int n)
{
	struct store *s = open_user(user);
	uint32_t inbox = s != NULL ? box_id(s, "INBOX") : 0;

	for (int i = 0; i < n; i++)
		if (append(s, inbox, "From: x\r\n\r\nhello\r\n", 0) == 0)
			_exit(1);
	store_free(&s);
	_exit(0);
}

static bool
ascending(void *arg, const struct store_msg *m)
{
	uint32_t *last = arg;

	if (m->uid <= last[0])
		last[1] = 1;
	last[0] = m->uid;
	last[2]++;
	return true;
}

static void
test_concurrency(void)
{
	struct store *s = open_user("conc@example.org");
	uint32_t inbox = box_id(s, "INBOX");
	struct why why = { "" };
	int fd = store_watch(s, inbox, &why);
	struct pollfd p = { fd, POLLIN, 0 };
	uint32_t last[3] = { 0, 0, 0 };
	pid_t kids[2];
	int status;
	int good = 0;

	ok(fd >= 0, "watch: %s", why.msg);
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		if ((kids[i] = fork()) == 0)
			appender("conc@example.org", 200);
	ok(poll(&p, 1, 20000) == 1, "the reader is told of new mail");
	store_watch_drain(fd);
	for (int i = 0; i < 2; i++)
		good += waitpid(kids[i], &status, 0) == kids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(good == 2, "both writers finished");
	ok(store_msg_list(s, inbox, 1, ascending, last, &why) == STORE_OK,
	    "list");
	ok(last[2] == 400 && last[1] == 0 && last[0] == 400,
	    "400 messages, distinct ascending UIDs (%u, last %u)", last[2],
	    last[0]);
	close(fd);
	store_free(&s);
}

static bool
add_sub(void *arg, const char *name)
{
	struct buf *b = arg;

	buf_addf(b, "%s|", name);
	return true;
}

static void
test_subscriptions(struct store *s)
{
	struct buf b;
	struct why why = { "" };

	buf_init(&b, 4096);
	ok(store_subscribe(s, "zz/gone", true, &why) == STORE_OK &&
	       store_subscribe(s, "Sent", true, &why) == STORE_OK &&
	       store_subscribe(s, "inbox", true, &why) == STORE_OK &&
	       store_subscribe(s, "Junk", true, &why) == STORE_OK &&
	       store_subscribe(s, "Junk", false, &why) == STORE_OK,
	    "subscribe and unsubscribe");
	ok(store_subscription_list(s, add_sub, &b, &why) == STORE_OK,
	    "list subscriptions");
	ok(strstr((char *)b.p, "INBOX|") != NULL &&
	       strstr((char *)b.p, "Sent|") != NULL &&
	       strstr((char *)b.p, "zz/gone|") != NULL &&
	       strstr((char *)b.p, "Junk|") == NULL,
	    "names with and without a mailbox, INBOX in capitals: %s",
	    (char *)b.p);
	ok(strstr((char *)b.p, "INBOX|") < strstr((char *)b.p, "Sent|") &&
	       strstr((char *)b.p, "Sent|") < strstr((char *)b.p, "zz/gone|"),
	    "in name order");
	store_subscribe(s, "zz/gone", false, &why);
	store_subscribe(s, "Sent", false, &why);
	store_subscribe(s, "INBOX", false, &why);
	buf_fini(&b);
}

/* Has one of out[0..n) the id (and gone)? */
static bool
noticed(const struct store_notice *out, size_t n, int id, bool gone)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].id == id && out[i].gone == gone)
			return true;
	return false;
}

static void
test_watchset(void)
{
	struct store *a = open_user("wa@example.org");
	struct store *b = open_user("wb@example.org");
	struct store_notice out[STORE_WATCHSET_MAX];
	struct why why = { "" };
	uint32_t ainbox = box_id(a, "INBOX"), binbox = box_id(b, "INBOX");
	int fd = store_watchset_open(&why);
	int ia, ia2, ib, it;
	size_t n;

	ok(fd >= 0, "watchset: %s", why.msg);
	ia = store_watchset_add(fd, a, ainbox, &why);
	ia2 = store_watchset_add(fd, a, ainbox, &why);
	ib = store_watchset_add(fd, b, binbox, &why);
	ok(store_mailbox_create(a, "Temp", STORE_ROLE_NONE, &why) == STORE_OK,
	    "create Temp");
	it = store_watchset_add(fd, a, box_id(a, "Temp"), &why);
	ok(ia >= 0 && ib >= 0 && it >= 0, "three mailboxes watched");
	ok(ia2 == ia, "the same mailbox twice: the same id");
	ok(ib != ia && it != ia && it != ib, "others: other ids");
	is_int((long long)store_watchset_read(fd, out), 0, "nothing yet");
	ok(append(b, binbox, "Subject: b\r\n\r\nb\r\n", 0) != 0,
	    "append to b");
	n = store_watchset_read(fd, out);
	ok(n >= 1 && noticed(out, n, ib, false) && !noticed(out, n, ia, false),
	    "b's INBOX noticed, a's not");
	ok(append(a, ainbox, "Subject: a\r\n\r\na\r\n", 0) != 0,
	    "append to a");
	n = store_watchset_read(fd, out);
	ok(noticed(out, n, ia, false) && !noticed(out, n, ib, false),
	    "a's INBOX noticed, b's not");
	ok(store_mailbox_delete(a, "Temp", &why) == STORE_OK, "delete Temp");
	n = store_watchset_read(fd, out);
	ok(noticed(out, n, it, true), "a deleted mailbox's watch is gone");
	store_watchset_rm(fd, ib);
	ok(append(b, binbox, "Subject: b\r\n\r\nb\r\n", 0) != 0,
	    "append to b again");
	n = store_watchset_read(fd, out);
	ok(!noticed(out, n, ib, false), "no notice once removed");
	close(fd);
	store_free(&a);
	store_free(&b);
}

/*
 * Processes opening a new user's store at once: one of them sets it up,
 * and none may set it up again (a second set-up once bumped the version
 * record, so the next open took the index for damaged and rebuilt it
 * under the others, whose later writes then went to the replaced file).
 */
static void
test_first_open_race(void)
{
	enum { ROUNDS = 30, KIDS = 6 };
	int bad = 0, rebuilt = 0;

	fflush(stdout);
	for (int round = 0; round < ROUNDS; round++) {
		char user[64];
		int go[2];
		pid_t kids[KIDS];
		struct store *s;
		int status;

		snprintf(user, sizeof(user), "race%d@example.org", round);
		if (pipe(go) == -1)
			break;
		for (int i = 0; i < KIDS; i++)
			if ((kids[i] = fork()) == 0) {
				char c;
				struct store *ks;

				close(go[1]);
				/* Start together: when the pipe closes. */
				(void)!read(go[0], &c, 1);
				ks = open_user(user);
				_exit(ks != NULL && store_rebuilt(ks) == NULL ?
					0 : 1);
			}
		close(go[0]);
		close(go[1]);
		for (int i = 0; i < KIDS; i++)
			bad += waitpid(kids[i], &status, 0) != kids[i] ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		s = open_user(user);
		rebuilt += s == NULL || store_rebuilt(s) != NULL;
		store_free(&s);
	}
	ok(bad == 0 && rebuilt == 0,
	    "%d processes open new stores at once, %d times: no failure or "
	    "rebuild (%d failed, %d rebuilt)", KIDS, ROUNDS, bad, rebuilt);
}

/* The index is rebuilt under an open store (by another process, or
 * "postern store rebuild"): writes through the old handle are refused
 * (they would go to the replaced file), and a new open gets the new
 * index. */
static void
test_rebuilt_under_us(void)
{
	struct store *s = open_user("under@example.org");
	struct store *again;
	uint32_t inbox = box_id(s, "INBOX");
	struct store_append req = { inbox, span_str("second\r\n"), 0, NULL,
		0, 0 };
	struct store_msg msg;
	struct why why = { "" };

	append(s, inbox, "first\r\n", 0);
	ok(store_rebuild(&conf, "under@example.org", &why) == STORE_OK,
	    "the index is rebuilt (as by another process): %s", why.msg);
	ok(store_append(s, &req, &msg, &why) == STORE_TEMP &&
	       strstr(why.msg, "rebuilt meanwhile") != NULL,
	    "a write through the old handle is refused: %s", why.msg);
	again = open_user("under@example.org");
	ok(again != NULL && store_append(again, &req, &msg, &why) == STORE_OK &&
	       msg.uid == 2, "a new open writes to the new index: %s",
	    why.msg);
	store_free(&again);
	store_free(&s);
}

static void
test_check(void)
{
	struct store *s = open_user("check@example.org");
	uint32_t inbox = box_id(s, "INBOX");
	struct store_report rep;
	struct store_msg m;
	struct why why;
	char path[4300];
	unsigned char hex[33];
	int fd;

	append(s, inbox, "a\r\n", 0);
	append(s, inbox, "b\r\n", 0);
	ok(store_check(s, false, &rep, &why) == STORE_OK && rep.messages == 2 &&
	       rep.orphans == 0 && rep.missing == 0 && rep.bad_counters == 0,
	    "a clean store checks clean");
	snprintf(path, sizeof(path), "%s/mbox/%u/9.%032d", store_dir(s), inbox,
	    0);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	store_msg_get(s, inbox, 1, &m, &why);
	for (int i = 0; i < 16; i++)
		snprintf((char *)hex + 2 * i, 3, "%02x", m.guid[i]);
	snprintf(path, sizeof(path), "%s/mbox/%u/1.%s", store_dir(s), inbox,
	    hex);
	unlink(path);
	ok(store_check(s, false, &rep, &why) == STORE_OK && rep.orphans == 1 &&
	       rep.missing == 1, "an orphan and a missing file found");
	ok(store_check(s, true, &rep, &why) == STORE_OK &&
	       store_check(s, false, &rep, &why) == STORE_OK &&
	       rep.orphans == 0 && rep.missing == 0 && rep.messages == 1 &&
	       rep.bad_counters == 0, "repaired");
	store_free(&s);
}

static void
test_rebuild(void)
{
	struct store *s = open_user("rb@example.org");
	uint32_t inbox = box_id(s, "INBOX");
	uint32_t uids[] = { 2 };
	struct store_mailbox before;
	struct store_mailbox m;
	struct store_msg msg;
	struct why why = { "" };
	char path[4300];
	int fd;

	append(s, inbox, "a\r\n", STORE_FLAGGED);
	append(s, inbox, "b\r\n", 0);
	append(s, inbox, "c\r\n", STORE_SEEN);
	store_expunge(s, inbox, uids, 1, NULL, NULL, &why);
	store_mailbox_create(s, "Keep/Me", STORE_ROLE_NONE, &why);
	store_mailbox_get(s, "INBOX", &before, &why);
	snprintf(path, sizeof(path), "%s/index/damaged", store_dir(s));
	store_free(&s);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	s = open_user("rb@example.org");
	ok(s != NULL && access(path, F_OK) == -1 && store_rebuilt(s) != NULL,
	    "a marked index is rebuilt, and the caller is told");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.uidvalidity == before.uidvalidity && m.messages == 2 &&
	       m.uidnext == 4 && m.unseen == 1,
	    "readable: UIDVALIDITY, UIDs and counters kept");
	ok(store_msg_get(s, inbox, 1, &msg, &why) == STORE_OK &&
	       msg.flags == STORE_FLAGGED, "flags kept");
	ok(box_id(s, "Keep/Me") != 0, "mailbox names kept");
	store_free(&s);
	/* Now an unreadable index. */
	snprintf(path, sizeof(path), "%s/%s", root, "");
	s = open_user("rb@example.org");
	snprintf(path, sizeof(path), "%s/index/data.mdb", store_dir(s));
	store_free(&s);
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "garbage!garbage!", 16) == 16, "index smashed");
	close(fd);
	s = open_user("rb@example.org");
	ok(s != NULL, "an unreadable index is rebuilt");
	ok(s != NULL && store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.messages == 2 && m.uidnext == 4 &&
	       m.uidvalidity != before.uidvalidity,
	    "UIDs kept, new UIDVALIDITY");
	ok(s != NULL && box_id(s, "Keep/Me") != 0, "names from the name files");
	store_free(&s);
}

static void
test_big(void)
{
	struct store *s = open_user("big@example.org");
	uint32_t inbox = box_id(s, "INBOX");
	uint32_t last[3] = { 0, 0, 0 };
	struct store_mailbox m;
	struct why why;
	bool good = true;

	for (int i = 0; i < 10000 && good; i++)
		good = append(s, inbox, "Subject: x\r\n\r\nbody\r\n", 0) ==
		    (uint32_t)i + 1;
	ok(good, "10,000 appends in UID order");
	ok(store_mailbox_get(s, "INBOX", &m, &why) == STORE_OK &&
	       m.messages == 10000 && m.uidnext == 10001, "counters");
	ok(store_msg_list(s, inbox, 1, ascending, last, &why) == STORE_OK &&
	       last[2] == 10000 && last[1] == 0, "all listed, ascending");
	store_free(&s);
}

/* ---- Group commit: threads of one process appending to one index ---- */

#define GC_THREADS 8
#define GC_EACH 40

struct gc_thread {
	struct store *s;
	uint32_t box;
	int id;
	bool over_quota;		/* every append must be refused */
	int good;			/* appends that did what they should */
};

static void *
gc_appender(void *arg)
{
	struct gc_thread *g = arg;
	char text[128];

	for (int i = 0; i < GC_EACH; i++) {
		struct store_append a = { g->box, { 0 }, 0, NULL, 0, 0 };
		struct store_msg m;
		struct why why = { "" };
		enum store_res r;

		snprintf(text, sizeof(text), "Subject: t%d m%d\r\n\r\n%d/%d\r\n",
		    g->id, i, g->id, i);
		a.msg = span_str(text);
		r = store_append(g->s, &a, &m, &why);
		g->good += g->over_quota ? r == STORE_OVERQUOTA &&
						strcmp(why.msg, "quota exceeded") == 0 :
					   r == STORE_OK && m.uid > 0;
	}
	return NULL;
}

/* Entries of dir whose name starts with a digit (message files). */
static int
count_msg_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] >= '0' && de->d_name[0] <= '9';
	closedir(d);
	return n;
}

static bool
gc_check(void *arg, const struct store_msg *m)
{
	int *n = arg;

	n[0]++;
	n[1] += m->uid == (uint32_t)n[0] && m->modseq > 0;
	return true;
}

static void
test_group_commit(void)
{
	struct gc_thread g[GC_THREADS];
	pthread_t th[GC_THREADS];
	struct store *first = open_user("gc@example.org");
	uint32_t inbox = box_id(first, "INBOX");
	struct why why = { "" };
	struct store_mailbox mb;
	char path[4200];
	int n[2] = { 0, 0 };
	int good = 0, files;

	ok(append(first, inbox, "Subject: first\r\n\r\n1\r\n", 0) == 1,
	    "the first message");
	for (int i = 0; i < GC_THREADS; i++) {
		g[i] = (struct gc_thread){ open_user("gc@example.org"), inbox,
			i, i % 4 == 3, 0 };
		/* One message is there already: a quota of one refuses all. */
		if (g[i].over_quota)
			store_set_quota(g[i].s, 0, 1);
	}
	for (int i = 0; i < GC_THREADS; i++)
		pthread_create(&th[i], NULL, gc_appender, &g[i]);
	for (int i = 0; i < GC_THREADS; i++) {
		pthread_join(th[i], NULL);
		good += g[i].good;
	}
	ok(good == GC_THREADS * GC_EACH,
	    "every append took or was refused as it should (%d of %d)", good,
	    GC_THREADS * GC_EACH);
	ok(store_msg_list(first, inbox, 1, gc_check, n, &why) == STORE_OK &&
	       n[0] == 1 + 6 * GC_EACH && n[1] == n[0],
	    "%d messages with UIDs 1..%d (got %d, %d in place)",
	    1 + 6 * GC_EACH, 1 + 6 * GC_EACH, n[0], n[1]);
	ok(store_mailbox_get(first, "INBOX", &mb, &why) == STORE_OK &&
	       mb.messages == 1 + 6 * GC_EACH &&
	       mb.uidnext == 2 + 6 * GC_EACH,
	    "the mailbox counts agree (%u, next %u)", mb.messages, mb.uidnext);
	for (int i = 0; i < GC_THREADS; i++) {
		struct store_msg m;
		char want[64];
		char got[64] = "";
		int fd;
		ssize_t r = -1;

		/* Thread i's last message: UIDs interleave, so find it. */
		snprintf(want, sizeof(want), "%d/%d\r\n", i, GC_EACH - 1);
		for (uint32_t uid = 2; !g[i].over_quota &&
		     uid < 2 + 6 * GC_EACH; uid++) {
			if (store_msg_get(first, inbox, uid, &m, &why) !=
				STORE_OK ||
			    store_msg_open(first, inbox, uid, &fd, &why) !=
				STORE_OK)
				break;
			r = pread(fd, got, sizeof(got) - 1,
			    (off_t)(m.size - strlen(want)));
			close(fd);
			got[r > 0 ? r : 0] = '\0';
			if (strcmp(got, want) == 0)
				break;
		}
		if (!g[i].over_quota)
			ok(strcmp(got, want) == 0, "thread %d's last message "
			    "reads back", i);
		store_free(&g[i].s);
	}
	snprintf(path, sizeof(path), "%s/mbox/%u", store_dir(first), inbox);
	files = count_msg_files(path);
	ok(files == 1 + 6 * GC_EACH, "one file a message, none of the "
	    "refused ones (%d)", files);
	snprintf(path, sizeof(path), "%s/tmp", store_dir(first));
	ok(count_msg_files(path) == 0, "tmp/ is empty");
	store_free(&first);
}

int
main(void)
{
	struct store *s;

	/* The index and files need a real file system; fsync on tmpfs is
	 * cheap, which keeps the 10,000-message case quick. */
	snprintf(root, sizeof(root), "%s/store_test.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(root) == NULL)
		return 1;
	test_layout();
	test_defaults();
	s = open_user("alice@example.org");
	ok(s != NULL && store_rebuilt(s) == NULL, "open alice");
	test_append_read(s);
	test_flags(s);
	test_copy(s);
	test_quota(s);
	test_hierarchy(s);
	test_subscriptions(s);
	store_free(&s);
	test_concurrency();
	test_group_commit();
	test_watchset();
	test_first_open_race();
	test_rebuilt_under_us();
	test_check();
	test_rebuild();
	test_big();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
