/*
 * passwd_test.c - unit tests for lib/auth/passwd: hashing round trips,
 * verification against hashes made here with fixed salts ($y$, $7$, $6$,
 * $5$, $2b$) and a published SHA-512 crypt vector, {SCHEME} prefixes,
 * locked and refused hashes, bad passwords, and passwd_equal.
 */
#include <crypt.h>

#include "auth/passwd.h"
#include "base/xmem.h"
#include "tap.h"

/* crypt_rn of password with a salt made from fixed "random" bytes. */
static void
make_hash(const char *prefix, unsigned long cost, const char *password,
    char *out, size_t size)
{
	static const char rbytes[16] = "0123456789abcdef";
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h;

	out[0] = '\0';
	if (crypt_gensalt_rn(prefix, cost, rbytes, sizeof(rbytes), setting,
		sizeof(setting)) == NULL) {
		diag("crypt_gensalt %s failed", prefix);
	} else if ((h = crypt_rn(password, setting, cd, sizeof(*cd))) ==
	    NULL) {
		diag("crypt %s failed", setting);
	} else {
		snprintf(out, size, "%s", h);
	}
	xfree(&cd);
}

static enum passwd_res
verify(const char *password, const char *stored, struct why *why)
{
	return passwd_verify(span_str(password), stored, why);
}

static void
test_roundtrip(void)
{
	char h[PASSWD_HASH_SIZE];
	char small[8];
	struct why why;

	is_int(passwd_hash("s3cret", PASSWD_YESCRYPT, h, sizeof(h), &why), 0,
	    "hash yescrypt");
	ok(strncmp(h, "$y$", 3) == 0, "yescrypt hash starts with $y$: %s", h);
	is_int(verify("s3cret", h, &why), PASSWD_MATCH, "yescrypt matches");
	is_int(verify("s3creT", h, &why), PASSWD_MISMATCH, "wrong password");
	is_str(why.msg, "password mismatch", "mismatch reason");
	is_int(passwd_hash("s3cret", PASSWD_SHA512, h, sizeof(h), &why), 0,
	    "hash sha512");
	ok(strncmp(h, "$6$", 3) == 0, "sha512 hash starts with $6$: %s", h);
	is_int(verify("s3cret", h, &why), PASSWD_MATCH, "sha512 matches");
	is_int(verify("", h, &why), PASSWD_MISMATCH, "empty password");
	{
		char h2[PASSWD_HASH_SIZE];

		passwd_hash("s3cret", PASSWD_SHA512, h2, sizeof(h2), &why);
		ok(strcmp(h, h2) != 0, "a fresh salt each time");
	}
	is_int(passwd_hash("", PASSWD_YESCRYPT, h, sizeof(h), &why), -1,
	    "empty password not hashed");
	is_int(passwd_hash("x", PASSWD_YESCRYPT, small, sizeof(small), &why),
	    -1, "output too small: %s", why.msg);
	is_int(passwd_hash("x", (enum passwd_scheme)7, h, sizeof(h), &why), -1,
	    "unknown scheme: %s", why.msg);
}

static void
test_long_hash_input(void)
{
	char *pw = xmalloc(PASSWD_MAX_LEN + 2);
	char h[PASSWD_HASH_SIZE];
	struct why why;

	memset(pw, 'a', PASSWD_MAX_LEN + 1);
	pw[PASSWD_MAX_LEN + 1] = '\0';
	is_int(passwd_hash(pw, PASSWD_SHA512, h, sizeof(h), &why), -1,
	    "overlong password not hashed");
	pw[PASSWD_MAX_LEN] = '\0';
	is_int(passwd_hash(pw, PASSWD_SHA512, h, sizeof(h), &why), 0,
	    "longest password hashed");
	is_int(passwd_verify(span_make(pw, PASSWD_MAX_LEN), h, &why),
	    PASSWD_MATCH, "longest password verifies");
	pw[PASSWD_MAX_LEN] = 'a';
	is_int(passwd_verify(span_make(pw, PASSWD_MAX_LEN + 1), h, &why),
	    PASSWD_MISMATCH, "overlong password: %s", why.msg);
	xfree(&pw);
}

static void
test_vectors(void)
{
	static const struct {
		const char *prefix;
		unsigned long cost;
	} v[] = { { "$y$", 1 }, { "$7$", 6 }, { "$6$", 1000 },
		{ "$5$", 1000 }, { "$2b$", 4 } };
	char h[CRYPT_OUTPUT_SIZE];
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		make_hash(v[i].prefix, v[i].cost, "correct horse", h,
		    sizeof(h));
		ok(strncmp(h, v[i].prefix, strlen(v[i].prefix)) == 0,
		    "%s vector made: %s", v[i].prefix, h);
		is_int(verify("correct horse", h, &why), PASSWD_MATCH,
		    "%s matches", v[i].prefix);
		is_int(verify("correct horsE", h, &why), PASSWD_MISMATCH,
		    "%s mismatch", v[i].prefix);
	}
	/* Drepper's "Unix crypt using SHA-256 and SHA-512", test 1. */
	is_int(verify("Hello world!",
		   "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3u"
		   "BnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
		   &why),
	    PASSWD_MATCH, "published SHA-512 crypt vector");
}

static const struct {
	const char *scheme;
	int which;	/* 0 y, 1 six, 2 five, 3 bcrypt */
	enum passwd_res want;
} scheme_cases[] = {
	{ "{CRYPT}", 0, PASSWD_MATCH },
	{ "{crypt}", 1, PASSWD_MATCH },
	{ "{CRYPT}", 3, PASSWD_MATCH },
	{ "{YESCRYPT}", 0, PASSWD_MATCH },
	{ "{yesCrypt}", 0, PASSWD_MATCH },
	{ "{SHA512-CRYPT}", 1, PASSWD_MATCH },
	{ "{sha512-crypt}", 1, PASSWD_MATCH },
	{ "{SHA256-CRYPT}", 2, PASSWD_MATCH },
	{ "{BLF-CRYPT}", 3, PASSWD_MATCH },
	{ "{Blf-Crypt}", 3, PASSWD_MATCH },
	{ "{SHA512-CRYPT}", 0, PASSWD_BADHASH },
	{ "{SHA256-CRYPT}", 1, PASSWD_BADHASH },
	{ "{YESCRYPT}", 1, PASSWD_BADHASH },
	{ "{BLF-CRYPT}", 2, PASSWD_BADHASH },
	{ "{PLAIN}", 0, PASSWD_BADHASH },
	{ "{CLEARTEXT}", 0, PASSWD_BADHASH },
	{ "{SSHA}", 0, PASSWD_BADHASH },
	{ "{MD5}", 0, PASSWD_BADHASH },
	{ "{}", 0, PASSWD_BADHASH },
	{ "{CRYPT", 0, PASSWD_BADHASH },
};

static void
test_schemes(void)
{
	char y[CRYPT_OUTPUT_SIZE];
	char six[CRYPT_OUTPUT_SIZE];
	char five[CRYPT_OUTPUT_SIZE];
	char b[CRYPT_OUTPUT_SIZE];
	char s[CRYPT_OUTPUT_SIZE + 32];
	struct why why;
	const char *hashes[4] = { y, six, five, b };
	size_t i;

	make_hash("$y$", 1, "pw", y, sizeof(y));
	make_hash("$6$", 1000, "pw", six, sizeof(six));
	make_hash("$5$", 1000, "pw", five, sizeof(five));
	make_hash("$2b$", 4, "pw", b, sizeof(b));
	for (i = 0; i < sizeof(scheme_cases) / sizeof(scheme_cases[0]); i++) {
		snprintf(s, sizeof(s), "%s%s", scheme_cases[i].scheme,
		    hashes[scheme_cases[i].which]);
		why.msg[0] = '\0';
		is_int(verify("pw", s, &why), scheme_cases[i].want,
		    "%s on %.4s: %s", scheme_cases[i].scheme,
		    hashes[scheme_cases[i].which], why.msg);
	}
	is_int(verify("pw", "{PLAIN}pw", &why), PASSWD_BADHASH,
	    "{PLAIN} refused even when it would match");
	is_str(why.msg, "unsupported scheme {PLAIN}", "reason names it");
	is_int(verify("pw", "{\001\002}x", &why), PASSWD_BADHASH,
	    "unprintable scheme");
	is_str(why.msg, "unsupported scheme", "not quoted back");
}

static void
test_refused(void)
{
	static const struct {
		const char *stored;
		const char *why;
	} cases[] = {
		{ "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
		    "MD5-crypt hashes are too weak" },
		{ "abJnggxhB/yWI", "DES crypt hashes are too weak" },
		{ "_J9..CCCCXBrJUJV154M", "DES crypt hashes are too weak" },
		{ "$3$$8846f7eaee8fb117ad06bdd830b7586c",
		    "unsupported crypt method" },
		{ "$gy$j9T$abc$def", "unsupported crypt method" },
		{ "$y$", "unsupported crypt method" },
		{ "plaintext", "not a crypt hash" },
		{ "abJnggxhB/yW~", "not a crypt hash" },
		{ "$6$", "unsupported crypt method" },
		{ "$2b$99$abcdefghijklmnopqrstuu", "malformed bcrypt hash" },
	};
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(verify("pw", cases[i].stored, &why), PASSWD_BADHASH,
		    "refused: %s", cases[i].stored);
		is_str(why.msg, cases[i].why, "reason for %s", cases[i].stored);
	}
}

static void
test_locked(void)
{
	static const char *const locked[] = { "", "!", "*", "!$6$x$y",
		"*LK*", "{CRYPT}", "{CRYPT}!$y$abc", "{SHA512-CRYPT}*",
		"!!" };
	char h[CRYPT_OUTPUT_SIZE];
	char s[CRYPT_OUTPUT_SIZE + 8];
	struct why why;
	size_t i;

	for (i = 0; i < sizeof(locked) / sizeof(locked[0]); i++) {
		is_int(verify("pw", locked[i], &why), PASSWD_LOCKED,
		    "locked: \"%s\"", locked[i]);
		ok(passwd_locked(span_str(locked[i])), "passwd_locked \"%s\"",
		    locked[i]);
	}
	is_str(why.msg, "password locked", "locked reason");
	make_hash("$6$", 1000, "pw", h, sizeof(h));
	snprintf(s, sizeof(s), "!%s", h);
	is_int(verify("pw", s, &why), PASSWD_LOCKED,
	    "a locked hash never matches its password");
	ok(!passwd_locked(span_str(h)), "a hash is not locked");
	ok(!passwd_locked(span_str("{CRYPT}$y$x")), "{CRYPT}$y$ not locked");
	ok(!passwd_locked(span_str("{CRYPT!")), "unterminated not locked");
}

static void
test_bad_passwords(void)
{
	char h[CRYPT_OUTPUT_SIZE];
	struct why why;

	make_hash("$6$", 1000, "ab", h, sizeof(h));
	is_int(passwd_verify(span_make("ab", 2), h, &why), PASSWD_MATCH,
	    "span password matches");
	is_int(passwd_verify(span_make("ab\0c", 4), h, &why), PASSWD_MISMATCH,
	    "NUL inside the password");
	is_str(why.msg, "password too long or holds a NUL byte",
	    "NUL reason");
	is_int(passwd_verify(span_make("ab\0", 3), h, &why), PASSWD_MISMATCH,
	    "trailing NUL is not ignored");
	is_int(passwd_verify(span_make("a", 1), h, &why), PASSWD_MISMATCH,
	    "prefix of the password");
	is_int(passwd_verify(span_make(NULL, 0), h, &why), PASSWD_MISMATCH,
	    "empty span");
	/* A bare setting hashes to something longer: it never matches. */
	is_int(verify("", "$6$x", &why), PASSWD_MISMATCH, "bare setting");
}

static void
test_equal(void)
{
	ok(passwd_equal("abc", 3, "abc", 3), "equal");
	ok(!passwd_equal("abc", 3, "abd", 3), "last byte differs");
	ok(!passwd_equal("xbc", 3, "abc", 3), "first byte differs");
	ok(!passwd_equal("abc", 3, "abcd", 4), "b longer");
	ok(!passwd_equal("abcd", 4, "abc", 3), "a longer");
	ok(!passwd_equal("abc", 3, "abc\0", 4), "trailing NUL counts");
	ok(passwd_equal("", 0, "", 0), "both empty");
	ok(passwd_equal(NULL, 0, NULL, 0), "both NULL and empty");
	ok(!passwd_equal("", 0, "a", 1), "empty and not");
	ok(!passwd_equal("a", 1, NULL, 0), "not and empty");
	ok(passwd_equal("a\0b", 3, "a\0b", 3), "binary equal");
	ok(!passwd_equal("a\0b", 3, "a\0c", 3), "binary differs");
}

static void
test_scheme_names(void)
{
	enum passwd_scheme s = PASSWD_SHA512;

	is_int(passwd_scheme_from_name("yescrypt", &s), 0, "yescrypt");
	is_int(s, PASSWD_YESCRYPT, "is yescrypt");
	is_int(passwd_scheme_from_name("SHA512", &s), 0, "SHA512");
	is_int(s, PASSWD_SHA512, "is sha512");
	is_int(passwd_scheme_from_name("md5", &s), -1, "md5 refused");
	is_int(passwd_scheme_from_name("", &s), -1, "empty refused");
}

int
main(void)
{
	test_roundtrip();
	test_long_hash_input();
	test_vectors();
	test_schemes();
	test_refused();
	test_locked();
	test_bad_passwords();
	test_equal();
	test_scheme_names();
	return done_testing();
}
