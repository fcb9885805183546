/*
 * smtpsrv_test.c - unit tests for the pure parts of lib/mail/smtpsrv: the
 * EHLO/LHLO reply, the growing delay after errors, and the look-up of an
 * AUTH mechanism in the offered list.  The rest of the module is session
 * I/O; the protocol tests of smtpd and lmtpd (t/proto/smtpd,
 * t/proto/lmtpd) are its tests.
 */
#include "mail/smtpsrv.h"
#include "tap.h"

static void
test_ehlo(void)
{
	static const struct {
		const char *name;
		const char *ext;
		bool starttls;
		const char *mechs;
		const char *want;
	} cases[] = {
		{ "bare", "", false, "",
		    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
		    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
		    "250-SMTPUTF8\r\n250 CHUNKING\r\n" },
		{ "dsn, starttls", "250-DSN\r\n", true, "",
		    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
		    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
		    "250-SMTPUTF8\r\n250-DSN\r\n250-STARTTLS\r\n"
		    "250 CHUNKING\r\n" },
		{ "auth", "", false, "PLAIN LOGIN",
		    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
		    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
		    "250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n"
		    "250 CHUNKING\r\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;

		buf_init(&out, 4096);
		is_int(smtpsrv_ehlo_text(&out, "mx.example", 1000,
			   cases[i].ext, cases[i].starttls,
			   span_str(cases[i].mechs)), 0, "ehlo %s: fits",
		    cases[i].name);
		is_str((const char *)out.p, cases[i].want, "ehlo %s",
		    cases[i].name);
		buf_fini(&out);
	}
}

static void
test_ehlo_full(void)
{
	struct buf out;

	/* A buffer too small for the reply: -1, never a cut line. */
	buf_init(&out, 64);
	ok(smtpsrv_ehlo_text(&out, "mx.example", 1000, "", false,
	       span_str("")) == -1, "ehlo: -1 when out is too small");
	buf_fini(&out);
}

static void
test_delay(void)
{
	static const struct {
		uint64_t errors, soft, sleep_ms, want;
	} cases[] = {
		{ 1, 10, 1000, 0 },	/* under the soft limit */
		{ 10, 10, 1000, 0 },	/* at it */
		{ 11, 10, 1000, 1000 },	/* one beyond */
		{ 13, 10, 1000, 3000 },
		{ 20, 10, 1000, 10000 },
		{ 500, 10, 1000, 10000 },	/* capped at ten steps */
		{ 50, 10, 0, 0 },	/* no sleep time: no delay */
		{ 1, 0, 500, 500 },	/* soft limit 0 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(smtpsrv_error_delay_ms(cases[i].errors, cases[i].soft,
			   cases[i].sleep_ms), cases[i].want,
		    "delay after %llu errors (soft %llu, step %llu ms)",
		    (unsigned long long)cases[i].errors,
		    (unsigned long long)cases[i].soft,
		    (unsigned long long)cases[i].sleep_ms);
}

static void
test_mech(void)
{
	static const struct {
		const char *list, *mech;
		bool want;
	} cases[] = {
		{ "PLAIN LOGIN", "PLAIN", true },
		{ "PLAIN LOGIN", "login", true },	/* any case */
		{ "PLAIN LOGIN", "LOG", false },	/* whole names */
		{ "PLAIN LOGIN", "PLAIN LOGIN", false },
		{ "PLAIN", "", false },
		{ "", "PLAIN", false },
		{ "CRAM-MD5  PLAIN", "PLAIN", true },	/* blank runs */
		{ "SCRAM-SHA-256", "SCRAM-SHA-1", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(smtpsrv_mech_offered(span_str(cases[i].list),
		       span_str(cases[i].mech)) == cases[i].want,
		    "mech '%s' in '%s': %s", cases[i].mech, cases[i].list,
		    cases[i].want ? "yes" : "no");
}

int
main(void)
{
	test_ehlo();
	test_ehlo_full();
	test_delay();
	test_mech();
	return done_testing();
}
