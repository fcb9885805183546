/*
 * postern_config.c - "postern config": print effective parameter values.
 * Linked into: postern.  Trust: the admin's files.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/privdrop.h"
#include "postern.h"

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "postern: warning: %s\n", msg);
}

int
postern_load(struct instance *inst, const char *dir, char *const *overrides,
    int noverrides)
{
	struct why why;

	if (instance_load(inst, dir, overrides, noverrides, warn_cb, NULL,
		&why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	return 0;
}

static void
print_one(const struct instance *inst, const char *name)
{
	printf("%s = %s\n", name, cfg_value(inst->cfg, name));
}

int
postern_config(const char *dir, int argc, char **argv)
{
	struct instance inst;
	bool changed_only = false;
	int status = 0;
	int c;
	int i;

	while ((c = getopt(argc, argv, "n")) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: postern config [-n] "
					"[NAME...]\n");
			return 2;
		}
		changed_only = true;
	}
	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	for (i = optind; i < argc; i++) {
		if (cfg_lookup(params_table, argv[i]) == NULL) {
			fprintf(stderr, "postern: unknown parameter %s\n",
			    argv[i]);
			status = 1;
		} else {
			print_one(&inst, argv[i]);
		}
	}
	for (i = 0; optind == argc && params_table[i].name != NULL; i++)
		if (!changed_only || cfg_is_set(inst.cfg, params_table[i].name))
			print_one(&inst, params_table[i].name);
	instance_fini(&inst);
	return status;
}

int
postern_become(const char *user)
{
	struct why why = { "" };

	if (privdrop_become(user, &why) == -1) {
		fprintf(stderr, "postern: %s: %s\n", user, why.msg);
		return -1;
	}
	return 0;
}
