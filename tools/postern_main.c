/*
 * postern_main.c - the postern admin command: option parsing and dispatch.
 *
 *   postern [-c DIR] start | stop | reload | status | check
 *   postern [-c DIR] config [-n] [NAME...]
 *   postern map [hash:|lmdb:]FILE
 *   postern map -q KEY|- TABLE
 *   postern run --dir DIR [-o name=value]...
 *   postern [-c DIR] user add|del|passwd|enable|disable|show|list ...
 *   postern [-c DIR] store check [-n] [USER] | rebuild|stats|quota USER
 *   postern [-c DIR] queue list | show ID | flush [ID | -d DOMAIN]
 *   postern [-c DIR] queue hold | release | requeue ID
 *   postern [-c DIR] queue delete ID | ALL [STATE]
 *
 * Linked into: postern.  Trust: arguments are the admin's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "postern.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: postern [-c DIR] start | stop | reload | status | check\n"
	    "       postern [-c DIR] config [-n] [NAME...]\n"
	    "       postern [-c DIR] auth lookup|expand|domain|verify ...\n"
	    "       postern map [hash:|lmdb:]FILE\n"
	    "       postern map -q KEY|- TABLE\n"
	    "       postern run --dir DIR [-o name=value]...\n"
	    "       postern [-c DIR] user add|del|passwd|enable|disable|show "
	    "ADDRESS | list\n"
	    "       postern [-c DIR] store check [-n] [USER]\n"
	    "       postern [-c DIR] store rebuild | stats | quota USER\n"
	    "       postern [-c DIR] queue list | show ID\n"
	    "       postern [-c DIR] queue flush [ID | -d DOMAIN]\n"
	    "       postern [-c DIR] queue hold | release | requeue ID\n"
	    "       postern [-c DIR] queue delete ID | ALL [STATE]\n");
	return 2;
}

static const struct {
	const char *name;
	int (*fn)(const char *dir, int argc, char **argv);
} commands[] = {
	{ "config", postern_config }, { "check", postern_check },
	{ "start", postern_start },   { "stop", postern_stop },
	{ "reload", postern_reload }, { "status", postern_status },
	{ "auth", postern_auth },
	{ "user", postern_user },
	{ "store", postern_store },
	{ "queue", postern_queue },
};

int
main(int argc, char **argv)
{
	const char *dir = PARAMS_DEFAULT_CONFIG_DIR;
	size_t i;
	int c;

	log_open("postern", LOG_DEST_STDERR, NULL);
	while ((c = getopt(argc, argv, "+c:")) != -1) {
		if (c != 'c')
			return usage();
		dir = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	optind = 1;
	if (strcmp(argv[0], "map") == 0)
		return postern_map(argc, argv);
	if (strcmp(argv[0], "run") == 0)
		return postern_run(argc, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].fn(dir, argc, argv);
	fprintf(stderr, "postern: unknown command \"%s\"\n", argv[0]);
	return usage();
}
