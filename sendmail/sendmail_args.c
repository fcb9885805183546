/*
 * sendmail_args.c - the command line of sendmail: the traditional
 * options, the mode chosen by the program's name (mailq, newaliases) or
 * by -b, and the checks of option values, so that a typo is a usage
 * error before anything is read or sent.
 * Linked into: sendmail.  Runs as any user, without privileges.  Trust:
 * the arguments are the invoking user's; each is checked before use.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "sendmail.h"

static int
usage(const char *prog, const char *what)
{
	if (what != NULL)
		fprintf(stderr, "%s: %s\n", prog, what);
	fprintf(stderr,
	        "usage: sendmail [-C DIR] [-f SENDER] [-F NAME] [-t] [-i] [-v] "
	        "[-N DSN] [-R RET]\n"
	        "                [-V ENVID] [-B TYPE] [-o OPTION]... "
	        "[ADDRESS...]\n"
	        "       sendmail [-C DIR] -bs | -bp | -bi | -q\n");
	return EX_USAGE;
}

/* The mode of a name: mailq lists the queue, newaliases builds tables. */
static const char *
prog_name(const char *argv0, enum sendmail_mode *mode)
{
	const char *base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	if (strcmp(base, "mailq") == 0) {
		*mode = SENDMAIL_QUEUE_LIST;
		return "mailq";
	}
	if (strcmp(base, "newaliases") == 0) {
		*mode = SENDMAIL_ALIASES;
		return "newaliases";
	}
	return "sendmail";
}

/* -b MODE.  0, or -1 for a mode Postern does not have. */
static int
set_mode(struct sendmail_opts *o, const char *arg)
{
	static const struct {
		const char *name;
		enum sendmail_mode mode;
	} modes[] = {
	    {"m", SENDMAIL_DELIVER},
	    {"s", SENDMAIL_SMTP},
	    {"p", SENDMAIL_QUEUE_LIST},
	    {"i", SENDMAIL_ALIASES},
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(arg, modes[i].name) == 0) {
			o->mode = modes[i].mode;
			return 0;
		}
	return -1;
}

/* -o X: only -oi changes anything (as -i); -oem, -oee and the other
 * traditional options are accepted and ignored (sendmail(1)). */
static void
set_option(struct sendmail_opts *o, const char *arg)
{
	if (strcmp(arg, "i") == 0)
		o->ignore_dots = true;
}

static bool
one_of(const char *arg, const char *a, const char *b)
{
	return strcasecmp(arg, a) == 0 || strcasecmp(arg, b) == 0;
}

/* What is wrong with -R, -B or -V, or NULL. */
static const char *
dsn_problem(const struct sendmail_opts *o)
{
	size_t i;

	if (o->ret != NULL && !one_of(o->ret, "full", "hdrs"))
		return "-R takes full or hdrs";
	if (o->body != NULL && !one_of(o->body, "7bit", "8bitmime"))
		return "-B takes 7bit or 8bitmime";
	if (o->envid == NULL)
		return NULL;
	for (i = 0; o->envid[i] != '\0'; i++)
		if (o->envid[i] < 0x21 || o->envid[i] > 0x7e)
			break;
	if (o->envid[i] != '\0' || i == 0 || i > 100)
		return "-V takes 1 to 100 printable ASCII characters";
	return NULL;
}

/* -N never, or a list of success, failure and delay: into o->notify as
 * the NOTIFY value (upper case, each word once).  0 or -1. */
static int
set_notify(struct sendmail_opts *o, const char *arg)
{
	static const char *const words[] = {"NEVER", "SUCCESS", "FAILURE",
	                                    "DELAY"};
	struct span rest = span_str(arg);
	struct span w;
	unsigned seen = 0;
	size_t n = 0;
	size_t i;

	while (span_token(&rest, ",", &w)) {
		for (i = 0; i < 4 && !span_eq_nocase(w, words[i]); i++)
			;
		if (i == 4)
			return -1;
		seen |= 1u << i;
	}
	if (seen == 0 || ((seen & 1) && seen != 1))
		return -1;
	/* At most "SUCCESS,FAILURE,DELAY": it fits. */
	for (i = 0; i < 4; i++)
		if (seen & (1u << i))
			n += (size_t)snprintf(o->notify_buf + n,
			                      sizeof(o->notify_buf) - n, "%s%s",
			                      n > 0 ? "," : "", words[i]);
	o->notify = o->notify_buf;
	return 0;
}

/* -C takes the directory or, as with sendmail, a file in it. */
static const char *
config_dir(const char *arg, char *buf, size_t size)
{
	struct stat st;
	const char *slash;

	if (stat(arg, &st) == -1 || !S_ISREG(st.st_mode))
		return arg;
	slash = strrchr(arg, '/');
	if (slash == NULL)
		return ".";
	snprintf(buf, size, "%.*s", (int)(slash - arg), arg);
	return slash == arg ? "/" : buf;
}

int
sendmail_args(struct sendmail_opts *o, int argc, char **argv)
{
	const char *bad;
	int c;

	o->config_dir = PARAMS_DEFAULT_CONFIG_DIR;
	o->prog = prog_name(argc > 0 ? argv[0] : "sendmail", &o->mode);
	/* "+": options end at the first address, as they do for sendmail. */
	while ((c = getopt(argc, argv,
	                   "+B:b:C:cF:f:Gh:IiL:mN:nO:o:p:R:r:tUV:vX:xq")) !=
	       -1) {
		switch (c) {
		case 'B':
			o->body = optarg;
			break;
		case 'b':
			if (set_mode(o, optarg) == -1)
				return usage(o->prog, "unsupported -b mode");
			break;
		case 'C':
			o->config_dir =
			    config_dir(optarg, o->dir_buf, sizeof(o->dir_buf));
			break;
		case 'F':
			o->full_name = optarg;
			break;
		case 'f':
		case 'r':
			o->sender = optarg;
			break;
		case 'I':
			o->mode = SENDMAIL_ALIASES;
			break;
		case 'i':
			o->ignore_dots = true;
			break;
		case 'N':
			if (set_notify(o, optarg) == -1)
				return usage(o->prog,
				             "-N takes never, or "
				             "success, failure and delay");
			break;
		case 'o':
			set_option(o, optarg);
			break;
		case 'q':
			o->mode = SENDMAIL_QUEUE_RUN;
			break;
		case 'R':
			o->ret = optarg;
			break;
		case 't':
			o->extract = true;
			break;
		case 'V':
			o->envid = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		/* Accepted for compatibility, without effect. */
		case 'c':
		case 'G':
		case 'h':
		case 'L':
		case 'm':
		case 'n':
		case 'O':
		case 'p':
		case 'U':
		case 'X':
		case 'x':
			break;
		default:
			return usage(o->prog, NULL);
		}
	}
	if ((bad = dsn_problem(o)) != NULL)
		return usage(o->prog, bad);
	o->rcpt_args = argv + optind;
	o->nrcpt_args = argc - optind;
	if (o->mode == SENDMAIL_DELIVER && !o->extract && o->nrcpt_args == 0)
		return usage(o->prog, "no recipients given (and no -t)");
	return EX_OK;
}
