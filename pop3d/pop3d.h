/*
 * pop3d.h - pop3d's shared state: the daemon, sessions and the maildrop
 * a session has open.
 *
 * Lifetime: struct pop3d lives for the process.  A session owns its
 * lineio, the user name USER gave (until PASS), its AUTH exchange (while
 * one runs; pop3d_auth_end frees it), and after login its store handle
 * and its maildrop, which holds the mailbox lock.  While a job runs on
 * the worker pool (anything that touches authd or the store) the session
 * reads nothing and is freed only when the job's done callback has run;
 * a job waiting for the client to read its output (mailjob_wait_output, a
 * long RETR) is released when the connection ends.  A session that ends
 * without QUIT hands its store and maildrop to a last job that sets the
 * \Seen flags of the messages it sent (pop3d_maildrop_end); nothing is
 * deleted then.
 *
 * The maildrop is the INBOX as it was at login (RFC 1939: message
 * numbers and sizes are fixed for the session): UIDs, sizes, and what
 * the session did to each message (DELE marks, RETR).  Messages other
 * sessions add meanwhile are not shown; messages they expunge answer
 * -ERR when asked for.
 *
 * Linked into: pop3d.  Runs as store_owner, not chrooted.  Trust: every
 * byte a client sends is hostile; the user name comes from authd.
 */
#ifndef POSTERN_POP3D_H
#define POSTERN_POP3D_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct event_timer;
struct shcount;

#include "base/buf.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/mailjob.h"
#include "mail/maillogin.h"
#include "mail/pop3cmd.h"
#include "mail/service.h"
#include "store/store.h"

struct pop3d {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct worker_pool *pool;
	SSL_CTX *tls_ctx;		/* NULL: no TLS */
	struct store_conf store;	/* strings borrowed from p */
	char authd_path[4096];
	size_t max_line;		/* a command line, CRLF included */
	size_t nsessions;
	struct pop3d_sess *sessions;
	struct shcount *conns;		/* connection counts (pop3d_limit.c) */
	bool sasl_ok;			/* Cyrus SASL is set up */
	bool stopping;			/* the process is ending */
	struct maillogin_conf login;	/* strings borrowed from p and here */
};

enum pop3d_state {
	POP3D_AUTHORIZATION,
	POP3D_TRANSACTION,
	POP3D_UPDATE,			/* after QUIT: nothing more is read */
};

/* One message of the maildrop. */
struct pop3d_msg {
	uint64_t size;			/* octets, CRLF line ends */
	uint32_t uid;
	bool deleted;			/* DELE, until RSET */
	bool seen;			/* \Seen at login */
	bool retrieved;			/* sent by RETR: \Seen to set */
};

struct pop3d_maildrop {
	uint32_t mailbox;		/* INBOX's store id */
	uint32_t uidvalidity;
	struct pop3d_msg *msg;		/* message number i+1 is msg[i] */
	size_t n;
	size_t cap;
	size_t ndeleted;
	uint64_t size;			/* of the messages not deleted */
	int lock_fd;			/* holds the lock, or -1 */
};

struct pop3d_sess {
	struct pop3d *d;
	struct lineio *io;
	char id[16];			/* session id for logs */
	char client_addr[64];
	uint16_t client_port;
	bool tls;
	bool handshaking;
	enum pop3d_state state;
	struct pop3cmd cmd;		/* the current command; its spans
					   point into the line being read */
	char *user_given;		/* USER's name until PASS; owned */
	char *user;			/* after login: authd's key */
	struct store *store;		/* after login */
	struct pop3d_maildrop *drop;	/* after login */
	unsigned errors;		/* bad commands in a row */
	unsigned auth_failures;
	struct maillogin_sasl *auth;	/* AUTH in progress, or NULL */
	struct event_timer *auth_delay;	/* holds back a failed login's -ERR */
	bool counted_addr;		/* in d->conns under its address */
	bool over_limit;		/* refused: -ERR as the greeting */
	struct mailjob job;		/* the job in flight, if busy */
	bool ended;			/* connection gone */
	bool quitting;
	struct pop3d_sess *next;
	struct pop3d_sess **prevp;
};

/* pop3d_session.c */
void	pop3d_session_new(struct pop3d *d, int fd);
void	pop3d_session_free_all(struct pop3d *d);
/* Queue "+OK text" / "-ERR text" (CRLF added).  -ERR replies to bad
 * commands go through pop3d_bad instead, which counts them. */
void	pop3d_ok(struct pop3d_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	pop3d_err(struct pop3d_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* -ERR for a malformed or misplaced command; too many in a row end the
 * session. */
void	pop3d_bad(struct pop3d_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Queue raw bytes (the lines of a multi-line response). */
void	pop3d_write(struct pop3d_sess *s, const void *p, size_t n);
void	pop3d_close(struct pop3d_sess *s);	/* after what is queued */
/* Run work on a worker, then done on the loop; the session reads nothing
 * meanwhile.  On a full pool: "-ERR [SYS/TEMP]", and release(arg) frees
 * the job instead (done frees it otherwise). */
void	pop3d_job(struct pop3d_sess *s, worker_fn *work, worker_fn *done,
	    worker_fn *release, void *arg);
/* The job's done callback ends with this (may free an ended session). */
void	pop3d_job_end(struct pop3d_sess *s);

/* pop3d_auth.c: USER, PASS, AUTH and the maildrop opened after them. */
void	pop3d_user(struct pop3d_sess *s);
void	pop3d_pass(struct pop3d_sess *s);
void	pop3d_authenticate(struct pop3d_sess *s);
/* A line while s->auth waits for the client's response. */
void	pop3d_auth_line(struct pop3d_sess *s, struct span line);
/* An over-long line while s->auth waits: the exchange ends. */
void	pop3d_auth_too_long(struct pop3d_sess *s);
/* The session ends: drop the exchange (secrets wiped). */
void	pop3d_auth_end(struct pop3d_sess *s);
/* USER, PASS and AUTH may be used now (TLS, or auth_allow_plaintext). */
bool	pop3d_auth_allowed(const struct pop3d_sess *s);
/* The capability lines of logging in (USER, SASL ...) into out: those
 * usable now (TLS, or auth_allow_plaintext). */
void	pop3d_auth_capability(const struct pop3d_sess *s, struct buf *out);

/* pop3d_maildrop.c: the maildrop, STAT, LIST, UIDL, DELE, RSET, QUIT. */
/*
 * On a worker, after login: take the mailbox lock in the user's store
 * directory and read the INBOX.  STORE_OK with *out; STORE_EXISTS when
 * another session holds the lock; STORE_TEMP with why.
 */
enum store_res pop3d_maildrop_open(struct store *st,
	    struct pop3d_maildrop **out, struct why *why);
/* Free (releasing the lock); NULL allowed, pointer cleared. */
void	pop3d_maildrop_free(struct pop3d_maildrop **mp);
/* The message numbered msg, or NULL (after -ERR) when there is none or
 * it is marked deleted. */
struct pop3d_msg *pop3d_maildrop_msg(struct pop3d_sess *s, uint32_t msg);
void	pop3d_stat(struct pop3d_sess *s);
void	pop3d_list(struct pop3d_sess *s);
void	pop3d_uidl(struct pop3d_sess *s);
void	pop3d_dele(struct pop3d_sess *s);
void	pop3d_rset(struct pop3d_sess *s);
/* QUIT in TRANSACTION: the UPDATE state (RFC 1939 section 6). */
void	pop3d_update(struct pop3d_sess *s);
/* The session ends without QUIT: its store and maildrop go to a last job
 * that sets \Seen on the messages sent (s->store, s->drop cleared). */
void	pop3d_maildrop_end(struct pop3d_sess *s);

/* pop3d_retr.c: RETR and TOP, streamed from the message file. */
void	pop3d_retr(struct pop3d_sess *s);

/* pop3d_limit.c: connections per client address. */
void	pop3d_limit_open(struct pop3d *d);
void	pop3d_limit_close(struct pop3d *d);
/* Count s's connection; false (not counted) when over the limit. */
bool	pop3d_limit_connect(struct pop3d_sess *s);
void	pop3d_limit_end(struct pop3d_sess *s);	/* uncount it */

#endif
