/*
 * smtpd.h - smtpd's shared state: the daemon, sessions and transactions.
 *
 * Lifetime: struct smtpd lives for the process.  A session owns its
 * lineio, its transaction, its name look-up (cancelled when the session
 * is freed) and the jobs it has in flight (at most one: the session stops
 * reading while a job runs, so replies keep command order under
 * PIPELINING); it is freed when its connection has ended and no job is
 * in flight.  A transaction (MAIL to end of data or RSET) owns its
 * sender, recipients and the message text.
 *
 * Linked into: smtpd.  Runs as mail_owner, chrooted to queue_directory.
 * Trust: everything a client sends is hostile.
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "auth/authsasl_authd.h"
#include "base/buf.h"
#include "base/dns.h"
#include "base/event.h"
#include "base/lineio.h"
#include "base/netmatch.h"
#include "base/worker.h"
#include "mail/service.h"
#include "mail/smtpcmd.h"
#include "mail/smtpdata.h"

struct smtpd {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct worker_pool *pool;
	struct netmatch *mynetworks;
	struct netmatch *bare_newline_ok;
	struct dns *dns;		/* NULL: smtpd_peername_lookup off */
	char queue_dir[4096];		/* as seen after chroot */
	char authd_path[4096];		/* as seen after chroot */
	char qmgr_path[4096];		/* as seen after chroot */
	SSL_CTX *tls_ctx;		/* NULL: no TLS */
	struct smtpd_limit *limit;	/* per-client connection counts */
	bool access;			/* some smtpd_*_access list is set */
	size_t nsessions;
	uint64_t max_sessions;		/* connection limit within fd budget */
	struct smtpd_sess *sessions;
};

enum smtpd_state {
	SMTPD_S_GREET = 1,	/* before EHLO/HELO */
	SMTPD_S_READY = 2,	/* after EHLO/HELO, no transaction */
	SMTPD_S_MAIL = 4,	/* after MAIL */
	SMTPD_S_RCPT = 8,	/* after a good RCPT */
};

struct smtpd_rcpt {
	char *addr;		/* as given, canonical form */
	char *orcpt_type;	/* ORCPT type, or NULL */
	char *orcpt;		/* decoded ORCPT address, or NULL */
	unsigned int notify;
};

/* What the access tables said about a message (the strongest wins). */
enum { SMTPD_KEEP, SMTPD_HOLD, SMTPD_DISCARD };

struct smtpd_tx {
	char *sender;			/* "" for the null sender */
	struct smtpd_rcpt *rcpt;
	size_t nrcpt;
	uint64_t declared_size;
	int body;			/* enum qfile_body */
	bool smtputf8;
	int ret;			/* enum qfile_ret */
	char *envid;
	struct buf text;		/* message text, CRLF */
	struct smtpdata data;		/* the DATA/BDAT decoder */
	int verdict;			/* access: SMTPD_KEEP, _HOLD, _DISCARD */
	char verdict_reason[128];
	bool bdat;			/* BDAT chunks have started */
	uint64_t chunk_size;		/* the current chunk's */
};

struct smtpd_sess {
	struct smtpd *sd;
	struct lineio *io;
	char id[16];			/* session id for logs */
	char client_addr[64];
	char client_name[256];		/* verified host name, or "unknown" */
	uint16_t client_port;
	struct sockaddr_storage peer;
	bool trusted;			/* in mynetworks, or local */
	bool local;			/* sendmail(1) on the unix socket */
	uint32_t local_uid;		/* its user (peer credentials) */
	bool bare_newline_ok;
	bool esmtp;
	bool tls;			/* TLS is up */
	bool handshaking;		/* a TLS handshake is under way */
	char tls_proto[32];		/* its version and cipher, for logs */
	char tls_cipher[64];		/* and the Received: header */
	int tls_bits;
	char *auth_user;		/* after a successful AUTH, or NULL */
	struct authsasl *sasl;		/* the AUTH exchange, or NULL */
	struct authsasl_authd auth_check; /* its password check */
	char auth_mech[32];
	bool auth_pending;		/* next line is a SASL response */
	char helo[256];
	unsigned int state;		/* one of SMTPD_S_* */
	unsigned int errors;
	bool busy;			/* a job is in flight */
	bool held;			/* error delay or greet pause running */
	bool in_data;			/* reading message text (raw mode) */
	bool greeted;			/* the 220 greeting went out */
	bool counted;			/* in the per-client limit table */
	struct dns_query *dnsq;		/* name look-up running, or NULL */
	struct event_timer *timer;	/* error delay, greet pause */
	uint64_t ncommands;
	uint64_t nmessages;
	uint64_t discard_left;		/* BDAT octets to skip, then reply */
	int discard_code;		/* that reply */
	char discard_text[128];
	bool ended;			/* connection gone */
	bool quitting;
	struct smtpd_tx tx;
	struct smtpd_sess *next;
	struct smtpd_sess **prevp;
};

/* smtpd_session.c */
void	smtpd_session_new(struct smtpd *sd, int fd);
void	smtpd_session_free_all(struct smtpd *sd);
/* Send "code enh text" (enh may be NULL). */
void	smtpd_reply(struct smtpd_sess *s, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Count an error; at the limit answer 421 and close.  True if closed. */
bool	smtpd_error(struct smtpd_sess *s);
/* Stop reading until smtpd_resume (a job is in flight). */
void	smtpd_suspend(struct smtpd_sess *s);
/* The job is done: read again; may free an ended session. */
void	smtpd_resume(struct smtpd_sess *s);
void	smtpd_tx_reset(struct smtpd_sess *s);

/* Answer 421 with text and close. */
void	smtpd_close_421(struct smtpd_sess *s, const char *enh, const char *text);

/* smtpd_cmds.c: the command table. */
void	smtpd_command(struct smtpd_sess *s, struct span line);

/* smtpd_rcpt.c: init once before the first worker job. */
void	smtpd_rcpt_init(const struct smtpd *sd);
void	smtpd_rcpt(struct smtpd_sess *s, const struct smtpcmd *cmd);

/* This thread's authd client (made on first use; worker threads). */
struct authclient *smtpd_authclient(void);

/* smtpd_data.c: DATA and BDAT, then the queue file. */
void	smtpd_data(struct smtpd_sess *s);
void	smtpd_bdat(struct smtpd_sess *s, const struct smtpcmd *c);

/* smtpd_tls.c */
int	smtpd_tls_init(struct smtpd *sd);
void	smtpd_tls_fini(struct smtpd *sd);
bool	smtpd_tls_offered(const struct smtpd_sess *s);
void	smtpd_tls_ready(struct smtpd_sess *s);
void	smtpd_tls_failed(struct smtpd_sess *s);
void	smtpd_starttls(struct smtpd_sess *s, const struct smtpcmd *c);

/* smtpd_auth.c */
int	smtpd_auth_mechs(struct smtpd_sess *s, struct buf *out);
void	smtpd_auth(struct smtpd_sess *s, const struct smtpcmd *c);
void	smtpd_auth_response(struct smtpd_sess *s, struct span line);
void	smtpd_auth_reset(struct smtpd_sess *s);

/* smtpd_limit.c */
enum smtpd_limit_res {
	SMTPD_LIMIT_OK,
	SMTPD_LIMIT_COUNT,	/* too many connections at once */
	SMTPD_LIMIT_RATE,	/* too many in this period */
};
struct smtpd_limit *smtpd_limit_new(const struct params *p);
void	smtpd_limit_free(struct smtpd_limit **lp);
enum smtpd_limit_res smtpd_limit_enter(struct smtpd_limit *l,
	    const char *addr);
void	smtpd_limit_leave(struct smtpd_limit *l, const char *addr);

#endif
