/*
 * sendmail_queue.c - sendmail -bp and mailq: the queue listing, the same
 * as "postern queue list" (lib/mail/qlist).  The queue is mail_owner's
 * (mode 0700): run as root, the command becomes mail_owner first; run
 * by anyone else, it says plainly that the queue is not theirs to read.
 * Linked into: sendmail.  Runs as the invoking user (root: mail_owner).
 * Trust: queue files are ours but may be damaged; qlist escapes what it
 * prints.
 */
#include <errno.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/privdrop.h"
#include "mail/qlist.h"
#include "sendmail.h"

int
sendmail_queue_list(const struct params *p, struct why *why)
{
	if (privdrop_become(p->mail_owner, why) == -1)
		return EX_OSERR;
	if (qlist_readable(p->queue_directory, why) == -1) {
		if (errno != EACCES)
			return EX_IOERR;
		why_set(why,
		        "the queue is readable only by root and %s "
		        "(mail_owner)",
		        p->mail_owner);
		return EX_NOPERM;
	}
	if (qlist_print(p->queue_directory, stdout, why) == -1)
		return errno == EACCES ? EX_NOPERM : EX_IOERR;
	if (fflush(stdout) == EOF)
		return (why_set(why, "standard output: write error"), EX_IOERR);
	return EX_OK;
}
