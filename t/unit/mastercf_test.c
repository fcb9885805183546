/*
 * mastercf_test.c - unit tests for lib/base/mastercf: a good file with
 * continuations and expansion, every rejection branch with its line,
 * reading files, and the comparison and lookup helpers.
 */
#include <errno.h>
#include <fcntl.h>

#include "base/mastercf.h"
#include <sys/stat.h>

#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char good[] =
    "# name type listen chroot limit user command\n"
    "smtp       inet  0.0.0.0:25   n  -     -        smtpd\n"
    "\n"
    "   # an indented comment\n"
    "submission inet  $x           y  10    postern  smtpd -o a=b\n"
    "    -o c=d\n"
    "\textra\n"
    "local      unix  private/local n 1000  -        /usr/lib/local\r\n"
    "cleanup\tunix\tcleanup\ty\t1\tmail-user\tcleanup.d arg1  arg2";

/* Expands "$x" to a two-item list and "$fail" to an error. */
static int
expand_x(struct span field, struct buf *out, void *arg, struct why *why)
{
	int *calls = arg;

	(*calls)++;
	if (span_eq(field, "$fail"))
		return why_set(why, "cannot expand $fail");
	if (span_eq(field, "$x"))
		return buf_adds(out, "127.0.0.1:1, [::1]:2");
	if (span_eq(field, "$empty"))
		return 0;
	return buf_addspan(out, field);
}

static void
check_argv(const struct mastercf_service *s, const char *const *want,
    const char *what)
{
	size_t n = 0;
	size_t i;
	bool same = true;

	while (want[n] != NULL)
		n++;
	is_int(s->argc, n, "%s: argc", what);
	for (i = 0; i < n && i < s->argc; i++)
		if (strcmp(s->argv[i], want[i]) != 0)
			same = false;
	ok(same && s->argc == n, "%s: argv", what);
	ok(s->argc == n && s->argv[n] == NULL, "%s: argv is NULL-terminated",
	    what);
}

static void
test_good(void)
{
	static const char *const argv_smtp[] = { "smtpd", NULL };
	static const char *const argv_sub[] = { "smtpd", "-o", "a=b", "-o",
		"c=d", "extra", NULL };
	static const char *const argv_local[] = { "/usr/lib/local", NULL };
	static const char *const argv_cleanup[] = { "cleanup.d", "arg1",
		"arg2", NULL };
	struct mastercf mc;
	struct why why = { "" };
	const struct mastercf_service *s;
	int line = -7;
	int calls = 0;

	if (!ok(mastercf_parse(span_str(good), NULL, NULL, &mc, &line,
		    &why) == 0,
		"good file parses"))
		diag("why: %s (line %d)", why.msg, line);
	is_int(line, -7, "line untouched on success");
	is_int(mc.n, 4, "four services");
	if (mc.n != 4)
		return;

	s = &mc.v[0];
	is_str(s->name, "smtp", "smtp: name");
	ok(s->type == MASTERCF_INET, "smtp: inet");
	ok(s->nlisten == 1 && strcmp(s->listen[0], "0.0.0.0:25") == 0,
	    "smtp: listen");
	ok(!s->chroot, "smtp: no chroot");
	is_int(s->limit, 0, "smtp: '-' limit is 0");
	ok(s->user == NULL, "smtp: '-' user is NULL");
	is_int(s->line, 2, "smtp: line");
	check_argv(s, argv_smtp, "smtp");

	s = &mc.v[1];
	is_str(s->name, "submission", "submission: name");
	ok(s->nlisten == 1 && strcmp(s->listen[0], "$x") == 0,
	    "submission: no expander leaves $x");
	ok(s->chroot, "submission: chroot");
	is_int(s->limit, 10, "submission: limit");
	is_str(s->user, "postern", "submission: user");
	is_int(s->line, 5, "submission: line where it starts");
	check_argv(s, argv_sub, "submission (continuations)");

	s = &mc.v[2];
	ok(s->type == MASTERCF_UNIX, "local: unix");
	is_int(s->limit, 1000, "local: limit 1000");
	is_int(s->line, 8, "local: line");
	check_argv(s, argv_local, "local (absolute path, CRLF)");

	s = &mc.v[3];
	is_str(s->name, "cleanup", "cleanup: tabs separate");
	is_str(s->user, "mail-user", "cleanup: user");
	is_int(s->limit, 1, "cleanup: limit 1");
	is_int(s->line, 9, "cleanup: line (no final newline)");
	check_argv(s, argv_cleanup, "cleanup");
	mastercf_fini(&mc);
	ok(mc.n == 0 && mc.v == NULL, "fini empties");

	ok(mastercf_parse(span_str(good), expand_x, &calls, &mc, &line,
		   &why) == 0,
	    "good file parses with an expander");
	is_int(calls, 7 + 12 + 7 + 9, "expander sees every field");
	s = mastercf_find(&mc, "submission");
	ok(s != NULL && s->nlisten == 2, "$x expands to two listeners");
	if (s != NULL && s->nlisten == 2) {
		is_str(s->listen[0], "127.0.0.1:1", "first listener");
		is_str(s->listen[1], "[::1]:2", "second listener");
	}
	mastercf_fini(&mc);

	ok(mastercf_parse(span_str("# only\n\n  # comments\n"), NULL, NULL,
		   &mc, &line, &why) == 0 &&
		mc.n == 0,
	    "comments only: no services");
	ok(mastercf_parse(span_str(""), NULL, NULL, &mc, &line, &why) == 0 &&
		mc.n == 0,
	    "empty file: no services");
	mastercf_fini(&mc);
}

/* A literal with embedded NULs and its length. */
#define WITH_LEN(s) s, sizeof(s) - 1

#define S65 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde"

static const struct reject_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	int line;
	const char *reason;
} reject_cases[] = {
	{ "smtp inet x n - -\n", 0, 1, "expected: name type" },
	{ "a unix x n - - c\n# c\nbad\n", 0, 3, "expected: name type" },
	{ "a unix x n - - c\nb unix x\n", 0, 2, "expected: name type" },
	{ "Smtp inet x n - - smtpd", 0, 1, "bad service name" },
	{ "sm/tp inet x n - - smtpd", 0, 1, "bad service name" },
	{ "sm:tp inet x n - - smtpd", 0, 1, "bad service name" },
	{ S65 " inet x n - - smtpd", 0, 1, "bad service name" },
	{ "smtp tcp x n - - smtpd", 0, 1, "bad type \"tcp\"" },
	{ "smtp INET x n - - smtpd", 0, 1, "bad type" },
	{ "smtp inet , n - - smtpd", 0, 1, "empty listen address" },
	{ "smtp inet 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 n - - smtpd",
	    0, 1, "more than 16 listen" },
	{ "smtp inet x yes - - smtpd", 0, 1, "bad chroot \"yes\"" },
	{ "smtp inet x - - - smtpd", 0, 1, "bad chroot" },
	{ "smtp inet x n 0 - smtpd", 0, 1, "bad process limit \"0\"" },
	{ "smtp inet x n 1001 - smtpd", 0, 1, "bad process limit \"1001\"" },
	{ "smtp inet x n x - smtpd", 0, 1, "bad process limit \"x\"" },
	{ "smtp inet x n -1 - smtpd", 0, 1, "bad process limit" },
	{ "smtp inet x n - Root smtpd", 0, 1, "bad user name \"Root\"" },
	{ "smtp inet x n - a/b smtpd", 0, 1, "bad user name" },
	{ "smtp inet x n - " S65 " smtpd", 0, 1, "bad user name" },
	{ "smtp inet x n - - a/b", 0, 1, "bad command \"a/b\"" },
	{ "smtp inet x n - - ./smtpd", 0, 1, "bad command" },
	{ "smtp inet x n - - ../libexec/smtpd", 0, 1, "bad command" },
	{ "a unix x n - - c\nb unix x n - - c\na unix y n - - d\n", 0, 3,
	    "duplicate service name \"a\"" },
	{ WITH_LEN("a unix x n - - c\nb unix x n - - c\0\n"), 2, "NUL byte" },
	{ WITH_LEN("a unix x n - - c\n# \0\n"), 2, "NUL byte" },
	{ WITH_LEN("\0"), 1, "NUL byte" },
	{ WITH_LEN("a unix x\n  n - - c\0d\n"), 2, "NUL byte" },
	{ "  a unix x n - - c\n", 0, 1, "continuation line without" },
	{ "# c\n\n\ta unix x n - - c\n", 0, 3, "continuation line without" },
	/* An error in a service that spans lines names its first line. */
	{ "a unix x n - - c\nb unix x\n  n 0 -\n  c\nd unix x n - - c\n", 0,
	    2, "bad process limit" },
	{ "a unix x n - - c\n\nb unix x\n  n\n\n  0 - c\n", 0, 3,
	    "bad process limit" },
	{ "a unix x n - - c\nb unix x\n  n - - c\na unix x\n  n - - c\n", 0,
	    4, "duplicate" },
};

static void
test_reject(void)
{
	size_t i;

	for (i = 0; i < NELEM(reject_cases); i++) {
		const struct reject_case *c = &reject_cases[i];
		struct span in = span_make(c->in,
		    c->len ? c->len : strlen(c->in));
		struct why why = { "" };
		struct mastercf mc;
		int line = -7;

		is_int(mastercf_parse(in, NULL, NULL, &mc, &line, &why), -1,
		    "reject case %zu refused", i);
		is_int(line, c->line, "reject case %zu: line", i);
		if (!ok(strstr(why.msg, c->reason) != NULL,
			"reject case %zu: reason mentions '%s'", i, c->reason))
			diag("why: %s", why.msg);
		ok(mc.n == 0 && mc.v == NULL, "reject case %zu: out is empty",
		    i);
		mastercf_fini(&mc);
	}
}

/* Rejections from the expander, and of what it produces. */
static const struct expand_reject_case {
	const char *in;
	int line;
	const char *reason;
} expand_reject_cases[] = {
	{ "a unix x n - - c\n\nb unix $fail n - - c\n", 3, "cannot expand" },
	{ "a unix x n - - c\nb unix\n x n - -\n $fail\n", 2, "cannot expand" },
	{ "a unix $empty n - - c\n", 1, "empty listen address" },
	{ "a unix x n - - $empty\n", 1, "bad command \"\"" },
	{ "a unix x n - $x c\n", 1, "bad user name" },
	{ "a unix x n $x - c\n", 1, "bad process limit" },
};

static void
test_expand_reject(void)
{
	size_t i;

	for (i = 0; i < NELEM(expand_reject_cases); i++) {
		const struct expand_reject_case *c = &expand_reject_cases[i];
		struct why why = { "" };
		struct mastercf mc;
		int calls = 0;
		int line = -7;

		is_int(mastercf_parse(span_str(c->in), expand_x, &calls, &mc,
			   &line, &why),
		    -1, "expand reject case %zu refused", i);
		is_int(line, c->line, "expand reject case %zu: line", i);
		if (!ok(strstr(why.msg, c->reason) != NULL,
			"expand reject case %zu: reason mentions '%s'", i,
			c->reason))
			diag("why: %s", why.msg);
		ok(mc.n == 0, "expand reject case %zu: out is empty", i);
	}
}

/* Limits that need generated input: arguments and services. */
static void
test_limits(void)
{
	struct why why = { "" };
	struct mastercf mc;
	struct buf text;
	int line = 0;
	int i;

	buf_init(&text, 1 << 20);
	buf_adds(&text, "a unix x n - - cmd");
	for (i = 1; i < MASTERCF_MAX_ARGS; i++)
		buf_addf(&text, "\n  arg%d", i);
	ok(mastercf_parse(buf_span(&text), NULL, NULL, &mc, &line, &why) == 0 &&
		mc.n == 1 && mc.v[0].argc == MASTERCF_MAX_ARGS,
	    "%d arguments fit", MASTERCF_MAX_ARGS);
	mastercf_fini(&mc);
	buf_adds(&text, " one-more");
	ok(mastercf_parse(buf_span(&text), NULL, NULL, &mc, &line, &why) == -1,
	    "%d arguments refused", MASTERCF_MAX_ARGS + 1);
	is_int(line, 1, "too many arguments: line where the service starts");
	ok(strstr(why.msg, "more than 64 arguments") != NULL,
	    "too many arguments: reason");

	buf_reset(&text);
	for (i = 0; i < MASTERCF_MAX_SERVICES; i++)
		buf_addf(&text, "s%d unix x n - - cmd\n", i);
	ok(mastercf_parse(buf_span(&text), NULL, NULL, &mc, &line, &why) == 0 &&
		mc.n == MASTERCF_MAX_SERVICES,
	    "%d services fit", MASTERCF_MAX_SERVICES);
	ok(mc.n > 0 && mc.v[mc.n - 1].line == MASTERCF_MAX_SERVICES,
	    "line of the last service");
	mastercf_fini(&mc);
	buf_adds(&text, "# c\nlast unix x n - - cmd\n");
	ok(mastercf_parse(buf_span(&text), NULL, NULL, &mc, &line, &why) == -1,
	    "one service too many refused");
	is_int(line, MASTERCF_MAX_SERVICES + 2, "too many services: line");
	ok(strstr(why.msg, "more than 256 services") != NULL,
	    "too many services: reason");
	buf_fini(&text);
}

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd == -1 || write(fd, text, strlen(text)) !=
			    (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

static void
test_read(void)
{
	char dir[] = "/tmp/mastercf_test.XXXXXX";
	char path[256];
	char want[300];
	struct why why = { "" };
	struct mastercf mc;
	int calls = 0;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/master.conf", dir);
	ok(mastercf_read(path, NULL, NULL, &mc, &why) == 0,
	    "missing file means no services");
	ok(mc.n == 0, "missing file: out is empty");
	snprintf(want, sizeof(want), "%s/sub", dir);
	mkdir(want, 0755);
	snprintf(want, sizeof(want), "%s/sub/x", dir);
	chmod(dir, 0700);
	ok(mastercf_read(dir, NULL, NULL, &mc, &why) == -1,
	    "a directory is an error");
	snprintf(want, sizeof(want), "%s/sub", dir);
	rmdir(want);

	write_file(path, good);
	ok(mastercf_read(path, expand_x, &calls, &mc, &why) == 0 && mc.n == 4,
	    "good file reads");
	mastercf_fini(&mc);

	write_file(path, "a unix x n - - c\n\nb unix x n 0 - c\n");
	ok(mastercf_read(path, NULL, NULL, &mc, &why) == -1,
	    "bad file refused");
	snprintf(want, sizeof(want), "%s:3: bad process limit", path);
	ok(strncmp(why.msg, want, strlen(want)) == 0,
	    "bad file: path:line: reason");
	ok(mc.n == 0, "bad file: out is empty");
	unlink(path);

	ok(mastercf_read(dir, NULL, NULL, &mc, &why) == -1 &&
		strstr(why.msg, dir) != NULL,
	    "directory refused, naming the path");
	rmdir(dir);
}

static const struct same_case {
	const char *other;	/* compared with the base service */
	bool same;
	bool same_listen;
} same_cases[] = {
	{ "s inet a,b n 5 u cmd x y", true, true },
	{ "\n\ns inet  a,b\n n 5 u cmd x\n y", true, true },
	{ "s unix a,b n 5 u cmd x y", false, false },
	{ "s inet a n 5 u cmd x y", false, false },
	{ "s inet b,a n 5 u cmd x y", false, false },
	{ "s inet a,b,c n 5 u cmd x y", false, false },
	{ "s inet a,b y 5 u cmd x y", false, true },
	{ "s inet a,b n 6 u cmd x y", false, true },
	{ "s inet a,b n - u cmd x y", false, true },
	{ "s inet a,b n 5 - cmd x y", false, true },
	{ "s inet a,b n 5 v cmd x y", false, true },
	{ "s inet a,b n 5 u cmd x", false, true },
	{ "s inet a,b n 5 u cmd x y z", false, true },
	{ "s inet a,b n 5 u cmd y x", false, true },
	{ "s inet a,b n 5 u cmd2 x y", false, true },
	{ "t inet a,b n 5 u cmd x y", false, true },
};

static void
test_same(void)
{
	struct why why = { "" };
	struct mastercf base;
	struct mastercf nouser;
	size_t i;
	int line = 0;

	if (mastercf_parse(span_str("s inet a,b n 5 u cmd x y"), NULL, NULL,
		&base, &line, &why) == -1 ||
	    mastercf_parse(span_str("s inet a,b n 5 - cmd x y"), NULL, NULL,
		&nouser, &line, &why) == -1) {
		printf("Bail out! %s\n", why.msg);
		exit(1);
	}
	for (i = 0; i < NELEM(same_cases); i++) {
		struct mastercf o;

		if (!ok(mastercf_parse(span_str(same_cases[i].other), NULL,
			    NULL, &o, &line, &why) == 0 && o.n == 1,
			"same case %zu parses", i)) {
			diag("why: %s", why.msg);
			continue;
		}
		is_int(mastercf_same(&base.v[0], &o.v[0]), same_cases[i].same,
		    "same case %zu: mastercf_same", i);
		is_int(mastercf_same(&o.v[0], &base.v[0]), same_cases[i].same,
		    "same case %zu: mastercf_same is symmetric", i);
		is_int(mastercf_same_listen(&base.v[0], &o.v[0]),
		    same_cases[i].same_listen, "same case %zu: same_listen", i);
		mastercf_fini(&o);
	}
	ok(mastercf_same(&nouser.v[0], &nouser.v[0]),
	    "no user equals no user");

	ok(mastercf_find(&base, "s") == &base.v[0], "find: present");
	ok(mastercf_find(&base, "t") == NULL, "find: absent");
	ok(mastercf_find(&base, "") == NULL, "find: empty name");
	mastercf_fini(&base);
	mastercf_fini(&nouser);
	ok(mastercf_find(&base, "s") == NULL, "find in an empty table");
}

int
main(void)
{
	test_good();
	test_reject();
	test_expand_reject();
	test_limits();
	test_read();
	test_same();
	return done_testing();
}
