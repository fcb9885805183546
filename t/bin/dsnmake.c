/*
 * dsnmake.c - a test program: build a delivery status notification with
 * dsn_make() and write it to standard output.
 *   dsnmake [-m MAX] [CONTENT-FILE] < DESCRIPTION
 * The description has one "key value" a line; values may hold the escapes
 * \r \n \t \\ and \xHH.  Notice keys: mta from from_name to date tz
 * msgid qid arrival envid ret (full|hdrs|none) smtputf8 allow8bit limit.
 * "rcpt ADDR" starts a recipient; its keys: orcpt (TYPE ADDR) action
 * (failed|delayed|delivered|relayed|expanded) status remote diag reason
 * last retry.  CONTENT-FILE is the original message; MAX is the output
 * buffer's max (default 16 MiB).  What dsn_make() reports goes to
 * standard error ("kind=K returned=R eight_bit=B"), and so does its
 * reason on failure (exit status 1).
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "mail/dsn.h"

#define MAX_RCPT 100
#define MAX_VALUES 2000

static struct buf values[MAX_VALUES];
static size_t nvalues;

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value with its escapes undone, kept until exit. */
static struct span
unescape(const char *s)
{
	struct buf *b;
	size_t i;

	if (nvalues == MAX_VALUES) {
		fprintf(stderr, "dsnmake: too many values\n");
		exit(2);
	}
	b = &values[nvalues++];
	buf_init(b, BUF_MAX_CEILING);
	for (i = 0; s[i] != '\0'; i++) {
		int c = (unsigned char)s[i];

		if (c == '\\' && s[i + 1] != '\0') {
			c = (unsigned char)s[++i];
			if (c == 'r')
				c = '\r';
			else if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x' && hexval(s[i + 1]) >= 0 &&
			         hexval(s[i + 2]) >= 0) {
				c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
				i += 2;
			}
		}
		buf_addc(b, c);
	}
	return buf_span(b);
}

static int64_t
number(struct span v)
{
	uint64_t u = 0;
	bool neg = v.len > 0 && v.p[0] == '-';

	if (parse_u64(span_sub(v, neg, v.len), 0, INT64_MAX, &u) == -1) {
		fprintf(stderr, "dsnmake: bad number\n");
		exit(2);
	}
	return neg ? -(int64_t)u : (int64_t)u;
}

static enum dsn_action
action(struct span v)
{
	static const char *const names[] = {"failed", "delayed", "delivered",
	                                    "relayed", "expanded"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (span_eq(v, names[i]))
			return (enum dsn_action)i;
	fprintf(stderr, "dsnmake: bad action\n");
	exit(2);
}

static void
unknown(const char *key)
{
	fprintf(stderr, "dsnmake: unknown key %s\n", key);
	exit(2);
}

static bool
is_rcpt_key(const char *key)
{
	static const char *const keys[] = {"orcpt",  "action", "status",
	                                   "remote", "diag",   "reason",
	                                   "last",   "retry"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static void
rcpt_key(struct dsn_rcpt *r, const char *key, struct span v)
{
	long sp;

	if (strcmp(key, "orcpt") == 0) {
		sp = span_chr(v, ' ');
		r->orcpt_type = span_sub(v, 0, sp < 0 ? v.len : (size_t)sp);
		r->orcpt = sp < 0 ? span_make(NULL, 0)
		                  : span_sub(v, (size_t)sp + 1, v.len);
	} else if (strcmp(key, "action") == 0) {
		r->action = action(v);
	} else if (strcmp(key, "status") == 0) {
		r->status = v;
	} else if (strcmp(key, "remote") == 0) {
		r->remote_mta = v;
	} else if (strcmp(key, "diag") == 0) {
		r->diag = v;
	} else if (strcmp(key, "reason") == 0) {
		r->reason = v;
	} else if (strcmp(key, "last") == 0) {
		r->last_attempt = number(v);
	} else if (strcmp(key, "retry") == 0) {
		r->retry_until = number(v);
	} else {
		unknown(key);
	}
}

static void
notice_key(struct dsn_notice *n, const char *key, struct span v)
{
	struct span *spans[] = {&n->mta,  &n->from,       &n->from_name,
	                        &n->to,   &n->message_id, &n->queue_id,
	                        &n->envid};
	static const char *const names[] = {"mta",   "from", "from_name", "to",
	                                    "msgid", "qid",  "envid"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0) {
			*spans[i] = v;
			return;
		}
	if (strcmp(key, "date") == 0)
		n->date = number(v);
	else if (strcmp(key, "tz") == 0)
		n->tz_minutes = (int)number(v);
	else if (strcmp(key, "arrival") == 0)
		n->arrival = number(v);
	else if (strcmp(key, "ret") == 0)
		n->ret = span_eq(v, "full")   ? DSN_RET_FULL
		         : span_eq(v, "hdrs") ? DSN_RET_HDRS
		                              : DSN_RET_NONE;
	else if (strcmp(key, "smtputf8") == 0)
		n->smtputf8 = number(v) != 0;
	else if (strcmp(key, "allow8bit") == 0)
		n->allow_8bit = number(v) != 0;
	else if (strcmp(key, "limit") == 0)
		n->size_limit = (uint64_t)number(v);
	else
		unknown(key);
}

static void
read_description(struct dsn_notice *n, struct dsn_rcpt *rcpt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		char *sp;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		sp = strchr(line, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		if (strcmp(line, "rcpt") == 0) {
			if (n->nrcpt == MAX_RCPT)
				exit(2);
			rcpt[n->nrcpt++].addr = unescape(sp ? sp : "");
		} else if (is_rcpt_key(line)) {
			if (n->nrcpt == 0)
				unknown(line);
			rcpt_key(&rcpt[n->nrcpt - 1], line,
			         unescape(sp ? sp : ""));
		} else {
			notice_key(n, line, unescape(sp ? sp : ""));
		}
	}
	free(line);
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = {"failure", "delay", "success"};
	static struct dsn_rcpt rcpt[MAX_RCPT];
	struct dsn_notice n = {.size_limit = 50000};
	struct dsn_info info;
	struct buf content, out;
	struct why why;
	size_t max = 16 << 20, i;
	int status = 0;

	if (argc > 2 && strcmp(argv[1], "-m") == 0) {
		max = (size_t)number(span_str(argv[2]));
		argc -= 2;
		argv += 2;
	}
	buf_init(&content, BUF_MAX_CEILING);
	if (argc > 1 && file_read(argv[1], &content, &why) == -1) {
		fprintf(stderr, "dsnmake: %s\n", why.msg);
		return 2;
	}
	read_description(&n, rcpt);
	n.rcpt = rcpt;
	n.content = buf_span(&content);
	buf_init(&out, max);
	if (dsn_make(&n, &out, &info, &why) == -1) {
		fprintf(stderr, "dsnmake: %s\n", why.msg);
		status = 1;
	} else {
		fwrite(out.p, 1, out.len, stdout);
		fprintf(stderr, "kind=%s returned=%s eight_bit=%d\n",
		        kinds[info.kind],
		        info.returned == DSN_RETURNED_FULL ? "full" : "hdrs",
		        info.eight_bit);
	}
	buf_fini(&out);
	buf_fini(&content);
	for (i = 0; i < nvalues; i++)
		buf_fini(&values[i]);
	return status;
}
