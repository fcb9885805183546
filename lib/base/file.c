/*
 * file.c - read a whole file; replace a file atomically and durably;
 * check that only root can change a file.
 * Linked into: every program.  Trust: paths come from configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

int
file_read_fd(int fd, struct buf *out, struct why *why)
{
	char chunk[8192];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return why_syserr(why, "read");
		if (buf_add(out, chunk, (size_t)n) == -1) {
			why_set(why, "larger than %zu bytes", out->max);
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int
file_read(const char *path, struct buf *out, struct why *why)
{
	struct why inner;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd == -1)
		return errno == ENOENT ? 1 : why_syserr(why, "%s", path);
	r = file_read_fd(fd, out, &inner);
	if (r == -1)
		why_set(why, "%s: %s", path, inner.msg);
	close(fd);
	return r;
}

int
file_sync_dir(const char *path, struct why *why)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;
	int r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
		     path) >= (int)sizeof(dir))
		return why_set(why, "%s: path too long", path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return why_syserr(why, "%s", dir);
	r = fsync(fd);
	if (r == -1)
		why_syserr(why, "fsync %s", dir);
	close(fd);
	return r;
}

static int
write_all(int fd, struct span data)
{
	while (data.len > 0) {
		ssize_t n = write(fd, data.p, data.len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data = span_sub(data, (size_t)n, data.len);
	}
	return 0;
}

int
file_write_atomic(const char *path, struct span data, mode_t mode,
    struct why *why)
{
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return why_set(why, "%s: path too long", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		return why_syserr(why, "create %s", tmp);
	if (write_all(fd, data) == -1 || fsync(fd) == -1) {
		why_syserr(why, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		why_syserr(why, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return file_sync_dir(path, why);
}

/* Owned by root, writable by no one else; what names st in why. */
static int
root_only(const struct stat *st, const char *what, const char *path,
    struct why *why)
{
	if (st->st_uid != 0)
		return why_set(why, "%s %s is not owned by root", what, path);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return why_set(why, "%s %s is writable by group or others",
		    what, path);
	return 0;
}

int
file_root_only(const char *path, int fd, struct why *why)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash == NULL)
		return why_set(why, "%s: not an absolute path", path);
	if (fd >= 0 ? fstat(fd, &st) == -1 : lstat(path, &st) == -1)
		return why_syserr(why, "%s", path);
	if (!S_ISREG(st.st_mode))
		return why_set(why, "%s is not a regular file", path);
	if (root_only(&st, "file", path, why) == -1)
		return -1;
	if (snprintf(dir, sizeof(dir), "%.*s",
		slash == path ? 1 : (int)(slash - path), path) >=
	    (int)sizeof(dir))
		return why_set(why, "%s: path too long", path);
	if (lstat(dir, &st) == -1)
		return why_syserr(why, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		return why_set(why, "%s is not a directory", dir);
	return root_only(&st, "directory", dir, why);
}
