/*
 * privdrop.c - look up a service user and drop root for good, then check
 * that the drop really happened (STYLE.md section 8).
 * Linked into: master (for each child it forks) and any daemon started
 * directly as root; runs as root until the drop.  Trust: user names and
 * paths come from the administrator's configuration; what the kernel
 * reports after the drop is verified rather than assumed.
 *
 * chroot() and setgroups() are not in POSIX.1-2008 but exist with the
 * same meaning on every Unix we build on, so they are called here; the
 * calls that differ between systems (setresuid and friends, no_new_privs)
 * go through compat.c.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "base/compat.h"
#include "base/privdrop.h"
#include "base/xmem.h"

/* Largest getpwnam_r buffer we try (entries from LDAP can be long). */
#define PW_BUF_MAX (1024 * 1024)

int
privdrop_lookup(const char *user, uid_t *uid_out, gid_t *gid_out,
    struct why *why)
{
	struct passwd pw;
	struct passwd *res = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	char *buf;
	int err;

	if (user == NULL || user[0] == '\0')
		return why_set(why, "empty user name");
	for (;;) {
		buf = xmalloc(len);
		err = getpwnam_r(user, &pw, buf, len, &res);
		if (err != ERANGE || len >= PW_BUF_MAX)
			break;
		xfree(&buf);
		len *= 2;
	}
	if (res != NULL) {
		*uid_out = pw.pw_uid;
		*gid_out = pw.pw_gid;
	} else if (err == 0 || err == ENOENT || err == ESRCH) {
		why_set(why, "no such user: %s", user);
	} else {
		errno = err;
		why_syserr(why, "cannot look up user %s", user);
	}
	xfree(&buf);
	return res != NULL ? 0 : -1;
}

/*
 * Not root: only "becoming" ourselves is possible, and only when no id
 * is root, so that a process that merely set its euid aside (saved uid
 * 0) cannot pass for an unprivileged one.
 */
static int
dev_mode(uid_t uid, struct why *why)
{
	uid_t r;
	uid_t e;
	uid_t s;

	if (compat_getresuid(&r, &e, &s) == -1)
		return why_syserr(why, "getresuid");
	if (r == uid && e == uid && s == uid)
		return 0;
	return why_set(why, "not running as root: cannot become uid %lu "
	    "(running as %lu/%lu/%lu)", (unsigned long)uid,
	    (unsigned long)r, (unsigned long)e, (unsigned long)s);
}

static int
check_ids(uid_t uid, gid_t gid, struct why *why)
{
	uid_t ru;
	uid_t eu;
	uid_t su;
	gid_t rg;
	gid_t eg;
	gid_t sg;

	if (compat_getresuid(&ru, &eu, &su) == -1 ||
	    compat_getresgid(&rg, &eg, &sg) == -1)
		return why_syserr(why, "getresuid/getresgid");
	if (ru != uid || eu != uid || su != uid)
		return why_set(why, "uids are %lu/%lu/%lu after the drop, "
		    "not %lu", (unsigned long)ru, (unsigned long)eu,
		    (unsigned long)su, (unsigned long)uid);
	if (rg != gid || eg != gid || sg != gid)
		return why_set(why, "gids are %lu/%lu/%lu after the drop, "
		    "not %lu", (unsigned long)rg, (unsigned long)eg,
		    (unsigned long)sg, (unsigned long)gid);
	return 0;
}

static bool
has_group(const gid_t *v, size_t n, gid_t g)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

static int
verify(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
    struct why *why)
{
	gid_t now[PRIVDROP_MAX_GROUPS + 1];
	int n;
	int i;

	if (check_ids(uid, gid, why) == -1)
		return -1;
	/* Room for one more: an extra entry means setgroups did not stick. */
	n = getgroups(PRIVDROP_MAX_GROUPS + 1, now);
	if (n != (int)ngroups)
		return why_set(why, "%d supplementary groups after the drop, "
		    "not %zu", n, ngroups);
	for (i = 0; i < n; i++)
		if (!has_group(groups, ngroups, now[i]))
			return why_set(why, "unexpected group %lu after the "
			    "drop", (unsigned long)now[i]);
	if (uid != 0 && setuid(0) != -1)
		return why_set(why, "setuid(0) still works after the drop");
	if (uid != 0 && gid != 0 && setgid(0) != -1)
		return why_set(why, "setgid(0) still works after the drop");
	return 0;
}

int
privdrop(uid_t uid, gid_t gid, const char *chroot_dir, struct why *why)
{
	return privdrop_groups(uid, gid, &gid, 1, chroot_dir, why);
}

int
privdrop_lookup_groups(const char *user, gid_t gid, gid_t *groups_out,
    size_t *n_out, struct why *why)
{
	int n = PRIVDROP_MAX_GROUPS;

	if (getgrouplist(user, gid, groups_out, &n) == -1)
		return why_set(why, "user %s is in more than %d groups", user,
		    PRIVDROP_MAX_GROUPS);
	*n_out = (size_t)n;
	return 0;
}

int
privdrop_groups(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
    const char *chroot_dir, struct why *why)
{
	if (ngroups > PRIVDROP_MAX_GROUPS)
		return why_set(why, "too many groups");
	if (geteuid() != 0)
		return dev_mode(uid, why);
	if (chroot_dir != NULL) {
		if (chroot(chroot_dir) == -1)
			return why_syserr(why, "chroot %s", chroot_dir);
		/* Else the cwd would still lie outside the new root. */
		if (chdir("/") == -1)
			return why_syserr(why, "chdir / in %s", chroot_dir);
	}
	/* Groups first: once the uid is not root, they cannot change. */
	if (setgroups(ngroups, groups) == -1)
		return why_syserr(why, "setgroups");
	if (compat_setresgid(gid) == -1)
		return why_syserr(why, "setresgid %lu", (unsigned long)gid);
	if (compat_setresuid(uid) == -1)
		return why_syserr(why, "setresuid %lu", (unsigned long)uid);
	if (verify(uid, gid, groups, ngroups, why) == -1)
		return -1;
	if (compat_no_new_privs() == -1)
		return why_syserr(why, "cannot set no_new_privs");
	return 0;
}

int
privdrop_become(const char *user, struct why *why)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (privdrop_lookup(user, &uid, &gid, why) == -1 ||
	    privdrop(uid, gid, NULL, why) == -1)
		return -1;
	return 0;
}
