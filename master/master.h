/*
 * master.h - the supervisor's shared state: the loaded instance, one
 * record per service, the children, and the listening sockets.
 * Linked into: master only.  Runs as root in production (the only
 * process that stays root) or as the invoking user in development.
 * Trust: configuration is the admin's; nothing here reads the network.
 *
 * Lifetime: struct master lives for the process.  It owns the instance,
 * the services (heap records, kept across reloads when unchanged), the
 * children (each points at its service, or NULL once retiring) and the
 * listener pool (sockets shared by address across reloads).
 */
#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/event.h"
#include "base/mastercf.h"
#include "mail/instance.h"

struct master_service {
	const struct mastercf_service *conf;	/* borrowed: in m->inst */
	int fds[MASTERCF_MAX_LISTEN];		/* borrowed: listener pool */
	size_t nfds;
	unsigned int running;			/* live, not retiring */
	unsigned int fails;			/* unrequested exits in a row */
	struct event_timer *restart;
	struct master *m;
};

struct master_child {
	pid_t pid;
	struct master_service *svc;	/* NULL once told to stop */
	uint64_t started_ms;
	struct master_child *next;
};

struct master_listener {
	enum mastercf_type type;
	char *addr;		/* as written in master.conf (expanded) */
	char *unix_path;	/* unlinked at exit; NULL for inet */
	int fd;
	bool in_use;		/* claimed by the configuration being built */
	struct master_listener *next;
};

struct master {
	struct instance inst;
	char **overrides;		/* -o options, passed to children */
	int noverrides;
	bool foreground;
	bool is_root;
	bool stopping;
	struct event_base *base;
	struct master_service **svc;	/* one per inst.services entry */
	size_t nsvc;
	struct master_child *children;
	struct master_listener *listeners;
	int alive_pipe[2];		/* children get [0] as fd 3 */
	struct event_timer *stop_timer;
};

/* Owner of a service's unix sockets (as root). */
struct master_owner {
	uid_t uid;
	gid_t gid;
};

/* master_listen.c: the pool of listening sockets, keyed by address.
 * owner NULL leaves unix sockets at mode 0666. */
int	master_listen_claim(struct master *m, enum mastercf_type type,
	    const char *addr, const struct master_owner *owner,
	    struct why *why);
void	master_listen_unclaim_all(struct master *m);
void	master_listen_sweep(struct master *m);
void	master_listen_close_all(struct master *m);

/* master_service.c: services and their children. */
struct master_service *master_service_new(struct master *m,
	    const struct mastercf_service *conf, struct why *why);
void	master_service_free(struct master_service **svcp);
/* The uid and gid of conf's user (as root; otherwise nothing). 0 or -1. */
int	master_service_owner(const struct master *m,
	    const struct mastercf_service *conf, struct master_owner *out,
	    struct why *why);
void	master_service_fill(struct master_service *svc);
void	master_service_retire(struct master *m, struct master_service *svc);
void	master_child_exited(struct master *m, pid_t pid, int status);
void	master_signal_children(struct master *m, int sig);

/* master_spawn.c: fork and exec one child. */
pid_t	master_spawn(struct master *m, struct master_service *svc);

/* master_users.c: as root, every service's user must exist.  0 or -1. */
int	master_check_users(const struct master *m, const struct instance *inst,
	    struct why *why);

/* master_reload.c: SIGHUP. */
void	master_reload(struct master *m);

/* master_main.c */
void	master_warn_cb(const char *msg, void *arg);

#endif
