/*
 * why.h - the reason an operation failed, in a caller-owned buffer, so that
 * the caller decides whether and how to log it.
 * Linked into: every program.  Trust: not applicable.
 */
#ifndef POSTERN_WHY_H
#define POSTERN_WHY_H

struct why {
	char msg[256];
};

/* Set the reason (printf-style, truncated to fit).  Returns -1 so that
 * validators can "return why_set(why, ...);". */
int	why_set(struct why *why, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* why_set with ": strerror(errno)" appended.  Returns -1. */
int	why_syserr(struct why *why, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
