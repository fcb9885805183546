/*
 * directory_test.c - unit tests for lib/mail/directory and domlist: domain
 * classes, user look-ups with sub-addressing, and alias expansion with
 * catch-alls, loops, limits, refused targets and unavailable tables;
 * command, file and include targets (allowed only by the parameters, in
 * root's hash: tables and include files).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "mail/dict_build.h"
#include "mail/directory.h"
#include "tap.h"

static struct directory_conf conf = {
	.myorigin = "host.example",
	.mydestination = "host.example, localhost",
	.virtual_mailbox_domains = "example.org, catch.example, "
				   "inline:{virt.example=yes}",
	.relay_domains = "relay.example",
	.users = "inline:{a@example.org=h, b@example.org=h, "
		 "admin@host.example=h, u@virt.example=h}",
	.virtual_alias_maps =
	    "inline:{sales@example.org=a@example.org B@Example.ORG, "
	    "loop1@example.org=loop2@example.org, "
	    "loop2@example.org=loop1@example.org, "
	    "@catch.example=a@example.org, "
	    "self@example.org=self@example.org a@example.org, "
	    "ghost@example.org=nobody@example.org a@example.org, "
	    "pipe@example.org=|/bin/true, "
	    "chain1@example.org=chain2@example.org, "
	    "chain2@example.org=chain3@example.org, "
	    "chain3@example.org=a@example.org, "
	    "out@example.org=x@remote.example}",
	.alias_maps = "inline:{root=admin, postmaster=root, "
		      "file=/tmp/x}",
	.recipient_delimiter = "+-",
	.recursion_limit = 1000,
	.expansion_limit = 1000,
};

static struct directory *dir;

static void
test_split(void)
{
	struct span u, e, d;

	ok(directory_split(span_str("user+tag@d.example"), "+", &u, &e, &d) ==
		    0 && span_eq(u, "user") && span_eq(e, "+tag") &&
		span_eq(d, "d.example"),
	    "split with an extension");
	ok(directory_split(span_str("+x@d"), "+", &u, &e, &d) == 0 &&
		span_eq(u, "+x") && e.len == 0,
	    "a leading delimiter is not an extension");
	ok(directory_split(span_str("a\"@\"b@d"), "+", &u, &e, &d) == 0 &&
		span_eq(d, "d") && span_eq(u, "a\"@\"b"),
	    "split at the last @");
	ok(directory_split(span_str("a-b+c@d"), "+-", &u, &e, &d) == 0 &&
		span_eq(u, "a") && span_eq(e, "-b+c"),
	    "the first delimiter of the set wins");
	ok(directory_split(span_str("@d"), "+", &u, &e, &d) == -1,
	    "empty local part refused");
	ok(directory_split(span_str("u@"), "+", &u, &e, &d) == -1,
	    "empty domain refused");
	ok(directory_split(span_str("u"), "+", &u, &e, &d) == -1,
	    "no @ refused");
}

static void
test_class(void)
{
	static const struct {
		const char *domain;
		enum dir_class cls;
	} cases[] = {
		{ "host.example", DIR_CLASS_LOCAL },
		{ "LOCALHOST", DIR_CLASS_LOCAL },
		{ "example.org", DIR_CLASS_VIRTUAL },
		{ "Example.Org.", DIR_CLASS_VIRTUAL },
		{ "virt.example", DIR_CLASS_VIRTUAL },
		{ "relay.example", DIR_CLASS_RELAY },
		{ "sub.example.org", DIR_CLASS_REMOTE },
		{ "remote.example", DIR_CLASS_REMOTE },
	};
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dir_class cls = DIR_CLASS_REMOTE;

		ok(directory_class(dir, span_str(cases[i].domain), &cls,
		       &why) == DIR_OK && cls == cases[i].cls,
		    "class of %s", cases[i].domain);
	}
}

static void
test_user(void)
{
	struct buf rec;
	struct buf key;
	struct why why;

	buf_init(&rec, 4096);
	buf_init(&key, 4096);
	ok(directory_user(dir, span_str("A@Example.ORG"), &rec, &key, &why) ==
		    DIR_OK && span_eq(buf_span(&key), "a@example.org"),
	    "user found, case folded");
	ok(directory_user(dir, span_str("a+news@example.org"), &rec, &key,
	       &why) == DIR_OK && span_eq(buf_span(&key), "a@example.org"),
	    "sub-address finds the user");
	is_int(directory_user(dir, span_str("c@example.org"), &rec, &key, &why),
	    DIR_NOTFOUND, "unknown user");
	is_int(directory_user(dir, span_str("no-at-sign"), &rec, &key, &why),
	    DIR_PERM, "malformed address");
	is_int(directory_user(dir, span_str("a b@example.org"), &rec, &key,
		   &why),
	    DIR_PERM, "blank in address");
	buf_fini(&rec);
	buf_fini(&key);
}

/* Expand and compare the final recipients with want ("a b!" where a
 * trailing ! marks an unknown user). */
static void
expect(const char *addr, enum dir_res res, const char *want, const char *why_part)
{
	struct dir_rcpts r = { NULL, 0 };
	struct buf got;
	struct why why = { "" };
	enum dir_res gr = directory_expand(dir, span_str(addr), &r, &why);
	size_t i;

	buf_init(&got, 4096);
	for (i = 0; i < r.n; i++)
		buf_addf(&got, "%s%s%s", i ? " " : "", r.v[i].addr,
		    r.v[i].res == DIR_NOTFOUND ? "!" : "");
	ok(gr == res && (want == NULL || strcmp(buf_str(&got), want) == 0) &&
		(why_part == NULL || strstr(why.msg, why_part) != NULL),
	    "expand %s", addr);
	if (gr != res || (want != NULL && strcmp(buf_str(&got), want) != 0))
		diag("got %d '%s' (%s)", gr, buf_str(&got), why.msg);
	dir_rcpts_fini(&r);
	buf_fini(&got);
}

/* Reopen the directory with other limits. */
static void
limits(uint64_t recursion, uint64_t expansion)
{
	struct why why;

	conf.recursion_limit = recursion;
	conf.expansion_limit = expansion;
	directory_free(&dir);
	dir = directory_new(&conf, &why);
}

static void
test_expand(void)
{
	expect("a@example.org", DIR_OK, "a@example.org", NULL);
	expect("A+Tag@Example.org", DIR_OK, "a+tag@example.org", NULL);
	expect("sales@example.org", DIR_OK, "a@example.org b@example.org",
	    NULL);
	expect("sales+x@example.org", DIR_OK, "a@example.org b@example.org",
	    NULL);
	expect("c@example.org", DIR_NOTFOUND, "", "unknown user");
	expect("anything@catch.example", DIR_OK, "a@example.org", NULL);
	expect("self@example.org", DIR_OK, "self@example.org a@example.org",
	    NULL);
	expect("ghost@example.org", DIR_OK,
	    "nobody@example.org! a@example.org", NULL);
	expect("loop1@example.org", DIR_PERM, NULL, "alias loop");
	expect("pipe@example.org", DIR_PERM, NULL, "not allowed");
	expect("x@remote.example", DIR_OK, "x@remote.example", NULL);
	expect("x@relay.example", DIR_OK, "x@relay.example", NULL);
	expect("out@example.org", DIR_OK, "x@remote.example", NULL);
	expect("postmaster@host.example", DIR_OK, "admin@host.example", NULL);
	expect("root+x@localhost", DIR_OK, "admin@host.example", NULL);
	expect("file@host.example", DIR_PERM, NULL, "not allowed");
	expect("nobody@host.example", DIR_NOTFOUND, "", NULL);
	expect("u@virt.example", DIR_OK, "u@virt.example", NULL);
	expect("bad", DIR_PERM, NULL, "malformed");
	limits(3, 1000);
	expect("chain1@example.org", DIR_PERM, NULL, "nested deeper");
	limits(4, 1000);
	expect("chain1@example.org", DIR_OK, "a@example.org", NULL);
	limits(1000, 1);
	expect("sales@example.org", DIR_PERM, NULL, "more than 1");
	limits(1000, 1000);
}

static void
test_tempfail(void)
{
	char tmpl[] = "/tmp/directory-test-XXXXXX";
	char path[128];
	char spec[160];
	struct directory_conf c = conf;
	struct directory *d;
	struct dict_build_report rep = { 0 };
	struct why why;
	enum dir_class cls;

	if (mkdtemp(tmpl) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/users", tmpl);
	ok(dict_build_text("hash", path, span_str("a@example.org h\n"), &rep,
	       &why) == 0, "users table built");
	snprintf(spec, sizeof(spec), "hash:%s", path);
	c.users = spec;
	c.relay_domains = spec;
	d = directory_new(&c, &why);
	ok(d != NULL, "directory with a hash table");
	snprintf(path, sizeof(path), "%s/users.db", tmpl);
	unlink(path);
	{
		struct dir_rcpts r = { NULL, 0 };

		is_int(directory_expand(d, span_str("a@example.org"), &r, &why),
		    DIR_TEMP, "a vanished table is a temporary failure");
		is_int(directory_class(d, span_str("x.example"), &cls, &why),
		    DIR_TEMP, "and so is a domain class that needs it");
		dir_rcpts_fini(&r);
	}
	directory_free(&d);
	rmdir(tmpl);
	c.users = "nosuchtype:x";
	ok(directory_new(&c, &why) == NULL, "a bad table spec is refused");
}

static char tdir[] = "/tmp/directory-local-XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

/* The directory over a hash: alias table in tdir, with the switches. */
static void
local_dir(bool commands, bool files)
{
	static char spec[128];
	struct why why;

	snprintf(spec, sizeof(spec), "hash:%s/aliases", tdir);
	conf.alias_maps = spec;
	conf.allow_commands = commands;
	conf.allow_files = files;
	directory_free(&dir);
	dir = directory_new(&conf, &why);
	if (dir == NULL)
		diag("%s", why.msg);
}

static void
test_local_targets(void)
{
	static const char *const leftovers[] = { "aliases.db", "list",
		"list2", "loop", "fifo", "big" };
	const char *saved = conf.alias_maps;
	struct dict_build_report rep = { 0 };
	char path[256];
	char text[1024];
	struct why why;
	bool root = geteuid() == 0;
	size_t i;

	if (mkdtemp(tdir) == NULL)
		return;
	snprintf(text, sizeof(text),
	    "cmd: \"|/bin/cat >/dev/null\", admin\n"
	    "file: /var/mail/archive\n"
	    "inc: :include:%s/list\n"
	    "loopy: :include:%s/loop\n"
	    "fifo: :include:%s/fifo\n"
	    "big: :include:%s/big\n"
	    "missing: :include:%s/nonexistent\n"
	    "quote: \"|/bin/true\n"
	    "dir: /var/mail/\n",
	    tdir, tdir, tdir, tdir, tdir);
	snprintf(path, sizeof(path), "%s/aliases", tdir);
	ok(dict_build_text("hash", path, span_str(text), &rep, &why) == 0,
	    "alias table built");
	snprintf(text, sizeof(text), "# members\n  admin, \"|/bin/true x\"\n"
	    "\n/tmp/f\n:include:%s/list2\n", tdir);
	write_file("list", text);
	write_file("list2", "admin\n");
	snprintf(text, sizeof(text), ":include:%s/loop\n", tdir);
	write_file("loop", text);
	snprintf(path, sizeof(path), "%s/fifo", tdir);
	mkfifo(path, 0644);
	{
		char big[1024 * 1024 + 10];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		write_file("big", big);
	}

	local_dir(false, false);
	expect("cmd@host.example", DIR_PERM, NULL,
	    "allow_mail_to_commands is off");
	expect("file@host.example", DIR_PERM, NULL, "allow_mail_to_files");
	expect("inc@host.example", DIR_PERM, NULL, "are off");
	expect("quote@host.example", DIR_PERM, NULL, "closing quote");
	local_dir(true, false);
	if (root) {
		expect("cmd@host.example", DIR_OK,
		    "|/bin/cat >/dev/null admin@host.example", NULL);
		expect("file@host.example", DIR_PERM, NULL,
		    "allow_mail_to_files is off");
		expect("inc@host.example", DIR_PERM, NULL,
		    "allow_mail_to_files is off");
	} else {
		expect("cmd@host.example", DIR_PERM, NULL,
		    "not owned by root");
	}
	expect("pipe@example.org", DIR_PERM, NULL, "only alias_maps");
	local_dir(true, true);
	if (root) {
		expect("file@host.example", DIR_OK, "/var/mail/archive", NULL);
		expect("inc@host.example", DIR_OK,
		    "admin@host.example |/bin/true x /tmp/f", NULL);
		expect("loopy@host.example", DIR_PERM, NULL, "alias loop");
		expect("fifo@host.example", DIR_PERM, NULL,
		    "not a regular file");
		expect("big@host.example", DIR_PERM, NULL, "larger than");
		expect("missing@host.example", DIR_TEMP, NULL, "nonexistent");
		expect("dir@host.example", DIR_PERM, NULL, "maildir");
		limits(2, 1000);
		expect("inc@host.example", DIR_PERM, NULL, "nested deeper");
		limits(1000, 1000);
		snprintf(path, sizeof(path), "%s/list2", tdir);
		chown(path, 65534, 65534);
		expect("inc@host.example", DIR_PERM, NULL,
		    "not owned by root");
		chown(path, 0, 0);
		snprintf(path, sizeof(path), "%s/aliases.db", tdir);
		chmod(path, 0664);
		expect("cmd@host.example", DIR_PERM, NULL,
		    "writable by group or others");
		chmod(path, 0644);
		chmod(tdir, 0777);
		expect("cmd@host.example", DIR_PERM, NULL,
		    "writable by group or others");
		chmod(tdir, 0700);
	}
	conf.alias_maps = "inline:{file=/tmp/x}";
	directory_free(&dir);
	dir = directory_new(&conf, &why);
	expect("file@host.example", DIR_PERM, NULL, "only hash: and lmdb:");
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tdir, leftovers[i]);
		unlink(path);
	}
	rmdir(tdir);
	conf.alias_maps = saved;
	conf.allow_commands = conf.allow_files = false;
	directory_free(&dir);
}

int
main(void)
{
	struct why why;

	dir = directory_new(&conf, &why);
	if (!ok(dir != NULL, "directory opens"))
		diag("%s", why.msg);
	if (dir == NULL)
		return done_testing();
	test_split();
	test_class();
	test_user();
	test_expand();
	test_local_targets();
	test_tempfail();
	return done_testing();
}
