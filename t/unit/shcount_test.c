/*
 * shcount_test.c - unit tests for lib/base/shcount: counting in a private
 * table, full windows, and a file shared with other processes (their
 * counts are seen, a killed process's counts vanish, its owner number's
 * next holder clears them, a table of another size is refused while in
 * use and set up afresh once nobody uses it, no symlinks).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/shcount.h"
#include "tap.h"

static void
test_private(void)
{
	struct why why;
	struct shcount *c = shcount_open(NULL, 10, &why);
	struct span k = span_str("i:192.0.2.1");
	struct span bin = span_make("u\0a", 3);

	ok(c != NULL && !shcount_is_shared(c), "private table");
	is_int(shcount_total(c, k), 0, "nothing counted");
	shcount_sub(c, k);
	is_int(shcount_total(c, k), 0, "sub without add does nothing");
	ok(shcount_add(c, k) == 0 && shcount_add(c, k) == 0, "two adds");
	is_int(shcount_total(c, k), 2, "total 2");
	is_int(shcount_total(c, span_str("i:192.0.2.10")), 0,
	    "another key is 0");
	ok(shcount_add(c, bin) == 0, "binary key");
	is_int(shcount_total(c, span_make("u\0b", 3)), 0,
	    "binary keys are exact");
	is_int(shcount_total(c, bin), 1, "binary key counted");
	shcount_sub(c, k);
	is_int(shcount_total(c, k), 1, "sub: 1");
	shcount_sub(c, k);
	shcount_sub(c, k);
	is_int(shcount_total(c, k), 0, "sub to 0, and no further");
	shcount_close(&c);
	ok(c == NULL, "close clears the pointer");
	shcount_close(&c);
}

static void
test_full(void)
{
	struct why why;
	struct shcount *c = shcount_open(NULL, 1, &why);
	static bool added[3000];
	char key[32];
	int n = 0, refused = 0;
	bool good = true;

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		added[i] = shcount_add(c, span_str(key)) == 0;
		n += added[i];
		refused += !added[i];
	}
	ok(n <= 1024 && refused > 0, "a full table refuses (%d counted)", n);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		good &= shcount_total(c, span_str(key)) == (added[i] ? 1u : 0u);
		if (added[i])
			shcount_sub(c, span_str(key));
	}
	ok(good, "each counted key is 1, each refused one 0");
	good = true;
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		good &= shcount_total(c, span_str(key)) == 0;
	}
	ok(good, "all back to 0");
	ok(shcount_add(c, span_str("key2999")) == 0, "room again");
	shcount_close(&c);
}

/*
 * A child that opens path, adds key n times, writes one byte to tell,
 * then waits for its parent (reads go until EOF) and closes the table.
 * Returns its pid; *ready gets a descriptor to read the byte from and
 * *hold one to close to let it go.
 */
static pid_t
child(const char *path, const char *key, int n, int *ready, int *hold)
{
	int up[2], down[2];
	pid_t pid;
	char c;

	if (pipe(up) == -1 || pipe(down) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct why why;
		struct shcount *t;

		close(up[0]);
		close(down[1]);
		t = shcount_open(path, 1024, &why);
		for (int i = 0; t != NULL && i < n; i++)
			shcount_add(t, span_str(key));
		c = t != NULL ? 'y' : 'n';
		if (write(up[1], &c, 1) != 1)
			_exit(1);
		while (read(down[0], &c, 1) > 0)
			;
		shcount_close(&t);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*ready = up[0];
	*hold = down[1];
	return pid;
}

static bool
child_ready(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 && c == 'y';
}

static void
test_shared(const char *dir)
{
	char path[512], link[512];
	struct why why;
	struct shcount *c;
	struct span k = span_str("i:2001:db8::1");
	struct stat st;
	int ready, hold, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/counts", dir);
	c = shcount_open(path, 1024, &why);
	ok(c != NULL && shcount_is_shared(c), "file table");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is mode 0600");
	ok(shcount_add(c, k) == 0, "add here");

	pid = child(path, "i:2001:db8::1", 2, &ready, &hold);
	ok(child_ready(ready), "a child opens the file and adds twice");
	is_int(shcount_total(c, k), 3, "its counts are seen");
	is_int(shcount_total(c, span_str("i:2001:db8::2")), 0,
	    "other keys are not");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(ready);
	close(hold);
	is_int(shcount_total(c, k), 1, "a killed child's counts vanish");

	pid = child(path, "i:2001:db8::1", 1, &ready, &hold);
	ok(child_ready(ready), "a new child takes the free owner number");
	is_int(shcount_total(c, k), 2, "its one count, none left over");
	close(hold);
	waitpid(pid, &status, 0);
	close(ready);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child closed");
	is_int(shcount_total(c, k), 1, "a closed table's counts vanish");

	/* Another size while we have it open: refused. */
	if ((pid = fork()) == 0) {
		struct shcount *t = shcount_open(path, 4096, &why);

		_exit(t == NULL ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another size is refused while the file is in use");
	shcount_close(&c);

	c = shcount_open(path, 4096, &why);
	ok(c != NULL, "and set up afresh once nobody uses it");
	ok(c != NULL && stat(path, &st) == 0 &&
		st.st_size == 512 + 4096 * 24,
	    "at the new size");
	ok(c != NULL && shcount_total(c, k) == 0, "with nothing counted");
	shcount_close(&c);

	snprintf(link, sizeof(link), "%s/link", dir);
	ok(symlink(path, link) == 0 && shcount_open(link, 1024, &why) ==
		NULL,
	    "a symlink is refused: %s", why.msg);
	unlink(link);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/shcount_test.XXXXXX";

	test_private();
	test_full();
	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp");
		return done_testing();
	}
	test_shared(dir);
	rmdir(dir);
	return done_testing();
}
