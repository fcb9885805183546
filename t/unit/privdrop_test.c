/*
 * privdrop_test.c - unit tests for lib/base/privdrop: user look-up, and
 * (as root, in forked children) a real drop to "nobody" inside a chroot,
 * verified from the inside; the development-mode rules when not root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "base/compat.h"
#include "base/privdrop.h"
#include "tap.h"

/* What a child saw after its drop, sent back through a pipe. */
struct report {
	int rc;
	char why[256];
	uid_t uid[3];
	gid_t gid[3];
	int ngroups;
	gid_t group0;
	int setuid0;
	int setgid0;
	bool marker;		/* "/marker" readable: "/" is the chroot */
	bool outside;		/* the temp dir's real path still visible */
	bool cwd_root;
	int nnp;		/* no_new_privs, or -1 where unknown */
	int rc_other;		/* dev mode: drop to another uid */
	char why_other[256];
	int rc_self;		/* dev mode: "drop" to our own uid */
	bool cwd_kept;
};

static char tmpdir[] = "/tmp/privdrop_test.XXXXXX";
static char marker[64];
static uid_t nobody_uid;
static gid_t nobody_gid;

static void
observe(struct report *r)
{
	char cwd[PATH_MAX];
	gid_t groups[4];

	compat_getresuid(&r->uid[0], &r->uid[1], &r->uid[2]);
	compat_getresgid(&r->gid[0], &r->gid[1], &r->gid[2]);
	r->ngroups = getgroups(4, groups);
	r->group0 = r->ngroups > 0 ? groups[0] : (gid_t)-1;
	r->setuid0 = setuid(0);
	r->setgid0 = setgid(0);
	r->marker = access("/marker", R_OK) == 0;
	r->outside = access(marker, F_OK) == 0;
	r->cwd_root = getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0;
#ifdef __linux__
	r->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
#else
	r->nnp = -1;
#endif
}

/* Not root any more (or never was): the development-mode rules. */
static void
dev_mode(struct report *r)
{
	char before[PATH_MAX];
	char after[PATH_MAX];
	struct why why = { "" };
	uid_t other = getuid() == 0 ? 1 : 0;

	r->rc_other = privdrop(other, 0, NULL, &why);
	snprintf(r->why_other, sizeof(r->why_other), "%s", why.msg);
	if (getcwd(before, sizeof(before)) == NULL)
		before[0] = '\0';
	r->rc_self = privdrop(getuid(), getgid(), "/nonexistent", &why);
	r->cwd_kept = getcwd(after, sizeof(after)) != NULL &&
	    strcmp(before, after) == 0;
}

static void
child_drop(struct report *r)
{
	struct why why = { "" };

	r->rc = privdrop(nobody_uid, nobody_gid, tmpdir, &why);
	snprintf(r->why, sizeof(r->why), "%s", why.msg);
	if (r->rc == 0) {
		observe(r);
		dev_mode(r);
	}
}

static void
child_bad_chroot(struct report *r)
{
	struct why why = { "" };

	r->rc = privdrop(nobody_uid, nobody_gid, "/nonexistent/postern", &why);
	snprintf(r->why, sizeof(r->why), "%s", why.msg);
	r->uid[1] = geteuid();
}

static void
child_become(struct report *r)
{
	struct why why = { "" };

	r->rc = privdrop_become("nobody", &why);
	snprintf(r->why, sizeof(r->why), "%s", why.msg);
	r->uid[0] = getuid();
	r->uid[1] = geteuid();
}

/* Run fn in a child; true when its report arrived and it exited 0. */
static bool
in_child(void (*fn)(struct report *), struct report *r)
{
	int fds[2];
	int status;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) == -1)
		return false;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		fn(r);
		n = write(fds[1], r, sizeof(*r));
		/* _exit: skip the leak checker, which cannot attach once
		 * the process stopped being root (not dumpable). */
		_exit(n == (ssize_t)sizeof(*r) ? 0 : 1);
	}
	close(fds[1]);
	n = pid > 0 ? read(fds[0], r, sizeof(*r)) : -1;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return n == (ssize_t)sizeof(*r) && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
test_lookup(void)
{
	struct why why = { "" };
	uid_t uid = 1;
	gid_t gid = 1;
	int rc;

	ok(privdrop_lookup("root", &uid, &gid, &why) == 0 && uid == 0 &&
	    gid == 0, "root is uid 0, gid 0");
	uid = 7;
	ok(privdrop_lookup("postern-no-such-user", &uid, &gid, &why) == -1 &&
	    strstr(why.msg, "no such user") != NULL && uid == 7,
	    "missing user: %s", why.msg);
	ok(privdrop_lookup("", &uid, &gid, &why) == -1 &&
	    strstr(why.msg, "empty") != NULL, "empty name refused");
	rc = privdrop_lookup("nobody", &nobody_uid, &nobody_gid, &why);
	ok(rc == 0 && nobody_uid != 0, "nobody found (uid %lu)",
	    (unsigned long)nobody_uid);
}

static void
check_dev_mode(const struct report *r)
{
	ok(r->rc_other == -1 && strstr(r->why_other, "not running as root"),
	    "not root: another uid fails: %s", r->why_other);
	is_int(r->rc_self, 0, "not root: our own uid is a no-op success");
	ok(r->cwd_kept, "not root: no chroot attempted");
}

static void
test_as_root(void)
{
	struct report r;
	int fd;

	if (!ok(mkdtemp(tmpdir) != NULL && chmod(tmpdir, 0755) == 0,
		"temp dir for the chroot"))
		return;
	snprintf(marker, sizeof(marker), "%s/marker", tmpdir);
	fd = open(marker, O_CREAT | O_WRONLY | O_EXCL, 0644);
	ok(fd >= 0, "marker file");
	close(fd);
	ok(in_child(child_drop, &r), "child reported back");
	if (!ok(r.rc == 0, "drop to nobody in a chroot"))
		diag("reason: %s", r.why);
	ok(r.uid[0] == nobody_uid && r.uid[1] == nobody_uid &&
	    r.uid[2] == nobody_uid, "real/effective/saved uid are nobody's");
	ok(r.gid[0] == nobody_gid && r.gid[1] == nobody_gid &&
	    r.gid[2] == nobody_gid, "real/effective/saved gid are nobody's");
	ok(r.ngroups == 1 && r.group0 == nobody_gid,
	    "groups are just nobody's");
	ok(r.setuid0 == -1, "setuid(0) fails afterwards");
	ok(r.setgid0 == -1, "setgid(0) fails afterwards");
	ok(r.marker, "/marker is visible: / is the chroot");
	ok(!r.outside, "the real path of the chroot is not visible");
	ok(r.cwd_root, "cwd is / inside the chroot");
	ok(r.nnp != 0, "no_new_privs is set");
	check_dev_mode(&r);
	ok(in_child(child_bad_chroot, &r) && r.rc == -1 &&
	    strstr(r.why, "chroot") != NULL && r.uid[1] == 0,
	    "bad chroot fails before any change: %s", r.why);
	unlink(marker);
	rmdir(tmpdir);
}

static void
test_not_root(void)
{
	struct report r;

	ok(in_child(dev_mode, &r), "child reported back");
	check_dev_mode(&r);
}

/* privdrop_become: as root, the user for good; else nothing happens. */
static void
test_become(void)
{
	struct report r;
	uid_t want = geteuid() == 0 ? nobody_uid : geteuid();

	ok(in_child(child_become, &r), "become: child reported back");
	ok(r.rc == 0 && r.uid[0] == want && r.uid[1] == want,
	    "become: %s (%s)", geteuid() == 0 ? "now nobody" : "unchanged",
	    r.why);
}

int
main(void)
{
	test_lookup();
	test_become();
	if (geteuid() == 0)
		test_as_root();
	else
		test_not_root();
	return done_testing();
}
