/*
 * master_service.c - keep each service's processes running: start them,
 * notice when one ends, restart it with a growing delay when it keeps
 * failing (never a fork storm), and retire processes on reload and stop.
 * Linked into: master.  Trust: not applicable (our own children).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "base/log.h"
#include "base/privdrop.h"
#include "base/xmem.h"
#include "master.h"

static void
restart_timer_fired(void *arg)
{
	master_service_fill(arg);
}

struct master_service *
master_service_new(struct master *m, const struct mastercf_service *conf,
    struct why *why)
{
	struct master_service *svc = xcalloc(1, sizeof(*svc));
	struct master_owner owner;
	size_t i;

	svc->m = m;
	svc->conf = conf;
	if (master_service_owner(m, conf, &owner, why) == -1) {
		free(svc);
		return NULL;
	}
	for (i = 0; i < conf->nlisten; i++) {
		int fd = master_listen_claim(m, conf->type, conf->listen[i],
		    m->is_root ? &owner : NULL, why);

		if (fd == -1) {
			free(svc);
			return NULL;
		}
		svc->fds[svc->nfds++] = fd;
	}
	svc->restart = event_timer_new(m->base, restart_timer_fired, svc);
	return svc;
}

int
master_service_owner(const struct master *m,
    const struct mastercf_service *conf, struct master_owner *out,
    struct why *why)
{
	const char *user = conf->user != NULL ? conf->user :
						m->inst.params.mail_owner;
	uid_t mail_uid;

	if (!m->is_root)
		return 0;
	if (privdrop_lookup(user, &out->uid, &out->gid, why) == -1)
		return -1;
	/* A root service (local(8)) serves the mail system only: its
	 * sockets get mail_owner's group, so that qmgr may connect. */
	if (out->uid == 0)
		return privdrop_lookup(m->inst.params.mail_owner, &mail_uid,
		    &out->gid, why);
	return 0;
}

void
master_service_free(struct master_service **svcp)
{
	struct master_service *svc = *svcp;

	if (svc == NULL)
		return;
	event_timer_free(&svc->restart);
	free(svc);
	*svcp = NULL;
}

static unsigned int
limit_of(const struct master_service *svc)
{
	return svc->conf->limit != 0 ?
	    svc->conf->limit :
	    (unsigned int)svc->m->inst.params.default_process_limit;
}

void
master_service_fill(struct master_service *svc)
{
	struct master *m = svc->m;

	if (m->stopping || event_timer_is_pending(svc->restart))
		return;
	while (svc->running < limit_of(svc)) {
		struct master_child *c;
		pid_t pid = master_spawn(m, svc);

		if (pid == -1) {
			/* fork failed: try again later, not in a loop. */
			event_timer_start(svc->restart, 1000, false);
			return;
		}
		c = xcalloc(1, sizeof(*c));
		c->pid = pid;
		c->svc = svc;
		c->started_ms = event_now_ms();
		c->next = m->children;
		m->children = c;
		svc->running++;
	}
}

void
master_service_retire(struct master *m, struct master_service *svc)
{
	struct master_child *c;

	for (c = m->children; c != NULL; c = c->next) {
		if (c->svc != svc)
			continue;
		c->svc = NULL;
		kill(c->pid, SIGTERM);
	}
	svc->running = 0;
	event_timer_stop(svc->restart);
}

void
master_signal_children(struct master *m, int sig)
{
	struct master_child *c;

	for (c = m->children; c != NULL; c = c->next)
		kill(c->pid, sig);
}

static void
describe(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "was killed by signal %d%s",
		    WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(out, size, "exited with status %d",
		    WEXITSTATUS(status));
}

/* An exit master did not ask for: restart, later each time it repeats. */
static void
schedule_restart(struct master_service *svc, const struct master_child *c,
    const char *how)
{
	const struct params *p = &svc->m->inst.params;
	uint64_t now = event_now_ms();
	uint64_t delay = p->service_restart_delay * 1000;
	uint64_t cap = p->service_throttle_time * 1000;
	unsigned int i;

	if (now - c->started_ms >= cap)
		svc->fails = 0;
	svc->fails++;
	for (i = 1; i < svc->fails && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	if (delay >= cap)
		log_warn("service %s: process %ld %s; %u failures in a row, "
			 "throttling: next start in %llus",
		    svc->conf->name, (long)c->pid, how, svc->fails,
		    (unsigned long long)delay / 1000);
	else
		log_warn("service %s: process %ld %s; restarting in %llums",
		    svc->conf->name, (long)c->pid, how,
		    (unsigned long long)delay);
	if (!event_timer_is_pending(svc->restart))
		event_timer_start(svc->restart, delay, false);
}

static struct master_child *
unlink_child(struct master *m, pid_t pid)
{
	struct master_child **cp;

	for (cp = &m->children; *cp != NULL; cp = &(*cp)->next) {
		struct master_child *c = *cp;

		if (c->pid == pid) {
			*cp = c->next;
			return c;
		}
	}
	return NULL;
}

void
master_child_exited(struct master *m, pid_t pid, int status)
{
	struct master_child *c = unlink_child(m, pid);
	char how[64];

	if (c == NULL)
		return;
	describe(status, how, sizeof(how));
	if (c->svc == NULL || m->stopping) {
		log_debug("process %ld %s", (long)pid, how);
	} else {
		c->svc->running--;
		schedule_restart(c->svc, c, how);
	}
	free(c);
}
