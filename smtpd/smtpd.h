/*
 * smtpd.h - smtpd's shared state: the daemon, sessions and transactions.
 *
 * Lifetime: struct smtpd lives for the process; its struct smtpsrv_daemon
 * lists the sessions.  A session is a session core (lib/mail/smtpsrv.h:
 * the lineio, TLS and AUTH state, the sender and message text) plus what
 * is smtpd's own: its transaction's recipients and access verdict, the
 * client's name look-up (cancelled when the session is freed) and its
 * place in the per-client limit table.  The core reads nothing while a
 * job is in flight (at most one, so replies keep command order under
 * PIPELINING) and frees the session (smtpd_session.c: session_free) once
 * its connection has ended and no job is in flight.  A transaction (MAIL
 * to end of data or RSET) owns its recipients and ENVID.
 *
 * Linked into: smtpd.  Runs as mail_owner, chrooted to queue_directory.
 * Trust: everything a client sends is hostile.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/dns.h"
#include "base/netmatch.h"
#include "base/worker.h"
#include "mail/service.h"
#include "mail/smtpcmd.h"
#include "mail/smtpsrv.h"

struct smtpd {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct smtpsrv_daemon srv;	/* settings and sessions of the core */
	struct worker_pool *pool;
	struct netmatch *mynetworks;
	struct netmatch *bare_newline_ok;
	struct dns *dns;		/* NULL: smtpd_peername_lookup off */
	char queue_dir[4096];		/* as seen after chroot */
	char authd_path[4096];		/* as seen after chroot */
	char qmgr_path[4096];		/* as seen after chroot */
	struct smtpd_limit *limit;	/* per-client connection counts */
	bool access;			/* some smtpd_*_access list is set */
	uint64_t max_sessions;		/* connection limit within fd budget */
};

struct smtpd_rcpt {
	char *addr;		/* as given, canonical form */
	char *orcpt_type;	/* ORCPT type, or NULL */
	char *orcpt;		/* decoded ORCPT address, or NULL */
	unsigned int notify;
};

/* What the access tables said about a message (the strongest wins). */
enum { SMTPD_KEEP, SMTPD_HOLD, SMTPD_DISCARD };

/* smtpd's part of a transaction (the core has the sender and text). */
struct smtpd_tx {
	struct smtpd_rcpt *rcpt;
	size_t nrcpt;
	uint64_t declared_size;
	int body;			/* enum qfile_body */
	int ret;			/* enum qfile_ret */
	char *envid;
	int verdict;		/* access: SMTPD_KEEP, _HOLD, _DISCARD */
	char verdict_reason[128];
};

struct smtpd_sess {
	struct smtpsrv srv;		/* the session core */
	struct smtpd *sd;
	char client_name[256];		/* verified host name, or "unknown" */
	bool trusted;			/* in mynetworks, or local */
	bool counted;			/* in the per-client limit table */
	struct dns_query *dnsq;		/* name look-up running, or NULL */
	uint64_t nmessages;
	struct smtpd_tx tx;
};

static inline struct smtpd_sess *
smtpd_sess_of(struct smtpsrv *c)
{
	return SMTPSRV_OWNER(c, struct smtpd_sess, srv);
}

/* smtpd_session.c */
void	smtpd_session_new(struct smtpd *sd, int fd);
/* Settings of the session core, after the worker pool is made. */
void	smtpd_session_init(struct smtpd *sd);

/* smtpd_cmds.c: smtpd's own commands (the core has the rest). */
extern const struct smtpsrv_cmd smtpd_cmds[];

/* smtpd_rcpt.c: init once before the first worker job. */
void	smtpd_rcpt_init(const struct smtpd *sd);
void	smtpd_rcpt(struct smtpsrv *c, const struct smtpcmd *cmd);

/* smtpd_data.c: the message into a queue file (ops->message). */
void	smtpd_message(struct smtpsrv *c, int code, const char *enh,
	    const char *text);

/* smtpd_limit.c */
enum smtpd_limit_res {
	SMTPD_LIMIT_OK,
	SMTPD_LIMIT_COUNT,	/* too many connections at once */
	SMTPD_LIMIT_RATE,	/* too many in this period */
};
struct smtpd_limit *smtpd_limit_new(const struct params *p);
void	smtpd_limit_free(struct smtpd_limit **lp);
enum smtpd_limit_res smtpd_limit_enter(struct smtpd_limit *l,
	    const char *addr);
void	smtpd_limit_leave(struct smtpd_limit *l, const char *addr);

#endif
