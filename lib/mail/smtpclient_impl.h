/*
 * smtpclient_impl.h - private interface between the session half
 * (smtpclient.c: connect, greeting, EHLO, TLS, failures, callbacks) and
 * the transaction half (smtpclient_tx.c) of the SMTP/LMTP client.  Not
 * for use outside lib/mail/smtpclient*.c.
 * Linked into: the delivery agents.  Trust: as smtpclient.h.
 */
#ifndef POSTERN_SMTPCLIENT_IMPL_H
#define POSTERN_SMTPCLIENT_IMPL_H

#include "base/dial.h"
#include "base/event.h"
#include "base/lineio.h"
#include "mail/smtpclient.h"
#include "mail/smtpstuff.h"

/* Longest reply line read (RFC 5321 4.5.3.1.5 says 512; some send more). */
#define SMTPCLIENT_MAX_LINE 4096
/* The longest wait for RSET's reply (Postfix's smtp_rset_timeout): a
 * kept session that went silent must not hold a delivery long. */
#define SMTPCLIENT_RSET_MS 20000
/* Longest command line written (with ORCPT and ENVID as xtext). */
#define SMTPCLIENT_MAX_CMD 4096

enum sc_state {
	SC_DIAL,
	SC_GREET,
	SC_EHLO,
	SC_HELO,
	SC_STARTTLS,
	SC_TLS,
	SC_READY,
	SC_RSET,	/* smtpclient_rset */
	SC_MAIL,
	SC_RCPT,
	SC_DATA,
	SC_BODY,
	SC_DOT,
	SC_DOT_EMPTY,	/* 354 without recipients: a lone dot was sent */
	SC_TX_RSET,	/* RSET closing a transaction that sent no text */
	SC_QUIT,
	SC_DEAD,
};

struct smtpclient {
	struct event_base *base;	/* borrowed: the caller's loop */
	bool lmtp;
	char *helo_name;
	enum smtpclient_tls tls_level;
	SSL_CTX *tls_ctx;		/* borrowed: the caller's */
	char *peer_name;		/* or NULL */
	struct smtpclient_timeouts to;
	struct dial *dial;		/* while connecting */
	struct lineio *io;		/* once connected, until the end */
	struct event_timer *soon;	/* runs callbacks and the self-free */
	enum sc_state state;
	struct smtpreply reply;		/* the reply being read */
	unsigned int ext;
	uint64_t size_max;
	bool tls_on;
	bool failed;			/* error says why */
	bool quitting;			/* smtpclient_quit: free at the end */
	struct smtpclient *qnext;	/* the list of quitting sessions */
	struct smtpclient **qprevp;
	struct smtpclient_reply error;
	smtpclient_fn *fn;		/* the callback due, or NULL */
	void *arg;			/* borrowed: fn's */
	struct buf out;			/* scratch for commands and text */

	/* The transaction (smtpclient_tx.c); m and res borrowed. */
	const struct smtpclient_msg *m;
	struct smtpclient_reply *res;
	size_t *sendidx;		/* recipients to send, in order */
	size_t nsend;
	size_t rcpt_sent;
	size_t rcpt_replied;
	size_t *accepted;		/* recipients the server took */
	size_t naccepted;
	size_t dot_replied;		/* LMTP: replies after the dot */
	bool pipelining;
	bool mail_ok;
	bool tx_open;			/* MAIL taken, no final dot yet */
	uint64_t body_off;
	struct smtpstuff stuff;
};

/* smtpclient.c */
/* Queue a line (with CRLF added); false when the connection is ending. */
bool	smtpclient_cmd(struct smtpclient *c, const char *line, size_t len);
/* Wait for a reply in state st, with timeout ms. */
void	smtpclient_wait(struct smtpclient *c, enum sc_state st, uint64_t ms);
/* The timeout of an RSET: the MAIL one, at most SMTPCLIENT_RSET_MS. */
uint64_t smtpclient_rset_ms(const struct smtpclient *c);
/* Fill r with the reply just read, answering the command of state st. */
void	smtpclient_take_reply(const struct smtpclient *c, enum sc_state st,
	    struct smtpclient_reply *r);
/* Set r to one of our own outcomes. */
void	smtpclient_set_reply(struct smtpclient_reply *r,
	    enum smtpclient_kind kind, int code, const char *enh,
	    enum sc_state st, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* The session is over: e says why (copied); pending recipients get it,
 * and the due callback runs. */
void	smtpclient_fail(struct smtpclient *c, const struct smtpclient_reply *e);
/* Run the due callback from the loop. */
void	smtpclient_notify(struct smtpclient *c);
/* The session is idle and usable: state READY, no timeout. */
void	smtpclient_idle(struct smtpclient *c);

/* smtpclient_tx.c */
/* A complete reply in a transaction state. */
void	smtpclient_tx_reply(struct smtpclient *c);
/* Queued text fell to the low mark: send more of the body. */
void	smtpclient_tx_pump(void *arg);
/* Forget the transaction's borrowed pointers and scratch. */
void	smtpclient_tx_clear(struct smtpclient *c);
/* Give every unanswered recipient e. */
void	smtpclient_tx_fail(struct smtpclient *c,
	    const struct smtpclient_reply *e);

#endif
