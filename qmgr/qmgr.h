/*
 * qmgr.h - qmgr's shared state: the active queue (messages in memory),
 * the destinations they wait for, and the deliveries in flight.
 *
 * Lifetime: struct qmgr lives for the process.  A message (struct
 * qmgr_msg) is in memory from the moment its file is moved into active/
 * until it is removed or moved to deferred/ or corrupt/; it owns its
 * open queue file and one route per recipient that is still to be
 * delivered.  Its recipients wait, in groups of at most
 * default_destination_recipient_limit, as entries (struct qmgr_entry) on
 * their destination (transport and next hop); an entry is owned by its
 * destination's queue until a delivery takes it, and by the delivery
 * until its results are recorded.  A message is finished (qmgr_finish.c)
 * when no entry of it is left.
 *
 * Threads: the loop owns all of this.  Jobs on the worker pool get their
 * own copies of what they need, except a message's queue file, which the
 * loop leaves alone while a job of that message runs (msg->busy).
 *
 * Linked into: qmgr.  Runs as mail_owner, chrooted to queue_directory.
 * Trust: queue files are ours but may be damaged (they are parsed
 * strictly and moved to corrupt/); delivery agents' answers are parsed
 * strictly; notices on the socket come from smtpd and the admin tools.
 */
#ifndef POSTERN_QMGR_H
#define POSTERN_QMGR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/event.h"
#include "base/hmap.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/deliverreq.h"
#include "mail/dict.h"
#include "mail/qfile.h"
#include "mail/service.h"

/* Longest transport name ("lmtp", "smtp", "relay2"). */
#define QMGR_TRANSPORT_MAX 32

/* Where a recipient goes. */
struct qmgr_route {
	char transport[QMGR_TRANSPORT_MAX + 1];	/* "" with error or discard */
	char nexthop[DELIVERREQ_NEXTHOP_SIZE];
	/* Decided without a delivery: bounce (error:, a bad address),
	 * discard (discard:), or defer (a look-up failed for now). */
	char state;			/* 0, or a DELIVERREQ_* state */
	char dsn[QFILE_DSN_SIZE];
	char text[256];
};

struct qmgr_msg;
struct qmgr_dest;

/* Recipients of one message for one destination. */
struct qmgr_entry {
	struct qmgr_msg *msg;
	struct qmgr_dest *dest;
	uint32_t rcpt[DELIVERREQ_MAX_RCPT];
	size_t nrcpt;
	uint64_t start_ms;		/* handed to the agent (event_now_ms) */
	struct qmgr_entry *next;	/* in dest->queue */
};

/* A transport and next hop: its queue, concurrency and health. */
struct qmgr_dest {
	char transport[QMGR_TRANSPORT_MAX + 1];
	char nexthop[DELIVERREQ_NEXTHOP_SIZE];
	struct qmgr_entry *head;	/* waiting entries, oldest first */
	struct qmgr_entry **tailp;
	size_t nwaiting;
	size_t active;			/* deliveries in flight */
	uint64_t dead_until;		/* unix time; 0: healthy */
	char dead_reason[256];		/* why it is suspended */
	char dead_dsn[QFILE_DSN_SIZE];
	struct qmgr_dest *next;		/* in qmgr->dests */
	struct qmgr_dest **prevp;
	struct qmgr_dest *ring_next;	/* in the ring of busy dests, or NULL */
	bool in_ring;
};

/* One result a recipient got in this round. */
struct qmgr_outcome {
	char state;			/* DELIVERREQ_*, 0: none yet */
	char dsn[QFILE_DSN_SIZE];
	char relay[DELIVERREQ_RELAY_SIZE];
	char reply[DELIVERREQ_TEXT_MAX + 1];
	char text[DELIVERREQ_TEXT_MAX + 1];
};

struct qmgr_msg {
	struct qmgr *qm;
	char qid[QID_SIZE];
	struct qfile *q;		/* open, in active/ */
	struct qmgr_route *route;	/* one per recipient of q */
	struct qmgr_outcome *out;	/* one per recipient of q */
	uint64_t active_since;		/* unix time it entered active/ */
	uint64_t active_ms;		/* event_now_ms() then */
	size_t nentries;		/* entries queued or in flight */
	bool finishing;			/* the finish job holds q */
	bool record_failed;		/* a result could not be recorded */
	struct qmgr_msg *next;
	struct qmgr_msg **prevp;
	struct qmgr_msg *hnext;		/* in its qm->by_qid bucket */
};

/* Buckets of the active queue by id. */
#define QMGR_QID_BUCKETS 4096

struct qmgr {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct worker_pool *pool;
	char queue_dir[4096];		/* as seen after chroot */
	char authd_path[4096];		/* as seen after chroot */
	struct dict *transport;		/* transport_maps, or NULL */
	pthread_mutex_t transport_lock;	/* dict calls from workers */
	struct qmgr_msg *msgs;		/* the active queue */
	struct qmgr_msg *by_qid[QMGR_QID_BUCKETS]; /* the same, by id */
	size_t nmsgs;
	size_t nloading;		/* files being moved in */
	struct qmgr_dest *dests;	/* every destination in use */
	struct hmap *dest_map;		/* "transport:nexthop" -> dest */
	struct qmgr_dest *ring;		/* dests with waiting entries */
	struct qmgr_dest *ring_tail;
	size_t nring;
	size_t ndeliveries;		/* in flight */
	bool backlog;			/* incoming/ has more than fits */
	bool scanning;			/* a scan job runs */
	bool scan_again;		/* a notice asked for one meanwhile */
	struct event_timer *scan_timer;	/* the periodic scan */
	struct event_timer *kick_timer;	/* scheduling after a job */
	struct qmgr_notice *notices;	/* open notice connections */
	struct qmgr_delivery *deliveries; /* in flight */
};

/* qmgr_scan.c: the queue directories. */
/* Move every file in active/ back to incoming/ (start-up, blocking). */
void	qmgr_recover(struct qmgr *qm);
/* Scan incoming/ (and deferred/ for due messages when deferred_too). */
void	qmgr_scan(struct qmgr *qm, bool deferred_too);
/* A file is due in incoming/ (a notice): load it if there is room. */
void	qmgr_incoming(struct qmgr *qm, const char *qid);

/* qmgr_load.c: a file into the active queue. */
/*
 * Move qid from state (incoming or deferred) into active/ and load it.
 * Not while a message of that id is still in memory (the admin moved
 * its file away during its round and back): the file then waits where
 * it is, and the end of that round scans for it.
 */
void	qmgr_load(struct qmgr *qm, const char *state, const char *qid);
/* The message qid in the active queue, or NULL. */
struct qmgr_msg *qmgr_msg_find(struct qmgr *qm, const char *qid);
/* Take m out of qm->by_qid (when it leaves the active queue). */
void	qmgr_msg_unhash(struct qmgr *qm, struct qmgr_msg *m);
/* Room for another message in the active queue. */
bool	qmgr_has_room(const struct qmgr *qm);

/* qmgr_resolve.c: on a worker thread. */
/*
 * Expand q's recipients through authd (aliases), once, for a message that
 * nothing has been tried for.  When any of them changes, write a new
 * queue file with the final recipients (each keeping its original
 * recipient and NOTIFY; duplicates dropped) into incoming/ and return 1
 * with its id in newqid_out (the caller removes the old file); 0 when
 * nothing changed; -1 with why when it must be tried later (authd down,
 * disk trouble).  A recipient whose expansion fails for good gets a
 * bounce route in routes[] (q->nrcpt of them).
 */
int	qmgr_expand(struct qmgr *qm, struct qfile *q, struct qmgr_route *routes,
	    char newqid_out[QID_SIZE], struct why *why);
/* The route of every recipient of q not yet finished and without one
 * (routes: q->nrcpt of them). */
void	qmgr_resolve(struct qmgr *qm, const struct qfile *q,
	    struct qmgr_route *routes);

/* qmgr_sched.c */
/* Queue msg's undecided recipients on their destinations. */
void	qmgr_enqueue(struct qmgr *qm, struct qmgr_msg *msg);
/* Start deliveries while limits allow (round robin over destinations). */
void	qmgr_schedule(struct qmgr *qm);
/* Schedule soon, from the loop (after a job finished). */
void	qmgr_kick(struct qmgr *qm);
/* A destination failed as a whole: suspend it and defer what waits. */
void	qmgr_dest_dead(struct qmgr *qm, struct qmgr_dest *d, const char *dsn,
	    const char *text);
void	qmgr_dests_free(struct qmgr *qm);
/* Free d when nothing waits for it, none is in flight and it is not
 * suspended (destinations come and go with the mail). */
void	qmgr_dest_release(struct qmgr *qm, struct qmgr_dest *d);
/* Release every destination whose suspension has ended (the scan). */
void	qmgr_dests_expire(struct qmgr *qm);
/* An entry is done with (results recorded): free it. */
void	qmgr_entry_done(struct qmgr *qm, struct qmgr_entry *e);

/* qmgr_deliver.c: an entry to its delivery agent. */
void	qmgr_deliver(struct qmgr *qm, struct qmgr_entry *e);
/* Drop deliveries in flight (the end of the process). */
void	qmgr_deliveries_free_all(struct qmgr *qm);
/* Record results an entry got without an agent (dest dead, no agent). */
void	qmgr_entry_fail(struct qmgr *qm, struct qmgr_entry *e, char state,
	    const char *dsn, const char *relay, const char *text);

/* qmgr_record.c: results into the queue file, and the log. */
/*
 * Record the outcomes msg->out[] of the recipients of e (those with a
 * state) in the queue file on a worker, log one line each, then free e
 * and finish msg when it was the last entry.  conn_ms/xmit_ms: the
 * agent's times (0 without one).
 */
void	qmgr_record(struct qmgr *qm, struct qmgr_entry *e, uint32_t conn_ms,
	    uint32_t xmit_ms);

/* qmgr_finish.c: the end of a round: remove, defer, bounce. */
/*
 * Move q (qid, in active/) to deferred/ with its retry time when_ms
 * (unix milliseconds; the file's mtime).  On a worker.  0, or -1 with why.
 */
int	qmgr_file_defer(const struct qmgr *qm, struct qfile *q, const char *qid,
	    uint64_t when_ms, struct why *why);
void	qmgr_finish(struct qmgr *qm, struct qmgr_msg *msg);
void	qmgr_msg_free(struct qmgr *qm, struct qmgr_msg *msg);

/* qmgr_bounce.c: notices to the sender (on a worker thread). */
/*
 * Queue the notices m's recipients call for: failure (bounced, not yet
 * told, NOTIFY allows it), delay (when delay is true: deferred, not yet
 * told, NOTIFY allows it) and success (NOTIFY=SUCCESS); flag the
 * recipients told in the queue file (qfile_put_status: the caller
 * syncs).  The new notices' ids go to qids_out (failure, delay,
 * success; "" for none).  0, or -1 with why (try again later).
 */
int	qmgr_bounce(const struct qmgr *qm, struct qmgr_msg *m, bool delay,
	    uint64_t now, char qids_out[3][QID_SIZE], struct why *why);

/* qmgr_notice.c: the notice socket. */
void	qmgr_notice_accept(struct qmgr *qm, int fd);
void	qmgr_notice_free_all(struct qmgr *qm);

/* The unix time now, in seconds and in milliseconds. */
uint64_t qmgr_now(void);
uint64_t qmgr_now_ms(void);

#endif
