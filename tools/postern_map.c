/*
 * postern_map.c - "postern map [hash:|lmdb:]FILE": compile a text table.
 * Linked into: postern.  Trust: the admin's files.
 */
#include <stdio.h>
#include <string.h>

#include "mail/dict_build.h"
#include "postern.h"

static void
diag(void *arg, size_t line, bool is_error, const char *msg)
{
	(void)arg;
	(void)line;
	fprintf(stderr, "postern: %s%s\n", is_error ? "" : "warning: ", msg);
}

int
postern_map(int argc, char **argv)
{
	struct dict_build_report rep = { 0 };
	const char *spec;
	const char *type = "hash";
	struct why why;

	if (argc != 2) {
		fprintf(stderr, "usage: postern map [hash:|lmdb:]FILE\n");
		return 2;
	}
	spec = argv[1];
	if (strncmp(spec, "hash:", 5) == 0 || strncmp(spec, "lmdb:", 5) == 0) {
		type = strncmp(spec, "hash:", 5) == 0 ? "hash" : "lmdb";
		spec += 5;
	} else if (strchr(spec, ':') != NULL && spec[0] != '/') {
		fprintf(stderr, "postern: %s: only hash: and lmdb: tables are "
				"built from text\n", argv[1]);
		return 2;
	}
	rep.diag = diag;
	if (dict_build(type, spec, &rep, &why) == -1) {
		if (rep.errors == 0)
			fprintf(stderr, "postern: %s\n", why.msg);
		else
			fprintf(stderr, "postern: %s: %zu bad lines; nothing "
					"written\n", spec, rep.errors);
		return 1;
	}
	printf("postern: %s: %zu entries written to %s.%s\n", spec,
	    rep.entries, spec, strcmp(type, "hash") == 0 ? "db" : "lmdb");
	return 0;
}
