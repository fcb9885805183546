/*
 * lmtpd.h - lmtpd's shared state: the daemon, sessions, transactions and
 * the open stores.
 *
 * Lifetime: struct lmtpd lives for the process.  A session owns its
 * lineio and its transaction; while a job runs (a look-up, an AUTH step,
 * a delivery) the session reads nothing and is freed only when the job's
 * done callback has run.  A transaction (MAIL to the end of the data, or
 * RSET) owns its sender, recipients and message text; at the end of the
 * data they move into a delivery (lmtpd_deliver.c), which owns them until
 * every recipient has had its reply.
 *
 * Linked into: lmtpd.  Runs as store_owner, not chrooted.
 * Trust: clients are MTAs (delivery agents, gateways) but are still
 * treated as hostile: every input is bounded and checked.
 */
#ifndef POSTERN_LMTPD_H
#define POSTERN_LMTPD_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "auth/authsasl_authd.h"
#include "base/buf.h"
#include "base/lineio.h"
#include "base/netmatch.h"
#include "base/worker.h"
#include "mail/service.h"
#include "mail/smtpcmd.h"
#include "mail/smtpdata.h"
#include "store/store.h"

struct lmtpd_stores;

struct lmtpd {
	struct service *svc;		/* borrowed: the process's */
	const struct params *p;		/* borrowed: svc->params */
	struct worker_pool *pool;
	struct netmatch *clients;	/* lmtpd_client_networks */
	char authd_path[4096];
	struct store_conf store;	/* strings borrowed from p */
	struct lmtpd_stores *stores;	/* open stores, shared by workers */
	SSL_CTX *tls_ctx;		/* NULL: no STARTTLS */
	size_t nsessions;
	struct lmtpd_sess *sessions;
};

enum lmtpd_state {
	LMTPD_S_GREET = 1,	/* before LHLO */
	LMTPD_S_READY = 2,	/* after LHLO, no transaction */
	LMTPD_S_MAIL = 4,	/* after MAIL */
	LMTPD_S_RCPT = 8,	/* after a good RCPT */
};

/* An accepted recipient: what authd said about it. */
struct lmtpd_rcpt {
	char *addr;		/* as given in RCPT, canonical form */
	char *user;		/* authd's key: the store's user */
	char *folder;		/* sub-address mailbox to try, or NULL */
	uint64_t quota_bytes;	/* 0: none */
	uint64_t quota_messages;
};

struct lmtpd_tx {
	char *sender;			/* "" for the null sender */
	bool smtputf8;
	struct lmtpd_rcpt *rcpt;
	size_t nrcpt;
	struct buf text;		/* message text, CRLF */
	struct smtpdata data;		/* the DATA/BDAT decoder */
	bool bdat;			/* BDAT chunks have started */
	uint64_t chunk_size;		/* the current chunk's */
};

struct lmtpd_sess {
	struct lmtpd *ld;
	struct lineio *io;
	char id[16];			/* session id for logs */
	char client_addr[64];		/* "local" on the unix socket */
	uint16_t client_port;
	bool local;			/* unix-socket client */
	bool tls;			/* TLS is up */
	bool handshaking;
	char tls_proto[32];
	char tls_cipher[64];
	int tls_bits;
	char *auth_user;		/* after a successful AUTH, or NULL */
	struct authsasl *sasl;		/* the AUTH exchange, or NULL */
	struct authsasl_authd auth_check; /* its password check */
	char auth_mech[32];
	bool auth_pending;		/* next line is a SASL response */
	unsigned int state;		/* one of LMTPD_S_* */
	unsigned int errors;
	bool busy;			/* a job is in flight */
	bool in_data;			/* reading message text (raw) */
	bool ended;			/* connection gone */
	bool quitting;
	uint64_t discard_left;		/* refused BDAT octets to skip */
	int discard_code;		/* then this reply */
	char discard_text[128];
	struct lmtpd_tx tx;
	struct lmtpd_sess *next;
	struct lmtpd_sess **prevp;
};

/* lmtpd_session.c */
void	lmtpd_session_new(struct lmtpd *ld, int fd);
void	lmtpd_session_free_all(struct lmtpd *ld);
/* Send "code enh text" (enh may be NULL); 4xx/5xx are logged. */
void	lmtpd_reply(struct lmtpd_sess *s, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Count an error; at the limit answer 421 and close.  True if closed. */
bool	lmtpd_error(struct lmtpd_sess *s);
void	lmtpd_close_421(struct lmtpd_sess *s, const char *text);
/* Stop reading while a job runs; lmtpd_resume when it is done (may
 * free an ended session). */
void	lmtpd_suspend(struct lmtpd_sess *s);
void	lmtpd_resume(struct lmtpd_sess *s);
void	lmtpd_tx_reset(struct lmtpd_sess *s);
/* Give the transaction's recipients to the caller (count in *n). */
struct lmtpd_rcpt *lmtpd_tx_take_rcpts(struct lmtpd_sess *s, size_t *n);
void	lmtpd_rcpt_fini(struct lmtpd_rcpt *r);
void	lmtpd_rcpts_free(struct lmtpd_rcpt *r, size_t n);
/* Reading message text (raw, with the timeout) or commands again. */
void	lmtpd_read_raw(struct lmtpd_sess *s, lineio_raw_fn *fn);
void	lmtpd_end_raw(struct lmtpd_sess *s);

/* lmtpd_cmds.c: the command table. */
void	lmtpd_command(struct lmtpd_sess *s, struct span line);

/* lmtpd_rcpt.c: RCPT, the recipient asked of authd on a worker. */
void	lmtpd_rcpt(struct lmtpd_sess *s, const struct smtpcmd *c);

/* lmtpd_data.c: DATA and BDAT. */
void	lmtpd_data(struct lmtpd_sess *s);
void	lmtpd_bdat(struct lmtpd_sess *s, const struct smtpcmd *c);

/* lmtpd_deliver.c: the message into each recipient's store, then one
 * reply per recipient in RCPT order; refuse: the same reply for all. */
void	lmtpd_deliver(struct lmtpd_sess *s);
void	lmtpd_refuse_all(struct lmtpd_sess *s, int code, const char *enh,
	    const char *text);

/* lmtpd_store.c: open stores kept for the next delivery. */
struct lmtpd_store;
struct lmtpd_stores *lmtpd_stores_new(const struct store_conf *conf,
	    size_t max_idle);
/* Close every store; no delivery may hold one. */
void	lmtpd_stores_free(struct lmtpd_stores **cp);
/*
 * user's store for one delivery (on a worker thread): opened on first
 * use, kept open afterwards.  Deliveries to one user take turns, so the
 * quota set before an append is the one it checks.  NULL with why when
 * the store cannot be opened (STORE_TEMP).
 */
struct lmtpd_store *lmtpd_store_take(struct lmtpd_stores *c,
	    const char *user, struct why *why);
/* Borrowed: valid until lmtpd_store_give. */
struct store *lmtpd_store_of(struct lmtpd_store *e);
/* Done with it; broken: close it (the next delivery opens it anew). */
void	lmtpd_store_give(struct lmtpd_stores *c, struct lmtpd_store **ep,
	    bool broken);

/* lmtpd_tls.c */
int	lmtpd_tls_init(struct lmtpd *ld);
bool	lmtpd_tls_offered(const struct lmtpd_sess *s);
/* TLS is required of s before MAIL and AUTH (TCP clients). */
bool	lmtpd_tls_required(const struct lmtpd_sess *s);
void	lmtpd_tls_ready(struct lmtpd_sess *s);
void	lmtpd_tls_failed(struct lmtpd_sess *s);
void	lmtpd_starttls(struct lmtpd_sess *s, const struct smtpcmd *c);

/* lmtpd_auth.c */
int	lmtpd_auth_mechs(struct lmtpd_sess *s, struct buf *out);
void	lmtpd_auth(struct lmtpd_sess *s, const struct smtpcmd *c);
void	lmtpd_auth_response(struct lmtpd_sess *s, struct span line);
void	lmtpd_auth_reset(struct lmtpd_sess *s);

#endif
