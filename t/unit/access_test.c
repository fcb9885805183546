/*
 * access_test.c - unit tests for lib/mail/access: the keys of each kind
 * of check (IPv4, IPv6, host names, HELO literals, addresses with and
 * without extensions, the null sender, over-long input), the action
 * parser (every action, explicit codes, bad values, unsafe text), and
 * checks against inline:, hash: and lmdb: tables (table order, key
 * order, DUNNO, temporary failures, concurrent threads).
 * Linked into: the unit tests only.  Trust: not applicable.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/why.h"
#include "mail/access.h"
#include "mail/dict_build.h"
#include "tap.h"

static char tmpdir[] = "/tmp/access_test.XXXXXX";

/* A path in the temporary directory; borrowed, valid for 3 more calls. */
static const char *
tpath(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static void
write_file(const char *path, const char *text)
{
	struct why why;

	if (file_write_atomic(path, span_str(text), 0644, &why) == -1)
		diag("%s", why.msg);
}

/* Keys */

/* The keys, separated by single spaces; borrowed until the next call. */
static const char *
keys_of(enum access_kind kind, const char *k1, const char *k2,
    const char *delimiters, size_t *n_out)
{
	static struct access_keys k;
	static struct buf b;
	size_t i;

	if (b.max == 0)
		buf_init(&b, 1 << 20);
	buf_reset(&b);
	buf_adds(&b, "");
	access_keys(kind, k1, k2, delimiters, &k);
	for (i = 0; i < k.n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		buf_addspan(&b, k.v[i]);
	}
	if (n_out != NULL)
		*n_out = k.n;
	return buf_str(&b);
}

static const struct {
	enum access_kind kind;
	const char *k1;
	const char *k2;
	const char *delimiters;
	const char *want;
} key_cases[] = {
	{ ACCESS_CLIENT, "192.0.2.10", NULL, NULL,
	    "192.0.2.10 192.0.2 192.0 192" },
	{ ACCESS_CLIENT, "192.0.2.10", "mail.example.com", NULL,
	    "192.0.2.10 192.0.2 192.0 192 mail.example.com example.com com" },
	{ ACCESS_CLIENT, "192.0.2.10", "unknown", NULL,
	    "192.0.2.10 192.0.2 192.0 192" },
	{ ACCESS_CLIENT, "192.0.2.10", "UNKNOWN", NULL,
	    "192.0.2.10 192.0.2 192.0 192" },
	{ ACCESS_CLIENT, "2001:DB8:0:0:0:0:0:1", NULL, NULL,
	    "2001:db8::1 2001:db8 2001" },
	{ ACCESS_CLIENT, "2001:db8:1:2:3:4:5:6", NULL, NULL,
	    "2001:db8:1:2:3:4:5:6 2001:db8:1:2:3:4:5 2001:db8:1:2:3:4 "
	    "2001:db8:1:2:3 2001:db8:1:2 2001:db8:1 2001:db8 2001" },
	{ ACCESS_CLIENT, "2001:db8::1:0:0:1", NULL, NULL,
	    "2001:db8::1:0:0:1 2001:db8::1:0:0 2001:db8::1:0 2001:db8::1 "
	    "2001:db8 2001" },
	{ ACCESS_CLIENT, "::1", "localhost", NULL, "::1 localhost" },
	{ ACCESS_CLIENT, "fe80::", NULL, NULL, "fe80:: fe80" },
	{ ACCESS_CLIENT, "::ffff:192.0.2.7", NULL, NULL,
	    "192.0.2.7 192.0.2 192.0 192" },
	{ ACCESS_CLIENT, "not-an-address", NULL, NULL, "not-an-address" },
	{ ACCESS_CLIENT, "", "host.example", NULL, "host.example example" },
	{ ACCESS_CLIENT, NULL, NULL, NULL, "" },
	{ ACCESS_HELO, "mail.example.com", NULL, NULL,
	    "mail.example.com example.com com" },
	{ ACCESS_HELO, "Mail.Example.COM.", NULL, NULL,
	    "Mail.Example.COM Example.COM COM" },
	{ ACCESS_HELO, "localhost", NULL, NULL, "localhost" },
	{ ACCESS_HELO, "[192.0.2.1]", NULL, NULL, "[192.0.2.1]" },
	{ ACCESS_HELO, "[IPv6:2001:db8::1]", NULL, NULL,
	    "[IPv6:2001:db8::1]" },
	{ ACCESS_HELO, "a..b", NULL, NULL, "a..b b" },
	{ ACCESS_HELO, ".", NULL, NULL, "" },
	{ ACCESS_HELO, "", NULL, NULL, "" },
	{ ACCESS_HELO, NULL, NULL, NULL, "" },
	{ ACCESS_SENDER, "user@example.com", NULL, NULL,
	    "user@example.com example.com com user@" },
	{ ACCESS_SENDER, "user+tag@mail.example.com", NULL, NULL,
	    "user+tag@mail.example.com user@mail.example.com "
	    "mail.example.com example.com com user+tag@ user@" },
	{ ACCESS_RECIPIENT, "user+a+b@example.com", NULL, NULL,
	    "user+a+b@example.com user@example.com example.com com "
	    "user+a+b@ user@" },
	{ ACCESS_RECIPIENT, "user-tag@example.com", NULL, "+-",
	    "user-tag@example.com user@example.com example.com com "
	    "user-tag@ user@" },
	{ ACCESS_RECIPIENT, "user+tag@example.com", NULL, "",
	    "user+tag@example.com example.com com user+tag@" },
	{ ACCESS_RECIPIENT, "+tag@example.com", NULL, NULL,
	    "+tag@example.com example.com com +tag@" },
	{ ACCESS_RECIPIENT, "postmaster", NULL, NULL,
	    "postmaster postmaster@" },
	{ ACCESS_RECIPIENT, "user+tag", NULL, NULL,
	    "user+tag user user+tag@ user@" },
	{ ACCESS_RECIPIENT, "user@[192.0.2.1]", NULL, NULL,
	    "user@[192.0.2.1] [192.0.2.1] user@" },
	{ ACCESS_RECIPIENT, "\"a@b\"@example.com", NULL, NULL,
	    "\"a@b\"@example.com example.com com \"a@b\"@" },
	{ ACCESS_RECIPIENT, "@example.com", NULL, NULL,
	    "@example.com example.com com" },
	{ ACCESS_RECIPIENT, "user@", NULL, NULL, "user@" },
	{ ACCESS_RECIPIENT, "user@example.com.", NULL, NULL,
	    "user@example.com. example.com com user@" },
	{ ACCESS_SENDER, "", NULL, NULL, "<>" },
	{ ACCESS_SENDER, "<>", NULL, NULL, "<>" },
	{ ACCESS_RECIPIENT, "", NULL, NULL, "" },
	{ ACCESS_SENDER, NULL, NULL, NULL, "" },
};

static void
test_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++)
		is_str(keys_of(key_cases[i].kind, key_cases[i].k1,
			   key_cases[i].k2, key_cases[i].delimiters, NULL),
		    key_cases[i].want, "%s keys of '%s' '%s'",
		    access_kind_name(key_cases[i].kind),
		    key_cases[i].k1 ? key_cases[i].k1 : "(null)",
		    key_cases[i].k2 ? key_cases[i].k2 : "(null)");
}

/* Every key of k is 1..max bytes and there are at most maxn of them. */
static bool
keys_bounded(enum access_kind kind, const char *k1, const char *k2,
    size_t max, size_t maxn, size_t *n_out)
{
	struct access_keys k;
	size_t i;

	access_keys(kind, k1, k2, NULL, &k);
	*n_out = k.n;
	if (k.n > maxn)
		return false;
	for (i = 0; i < k.n; i++)
		if (k.v[i].len == 0 || k.v[i].len > max)
			return false;
	return true;
}

/* Names and addresses far longer than any table key. */
static void
test_long_keys(void)
{
	struct buf b;
	size_t n = 0;
	size_t i;
	const char *got;

	buf_init(&b, 1 << 20);
	for (i = 0; i < 5000; i++)
		buf_adds(&b, "a.");
	buf_adds(&b, "example.com");
	ok(keys_bounded(ACCESS_HELO, buf_str(&b), NULL, ACCESS_MAX_NAME, 128,
	       &n), "padded HELO: at most 128 keys of at most %d bytes "
	    "(%zu)", ACCESS_MAX_NAME, n);
	got = keys_of(ACCESS_HELO, buf_str(&b), NULL, NULL, NULL);
	ok(strlen(got) > 15 &&
	    strcmp(got + strlen(got) - 15, "example.com com") == 0,
	    "padded HELO still ends with its parent domains");

	/* The most keys there can be: 8 for the address, 128 for a name. */
	buf_reset(&b);
	for (i = 0; i < 300; i++)
		buf_adds(&b, "a.");
	buf_adds(&b, "a");
	ok(keys_bounded(ACCESS_CLIENT, "2001:db8:1:2:3:4:5:6", buf_str(&b),
	       DICT_MAX_KEY, ACCESS_MAX_KEYS, &n) && n == 136,
	    "client with the most keys fits (%zu)", n);

	buf_reset(&b);
	buf_adds(&b, "user+");
	for (i = 0; i < 3000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "@example.com");
	is_str(keys_of(ACCESS_RECIPIENT, buf_str(&b), NULL, NULL, NULL),
	    "user@example.com example.com com user@",
	    "3000-byte extension: the too-long keys are left out");

	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'x');
	is_str(keys_of(ACCESS_HELO, buf_str(&b), NULL, NULL, NULL), "",
	    "100000-byte name without dots: no key");
	buf_adds(&b, "@");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, "y.");
	buf_adds(&b, "z");
	ok(keys_bounded(ACCESS_SENDER, buf_str(&b), NULL, DICT_MAX_KEY,
	       ACCESS_MAX_KEYS, &n), "300 kB address: bounded keys (%zu)", n);
	ok(keys_bounded(ACCESS_CLIENT, buf_str(&b), buf_str(&b),
	       DICT_MAX_KEY, ACCESS_MAX_KEYS, &n), "300 kB client: bounded "
	    "keys (%zu)", n);
	buf_fini(&b);
}

/* Actions */

static const struct {
	const char *value;
	int rc;
	enum access_action action;
	const char *reply;	/* "code enh text", or the text alone */
} action_cases[] = {
	{ "OK", 0, ACCESS_OK, "0  " },
	{ "ok", 0, ACCESS_OK, "0  " },
	{ "  Ok \t", 0, ACCESS_OK, "0  " },
	{ "OK please", -1, ACCESS_NONE, NULL },
	{ "DUNNO", 0, ACCESS_NONE, "0  " },
	{ "dunno at all", -1, ACCESS_NONE, NULL },
	{ "REJECT", 0, ACCESS_REJECT, "554 5.7.1 Access denied" },
	{ "reject Go away", 0, ACCESS_REJECT, "554 5.7.1 Go away" },
	{ "REJECT\tGo  away ", 0, ACCESS_REJECT, "554 5.7.1 Go  away" },
	{ "REJECT 5.7.26 DMARC says no", 0, ACCESS_REJECT,
	    "554 5.7.26 DMARC says no" },
	{ "REJECT 5.7.1", 0, ACCESS_REJECT, "554 5.7.1 Access denied" },
	{ "REJECT 4.7.1 wrong class", -1, ACCESS_NONE, NULL },
	{ "REJECT 5.7 short", -1, ACCESS_NONE, NULL },
	{ "REJECT 5.1234.1 long", -1, ACCESS_NONE, NULL },
	{ "REJECT 5.7.1x junk", -1, ACCESS_NONE, NULL },
	{ "REJECT 5.7.1. junk", -1, ACCESS_NONE, NULL },
	{ "REJECT 2.0.0 fine", -1, ACCESS_NONE, NULL },
	{ "REJECT 5 seconds", 0, ACCESS_REJECT, "554 5.7.1 5 seconds" },
	{ "DEFER", 0, ACCESS_DEFER, "450 4.7.1 Try again later" },
	{ "Defer busy now", 0, ACCESS_DEFER, "450 4.7.1 busy now" },
	{ "DEFER 4.2.2 mailbox full", 0, ACCESS_DEFER,
	    "450 4.2.2 mailbox full" },
	{ "DEFER 5.2.2 wrong class", -1, ACCESS_NONE, NULL },
	{ "550 No such user", 0, ACCESS_REJECT, "550 5.7.1 No such user" },
	{ "550 5.1.1 No such user", 0, ACCESS_REJECT,
	    "550 5.1.1 No such user" },
	{ "521", 0, ACCESS_REJECT, "521 5.7.1 Access denied" },
	{ "421 4.7.0 closing", 0, ACCESS_DEFER, "421 4.7.0 closing" },
	{ "450", 0, ACCESS_DEFER, "450 4.7.1 Try again later" },
	{ "459 4.999.999 max", 0, ACCESS_DEFER, "459 4.999.999 max" },
	{ "550 4.1.1 wrong class", -1, ACCESS_NONE, NULL },
	{ "250 ok", -1, ACCESS_NONE, NULL },
	{ "200", -1, ACCESS_NONE, NULL },
	{ "1", -1, ACCESS_NONE, NULL },
	{ "600 no", -1, ACCESS_NONE, NULL },
	{ "560 no", -1, ACCESS_NONE, NULL },
	{ "55 no", -1, ACCESS_NONE, NULL },
	{ "5500 no", -1, ACCESS_NONE, NULL },
	{ "550-multi", -1, ACCESS_NONE, NULL },
	{ "DISCARD", 0, ACCESS_DISCARD, "0  " },
	{ "discard spam trap", 0, ACCESS_DISCARD, "0  spam trap" },
	{ "HOLD", 0, ACCESS_HOLD, "0  " },
	{ "hold check by hand", 0, ACCESS_HOLD, "0  check by hand" },
	{ "", -1, ACCESS_NONE, NULL },
	{ " \t ", -1, ACCESS_NONE, NULL },
	{ "PERMIT", -1, ACCESS_NONE, NULL },
	{ "permit_mynetworks", -1, ACCESS_NONE, NULL },
	{ "REJECTED", -1, ACCESS_NONE, NULL },
	{ "PREPEND X-Foo: bar", -1, ACCESS_NONE, NULL },
	{ "REDIRECT a@b", -1, ACCESS_NONE, NULL },
	{ "REJECT bad\001text\there\r", 0, ACCESS_REJECT,
	    "554 5.7.1 bad?text here" },
	{ "REJECT caf\303\251", 0, ACCESS_REJECT, "554 5.7.1 caf??" },
	{ "REJECT a\r\n250 smuggled", 0, ACCESS_REJECT,
	    "554 5.7.1 a??250 smuggled" },
	{ "REJECT 100% %s %n", 0, ACCESS_REJECT, "554 5.7.1 100% %s %n" },
};

static void
reply_of(const struct access_result *r, char *out, size_t size)
{
	snprintf(out, size, "%d %s %s", r->code, r->enh, r->text);
}

/* s with control bytes shown as '^', for test names; borrowed until
 * the next call. */
static const char *
shown(const char *s)
{
	static char out[200];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(out) - 1; i++)
		out[i] = s[i] < 0x20 || s[i] > 0x7e ? '^' : s[i];
	out[i] = '\0';
	return out;
}

static void
test_actions(void)
{
	struct access_result r;
	struct why why;
	char got[400];
	size_t i;

	for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
		const char *value = action_cases[i].value;
		const char *v = shown(value);
		int rc;

		why.msg[0] = '\0';
		rc = access_parse_action(span_str(value), &r, &why);
		is_int(rc, action_cases[i].rc, "parse '%s'", v);
		if (rc == -1) {
			ok(why.msg[0] != '\0', "'%s': reason '%s'", v,
			    why.msg);
			continue;
		}
		is_str(access_action_name(r.action),
		    access_action_name(action_cases[i].action),
		    "'%s': action", v);
		reply_of(&r, got, sizeof(got));
		is_str(got, action_cases[i].reply, "'%s': reply", v);
	}
}

static void
test_action_text(void)
{
	struct access_result r;
	struct why why;
	struct buf b;
	size_t i;
	static const unsigned char nul[] = "REJECT a\0b";

	buf_init(&b, 4096);
	buf_adds(&b, "REJECT ");
	for (i = 0; i < 500; i++)
		buf_addc(&b, 'a' + i % 26);
	ok(access_parse_action(buf_span(&b), &r, &why) == 0 &&
	       strlen(r.text) == ACCESS_MAX_TEXT &&
	       memcmp(r.text, "abc", 3) == 0,
	    "500-byte text cut to %d bytes", ACCESS_MAX_TEXT);
	ok(access_parse_action(span_make(nul, sizeof(nul) - 1), &r, &why) ==
		   0 && strcmp(r.text, "a?b") == 0,
	    "NUL in the text is replaced");
	ok(access_parse_action(span_make(nul, 8), &r, &why) == 0 &&
	       strcmp(r.text, "a") == 0, "a span is not read past its end");
	ok(access_parse_action(span_str("HOLD"), &r, &why) == 0 &&
	       r.table == NULL && r.key[0] == '\0', "table and key cleared");
	ok(access_parse_action(span_str("FOO\001bar"), &r, &why) == -1 &&
	       strstr(why.msg, "FOO?bar") != NULL &&
	       strchr(why.msg, '\001') == NULL,
	    "the reason shows a bad word safely: %s", why.msg);
	buf_fini(&b);
	is_str(access_action_name(ACCESS_TEMP), "TEMP", "action name");
	is_str(access_kind_name(ACCESS_RECIPIENT), "recipient", "kind name");
}

/* Checks */

static struct access *
open_ok(const char *list, const char *delimiters)
{
	struct why why = { "" };
	struct access *a = access_open(list, delimiters, &why);

	ok(a != NULL, "open '%.60s' (%s)", list ? list : "(null)", why.msg);
	return a;
}

/*
 * Check and compare with want: "ACTION" or "ACTION code enh text", then
 * " [key]" when want_key is given.
 */
static void
expect(struct access *a, enum access_kind kind, const char *k1,
    const char *k2, const char *want, const char *want_key)
{
	struct access_result r;
	struct why why = { "" };
	char got[800];
	size_t n;

	if (a == NULL) {
		ok(false, "no table for %s", want);
		return;
	}
	access_check(a, kind, k1, k2, &r, &why);
	n = (size_t)snprintf(got, sizeof(got), "%s",
	    access_action_name(r.action));
	if (r.code != 0 || r.text[0] != '\0')
		n += (size_t)snprintf(got + n, sizeof(got) - n, " %d %s %s",
		    r.code, r.enh, r.text);
	if (want_key != NULL)
		snprintf(got + n, sizeof(got) - n, " [%s]", r.key);
	is_str(got, want, "%s check '%.40s' '%s'", access_kind_name(kind),
	    k1 ? k1 : "(null)", k2 ? k2 : "(null)");
	if (r.action == ACCESS_TEMP)
		diag("why: %s", why.msg);
	if (r.action == ACCESS_NONE)
		ok(r.table == NULL && r.key[0] == '\0', "NONE: no table or key");
	else
		ok(r.table != NULL, "table named: %s", r.table);
}

static void
test_open(void)
{
	struct why why = { "" };
	struct access *a;

	a = open_ok(NULL, NULL);
	expect(a, ACCESS_CLIENT, "192.0.2.1", "x.example", "NONE", NULL);
	access_close(&a);
	ok(a == NULL, "close clears the pointer");
	access_close(&a);
	access_close(NULL);
	a = open_ok("", "");
	expect(a, ACCESS_HELO, "x.example", NULL, "NONE", NULL);
	access_close(&a);
	a = open_ok(" , ", NULL);
	access_close(&a);

	ok(access_open("inline:{a=OK}, foo:bar", NULL, &why) == NULL &&
	       strstr(why.msg, "foo:bar") != NULL,
	    "unknown table type refused: %s", why.msg);
	ok(access_open("/etc/postern/access", NULL, &why) == NULL,
	    "bare path refused: %s", why.msg);
	ok(access_open("hash:/nonexistent/access", NULL, &why) == NULL,
	    "missing hash file refused: %s", why.msg);
	ok(access_open("inline:{a}", NULL, &why) == NULL,
	    "bad inline table refused: %s", why.msg);
}

static void
test_inline(void)
{
	struct access *a;

	a = open_ok("inline:{192.0.2 = REJECT net, 192.0.2.10 = OK, "
		    "10 = 521 5.7.0 go away, 2001:db8 = DEFER, "
		    "spam.example = DISCARD trap, held.example = HOLD, "
		    "bad.example = PERMIT, dunno.bad.example = DUNNO, "
		    "mail.example.com = DUNNO, example.com = REJECT}",
	    NULL);
	expect(a, ACCESS_CLIENT, "192.0.2.10", NULL, "OK [192.0.2.10]",
	    "");
	expect(a, ACCESS_CLIENT, "192.0.2.11", NULL,
	    "REJECT 554 5.7.1 net [192.0.2]", "");
	expect(a, ACCESS_CLIENT, "10.1.2.3", "host.example.com",
	    "REJECT 521 5.7.0 go away [10]", "");
	expect(a, ACCESS_CLIENT, "2001:db8::25", NULL,
	    "DEFER 450 4.7.1 Try again later [2001:db8]", "");
	expect(a, ACCESS_CLIENT, "198.51.100.1", "a.spam.example",
	    "DISCARD 0  trap [spam.example]", "");
	expect(a, ACCESS_CLIENT, "198.51.100.1", "held.example",
	    "HOLD [held.example]", "");
	expect(a, ACCESS_CLIENT, "198.51.100.1", "unknown", "NONE", NULL);
	expect(a, ACCESS_CLIENT, "198.51.100.1", NULL, "NONE", NULL);
	/* The address is tried before the name. */
	expect(a, ACCESS_CLIENT, "192.0.2.10", "x.spam.example",
	    "OK [192.0.2.10]", "");
	/* DUNNO stops the search in this table before a parent domain. */
	expect(a, ACCESS_HELO, "mail.example.com", NULL, "NONE", NULL);
	expect(a, ACCESS_HELO, "MAIL.Example.com.", NULL, "NONE", NULL);
	expect(a, ACCESS_HELO, "other.example.com", NULL,
	    "REJECT 554 5.7.1 Access denied [example.com]", "");
	expect(a, ACCESS_HELO, "x.bad.example", NULL,
	    "TEMP 451 4.3.5 Server configuration error [bad.example]", "");
	expect(a, ACCESS_HELO, "dunno.bad.example", NULL, "NONE", NULL);
	expect(a, ACCESS_HELO, "[192.0.2.10]", NULL, "NONE", NULL);
	expect(a, ACCESS_HELO, NULL, NULL, "NONE", NULL);
	access_close(&a);
}

static void
test_mail(void)
{
	struct access *a;

	a = open_ok("inline:{<> = REJECT no bounces here, "
		    "user@example.com = REJECT whole address, "
		    "vip+x@example.com = OK, other.org = 550 5.7.1 no org, "
		    "postmaster@ = OK, abuse+x@ = DEFER, "
		    "trap@example.net = DISCARD}",
	    NULL);
	expect(a, ACCESS_SENDER, "", NULL,
	    "REJECT 554 5.7.1 no bounces here [<>]", "");
	expect(a, ACCESS_SENDER, "<>", NULL,
	    "REJECT 554 5.7.1 no bounces here [<>]", "");
	expect(a, ACCESS_RECIPIENT, "", NULL, "NONE", NULL);
	expect(a, ACCESS_RECIPIENT, "User@Example.COM", NULL,
	    "REJECT 554 5.7.1 whole address [User@Example.COM]", "");
	expect(a, ACCESS_RECIPIENT, "user+tag@example.com", NULL,
	    "REJECT 554 5.7.1 whole address [user@example.com]", "");
	expect(a, ACCESS_RECIPIENT, "vip+x@example.com", NULL,
	    "OK [vip+x@example.com]", "");
	expect(a, ACCESS_RECIPIENT, "vip+y@example.com", NULL, "NONE",
	    NULL);
	expect(a, ACCESS_SENDER, "someone@mx.other.org", NULL,
	    "REJECT 550 5.7.1 no org [other.org]", "");
	/* Domain keys come before "user@". */
	expect(a, ACCESS_RECIPIENT, "postmaster@other.org", NULL,
	    "REJECT 550 5.7.1 no org [other.org]", "");
	expect(a, ACCESS_RECIPIENT, "postmaster+x@example.org", NULL,
	    "OK [postmaster@]", "");
	expect(a, ACCESS_RECIPIENT, "abuse+x@example.org", NULL,
	    "DEFER 450 4.7.1 Try again later [abuse+x@]", "");
	expect(a, ACCESS_RECIPIENT, "trap@example.net", NULL, "DISCARD",
	    NULL);
	access_close(&a);

	a = open_ok("inline:{user@example.com = REJECT}", "-");
	expect(a, ACCESS_RECIPIENT, "user-x@example.com", NULL,
	    "REJECT 554 5.7.1 Access denied [user@example.com]", "");
	expect(a, ACCESS_RECIPIENT, "user+x@example.com", NULL, "NONE",
	    NULL);
	access_close(&a);
}

/* Every key of one table is tried before the next table; DUNNO goes on
 * to the next table. */
static void
test_order(void)
{
	struct access *a;

	a = open_ok("inline:{192.0.2 = REJECT first table}, "
		    "inline:{192.0.2.10 = OK}",
	    NULL);
	expect(a, ACCESS_CLIENT, "192.0.2.10", NULL,
	    "REJECT 554 5.7.1 first table [192.0.2]", "");
	access_close(&a);

	a = open_ok("inline:{x.example.com = DUNNO, example.com = OK}, "
		    "inline:{example.com = REJECT second}",
	    NULL);
	expect(a, ACCESS_HELO, "x.example.com", NULL,
	    "REJECT 554 5.7.1 second [example.com]", "");
	expect(a, ACCESS_HELO, "y.example.com", NULL, "OK [example.com]",
	    "");
	access_close(&a);

	a = open_ok("inline:{ }, static:DUNNO, inline:{com = HOLD}", NULL);
	expect(a, ACCESS_HELO, "x.example.com", NULL, "HOLD [com]", "");
	access_close(&a);

	/* A list splits at blanks: a static: value is one word. */
	a = open_ok("static:REJECT", NULL);
	expect(a, ACCESS_CLIENT, "192.0.2.1", "h.example",
	    "REJECT 554 5.7.1 Access denied [192.0.2.1]", "");
	expect(a, ACCESS_HELO, NULL, NULL, "NONE", NULL);
	access_close(&a);

	/* A bad value stops the walk: it is never skipped. */
	a = open_ok("inline:{example.com = OKAY}, static:OK", NULL);
	expect(a, ACCESS_HELO, "example.com", NULL,
	    "TEMP 451 4.3.5 Server configuration error [example.com]", "");
	access_close(&a);
}

/* Padded names and addresses still meet their real keys. */
static void
test_long_checks(void)
{
	struct access *a;
	struct buf b;
	size_t i;

	a = open_ok("inline:{example.com = REJECT, user@example.org = "
		    "REJECT}",
	    NULL);
	buf_init(&b, 1 << 20);
	for (i = 0; i < 30000; i++)
		buf_adds(&b, "a.");
	buf_adds(&b, "example.com");
	expect(a, ACCESS_HELO, buf_str(&b), NULL,
	    "REJECT 554 5.7.1 Access denied [example.com]", "");
	buf_reset(&b);
	buf_adds(&b, "user+");
	for (i = 0; i < 70000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "@example.org");
	expect(a, ACCESS_RECIPIENT, buf_str(&b), NULL,
	    "REJECT 554 5.7.1 Access denied [user@example.org]", "");
	access_close(&a);

	/* A value too long for the buffer is a temporary failure. */
	buf_reset(&b);
	buf_adds(&b, "inline:{k = REJECT ");
	for (i = 0; i < ACCESS_MAX_VALUE; i++)
		buf_addc(&b, 'v');
	buf_adds(&b, "}");
	a = open_ok(buf_str(&b), NULL);
	expect(a, ACCESS_HELO, "k", NULL,
	    "TEMP 451 4.3.0 Temporary lookup failure [k]", "");
	access_close(&a);
	buf_fini(&b);
}

/* Real files built by dict_build; a vanished file is TEMP. */
static void
test_file(const char *type)
{
	struct access *a;
	struct access_result r;
	struct why why = { "" };
	char spec[600];
	char file[600];

	write_file(tpath("access"),
	    "# client and sender rules\n"
	    "192.0.2        REJECT 5.7.1 Your network is blocked\n"
	    "192.0.2.25     OK\n"
	    "2001:db8:dead  421 4.7.0 Come back later\n"
	    "Example.NET    DEFER\n"
	    "spam@          DISCARD\n"
	    "<>             HOLD null sender\n"
	    "broken.example maybe\n");
	ok(dict_build(type, tpath("access"), NULL, &why) == 0,
	    "%s: build (%s)", type, why.msg);
	snprintf(spec, sizeof(spec), "%s:%s", type, tpath("access"));
	snprintf(file, sizeof(file), "%s.%s", tpath("access"),
	    strcmp(type, "hash") == 0 ? "db" : "lmdb");
	a = open_ok(spec, NULL);
	expect(a, ACCESS_CLIENT, "192.0.2.25", NULL, "OK [192.0.2.25]", "");
	expect(a, ACCESS_CLIENT, "192.0.2.26", NULL,
	    "REJECT 554 5.7.1 Your network is blocked [192.0.2]", "");
	expect(a, ACCESS_CLIENT, "2001:db8:dead::1", NULL,
	    "DEFER 421 4.7.0 Come back later [2001:db8:dead]", "");
	expect(a, ACCESS_SENDER, "user@mail.example.net", NULL,
	    "DEFER 450 4.7.1 Try again later [example.net]", "");
	expect(a, ACCESS_SENDER, "spam+x@example.org", NULL,
	    "DISCARD [spam@]", "");
	expect(a, ACCESS_SENDER, "", NULL, "HOLD 0  null sender [<>]", "");
	expect(a, ACCESS_SENDER, "user@example.org", NULL, "NONE", NULL);
	expect(a, ACCESS_HELO, "broken.example", NULL,
	    "TEMP 451 4.3.5 Server configuration error [broken.example]",
	    "");
	access_check(a, ACCESS_HELO, "broken.example", NULL, &r, &why);
	ok(strstr(why.msg, spec) != NULL && strstr(why.msg, "maybe") != NULL,
	    "%s: bad action reason names table and value: %s", type,
	    why.msg);
	ok(r.table != NULL && strcmp(r.table, spec) == 0,
	    "%s: result names the table", type);

	/* The file vanishes: TEMP, never "not found". */
	unlink(file);
	expect(a, ACCESS_CLIENT, "198.51.100.1", NULL,
	    "TEMP 451 4.3.0 Temporary lookup failure [198.51.100.1]", "");
	why.msg[0] = '\0';
	access_check(a, ACCESS_SENDER, "", NULL, &r, &why);
	ok(r.action == ACCESS_TEMP && strstr(why.msg, file) != NULL,
	    "%s: vanished file: reason names it: %s", type, why.msg);

	/* Rebuilt: served again. */
	write_file(tpath("access"), "192.0.2 OK\n");
	ok(dict_build(type, tpath("access"), NULL, &why) == 0,
	    "%s: rebuild (%s)", type, why.msg);
	expect(a, ACCESS_CLIENT, "192.0.2.26", NULL, "OK [192.0.2]", "");
	access_close(&a);
	unlink(file);
	unlink(tpath("access"));
}

struct worker_arg {
	struct access *a;
	int bad;
};

static void *
worker(void *p)
{
	struct worker_arg *w = p;
	struct access_result r;
	struct why why;
	int i;

	for (i = 0; i < 2000; i++) {
		char addr[32];
		enum access_action want = i % 2 ? ACCESS_REJECT : ACCESS_NONE;

		snprintf(addr, sizeof(addr), "192.0.%d.%d", 2 + i % 2, i % 250);
		if (access_check(w->a, ACCESS_CLIENT, addr, NULL, &r, &why) !=
		    want)
			w->bad++;
	}
	return NULL;
}

static void
test_threads(const char *type)
{
	struct worker_arg w[4];
	pthread_t t[4];
	struct access *a;
	struct why why;
	char spec[600];
	int i;
	int bad = 0;

	write_file(tpath("threads"), "192.0.3 REJECT\n");
	if (dict_build(type, tpath("threads"), NULL, &why) == -1)
		diag("build: %s", why.msg);
	snprintf(spec, sizeof(spec), "%s:%s", type, tpath("threads"));
	if ((a = open_ok(spec, NULL)) == NULL)
		return;
	for (i = 0; i < 4; i++) {
		w[i].a = a;
		w[i].bad = 0;
		if (pthread_create(&t[i], NULL, worker, &w[i]) != 0)
			w[i].a = NULL;
	}
	for (i = 0; i < 4; i++) {
		if (w[i].a == NULL) {
			bad++;
			continue;
		}
		pthread_join(t[i], NULL);
		bad += w[i].bad;
	}
	is_int(bad, 0, "%s: 4 threads x 2000 checks on one table", type);
	access_close(&a);
	unlink(tpath("threads.db"));
	unlink(tpath("threads.lmdb"));
	unlink(tpath("threads"));
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_keys();
	test_long_keys();
	test_actions();
	test_action_text();
	test_open();
	test_inline();
	test_mail();
	test_order();
	test_long_checks();
	test_file("hash");
	test_file("lmdb");
	test_threads("hash");
	test_threads("lmdb");
	ok(rmdir(tmpdir) == 0, "temporary directory removed");
	return done_testing();
}
