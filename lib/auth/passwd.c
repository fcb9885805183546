/*
 * passwd.c - hash passwords with crypt(3) (libxcrypt) and verify them
 * against stored hashes, refusing weak or unknown methods.
 * Linked into: authd, postern (user) and the unit tests.  Trust: the
 * password is peer data, the stored hash is admin data; both are
 * bounded and checked before libxcrypt sees them, and every copy of the
 * password and of crypt's scratch state is wiped.
 */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/passwd.h"
#include "base/xmem.h"

_Static_assert(PASSWD_HASH_SIZE >= CRYPT_OUTPUT_SIZE,
    "PASSWD_HASH_SIZE must hold any crypt output");
_Static_assert(PASSWD_MAX_LEN < CRYPT_MAX_PASSPHRASE_SIZE,
    "libxcrypt must accept every password up to PASSWD_MAX_LEN");

/* Hash families; F_ANY is what {CRYPT} asks for. */
enum family {
	F_ANY,
	F_YESCRYPT,
	F_SCRYPT,
	F_SHA512,
	F_SHA256,
	F_BCRYPT,
};

static const struct {
	const char *prefix;
	enum family fam;
} accepted[] = {
	{ "$y$", F_YESCRYPT }, { "$7$", F_SCRYPT },  { "$6$", F_SHA512 },
	{ "$5$", F_SHA256 },   { "$2a$", F_BCRYPT }, { "$2b$", F_BCRYPT },
	{ "$2y$", F_BCRYPT },
};

static const struct {
	const char *name;
	enum family fam;
} schemes[] = {
	{ "CRYPT", F_ANY },	      { "YESCRYPT", F_YESCRYPT },
	{ "SHA512-CRYPT", F_SHA512 }, { "SHA256-CRYPT", F_SHA256 },
	{ "BLF-CRYPT", F_BCRYPT },
};

static const char *const family_names[] = {
	[F_ANY] = "crypt",	    [F_YESCRYPT] = "yescrypt",
	[F_SCRYPT] = "scrypt",	    [F_SHA512] = "SHA-512 crypt",
	[F_SHA256] = "SHA-256 crypt", [F_BCRYPT] = "bcrypt",
};

/* Longest scheme name quoted back in a reason. */
#define SCHEME_NAME_SHOWN 32

bool
passwd_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *pa = a;
	const volatile unsigned char *pb = b;
	size_t n = alen > blen ? alen : blen;
	size_t diff = alen ^ blen;
	size_t i;

	/* Every byte of the longer input is read whatever the contents. */
	for (i = 0; i < n; i++) {
		unsigned char x = i < alen ? pa[i] : 0;
		unsigned char y = i < blen ? pb[i] : 0;

		diff |= (size_t)(x ^ y);
	}
	return diff == 0;
}

static bool
is_printable(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] < 0x21 || s.p[i] > 0x7e)
			return false;
	return true;
}

/*
 * Split an optional "{SCHEME}" off stored: *hash_out is the rest and
 * *want_out the family the scheme demands.  0, or -1 with why.
 */
static int
split_scheme(struct span stored, enum family *want_out,
    struct span *hash_out, struct why *why)
{
	struct span name;
	long close;
	size_t i;

	*want_out = F_ANY;
	*hash_out = stored;
	if (stored.len == 0 || stored.p[0] != '{')
		return 0;
	if ((close = span_chr(stored, '}')) == -1)
		return why_set(why, "unterminated {SCHEME} prefix");
	name = span_sub(stored, 1, (size_t)close - 1);
	*hash_out = span_sub(stored, (size_t)close + 1, stored.len);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (span_eq_nocase(name, schemes[i].name)) {
			*want_out = schemes[i].fam;
			return 0;
		}
	}
	if (name.len <= SCHEME_NAME_SHOWN && is_printable(name))
		return why_set(why, "unsupported scheme {%.*s}",
		    (int)name.len, (const char *)name.p);
	return why_set(why, "unsupported scheme");
}

/* Only the characters of crypt's base 64: ./0-9A-Za-z. */
static bool
is_des_alphabet(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];

		if (!((c >= '.' && c <= '9') || (c >= 'A' && c <= 'Z') ||
			(c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

/* The family of a crypt hash.  0, or -1 with why (weak or unknown). */
static int
identify(struct span hash, enum family *fam_out, struct why *why)
{
	size_t i;

	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		if (hash.len > strlen(accepted[i].prefix) &&
		    memcmp(hash.p, accepted[i].prefix,
			strlen(accepted[i].prefix)) == 0) {
			*fam_out = accepted[i].fam;
			return 0;
		}
	}
	if (hash.len >= 3 && memcmp(hash.p, "$1$", 3) == 0)
		return why_set(why, "MD5-crypt hashes are too weak");
	if ((hash.len == 13 && is_des_alphabet(hash)) ||
	    (hash.len == 20 && hash.p[0] == '_' &&
		is_des_alphabet(span_sub(hash, 1, 19))))
		return why_set(why, "DES crypt hashes are too weak");
	if (hash.len > 0 && hash.p[0] == '$')
		return why_set(why, "unsupported crypt method");
	return why_set(why, "not a crypt hash");
}

bool
passwd_locked(struct span stored)
{
	struct span hash = stored;
	long close;

	if (stored.len > 0 && stored.p[0] == '{' &&
	    (close = span_chr(stored, '}')) != -1)
		hash = span_sub(stored, (size_t)close + 1, stored.len);
	return hash.len == 0 || hash.p[0] == '!' || hash.p[0] == '*';
}

/* Hash password with the settings in hash (NUL-terminated) and compare. */
static enum passwd_res
check_hash(struct span password, const char *hash, enum family fam,
    struct why *why)
{
	char pw[PASSWD_MAX_LEN + 1];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *out;
	enum passwd_res r;

	if (password.len > 0)
		memcpy(pw, password.p, password.len);
	pw[password.len] = '\0';
	out = crypt_rn(pw, hash, cd, (int)sizeof(*cd));
	if (out == NULL || out[0] == '*') {
		why_set(why, "malformed %s hash", family_names[fam]);
		r = PASSWD_BADHASH;
	} else if (passwd_equal(out, strlen(out), hash, strlen(hash))) {
		r = PASSWD_MATCH;
	} else {
		why_set(why, "password mismatch");
		r = PASSWD_MISMATCH;
	}
	secret_wipe(pw, password.len + 1);
	secret_wipe(cd, sizeof(*cd));
	xfree(&cd);
	return r;
}

enum passwd_res
passwd_verify(struct span password, const char *stored, struct why *why)
{
	struct span hash;
	enum family want;
	enum family got = F_ANY;

	if (split_scheme(span_str(stored), &want, &hash, why) == -1)
		return PASSWD_BADHASH;
	if (passwd_locked(hash)) {
		why_set(why, "password locked");
		return PASSWD_LOCKED;
	}
	if (identify(hash, &got, why) == -1)
		return PASSWD_BADHASH;
	if (want != F_ANY && want != got) {
		why_set(why, "scheme wants %s, hash is %s", family_names[want],
		    family_names[got]);
		return PASSWD_BADHASH;
	}
	if (hash.len >= CRYPT_OUTPUT_SIZE) {
		why_set(why, "%s hash too long", family_names[got]);
		return PASSWD_BADHASH;
	}
	/* Bounded before hashing: a huge password must not cost CPU time. */
	if (password.len > PASSWD_MAX_LEN ||
	    (password.len > 0 &&
		memchr(password.p, '\0', password.len) != NULL)) {
		why_set(why, "password too long or holds a NUL byte");
		return PASSWD_MISMATCH;
	}
	/* hash is a suffix of stored, so it is NUL-terminated. */
	return check_hash(password, (const char *)hash.p, got, why);
}

int
passwd_hash(const char *password, enum passwd_scheme scheme, char *out,
    size_t size, struct why *why)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	size_t len = strnlen(password, PASSWD_MAX_LEN + 1);
	const char *prefix = scheme == PASSWD_SHA512 ? "$6$" : "$y$";
	struct crypt_data *cd;
	const char *h;
	int r = -1;

	if (scheme != PASSWD_SHA512 && scheme != PASSWD_YESCRYPT)
		return why_set(why, "unknown password scheme %d", (int)scheme);
	if (len == 0 || len > PASSWD_MAX_LEN)
		return why_set(why, "password must be 1 to %d bytes",
		    PASSWD_MAX_LEN);
	/* A NULL random source makes libxcrypt read the OS RNG. */
	if (crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof(salt)) == NULL)
		return why_syserr(why, "crypt_gensalt %s", prefix);
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_rn(password, salt, cd, (int)sizeof(*cd));
	if (h == NULL)
		why_syserr(why, "crypt %s", prefix);
	else if (strncmp(h, prefix, 3) != 0)
		why_set(why, "crypt returned no %s hash", prefix);
	else if (strlen(h) >= size)
		why_set(why, "hash longer than %zu bytes", size);
	else {
		memcpy(out, h, strlen(h) + 1);
		r = 0;
	}
	secret_wipe(cd, sizeof(*cd));
	xfree(&cd);
	return r;
}

int
passwd_scheme_from_name(const char *name, enum passwd_scheme *out)
{
	if (strcasecmp(name, "yescrypt") == 0)
		*out = PASSWD_YESCRYPT;
	else if (strcasecmp(name, "sha512") == 0)
		*out = PASSWD_SHA512;
	else
		return -1;
	return 0;
}
