/*
 * tap.h - a tiny Test Anything Protocol harness for the C unit tests.
 * Linked into: the unit tests only.  Trust: not applicable.
 */
#ifndef POSTERN_TAP_H
#define POSTERN_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap_n;
static int tap_failed;

static inline bool tap_ok(bool cond, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline bool
tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                             \
	do {                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);   \
		if (!ok(g_ == w_, __VA_ARGS__))                            \
			printf("#   got %lld, want %lld\n", g_, w_);       \
	} while (0)

#define is_str(got, want, ...)                                             \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		bool same_ = g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0; \
		if (!ok(same_, __VA_ARGS__))                               \
			printf("#   got '%s', want '%s'\n",                \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
	} while (0)

static inline void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Print the plan and return the exit status for main(). */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/*
 * Run fn(arg) in a forked child and return its wait status, so that panic
 * paths can be checked to abort (WIFSIGNALED && WTERMSIG == SIGABRT).
 */
static inline int
tap_fork(void (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Keep the child's sanitizer and panic output off TAP. */
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(99);
		fn(arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#endif
