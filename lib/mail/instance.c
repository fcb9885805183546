/*
 * instance.c - load postern.conf and master.conf of one instance.
 * Linked into: master, postern.  Trust: the admin's files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/net.h"
#include "base/xmem.h"
#include "mail/instance.h"

#define INSTANCE_MAX_CONF (4 * 1024 * 1024)

static int
expand_field(struct span field, struct buf *out, void *arg, struct why *why)
{
	return cfg_expand(arg, field, out, why);
}

/* What decides whether children must restart on reload. */
static int
fingerprint(struct instance *inst, char *const *overrides, int n,
    struct why *why)
{
	char path[4096];
	int i;

	buf_init(&inst->fingerprint, INSTANCE_MAX_CONF);
	if (instance_path(inst, "postern.conf", path, sizeof(path)) == -1)
		return why_set(why, "%s: path too long", inst->config_dir);
	if (file_read(path, &inst->fingerprint, why) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_addc(&inst->fingerprint, '\0') == -1 ||
		    buf_adds(&inst->fingerprint, overrides[i]) == -1)
			return why_set(why, "overrides too long");
	return 0;
}

/* The service before index i (or address j of i) with the same address. */
static const char *
used_by(const struct mastercf *mc, size_t i, size_t j)
{
	const struct mastercf_service *s = &mc->v[i];
	size_t a;
	size_t b;

	for (a = 0; a <= i; a++) {
		const struct mastercf_service *t = &mc->v[a];

		for (b = 0; b < t->nlisten && (a < i || b < j); b++)
			if (strcmp(t->listen[b], s->listen[j]) == 0)
				return t->name;
	}
	return NULL;
}

/* Every listen address must parse and fit its service type. */
static int
check_listeners(const struct mastercf *mc, const char *path, struct why *why)
{
	struct net_addr na;
	struct why inner;
	size_t i;
	size_t j;

	for (i = 0; i < mc->n; i++) {
		const struct mastercf_service *s = &mc->v[i];

		for (j = 0; j < s->nlisten; j++) {
			const char *other = used_by(mc, i, j);

			if (other != NULL)
				return why_set(why, "%s:%d: %s is already the "
						    "address of service %s",
				    path, s->line, s->listen[j], other);
			if (net_addr_parse(span_str(s->listen[j]), &na,
				&inner) == -1)
				return why_set(why, "%s:%d: %s: %s", path,
				    s->line, s->listen[j], inner.msg);
			if ((s->type == MASTERCF_UNIX) != (na.kind == NET_UNIX))
				return why_set(why, "%s:%d: %s: not a%s "
						    "address", path, s->line,
				    s->listen[j], s->type == MASTERCF_UNIX ?
				    " unix socket" : "n inet");
		}
	}
	return 0;
}

int
instance_load(struct instance *inst, const char *config_dir,
    char *const *overrides, int noverrides, cfg_warn_fn *warn,
    void *warn_arg, struct why *why)
{
	char path[4096];

	memset(inst, 0, sizeof(*inst));
	inst->config_dir = xstrdup(config_dir);
	inst->cfg = params_load(config_dir, overrides, noverrides,
	    &inst->params, warn, warn_arg, why);
	if (inst->cfg == NULL)
		goto fail;
	if (fingerprint(inst, overrides, noverrides, why) == -1)
		goto fail;
	if (instance_path(inst, "master.conf", path, sizeof(path)) == -1) {
		why_set(why, "%s: path too long", config_dir);
		goto fail;
	}
	if (mastercf_read(path, expand_field, inst->cfg, &inst->services,
		why) == -1 ||
	    check_listeners(&inst->services, path, why) == -1)
		goto fail;
	return 0;
fail:
	instance_fini(inst);
	return -1;
}

void
instance_fini(struct instance *inst)
{
	free(inst->config_dir);
	cfg_free(&inst->cfg);
	mastercf_fini(&inst->services);
	buf_fini(&inst->fingerprint);
	memset(inst, 0, sizeof(*inst));
}

int
instance_path(const struct instance *inst, const char *name, char *out,
    size_t size)
{
	int n = snprintf(out, size, "%s/%s", inst->config_dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
instance_pid_path(const struct instance *inst, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/master.pid",
	    inst->params.data_directory);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
