/*
 * imapd.h - imapd's shared state: the daemon, sessions and the view of a
 * selected mailbox.
 *
 * Lifetime: struct imapd lives for the process.  A session owns its
 * lineio, its command frame and arena (reset after each command), its
 * store handle (after login), its view (while a mailbox is selected) and
 * its AUTHENTICATE exchange (while one runs; imapd_auth_end frees it).
 * While a job runs on the worker pool (anything that touches authd or the
 * store) the session reads nothing and is freed only when the job's done
 * callback has run; a job waiting for the client to read its output
 * (mailjob_wait_output, a long FETCH) is released when the connection
 * ends.  Sessions in IDLE are linked from the watch of their mailbox
 * (imapd_idle.c), which the last of them frees.  The view holds the
 * UIDs of the selected mailbox in message-number order, so that untagged
 * EXPUNGE and EXISTS keep message numbers right; flags are not kept
 * (changes come from the store).  Its modseq is the point up to which
 * every change has been reported to the client (RFC 7162: the
 * HIGHESTMODSEQ it may be told), and own[] lists flag changes past it
 * that the client has already been shown (its own STORE), so that the
 * next update does not report them again.
 *
 * Linked into: imapd.  Runs as store_owner, not chrooted.  Trust: every
 * byte a client sends is hostile; the user name comes from authd.
 */
#ifndef POSTERN_IMAPD_H
#define POSTERN_IMAPD_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct event;
struct event_timer;
struct hmap;
struct imapd_watch;
struct shcount;

#include "base/arena.h"
#include "base/buf.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/imapcmd.h"
#include "mail/mailjob.h"
#include "mail/maillogin.h"
#include "mail/service.h"
#include "mail/uidmap.h"
#include "store/store.h"

struct imapd {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct worker_pool *pool;
	SSL_CTX *tls_ctx;		/* NULL: no TLS */
	struct store_conf store;	/* strings borrowed from p */
	char authd_path[4096];
	struct imapcmd_limits lim;
	size_t nsessions;
	struct imapd_sess *sessions;
	/* IDLE: one change-notice descriptor for the process (or -1), and
	 * its watches by id (struct imapd_watch, imapd_idle.c). */
	int watch_fd;
	struct event *watch_ev;
	struct hmap *watches;
	struct shcount *conns;		/* connection counts (imapd_limit.c) */
	bool sasl_ok;			/* Cyrus SASL is set up */
	struct maillogin_conf login;	/* strings borrowed from p and here */
};

enum imapd_state {
	IMAPD_NOTAUTH,
	IMAPD_AUTH,
	IMAPD_SELECTED,
	IMAPD_LOGOUT,
};

/* A flag change the client was shown by its own command. */
struct imapd_own {
	uint32_t uid;
	uint64_t modseq;
};

/* The selected mailbox as this session has announced it. */
struct imapd_view {
	uint32_t mailbox;		/* store id */
	char name[STORE_MAX_NAME + 1];	/* UTF-8 */
	bool readonly;			/* EXAMINE */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;		/* changes seen up to here */
	struct uidmap uids;		/* MSN i+1 is the UID at index i,
					 * kept as runs of consecutive UIDs */
	uint32_t first_recent;
	struct imapd_own *own;		/* changes shown, past modseq */
	size_t nown;
};

struct imapd_sess {
	struct imapd *d;
	struct lineio *io;
	char id[16];			/* session id for logs */
	char client_addr[64];
	uint16_t client_port;
	bool tls;
	bool handshaking;
	enum imapd_state state;
	struct imapcmd_frame frame;
	struct arena arena;		/* the current command's */
	struct imapcmd cmd;		/* the current command */
	char tag[128];			/* its tag, for the tagged reply */
	char *user;			/* after login: authd's key */
	struct store *store;		/* after login */
	struct imapd_view *view;	/* SELECTED */
	bool utf8_accept;		/* ENABLE UTF8=ACCEPT */
	bool condstore;			/* a CONDSTORE-enabling command came */
	bool qresync;			/* ENABLE QRESYNC: VANISHED, not EXPUNGE */
	bool idling;			/* IDLE: waiting for DONE */
	bool idle_pending;		/* a change came during an update */
	struct imapd_watch *idle_watch;	/* the mailbox's notices, or NULL */
	struct imapd_sess *idle_next;	/* others on idle_watch */
	struct imapd_sess **idle_prevp;
	struct event_timer *idle_timer;	/* imapd_idle_recheck */
	char idle_tag[128];
	unsigned errors;		/* BAD replies in a row */
	unsigned auth_failures;
	struct maillogin_sasl *auth;	/* AUTHENTICATE in progress, or NULL */
	char auth_tag[128];		/* its tag, while it runs */
	struct event_timer *auth_delay;	/* holds back a failed login's NO */
	bool counted_addr;		/* in d->conns under its address */
	bool over_limit;		/* refused: BYE as the greeting */
	bool counted_user;		/* and under user and address */
	struct mailjob job;		/* the job in flight, if busy */
	bool ended;			/* connection gone */
	bool quitting;
	struct imapd_sess *next;
	struct imapd_sess **prevp;
};

/* imapd_session.c */
void	imapd_session_new(struct imapd *d, int fd);
void	imapd_session_free_all(struct imapd *d);
/* Queue a line: fmt is the text after "* " / "TAG " (CRLF added). */
void	imapd_untagged(struct imapd_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	imapd_tagged(struct imapd_sess *s, const char *status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Queue raw bytes (a built response with literals). */
void	imapd_write(struct imapd_sess *s, const void *p, size_t n);
/* Run work on a worker, then done on the loop; the session reads nothing
 * meanwhile.  On a full pool: "NO [UNAVAILABLE]", and release(arg)
 * frees the job instead (done frees it otherwise). */
void	imapd_job(struct imapd_sess *s, worker_fn *work, worker_fn *done,
	    worker_fn *release, void *arg);
/* The job's done callback ends with this (may free an ended session). */
void	imapd_job_end(struct imapd_sess *s);
/* The same without ending the command (IDLE goes on). */
void	imapd_job_resume(struct imapd_sess *s);
/* BYE and close. */
void	imapd_bye(struct imapd_sess *s, const char *text);
/* The CAPABILITY list for s's state (into out). */
void	imapd_capability(const struct imapd_sess *s, struct buf *out);

/* imapd_auth.c: LOGIN, AUTHENTICATE and the store opened after them. */
void	imapd_login(struct imapd_sess *s);
void	imapd_authenticate(struct imapd_sess *s);
/* A line while s->auth waits for the client's response. */
void	imapd_auth_line(struct imapd_sess *s, struct span line);
/* An over-long line while s->auth waits: the exchange ends (BAD). */
void	imapd_auth_too_long(struct imapd_sess *s);
/* The session ends: drop the exchange (secrets wiped). */
void	imapd_auth_end(struct imapd_sess *s);
/* LOGINDISABLED: no password over plaintext unless allowed. */
bool	imapd_login_disabled(const struct imapd_sess *s);
/* The AUTH= and SASL-IR capabilities s may use now (appended to out). */
void	imapd_auth_capability(const struct imapd_sess *s, struct buf *out);

/* imapd_limit.c: connections per client address and per user. */
void	imapd_limit_open(struct imapd *d);
void	imapd_limit_close(struct imapd *d);
/* Count s's connection; false (not counted) when over the limit. */
bool	imapd_limit_connect(struct imapd_sess *s);
/* Count s's login as user; false (not counted) when over the limit. */
bool	imapd_limit_login(struct imapd_sess *s, const char *user);
/* Uncount what s counted (before s->user is freed). */
void	imapd_limit_end(struct imapd_sess *s);

/* imapd_mbox.c: commands on mailboxes (not selected). */
void	imapd_mailbox_cmd(struct imapd_sess *s);
/* A client's mailbox name to UTF-8 (modified UTF-7 unless UTF8=ACCEPT);
 * -1 with why. */
int	imapd_name_in(const struct imapd_sess *s, const struct imapcmd_mbox *m,
	    char out[STORE_MAX_NAME + 1], struct why *why);

/* imapd_select.c: SELECT, EXAMINE, CLOSE, UNSELECT, and the updates. */
void	imapd_select(struct imapd_sess *s);
void	imapd_close(struct imapd_sess *s, bool expunge);
/* Report changes to the selected mailbox: with the tagged OK of the
 * command (NOOP, CHECK) when tagged, else alone (IDLE). */
void	imapd_updates(struct imapd_sess *s, bool tagged);
void	imapd_view_free(struct imapd_view **vp);
/* At exit: the process's cache of selected mailboxes' UIDs. */
void	imapd_view_cache_free(void);

/* imapd_change.c: STORE, EXPUNGE, UID EXPUNGE, COPY, MOVE. */
void	imapd_change(struct imapd_sess *s);
/* The parser's system flag bits (IMAPCMD_F_*) as the store's. */
uint32_t imapd_store_flags(unsigned sys);
/* And back: the store's flags as the parser's bits. */
unsigned imapd_cmd_flags(uint32_t f);

/* imapd_idle.c */
void	imapd_idle(struct imapd_sess *s);
/* A line while idling (DONE ends it). */
void	imapd_idle_line(struct imapd_sess *s, struct span line);
/* The session ends while idling. */
void	imapd_idle_end(struct imapd_sess *s);
/* The process ends: the change-notice descriptor goes. */
void	imapd_idle_fini(struct imapd *d);

/* imapd_search.c: SEARCH and UID SEARCH (ESEARCH, MODSEQ). */
void	imapd_search(struct imapd_sess *s);

/* imapd_append.c */
void	imapd_append(struct imapd_sess *s);

/* imapd_fetch.c */
/* The UTC offset here at t, in minutes: the zone INTERNALDATE is shown
 * in (and SEARCH's dates are days in). */
int	imapd_local_zone(int64_t t);
void	imapd_fetch(struct imapd_sess *s);
/* The message numbers (ascending, caller frees) a set names: UIDs when
 * uid, else message numbers (-1 when one is past the last). */
int	imapd_set_msns(struct imapd_sess *s, struct imapseq *set, bool uid,
	    uint32_t **out, size_t *n_out);

#endif
