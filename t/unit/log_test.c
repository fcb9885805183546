/*
 * log_test.c - unit tests for lib/base/log: log_esc, level names, the
 * stderr line format and level filter, and the exits: log_fatal exits 1
 * before log_serving() and aborts after it, log_panic and ASSERT abort.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "base/log.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define WITH_LEN(s) s, sizeof(s) - 1

static const struct esc_case {
	const char *in;
	size_t len;
	const char *want;
} esc_cases[] = {
	{ WITH_LEN(""), "" },
	{ WITH_LEN("Hello, world! ~"), "Hello, world! ~" },
	{ WITH_LEN("a\tb\r\n"), "a\\x09b\\x0d\\x0a" },
	{ WITH_LEN("back\\slash"), "back\\x5cslash" },
	{ WITH_LEN("nul\0x"), "nul\\x00x" },
	{ WITH_LEN("\x1f\x20\x7e\x7f"), "\\x1f ~\\x7f" },
	{ WITH_LEN("\x80\xff\xc3\xa9"), "\\x80\\xff\\xc3\\xa9" },
	{ WITH_LEN("\x1b[31mred"), "\\x1b[31mred" },
	{ WITH_LEN("%s%n"), "%s%n" },
};

static void
test_esc(void)
{
	char out[LOG_ESC_SIZE];
	unsigned char in[300];
	char want[LOG_ESC_SIZE];
	size_t i;

	for (i = 0; i < NELEM(esc_cases); i++) {
		const char *r = log_esc(span_make(esc_cases[i].in,
					    esc_cases[i].len),
		    out);

		ok(r == out, "log_esc case %zu returns out", i);
		is_str(out, esc_cases[i].want, "log_esc case %zu", i);
	}

	memset(in, 'a', sizeof(in));
	log_esc(span_make(in, 200), out);
	ok(strlen(out) == 200 && strspn(out, "a") == 200,
	    "200 bytes are kept whole, no \"...\"");
	log_esc(span_make(in, 201), out);
	memset(want, 'a', 200);
	memcpy(want + 200, "...", 4);
	is_str(out, want, "201 bytes: capped at 200 with \"...\"");
	log_esc(span_make(in, sizeof(in)), out);
	is_str(out, want, "300 bytes: capped at 200 with \"...\"");

	/* The worst case must fit: 200 escaped bytes and "...". */
	memset(in, 0xff, sizeof(in));
	log_esc(span_make(in, sizeof(in)), out);
	is_int(strlen(out), 200 * 4 + 3, "all escaped: 803 bytes");
	ok(strncmp(out, "\\xff\\xff", 8) == 0 &&
		strcmp(out + 800, "...") == 0,
	    "all escaped: contents");
	log_esc(span_make(in, 200), out);
	is_int(strlen(out), 800, "200 escaped bytes: no \"...\"");
}

static const struct level_case {
	const char *in;
	int ret;
	enum log_level want;
} level_cases[] = {
	{ "debug", 0, LOG_LVL_DEBUG },	 { "info", 0, LOG_LVL_INFO },
	{ "notice", 0, LOG_LVL_NOTICE }, { "warn", 0, LOG_LVL_WARN },
	{ "error", 0, LOG_LVL_ERROR },	 { "WARN", 0, LOG_LVL_WARN },
	{ "Debug", 0, LOG_LVL_DEBUG },	 { "warning", -1, 0 },
	{ "", -1, 0 },			 { "inf", -1, 0 },
	{ "errors", -1, 0 },		 { " info", -1, 0 },
};

static void
test_level_parse(void)
{
	size_t i;

	for (i = 0; i < NELEM(level_cases); i++) {
		enum log_level l = (enum log_level)77;

		is_int(log_level_parse(level_cases[i].in, &l),
		    level_cases[i].ret, "level '%s'", level_cases[i].in);
		is_int(l,
		    level_cases[i].ret == 0 ? (int)level_cases[i].want : 77,
		    "level '%s' value", level_cases[i].in);
	}
}

/* Send stderr to path (or /dev/null); returns the saved descriptor. */
static int
stderr_to(const char *path)
{
	int saved;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fflush(stderr);
	saved = dup(2);
	if (fd == -1 || saved == -1 || dup2(fd, 2) == -1) {
		printf("Bail out! cannot redirect stderr\n");
		exit(1);
	}
	close(fd);
	return saved;
}

static void
stderr_restore(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

static char *
slurp(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd == -1 ? -1 : read(fd, out, size - 1);

	if (fd != -1)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static char errpath[] = "/tmp/log_test.XXXXXX";

static void
test_format(void)
{
	char got[4096];
	char want[512];
	long pid = (long)getpid();
	int saved;

	is_int(log_open("t", LOG_DEST_STDERR, "no-such-facility"), -1,
	    "unknown facility refused");
	is_int(log_open("t", LOG_DEST_STDERR, "LOCAL3"), 0,
	    "facility names are case-insensitive");
	is_int(log_open("logtest", LOG_DEST_STDERR, NULL), 0, "open stderr");
	log_set_level(LOG_LVL_NOTICE);
	saved = stderr_to(errpath);
	log_debug("d %d", 1);
	log_info("i %d", 2);
	log_notice("n %d", 3);
	log_warn("w %s", "x");
	log_error("e");
	errno = ENOENT;
	log_syserr("s");
	ok(errno == ENOENT, "log_syserr preserves errno");
	stderr_restore(saved);
	snprintf(want, sizeof(want),
	    "logtest[%ld]: n 3\nlogtest[%ld]: warning: w x\n"
	    "logtest[%ld]: error: e\nlogtest[%ld]: error: s: %s\n",
	    pid, pid, pid, pid, strerror(ENOENT));
	is_str(slurp(errpath, got, sizeof(got)), want,
	    "stderr lines, tags and level filter");
	log_set_level(LOG_LVL_INFO);
}

static void
do_panic(void *arg)
{
	(void)arg;
	stderr_to(errpath);
	log_panic("broken %d", 42);
}

static void
do_fatal(void *arg)
{
	(void)arg;
	stderr_to(errpath);
	log_fatal("cannot start: %s", "why");
}

static void
do_fatal_serving(void *arg)
{
	(void)arg;
	stderr_to(errpath);
	log_serving();
	log_fatal("cannot start: %s", "why");
}

static void
do_assert_false(void *arg)
{
	(void)arg;
	stderr_to(errpath);
	ASSERT(1 + 1 == 3);
}

static void
do_assert_true(void *arg)
{
	volatile int two = 2;

	(void)arg;
	stderr_to("/dev/null");
	ASSERT(two == 2);
}

static bool
aborted(int status)
{
	return status != -1 && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGABRT;
}

static bool
exited(int status, int code)
{
	return status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == code;
}

static void
test_exits(void)
{
	char got[4096];
	int status;

	status = tap_fork(do_panic, NULL);
	ok(aborted(status), "log_panic aborts");
	ok(strstr(slurp(errpath, got, sizeof(got)), "panic: broken 42") !=
		NULL,
	    "log_panic logs \"panic: ...\"");

	status = tap_fork(do_fatal, NULL);
	ok(exited(status, 1), "log_fatal before log_serving exits 1");
	ok(strstr(slurp(errpath, got, sizeof(got)),
	       "error: cannot start: why") != NULL,
	    "log_fatal logs the message");

	status = tap_fork(do_fatal_serving, NULL);
	ok(aborted(status), "log_fatal after log_serving aborts");
	slurp(errpath, got, sizeof(got));
	ok(strstr(got, "error: cannot start: why") != NULL &&
		strstr(got, "panic: log_fatal called after start-up") != NULL,
	    "log_fatal after log_serving logs message and panic");

	status = tap_fork(do_assert_false, NULL);
	ok(aborted(status), "ASSERT(false) aborts");
	ok(strstr(slurp(errpath, got, sizeof(got)),
	       "assertion failed: 1 + 1 == 3 (") != NULL,
	    "ASSERT names the expression");

	status = tap_fork(do_assert_true, NULL);
	ok(exited(status, 0), "ASSERT(true) does nothing");
}

int
main(void)
{
	int fd = mkstemp(errpath);

	if (fd == -1) {
		printf("Bail out! mkstemp: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	test_esc();
	test_level_parse();
	test_format();
	test_exits();
	unlink(errpath);
	return done_testing();
}
