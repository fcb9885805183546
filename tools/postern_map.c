/*
 * postern_map.c - "postern map [hash:|lmdb:]FILE": compile a text table;
 * "postern map -q KEY TABLE": look KEY up in any table (like Postfix's
 * postmap -q), or every key read from standard input with "-q -".
 * Linked into: postern.  Trust: the admin's files and arguments; table
 * values (from a directory server, say) are printed as they are.
 *
 * Exit status of -q: 0 found, 1 not found, 75 (EX_TEMPFAIL) when the
 * table could not answer (reason on stderr), 2 for bad usage or a table
 * that cannot be opened.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_build.h"
#include "postern.h"

/* Largest value -q prints. */
#define MAP_MAX_VALUE (1024 * 1024)

static int
usage(void)
{
	fprintf(stderr, "usage: postern map [hash:|lmdb:]FILE\n"
			"       postern map -q KEY|- TABLE\n");
	return 2;
}

static void
diag(void *arg, size_t line, bool is_error, const char *msg)
{
	(void)arg;
	(void)line;
	fprintf(stderr, "postern: %s%s\n", is_error ? "" : "warning: ", msg);
}

static int
map_build(const char *arg)
{
	struct dict_build_report rep = { 0 };
	const char *spec = arg;
	const char *type = "hash";
	struct why why;

	if (strncmp(spec, "hash:", 5) == 0 || strncmp(spec, "lmdb:", 5) == 0) {
		type = strncmp(spec, "hash:", 5) == 0 ? "hash" : "lmdb";
		spec += 5;
	} else if (strchr(spec, ':') != NULL && spec[0] != '/') {
		fprintf(stderr, "postern: %s: only hash: and lmdb: tables are "
				"built from text\n", arg);
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

/* Look key up; print "value" (or "key<TAB>value" when with_key). */
static enum dict_res
query_key(struct dict *d, struct span key, bool with_key, struct buf *v)
{
	struct why why;
	enum dict_res res;

	res = dict_get(d, key, v, &why);
	if (res == DICT_FOUND) {
		if (with_key)
			printf("%.*s\t", (int)key.len, (const char *)key.p);
		fwrite(v->p, 1, v->len, stdout);
		putchar('\n');
	} else if (res == DICT_TEMPFAIL) {
		fprintf(stderr, "postern: %s\n", why.msg);
	}
	/* Answer each key at once: a script may be waiting for it. */
	fflush(stdout);
	fflush(stderr);
	return res;
}

/* "-q -": one key a line; 75 if any lookup failed, else 0 if any was
 * found, else 1. */
static int
query_stdin(struct dict *d, struct buf *v)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool found = false;
	bool failed = false;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		switch (query_key(d, span_make(line, (size_t)n), true, v)) {
		case DICT_FOUND:
			found = true;
			break;
		case DICT_TEMPFAIL:
			failed = true;
			break;
		case DICT_NOTFOUND:
			break;
		}
	}
	free(line);
	return failed ? EX_TEMPFAIL : found ? 0 : 1;
}

static int
map_query(const char *key, const char *table)
{
	struct dict *d;
	struct buf v;
	struct why why;
	char *spec;
	int status;

	/* A server may close the connection under a lookup. */
	signal(SIGPIPE, SIG_IGN);
	if (strchr(table, ':') == NULL) {
		size_t n = strlen(table) + sizeof("hash:");

		spec = xmalloc(n);
		snprintf(spec, n, "hash:%s", table);
	} else {
		spec = xstrdup(table);
	}
	d = dict_open(spec, &why);
	xfree(&spec);
	if (d == NULL) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return 2;
	}
	buf_init(&v, MAP_MAX_VALUE);
	if (strcmp(key, "-") == 0)
		status = query_stdin(d, &v);
	else
		switch (query_key(d, span_str(key), false, &v)) {
		case DICT_FOUND:
			status = 0;
			break;
		case DICT_NOTFOUND:
			status = 1;
			break;
		default:
			status = EX_TEMPFAIL;
			break;
		}
	buf_fini(&v);
	dict_close(&d);
	return status;
}

int
postern_map(int argc, char **argv)
{
	const char *key = NULL;
	int c;

	while ((c = getopt(argc, argv, "+q:")) != -1) {
		if (c != 'q')
			return usage();
		key = optarg;
	}
	if (argc - optind != 1)
		return usage();
	if (key != NULL)
		return map_query(key, argv[optind]);
	return map_build(argv[optind]);
}
