/*
 * cfg_test.c - unit tests for lib/base/cfg: the file syntax (comments,
 * continuations, CRLF, every rejection with its line), the typed loader
 * (defaults, files, overrides, $name expansion, range and type errors,
 * the "origin:line: name: reason" format, unknown-name warnings), list
 * splitting, reading files, and the real table in lib/mail/params.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/cfg.h"
#include "base/xmem.h"
#include "mail/params.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A literal with embedded NULs and its length. */
#define WITH_LEN(s) s, sizeof(s) - 1

/* Collects "name=value@line;" for every entry cfg_parse reports. */
static int
collect(struct span name, struct span value, int line, void *arg)
{
	struct buf *out = arg;

	buf_addf(out, "%.*s=%.*s@%d;", (int)name.len, (const char *)name.p,
	    (int)value.len, (const char *)value.p, line);
	return 0;
}

static const struct parse_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	int ret;
	const char *want;	/* entries seen (also before an error) */
	int err_line;
	const char *reason;	/* substring of why on error */
} parse_cases[] = {
	{ "", 0, 0, "", 0, NULL },
	{ "a = b\n", 0, 0, "a=b@1;", 0, NULL },
	{ "a=b", 0, 0, "a=b@1;", 0, NULL },
	{ "a =\n", 0, 0, "a=@1;", 0, NULL },
	{ "Ab_9 = v", 0, 0, "Ab_9=v@1;", 0, NULL },
	{ "a = b=c # not a comment", 0, 0, "a=b=c # not a comment@1;", 0,
	    NULL },
	{ "a =  x   y \t\n", 0, 0, "a=x   y@1;", 0, NULL },
	{ "# comment\n\n   \n  # indented\na = 1\n", 0, 0, "a=1@5;", 0,
	    NULL },
	{ "a = x\n  y\n\tz\nb = 2\n", 0, 0, "a=x y z@1;b=2@4;", 0, NULL },
	{ "a =\n   y\n", 0, 0, "a=y@1;", 0, NULL },
	{ "a = x\n# c\n\n  y\n", 0, 0, "a=x y@1;", 0, NULL },
	{ "a = 1\r\nb = 2\r\n  3\r\n\r\nc = 4\r\n", 0, 0,
	    "a=1@1;b=2 3@2;c=4@5;", 0, NULL },
	{ "a = 1\nb = 2", 0, 0, "a=1@1;b=2@2;", 0, NULL },
	{ "a = 1\nb = 2\n  3", 0, 0, "a=1@1;b=2 3@2;", 0, NULL },
	{ "a = 1\na = 2\n", 0, 0, "a=1@1;a=2@2;", 0, NULL },
	/* Rejections. */
	{ "a = 1\nfoo bar\n", 0, -1, "a=1@1;", 2, "missing '='" },
	{ "foo\n", 0, -1, "", 1, "missing '='" },
	{ "a = 1\n\n-x = 1\n", 0, -1, "a=1@1;", 3, "expected" },
	{ "= 1\n", 0, -1, "", 1, "expected" },
	{ "foo-bar = 1\n", 0, -1, "", 1, "missing '='" },
	{ "f.o = 1\n", 0, -1, "", 1, "missing '='" },
	{ "  x = 1\n", 0, -1, "", 1, "continuation" },
	{ "# c\n\n\tx\n", 0, -1, "", 3, "continuation" },
	{ WITH_LEN("a = 1\nb = x\0y\n"), -1, "", 2, "NUL" },
	{ WITH_LEN("# a\0\n"), -1, "", 1, "NUL" },
	{ WITH_LEN("a = 1\n  \0\n"), -1, "", 2, "NUL" },
	{ WITH_LEN("a = 1\n\0"), -1, "", 2, "NUL" },
};

static void
test_parse_table(void)
{
	size_t i;

	for (i = 0; i < NELEM(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct span in = span_make(c->in,
		    c->len ? c->len : strlen(c->in));
		struct why why = { "" };
		struct buf got;
		int line = -7;
		int r;

		buf_init(&got, 4096);
		r = cfg_parse(in, collect, &got, &line, &why);
		is_int(r, c->ret, "cfg_parse case %zu: result", i);
		is_str(buf_str(&got), c->want, "cfg_parse case %zu: entries",
		    i);
		if (c->ret == -1) {
			is_int(line, c->err_line, "cfg_parse case %zu: line",
			    i);
			if (!ok(strstr(why.msg, c->reason) != NULL,
				"cfg_parse case %zu: reason mentions '%s'", i,
				c->reason))
				diag("why: %s", why.msg);
		} else {
			is_int(line, -7, "cfg_parse case %zu: line untouched",
			    i);
		}
		buf_fini(&got);
	}
}

/* Values at and past CFG_MAX_VALUE, on one line and via continuations. */
static void
test_parse_long(void)
{
	struct buf text;
	struct buf got;
	struct why why = { "" };
	int line = 0;

	buf_init(&text, 1 << 20);
	buf_init(&got, 1 << 20);
	buf_adds(&text, "a = ");
	while (text.len < 4 + CFG_MAX_VALUE)
		buf_addc(&text, 'x');
	buf_adds(&text, "\nb = 1\n");
	ok(cfg_parse(buf_span(&text), collect, &got, &line, &why) == 0,
	    "value of exactly CFG_MAX_VALUE bytes is accepted");
	ok(got.len == 2 + CFG_MAX_VALUE + 3 + 6 &&
		strstr(buf_str(&got), "@1;b=1@2;") != NULL,
	    "long value delivered whole");

	buf_reset(&text);
	buf_reset(&got);
	buf_adds(&text, "# c\na = ");
	while (text.len < 8 + CFG_MAX_VALUE + 1)
		buf_addc(&text, 'x');
	buf_addc(&text, '\n');
	ok(cfg_parse(buf_span(&text), collect, &got, &line, &why) == -1,
	    "value one byte over CFG_MAX_VALUE is refused");
	is_int(line, 2, "overlong value: line");
	ok(strstr(why.msg, "longer than 65536") != NULL,
	    "overlong value: reason");

	/* 40000 + ' ' + 30000 bytes, the overflow on the third line. */
	buf_reset(&text);
	buf_reset(&got);
	buf_adds(&text, "# c\na = ");
	while (text.len < 8 + 40000)
		buf_addc(&text, 'x');
	buf_adds(&text, "\n ");
	while (text.len < 8 + 40000 + 2 + 30000)
		buf_addc(&text, 'y');
	buf_addc(&text, '\n');
	line = 0;
	ok(cfg_parse(buf_span(&text), collect, &got, &line, &why) == -1,
	    "continuation that passes CFG_MAX_VALUE is refused");
	is_int(line, 3, "overlong continuation: line of the continuation");
	ok(strstr(why.msg, "longer than") != NULL,
	    "overlong continuation: reason");
	is_int(got.len, 0, "overlong continuation: nothing delivered");

	/* Exactly at the limit through a continuation. */
	buf_reset(&text);
	buf_reset(&got);
	buf_adds(&text, "a = ");
	while (text.len < 4 + 40000)
		buf_addc(&text, 'x');
	buf_adds(&text, "\n ");
	while (text.len < 4 + 40000 + 2 + (CFG_MAX_VALUE - 40001))
		buf_addc(&text, 'y');
	ok(cfg_parse(buf_span(&text), collect, &got, &line, &why) == 0,
	    "joined value of exactly CFG_MAX_VALUE bytes is accepted");
	buf_fini(&text);
	buf_fini(&got);
}

/* A callback failure stops the parse. */
static int
fail_on_b(struct span name, struct span value, int line, void *arg)
{
	int *calls = arg;

	(void)value;
	(void)line;
	(*calls)++;
	return span_eq(name, "b") ? -1 : 0;
}

static void
test_parse_callback_fails(void)
{
	struct why why = { "" };
	int calls = 0;
	int line = 0;

	ok(cfg_parse(span_str("a = 1\nb = 2\nc = 3\nd = 4\n"), fail_on_b,
		   &calls, &line, &why) == -1,
	    "callback failure is returned");
	is_int(calls, 2, "no entry is delivered after a callback failure");
}

/* The loader's destination struct and table. */
struct tconf {
	bool flag;
	uint64_t count;
	uint64_t timeout;
	uint64_t size;
	const char *name;
	const char *list;
	const char *path;
};

#define TROW(n, t, d, lo, hi)                                              \
	{ #n, t, d, lo, hi, offsetof(struct tconf, n), "test " #n }

static const struct cfg_param ttable[] = {
	TROW(flag, CFG_BOOL, "no", 0, 1),
	TROW(count, CFG_INT, "5", 1, 10),
	TROW(timeout, CFG_TIME, "30s", 1, 3600),
	TROW(size, CFG_SIZE, "10k", 0, 1048576),
	TROW(name, CFG_STR, "host", 0, 0),
	TROW(list, CFG_LIST, "$name, b c", 0, 0),
	TROW(path, CFG_STR, "${name}/dir", 0, 0),
	{ NULL, CFG_STR, NULL, 0, 0, 0, NULL },
};

/* Warnings seen, one per line. */
struct warns {
	struct buf text;
	int n;
};

static void
warn_cb(const char *msg, void *arg)
{
	struct warns *w = arg;

	buf_addf(&w->text, "%s\n", msg);
	w->n++;
}

/*
 * Load text (origin "t.conf") then the overrides, then finish.  Returns
 * cfg_finish's result (or -1 on an earlier failure), the cfg in *cfg_out.
 */
static int
load(const char *text, const char *const *ovr, struct tconf *tc,
    struct warns *w, struct cfg **cfg_out, struct why *why)
{
	struct cfg *cfg = cfg_new(ttable, warn_cb, w);
	int r = 0;

	memset(tc, 0, sizeof(*tc));
	*cfg_out = cfg;
	if (text != NULL)
		r = cfg_read_text(cfg, span_str(text), "t.conf", why);
	while (r == 0 && ovr != NULL && *ovr != NULL)
		r = cfg_override(cfg, *ovr++, why);
	if (r == 0)
		r = cfg_finish(cfg, tc, why);
	return r;
}

static void
test_defaults(void)
{
	struct warns w = { .n = 0 };
	struct why why = { "" };
	struct tconf tc;
	struct cfg *cfg;
	size_t i;

	buf_init(&w.text, 4096);
	ok(load(NULL, NULL, &tc, &w, &cfg, &why) == 0, "defaults load");
	ok(!tc.flag, "bool default");
	is_int(tc.count, 5, "int default");
	is_int(tc.timeout, 30, "time default");
	is_int(tc.size, 10240, "size default");
	is_str(tc.name, "host", "string default");
	is_str(tc.list, "host, b c", "list default with $name");
	is_str(tc.path, "host/dir", "default with ${name}");
	is_str(cfg_value(cfg, "list"), "host, b c", "cfg_value of a default");
	is_str(cfg_value(cfg, "count"), "5", "cfg_value of a number");
	ok(cfg_value(cfg, "nosuch") == NULL, "cfg_value of an unknown name");
	for (i = 0; ttable[i].name != NULL; i++)
		ok(!cfg_is_set(cfg, ttable[i].name), "%s is not set",
		    ttable[i].name);
	ok(!cfg_is_set(cfg, "nosuch"), "unknown name is not set");
	is_int(w.n, 0, "no warnings");
	cfg_free(&cfg);
	ok(cfg == NULL, "cfg_free clears the pointer");
	cfg_free(&cfg);
	buf_fini(&w.text);
}

static void
test_file_and_overrides(void)
{
	static const char *const ovr[] = { "count=9", " name = ovr ", NULL };
	struct warns w = { .n = 0 };
	struct why why = { "" };
	struct tconf tc;
	struct cfg *cfg;

	buf_init(&w.text, 4096);
	ok(load("flag = yes\ncount = 7\ntimeout = 2m\nsize = 1k\n"
		"name = mx\n",
		   NULL, &tc, &w, &cfg, &why) == 0,
	    "file values load");
	ok(tc.flag, "bool from file");
	is_int(tc.count, 7, "int from file");
	is_int(tc.timeout, 120, "time from file");
	is_int(tc.size, 1024, "size from file");
	is_str(tc.name, "mx", "string from file");
	is_str(tc.list, "mx, b c", "default expands the file's value");
	ok(cfg_is_set(cfg, "count") && cfg_is_set(cfg, "name"),
	    "file values are set");
	ok(!cfg_is_set(cfg, "list"), "untouched default is not set");
	cfg_free(&cfg);

	ok(load("count = 7\nname = mx\n", ovr, &tc, &w, &cfg, &why) == 0,
	    "file plus overrides load");
	is_int(tc.count, 9, "override wins over the file (int)");
	is_str(tc.name, "ovr", "override wins over the file (string)");
	is_str(tc.path, "ovr/dir", "expansion sees the override");
	ok(cfg_is_set(cfg, "count"), "override is set");
	cfg_free(&cfg);

	ok(load(NULL, ovr, &tc, &w, &cfg, &why) == 0, "overrides alone");
	is_int(tc.count, 9, "override over the default");
	cfg_free(&cfg);

	/* Computed defaults give way to files, but replace the built-in. */
	cfg = cfg_new(ttable, NULL, NULL);
	cfg_set_default(cfg, "name", "computed");
	cfg_set_default(cfg, "nosuch", "ignored");
	ok(cfg_finish(cfg, &tc, &why) == 0, "set_default loads");
	is_str(tc.name, "computed", "set_default replaces the default");
	is_str(tc.path, "computed/dir", "dependants see the new default");
	cfg_free(&cfg);
	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_text(cfg, span_str("name = file"), "t.conf", &why) == 0,
	    "read text");
	cfg_set_default(cfg, "name", "computed");
	ok(cfg_finish(cfg, &tc, &why) == 0, "finish");
	is_str(tc.name, "file", "set_default does not replace a set value");
	cfg_free(&cfg);
	is_int(w.n, 0, "no warnings");
	buf_fini(&w.text);
}

static const struct expand_case {
	const char *text;
	const char *want_name;	/* expanded value of "name" */
	const char *want_path;	/* expanded value of "path" */
} expand_cases[] = {
	{ "name = a$$b", "a$b", "a$b/dir" },
	{ "name = $$name", "$name", "$name/dir" },
	{ "name = $$", "$", "$/dir" },
	{ "name = $$$$", "$$", "$$/dir" },
	{ "name = x\npath = $name.$name", "x", "x.x" },
	{ "name = x\npath = ${name}y", "x", "xy" },
	{ "name = x\npath = $namey\nnamey = z", "x", "z" },
	{ "name = $list\nlist = l", "l", "l/dir" },
	{ "name = $count$flag", "5no", "5no/dir" },
	{ "name = x\npath = $$$name", "x", "$x" },
	{ "name = ${count}", "5", "5/dir" },
};

static void
test_expansion(void)
{
	size_t i;

	for (i = 0; i < NELEM(expand_cases); i++) {
		const struct expand_case *c = &expand_cases[i];
		struct warns w = { .n = 0 };
		struct why why = { "" };
		struct tconf tc;
		struct cfg *cfg;

		buf_init(&w.text, 4096);
		if (!ok(load(c->text, NULL, &tc, &w, &cfg, &why) == 0,
			"expansion case %zu loads", i))
			diag("why: %s", why.msg);
		is_str(tc.name, c->want_name, "expansion case %zu: name", i);
		is_str(tc.path, c->want_path, "expansion case %zu: path", i);
		cfg_free(&cfg);
		buf_fini(&w.text);
	}
}

/* cfg_expand against loaded settings, as master.conf uses it. */
static void
test_cfg_expand(void)
{
	struct cfg *cfg = cfg_new(ttable, NULL, NULL);
	struct tconf tc;
	struct why why = { "" };
	struct buf out;

	buf_init(&out, 1024);
	ok(cfg_finish(cfg, &tc, &why) == 0, "finish");
	ok(cfg_expand(cfg, span_str("<$name|${count}|$$>"), &out, &why) == 0,
	    "cfg_expand");
	is_str(buf_str(&out), "<host|5|$>", "cfg_expand result");
	buf_reset(&out);
	ok(cfg_expand(cfg, span_str("$nope"), &out, &why) == -1 &&
		strstr(why.msg, "undefined parameter $nope") != NULL,
	    "cfg_expand: undefined name");
	ok(cfg_expand(cfg, span_str("${name"), &out, &why) == -1 &&
		strstr(why.msg, "bad $") != NULL,
	    "cfg_expand: bad syntax");
	cfg_free(&cfg);
	buf_fini(&out);
}

static const struct error_case {
	const char *text;
	const char *ovr;	/* one override, or NULL */
	const char *prefix;	/* the message starts with this */
	const char *reason;	/* and contains this */
} error_cases[] = {
	/* Syntax errors come from cfg_read_text. */
	{ "a = 1\nfoo bar\n", NULL, "t.conf:2: ", "missing '='" },
	{ "\n\n  x\n", NULL, "t.conf:3: ", "continuation" },
	/* Value errors from cfg_finish: "origin:line: name: reason". */
	{ "count = 11\n", NULL, "t.conf:1: count: ",
	    "out of range [1, 10]" },
	{ "# c\ncount = 0\n", NULL, "t.conf:2: count: ", "out of range" },
	{ "count = 18446744073709551616", NULL, "t.conf:1: count: ",
	    "bad int value" },
	{ "count = -1", NULL, "t.conf:1: count: ", "bad int" },
	{ "count = 5x", NULL, "t.conf:1: count: ", "whole number" },
	{ "count =", NULL, "t.conf:1: count: ", "bad int" },
	{ "flag = maybe", NULL, "t.conf:1: flag: ", "bad bool value" },
	{ "flag =", NULL, "t.conf:1: flag: ", "bad bool" },
	{ "timeout = 5x", NULL, "t.conf:1: timeout: ", "bad time value" },
	{ "timeout = 0", NULL, "t.conf:1: timeout: ", "out of range" },
	{ "timeout = 2h", NULL, "t.conf:1: timeout: ", "out of range" },
	{ "size = 1t", NULL, "t.conf:1: size: ", "bad size value" },
	{ "size = 2m", NULL, "t.conf:1: size: ", "out of range" },
	{ "a = 1\n\nname = $nosuch\n", NULL, "t.conf:3: name: ",
	    "undefined parameter $nosuch" },
	{ "name = ${nosuch}", NULL, "t.conf:1: name: ",
	    "undefined parameter $nosuch" },
	{ "name = x$name", NULL, "t.conf:1: name: ", "loop" },
	{ "name = $path\npath = $name", NULL, "t.conf:1: name: ", "loop" },
	{ "x = 1\npath = $list\nlist = ${path}", NULL, "t.conf:3: list: ",
	    "loop" },
	{ "name = a$", NULL, "t.conf:1: name: ", "bad $ reference" },
	{ "name = a$ b", NULL, "t.conf:1: name: ", "bad $ reference" },
	{ "name = ${name", NULL, "t.conf:1: name: ", "bad $ reference" },
	{ "name = ${}", NULL, "t.conf:1: name: ", "bad $ reference" },
	{ "name = ${na me}", NULL, "t.conf:1: name: ", "bad $ reference" },
	{ "name = $-", NULL, "t.conf:1: name: ", "bad $ reference" },
	/* An error in a referenced value is reported where it is used. */
	{ "count = $name", NULL, "t.conf:1: count: ",
	    "bad int value \"host\"" },
	/* Overrides name themselves. */
	{ NULL, "count", "-o count: ", "missing '='" },
	{ NULL, "=5", "-o =5: ", "expected" },
	{ "count = 5", "count=0", "-o count: ", "out of range" },
	{ NULL, "name=$zz", "-o name: ", "undefined parameter $zz" },
};

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < NELEM(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		const char *ovr[2] = { c->ovr, NULL };
		struct warns w = { .n = 0 };
		struct why why = { "" };
		struct tconf tc;
		struct cfg *cfg;
		size_t n = strlen(c->prefix);

		buf_init(&w.text, 4096);
		is_int(load(c->text, ovr, &tc, &w, &cfg, &why), -1,
		    "error case %zu refused", i);
		if (!ok(strncmp(why.msg, c->prefix, n) == 0,
			"error case %zu: starts with '%s'", i, c->prefix))
			diag("why: %s", why.msg);
		if (!ok(strstr(why.msg + n, c->reason) != NULL,
			"error case %zu: reason mentions '%s'", i, c->reason))
			diag("why: %s", why.msg);
		cfg_free(&cfg);
		buf_fini(&w.text);
	}
}

/* A bad built-in default is our bug, but is still reported clearly. */
static void
test_bad_default(void)
{
	static const struct cfg_param bad[] = {
		TROW(count, CFG_INT, "lots", 1, 10),
		{ NULL, CFG_STR, NULL, 0, 0, 0, NULL },
	};
	struct cfg *cfg = cfg_new(bad, NULL, NULL);
	struct why why = { "" };
	struct tconf tc;

	ok(cfg_finish(cfg, &tc, &why) == -1, "bad default refused");
	ok(strncmp(why.msg, "default of count: ", 18) == 0 &&
		strstr(why.msg, "bad int") != NULL,
	    "bad default names the parameter");
	cfg_free(&cfg);
}

static void
test_unknown(void)
{
	static const char *const ovr[] = { "bogus2=x", NULL };
	struct warns w = { .n = 0 };
	struct why why = { "" };
	struct tconf tc;
	struct cfg *cfg;

	buf_init(&w.text, 4096);
	ok(load("count = 6\n\nbogus = 2\n", ovr, &tc, &w, &cfg, &why) == 0,
	    "unknown parameters do not fail the load");
	is_int(w.n, 2, "one warning per unknown name");
	is_str(buf_str(&w.text),
	    "t.conf:3: unknown parameter bogus\n-o: unknown parameter bogus2\n",
	    "warning text");
	is_int(tc.count, 6, "known values still load");
	cfg_free(&cfg);

	/* Without a callback, unknown names are silently accepted. */
	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_text(cfg, span_str("bogus = 1"), "t.conf", &why) == 0 &&
		cfg_finish(cfg, &tc, &why) == 0,
	    "unknown name without a warning callback");
	cfg_free(&cfg);
	buf_fini(&w.text);
}

static void
test_lookup(void)
{
	ok(cfg_lookup(ttable, "size") == &ttable[3], "cfg_lookup finds");
	ok(cfg_lookup(ttable, "siz") == NULL, "cfg_lookup: prefix is no match");
	ok(cfg_lookup(ttable, "nosuch") == NULL, "cfg_lookup: unknown");
	is_str(cfg_type_name(CFG_TIME), "time", "type name time");
	is_str(cfg_type_name(CFG_LIST), "list", "type name list");
	is_str(cfg_type_name(CFG_BOOL), "bool", "type name bool");
}

static const struct list_case {
	const char *in;
	const char *want;	/* items joined with '|' */
} list_cases[] = {
	{ "a, b  c,,d", "a|b|c|d" },
	{ "", "" },
	{ " , ,\t", "" },
	{ "one", "one" },
	{ ",x,", "x" },
	{ "a\tb\r\nc", "a|b|c" },
	{ "[::]:25, 0.0.0.0:25", "[::]:25|0.0.0.0:25" },
};

static void
test_list(void)
{
	size_t i;

	for (i = 0; i < NELEM(list_cases); i++) {
		struct span l = span_str(list_cases[i].in);
		struct span item;
		struct buf got;

		buf_init(&got, 1024);
		while (cfg_list_next(&l, &item)) {
			if (got.len > 0)
				buf_addc(&got, '|');
			buf_addspan(&got, item);
		}
		is_str(buf_str(&got), list_cases[i].want, "list case %zu", i);
		ok(!cfg_list_next(&l, &item), "list case %zu stays exhausted",
		    i);
		buf_fini(&got);
	}
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
test_read_file(const char *dir)
{
	struct why why = { "" };
	struct tconf tc;
	struct cfg *cfg;
	char path[512];
	char prefix[600];

	cfg = cfg_new(ttable, NULL, NULL);
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ok(cfg_read_file(cfg, path, &why) == 0, "missing file is no error");
	ok(cfg_finish(cfg, &tc, &why) == 0 && tc.count == 5,
	    "missing file gives the defaults");
	cfg_free(&cfg);

	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_file(cfg, dir, &why) == -1, "directory is an error");
	ok(strstr(why.msg, dir) != NULL, "directory error names the path");
	cfg_free(&cfg);

	snprintf(path, sizeof(path), "%s/plain", dir);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/plain/t.conf", dir);
	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_file(cfg, path, &why) == -1,
	    "unreadable path (ENOTDIR) is an error");
	ok(strstr(why.msg, path) != NULL &&
		strstr(why.msg, strerror(ENOTDIR)) != NULL,
	    "unreadable path error names path and errno");
	cfg_free(&cfg);

	snprintf(path, sizeof(path), "%s/good.conf", dir);
	write_file(path, "# test\ncount = 8\ntimeout = 1x\n");
	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_file(cfg, path, &why) == 0, "file reads");
	ok(cfg_finish(cfg, &tc, &why) == -1, "bad time in the file");
	snprintf(prefix, sizeof(prefix), "%s:3: timeout: ", path);
	if (!ok(strncmp(why.msg, prefix, strlen(prefix)) == 0,
		"error starts with path:line: name:"))
		diag("why: %s", why.msg);
	is_int(tc.count, 8, "earlier value came from the file");
	cfg_free(&cfg);

	write_file(path, "count = 8\n\nx\n");
	cfg = cfg_new(ttable, NULL, NULL);
	ok(cfg_read_file(cfg, path, &why) == -1, "syntax error in a file");
	snprintf(prefix, sizeof(prefix), "%s:3: ", path);
	ok(strncmp(why.msg, prefix, strlen(prefix)) == 0,
	    "syntax error starts with path:line:");
	cfg_free(&cfg);
}

static void
test_params(const char *dir)
{
	char *ovr[] = { "master_stop_timeout=5m" };
	struct params p;
	struct why why = { "" };
	struct cfg *cfg;
	char path[512];
	char prefix[600];
	size_t i;

	memset(&p, 0, sizeof(p));
	cfg = params_load(dir, NULL, 0, &p, NULL, NULL, &why);
	if (!ok(cfg != NULL, "params_load without postern.conf"))
		diag("why: %s", why.msg);
	if (cfg == NULL)
		return;
	for (i = 0; params_table[i].name != NULL; i++)
		ok(cfg_value(cfg, params_table[i].name) != NULL,
		    "%s has a value", params_table[i].name);
	is_int(p.master_stop_timeout, 10, "master_stop_timeout default");
	is_str(p.config_directory, dir, "config_directory is the directory");
	ok(p.tls_cert_file != NULL &&
		strncmp(p.tls_cert_file, dir, strlen(dir)) == 0,
	    "tls_cert_file expands $config_directory");
	cfg_free(&cfg);

	snprintf(path, sizeof(path), "%s/postern.conf", dir);
	write_file(path, "# test\nmyorigin = example.org\n"
			 "master_stop_timeout = 10 seconds\n");
	cfg = params_load(dir, NULL, 0, &p, NULL, NULL, &why);
	ok(cfg == NULL, "bad master_stop_timeout refused");
	snprintf(prefix, sizeof(prefix), "%s:3: master_stop_timeout: ", path);
	if (!ok(strncmp(why.msg, prefix, strlen(prefix)) == 0,
		"error names postern.conf:3: and the parameter"))
		diag("why: %s", why.msg);
	ok(strstr(why.msg, "bad time value") != NULL, "error says why");
	cfg_free(&cfg);

	write_file(path, "master_stop_timeout = 20s\nmyorigin = example.org\n");
	cfg = params_load(dir, ovr, 1, &p, NULL, NULL, &why);
	if (!ok(cfg != NULL, "params_load with file and override"))
		diag("why: %s", why.msg);
	is_int(p.master_stop_timeout, 300, "override wins in params_load");
	ok(p.myorigin != NULL && strcmp(p.myorigin, "example.org") == 0,
	    "file value in params_load");
	cfg_free(&cfg);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/cfg_test.XXXXXX";
	char cmd[600];

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_parse_table();
	test_parse_long();
	test_parse_callback_fails();
	test_defaults();
	test_file_and_overrides();
	test_expansion();
	test_cfg_expand();
	test_errors();
	test_bad_default();
	test_unknown();
	test_lookup();
	test_list();
	test_read_file(dir);
	test_params(dir);
	snprintf(cmd, sizeof(cmd), "%s/plain", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/good.conf", dir);
	unlink(cmd);
	rmdir(dir);
	return done_testing();
}
