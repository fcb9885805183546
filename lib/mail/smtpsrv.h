/*
 * smtpsrv.h - the session core that smtpd (SMTP) and lmtpd (LMTP, RFC
 * 2033) share: who the client is, line framing, replies, the error count,
 * suspending reading while a job runs, the command table, the commands
 * both answer alike, DATA and BDAT reading, STARTTLS and the AUTH exchange.
 *
 * A daemon embeds struct smtpsrv in its session (and finds its session
 * again with SMTPSRV_OWNER) and fills one struct smtpsrv_daemon with its
 * settings, its own commands and its callbacks (struct smtpsrv_ops).
 *
 * Lifetime: struct smtpsrv_daemon is the daemon's and lives for the
 * process; it lists the live sessions.  A session core owns its lineio,
 * its timer, its AUTH state and the shared part of its transaction (the
 * sender and the message text).  Once the connection has ended and no
 * job is in flight, the core calls ops->free, which frees the daemon's
 * part, then calls smtpsrv_fini, then frees the session.
 *
 * Linked into: smtpd, lmtpd.  Runs as their users.  Trust: the client is
 * hostile; every line is bounded and checked before it is parsed.
 * Logs: the session's own lines (reject:, TLS, AUTH, early talker,
 * replies not read), through log.h.
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
};
#define SMTPSRV_S_ANY 15

struct smtpsrv;

typedef void smtpsrv_act_fn(struct smtpsrv *s, const struct smtpcmd *c);

/* A command: legal in states (else 503 "Error: out_of_state"), then act. */
struct smtpsrv_cmd {
	enum smtpcmd_verb verb;
	unsigned int states;
	smtpsrv_act_fn *act;
	const char *out_of_state;
};

/* What differs between the daemons, as callbacks. */
struct smtpsrv_ops {
	/* Free the session: the daemon's part, smtpsrv_fini, the memory. */
	void (*free)(struct smtpsrv *s);
	/* Forget the daemon's part of the transaction. */
	void (*tx_reset)(struct smtpsrv *s);
	/* RCPT, after the state and SMTPUTF8 checks. */
	void (*rcpt)(struct smtpsrv *s, const struct smtpcmd *c);
	/* The message text is in (code 0), or refused with code enh text
	 * (reading is back to commands). */
	void (*message)(struct smtpsrv *s, int code, const char *enh,
	    const char *text);
	/* The connection has ended (ev): log the end. */
	void (*ended)(struct smtpsrv *s, enum lineio_event ev);
	/* A TLS handshake is over (or NULL). */
	void (*tls_up)(struct smtpsrv *s);
};

/* Filled by the daemon at start-up; strings borrowed for the process. */
struct smtpsrv_daemon {
	const struct smtpsrv_ops *ops;
	const struct smtpsrv_cmd *cmds;	/* the daemon's own commands, */
	size_t ncmds;			/* looked at before the shared ones */
	struct event_base *base;
	struct worker_pool *pool;	/* AUTH steps */
	SSL_CTX *tls_ctx;		/* NULL: no TLS; the daemon frees it */
	const char *myhostname;
	const char *service;		/* "smtp", "lmtp": SASL and authd */
	const char *banner;		/* the 220 greeting's text */
	const char *help;		/* the 214 reply's text */
	const char *hello_first;	/* 503 text: MAIL before the greeting */
	const char *extensions;		/* more EHLO lines, CRLF each */
	const char *no_rcpt;		/* 503 text: DATA without recipients */
	const char *auth_mechanisms;
	const char *authd_path;
	uint64_t authd_timeout_ms;
	char id_prefix;			/* session ids: 'S', 'L' */
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
	bool auth_allow_plaintext;
	/*
	 * lmtpd's AUTH answers, kept as they were: "=" is an empty response
	 * at every step, a first response that is not base64 is "bad base64
	 * in response", and a malformed exchange fails (535, not 501).
	 */
	bool lmtp;
	/* The live sessions (the core keeps this list). */
	struct smtpsrv *sessions;
	size_t nsessions;
	unsigned long counter;
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
	int discard_code;		/* then this reply */
	char discard_text[128];
	struct smtpsrv *next;
	struct smtpsrv **prevp;
};

/* smtpsrv.c */
/* Set up a session on fd (taken) and list it; logs and returns -1 when
 * the connection cannot be set up (fd closed; the daemon frees s). */
int	smtpsrv_init(struct smtpsrv *s, struct smtpsrv_daemon *d, int fd);
/* Unlist s and free what the core owns (the transaction via tx_reset). */
void	smtpsrv_fini(struct smtpsrv *s);
void	smtpsrv_free_all(struct smtpsrv_daemon *d);
/* Send "code enh text" (enh may be NULL); 4xx/5xx are logged. */
void	smtpsrv_reply(struct smtpsrv *s, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answer 421 4.7.0 "myhostname text" and close. */
void	smtpsrv_close_421(struct smtpsrv *s, const char *text);
/* Close once the replies are out; nothing more is read. */
void	smtpsrv_quit(struct smtpsrv *s);
/* Count an error; at the limit answer 421 and close.  True if closed. */
bool	smtpsrv_error(struct smtpsrv *s);
/* Stop reading while a job runs; smtpsrv_resume when it is done (may
 * free an ended session). */
void	smtpsrv_suspend(struct smtpsrv *s);
void	smtpsrv_resume(struct smtpsrv *s);
/* The 220 greeting now, or after ms (reading goes on meanwhile, so a
 * client that talks first is caught as an early talker). */
void	smtpsrv_greet(struct smtpsrv *s);
void	smtpsrv_greet_after(struct smtpsrv *s, uint64_t ms);
/* Forget the transaction (the daemon's part through ops->tx_reset). */
void	smtpsrv_tx_reset(struct smtpsrv *s);
/* Move the message text into *out (the caller's; s gets an empty one). */
void	smtpsrv_take_text(struct smtpsrv *s, struct buf *out);

/* smtpsrv_cmds.c: commands both daemons answer alike.  The shared ones
 * (DATA BDAT RSET NOOP QUIT VRFY EXPN HELP STARTTLS RCPT) need no row. */
void	smtpsrv_command(struct smtpsrv *s, struct span line);
/* EHLO, HELO, LHLO: a new start, then the greeting reply. */
void	smtpsrv_hello(struct smtpsrv *s, const struct smtpcmd *c);
/* MAIL: checked, noted and answered; true when it was accepted. */
bool	smtpsrv_mail(struct smtpsrv *s, const struct smtpcmd *c);
bool	smtpsrv_tls_offered(const struct smtpsrv *s);
/* TLS is required of s before MAIL and AUTH. */
bool	smtpsrv_tls_required(const struct smtpsrv *s);
/* Make the TLS server context (tls_ctx_free frees it); logs. */
int	smtpsrv_tls_init(const struct params *p, const char *level,
	    bool wrappermode, SSL_CTX **ctx_out);
/* The handshake is over: note what was negotiated (lineio READY). */
void	smtpsrv_tls_ready(struct smtpsrv *s);
/* Pure: the EHLO/LHLO reply into out. */
int	smtpsrv_ehlo_text(struct buf *out, const char *host, uint64_t size,
	    const char *extensions, bool starttls, struct span mechs);
/* Pure: the delay before the next command after errors errors. */
uint64_t smtpsrv_error_delay_ms(uint64_t errors, uint64_t soft_limit,
	    uint64_t sleep_ms);

/* smtpsrv_data.c: DATA and BDAT, then ops->message. */
void	smtpsrv_data(struct smtpsrv *s, const struct smtpcmd *c);
void	smtpsrv_bdat(struct smtpsrv *s, const struct smtpcmd *c);

/* smtpsrv_auth.c: the AUTH exchange (RFC 4954), each step on a worker. */
/* The mechanisms s may use now, blank-separated, into out. */
int	smtpsrv_auth_mechs(struct smtpsrv *s, struct buf *out);
/* Pure: is mech one of the blank-separated mechs? */
bool	smtpsrv_mech_offered(struct span mechs, struct span mech);
/* AUTH, after the daemon's checks: the first step. */
void	smtpsrv_auth(struct smtpsrv *s, const struct smtpcmd *c);
/* A line while auth_pending: the client's response. */
void	smtpsrv_auth_response(struct smtpsrv *s, struct span line);
void	smtpsrv_auth_reset(struct smtpsrv *s);

#endif
