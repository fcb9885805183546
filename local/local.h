/*
 * local.h - the local delivery agent local(8): commands and files named
 * by local aliases (aliases(5)).
 *
 * Processes: the agent (this program, run by master as root) accepts
 * qmgr's connections and forks one request process per connection, at
 * most local_delivery_limit at once; it reads nothing itself.  A request
 * process (root) reads the request (deliverreq), opens the queue file,
 * asks authd to expand each recipient's alias again and, for a target
 * authd names now, forks a delivery process that becomes default_privs
 * before it runs the command or opens the file.  Results go back to
 * qmgr, one line each, as the target's delivery process reports it.
 *
 * Lifetime: struct local lives for the agent's process; a request
 * process inherits a copy and exits when its request is done.
 *
 * Linked into: local.  Runs as root (the agent and request processes)
 * and as default_privs (delivery processes, and the commands).  Trust:
 * qmgr's requests and the queue file are parsed strictly; nothing in
 * them is run or opened unless authd names it as a target of the alias
 * now; the message and addresses are mail data (hostile) and reach a
 * command only on its standard input and in its environment.
 */
#ifndef POSTERN_LOCAL_H
#define POSTERN_LOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mail/deliverreq.h"
#include "mail/qfile.h"
#include "mail/service.h"

/* Who commands and file writes run as (default_privs). */
struct local_user {
	uid_t uid;
	gid_t gid;
	char name[64];
	char home[1024];
};

struct local_pending;

struct local {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct local_user user;
	char queue_dir[4096];
	char authd_path[4096];
	size_t running;			/* request processes */
	struct local_pending *pending;	/* connections waiting for a slot */
	struct local_pending **pending_tail;
};

/* What a delivery to one target came to. */
struct local_outcome {
	char state;			/* DELIVERREQ_SENT, _DEFERRED, _BOUNCED */
	char dsn[QFILE_DSN_SIZE];
	char text[DELIVERREQ_TEXT_MAX + 1];
};

/* local_req.c: in a request process (root).  Never returns. */
void	local_req_run(const struct local *lc, int fd)
	    __attribute__((noreturn));

/* local_deliver.c: in a delivery process, after the drop. */
/* One target: addr "|command" or "/path", for alias orig. */
void	local_deliver(const struct local *lc, const struct qfile *q,
	    struct span addr, struct span orig, struct local_outcome *out);
/* Set an outcome (printf-style text). */
void	local_outcome_set(struct local_outcome *o, char state, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
