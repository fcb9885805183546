/*
 * xmem_test.c - unit tests for lib/base/xmem and why: allocation helpers,
 * overflow panics, secret wiping and failure reasons.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "base/why.h"
#include "base/xmem.h"
#include "tap.h"

static void
overflow(void *arg)
{
	(void)arg;
	if (freopen("/dev/null", "w", stderr) == NULL)
		_exit(99);
	xreallocarray(NULL, SIZE_MAX / 2, 4);
}

int
main(void)
{
	char secret[8] = "hunter2";
	struct why why;
	char *s;
	int *v;
	int st;

	s = xstrdup("hello");
	is_str(s, "hello", "xstrdup copies");
	xfree(&s);
	ok(s == NULL, "xfree clears the pointer");
	xfree(&s);
	ok(s == NULL, "xfree of NULL is fine");
	s = xstrndup("hello", 3);
	is_str(s, "hel", "xstrndup stops at n");
	free(s);
	s = xstrndup("hi", 10);
	is_str(s, "hi", "xstrndup stops at NUL");
	free(s);
	v = xcalloc(4, sizeof(*v));
	ok(v[0] == 0 && v[3] == 0, "xcalloc zeroes");
	v = xreallocarray(v, 1000, sizeof(*v));
	v[999] = 7;
	ok(v[999] == 7, "xreallocarray grows");
	free(v);
	secret_wipe(secret, sizeof(secret));
	ok(memcmp(secret, "\0\0\0\0\0\0\0\0", 8) == 0, "secret_wipe zeroes");

	st = tap_fork(overflow, NULL);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "xreallocarray overflow panics");

	is_int(why_set(&why, "x=%d", 5), -1, "why_set returns -1");
	is_str(why.msg, "x=5", "why_set formats");
	errno = ENOENT;
	is_int(why_syserr(&why, "open %s", "f"), -1, "why_syserr returns -1");
	is_str(why.msg, "open f: No such file or directory",
	    "why_syserr appends strerror");
	is_int(errno, ENOENT, "why_syserr keeps errno");
	is_int(why_set(NULL, "ignored"), -1, "why_set accepts NULL");
	why_set(&why, "%0300d", 1);
	is_int(strlen(why.msg), sizeof(why.msg) - 1, "why_set truncates");
	return done_testing();
}
