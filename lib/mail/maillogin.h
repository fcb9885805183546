/*
 * maillogin.h - the login of a mail-access daemon (imapd, pop3d): a
 * password (IMAP LOGIN, POP3 USER/PASS) or one SASL step (AUTHENTICATE,
 * AUTH) checked by authd, the user's record looked up (LOOKUP: enabled,
 * quota, mail host), then the store opened for authd's canonical name.
 * One login job does that on a worker thread; the daemon words the
 * outcome in its protocol on the event loop.  Also the small pure pieces
 * both daemons need around it: the mechanism list, the challenge line,
 * the failure delay.
 *
 * Lifetime: a struct maillogin_conf lives for the process (the daemon's);
 * a struct maillogin_sasl is one exchange, owned by the session; a
 * struct maillogin is one step, owned by whoever holds the job (the pool
 * while it runs, then the done callback, which frees it).
 *
 * Linked into: imapd, pop3d.  Runs as store_owner.  Trust: the user name,
 * password and SASL responses are the client's and are secrets (wiped,
 * never logged); the store is opened for authd's canonical name, never
 * for the client's text.  Nothing here logs.
 */
#ifndef POSTERN_MAILLOGIN_H
#define POSTERN_MAILLOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/authproto.h"
#include "auth/authsasl_authd.h"
#include "auth/sasl.h"
#include "base/buf.h"
#include "base/event.h"
#include "base/why.h"
#include "store/store.h"

/* The longest response line: the base64 of the largest SASL response. */
#define MAILLOGIN_MAX_LINE ((AUTHSASL_MAX_RESPONSE + 2) / 3 * 4)

enum maillogin_res {
	MAILLOGIN_OK,		/* logged in: canon and store are set */
	MAILLOGIN_FAIL,		/* bad credentials, unknown or disabled */
	MAILLOGIN_TEMP,		/* authd or the store failed: why */
	MAILLOGIN_ELSEWHERE,	/* the mailbox is on another host */
	MAILLOGIN_CONTINUE,	/* SASL: send the challenge (out) */
	MAILLOGIN_BADPROT,	/* SASL: malformed response */
};

/* What every login of one daemon shares; all borrowed, for the process. */
struct maillogin_conf {
	const char *service;		/* authd's: "imap", "pop3" */
	const char *sasl_service;	/* Cyrus SASL's: "imap", "pop" */
	const char *myhostname;		/* LOOKUP's mail host is this one */
	const char *mechanisms;		/* auth_mechanisms */
	bool allow_plaintext;		/* auth_allow_plaintext */
	const char *authd_path;		/* authd's socket */
	uint64_t timeout_ms;		/* authd_timeout */
	const struct store_conf *store;
};

struct params;

/* c for a daemon: authd's and SASL's service names, the rest from p;
 * authd_path and store are borrowed (filled in later is fine). */
void	maillogin_conf_init(struct maillogin_conf *c, const struct params *p,
	    const char *service, const char *sasl_service,
	    const char *authd_path, const struct store_conf *store);

/* One SASL exchange (AUTHENTICATE, AUTH); owned by the session. */
struct maillogin_sasl {
	struct authsasl *sasl;
	struct authsasl_authd check;	/* the password check's state */
	char mech[32];
	char client_addr[64];		/* check.client_addr points here */
};

/* One login step; see the lifetime above. */
struct maillogin {
	const struct maillogin_conf *conf;
	void *arg;			/* borrowed: the caller's session */
	char *user;			/* password login: the client's name */
	struct buf pass;		/* password login: secret */
	struct maillogin_sasl *sasl;	/* SASL: borrowed, the session's */
	bool first;			/* authsasl_start, else _step */
	bool has_in;			/* first: an initial response came */
	struct buf in;			/* decoded response; secret */
	struct buf out;			/* the next challenge */
	char client_addr[64];
	/* Outs, read on the loop after maillogin_work. */
	enum maillogin_res res;
	uint64_t delay_ms;		/* FAIL: authd's failure delay */
	struct buf canon;		/* authd's name for the user */
	struct store *store;		/* OK: the user's, with its quota */
	struct why why;			/* TEMP */
};

/*
 * A new exchange for mechanism mech (copied), or NULL with why when
 * Cyrus SASL refuses one.  Free with maillogin_sasl_free (secrets wiped;
 * NULL allowed, pointer cleared).
 */
struct maillogin_sasl *maillogin_sasl_new(const struct maillogin_conf *c,
	    struct span mech, bool tls, const char *client_addr,
	    struct why *why);
void	maillogin_sasl_free(struct maillogin_sasl **ap);

/* A new step for the client at client_addr; arg is kept for the caller.
 * Free with maillogin_free (secrets wiped, the store closed). */
struct maillogin *maillogin_new(const struct maillogin_conf *c,
	    const char *client_addr, void *arg);
void	maillogin_free(struct maillogin **jp);
/* Make j a password login (user and pass are copied). */
void	maillogin_set_password(struct maillogin *j, struct span user,
	    struct span pass);
/* Make j the next step of exchange a (first: the exchange starts). */
void	maillogin_set_sasl(struct maillogin *j, struct maillogin_sasl *a,
	    bool first);
/*
 * The client's response, in base64, into j->in ("=" is the empty
 * response, allowed only in an initial response: RFC 4959, RFC 5034 4).
 * Returns 0, or -1 when it is longer than MAILLOGIN_MAX_LINE or not
 * base64 (the caller's reply tells which).
 */
int	maillogin_response(struct maillogin *j, struct span b64,
	    bool initial);
/* A worker_fn, on a worker thread: the step itself (arg is j); sets
 * j->res and the other outs.  Blocks on authd and the store. */
void	maillogin_work(void *arg);
/* "+ " and the base64 of the challenge j->out, then CRLF, onto out. */
void	maillogin_challenge(const struct maillogin *j, struct buf *out);

/*
 * The part of authd's LOOKUP answer (key enabled quota_bytes
 * quota_messages mailhost name) a login needs: OK with the quota in
 * *qb_out, *qm_out; FAIL when disabled; ELSEWHERE when the mail host is
 * named and is not myhostname (any case); TEMP with why when garbled.
 * Pure.
 */
enum maillogin_res maillogin_lookup_answer(const struct authproto_msg *ans,
	    const char *myhostname, uint64_t *qb_out, uint64_t *qm_out,
	    struct why *why);
/* Whether mech is in the list mechs (any case; commas and blanks
 * separate).  Pure. */
bool	maillogin_mech_offered(const char *mechs, struct span mech);
/* Each mechanism of mechs in capitals, after sep, onto out.  Pure. */
void	maillogin_mech_list(const char *mechs, const char *sep,
	    struct buf *out);
/*
 * How long to hold back a failed login's answer: the daemon's own delay
 * (base_ms, doubled for each of the failures before this one in the
 * session, at most max_ms) or authd's (authd_ms), the larger.  authd's
 * counts per user and address across sessions; the daemon's stays as a
 * floor for failures authd does not count (a refused authorization
 * identity, a user gone between VERIFY and LOOKUP) and for when authd's
 * delay is off.  Pure.
 */
uint64_t maillogin_fail_delay(uint64_t base_ms, uint64_t max_ms,
	    unsigned failures, uint64_t authd_ms);
/*
 * Call fn(arg) after ms on base's loop, on the timer *tp (made on first
 * use; the caller frees it with event_timer_free), or at once when ms is
 * 0.  Returns 0, or -1 when the timer cannot start (fn not called).
 */
int	maillogin_hold(struct event_timer **tp, struct event_base *base,
	    uint64_t ms, event_timer_fn *fn, void *arg);

#endif
