/*
 * master_reload.c - SIGHUP: read postern.conf and master.conf again and
 * apply the difference.  A broken new configuration changes nothing.
 * Unchanged services keep their processes; changed ones are restarted;
 * listeners whose address stays are kept open throughout.  When
 * postern.conf itself changed, every service restarts (children read it
 * only at start-up) but listeners are still kept.
 * Linked into: master.  Trust: the admin's files.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "master.h"

struct tally {
	unsigned int kept;
	unsigned int started;
	unsigned int stopped;
};

static struct master_service *
take_old(struct master *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nsvc; i++) {
		struct master_service *svc = m->svc[i];

		if (svc != NULL && strcmp(svc->conf->name, name) == 0) {
			m->svc[i] = NULL;
			return svc;
		}
	}
	return NULL;
}

/* Keep old (same settings): claim its listeners again. */
static bool
keep(struct master *m, struct master_service *old,
    const struct mastercf_service *conf)
{
	struct master_owner owner;
	struct why why;
	size_t i;

	if (master_service_owner(m, conf, &owner, &why) == -1)
		return false;
	for (i = 0; i < old->nfds; i++)
		if (master_listen_claim(m, conf->type, conf->listen[i],
			m->is_root ? &owner : NULL, &why) != old->fds[i])
			return false;
	old->conf = conf;
	return true;
}

static struct master_service *
rebuild_one(struct master *m, const struct mastercf_service *conf,
    bool conf_changed, struct tally *t)
{
	struct master_service *old = take_old(m, conf->name);
	struct master_service *svc;
	struct why why;

	if (old != NULL && !conf_changed && mastercf_same(old->conf, conf) &&
	    keep(m, old, conf)) {
		t->kept++;
		return old;
	}
	if (old != NULL) {
		master_service_retire(m, old);
		master_service_free(&old);
	}
	svc = master_service_new(m, conf, &why);
	if (svc == NULL) {
		log_error("service %s: %s; not started", conf->name, why.msg);
		return NULL;
	}
	t->started++;
	return svc;
}

void
master_reload(struct master *m)
{
	struct instance next;
	struct master_service **nsvc;
	struct tally t = { 0, 0, 0 };
	struct why why;
	bool conf_changed;
	size_t i;

	if (instance_load(&next, m->inst.config_dir, m->overrides,
		m->noverrides, master_warn_cb, NULL, &why) == -1 ||
	    master_check_users(m, &next, &why) == -1) {
		log_error("reload refused: %s; keeping the running "
			  "configuration", why.msg);
		instance_fini(&next);
		return;
	}
	conf_changed = !span_eq_span(buf_span(&m->inst.fingerprint),
	    buf_span(&next.fingerprint));
	master_listen_unclaim_all(m);
	nsvc = xcalloc(next.services.n + 1, sizeof(*nsvc));
	for (i = 0; i < next.services.n; i++)
		nsvc[i] = rebuild_one(m, &next.services.v[i], conf_changed, &t);
	for (i = 0; i < m->nsvc; i++) {
		if (m->svc[i] == NULL)
			continue;
		master_service_retire(m, m->svc[i]);
		master_service_free(&m->svc[i]);
		t.stopped++;
	}
	master_listen_sweep(m);
	free(m->svc);
	instance_fini(&m->inst);
	m->inst = next;
	m->svc = nsvc;
	m->nsvc = next.services.n;
	for (i = 0; i < m->nsvc; i++)
		if (m->svc[i] != NULL)
			master_service_fill(m->svc[i]);
	log_info("reloaded: %u services kept, %u started or restarted, %u "
		 "stopped", t.kept, t.started, t.stopped);
}
