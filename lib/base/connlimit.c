/*
 * connlimit.c - connection counts per client address and per user and
 * address, over every process of a service (see connlimit.h).
 * Linked into: imapd, pop3d.  Trust: keys are peer-influenced text that
 * is only hashed.
 */
#include "base/buf.h"
#include "base/connlimit.h"

struct shcount *
connlimit_open(const char *path, size_t nslots, struct why *warn,
    struct why *why)
{
	struct shcount *t = shcount_open(path, nslots, why);

	warn->msg[0] = '\0';
	if (t != NULL)
		return t;
	why_set(warn, "%s", why->msg);
	return shcount_open(NULL, nslots, why);
}

/* 'a' NUL addr, or 'u' NUL user NUL addr. */
static void
make_key(struct buf *k, const char *user, const char *addr)
{
	buf_addc(k, user != NULL ? 'u' : 'a');
	buf_addc(k, '\0');
	if (user != NULL) {
		buf_adds(k, user);
		buf_addc(k, '\0');
	}
	buf_adds(k, addr);
}

enum connlimit_res
connlimit_add(struct shcount *t, const char *user, const char *addr,
    uint64_t limit)
{
	enum connlimit_res r = CONNLIMIT_COUNTED;
	struct buf k;

	buf_init(&k, 2048);
	make_key(&k, user, addr);
	if (shcount_add(t, buf_span(&k)) == -1) {
		r = CONNLIMIT_FULL;
	} else if (shcount_total(t, buf_span(&k)) > limit) {
		shcount_sub(t, buf_span(&k));
		r = CONNLIMIT_OVER;
	}
	buf_fini(&k);
	return r;
}

void
connlimit_sub(struct shcount *t, const char *user, const char *addr)
{
	struct buf k;

	buf_init(&k, 2048);
	make_key(&k, user, addr);
	shcount_sub(t, buf_span(&k));
	buf_fini(&k);
}
