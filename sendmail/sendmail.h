/*
 * sendmail.h - what the files of the sendmail command share: its
 * options, the message being submitted, and one function per job.
 * Linked into: sendmail (also run as mailq and newaliases).  Runs as the
 * invoking user, root or not; it is not set-uid and needs no privilege.
 * Trust: arguments, the message and the configuration are the invoking
 * user's; the replies of smtpd are parsed with bounds.
 *
 * Every function that can fail returns an exit status from sysexits.h
 * (EX_OK on success) and puts a one-line reason in why; main prints it.
 */
#ifndef POSTERN_SENDMAIL_H
#define POSTERN_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/params.h"

/* How long sendmail waits for a reply of smtpd, in seconds. */
#define SENDMAIL_REPLY_TIMEOUT 300

enum sendmail_mode {
	SENDMAIL_DELIVER,    /* -bm: read a message, submit it */
	SENDMAIL_SMTP,       /* -bs: SMTP on standard input and output */
	SENDMAIL_QUEUE_LIST, /* -bp, mailq */
	SENDMAIL_QUEUE_RUN,  /* -q */
	SENDMAIL_ALIASES,    /* -bi, -I, newaliases */
};

/* The command line.  Strings are borrowed from argv. */
struct sendmail_opts {
	const char *prog; /* "sendmail", "mailq", "newaliases" */
	const char *config_dir;
	enum sendmail_mode mode;
	const char *sender;    /* -f, -r; NULL: the login name */
	const char *full_name; /* -F; NULL: from the passwd entry */
	const char *notify;    /* -N: "NEVER" or "SUCCESS,...", in notify_buf */
	const char *ret;       /* -R: FULL or HDRS */
	const char *envid;     /* -V */
	const char *body;      /* -B: 7BIT or 8BITMIME */
	bool extract;          /* -t */
	bool ignore_dots;      /* -i, -oi */
	bool verbose;          /* -v */
	char dir_buf[4096];    /* -C FILE: the file's directory */
	char notify_buf[32];
	char **rcpt_args; /* the arguments after the options */
	int nrcpt_args;
};

/* A list of canonical addresses, each an owned string. */
struct sendmail_rcpts {
	char **v;
	size_t n;
	size_t cap;
};

/* Everything one submission needs; sendmail_free releases it. */
struct sendmail {
	const struct sendmail_opts *o; /* borrowed: main's */
	const struct params *p;        /* borrowed: main's */
	char *login;                   /* owned: the user's login name */
	char *gecos;                   /* owned: the full name in passwd */
	char *sender;                  /* owned: envelope sender, "" is <> */
	struct sendmail_rcpts rcpt;    /* owned */
	struct buf text; /* the message to send: CRLF lines, unstuffed */
	bool eight_bit;  /* a byte >= 0x80 anywhere in text */
	bool utf8;       /* ... in a header or an envelope address */
};

void sendmail_free(struct sendmail *sm);

/*
 * sendmail_args.c: fill o from the command line (o starts zeroed; its
 * strings then borrow from argv).  Returns EX_OK, or EX_USAGE after
 * printing the problem and the usage on standard error.
 */
int sendmail_args(struct sendmail_opts *o, int argc, char **argv);

/*
 * sendmail_addr.c: qualify, check and collect addresses.
 * Parse text as an address list (it may hold several, with display names
 * and comments) and add each mailbox to list, qualified with @$myorigin
 * when it has no domain, checked as an SMTP mailbox, and once only.
 * what names the source for the reason ("recipient", "To: header").
 */
int sendmail_rcpts_add(struct sendmail *sm, struct sendmail_rcpts *list,
                       struct span text, const char *what, struct why *why);
void sendmail_rcpts_free(struct sendmail_rcpts *list);
/* The envelope sender from -f (or the login name): sm->sender. */
int sendmail_sender(struct sendmail *sm, struct why *why);

/*
 * sendmail_msg.c: read the message from standard input (stopping at a
 * lone "." line unless -i), drop Bcc: headers, add Date:, Message-ID:
 * and From: when missing, and with -t take the recipients from the
 * header.  Fills sm->text, eight_bit, utf8 and (with -t) sm->rcpt.
 */
int sendmail_msg_read(struct sendmail *sm, int fd, struct why *why);

/* sendmail_smtp.c: submit sm over smtpd's local socket. */
int sendmail_submit(struct sendmail *sm, struct why *why);
/* -bs: relay standard input and output to smtpd's local socket. */
int sendmail_smtp_proxy(const struct sendmail_opts *o, const struct params *p,
                        struct why *why);
/* The socket path, $queue_directory/$sendmail_socket, into out. */
int sendmail_socket_path(const struct params *p, char *out, size_t size,
                         struct why *why);

/* sendmail_queue.c: -bp, mailq: list the queue on standard output (as
 * root after becoming mail_owner). */
int sendmail_queue_list(const struct params *p, struct why *why);

/* sendmail_aliases.c: -bi, newaliases: rebuild the alias_maps tables. */
int sendmail_aliases(const struct sendmail_opts *o, const struct params *p,
                     struct why *why);

#endif
