/*
 * connlimit_test.c - unit tests for lib/base/connlimit: the fallback to
 * a private table, counting up to a limit per address and per user and
 * address, and uncounting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/connlimit.h"
#include "tap.h"

static void
test_fallback(void)
{
	struct why warn, why;
	struct shcount *t = connlimit_open("/nonexistent/dir/x.connections",
	    1024, &warn, &why);

	ok(t != NULL && !shcount_is_shared(t), "a private table when the "
	    "file cannot be made");
	ok(warn.msg[0] != '\0', "and a warning: %s", warn.msg);
	shcount_close(&t);
}

static void
test_counts(void)
{
	char dir[] = "/tmp/connlimit-XXXXXX";
	char path[128];
	struct why warn, why;
	struct shcount *t;

	ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(path, sizeof(path), "%s/t.connections", dir);
	t = connlimit_open(path, 1024, &warn, &why);
	ok(t != NULL && shcount_is_shared(t) && warn.msg[0] == '\0',
	    "the file is used");
	is_int(connlimit_add(t, NULL, "192.0.2.1", 2), CONNLIMIT_COUNTED,
	    "first connection");
	is_int(connlimit_add(t, NULL, "192.0.2.1", 2), CONNLIMIT_COUNTED,
	    "second connection");
	is_int(connlimit_add(t, NULL, "192.0.2.1", 2), CONNLIMIT_OVER,
	    "third: over the limit");
	is_int(connlimit_add(t, NULL, "192.0.2.2", 2), CONNLIMIT_COUNTED,
	    "another address counts apart");
	is_int(connlimit_add(t, "192.0.2.1", "192.0.2.1", 1),
	    CONNLIMIT_COUNTED, "a user key apart from the address key");
	is_int(connlimit_add(t, "192.0.2.1", "192.0.2.1", 1), CONNLIMIT_OVER,
	    "the user's limit");
	is_int(connlimit_add(t, "bob", "192.0.2.1", 1), CONNLIMIT_COUNTED,
	    "another user");
	connlimit_sub(t, NULL, "192.0.2.1");
	is_int(connlimit_add(t, NULL, "192.0.2.1", 2), CONNLIMIT_COUNTED,
	    "room again after a sub");
	is_int(connlimit_add(t, NULL, "192.0.2.1", 0), CONNLIMIT_OVER,
	    "limit 0 admits nothing (callers skip it)");
	shcount_close(&t);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_fallback();
	test_counts();
	return done_testing();
}
