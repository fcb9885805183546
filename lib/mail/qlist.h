/*
 * qlist.h - the queue as people see it: walk the queue states, find the
 * state of a message, read the deferral reasons qmgr leaves in defer/,
 * and print the mailq listing (postern-queue(5), sendmail(1)).
 * Linked into: postern (queue list, show and the moves), sendmail (-bp,
 * mailq).  Runs as mail_owner (the callers become it when started as
 * root).  Trust: queue files are ours but may be damaged, and qmgr moves
 * them while we look: names are checked with qid_valid(), each file is
 * parsed strictly by qfile, a file that moved is looked for again, and
 * text from files is escaped before it is printed.
 */
#ifndef POSTERN_QLIST_H
#define POSTERN_QLIST_H

#include <stdbool.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/why.h"

/* The queue states, in the order of a listing. */
#define QLIST_NSTATES 5
extern const char *const qlist_states[QLIST_NSTATES];

/* Largest reasons file read (qmgr writes at most this much). */
#define QLIST_REASONS_MAX (16u * 1024 * 1024)

/* A queue file found by qlist_walk; return -1 to stop the walk. */
typedef int qlist_visit_fn(void *arg, const char *state, const char *qid);

/*
 * Call fn for every queue file (a name that is a valid id) in
 * queue_dir/state/H1/H2/, in directory order.  A state directory that
 * does not exist holds nothing.  Returns 0; -1 with why (and errno, so
 * that EACCES can be told apart) when a directory cannot be read, or -1
 * when fn stopped the walk.  Does not log.
 */
int	qlist_walk(const char *queue_dir, const char *state, qlist_visit_fn *fn,
	    void *arg, struct why *why);

/*
 * 0 when every state directory that exists can be read; -1 with why and
 * errno (EACCES: the queue belongs to someone else) otherwise.
 */
int	qlist_readable(const char *queue_dir, struct why *why);

/*
 * The state that holds qid right now (an element of qlist_states, static
 * storage), or NULL when none does.  It may change the next moment:
 * callers that act on the answer retry when the file is gone.
 */
const char *qlist_find(const char *queue_dir, const char *qid);

/*
 * Append the reasons file of qid (defer/H1/H2/QID) to out.  Returns 0,
 * 1 when there is none, or -1 with why.
 */
int	qlist_reasons_read(const char *queue_dir, const char *qid,
	    struct buf *out, struct why *why);

/*
 * Look addr up in the text of a reasons file: lines "ADDRESS TAB DSN TAB
 * REASON".  True with the DSN and the reason (spans into reasons, maybe
 * empty) when a line names addr exactly; malformed lines are skipped.
 * Pure.
 */
bool	qlist_reason(struct span reasons, struct span addr,
	    struct span *dsn_out, struct span *text_out);

/*
 * Write s to out for a terminal: printable ASCII, TAB and valid UTF-8
 * characters other than controls as they are, every other byte as \xHH.
 */
void	qlist_put(FILE *out, struct span s);

/*
 * Print the listing of the whole queue to out, oldest message first: a
 * header line; per message "QID[mark] SIZE ARRIVAL SENDER" (mark * for
 * active, ! for hold, # for corrupt), then each recipient not yet
 * finished on a line of its own, followed by its deferral reason in
 * parentheses when qmgr left one; a blank line; at the end
 * "-- N Kbytes in M Requests." or "Mail queue is empty".  A file that
 * cannot be read is shown with its file size and the reason.  Returns 0,
 * or -1 with why (and errno) when the queue cannot be read; nothing is
 * printed then.
 */
int	qlist_print(const char *queue_dir, FILE *out, struct why *why);

#endif
