/*
 * maillogin_test.c - unit tests for lib/mail/maillogin's pure parts:
 * LOOKUP answers (every refusal), the mechanism list and its matching,
 * the failure delay, the response decoding and the challenge line.
 */
#include <string.h>

#include "mail/maillogin.h"
#include "tap.h"

/* An answer of n fields, from the strings in f. */
static enum maillogin_res
answer(const char *const *f, size_t n, const char *host, uint64_t *qb,
    uint64_t *qm, struct why *why)
{
	struct span field[8];
	struct authproto_msg ans;

	memset(&ans, 0, sizeof(ans));
	for (size_t i = 0; i < n; i++)
		field[i] = span_str(f[i]);
	ans.field = field;
	ans.nfield = n;
	return maillogin_lookup_answer(&ans, host, qb, qm, why);
}

static void
test_lookup(void)
{
	static const struct {
		const char *f[7];
		size_t n;
		enum maillogin_res want;
		uint64_t qb, qm;
		const char *name;
	} cases[] = {
		{ { "u", "y", "100", "7", "", "U" }, 6, MAILLOGIN_OK, 100, 7,
		    "enabled, this host" },
		{ { "u", "y", "0", "0", "MX.Example.ORG", "" }, 6,
		    MAILLOGIN_OK, 0, 0, "host named in another case" },
		{ { "u", "n", "0", "0", "", "" }, 6, MAILLOGIN_FAIL, 0, 0,
		    "disabled" },
		{ { "u", "yes", "0", "0", "", "" }, 6, MAILLOGIN_FAIL, 0, 0,
		    "only y enables" },
		{ { "u", "y", "0", "0", "other.example.org", "" }, 6,
		    MAILLOGIN_ELSEWHERE, 0, 0, "another host" },
		{ { "u", "y", "0", "0", "" }, 5, MAILLOGIN_TEMP, 0, 0,
		    "five fields" },
		{ { "u", "y", "0", "0", "", "", "x" }, 7, MAILLOGIN_TEMP, 0, 0,
		    "seven fields" },
		{ { "u", "y", "-1", "0", "", "" }, 6, MAILLOGIN_TEMP, 0, 0,
		    "signed quota" },
		{ { "u", "y", "0", "7x", "", "" }, 6, MAILLOGIN_TEMP, 0, 0,
		    "garbled message quota" },
		{ { "u", "y", "18446744073709551616", "0", "", "" }, 6,
		    MAILLOGIN_TEMP, 0, 0, "quota overflows" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct why why = { "" };
		uint64_t qb = 0, qm = 0;
		enum maillogin_res r = answer(cases[i].f, cases[i].n,
		    "mx.example.org", &qb, &qm, &why);

		is_int(r, cases[i].want, "LOOKUP: %s", cases[i].name);
		if (r == MAILLOGIN_OK)
			ok(qb == cases[i].qb && qm == cases[i].qm,
			    "LOOKUP: %s: quota", cases[i].name);
		if (r == MAILLOGIN_TEMP)
			is_str(why.msg, "garbled LOOKUP answer",
			    "LOOKUP: %s: why", cases[i].name);
	}
}

static void
test_mechs(void)
{
	struct buf b;

	ok(maillogin_mech_offered("plain, login", span_str("LOGIN")),
	    "offered in any case");
	ok(maillogin_mech_offered("plain login", span_str("plain")),
	    "blank separates");
	ok(!maillogin_mech_offered("plain, login", span_str("CRAM-MD5")),
	    "not in the list");
	ok(!maillogin_mech_offered("plain", span_str("plai")),
	    "a prefix is not a match");
	ok(!maillogin_mech_offered("", span_str("PLAIN")), "empty list");
	buf_init(&b, 256);
	maillogin_mech_list("plain, login x-Foo9", " AUTH=", &b);
	is_str(buf_str(&b), " AUTH=PLAIN AUTH=LOGIN AUTH=X-FOO9",
	    "list in capitals");
	buf_reset(&b);
	maillogin_mech_list("", "\r\n", &b);
	is_int(b.len, 0, "empty list, nothing added");
	buf_fini(&b);
}

static void
test_fail_delay(void)
{
	static const struct {
		uint64_t base, max;
		unsigned failures;
		uint64_t authd, want;
	} cases[] = {
		{ 1000, 8000, 0, 0, 1000 },
		{ 1000, 8000, 1, 0, 2000 },
		{ 1000, 8000, 3, 0, 8000 },
		{ 1000, 8000, 10, 0, 8000 },	/* capped */
		{ 1000, 5000, 3, 0, 5000 },	/* capped between doublings */
		{ 1000, 8000, 1, 3000, 3000 },	/* authd's is larger */
		{ 1000, 8000, 2, 3000, 4000 },	/* the larger, not the sum */
		{ 0, 8000, 5, 0, 0 },		/* both off */
		{ 0, 0, 0, 2500, 2500 },	/* only authd's */
		{ 3000, 1000, 0, 0, 1000 },	/* max below base */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(maillogin_fail_delay(cases[i].base, cases[i].max,
			   cases[i].failures, cases[i].authd),
		    cases[i].want, "fail delay case %zu", i);
}

static void
test_response(void)
{
	static const struct maillogin_conf conf;
	struct maillogin *j;
	struct buf b, line;

	j = maillogin_new(&conf, "192.0.2.1", NULL);
	is_int(maillogin_response(j, span_str("="), true), 0,
	    "= is empty as the initial response");
	ok(j->has_in && j->in.len == 0, "initial, empty");
	maillogin_free(&j);
	ok(j == NULL, "free clears the pointer");

	j = maillogin_new(&conf, "192.0.2.1", NULL);
	is_int(maillogin_response(j, span_str("="), false), -1,
	    "= refused after the initial response");
	maillogin_free(&j);

	j = maillogin_new(&conf, "192.0.2.1", NULL);
	is_int(maillogin_response(j, span_str("AHUAcA=="), false), 0,
	    "good base64");
	ok(!j->has_in && j->in.len == 4 && memcmp(j->in.p, "\0u\0p", 4) == 0,
	    "decoded");
	maillogin_free(&j);

	j = maillogin_new(&conf, "192.0.2.1", NULL);
	is_int(maillogin_response(j, span_str("AHU!"), true), -1,
	    "bad base64 refused");
	maillogin_free(&j);

	buf_init(&line, MAILLOGIN_MAX_LINE + 8);
	for (size_t i = 0; i < MAILLOGIN_MAX_LINE + 4; i++)
		buf_addc(&line, 'A');
	j = maillogin_new(&conf, "192.0.2.1", NULL);
	is_int(maillogin_response(j, buf_span(&line), false), -1,
	    "over-long response refused");
	maillogin_free(&j);
	buf_fini(&line);

	j = maillogin_new(&conf, "192.0.2.1", NULL);
	buf_adds(&j->out, "Username:");
	buf_init(&b, 256);
	maillogin_challenge(j, &b);
	is_str(buf_str(&b), "+ VXNlcm5hbWU6\r\n", "challenge line");
	buf_reset(&b);
	buf_reset(&j->out);
	maillogin_challenge(j, &b);
	is_str(buf_str(&b), "+ \r\n", "empty challenge");
	buf_fini(&b);
	maillogin_free(&j);
	maillogin_free(&j);
	ok(j == NULL, "free of NULL");
}

int
main(void)
{
	test_lookup();
	test_mechs();
	test_fail_delay();
	test_response();
	return done_testing();
}
