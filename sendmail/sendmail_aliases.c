/*
 * sendmail_aliases.c - newaliases (sendmail -bi): rebuild every hash: and
 * lmdb: table named in alias_maps from its text file, as "postern map"
 * does (the format is postern.conf(5)'s, compiled by dict_build).  Other
 * table types (inline:, static:, ldap:) have no file to build and are
 * passed over.
 * Linked into: sendmail.  Runs as the invoking user, normally root, who
 * must be able to write the table's directory.  Trust: alias_maps and
 * the text files are the administrator's; dict_build checks every line
 * and replaces a table only when its whole text is good.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "mail/dict_build.h"
#include "sendmail.h"

static void
diag(void *arg, size_t line, bool is_error, const char *msg)
{
	(void)line;
	fprintf(stderr, "%s: %s%s\n", (const char *)arg,
	        is_error ? "" : "warning: ", msg);
}

/* Build one table; an exit status and why. */
static int
build(const struct sendmail_opts *o, const char *type, const char *path,
      struct why *why)
{
	struct dict_build_report rep = {.diag = diag, .arg = (void *)o->prog};
	struct stat st;
	struct why inner;

	if (stat(path, &st) == -1 || access(path, R_OK) == -1)
		return why_syserr(why, "%s", path), EX_NOINPUT;
	if (dict_build(type, path, &rep, &inner) == 0) {
		if (o->verbose)
			fprintf(stderr,
			        "%s: %s: %zu entries written to "
			        "%s.%s\n",
			        o->prog, path, rep.entries, path,
			        strcmp(type, "hash") == 0 ? "db" : "lmdb");
		return EX_OK;
	}
	if (rep.errors > 0)
		return why_set(why, "%s: %zu bad lines; table not rebuilt",
		               path, rep.errors),
		       EX_DATAERR;
	return why_set(why, "%s", inner.msg), EX_CANTCREAT;
}

int
sendmail_aliases(const struct sendmail_opts *o, const struct params *p,
                 struct why *why)
{
	struct span rest = span_str(p->alias_maps);
	struct span item;
	int status = EX_OK;

	while (cfg_list_next(&rest, &item)) {
		char spec[4096];
		char *colon;
		struct why w;
		int r;

		if (item.len >= sizeof(spec)) {
			why_set(why, "alias_maps: table name too long");
			return EX_CONFIG;
		}
		memcpy(spec, item.p, item.len);
		spec[item.len] = '\0';
		colon = strchr(spec, ':');
		if (colon == NULL || (strncmp(spec, "hash:", 5) != 0 &&
		                      strncmp(spec, "lmdb:", 5) != 0)) {
			if (o->verbose)
				fprintf(stderr,
				        "%s: %s: not built from a "
				        "file, skipped\n",
				        o->prog, spec);
			continue;
		}
		*colon = '\0';
		/* Go on with the other tables; main reports the first
		 * failure, the others are reported here. */
		r = build(o, spec, colon + 1, &w);
		if (r != EX_OK && status == EX_OK) {
			*why = w;
			status = r;
		} else if (r != EX_OK) {
			fprintf(stderr, "%s: %s\n", o->prog, w.msg);
		}
	}
	return status;
}
