/*
 * log.c - logging to syslog and/or stderr.
 * Linked into: every program.  Trust: callers escape peer text first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "base/log.h"

static char log_name[64] = "postern";
static unsigned int log_dest = LOG_DEST_STDERR;
static enum log_level log_min = LOG_LVL_INFO;
static bool log_is_serving;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL },	  { "daemon", LOG_DAEMON },
	{ "user", LOG_USER },	  { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

static int
facility_code(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

bool
log_facility_valid(const char *name)
{
	return facility_code(name) != -1;
}

static const char *const level_names[] = { "debug", "info", "notice", "warn",
	"error" };

int
log_open(const char *name, unsigned int dest, const char *facility)
{
	int fac = facility_code(facility != NULL ? facility : "mail");

	if (fac == -1)
		return -1;
	if (name != NULL)
		snprintf(log_name, sizeof(log_name), "%s", name);
	log_dest = dest;
	if (dest & LOG_DEST_SYSLOG) {
		closelog();
		/* LOG_NDELAY: connect now, before any chroot. */
		openlog(log_name, LOG_PID | LOG_NDELAY, fac);
	}
	return 0;
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_serving(void)
{
	log_is_serving = true;
}

static const char *const level_tags[] = { "debug: ", "", "", "warning: ",
	"error: " };

static void
emit(int prio, const char *tag, const char *text)
{
	if (log_dest & LOG_DEST_SYSLOG)
		syslog(prio, "%s%s", tag, text);
	if (log_dest & LOG_DEST_STDERR)
		fprintf(stderr, "%s[%ld]: %s%s\n", log_name, (long)getpid(),
		    tag, text);
}

static void format(char *text, size_t size, int errnum, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

static void
format(char *text, size_t size, int errnum, const char *fmt, va_list ap)
{
	if (vsnprintf(text, size, fmt, ap) < 0)
		snprintf(text, size, "(bad log format)");
	if (errnum != 0) {
		size_t len = strlen(text);

		snprintf(text + len, size - len, ": %s", strerror(errnum));
	}
}

static void vlog(enum log_level level, int errnum, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE,
		LOG_WARNING, LOG_ERR };
	char text[2048];

	if (level < log_min)
		return;
	format(text, sizeof(text), errnum, fmt, ap);
	emit(prio[level], level_tags[level], text);
}

#define LOG_FN(fn, level)                                                  \
	void fn(const char *fmt, ...)                                      \
	{                                                                  \
		va_list ap;                                                \
		va_start(ap, fmt);                                         \
		vlog(level, 0, fmt, ap);                                   \
		va_end(ap);                                                \
	}

LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_notice, LOG_LVL_NOTICE)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_error, LOG_LVL_ERROR)

void
log_syserr(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	if (log_is_serving)
		log_panic("log_fatal called after start-up");
	exit(1);
}

void
log_panic(const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	format(text, sizeof(text), 0, fmt, ap);
	va_end(ap);
	emit(LOG_CRIT, "panic: ", text);
	abort();
}

const char *
log_esc(struct span s, char out[LOG_ESC_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = s.len > 200 ? 200 : s.len;
	size_t o = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s.p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (s.len > n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
