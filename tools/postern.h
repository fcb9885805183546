/*
 * postern.h - the subcommands of the postern admin command.
 * Linked into: postern.  Runs as root (start/stop on a system instance) or
 * as any user (development instances, config, map).  Trust: arguments and
 * files are the admin's.
 */
#ifndef POSTERN_TOOL_H
#define POSTERN_TOOL_H

#include "mail/instance.h"

/* Each returns the process exit status. */
int	postern_config(const char *dir, int argc, char **argv);
int	postern_check(const char *dir, int argc, char **argv);
int	postern_map(int argc, char **argv);
int	postern_start(const char *dir, int argc, char **argv);
int	postern_stop(const char *dir, int argc, char **argv);
int	postern_reload(const char *dir, int argc, char **argv);
int	postern_status(const char *dir, int argc, char **argv);
int	postern_run(int argc, char **argv);
int	postern_auth(const char *dir, int argc, char **argv);
int	postern_user(const char *dir, int argc, char **argv);
/* Add user addr with password (for postern run's demo user).  The exit
 * status of "postern user add". */
int	postern_user_add(const char *dir, const char *addr,
	    const char *password);
int	postern_store(const char *dir, int argc, char **argv);
int	postern_queue(const char *dir, int argc, char **argv);

/* Load the instance in dir, printing warnings; on error prints it and
 * returns -1 (callers exit 2). */
int	postern_load(struct instance *inst, const char *dir,
	    char *const *overrides, int noverrides);
/* As root, become user (the owner of the queue or the store) before
 * touching its files; as anyone else, nothing.  0, or -1 after printing
 * why. */
int	postern_become(const char *user);
/* Path of the master program: $daemon_directory/master. */
int	postern_master_path(const struct instance *inst, char *out,
	    size_t size);
/* Run master for inst (argv tail: extra options); returns its status. */
int	postern_exec_master(const struct instance *inst, bool foreground,
	    char *const *overrides, int noverrides);
/*
 * Create the directories master and the services need; as root also the
 * system users (mail_owner, auth_owner, store_owner), saying what it did.
 * 0 or -1 (after printing why).
 */
int	postern_prepare(const struct instance *inst);
/* Create a self-signed certificate and key (PEM) for host. 0 or -1. */
int	postern_cert_make(const char *cert_path, const char *key_path,
	    const char *host, struct why *why);

#endif
