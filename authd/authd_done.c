/*
 * authd_done.c - back on the event loop after a request's work: remember
 * look-ups in the cache, count failures, log each failure once, and send
 * the answer (a failure's with the delay its asker must apply).
 *
 * Failure log line (stable, for fail2ban and the like):
 *   auth-failure: service=SERVICE user=<ADDRESS> rip=CLIENT reason=TEXT
 *
 * Linked into: authd.  Trust: the job's fields are peer data; they are
 * escaped in log lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authproto.h"
#include "authd.h"
#include "authd_map.h"
#include "base/log.h"
#include "base/xmem.h"

void
authd_job_free(struct authd_job **jobp)
{
	struct authd_job *job = *jobp;
	size_t i;

	if (job == NULL)
		return;
	for (i = 0; i < AUTHD_MAX_ARGS; i++) {
		if (job->arg[i] != NULL)
			secret_wipe(job->arg[i], job->arg_len[i]);
		free(job->arg[i]);
	}
	buf_wipe(&job->cached);
	buf_fini(&job->answer);
	buf_wipe(&job->fetched);
	free(job);
	*jobp = NULL;
}

/* Cache what the look-up found (or that it found nothing). */
static void
remember(struct authd *ad, struct authd_job *job)
{
	const struct params *p = ad->p;
	uint64_t ttl = job->fetch == AUTHD_FETCH_FOUND ?
	    p->authd_cache_ttl : p->authd_cache_negative_ttl;
	struct buf key;

	if (job->fetch == AUTHD_FETCH_NONE || ttl == 0)
		return;
	buf_init(&key, 1024);
	authd_cache_key(job->arg[job->cmd == AUTHD_VERIFY ? 1 : 0], &key);
	authd_map_put(ad->cache, buf_span(&key),
	    job->fetch == AUTHD_FETCH_FOUND ? buf_span(&job->fetched) :
					      span_make(NULL, 0),
	    event_now_ms() + ttl * 1000);
	buf_fini(&key);
}

static void
log_failure(const struct authd_job *job)
{
	char user[LOG_ESC_SIZE];
	char svc[LOG_ESC_SIZE];
	char rip[LOG_ESC_SIZE];

	log_notice("auth-failure: service=%s user=<%s> rip=%s reason=%s",
	    log_esc(span_str(job->arg[0]), svc),
	    log_esc(span_str(job->arg[1]), user),
	    job->arg[3][0] != '\0' ? log_esc(span_str(job->arg[3]), rip) :
				     "local",
	    job->reason);
}

/*
 * A failed VERIFY: the answer goes out now and names the delay, which
 * the asking daemon waits out on its event loop before it tells its
 * client (authd(8)); no thread anywhere is held for it.
 */
static void
format_failure(struct authd_job *job, uint64_t delay_ms)
{
	char ms[24];
	struct span f[2] = { span_str("authentication failed"),
		span_make(NULL, 0) };

	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)delay_ms);
	f[1] = span_str(ms);
	buf_reset(&job->answer);
	if (authproto_format(&job->answer, job->id, "FAIL", f, 2) == -1)
		log_panic("FAIL answer does not fit");
}

void
authd_done(void *arg)
{
	struct authd_job *job = arg;
	struct authd *ad = job->ad;

	remember(ad, job);
	if (job->cmd == AUTHD_VERIFY && job->outcome == AUTHD_OUT_OK)
		authd_limit_succeeded(ad, job);
	if (job->cmd == AUTHD_VERIFY && job->outcome == AUTHD_OUT_FAIL) {
		log_failure(job);
		format_failure(job, authd_limit_failed(ad, job));
	}
	authd_session_write(job);
	authd_job_free(&job);
}
