/*
 * file_test.c - unit tests for lib/base/file: reading whole files within
 * a buffer's maximum, atomic replacement (contents, mode, no temporary
 * left behind, stale temporaries, failures), directory sync, and the
 * root-only check (owner and write bits of a file and its directory).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"
#include "tap.h"

static char dir[] = "/tmp/file_test.XXXXXX";

static void
path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void
write_raw(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd == -1 || write(fd, p, n) != (ssize_t)n) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

/* Number of directory entries (other than . and ..) containing s. */
static int
count_entries(const char *s)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    strstr(e->d_name, s) != NULL)
			n++;
	closedir(d);
	return n;
}

static void
test_read(void)
{
	static const char data[] = "line 1\n\0binary\xff";
	struct why why = { "" };
	struct buf b;
	char path[256];
	char big[20000];
	size_t i;

	path_in(path, sizeof(path), "missing");
	buf_init(&b, 100);
	buf_adds(&b, "keep");
	is_int(file_read(path, &b, &why), 1, "missing file returns 1");
	is_str(buf_str(&b), "keep", "missing file leaves the buffer");

	path_in(path, sizeof(path), "plain");
	write_raw(path, data, sizeof(data) - 1);
	is_int(file_read(path, &b, &why), 0, "normal file reads");
	ok(b.len == 4 + sizeof(data) - 1 && memcmp(b.p, "keep", 4) == 0 &&
		memcmp(b.p + 4, data, sizeof(data) - 1) == 0,
	    "contents are appended, binary-safe");
	buf_fini(&b);

	buf_init(&b, sizeof(data) - 1);
	is_int(file_read(path, &b, &why), 0, "file of exactly max bytes");
	buf_fini(&b);

	buf_init(&b, sizeof(data) - 2);
	why.msg[0] = '\0';
	is_int(file_read(path, &b, &why), -1, "file past max returns -1");
	ok(strstr(why.msg, path) != NULL &&
		strstr(why.msg, "larger than 14 bytes") != NULL,
	    "too large: reason names path and max");
	buf_fini(&b);

	/* Larger than one read chunk. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	path_in(path, sizeof(path), "big");
	write_raw(path, big, sizeof(big));
	buf_init(&b, sizeof(big));
	ok(file_read(path, &b, &why) == 0 && b.len == sizeof(big) &&
		memcmp(b.p, big, sizeof(big)) == 0,
	    "multi-chunk file reads whole");
	buf_fini(&b);
	buf_init(&b, sizeof(big) - 1);
	is_int(file_read(path, &b, &why), -1, "multi-chunk file past max");
	buf_fini(&b);
	unlink(path);

	path_in(path, sizeof(path), "empty");
	write_raw(path, "", 0);
	buf_init(&b, 10);
	ok(file_read(path, &b, &why) == 0 && b.len == 0, "empty file");
	buf_fini(&b);
	unlink(path);

	buf_init(&b, 10);
	why.msg[0] = '\0';
	is_int(file_read(dir, &b, &why), -1, "directory returns -1");
	ok(strstr(why.msg, dir) != NULL &&
		strstr(why.msg, strerror(EISDIR)) != NULL,
	    "directory: reason names path and error");
	path_in(path, sizeof(path), "plain/x");
	is_int(file_read(path, &b, &why), -1, "path through a file is -1");
	ok(strstr(why.msg, strerror(ENOTDIR)) != NULL, "ENOTDIR reported");
	buf_fini(&b);
	path_in(path, sizeof(path), "plain");
	unlink(path);
}

static void
check_file(const char *path, const char *want, mode_t mode, const char *what)
{
	struct why why = { "" };
	struct stat st;
	struct buf b;

	buf_init(&b, 1024);
	ok(file_read(path, &b, &why) == 0 && b.len == strlen(want) &&
		memcmp(buf_str(&b), want, b.len) == 0,
	    "%s: contents", what);
	buf_fini(&b);
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode), "%s: regular file",
	    what);
	is_int(st.st_mode & 07777, mode, "%s: mode", what);
}

static void
test_write(void)
{
	struct why why = { "" };
	struct stat st;
	char path[256];
	char tmp[300];
	char longpath[5000];

	umask(022);
	path_in(path, sizeof(path), "out");
	ok(file_write_atomic(path, span_str("first\n"), 0600, &why) == 0,
	    "creates a file");
	check_file(path, "first\n", 0600, "created");
	ok(file_write_atomic(path, span_str("second, longer\n"), 0640,
		   &why) == 0,
	    "replaces a file");
	check_file(path, "second, longer\n", 0640, "replaced");
	ok(file_write_atomic(path, span_make("", 0), 0644, &why) == 0,
	    "replaces with nothing");
	check_file(path, "", 0644, "emptied");
	is_int(count_entries(".tmp."), 0, "no temporary file left behind");

	/* A temporary left by a crashed writer with our pid is replaced. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	write_raw(tmp, "stale", 5);
	ok(file_write_atomic(path, span_str("third"), 0600, &why) == 0,
	    "stale temporary does not block a write");
	check_file(path, "third", 0600, "after stale temporary");
	is_int(count_entries(".tmp."), 0, "stale temporary is gone");

	/* Renaming onto a directory fails and cleans up. */
	path_in(path, sizeof(path), "adir");
	if (mkdir(path, 0755) == -1)
		printf("Bail out! mkdir %s\n", path);
	why.msg[0] = '\0';
	ok(file_write_atomic(path, span_str("x"), 0600, &why) == -1,
	    "replacing a directory fails");
	ok(strstr(why.msg, "rename") != NULL && strstr(why.msg, path) != NULL,
	    "rename failure: reason");
	is_int(count_entries(".tmp."), 0, "failed rename leaves no temporary");
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode),
	    "the directory is untouched");
	rmdir(path);

	path_in(path, sizeof(path), "nodir/out");
	why.msg[0] = '\0';
	ok(file_write_atomic(path, span_str("x"), 0600, &why) == -1,
	    "missing directory fails");
	ok(strstr(why.msg, "create") != NULL &&
		strstr(why.msg, strerror(ENOENT)) != NULL,
	    "missing directory: reason");

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	why.msg[0] = '\0';
	/* why holds 255 bytes: the path fills it, so only check the start. */
	ok(file_write_atomic(longpath, span_str("x"), 0600, &why) == -1 &&
		strncmp(why.msg, "aaaa", 4) == 0,
	    "over-long path refused");
	path_in(path, sizeof(path), "out");
	unlink(path);
}

static void
test_sync_dir(void)
{
	struct why why = { "" };
	char path[256];
	char longpath[5000];
	size_t i;

	path_in(path, sizeof(path), "file");
	ok(file_sync_dir(path, &why) == 0, "sync the directory of dir/file");
	ok(file_sync_dir("relative-name", &why) == 0, "sync of \".\"");
	ok(file_sync_dir("/top", &why) == 0, "sync of \"/\"");
	why.msg[0] = '\0';
	path_in(path, sizeof(path), "nodir/file");
	ok(file_sync_dir(path, &why) == -1, "missing directory fails");
	ok(strstr(why.msg, "nodir") != NULL &&
		strstr(why.msg, strerror(ENOENT)) != NULL,
	    "missing directory: reason");
	for (i = 0; i < sizeof(longpath) - 1; i++)
		longpath[i] = i % 10 == 9 ? '/' : 'a';
	longpath[sizeof(longpath) - 1] = '\0';
	why.msg[0] = '\0';
	ok(file_sync_dir(longpath, &why) == -1 &&
		strncmp(why.msg, "aaaa", 4) == 0,
	    "over-long directory refused");
}

static void
test_root_only(void)
{
	char sub[256];
	char path[300];
	char link[300];
	struct why why = { "" };
	int fd;

	path_in(sub, sizeof(sub), "ro");
	snprintf(path, sizeof(path), "%s/table.db", sub);
	snprintf(link, sizeof(link), "%s/link.db", sub);
	if (mkdir(sub, 0755) == -1) {
		printf("Bail out! mkdir %s\n", sub);
		exit(1);
	}
	write_raw(path, "x", 1);
	chmod(path, 0644);
	ok(file_root_only("relative.db", -1, &why) == -1 &&
		strstr(why.msg, "absolute") != NULL,
	    "a relative path is refused");
	if (geteuid() == 0) {
		is_int(file_root_only(path, -1, &why), 0,
		    "root's file in root's directory");
		fd = open(path, O_RDONLY);
		is_int(file_root_only(path, fd, &why), 0, "the same by fd");
		close(fd);
		chmod(path, 0664);
		ok(file_root_only(path, -1, &why) == -1 &&
			strstr(why.msg, "writable by group") != NULL &&
			strstr(why.msg, path) != NULL,
		    "a group-writable file is refused");
		chmod(path, 0644);
		chmod(sub, 0757);
		ok(file_root_only(path, -1, &why) == -1 &&
			strstr(why.msg, "directory") != NULL,
		    "a directory writable by others is refused");
		chmod(sub, 0755);
		ok(chown(path, 65534, 65534) == 0 &&
			file_root_only(path, -1, &why) == -1 &&
			strstr(why.msg, "not owned by root") != NULL,
		    "a file of another user is refused");
		ok(chown(path, 0, 0) == 0 && chown(sub, 65534, 65534) == 0 &&
			file_root_only(path, -1, &why) == -1 &&
			strstr(why.msg, "directory") != NULL,
		    "a directory of another user is refused");
		chown(sub, 0, 0);
	} else {
		ok(file_root_only(path, -1, &why) == -1 &&
			strstr(why.msg, "not owned by root") != NULL,
		    "not root: our own file is not root's");
	}
	ok(symlink(path, link) == 0 && file_root_only(link, -1, &why) == -1 &&
		strstr(why.msg, "not a regular file") != NULL,
	    "a symbolic link is refused");
	ok(file_root_only(sub, -1, &why) == -1, "a directory is refused");
	why.msg[0] = '\0';
	snprintf(path, sizeof(path), "%s/missing", sub);
	ok(file_root_only(path, -1, &why) == -1 &&
		strstr(why.msg, strerror(ENOENT)) != NULL,
	    "a missing file is refused");
	unlink(link);
	snprintf(path, sizeof(path), "%s/table.db", sub);
	unlink(path);
	rmdir(sub);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_read();
	test_write();
	test_sync_dir();
	test_root_only();
	if (rmdir(dir) == -1)
		diag("rmdir %s: %s", dir, strerror(errno));
	return done_testing();
}
