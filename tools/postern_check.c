/*
 * postern_check.c - "postern check": validate an instance's configuration,
 * directories, ownership and permissions, programs and listen addresses,
 * and say what is wrong.
 * Linked into: postern.  Trust: the admin's files.
 */
#include <pwd.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cfg.h"
#include "mail/dict.h"
#include "postern.h"

static int problems;

/* What postern start sets up is not a problem before the first start:
 * it is said, on standard output, and not counted. */
static void
note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	va_list ap;

	printf("postern: check: note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "postern: check: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	problems++;
}

/* A directory that must exist, owned by owner (root: NULL), not writable
 * by group or others. */
static void
check_dir(const char *what, const char *path, const char *owner)
{
	struct passwd *pw;
	struct stat st;

	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		note("%s %s does not exist yet (postern start creates it)",
		    what, path);
		return;
	}
	if (st.st_mode & 022)
		problem("%s %s is writable by group or others (mode %03o)",
		    what, path, (unsigned)(st.st_mode & 0777));
	if (geteuid() != 0) {
		if (access(path, W_OK) == -1)
			problem("%s %s is not writable by uid %ld", what, path,
			    (long)geteuid());
		return;
	}
	pw = owner != NULL ? getpwnam(owner) : NULL;
	if (owner != NULL && pw == NULL)
		note("user %s does not exist yet (postern start creates it)",
		    owner);
	else if (st.st_uid != (pw != NULL ? pw->pw_uid : 0))
		problem("%s %s should be owned by %s (uid %ld), not uid %ld",
		    what, path, owner != NULL ? owner : "root",
		    (long)(pw != NULL ? pw->pw_uid : 0), (long)st.st_uid);
}

static void
check_service(const struct instance *inst, const struct mastercf_service *s)
{
	char path[4096];
	if (s->argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", s->argv[0]);
	else
		snprintf(path, sizeof(path), "%s/%s",
		    inst->params.daemon_directory, s->argv[0]);
	if (access(path, X_OK) == -1)
		problem("master.conf:%d: service %s: %s is not an executable "
			"program", s->line, s->name, path);
	if (geteuid() == 0 && s->user != NULL && getpwnam(s->user) == NULL &&
	    strcmp(s->user, inst->params.mail_owner) != 0 &&
	    strcmp(s->user, inst->params.auth_owner) != 0 &&
	    strcmp(s->user, inst->params.store_owner) != 0)
		problem("master.conf:%d: service %s: user %s does not exist",
		    s->line, s->name, s->user);
}

/* A hash: or lmdb: table of which neither the text nor the compiled file
 * exists: postern start creates it empty (for the tables it makes). */
static bool
start_makes(const char *spec)
{
	const char *path = strchr(spec, ':') + 1;
	char db[4200];

	if (strncmp(spec, "hash:", 5) != 0 && strncmp(spec, "lmdb:", 5) != 0)
		return false;
	snprintf(db, sizeof(db), "%s%s", path, spec[0] == 'h' ? ".db" :
								".lmdb");
	return access(path, F_OK) == -1 && access(db, F_OK) == -1;
}

/* Every lookup table the directory uses must open. */
static void
check_tables(const struct params *p)
{
	const char *lists[] = { p->virtual_mailbox_maps,
		p->virtual_alias_maps, p->alias_maps, p->mydestination,
		p->virtual_mailbox_domains, p->relay_domains };
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct span rest = span_str(lists[i]);
		struct span item;

		while (cfg_list_next(&rest, &item)) {
			char *spec = span_dup(item);
			struct why why;
			struct dict *d = NULL;

			if (strchr(spec, ':') != NULL && i < 3 &&
			    start_makes(spec))
				note("table %s does not exist yet (postern "
				     "start creates it empty)", spec);
			else if (strchr(spec, ':') != NULL &&
			    (d = dict_open(spec, &why)) == NULL)
				problem("table %s", why.msg);
			dict_close(&d);
			free(spec);
		}
	}
}

static void
check_tls(const struct params *p)
{
	struct stat st;

	if (stat(p->tls_key_file, &st) == 0 && (st.st_mode & 077))
		problem("tls_key_file %s is readable by group or others "
			"(mode %03o)", p->tls_key_file,
		    (unsigned)(st.st_mode & 0777));
}

int
postern_check(const char *dir, int argc, char **argv)
{
	struct instance inst;
	char priv[4096];
	size_t i;

	(void)argv;
	if (argc != 1)
		return 2;
	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	problems = 0;
	check_dir("config_directory", inst.params.config_directory, NULL);
	check_dir("queue_directory", inst.params.queue_directory, NULL);
	check_dir("data_directory", inst.params.data_directory, NULL);
	snprintf(priv, sizeof(priv), "%s/private",
	    inst.params.queue_directory);
	check_dir("private socket directory", priv, inst.params.mail_owner);
	for (i = 0; i < inst.services.n; i++)
		check_service(&inst, &inst.services.v[i]);
	check_tables(&inst.params);
	check_tls(&inst.params);
	instance_fini(&inst);
	if (problems == 0)
		printf("postern: check: %s is fine\n", dir);
	return problems == 0 ? 0 : 1;
}
