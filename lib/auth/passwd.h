/*
 * passwd.h - password hashing and verification with crypt(3) from
 * libxcrypt, and the constant-time comparison they use.
 * Linked into: authd (verify), postern (user: hash) and the unit tests.
 * Runs as postern-auth (authd) or the admin (postern).  Trust: the
 * password is peer data (any bytes, bounded here); the stored hash comes
 * from the admin's users table or the directory and is checked before
 * use.
 *
 * Stored hashes accepted by passwd_verify (everything else is
 * PASSWD_BADHASH with a reason):
 *   $y$          yescrypt (what passwd_hash writes by default)
 *   $7$          scrypt
 *   $6$          SHA-512 crypt
 *   $5$          SHA-256 crypt
 *   $2a$ $2b$ $2y$   bcrypt
 * Refused as too weak: $1$ (MD5-crypt), traditional and extended DES,
 * and every other crypt method ($3$ NTHASH, $md5, $sha1$, $gy$, ...).
 *
 * A stored value may carry a Dovecot/LDAP-style scheme prefix, matched
 * ignoring case: {CRYPT} (any accepted hash), {YESCRYPT} ($y$),
 * {SHA512-CRYPT} ($6$), {SHA256-CRYPT} ($5$), {BLF-CRYPT} (bcrypt).  A
 * hash of another family than its prefix names is PASSWD_BADHASH; so is
 * every other scheme ({PLAIN}, {CLEARTEXT}, {SSHA}, {MD5}, ...).
 *
 * Locked: a value that is empty, or whose hash (after any prefix) is
 * empty or starts with '!' or '*', never matches (PASSWD_LOCKED).
 */
#ifndef POSTERN_PASSWD_H
#define POSTERN_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

/*
 * Longest password hashed or verified; longer ones never match.
 * libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes
 * or more, NUL included, so a longer password could never be hashed.
 */
#define PASSWD_MAX_LEN 511
/* Room for any hash passwd_hash writes, with its NUL (libxcrypt's
 * CRYPT_OUTPUT_SIZE). */
#define PASSWD_HASH_SIZE 384

enum passwd_scheme {
	PASSWD_YESCRYPT,	/* "$y$", the default */
	PASSWD_SHA512,		/* "$6$" */
};

enum passwd_res {
	PASSWD_MATCH,
	PASSWD_MISMATCH,	/* wrong, overlong or NUL-holding password */
	PASSWD_LOCKED,		/* empty hash, or '!' / '*' */
	PASSWD_BADHASH,		/* stored value unusable: why says why */
};

/*
 * Hash password (NUL-terminated, 1..PASSWD_MAX_LEN bytes) with scheme,
 * using a fresh salt from the OS random source and the library's default
 * cost.  Writes the NUL-terminated hash into out (size bytes; at least
 * PASSWD_HASH_SIZE is always enough).  Returns 0, or -1 with why.  The
 * library's scratch state is wiped; the caller wipes password.  Does
 * not log.
 */
int	passwd_hash(const char *password, enum passwd_scheme scheme,
	    char *out, size_t size, struct why *why);

/*
 * Check password (any bytes; a NUL or more than PASSWD_MAX_LEN bytes is
 * PASSWD_MISMATCH without hashing) against stored (a NUL-terminated
 * value from a users table, see above).  The computed and stored hashes
 * are compared in constant time.  why is set for every result but
 * PASSWD_MATCH.  Every copy of the password and the library's scratch
 * state are wiped before it returns.  Does not log.
 */
enum passwd_res passwd_verify(struct span password, const char *stored,
    struct why *why);

/* True when stored is locked (see above); says nothing about whether
 * the rest is a usable hash. */
bool	passwd_locked(struct span stored);

/* "yescrypt" or "sha512" (case-insensitive).  Returns 0 or -1. */
int	passwd_scheme_from_name(const char *name, enum passwd_scheme *out);

/*
 * True when the alen bytes at a equal the blen bytes at b.  Takes time
 * that depends only on the longer length, never on where the inputs
 * differ.
 */
bool	passwd_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
