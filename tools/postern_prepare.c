/*
 * postern_prepare.c - what an instance needs before master starts: as
 * root, the system users (mail_owner, auth_owner, store_owner) and their
 * group memberships (the daemons that ask authd are members of
 * auth_owner's group, the delivery agents of store_owner's); the
 * directories (the queue, the store) with the owners and modes that
 * privilege separation needs.  It says what it changed.
 * Linked into: postern.  Runs as root (system instance) or as the invoking
 * user (development instance).  Trust: the admin's configuration.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cfg.h"
#include "base/file.h"
#include "mail/dict_build.h"
#include "postern.h"

/* Create a system user with useradd (no shell, no home). */
static int
ensure_user(const char *name)
{
	char *argv[] = { "useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
		(char *)name, NULL };
	int status;
	pid_t pid;

	if (getpwnam(name) != NULL)
		return 0;
	pid = fork();
	if (pid == 0) {
		execv("/usr/sbin/useradd", argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "postern: cannot create system user %s\n",
		    name);
		return -1;
	}
	printf("postern: created system user %s\n", name);
	return 0;
}

/* Put user in the primary group of group_owner (usermod -a -G). */
static int
ensure_member(const char *user, const char *group_owner)
{
	struct passwd *pw = getpwnam(group_owner);
	struct group *gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;
	char *argv[] = { "usermod", "-a", "-G", NULL, (char *)user, NULL };
	size_t i;
	int status;
	pid_t pid;

	if (gr == NULL)
		return -1;
	for (i = 0; gr->gr_mem[i] != NULL; i++)
		if (strcmp(gr->gr_mem[i], user) == 0)
			return 0;
	argv[3] = gr->gr_name;
	pid = fork();
	if (pid == 0) {
		execv("/usr/sbin/usermod", argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "postern: cannot add %s to group %s\n", user,
		    argv[3]);
		return -1;
	}
	printf("postern: added %s to group %s\n", user, argv[3]);
	return 0;
}

/* Create dir if missing and set owner and mode. */
static int
ensure_dir(const char *path, const char *owner, mode_t mode)
{
	struct passwd *pw = owner != NULL ? getpwnam(owner) : NULL;
	uid_t uid = pw != NULL ? pw->pw_uid : geteuid();
	gid_t gid = pw != NULL ? pw->pw_gid : getegid();
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (mkdir(path, mode) == -1) {
			fprintf(stderr, "postern: mkdir %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		printf("postern: created %s\n", path);
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "postern: %s is not a directory\n", path);
		return -1;
	}
	if (geteuid() == 0 && (chown(path, uid, gid) == -1 ||
				  chmod(path, mode) == -1)) {
		fprintf(stderr, "postern: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The queue states (postern-queue(5)) and defer/, where qmgr keeps the
 * deferral reasons: mail_owner's, mode 0700. */
static int
queue_dirs(const struct params *p, bool root)
{
	static const char *const states[] = { "incoming", "active",
		"deferred", "hold", "corrupt", "defer" };
	char dir[4096];
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", p->queue_directory,
		    states[i]);
		if (ensure_dir(dir, root ? p->mail_owner : NULL, 0700) == -1)
			return -1;
	}
	return 0;
}

/* The directory of authd's socket: group auth_owner's, mode 0750, so
 * that only members of that group reach the socket. */
static int
auth_dir(const struct params *p, bool root)
{
	const char *slash = strrchr(p->authd_socket, '/');
	char dir[4096];

	if (slash == NULL || p->authd_socket[0] == '/')
		return 0;
	snprintf(dir, sizeof(dir), "%s/%.*s", p->queue_directory,
	    (int)(slash - p->authd_socket), p->authd_socket);
	return ensure_dir(dir, root ? p->auth_owner : NULL, 0750);
}

/* Readable by authd only: as root, group auth_owner's, mode 0640. */
static int
give_to_authd(const struct params *p, const char *path, const char *built)
{
	struct passwd *pw = getpwnam(p->auth_owner);

	if (geteuid() != 0 || pw == NULL)
		return 0;
	if (chown(path, 0, pw->pw_gid) == -1 ||
	    chown(built, 0, pw->pw_gid) == -1 || chmod(built, 0640) == -1) {
		fprintf(stderr, "postern: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A hash: or lmdb: table with neither its text nor its built file is
 * created empty, so that authd finds every table it is configured with. */
static int
ensure_table(const struct params *p, struct span spec)
{
	struct dict_build_report rep = { 0 };
	char path[4096];
	char built[4200];
	const char *type = span_startswith_nocase(spec, "hash:") ? "hash" :
	    span_startswith_nocase(spec, "lmdb:") ? "lmdb" : NULL;
	struct why why;

	if (type == NULL || spec.len - 5 >= sizeof(path))
		return 0;
	snprintf(path, sizeof(path), "%.*s", (int)spec.len - 5,
	    (const char *)spec.p + 5);
	snprintf(built, sizeof(built), "%s.%s", path,
	    type[0] == 'h' ? "db" : "lmdb");
	if (access(path, F_OK) == 0 || access(built, F_OK) == 0)
		return 0;
	if (file_write_atomic(path, span_str("# See postern.conf(5).\n"), 0640,
		&why) == -1 ||
	    dict_build(type, path, &rep, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	printf("postern: created the empty table %s\n", path);
	return give_to_authd(p, path, built);
}

static int
ensure_tables(const struct params *p)
{
	const char *lists[] = { p->virtual_mailbox_maps,
		p->virtual_alias_maps, p->alias_maps };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct span rest = span_str(lists[i]);
		struct span item;

		while (cfg_list_next(&rest, &item))
			if (ensure_table(p, item) == -1)
				return -1;
	}
	return 0;
}

int
postern_prepare(const struct instance *inst)
{
	const struct params *p = &inst->params;
	bool root = geteuid() == 0;
	char priv[4096];
	char pub[4096];

	if (root && (ensure_user(p->mail_owner) == -1 ||
		ensure_user(p->auth_owner) == -1 ||
		ensure_user(p->store_owner) == -1))
		return -1;
	/* lmtpd's socket is store_owner's, mode 0660: the delivery agents
	 * (mail_owner) reach it as members of its group. */
	if (root && (ensure_member(p->mail_owner, p->auth_owner) == -1 ||
		ensure_member(p->store_owner, p->auth_owner) == -1 ||
		ensure_member(p->mail_owner, p->store_owner) == -1))
		return -1;
	snprintf(priv, sizeof(priv), "%s/private", p->queue_directory);
	/* public/: sockets every local user may use (sendmail(1)). */
	snprintf(pub, sizeof(pub), "%s/public", p->queue_directory);
	if (ensure_dir(p->data_directory, NULL, 0755) == -1 ||
	    ensure_dir(p->queue_directory, NULL, 0755) == -1 ||
	    ensure_dir(priv, root ? p->mail_owner : NULL, 0700) == -1 ||
	    ensure_dir(pub, NULL, 0755) == -1 ||
	    auth_dir(p, root) == -1 || queue_dirs(p, root) == -1 ||
	    ensure_dir(p->store_directory, root ? p->store_owner : NULL,
		0700) == -1 ||
	    ensure_tables(p) == -1)
		return -1;
	return 0;
}

