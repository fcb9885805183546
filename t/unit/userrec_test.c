/*
 * userrec_test.c - unit tests for lib/mail/userrec: good records with
 * their defaults, every rejection branch, a display name holding ':',
 * formatting (and what cannot be formatted), and format/parse round
 * trips.
 */
#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/userrec.h"
#include "tap.h"

/* Render a parsed record as "hash|en|qb|qm|host|name". */
static void
render(const struct userrec *u, struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%.*s|%c|%llu|%llu|%.*s|%.*s", (int)u->password.len,
	    (const char *)u->password.p, u->enabled ? 'y' : 'n',
	    (unsigned long long)u->quota_bytes,
	    (unsigned long long)u->quota_messages, (int)u->mailhost.len,
	    (const char *)u->mailhost.p, (int)u->name.len,
	    (const char *)u->name.p);
}

/* Parse an exactly sized private copy, so ASan sees any over-read. */
static int
parse(const char *in, struct buf *rendered, struct why *why)
{
	size_t len = strlen(in);
	unsigned char *copy = xmalloc(len ? len : 1);
	struct userrec u;
	int r;

	memcpy(copy, in, len);
	r = userrec_parse(span_make(copy, len), &u, why);
	if (r == 0)
		render(&u, rendered);
	xfree(&copy);
	return r;
}

static const struct {
	const char *in;
	const char *want;	/* rendered, or the reason when rejected */
	int ret;
} cases[] = {
	{ "", "|y|0|0||", 0 },
	{ "$y$j9T$abc$def", "$y$j9T$abc$def|y|0|0||", 0 },
	{ "{CRYPT}$6$s$h", "{CRYPT}$6$s$h|y|0|0||", 0 },
	{ "h:", "h|y|0|0||", 0 },
	{ "h:n", "h|n|0|0||", 0 },
	{ "h:N", "h|n|0|0||", 0 },
	{ "h:no", "h|n|0|0||", 0 },
	{ "h:False", "h|n|0|0||", 0 },
	{ "h:0", "h|n|0|0||", 0 },
	{ "h:y", "h|y|0|0||", 0 },
	{ "h:YES", "h|y|0|0||", 0 },
	{ "h:true", "h|y|0|0||", 0 },
	{ "h:1", "h|y|0|0||", 0 },
	{ "h::", "h|y|0|0||", 0 },
	{ "h:y:1g", "h|y|1073741824|0||", 0 },
	{ "h:y:10k", "h|y|10240|0||", 0 },
	{ "h:y:5MB", "h|y|5242880|0||", 0 },
	{ "h:y:512", "h|y|512|0||", 0 },
	{ "h:y:0", "h|y|0|0||", 0 },
	{ "h:y::1000", "h|y|0|1000||", 0 },
	{ "h:y:::mx1.example.org", "h|y|0|0|mx1.example.org|", 0 },
	{ "h:y:::a-b.c9", "h|y|0|0|a-b.c9|", 0 },
	{ "h:y:::10.0.0.5", "h|y|0|0|10.0.0.5|", 0 },
	{ "h:y::::Alice Liddell", "h|y|0|0||Alice Liddell", 0 },
	{ "h:y::::Dr: Who: Else", "h|y|0|0||Dr: Who: Else", 0 },
	{ "h:y::::Zo\xc3\xab", "h|y|0|0||Zo\xc3\xab", 0 },
	{ "::::::", "|y|0|0||:", 0 },
	{ ":n:2m:7:b1:N", "|n|2097152|7|b1|N", 0 },
	{ "!$6$s$h:n", "!$6$s$h|n|0|0||", 0 },
	{ "h:y:18446744073709551615:18446744073709551615",
	    "h|y|18446744073709551615|18446744073709551615||", 0 },
	/* Rejections: one per branch. */
	{ "h\tx", "HASH: holds a control character", -1 },
	{ "h\x7f", "HASH: holds a control character", -1 },
	{ "h:maybe", "ENABLED: expected y or n", -1 },
	{ "h:on", "ENABLED: expected y or n", -1 },
	{ "h: y", "ENABLED: expected y or n", -1 },
	{ "h:y:lots", "QUOTA_BYTES: not a size", -1 },
	{ "h:y:-1", "QUOTA_BYTES: not a size", -1 },
	{ "h:y:1t", "QUOTA_BYTES: not a size", -1 },
	{ "h:y:18446744073709551615k", "QUOTA_BYTES: not a size", -1 },
	{ "h:y:0:many", "QUOTA_MESSAGES: not a number", -1 },
	{ "h:y:0:1k", "QUOTA_MESSAGES: not a number", -1 },
	{ "h:y:0:18446744073709551616", "QUOTA_MESSAGES: not a number", -1 },
	{ "h:y:0:0:-mx", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:mx-", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:a..b", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:.a", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:a.", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:a_b", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:a b", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:[10.0.0.1]", "MAILHOST: not a host name", -1 },
	{ "h:y:0:0:a:\x01", "DISPLAY_NAME: holds a control character", -1 },
	{ "h:y:0:0:a:x\ty", "DISPLAY_NAME: holds a control character", -1 },
	{ "h:y:0:0:a:x\x7f", "DISPLAY_NAME: holds a control character", -1 },
};

static void
test_cases(void)
{
	struct buf r;
	struct why why;
	size_t i;

	buf_init(&r, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		why.msg[0] = '\0';
		buf_reset(&r);
		buf_adds(&r, "");
		ret = parse(cases[i].in, &r, &why);
		is_int(ret, cases[i].ret, "case %zu returns %d", i,
		    cases[i].ret);
		is_str(ret == 0 ? buf_str(&r) : why.msg, cases[i].want,
		    "case %zu: %s", i, cases[i].want);
	}
	buf_fini(&r);
}

/* A field one byte over its limit is refused; at the limit it is not. */
static void
test_limits(void)
{
	static const struct {
		const char *before;
		size_t max;
		char fill;
		const char *why;
	} f[] = {
		{ "", USERREC_MAX_HASH, 'h', "HASH: longer than 512 bytes" },
		{ "h:y:::", USERREC_MAX_HOST, 'a',
		    "MAILHOST: longer than 253 bytes" },
		{ "h:y::::", USERREC_MAX_NAME, 'n',
		    "DISPLAY_NAME: longer than 512 bytes" },
	};
	struct buf in;
	struct buf r;
	struct why why;
	size_t i;
	size_t j;

	buf_init(&in, 4096);
	buf_init(&r, 4096);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		buf_reset(&in);
		buf_adds(&in, f[i].before);
		for (j = 0; j < f[i].max; j++)
			/* Host labels are at most 63 bytes: dot every 60. */
			buf_addc(&in, f[i].fill == 'a' && j % 60 == 59 ? '.' :
			    f[i].fill);
		is_int(parse(buf_str(&in), &r, &why), 0, "%s at the limit",
		    f[i].why);
		buf_addc(&in, f[i].fill);
		is_int(parse(buf_str(&in), &r, &why), -1, "%s", f[i].why);
		is_str(why.msg, f[i].why, "reason");
	}
	buf_reset(&in);
	buf_adds(&in, "h:y:::");
	for (j = 0; j < 64; j++)
		buf_addc(&in, 'a');
	is_int(parse(buf_str(&in), &r, &why), -1, "64-byte host label");
	buf_fini(&in);
	buf_fini(&r);
}

static const char *
fmt(const struct userrec *u, struct buf *out)
{
	buf_reset(out);
	buf_adds(out, "");
	return userrec_format(u, out) == 0 ? buf_str(out) : "(error)";
}

static void
test_format(void)
{
	struct userrec u = { .password = span_str("$y$x"), .enabled = true };
	struct buf out;

	buf_init(&out, 4096);
	is_str(fmt(&u, &out), "$y$x:y", "minimal record");
	u.enabled = false;
	is_str(fmt(&u, &out), "$y$x:n", "disabled");
	u.quota_bytes = 1024ULL * 1024 * 1024 * 3;
	is_str(fmt(&u, &out), "$y$x:n:3g", "quota in g");
	u.quota_bytes = 5 * 1024 * 1024;
	is_str(fmt(&u, &out), "$y$x:n:5m", "quota in m");
	u.quota_bytes = 2048;
	is_str(fmt(&u, &out), "$y$x:n:2k", "quota in k");
	u.quota_bytes = 1000;
	is_str(fmt(&u, &out), "$y$x:n:1000", "quota in bytes");
	u.quota_bytes = 0;
	u.quota_messages = 50;
	is_str(fmt(&u, &out), "$y$x:n:0:50", "message quota");
	u.quota_messages = 0;
	u.mailhost = span_str("b1.example.org");
	is_str(fmt(&u, &out), "$y$x:n:0:0:b1.example.org", "host");
	u.mailhost = span_str("");
	u.name = span_str("A: B");
	is_str(fmt(&u, &out), "$y$x:n:0:0::A: B", "name with ':'");
	u.password = span_str("");
	u.name = span_str("");
	u.enabled = true;
	is_str(fmt(&u, &out), ":y", "no password");
	buf_fini(&out);
}

/* What cannot be written leaves the output as it was. */
static void
test_format_refused(void)
{
	struct userrec u = { .password = span_str("a:b"), .enabled = true };
	struct buf out;

	buf_init(&out, 4096);
	buf_reset(&out);
	buf_adds(&out, "keep");
	is_int(userrec_format(&u, &out), -1, "hash with ':' refused");
	is_str(buf_str(&out), "keep", "output unchanged");
	u.password = span_str("a\nb");
	is_int(userrec_format(&u, &out), -1, "hash with newline refused");
	u.password = span_str("h");
	u.mailhost = span_str("bad host");
	is_int(userrec_format(&u, &out), -1, "bad host refused");
	u.mailhost = span_str("");
	u.name = span_str("x\ry");
	is_int(userrec_format(&u, &out), -1, "name with CR refused");
	is_str(buf_str(&out), "keep", "output still unchanged");

	{
		/* Zeroed spans have NULL pointers. */
		struct userrec z;
		struct why why;

		memset(&z, 0, sizeof(z));
		is_str(fmt(&z, &out), ":n", "all-zero record");
		ok(userrec_parse(span_make(NULL, 0), &z, &why) == 0 &&
		    z.enabled && z.password.len == 0,
		    "NULL empty value parses to the defaults");
	}
	buf_fini(&out);

	buf_init(&out, 8);
	buf_adds(&out, "ab");
	u.name = span_str("a long name that does not fit");
	is_int(userrec_format(&u, &out), -1, "full buffer");
	is_str(buf_str(&out), "ab", "full buffer left unchanged");
	buf_fini(&out);
}

static bool
same(const struct userrec *a, const struct userrec *b)
{
	return span_eq_span(a->password, b->password) &&
	    a->enabled == b->enabled && a->quota_bytes == b->quota_bytes &&
	    a->quota_messages == b->quota_messages &&
	    span_eq_span(a->mailhost, b->mailhost) &&
	    span_eq_span(a->name, b->name);
}

/* Every good case: parse, format, parse again gives the same record. */
static void
test_roundtrip(void)
{
	struct userrec a;
	struct userrec b;
	struct buf out;
	struct why why;
	size_t i;

	buf_init(&out, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].ret != 0)
			continue;
		userrec_parse(span_str(cases[i].in), &a, &why);
		buf_reset(&out);
		if (!ok(userrec_format(&a, &out) == 0, "format case %zu", i))
			continue;
		ok(userrec_parse(buf_span(&out), &b, &why) == 0 && same(&a, &b),
		    "round trip of case %zu: %s", i, buf_str(&out));
	}
	buf_fini(&out);
}

int
main(void)
{
	test_cases();
	test_limits();
	test_format();
	test_format_refused();
	test_roundtrip();
	return done_testing();
}
