/*
 * smtpaddr_test.c - unit tests for lib/mail/smtpaddr: paths, mailboxes and
 * domains, every rejection branch, the open-relay trick addresses parsed
 * literally, canonical formatting, and every prefix of every case.
 */
#include "mail/smtpaddr.h"
#include "tap.h"

#define NUL_OK SMTPADDR_NULL_OK
#define UTF8 SMTPADDR_UTF8
#define PM_OK SMTPADDR_POSTMASTER_OK

/* want: the canonical form when ret is 0, a piece of the reason if -1. */
static const struct {
	const char *in;
	unsigned flags;
	int ret;
	const char *want;
	char kind; /* n null, l literal, q quoted, u utf8, - */
} paths[] = {
    {"<user@example.com>", 0, 0, "user@example.com", '-'},
    {"<>", NUL_OK, 0, "", 'n'},
    {"<>", 0, -1, "null address not allowed", '-'},
    /* The open-relay tricks are ordinary mailboxes here. */
    {"<\"user@remote\"@local.example>", 0, 0, "\"user@remote\"@local.example",
     'q'},
    {"<user%remote@local.example>", 0, 0, "user%remote@local.example", '-'},
    {"<remote!user@local.example>", 0, 0, "remote!user@local.example", '-'},
    {"<@relay.example:user@local.example>", 0, 0, "user@local.example", '-'},
    {"<@a.example,@b.example:user@local.example>", 0, 0, "user@local.example",
     '-'},
    {"<user@local.example.>", 0, -1, "domain ends with a dot", '-'},
    {"<user@[127.0.0.1]>", 0, 0, "user@[127.0.0.1]", 'l'},
    {"<user@LOCAL.EXAMPLE>", 0, 0, "user@local.example", '-'},
    {"<User@[IPv6:2001:DB8::1]>", 0, 0, "User@[IPv6:2001:DB8::1]", 'l'},
    {"<u@[ipv6:::ffff:1.2.3.4]>", 0, 0, "u@[ipv6:::ffff:1.2.3.4]", 'l'},
    {"<\"john.doe\"@example.com>", 0, 0, "john.doe@example.com", 'q'},
    {"<\"\\a\"@x.example>", 0, 0, "a@x.example", 'q'},
    {"<\"a\\\"b\"@x.example>", 0, 0, "\"a\\\"b\"@x.example", 'q'},
    {"<\"a\\ b\"@x.example>", 0, 0, "\"a b\"@x.example", 'q'},
    {"<\"a..b\"@x.example>", 0, 0, "\"a..b\"@x.example", 'q'},
    {"<\".a\"@x.example>", 0, 0, "\".a\"@x.example", 'q'},
    {"<\"a\\\\b\"@x.example>", 0, 0, "\"a\\\\b\"@x.example", 'q'},
    {"<!#$%&'*+-/=?^_`{|}~@example.com>", 0, 0,
     "!#$%&'*+-/=?^_`{|}~@example.com", '-'},
    {"<first.last@sub.example.com>trailing", 0, 0, "first.last@sub.example.com",
     '-'},
    {"<u@xn--bcher-kva.example>", 0, 0, "u@xn--bcher-kva.example", '-'},
    {"<Postmaster>", PM_OK, 0, "Postmaster", '-'},
    {"<Postmaster>", 0, -1, "missing @domain", '-'},
    {"<\xc3\xbcser@ex\xc3\xa4mple.com>", UTF8, 0,
     "\xc3\xbcser@ex\xc3\xa4mple.com", 'u'},
    {"<\"\xe2\x82\xac x\"@example.com>", UTF8, 0,
     "\"\xe2\x82\xac x\"@example.com", 'u'},
    {"<\xf0\x9f\x98\x80@EX.com>", UTF8, 0, "\xf0\x9f\x98\x80@ex.com", 'u'},
    {"<\xc3\xbcser@example.com>", 0, -1, "without SMTPUTF8", '-'},
    {"<u@ex\xc3\xa4mple.com>", 0, -1, "without SMTPUTF8", '-'},
    {"<\xc0\xafx@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xe0\x80\xafx@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xed\xa0\x80x@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xf4\x90\x80\x80@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xf0\x80\x80\x80@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xe2\x82x@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\xf8\x88\x80\x80\x80@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<\"\xff\"@example.com>", UTF8, -1, "invalid UTF-8", '-'},
    {"<u@\xc3>", UTF8, -1, "invalid UTF-8", '-'},
    {"", 0, -1, "enclosed in <>", '-'},
    {"user@example.com", 0, -1, "enclosed in <>", '-'},
    {"<", 0, -1, "empty local part", '-'},
    {"<.user@x.example>", 0, -1, "starts with a dot", '-'},
    {"<us..er@x.example>", 0, -1, "two dots", '-'},
    {"<user.@x.example>", 0, -1, "ends with a dot", '-'},
    {"<@x.example>", 0, -1, "bad source route", '-'},
    {"<@x.example,y.example:u@x.example>", 0, -1, "bad source route", '-'},
    {"<@x.example,@y.example", 0, -1, "bad source route", '-'},
    {"<@-x.example:u@x.example>", 0, -1, "hyphen", '-'},
    {"<@x.example:>", 0, -1, "empty local part", '-'},
    {"<\"\"@x.example>", 0, -1, "empty quoted local part", '-'},
    {"<\"abc@x.example>", 0, -1, "unterminated quoted", '-'},
    {"<\"a\\", 0, -1, "bad quoted pair", '-'},
    {"<\"a\\\x01\"@x.example>", 0, -1, "bad quoted pair", '-'},
    {"<\"a\x01\"@x.example>", 0, -1, "control character", '-'},
    {"<\"a\"b@x.example>", 0, -1, "bad character in local part", '-'},
    {"<user>", 0, -1, "missing @domain", '-'},
    {"<user", 0, -1, "missing @domain", '-'},
    {"<us(er@x.example>", 0, -1, "bad character in local part", '-'},
    {"<user@remote@local.example>", 0, -1, "bad character after domain", '-'},
    {"<u@>", 0, -1, "empty domain", '-'},
    {"<u@x..example>", 0, -1, "empty label", '-'},
    {"<u@.x.example>", 0, -1, "empty label", '-'},
    {"<u@-x.example>", 0, -1, "hyphen", '-'},
    {"<u@x-.example>", 0, -1, "hyphen", '-'},
    {"<u@x_y.example>", 0, -1, "bad character after domain", '-'},
    {"<u@[1.2.3.4>", 0, -1, "unterminated address literal", '-'},
    {"<u@[1.2.3.4", 0, -1, "unterminated address literal", '-'},
    {"<u@[1.2.3]>", 0, -1, "bad IPv4", '-'},
    {"<u@[1.2.3.256]>", 0, -1, "bad IPv4", '-'},
    {"<u@[IPv6:zz]>", 0, -1, "bad IPv6", '-'},
    {"<u@[IPv6:1.2.3.4]>", 0, -1, "bad IPv6", '-'},
    {"<u@[tag:foo]>", 0, -1, "general address literal", '-'},
    {"<u@[1.2.3.4]x>", 0, -1, "bad character after domain", '-'},
    {"<u@x.example", 0, -1, "missing closing >", '-'},
    {"<u@x.example y>", 0, -1, "bad character after domain", '-'},
};

/* Parse from an exactly sized copy, so that ASan sees any overread. */
static int
parse_copy(const char *s, size_t len, unsigned flags, struct smtpaddr *a,
           size_t *used, struct why *why, unsigned char **copy_out)
{
	unsigned char *copy = malloc(len ? len : 1);

	memcpy(copy, s, len);
	*copy_out = copy;
	*used = 0;
	return smtpaddr_parse_path(span_make(copy, len), flags, a, used, why);
}

static bool
inside(struct span s, const unsigned char *p, size_t len)
{
	return s.len == 0 || (s.p >= p && s.p + s.len <= p + len);
}

static void
check_case(size_t i)
{
	struct smtpaddr a;
	struct why why = {""};
	struct buf b;
	unsigned char *copy;
	size_t used, len = strlen(paths[i].in);
	int r = parse_copy(paths[i].in, len, paths[i].flags, &a, &used, &why,
	                   &copy);

	is_int(r, paths[i].ret, "path %zu %s: %s", i, paths[i].in, why.msg);
	buf_init(&b, 1024);
	if (r == 0) {
		ok(smtpaddr_format(&a, &b) == 0, "format %zu", i);
		is_str(buf_str(&b), paths[i].want, "canonical %zu", i);
		ok(used <= len && inside(a.local, copy, len) &&
		       inside(a.domain, copy, len),
		   "spans inside %zu", i);
		ok(a.is_null == (paths[i].kind == 'n') &&
		       a.is_literal == (paths[i].kind == 'l') &&
		       (paths[i].kind != 'q' || a.is_quoted) &&
		       a.has_utf8 == (paths[i].kind == 'u'),
		   "kind of %zu", i);
	} else if (r == -1) {
		ok(strstr(why.msg, paths[i].want) != NULL, "reason of %zu: %s",
		   i, why.msg);
	}
	buf_fini(&b);
	free(copy);
}

static void
test_paths(void)
{
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		check_case(i);
}

/* Every prefix of every case: no crash, no overread, sane results. */
static void
test_prefixes(void)
{
	size_t i, n, bad = 0, tried = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		for (n = 0; n < strlen(paths[i].in); n++) {
			struct smtpaddr a;
			struct why why;
			unsigned char *copy;
			size_t used;
			int r =
			    parse_copy(paths[i].in, n,
			               paths[i].flags | NUL_OK | UTF8 | PM_OK,
			               &a, &used, &why, &copy);

			tried++;
			if (r == 0 && (used > n || !inside(a.local, copy, n) ||
			               !inside(a.domain, copy, n) ||
			               copy[used - 1] != '>'))
				bad++;
			if (r != 0 && r != -1)
				bad++;
			free(copy);
		}
	}
	is_int(bad, 0, "%zu prefixes parsed sanely", tried);
}

/* A host name of len octets: labels of 63 "a"s and dots. */
static const char *
domain_of(size_t len)
{
	static char d[400];
	size_t i;

	for (i = 0; i < len; i++)
		d[i] = i % 64 == 63 ? '.' : 'a';
	d[len] = '\0';
	return d;
}

static bool
path_fails(const char *in, const char *reason)
{
	struct smtpaddr a;
	struct why why;
	size_t used;

	return smtpaddr_parse_path(span_str(in), 0, &a, &used, &why) == -1 &&
	       strstr(why.msg, reason) != NULL;
}

static void
test_limits(void)
{
	static const char a64[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char in[600];
	struct smtpaddr a;
	struct why why;
	size_t used;

	snprintf(in, sizeof(in), "<%s@x.example>", a64);
	ok(smtpaddr_parse_path(span_str(in), 0, &a, &used, &why) == 0,
	   "64-octet local part");
	snprintf(in, sizeof(in), "<a%s@x.example>", a64);
	ok(path_fails(in, "local part too long"), "65-octet local part");
	snprintf(in, sizeof(in), "<\"%.63s\"@x.example>", a64);
	ok(path_fails(in, "local part too long"),
	   "quoted local part counts its quotes");
	snprintf(in, sizeof(in), "<u@%s>", domain_of(252));
	ok(smtpaddr_parse_path(span_str(in), 0, &a, &used, &why) == 0 &&
	       a.domain.len == 252 && used == 256,
	   "256-octet path");
	snprintf(in, sizeof(in), "<uu@%s>", domain_of(252));
	ok(path_fails(in, "address too long"), "257-octet path");
	snprintf(in, sizeof(in), "<u@%s>", domain_of(255));
	ok(path_fails(in, "address too long"), "255-octet domain, long path");
	snprintf(in, sizeof(in), "<u@%s>", domain_of(256));
	ok(path_fails(in, "domain too long"), "256-octet domain");
	snprintf(in, sizeof(in), "<u@a%s>", a64);
	ok(path_fails(in, "label too long"), "64-octet label");
	snprintf(in, sizeof(in), "<u@[%s]>", a64);
	ok(path_fails(in, "bad IPv4"), "long IPv4 literal");
	snprintf(in, sizeof(in), "<u@[IPv6:%s]>", a64);
	ok(path_fails(in, "bad IPv6"), "long IPv6 literal");
	snprintf(in, sizeof(in), "u@%s", domain_of(252));
	ok(smtpaddr_parse_mailbox(span_str(in), 0, &a, &why) == 0,
	   "254-octet mailbox");
	snprintf(in, sizeof(in), "uu@%s", domain_of(252));
	ok(smtpaddr_parse_mailbox(span_str(in), 0, &a, &why) == -1 &&
	       strstr(why.msg, "address too long"),
	   "255-octet mailbox");
}

static void
test_mailbox(void)
{
	struct smtpaddr a;
	struct why why;

	ok(smtpaddr_parse_mailbox(span_str("user@Example.COM"), 0, &a, &why) ==
	           0 &&
	       span_eq(a.local, "user") && span_eq(a.domain, "Example.COM"),
	   "bare mailbox");
	ok(smtpaddr_parse_mailbox(span_str("\"a b\"@[10.0.0.1]"), 0, &a,
	                          &why) == 0 &&
	       a.is_quoted && a.is_literal,
	   "quoted, literal");
	ok(smtpaddr_parse_mailbox(span_str("user@example.com>"), 0, &a, &why) ==
	           -1 &&
	       strstr(why.msg, "after domain"),
	   "trailing byte");
	ok(smtpaddr_parse_mailbox(span_str("<user@example.com>"), 0, &a,
	                          &why) == -1,
	   "brackets refused");
	ok(smtpaddr_parse_mailbox(span_str("user"), 0, &a, &why) == -1 &&
	       strstr(why.msg, "missing @domain"),
	   "no domain");
	ok(smtpaddr_parse_mailbox(span_str("<>"), NUL_OK, &a, &why) == -1,
	   "no null mailbox");
}

static void
test_domain(void)
{
	struct why why;
	bool lit;

	ok(smtpaddr_check_domain(span_str("mx.Example.com"), 0, false, &lit,
	                         &why) == 0 &&
	       !lit,
	   "host name");
	ok(smtpaddr_check_domain(span_str("[192.0.2.1]"), 0, true, &lit,
	                         &why) == 0 &&
	       lit,
	   "literal allowed");
	ok(smtpaddr_check_domain(span_str("[192.0.2.1]"), 0, false, &lit,
	                         &why) == -1 &&
	       strstr(why.msg, "not allowed"),
	   "literal refused");
	ok(smtpaddr_check_domain(span_str("[192.0.2.1]x"), 0, true, &lit,
	                         &why) == -1 &&
	       strstr(why.msg, "after domain"),
	   "after literal");
	ok(smtpaddr_check_domain(span_str("x_y.example"), 0, false, &lit,
	                         &why) == -1 &&
	       strstr(why.msg, "bad character in domain"),
	   "underscore");
	ok(smtpaddr_check_domain(span_str("a b"), 0, false, &lit, &why) == -1,
	   "space");
	ok(smtpaddr_check_domain(span_str(""), 0, false, &lit, &why) == -1 &&
	       strstr(why.msg, "empty domain"),
	   "empty");
	ok(smtpaddr_check_domain(span_str("."), 0, false, &lit, &why) == -1,
	   "dot");
	ok(smtpaddr_check_domain(span_str("ex\xc3\xa4mple.com"), UTF8, false,
	                         &lit, &why) == 0,
	   "U-label with SMTPUTF8");
	ok(smtpaddr_check_domain(span_str("ex\xc3\xa4mple.com"), 0, false, &lit,
	                         &why) == -1,
	   "U-label without");
}

static void
test_format_eq(void)
{
	struct smtpaddr a;
	struct why why;
	struct buf b;
	size_t used;

	ok(smtpaddr_parse_path(span_str("<\"a b\"@EX.example>"), 0, &a, &used,
	                       &why) == 0,
	   "parsed");
	buf_init(&b, 8);
	ok(buf_add(&b, "xy", 2) == 0 && smtpaddr_format(&a, &b) == -1 &&
	       b.len == 2,
	   "full buffer: -1, unchanged");
	buf_fini(&b);
	ok(smtpaddr_domain_eq(span_str("Local.Example"),
	                      span_str("local.EXAMPLE")),
	   "domains equal");
	ok(!smtpaddr_domain_eq(span_str("local.example"),
	                       span_str("local.example.")),
	   "lengths differ");
	ok(!smtpaddr_domain_eq(span_str("a.example"), span_str("b.example")),
	   "domains differ");
}

int
main(void)
{
	test_paths();
	test_prefixes();
	test_limits();
	test_mailbox();
	test_domain();
	test_format_eq();
	return done_testing();
}
