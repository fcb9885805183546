/*
 * mastercf.h - master.conf: one line per service.
 *
 *   # name  type  listen        chroot  limit  user  command [args...]
 *   smtp    inet  $smtp_listen  y       -      -     smtpd -o a=b
 *
 * Fields are separated by blanks; '#' starts a comment line; a line that
 * starts with white space continues the previous one.  $name references
 * are expanded in every field (after splitting), so one field may expand
 * to a list such as "0.0.0.0:25, [::]:25".
 * Linked into: master, postern.  Trust: the admin's file; every error is
 * "file:line: reason".
 */
#ifndef POSTERN_MASTERCF_H
#define POSTERN_MASTERCF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"

enum mastercf_type {
	MASTERCF_INET,
	MASTERCF_UNIX,
};

#define MASTERCF_MAX_SERVICES 256
#define MASTERCF_MAX_LISTEN 16
#define MASTERCF_MAX_ARGS 64
#define MASTERCF_MAX_LIMIT 1000

struct mastercf_service {
	char *name;
	enum mastercf_type type;
	char **listen;		/* nlisten addresses, as written (expanded) */
	size_t nlisten;
	bool chroot;
	unsigned int limit;	/* processes; 0 means the default */
	char *user;		/* NULL means the default (mail_owner) */
	char **argv;		/* command and arguments, NULL-terminated */
	size_t argc;
	int line;
};

struct mastercf {
	struct mastercf_service *v;
	size_t n;
};

/* Expand $name references in a field (e.g. cfg_expand).  0 or -1. */
typedef int mastercf_expand_fn(struct span field, struct buf *out,
    void *arg, struct why *why);

/*
 * Parse master.conf text.  expand may be NULL (no expansion).  Returns 0
 * and fills out (caller frees with mastercf_fini), or -1 with
 * *err_line_out and why set; out is then empty.
 */
int	mastercf_parse(struct span text, mastercf_expand_fn *expand, void *arg,
	    struct mastercf *out, int *err_line_out, struct why *why);
/* Read and parse a file; why is "path:line: reason".  A missing file
 * means no services.  0 or -1. */
int	mastercf_read(const char *path, mastercf_expand_fn *expand, void *arg,
	    struct mastercf *out, struct why *why);
void	mastercf_fini(struct mastercf *mc);

/* The service named name, or NULL. */
const struct mastercf_service *mastercf_find(const struct mastercf *mc,
	    const char *name);
/* Same listeners (type and addresses). */
bool	mastercf_same_listen(const struct mastercf_service *a,
	    const struct mastercf_service *b);
/* Same everything but the line number. */
bool	mastercf_same(const struct mastercf_service *a,
	    const struct mastercf_service *b);

#endif
