/*
 * xmem.h - allocation that never returns NULL, and wiping of secrets.
 * Linked into: every program.  Trust: not applicable (our own calls).
 */
#ifndef POSTERN_XMEM_H
#define POSTERN_XMEM_H

#include <stddef.h>

/* Each panics (log_panic) when memory is exhausted; none returns NULL. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
/* reallocarray: panics on overflow of nmemb * size as well. */
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Frees *pp (NULL allowed) and clears it. */
void	 xfree(void *pp);

/* Overwrite n bytes at p in a way the compiler cannot drop. */
void	 secret_wipe(void *p, size_t n);

#endif
