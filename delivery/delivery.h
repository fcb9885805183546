/*
 * delivery.h - the delivery agents' shared state: the process, one
 * request from qmgr, and the attempt that carries it to a next hop.
 *
 * Lifetime: struct delivery lives for the process.  A request (one
 * connection from qmgr) owns its lineio, its queue file, its recipients'
 * results and the job that delivers it; it is freed once "done" is sent
 * and the connection has closed (or qmgr went away and the job is over).
 * A job owns its targets, its DNS query and its client session; an LMTP
 * session that is still good afterwards moves to the connection cache
 * (delivery_lmtp.c), which then owns it.
 *
 * Linked into: delivery.  Runs as mail_owner (delivery-smtp chrooted to
 * the queue directory, delivery-lmtp not: its sockets are elsewhere).
 * Trust: qmgr's requests are parsed strictly (deliverreq); servers are
 * hostile (lib/mail/smtpclient).
 */
#ifndef POSTERN_DELIVERY_H
#define POSTERN_DELIVERY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "base/dns.h"
#include "base/lineio.h"
#include "base/net.h"
#include "base/worker.h"
#include "mail/deliverreq.h"
#include "mail/dict.h"
#include "mail/qfile.h"
#include "mail/service.h"
#include "mail/smtpclient.h"

/* Most addresses of the loop check (our listeners and interfaces). */
#define DELIVERY_MAX_SELF 64
/* Most targets (addresses) one job may collect. */
#define DELIVERY_MAX_TARGETS 100

struct delivery_cache;

/* An address of this host that an MX must not send us back to; port 0
 * matches every port. */
struct delivery_self {
	struct sockaddr_storage sa;
	uint16_t port;
};

struct delivery {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	bool lmtp;			/* "delivery lmtp", else smtp */
	char queue_dir[4096];		/* as this process sees it */
	struct worker_pool *pool;	/* queue file opens, table look-ups */
	struct dns *dns;
	SSL_CTX *tls_any;		/* encrypt and may: no verification */
	SSL_CTX *tls_verify;		/* verify: smtp_tls_CAfile */
	struct dict **policy;		/* smtp_tls_policy_maps */
	size_t npolicy;
	struct delivery_self self[DELIVERY_MAX_SELF];
	size_t nself;
	struct smtpclient_timeouts to;
	struct delivery_cache *cache;	/* LMTP: idle sessions */
	struct delivery_req *reqs;	/* every live request */
	bool stopping;
};

/* One recipient of a request. */
struct delivery_rcpt {
	uint32_t index;			/* in the queue file */
	bool final;			/* its result is written */
	bool retry_here;		/* 452 too many: again on this session */
	struct smtpclient_reply last;	/* the latest outcome (code 0: none) */
	bool last_dest;			/* last is about the destination */
	uint32_t conn_ms;
	uint32_t xmit_ms;
	char relay[DELIVERREQ_RELAY_SIZE];	/* "" : none */
	char peer[DELIVERREQ_RELAY_SIZE];	/* "host[addr]"; "": none */
};

/* One address to try, with the names for results and TLS. */
struct delivery_target {
	char host[NET_HOST_MAX + 1];	/* server name: SNI, verification */
	struct sockaddr_storage sa;
	socklen_t salen;
	char peer[DELIVERREQ_RELAY_SIZE];	/* "host[addr]" for texts */
	char relay[DELIVERREQ_RELAY_SIZE];	/* "host[addr]:port" */
};

struct delivery_job;

struct delivery_req {
	struct delivery *d;
	struct lineio *io;		/* qmgr's connection, or NULL */
	struct deliverreq req;
	char id[QID_SIZE];		/* queue id for logs, "?" before */
	struct qfile *q;		/* opened on a worker */
	struct why open_why;
	int open_rc;
	enum smtpclient_tls tls;	/* the level for this next hop */
	struct why tls_why;		/* a policy look-up failed */
	bool tls_failed;
	struct delivery_rcpt *rcpt;	/* req.nrcpt of them */
	size_t npending;		/* recipients without a result */
	struct smtpclient_rcpt *crcpt;	/* what the client sends */
	struct smtpclient_msg msg;
	struct delivery_job *job;
	struct dns_query *dq;		/* the next hop's look-up, or NULL */
	uint16_t port;			/* the next hop's port */
	uint64_t start_ms;
	bool working;			/* a worker job runs */
	bool finished;			/* "done" written */
	bool ended;			/* qmgr's connection is gone */
	struct buf out;			/* result lines */
	struct delivery_req *next;
	struct delivery_req **prevp;
};

/* delivery_req.c */
void	delivery_req_new(struct delivery *d, int fd);
void	delivery_req_free_all(struct delivery *d);
/* Recipient i's result from its last outcome, written to qmgr at once. */
void	delivery_req_result(struct delivery_req *r, size_t i);
/* Every recipient has a result: write "done" and close.  The request
 * may be freed: the caller returns at once. */
void	delivery_req_finish(struct delivery_req *r);
/* Give every pending recipient the outcome e (ours: no peer, no relay)
 * and finish.  As delivery_req_finish, the caller returns at once. */
void	delivery_req_fail_all(struct delivery_req *r,
	    const struct smtpclient_reply *e, bool dest);
/* The look-up of r's next hop failed (a is not DNS_OK): every pending
 * recipient is deferred (DNS_TEMP) or bounced; as delivery_req_finish. */
void	delivery_req_dns_failed(struct delivery_req *r,
	    const struct dns_mx_answer *a);
/* An outcome of ours (kind LOCAL) for results without a session. */
void	delivery_local(struct smtpclient_reply *e, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* delivery_msg.c */
/* The message and recipients of r for the client (after the open). */
void	delivery_msg_build(struct delivery_req *r);
/* The DSN and state of an outcome: 'S', 'D' or 'B' into *state. */
void	delivery_msg_dsn(const struct smtpclient_reply *e, char *state,
	    char dsn[QFILE_DSN_SIZE]);
/* The text of a result, as Postfix words it, for peer "host[addr]"
 * ("" for outcomes of ours). */
void	delivery_msg_text(const struct smtpclient_reply *e, const char *peer,
	    char *out, size_t size);

/* delivery_job.c: the attempts over a list of targets. */
void	delivery_job_start(struct delivery_req *r,
	    struct delivery_target *t, size_t nt, bool lmtp);
void	delivery_job_free(struct delivery_job **jp);
/* Fill a target's names from host, address and port. */
void	delivery_target_set(struct delivery_target *t, const char *host,
	    const struct sockaddr_storage *sa, uint16_t port);

/* delivery_lmtp.c */
void	delivery_lmtp(struct delivery_req *r);
struct delivery_cache *delivery_cache_new(struct delivery *d);
void	delivery_cache_free(struct delivery_cache **cp);
/* An idle session for nexthop, or NULL; the caller owns it. */
struct smtpclient *delivery_cache_take(struct delivery *d,
	    const char *nexthop, struct delivery_target *t_out);
/* Keep a usable session (taken over; NULL afterwards). */
void	delivery_cache_put(struct delivery *d, const char *nexthop,
	    const struct delivery_target *t, struct smtpclient **cp);

/* delivery_smtp.c */
void	delivery_smtp(struct delivery_req *r);

/* delivery_tls.c */
int	delivery_tls_init(struct delivery *d);
void	delivery_tls_fini(struct delivery *d);
/* On a worker: the level for domain from the tables (or the default). */
enum smtpclient_tls delivery_tls_level(struct delivery *d, const char *domain,
	    struct why *why, bool *failed);
/* The context for a level (NULL for none). */
SSL_CTX *delivery_tls_ctx(const struct delivery *d, enum smtpclient_tls l);
/* "none", "may", "encrypt", "verify" into *out; -1 if unknown. */
int	delivery_tls_parse(const char *s, enum smtpclient_tls *out);

#endif
