/*
 * qid.h - queue ids: unique without coordination, safe in file names and
 * log lines, sortable by arrival time (format: postern-queue(5)).
 * Linked into: smtpd, qmgr, tools.  Trust: qid_valid() checks ids read
 * from directory listings and IPC before they reach a path.
 */
#ifndef POSTERN_QID_H
#define POSTERN_QID_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Longest id any version may use; ids are QID_LEN characters today. */
#define QID_MAX 32
#define QID_SIZE (QID_MAX + 1)
/* 10 characters of microsecond time, 8 random characters. */
#define QID_TIME_LEN 10
#define QID_RAND_LEN 8
#define QID_LEN (QID_TIME_LEN + QID_RAND_LEN)

/*
 * Make a new id in out (NUL-terminated): microseconds since the epoch and
 * 45 bits from getentropy(3), both in base 52 (digits and consonants).
 * Thread-safe; does not log.  Returns 0, or -1 with why.
 */
int	qid_new(char out[QID_SIZE], struct why *why);
/* True when s is exactly QID_LEN characters of the id alphabet. */
bool	qid_valid(struct span s);
/* The same for a NUL-terminated string (false for NULL). */
bool	qid_valid_str(const char *s);
/*
 * The two hash directory names of a valid id: one hex digit each (16
 * values), taken from a hash of the whole id.
 */
void	qid_hash_dirs(const char *qid, char *h1_out, char *h2_out);

#endif
