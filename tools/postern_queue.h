/*
 * postern_queue.h - what the files of "postern queue" share: listing and
 * showing (postern_queue.c) and the changes (postern_qmove.c).
 * Linked into: postern.  Runs as mail_owner (as root it becomes
 * mail_owner before it touches the queue).  Trust: arguments are the
 * admin's and are checked (ids with qid_valid) before they reach a path;
 * queue files are ours but qmgr moves them while we work.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include "mail/params.h"

/*
 * The changes: argv[0] is hold, release, requeue, delete or flush, and
 * the arguments are checked already.  Each prints one line saying what
 * it did (and on standard error whether qmgr could be told).  Returns
 * the exit status: 0, or 1 when the message is not where the change
 * needs it or the change failed.
 */
int	postern_qmove(const struct params *p, int argc, char **argv);

#endif
