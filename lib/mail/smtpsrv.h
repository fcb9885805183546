/*
 * smtpsrv.h - the session core of smtpd (SMTP) and lmtpd (LMTP): framing,
 * replies, errors, jobs, the command table, DATA/BDAT, STARTTLS and AUTH.
 * A daemon embeds struct smtpsrv in its session and fills a struct
 * smtpsrv_daemon with its settings, commands and callbacks.  Lifetime:
 * the daemon struct lives for the process and lists the sessions; a core
 * owns its lineio, timer, AUTH state, sender and text, and once the
 * connection has ended and no job is in flight calls ops->free, which
 * frees the daemon's part, calls smtpsrv_fini, then frees the session.
 * Linked into: smtpd, lmtpd.  Trust: the client is hostile; every line is
 * bounded and checked before it is parsed.  Logs through log.h.
 */
#ifndef POSTERN_SMTPSRV_H
#define POSTERN_SMTPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "auth/authsasl_authd.h"
#include "base/buf.h"
#include "base/event.h"
#include "base/lineio.h"
#include "base/worker.h"
#include "mail/params.h"
#include "mail/smtpcmd.h"
#include "mail/smtpdata.h"

/* The daemon's session that holds core at member. */
#define SMTPSRV_OWNER(core, type, member)                                  \
	((type *)(void *)((char *)(core) - offsetof(type, member)))

enum smtpsrv_state {
	SMTPSRV_S_GREET = 1,	/* before EHLO/HELO/LHLO */
	SMTPSRV_S_READY = 2,	/* after it, no transaction */
	SMTPSRV_S_MAIL = 4,	/* after MAIL */
	SMTPSRV_S_RCPT = 8,	/* after a good RCPT */
	SMTPSRV_S_ANY = 15,
};

struct smtpsrv;
struct smtpsrv_auth_job;

/* A command: legal in states (else 503 "Error: out_of_state"): act. */
struct smtpsrv_cmd {
	enum smtpcmd_verb verb;
	unsigned int states;
	void (*act)(struct smtpsrv *s, const struct smtpcmd *c);
	const char *out_of_state;
};

/* What differs, as callbacks and texts.  rcpt comes after the state and
 * SMTPUTF8 checks; message gets code 0 (the text is in) or a refusal. */
struct smtpsrv_ops {
	const struct smtpsrv_cmd *cmds;	/* the daemon's, before the shared
					 * ones; ends with a NULL act */
	const char *help;		/* the 214 reply's text */
	const char *hello_first;	/* 503 text: MAIL before the greeting */
	const char *extensions;		/* more EHLO lines, CRLF each */
	const char *no_rcpt;		/* 503 text: DATA without recipients */
	void (*free)(struct smtpsrv *s);	/* see Lifetime */
	void (*tx_reset)(struct smtpsrv *s);	/* the daemon's part */
	void (*rcpt)(struct smtpsrv *s, const struct smtpcmd *c);
	void (*message)(struct smtpsrv *s, int code, const char *enh,
	    const char *text);
	void (*ended)(struct smtpsrv *s, enum lineio_event ev); /* log it */
	void (*tls_up)(struct smtpsrv *s);	/* handshake over; or NULL */
};

/* Filled by the daemon at start-up; strings borrowed for the process. */
struct smtpsrv_daemon {
	const struct smtpsrv_ops *ops;
	const struct params *p;		/* myhostname, auth_*, authd_timeout */
	struct event_base *base;
	struct worker_pool *pool;	/* AUTH steps */
	SSL_CTX *tls_ctx;		/* NULL: no TLS; the daemon frees it */
	const char *banner;		/* the 220 greeting's text */
	const char *authd_path;
	size_t max_line;		/* framing, CRLF included */
	uint64_t command_line_limit;	/* but MAIL and RCPT; 0: max_line */
	uint64_t timeout_ms;
	uint64_t data_timeout_ms;	/* 0: the timeout stays as it is */
	uint64_t starttls_timeout_ms;	/* 0: the timeout stays as it is */
	uint64_t hard_error_limit;
	uint64_t soft_error_limit;	/* then a growing delay of */
	uint64_t error_sleep_ms;	/* this much a step (0: none) */
	uint64_t command_limit;
	uint64_t message_size_limit;
	uint64_t data_line_limit;
	uint64_t header_size_limit;	/* 0: none */
	bool wrappermode;		/* implicit TLS (RFC 8314) */
	bool tls_encrypt;		/* TLS before MAIL and AUTH over TCP */
	bool local_plain;		/* no STARTTLS or AUTH for local */
	bool helo_required;
	bool auth_enable;
	bool auth_required;		/* before MAIL, but for local */
	/* LMTP: ids L..., SASL service "lmtp", lmtpd's AUTH answers ("=" is
	 * empty at every step, "bad base64 in response", BADPROT 535). */
	bool lmtp;
	struct smtpsrv *sessions;	/* the core keeps this list */
	size_t nsessions;
};

struct smtpsrv {
	struct smtpsrv_daemon *d;	/* borrowed: the daemon's */
	struct lineio *io;
	char id[16];			/* session id for logs */
	char client_addr[64];		/* "local" on the unix socket */
	uint16_t client_port;
	struct sockaddr_storage peer;	/* AF_UNSPEC when unknown */
	bool local;			/* unix socket, peer credentials */
	uint32_t local_uid;		/* its user */
	bool bare_newline_ok;		/* set by the daemon */
	bool esmtp;			/* EHLO or LHLO */
	char helo[256];
	bool tls;			/* TLS is up */
	bool handshaking;		/* a TLS handshake is under way */
	char tls_proto[32];		/* what was negotiated */
	char tls_cipher[64];
	int tls_bits;
	char *auth_user;		/* after a successful AUTH, or NULL */
	struct authsasl *sasl;		/* the AUTH exchange, or NULL */
	struct authsasl_authd auth_check; /* its password check */
	char auth_mech[32];
	bool auth_pending;		/* next line is a SASL response */
	/* A failed AUTH step whose 535 waits out authd's delay (the session
	 * is busy meanwhile), or NULL; owned, freed by the reset. */
	struct smtpsrv_auth_job *auth_held;
	unsigned int state;		/* one of SMTPSRV_S_* */
	unsigned int errors;
	uint64_t ncommands;
	bool busy;			/* a job is in flight */
	bool held;			/* error delay or greet pause running */
	bool greeted;			/* the 220 greeting went out */
	bool in_data;			/* reading message text (raw) */
	bool ended;			/* connection gone */
	bool quitting;
	struct event_timer *timer;	/* held; made on first use */
	char *sender;			/* after MAIL: "" for the null sender */
	bool smtputf8;
	struct buf text;		/* message text, CRLF */
	struct smtpdata data;		/* its DATA/BDAT decoder */
	bool bdat;			/* BDAT chunks have started */
	uint64_t chunk_size;		/* the current chunk's */
	uint64_t discard_left;		/* refused BDAT octets to skip, */
	char discard_text[128];		/* then this 503 */
	struct smtpsrv *next;		/* in d->sessions */
	struct smtpsrv **prevp;
};

/* smtpsrv.c.  Set up and list s on fd (taken); -1 (logged): free s. */
int	smtpsrv_init(struct smtpsrv *s, struct smtpsrv_daemon *d, int fd);
void	smtpsrv_fini(struct smtpsrv *s);	/* see Lifetime */
void	smtpsrv_free_all(struct smtpsrv_daemon *d);
/* Send "code enh text" (enh may be NULL); 4xx/5xx are logged. */
void	smtpsrv_reply(struct smtpsrv *s, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answer 421 4.7.0 "myhostname text" and close. */
void	smtpsrv_close_421(struct smtpsrv *s, const char *text);
void	smtpsrv_quit(struct smtpsrv *s);	/* close after the replies */
/* Count an error; at the limit answer 421 and close.  True if closed. */
bool	smtpsrv_error(struct smtpsrv *s);
/* Stop reading while a job runs; resume when done (may free s). */
void	smtpsrv_suspend(struct smtpsrv *s);
void	smtpsrv_resume(struct smtpsrv *s);
/* The 220 greeting after ms (0: now); an early talker is caught. */
void	smtpsrv_greet(struct smtpsrv *s, uint64_t ms);
void	smtpsrv_tx_reset(struct smtpsrv *s);	/* and ops->tx_reset */
/* Move the message text into *out (s gets an empty one). */
void	smtpsrv_take_text(struct smtpsrv *s, struct buf *out);
bool	smtpsrv_tls_offered(const struct smtpsrv *s);
bool	smtpsrv_tls_required(const struct smtpsrv *s); /* for MAIL, AUTH */
/* Make the TLS server context (tls_ctx_free frees it); logs. */
int	smtpsrv_tls_init(const struct params *p, const char *level,
	    bool wrappermode, SSL_CTX **ctx_out);
/* Pure: how long the next command waits after errors errors. */
uint64_t smtpsrv_error_delay_ms(uint64_t errors, uint64_t soft_limit,
	    uint64_t sleep_ms);

/* smtpsrv_cmds.c.  EHLO, HELO, LHLO: a new start, the greeting reply. */
void	smtpsrv_hello(struct smtpsrv *s, const struct smtpcmd *c);
/* MAIL: checked, noted and answered; true when it was accepted. */
bool	smtpsrv_mail(struct smtpsrv *s, const struct smtpcmd *c);
/* RCPT looked up: the reply (unless s ended); true on 250: keep it. */
bool	smtpsrv_rcpt_done(struct smtpsrv *s, int code, const char *enh,
	    const char *text);
/* Pure: the EHLO/LHLO reply into out; -1 when out is full. */
int	smtpsrv_ehlo_text(struct buf *out, const char *host, uint64_t size,
	    const char *extensions, bool starttls, struct span mechs);

/* smtpsrv_auth.c.  The mechanisms s may use now, blank-separated; is
 * mech one of them (pure); AUTH after the daemon's checks. */
int	smtpsrv_auth_mechs(struct smtpsrv *s, struct buf *out);
bool	smtpsrv_mech_offered(struct span mechs, struct span mech);
void	smtpsrv_auth(struct smtpsrv *s, const struct smtpcmd *c);

#endif
