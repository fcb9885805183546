/*
 * storedump.c - a test program: read a user's mailbox through the store
 * API, as imapd would.
 *   storedump ROOT USER MAILBOX        one line a message, in UID order:
 *                                      "uid=N size=N"
 *   storedump -c ROOT USER MAILBOX UID that message's bytes to stdout
 *   storedump -m ROOT USER MAILBOX     create the mailbox
 * Exit status 0, 1 when the mailbox or message is not there, 2 on
 * errors.
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static bool
print_msg(void *arg, const struct store_msg *m)
{
	(void)arg;
	printf("uid=%u size=%llu\n", (unsigned)m->uid,
	    (unsigned long long)m->size);
	return true;
}

/* The message's bytes to standard output. */
static int
cat(struct store *s, uint32_t box, const char *uid, struct why *why)
{
	char data[65536];
	off_t off = 0;
	ssize_t n;
	int fd;

	if (store_msg_open(s, box, (uint32_t)strtoul(uid, NULL, 10), &fd,
		why) != STORE_OK)
		return 1;
	while ((n = pread(fd, data, sizeof(data), off)) > 0) {
		fwrite(data, 1, (size_t)n, stdout);
		off += n;
	}
	close(fd);
	return n == 0 ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct store_conf conf = { .index_size = 16777216, .sent = "Sent",
		.drafts = "Drafts", .trash = "Trash", .junk = "Junk" };
	bool content = argc == 6 && strcmp(argv[1], "-c") == 0;
	bool create = argc == 5 && strcmp(argv[1], "-m") == 0;
	struct store_mailbox mb;
	struct store *s = NULL;
	struct why why = { "" };
	int r;

	if (argc != 4 && !content && !create) {
		fprintf(stderr, "usage: storedump [-c|-m] ROOT USER MAILBOX "
				"[UID]\n");
		return 2;
	}
	argv += content || create;
	conf.root = argv[1];
	if (store_open(&conf, argv[2], &s, &why) != STORE_OK) {
		fprintf(stderr, "storedump: %s\n", why.msg);
		return 2;
	}
	if (create) {
		r = store_mailbox_create(s, argv[3], STORE_ROLE_NONE, &why) ==
			STORE_OK ? 0 : 2;
	} else if (store_mailbox_get(s, argv[3], &mb, &why) != STORE_OK) {
		printf("NOTFOUND\n");
		r = 1;
	} else if (content) {
		r = cat(s, mb.id, argv[4], &why);
	} else {
		r = store_msg_list(s, mb.id, 1, print_msg, NULL, &why) ==
			STORE_OK ? 0 : 2;
	}
	if (r == 2)
		fprintf(stderr, "storedump: %s\n", why.msg);
	store_free(&s);
	return r;
}
