/*
 * qwrite.c - a test program: write one queue file with the queue file
 * writer, straight into a queue state (active by default), and print its
 * queue id.  The content (header and body, CRLF lines) is read from
 * standard input as it is.
 *
 *   qwrite [-s STATE] [-f SENDER] [-R FULL|HDRS] [-e ENVID] [-8] [-U]
 *          -t RCPT [-N MASK] [-O TYPE;ADDR] [-t RCPT ...]  QUEUE_DIR
 *
 * -N (NOTIFY bits of qfile.h) and -O (ORCPT) apply to the -t before
 * them; -8 declares BODY=8BITMIME, -U SMTPUTF8.
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/parse.h"
#include "mail/qfile.h"

#define MAX_RCPT 2000

static struct qfile_rcpt rcpt[MAX_RCPT];
static size_t nrcpt;

static int
usage(void)
{
	fprintf(stderr, "usage: qwrite [-s STATE] [-f SENDER] [-R FULL|HDRS] "
			"[-e ENVID] [-8] [-U] -t RCPT [-N MASK] [-O TYPE;ADDR]"
			"... QUEUE_DIR\n");
	return 2;
}

static int
add_orcpt(const char *arg)
{
	const char *semi = strchr(arg, ';');

	if (nrcpt == 0 || semi == NULL)
		return -1;
	rcpt[nrcpt - 1].orcpt_type = span_make(arg, (size_t)(semi - arg));
	rcpt[nrcpt - 1].orig = span_str(semi + 1);
	return 0;
}

static int
options(int argc, char **argv, struct qfile_env *env, const char **state)
{
	uint64_t n;
	int c;

	while ((c = getopt(argc, argv, "s:f:R:e:8Ut:N:O:")) != -1) {
		switch (c) {
		case 's': *state = optarg; break;
		case 'f': env->sender = span_str(optarg); break;
		case 'R':
			env->ret = strcmp(optarg, "FULL") == 0 ?
			    QFILE_RET_FULL : QFILE_RET_HDRS;
			break;
		case 'e': env->envid = span_str(optarg); break;
		case '8': env->body = QFILE_BODY_8BITMIME; break;
		case 'U': env->smtputf8 = 1; break;
		case 't':
			if (nrcpt == MAX_RCPT)
				return -1;
			rcpt[nrcpt].addr = rcpt[nrcpt].orig = span_str(optarg);
			rcpt[nrcpt].orcpt_type = span_str("");
			nrcpt++;
			break;
		case 'N':
			if (nrcpt == 0 ||
			    parse_u64(span_str(optarg), 0, 15, &n) == -1)
				return -1;
			rcpt[nrcpt - 1].notify = (uint8_t)n;
			break;
		case 'O':
			if (add_orcpt(optarg) == -1)
				return -1;
			break;
		default: return -1;
		}
	}
	return optind == argc - 1 && nrcpt > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct qfile_writer *w;
	struct qfile_env env;
	const char *state = "active";
	char qid[QID_SIZE];
	char chunk[65536];
	struct why why;
	size_t i, n;

	qfile_env_init(&env);
	env.sender = span_str("");
	env.proto = QFILE_PROTO_ESMTP;
	if (options(argc, argv, &env, &state) == -1)
		return usage();
	w = qfile_create_in(argv[optind], state, &why);
	if (w == NULL || qfile_set_env(w, &env, &why) == -1)
		goto fail;
	for (i = 0; i < nrcpt; i++)
		if (qfile_add_rcpt(w, &rcpt[i], &why) == -1)
			goto fail;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (qfile_write_content(w, span_make(chunk, n), &why) == -1)
			goto fail;
	if (qfile_commit(w, qid, &why) == -1)
		goto fail;
	qfile_writer_free(&w);
	printf("%s\n", qid);
	return 0;
fail:
	fprintf(stderr, "qwrite: %s\n", why.msg);
	qfile_abort(&w);
	return 1;
}
