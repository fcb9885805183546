/*
 * qcheck.c - a test program: open queue files with the queue file reader
 * and print what it finds, one line each:
 *   OK PATH nrcpt=N content=N sender=<...> rcpt=<...>,<...> uid=N|none
 *      proto=NAME body=7BIT|8BITMIME|BINARYMIME smtputf8=0|1
 *   CORRUPT PATH reason
 * Exit status 0 when every file is OK.  "qcheck -c FILE" writes the
 * message content (headers and body) of one file to standard output.
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <string.h>

#include "mail/qfile.h"

static const char *
proto_name(unsigned p)
{
	static const char *const names[] = { "?", "SMTP", "ESMTP", "ESMTPS",
		"ESMTPA", "ESMTPSA", "LMTP", "local" };

	return p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

/* The content of path to standard output; 0 or 1. */
static int
dump_content(const char *path)
{
	struct qfile *q = NULL;
	struct why why;
	size_t len;
	size_t n;

	if (qfile_open(path, &q, &why) == -1) {
		fprintf(stderr, "CORRUPT %s %s\n", path, why.msg);
		return 1;
	}
	len = (size_t)q->content_len;
	n = fwrite((const char *)q->map + q->content_off, 1, len, stdout);
	qfile_close(&q);
	return n == len ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int status = 0;
	int i;

	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		return dump_content(argv[2]);
	for (i = 1; i < argc; i++) {
		struct qfile *q = NULL;
		struct why why;
		size_t r;

		if (qfile_open(argv[i], &q, &why) == -1) {
			printf("CORRUPT %s %s\n", argv[i], why.msg);
			status = 1;
			continue;
		}
		printf("OK %s nrcpt=%zu content=%llu sender=<%.*s> rcpt=", argv[i],
		    q->nrcpt, (unsigned long long)q->content_len,
		    (int)q->env.sender.len, (const char *)q->env.sender.p);
		for (r = 0; r < q->nrcpt; r++)
			printf("%s<%.*s>", r ? "," : "",
			    (int)q->rcpt[r].addr.len,
			    (const char *)q->rcpt[r].addr.p);
		if (q->env.local_uid == QFILE_NO_UID)
			printf(" uid=none");
		else
			printf(" uid=%u", (unsigned)q->env.local_uid);
		printf(" proto=%s body=%s smtputf8=%u\n",
		    proto_name(q->env.proto),
		    q->env.body == QFILE_BODY_8BITMIME ? "8BITMIME" :
		    q->env.body == QFILE_BODY_BINARY ? "BINARYMIME" : "7BIT",
		    (unsigned)q->env.smtputf8);
		qfile_close(&q);
	}
	return status;
}
