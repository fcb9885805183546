/*
 * privdrop.h - look up a service user and drop root for good: chroot,
 * groups, gid and uid, each verified afterwards.
 * Linked into: master (for each child it forks) and any daemon started
 * directly as root; runs as root until the drop.  Trust: user names and
 * paths come from the administrator's configuration.
 */
#ifndef POSTERN_PRIVDROP_H
#define POSTERN_PRIVDROP_H

#include <sys/types.h>

#include "base/why.h"

/*
 * Find user's uid and primary gid (getpwnam_r; may read /etc/passwd, NSS
 * or LDAP, so call it before any chroot).  Returns 0, or -1 with a
 * reason (no such user, look-up failure).  Does not log.
 */
int	privdrop_lookup(const char *user, uid_t *uid_out, gid_t *gid_out,
	    struct why *why);

/*
 * Become uid/gid for good.  As root: chroot to chroot_dir if it is not
 * NULL and chdir("/") inside it, set the supplementary groups to just
 * gid, set real, effective and saved gid, then uid; then verify that all
 * three uids and gids are the targets, that the group list is just gid,
 * and (for uid != 0) that setuid(0) and setgid(0) now fail; finally
 * forbid gaining privileges through exec (no_new_privs).
 *
 * Development mode: when not running as root (euid != 0) and uid is our
 * real, effective and saved uid, nothing is changed (gid and chroot_dir
 * are ignored: no chroot, no group change, no no_new_privs) and 0 is
 * returned; the caller logs one warning.  When not root and any of our
 * uids differs from uid (including a saved uid of 0), it fails.
 *
 * Returns 0, or -1 with a reason; the process may then be half-dropped,
 * so the caller must treat -1 as fatal (start-up).  Does not log.
 */
int	privdrop(uid_t uid, gid_t gid, const char *chroot_dir,
	    struct why *why);

/*
 * For the admin tools: as root, become user for good (privdrop_lookup,
 * then privdrop without chroot); as anyone else, do nothing.  Returns 0,
 * or -1 with why.
 */
int	privdrop_become(const char *user, struct why *why);

/* Most supplementary groups a service process may keep. */
#define PRIVDROP_MAX_GROUPS 32

/*
 * The groups user belongs to (its primary gid included, from the group
 * database): 0 with *n_out set, or -1 with why.  May block (NSS).
 */
int	privdrop_lookup_groups(const char *user, gid_t gid, gid_t *groups_out,
	    size_t *n_out, struct why *why);
/*
 * privdrop() keeping exactly groups[0..ngroups) as supplementary groups
 * (which should include gid); the drop is verified against that set.
 */
int	privdrop_groups(uid_t uid, gid_t gid, const gid_t *groups,
	    size_t ngroups, const char *chroot_dir, struct why *why);

#endif
