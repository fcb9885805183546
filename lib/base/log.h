/*
 * log.h - the one logging API: syslog (facility mail by default) and/or
 * stderr, lines "name[pid]: text" where text starts with the session or
 * queue id by convention.
 * Linked into: every program.  Trust: peer text must pass log_esc() first.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_NOTICE,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
};

enum log_dest {
	LOG_DEST_STDERR = 1,
	LOG_DEST_SYSLOG = 2,
};

/* Size of the buffer log_esc() writes into. */
#define LOG_ESC_SIZE 808

/*
 * Start logging as name (copied).  dest is a mask of LOG_DEST_*; facility
 * is a syslog facility name ("mail", "local0".."local7", "daemon", "user")
 * or NULL for mail.  Returns 0, or -1 for an unknown facility name.
 */
int	log_open(const char *name, unsigned int dest, const char *facility);
void	log_set_level(enum log_level level);
/* True when name is a facility log_open() accepts. */
bool	log_facility_valid(const char *name);
/* Parse "debug", "info", "notice", "warn", "error"; -1 if unknown. */
int	log_level_parse(const char *s, enum log_level *out);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error with ": strerror(errno)" appended. */
void	log_syserr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failure: logs and exits with status 1.  After log_serving()
 * it panics instead, so that misuse shows up in tests. */
void	log_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Broken invariant (our bug): logs and aborts with a core dump. */
void	log_panic(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Mark the end of start-up (see log_fatal). */
void	log_serving(void);

/*
 * Escape peer text for a log line: printable ASCII is kept, anything
 * else becomes \xHH, and the output is capped at 200 input bytes with
 * "..." appended.  Writes into out and returns it.
 */
const char *log_esc(struct span s, char out[LOG_ESC_SIZE]);

#define ASSERT(x)                                                          \
	do {                                                               \
		if (!(x))                                                  \
			log_panic("assertion failed: %s (%s:%d)", #x,      \
			    __FILE__, __LINE__);                           \
	} while (0)

#endif
