/*
 * qcheck.c - a test program: open queue files with the queue file reader
 * and print what it finds, one line each:
 *   OK PATH nrcpt=N content=N sender=<...> rcpt=<...>,<...>
 *   CORRUPT PATH reason
 * Exit status 0 when every file is OK.
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>

#include "mail/qfile.h"

int
main(int argc, char **argv)
{
	int status = 0;
	int i;

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
		printf("\n");
		qfile_close(&q);
	}
	return status;
}
