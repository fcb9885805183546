/*
 * authd_limit.c - failed logins cost time: each failure in a row (per user
 * and per client address) doubles the delay that the FAIL answer names
 * and the asking daemon waits out before it tells its client, from
 * authd_failure_delay up to authd_failure_delay_max; after
 * authd_lockout_failures in a row the user or address is locked out for
 * authd_lockout_time, and every attempt fails without a password check.
 * Failures older than authd_lockout_time are forgotten.  A success clears
 * the user's count (not the address's: one good account must not reset a
 * password-guessing client).
 * Linked into: authd.  Trust: user names and addresses are peer data,
 * used only as bounded map keys and escaped in logs.
 */
#include <stdio.h>
#include <string.h>

#include "authd.h"
#include "authd_map.h"
#include "base/log.h"

struct failrec {
	uint64_t count;
	uint64_t locked_until_ms;
};

/*
 * key = "u:" user or "i:" address, folded like the cache's keys, so that
 * changing the case of an address does not start a new count.
 */
static struct span
make_key(struct buf *out, char kind, const char *what)
{
	buf_reset(out);
	buf_addc(out, kind);
	buf_addc(out, ':');
	authd_cache_key(what, out);
	return buf_span(out);
}

static struct failrec
get(struct authd *ad, struct span key, uint64_t now)
{
	const struct buf *v = authd_map_get(ad->fails, key, now);
	struct failrec f = { 0, 0 };

	if (v != NULL && v->len == sizeof(f))
		memcpy(&f, v->p, sizeof(f));
	return f;
}

bool
authd_limit_locked(struct authd *ad, const struct authd_job *job)
{
	uint64_t now = event_now_ms();
	struct buf k;
	bool locked;

	buf_init(&k, 1024);
	locked = get(ad, make_key(&k, 'u', job->arg[1]), now).locked_until_ms >
		now ||
	    (job->arg[3][0] != '\0' &&
		get(ad, make_key(&k, 'i', job->arg[3]), now).locked_until_ms >
		    now);
	buf_fini(&k);
	return locked;
}

/* Count one failure under key; returns the count. */
static uint64_t
count(struct authd *ad, struct span key, uint64_t now, const char *what)
{
	const struct params *p = ad->p;
	struct failrec f = get(ad, key, now);
	uint64_t window = p->authd_lockout_time * 1000;

	f.count++;
	if (f.count >= p->authd_lockout_failures && f.locked_until_ms <= now) {
		f.locked_until_ms = now + window;
		log_warn("auth-lockout: %s after %llu failures, for %llus", what,
		    (unsigned long long)f.count,
		    (unsigned long long)p->authd_lockout_time);
	}
	authd_map_put(ad->fails, key, span_make(&f, sizeof(f)), now + window);
	return f.count;
}

uint64_t
authd_limit_failed(struct authd *ad, const struct authd_job *job)
{
	const struct params *p = ad->p;
	uint64_t now = event_now_ms();
	uint64_t n;
	uint64_t delay = p->authd_failure_delay * 1000;
	struct buf k;
	char what[600];
	char esc[LOG_ESC_SIZE];

	buf_init(&k, 1024);
	snprintf(what, sizeof(what), "user=<%s>",
	    log_esc(span_str(job->arg[1]), esc));
	n = count(ad, make_key(&k, 'u', job->arg[1]), now, what);
	if (job->arg[3][0] != '\0') {
		uint64_t m;

		snprintf(what, sizeof(what), "rip=%s",
		    log_esc(span_str(job->arg[3]), esc));
		m = count(ad, make_key(&k, 'i', job->arg[3]), now, what);
		n = m > n ? m : n;
	}
	buf_fini(&k);
	while (--n > 0 && delay < p->authd_failure_delay_max * 1000)
		delay *= 2;
	if (delay > p->authd_failure_delay_max * 1000)
		delay = p->authd_failure_delay_max * 1000;
	return delay;
}

void
authd_limit_succeeded(struct authd *ad, const struct authd_job *job)
{
	struct buf k;

	buf_init(&k, 1024);
	authd_map_del(ad->fails, make_key(&k, 'u', job->arg[1]));
	buf_fini(&k);
}
