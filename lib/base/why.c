/*
 * why.c - failure reasons in caller-owned buffers.
 * Linked into: every program.  Trust: not applicable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/why.h"

int
why_set(struct why *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
why_syserr(struct why *why, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (why == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	len = strlen(why->msg);
	snprintf(why->msg + len, sizeof(why->msg) - len, ": %s",
	    strerror(saved));
	errno = saved;
	return -1;
}
