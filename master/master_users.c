/*
 * master_users.c - as root, check that every service's user exists before
 * anything starts (or a reload is applied), instead of letting each child
 * fail its privilege drop in a restart loop.
 * Linked into: master.  Trust: the admin's files.
 */
#include "base/privdrop.h"
#include "master.h"

int
master_check_users(const struct master *m, const struct instance *inst,
    struct why *why)
{
	const struct mastercf *mc = &inst->services;
	struct why inner;
	uid_t uid;
	gid_t gid;
	size_t i;

	if (!m->is_root)
		return 0;
	for (i = 0; i < mc->n; i++) {
		const struct mastercf_service *s = &mc->v[i];
		const char *user = s->user != NULL ? s->user :
						     inst->params.mail_owner;

		if (privdrop_lookup(user, &uid, &gid, &inner) == -1)
			return why_set(why, "%s/master.conf:%d: service %s: %s",
			    inst->config_dir, s->line, s->name, inner.msg);
	}
	return 0;
}
