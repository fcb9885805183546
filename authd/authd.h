/*
 * authd.h - authd's shared state: the daemon, its sessions and the jobs
 * its worker threads run.  Protocol: authd(8) and lib/auth/authproto.h.
 *
 * Lifetime: struct authd lives for the process and owns the worker pool,
 * the cache and the failure counters.  A session owns its lineio and is
 * freed when its connection has ended and no job of it is in flight.  A
 * job belongs to its session (job->sess is borrowed, kept alive by the
 * session's inflight count) and is freed after its answer is written.
 *
 * Linked into: authd.  Runs as postern-auth: the only process that reads
 * password hashes.  Trust: requests are hostile input.
 */
#ifndef POSTERN_AUTHD_H
#define POSTERN_AUTHD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/event.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/access.h"
#include "mail/directory.h"
#include "mail/service.h"

struct authd_map;

struct authd {
	struct service *svc;		/* borrowed: lives for the process */
	const struct params *p;		/* borrowed: svc->params */
	struct directory_conf dconf;	/* strings borrowed from params */
	struct access *access[4];	/* smtpd_{client,helo,sender,
					 * recipient}_access */
	struct worker_pool *pool;
	struct authd_map *cache;	/* address -> looked-up record */
	struct authd_map *fails;	/* "u:addr" / "i:ip" -> failure count */
	struct authd_session *sessions;
};

enum authd_cmd {
	AUTHD_LOOKUP,	/* address */
	AUTHD_VERIFY,	/* service, address, password, client address */
	AUTHD_EXPAND,	/* address */
	AUTHD_DOMAIN,	/* domain */
	AUTHD_ACCESS,	/* client address, client name, helo, sender,
			 * recipient */
};

#define AUTHD_MAX_ARGS 5

/* What a look-up of a user found, for the cache. */
enum authd_fetch {
	AUTHD_FETCH_NONE,	/* no look-up, or a temporary failure */
	AUTHD_FETCH_FOUND,
	AUTHD_FETCH_NOTFOUND,
};

enum authd_outcome {
	AUTHD_OUT_OK,
	AUTHD_OUT_FAIL,		/* counts against the user and client */
	AUTHD_OUT_OTHER,
};

struct authd_job {
	struct authd *ad;		/* borrowed */
	struct authd_session *sess;	/* borrowed, see above */
	uint32_t id;
	enum authd_cmd cmd;
	char *arg[AUTHD_MAX_ARGS];	/* owned; arg[2] of VERIFY is wiped */
	size_t arg_len[AUTHD_MAX_ARGS];
	/* In: a cached user ("key" NUL "record"), used instead of a look-up. */
	struct buf cached;
	bool have_cached;
	/* Out, filled on a worker thread. */
	struct buf answer;		/* the formatted answer line */
	enum authd_fetch fetch;
	struct buf fetched;		/* "key" NUL "record" when FOUND */
	enum authd_outcome outcome;
	char reason[128];		/* FAIL: why, for the log line */
};

/* authd_session.c */
void	authd_session_new(struct authd *ad, int fd);
void	authd_session_free_all(struct authd *ad);
/* The cache key of an address (folded to lower case), appended to out. */
void	authd_cache_key(const char *addr, struct buf *out);
/* Write job's answer to its session (on the loop); may free the session. */
void	authd_session_write(struct authd_job *job);

/* authd_work.c: runs on a worker thread. */
void	authd_work(void *job);
/* Free the per-thread directory (pthread key destructor). */
void	authd_work_init(const struct authd *ad);

/* authd_done.c: back on the loop.  A FAIL of VERIFY is formatted here,
 * with the delay that authd_limit_failed decides. */
void	authd_done(void *job);
void	authd_job_free(struct authd_job **job);

/* authd_limit.c: failure counters and lockouts. */
bool	authd_limit_locked(struct authd *ad, const struct authd_job *job);
/* Count a failure; returns how long (ms) the client must wait for it. */
uint64_t authd_limit_failed(struct authd *ad, const struct authd_job *job);
void	authd_limit_succeeded(struct authd *ad, const struct authd_job *job);

#endif
