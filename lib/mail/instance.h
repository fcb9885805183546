/*
 * instance.h - load an instance's configuration: postern.conf (with
 * overrides) and master.conf (with $name expanded from postern.conf).
 * Linked into: master, postern.  Trust: the admin's files; errors are
 * "file:line: reason".
 */
#ifndef POSTERN_INSTANCE_H
#define POSTERN_INSTANCE_H

#include "base/buf.h"
#include "base/mastercf.h"
#include "mail/params.h"

struct instance {
	char *config_dir;
	struct params params;
	struct cfg *cfg;		/* owns the strings in params */
	struct mastercf services;
	struct buf fingerprint;		/* postern.conf text + overrides */
};

/* Warnings (unknown parameters) go to warn.  0, or -1 with why; the
 * instance is then empty (instance_fini is still safe). */
int	instance_load(struct instance *inst, const char *config_dir,
	    char *const *overrides, int noverrides, cfg_warn_fn *warn,
	    void *warn_arg, struct why *why);
void	instance_fini(struct instance *inst);

/* Path of a file in the config directory: "DIR/name" into out.  0 or -1. */
int	instance_path(const struct instance *inst, const char *name,
	    char *out, size_t size);
/* Where master keeps its pid file: "$data_directory/master.pid". */
int	instance_pid_path(const struct instance *inst, char *out, size_t size);

#endif
