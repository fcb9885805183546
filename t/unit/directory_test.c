/*
 * directory_test.c - unit tests for lib/mail/directory and domlist: domain
 * classes, user look-ups with sub-addressing, and alias expansion with
 * catch-alls, loops, limits, refused targets and unavailable tables.
 */
#include <stdlib.h>

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
	directory_free(&dir);
	test_tempfail();
	return done_testing();
}
