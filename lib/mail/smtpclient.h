/*
 * smtpclient.h - an SMTP (RFC 5321) or LMTP (RFC 2033) client session on
 * the event loop, one per connection: connect with a timeout, greeting,
 * EHLO (HELO when EHLO gets 5xx) or LHLO, STARTTLS by policy, then
 * transactions (MAIL with SIZE, BODY, SMTPUTF8, RET and ENVID; RCPT with
 * NOTIFY and ORCPT; DATA streamed from a borrowed text with
 * back-pressure), with PIPELINING when the server offers it, RSET, QUIT.
 *
 * Every wait has its own timeout (conf.to).  Callbacks run from the loop,
 * never inside a call into this module, so a callback may free the
 * session or start the next transaction.
 *
 * Lifetime: the session owns its connection and its replies; the caller
 * owns the session (smtpclient_free or smtpclient_quit).  A transaction
 * borrows the message and the result array from smtpclient_send until
 * its callback has run.
 *
 * Linked into: the delivery agents.  Runs as mail_owner.  Trust: the
 * server is hostile: replies are bounded (lines, line length, text) and
 * sanitised (smtpreply), and nothing it says is used as a format or
 * reaches a log unescaped.
 */
#ifndef POSTERN_SMTPCLIENT_H
#define POSTERN_SMTPCLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "mail/smtpreply.h"
#include "tls/tls.h"

struct event_base;
struct smtpclient;

enum smtpclient_tls {
	SMTPCLIENT_TLS_NONE,	/* never STARTTLS */
	SMTPCLIENT_TLS_MAY,	/* STARTTLS when offered; plaintext if not */
	SMTPCLIENT_TLS_ENCRYPT,	/* STARTTLS required; any certificate */
	SMTPCLIENT_TLS_VERIFY,	/* required, and the certificate must
				 * verify for peer_name (tls_ctx checks) */
};

/* Milliseconds; 0 means no limit. */
struct smtpclient_timeouts {
	uint64_t connect;	/* the TCP or unix connect */
	uint64_t helo;		/* greeting, EHLO/LHLO/HELO, STARTTLS, TLS */
	uint64_t mail;		/* MAIL; RSET too, at most 20 s */
	uint64_t rcpt;		/* each RCPT */
	uint64_t data_init;	/* DATA's 354 */
	uint64_t data_xfer;	/* no progress sending the text */
	uint64_t data_done;	/* the reply(ies) to the final dot */
	uint64_t quit;		/* QUIT's reply */
};

struct smtpclient_conf {
	bool lmtp;
	const char *helo_name;		/* copied */
	enum smtpclient_tls tls;
	SSL_CTX *tls_ctx;		/* borrowed, must outlive the session;
					 * NULL: no STARTTLS (MAY acts as
					 * NONE, ENCRYPT/VERIFY fail) */
	const char *peer_name;		/* SNI and certificate name; copied;
					 * NULL: none */
	struct smtpclient_timeouts to;
};

/* What a result or a session failure is. */
enum smtpclient_kind {
	SMTPCLIENT_REPLY,	/* the server's reply to cmd */
	SMTPCLIENT_CONNECT,	/* the connect failed (text: why) */
	SMTPCLIENT_LOST,	/* the connection ended during stage */
	SMTPCLIENT_TIMEOUT,	/* no reply or progress during stage */
	SMTPCLIENT_PROTOCOL,	/* a malformed reply during stage */
	SMTPCLIENT_TLS,		/* TLS required but not offered or refused,
				 * or the handshake failed (text: why) */
	SMTPCLIENT_LOCAL,	/* refused here, nothing sent (text: why) */
};

/*
 * One outcome.  For SMTPCLIENT_REPLY code, enh and text are the
 * server's (enh "" when it gave none); for the other kinds they are
 * ours: CONNECT 421 4.4.1, LOST and TIMEOUT 421 4.4.2, PROTOCOL 421
 * 4.5.0, TLS 421 4.7.4 (not offered or refused) or 421 4.7.5 (handshake
 * failed), LOCAL whatever the reason calls for (5.6.7, 5.3.4, 5.1.3 ...).
 */
struct smtpclient_reply {
	enum smtpclient_kind kind;
	int code;
	char enh[SMTPREPLY_ENH_SIZE];
	const char *cmd;	/* static: the command answered ("RCPT TO",
				 * "end of DATA", "greeting" for the
				 * greeting), or NULL */
	const char *stage;	/* static: what was going on ("sending RCPT
				 * TO", "receiving the initial server
				 * greeting"), or NULL */
	char text[SMTPREPLY_TEXT_MAX + 1];
};

/* A recipient of smtpclient_send; spans borrowed like the message. */
struct smtpclient_rcpt {
	struct span addr;
	struct span orcpt_type;		/* "rfc822", "utf-8"; empty: no ORCPT */
	struct span orcpt;		/* decoded */
	unsigned int notify;		/* QFILE_NOTIFY_* bits; 0: not given */
};

struct smtpclient_msg {
	struct span sender;		/* empty: the null sender */
	const struct smtpclient_rcpt *rcpt;
	size_t nrcpt;
	/* Header and body, CRLF lines, not dot-stuffed (a queue file's
	 * content); read piece by piece while the transaction runs. */
	struct span content;
	bool eightbit;			/* BODY=8BITMIME when offered */
	bool smtputf8;			/* needs SMTPUTF8: refused with 5.6.7
					 * when the server lacks it */
	unsigned int ret;		/* enum qfile_ret */
	struct span envid;		/* decoded; empty: none */
};

/* A session or transaction step finished; see smtpclient_usable. */
typedef void smtpclient_fn(struct smtpclient *c, void *arg);

/*
 * Connect to sa (AF_INET, AF_INET6 or AF_UNIX) and run the greeting,
 * EHLO/LHLO and STARTTLS.  fn(c, arg) is called once when the session is
 * ready (smtpclient_usable) or has failed (smtpclient_error).  conf's
 * strings are copied.  Returns the session (never NULL).
 */
struct smtpclient *smtpclient_new(struct event_base *base,
	    const struct sockaddr *sa, socklen_t len,
	    const struct smtpclient_conf *conf, smtpclient_fn *fn, void *arg);

/* True when a transaction may start now. */
bool	smtpclient_usable(const struct smtpclient *c);
/* Why the session is not usable (borrowed, valid while c lives); NULL
 * when it is. */
const struct smtpclient_reply *smtpclient_error(const struct smtpclient *c);
/* The server's keywords (SMTPREPLY_EXT_*) and SIZE limit (0: none). */
unsigned int smtpclient_ext(const struct smtpclient *c);
uint64_t smtpclient_size_max(const struct smtpclient *c);
/* TLS state for logs: see tls_info; -1 without TLS. */
int	smtpclient_tls_info(const struct smtpclient *c,
	    char proto_out[TLS_PROTO_MAX], char cipher_out[TLS_CIPHER_MAX],
	    int *bits_out);
bool	smtpclient_tls_verified(const struct smtpclient *c);

/*
 * Send one message.  results (m->nrcpt entries, caller-owned) gets one
 * outcome per recipient: the RCPT refusal, or the reply to the end of
 * the data (LMTP: that recipient's own), or what ended the session.
 * m and its spans stay borrowed until fn(c, arg) has run.  A server
 * without SMTPUTF8 for m->smtputf8, a message over the server's SIZE,
 * or an address with control characters are refused here (LOCAL), and
 * recipients the server deferred for "too many recipients" (452) get
 * that reply: the caller may send them again afterwards.  Returns 0, or
 * -1 when the session is not usable (nothing done, fn not called).
 */
int	smtpclient_send(struct smtpclient *c, const struct smtpclient_msg *m,
	    struct smtpclient_reply *results, smtpclient_fn *fn, void *arg);

/* RSET, to check that a session kept idle still works before reuse:
 * fn(c, arg) once; then smtpclient_usable says.  -1 as smtpclient_send. */
int	smtpclient_rset(struct smtpclient *c, smtpclient_fn *fn, void *arg);

/* End politely: QUIT (when usable), its reply awaited in the
 * background, then the session frees itself.  No callback.  NULL
 * allowed; clears the pointer. */
void	smtpclient_quit(struct smtpclient **cp);
/* Free every session still waiting for its QUIT reply (at the end of
 * the program, after the loop). */
void	smtpclient_quit_all(void);
/* End now.  NULL allowed; clears the pointer. */
void	smtpclient_free(struct smtpclient **cp);

#endif
