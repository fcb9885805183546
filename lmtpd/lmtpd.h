/*
 * lmtpd.h - lmtpd's shared state: the daemon, sessions, transactions and
 * the open stores.
 *
 * Lifetime: struct lmtpd lives for the process; its struct smtpsrv_daemon
 * lists the sessions.  A session is a session core (lib/mail/smtpsrv.h:
 * the lineio, TLS and AUTH state, the sender and message text) plus its
 * transaction's recipients.  While a job runs (a look-up, an AUTH step, a
 * delivery) the core reads nothing, and it frees the session only when
 * the job's done callback has run.  A transaction (MAIL to the end of the
 * data, or RSET) owns its recipients; at the end of the data they and the
 * text move into a delivery (lmtpd_deliver.c), which owns them until
 * every recipient has had its reply.
 *
 * Linked into: lmtpd.  Runs as store_owner, not chrooted.
 * Trust: clients are MTAs (delivery agents, gateways) but are still
 * treated as hostile: every input is bounded and checked.
 */
#ifndef POSTERN_LMTPD_H
#define POSTERN_LMTPD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/netmatch.h"
#include "base/worker.h"
#include "mail/service.h"
#include "mail/smtpcmd.h"
#include "mail/smtpsrv.h"
#include "store/store.h"

struct lmtpd_stores;

struct lmtpd {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct smtpsrv_daemon srv;	/* settings and sessions of the core */
	struct worker_pool *pool;
	struct netmatch *clients;	/* lmtpd_client_networks */
	char authd_path[4096];
	char banner[300];		/* the greeting's text */
	struct store_conf store;	/* strings borrowed from p */
	struct lmtpd_stores *stores;	/* open stores, shared by workers */
};

/* An accepted recipient: what authd said about it. */
struct lmtpd_rcpt {
	char *addr;		/* as given in RCPT, canonical form */
	char *user;		/* authd's key: the store's user */
	char *folder;		/* sub-address mailbox to try, or NULL */
	uint64_t quota_bytes;	/* 0: none */
	uint64_t quota_messages;
};

struct lmtpd_sess {
	struct smtpsrv srv;		/* the session core */
	struct lmtpd *ld;
	struct lmtpd_rcpt *rcpt;	/* the transaction's recipients */
	size_t nrcpt;
};

static inline struct lmtpd_sess *
lmtpd_sess_of(struct smtpsrv *c)
{
	return SMTPSRV_OWNER(c, struct lmtpd_sess, srv);
}

/* lmtpd_session.c */
void	lmtpd_session_new(struct lmtpd *ld, int fd);
/* Settings of the session core, after the worker pool is made. */
void	lmtpd_session_init(struct lmtpd *ld);
void	lmtpd_rcpt_fini(struct lmtpd_rcpt *r);
void	lmtpd_rcpts_free(struct lmtpd_rcpt *r, size_t n);

/* lmtpd_cmds.c: lmtpd's own commands (the core has the rest). */
extern const struct smtpsrv_cmd lmtpd_cmds[];

/* lmtpd_rcpt.c: RCPT, the recipient asked of authd on a worker. */
void	lmtpd_rcpt(struct smtpsrv *c, const struct smtpcmd *cmd);

/* lmtpd_deliver.c: the end of the data (ops->message).  The message goes
 * into each recipient's store, then one reply per recipient in RCPT
 * order; a refused message: the same reply for all. */
void	lmtpd_message(struct smtpsrv *c, int code, const char *enh,
	    const char *text);

/* lmtpd_store.c: open stores kept for the next delivery. */
struct lmtpd_store;
struct lmtpd_stores *lmtpd_stores_new(const struct store_conf *conf,
	    size_t max_idle);
/* Close every store; no delivery may hold one. */
void	lmtpd_stores_free(struct lmtpd_stores **cp);
/*
 * user's store for one delivery (on a worker thread): opened on first
 * use, kept open afterwards.  Deliveries to one user take turns, so the
 * quota set before an append is the one it checks.  NULL with why when
 * the store cannot be opened (STORE_TEMP).
 */
struct lmtpd_store *lmtpd_store_take(struct lmtpd_stores *c,
	    const char *user, struct why *why);
/* Borrowed: valid until lmtpd_store_give. */
struct store *lmtpd_store_of(struct lmtpd_store *e);
/* Done with it; broken: close it (the next delivery opens it anew). */
void	lmtpd_store_give(struct lmtpd_stores *c, struct lmtpd_store **ep,
	    bool broken);

#endif
