/*
 * sasl.c - server-side Cyrus SASL 2.1 glue: PLAIN and LOGIN with the
 * password checked by the caller's function (authd), nothing else.
 * Linked into: smtpd (postern), imapd and pop3d (vmail).
 * Trust: responses and mechanism names are peer data: bounded, copied
 * into wiped buffers, never logged; SASL's messages are escaped.
 *
 * How Cyrus is kept on a short leash (checked against libsasl2 2.1.28):
 * - SASL_CB_VERIFYFILE loads libplain.so and liblogin.so only (no sasldb
 *   or other auxprop plugin, no other mechanism) and refuses every
 *   configuration file, so SASL_CB_GETOPT alone answers the options.
 * - Passwords go to SASL_CB_SERVER_USERDB_CHECKPASS.  When it says no,
 *   _sasl_checkpass() falls back to "pwcheck_method"; we answer "", so
 *   no other verifier runs and SASL returns SASL_NOMECH: the callback's
 *   own code (SASL_UNAVAIL for TEMP) is lost.  So each exchange records
 *   the check function's verdict and the result is derived from it, and
 *   SASL_OK counts only if our function approved the same user.
 * - Our SASL_CB_PROXY_POLICY, and a check after success, refuse an
 *   authorization identity other than the authenticated one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sasl/sasl.h>

#include "auth/sasl.h"
#include "base/cfg.h"
#include "base/log.h"
#include "base/xmem.h"

/* Cast any callback to SASL's generic type (void (*)(void) matches all). */
#define CB_PROC(f) ((int (*)(void))(void (*)(void))(f))

/* Nominal external SSF under TLS: Cyrus needs > 1 to call it encrypted. */
#define AUTHSASL_TLS_SSF 128

/* The mechanisms we support, as SASL names them. */
static const char *const supported[] = { "PLAIN", "LOGIN" };
#define NSUPPORTED (sizeof(supported) / sizeof(supported[0]))

enum exch_state {
	EXCH_IDLE,		/* no exchange in progress */
	EXCH_STEP,		/* waiting for the client's next response */
	EXCH_DONE,		/* authenticated */
};

struct authsasl {
	sasl_conn_t *conn;		/* owned: sasl_dispose() */
	sasl_callback_t cbs[3];		/* per connection; context is us */
	authsasl_check_fn fn;
	void *arg;			/* borrowed: the caller's, for fn */
	unsigned char offered[NSUPPORTED]; /* supported[] indexes, in order */
	size_t noffered;
	enum exch_state state;
	bool checked;			/* fn was asked in this exchange */
	enum authsasl_check verdict;	/* and answered this */
	char *checked_user;		/* owned: the user fn approved */
	char *user;			/* owned: set on AUTHSASL_OK */
	struct buf resp;		/* owned: response copy, wiped */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool init_ok;		/* set once, under init_once */
static char init_err[sizeof(((struct why *)0)->msg)];
static atomic_bool finished;		/* authsasl_done() was called */

/* Options SASL asks for; anything else is unset. */
static const struct {
	const char *name;
	const char *value;
} sasl_options[] = {
	{ "mech_list", "PLAIN LOGIN" },	 /* never EXTERNAL or others */
	{ "pwcheck_method", "" },	 /* no verifier after ours says no */
	{ "auxprop_plugin", "" },	 /* no auxprop look-ups */
	{ "auto_transition", "no" },	 /* never store passwords */
	{ "canon_user_plugin", "INTERNAL" },
};

static int
getopt_cb(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	size_t i;

	(void)ctx;
	(void)plugin;
	for (i = 0; i < sizeof(sasl_options) / sizeof(sasl_options[0]); i++) {
		if (strcmp(option, sasl_options[i].name) != 0)
			continue;
		*result = sasl_options[i].value;
		if (len != NULL)
			*len = (unsigned)strlen(*result);
		return SASL_OK;
	}
	return SASL_FAIL;
}

/* SASL's messages at debug level, escaped; traces could hold secrets. */
static int
log_cb(void *ctx, int level, const char *msg)
{
	char esc[LOG_ESC_SIZE];

	(void)ctx;
	if (msg == NULL || level == SASL_LOG_NONE || level >= SASL_LOG_TRACE)
		return SASL_OK;
	log_debug("sasl: %s", log_esc(span_str(msg), esc));
	return SASL_OK;
}

static int
verifyfile_cb(void *ctx, const char *file, sasl_verify_type_t type)
{
	const char *base = strrchr(file, '/');

	(void)ctx;
	base = base != NULL ? base + 1 : file;
	switch (type) {
	case SASL_VRFY_PLUGIN:
		if (strcmp(base, "libplain.so") == 0 ||
		    strcmp(base, "liblogin.so") == 0)
			return SASL_OK;
		return SASL_CONTINUE;
	case SASL_VRFY_CONF:
		/* SASL_CONTINUE: skip the file (an error fails init). */
		return SASL_CONTINUE;
	default:
		return SASL_FAIL;
	}
}

static const sasl_callback_t global_cbs[] = {
	{ SASL_CB_LOG, CB_PROC(log_cb), NULL },
	{ SASL_CB_GETOPT, CB_PROC(getopt_cb), NULL },
	{ SASL_CB_VERIFYFILE, CB_PROC(verifyfile_cb), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static void *
mutex_alloc(void)
{
	pthread_mutex_t *m = xmalloc(sizeof(*m));

	if (pthread_mutex_init(m, NULL) != 0)
		log_panic("authsasl: pthread_mutex_init failed");
	return m;
}

static int
mutex_lock(void *m)
{
	return pthread_mutex_lock(m) == 0 ? SASL_OK : SASL_FAIL;
}

static int
mutex_unlock(void *m)
{
	return pthread_mutex_unlock(m) == 0 ? SASL_OK : SASL_FAIL;
}

static void
mutex_free(void *m)
{
	pthread_mutex_destroy(m);
	xfree(&m);
}

/* True when every supported mechanism was loaded. */
static bool
plugins_loaded(void)
{
	const char **mechs = sasl_global_listmech();
	size_t i;
	size_t j;

	for (i = 0; i < NSUPPORTED; i++) {
		for (j = 0; mechs != NULL && mechs[j] != NULL; j++)
			if (strcasecmp(mechs[j], supported[i]) == 0)
				break;
		if (mechs == NULL || mechs[j] == NULL)
			return false;
	}
	return true;
}

static void
init_run(void)
{
	int r;

	/* Before sasl_server_init: SASL allocates its mutexes there. */
	sasl_set_mutex(mutex_alloc, mutex_lock, mutex_unlock, mutex_free);
	r = sasl_server_init(global_cbs, "postern");
	if (r != SASL_OK) {
		snprintf(init_err, sizeof(init_err), "sasl_server_init: %s",
		    sasl_errstring(r, NULL, NULL));
		return;
	}
	if (!plugins_loaded()) {
		sasl_server_done();
		snprintf(init_err, sizeof(init_err),
		    "SASL PLAIN or LOGIN plugin not found "
		    "(libsasl2-modules; load before chroot)");
		return;
	}
	atomic_store(&init_ok, true);
}

int
authsasl_init(struct why *why)
{
	if (atomic_load(&finished))
		return why_set(why, "SASL was already shut down");
	if (pthread_once(&init_once, init_run) != 0)
		return why_set(why, "pthread_once failed");
	if (!atomic_load(&init_ok))
		return why_set(why, "%s", init_err);
	return 0;
}

void
authsasl_done(void)
{
	if (atomic_exchange(&finished, true))
		return;
	if (atomic_load(&init_ok))
		sasl_server_done();
}

/* Index in supported[] of the mechanism named by tok, or -1. */
static int
mech_index(struct span tok)
{
	size_t i;

	for (i = 0; i < NSUPPORTED; i++)
		if (span_eq_nocase(tok, supported[i]))
			return (int)i;
	return -1;
}

int
authsasl_mechs_check(const char *mechs, struct why *why)
{
	struct span s = span_str(mechs);
	struct span tok;
	char esc[LOG_ESC_SIZE];

	/* The parameter's list syntax: "PLAIN, LOGIN" is two names. */
	while (cfg_list_next(&s, &tok))
		if (mech_index(tok) == -1)
			return why_set(why, "unsupported SASL mechanism: %s",
			    log_esc(tok, esc));
	return 0;
}

/* True when list (space-separated, from SASL) holds name. */
static bool
list_has(const char *list, const char *name)
{
	struct span s = span_str(list);
	struct span tok;

	while (span_token(&s, " ", &tok))
		if (span_eq_nocase(tok, name))
			return true;
	return false;
}

/* Offer what is configured, in that order, and permitted by SASL. */
static int
set_offered(struct authsasl *a, const char *mechs, struct why *why)
{
	const char *list = "";
	struct span s = span_str(mechs);
	struct span tok;
	size_t i;
	int r;
	int idx;

	r = sasl_listmech(a->conn, NULL, "", " ", "", &list, NULL, NULL);
	if (r == SASL_NOMECH)
		list = "";
	else if (r != SASL_OK)
		return why_set(why, "sasl_listmech: %s",
		    sasl_errstring(r, NULL, NULL));
	while (cfg_list_next(&s, &tok)) {
		idx = mech_index(tok);
		if (idx == -1 || !list_has(list, supported[idx]))
			continue;
		for (i = 0; i < a->noffered; i++)
			if (a->offered[i] == idx)
				break;
		if (i == a->noffered)
			a->offered[a->noffered++] = (unsigned char)idx;
	}
	return 0;
}

/* No security layer; plaintext mechanisms only under TLS unless allowed. */
static int
set_props(struct authsasl *a, bool tls, bool allow_plaintext,
    struct why *why)
{
	sasl_security_properties_t sp;
	sasl_ssf_t ssf = AUTHSASL_TLS_SSF;
	int r;

	memset(&sp, 0, sizeof(sp));
	sp.min_ssf = 0;
	sp.max_ssf = 0;
	sp.maxbufsize = 0;
	sp.security_flags = SASL_SEC_NOANONYMOUS;
	if (!tls && !allow_plaintext)
		sp.security_flags |= SASL_SEC_NOPLAINTEXT;
	r = sasl_setprop(a->conn, SASL_SEC_PROPS, &sp);
	if (r == SASL_OK && tls)
		r = sasl_setprop(a->conn, SASL_SSF_EXTERNAL, &ssf);
	if (r != SASL_OK)
		return why_set(why, "sasl_setprop: %s",
		    sasl_errstring(r, NULL, NULL));
	return 0;
}

/* A user name we pass on: 1..AUTHSASL_MAX_USER bytes, no control bytes. */
static bool
user_acceptable(const char *user)
{
	size_t i;

	for (i = 0; user[i] != '\0'; i++)
		if ((unsigned char)user[i] < 0x20 || user[i] == 0x7f ||
		    i >= AUTHSASL_MAX_USER)
			return false;
	return i > 0;
}

static int
checkpass_cb(sasl_conn_t *conn, void *ctx, const char *user,
    const char *pass, unsigned passlen, struct propctx *propctx)
{
	struct authsasl *a = ctx;
	enum authsasl_check v;

	(void)conn;
	(void)propctx;
	a->checked = true;
	a->verdict = AUTHSASL_CHECK_FAIL;
	xfree(&a->checked_user);
	if (user == NULL || pass == NULL || !user_acceptable(user) ||
	    passlen == 0 || memchr(pass, '\0', passlen) != NULL)
		return SASL_BADAUTH;
	v = a->fn(a->arg, user, pass, passlen);
	if (v == AUTHSASL_CHECK_OK) {
		a->verdict = v;
		a->checked_user = xstrdup(user);
		return SASL_OK;
	}
	if (v == AUTHSASL_CHECK_TEMP) {
		a->verdict = v;
		return SASL_UNAVAIL;
	}
	return SASL_BADAUTH;
}

/* No proxy authorisation: the authzid is empty or the authcid itself. */
static int
proxy_cb(sasl_conn_t *conn, void *ctx, const char *authz, unsigned authzlen,
    const char *authc, unsigned authclen, const char *realm,
    unsigned realmlen, struct propctx *propctx)
{
	(void)ctx;
	(void)realm;
	(void)realmlen;
	(void)propctx;
	if (authz == NULL || authzlen == 0)
		return SASL_OK;
	if (authc != NULL && authzlen == authclen &&
	    memcmp(authz, authc, authzlen) == 0)
		return SASL_OK;
	sasl_seterror(conn, SASL_NOLOG, "authorization identity refused");
	return SASL_BADAUTH;
}

struct authsasl *
authsasl_new(const char *service, const char *server_fqdn, const char *mechs,
    bool tls, bool allow_plaintext, authsasl_check_fn fn, void *arg,
    struct why *why)
{
	struct authsasl *a;
	int r;

	ASSERT(service != NULL && server_fqdn != NULL && mechs != NULL &&
	    fn != NULL);
	if (authsasl_init(why) == -1 || authsasl_mechs_check(mechs, why) == -1)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->fn = fn;
	a->arg = arg;
	buf_init(&a->resp, AUTHSASL_MAX_RESPONSE);
	a->cbs[0] = (sasl_callback_t){ SASL_CB_SERVER_USERDB_CHECKPASS,
		CB_PROC(checkpass_cb), a };
	a->cbs[1] = (sasl_callback_t){ SASL_CB_PROXY_POLICY, CB_PROC(proxy_cb),
		a };
	a->cbs[2] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	r = sasl_server_new(service, server_fqdn, NULL, NULL, NULL, a->cbs, 0,
	    &a->conn);
	if (r != SASL_OK) {
		a->conn = NULL;
		why_set(why, "sasl_server_new: %s",
		    sasl_errstring(r, NULL, NULL));
		authsasl_free(&a);
		return NULL;
	}
	if (set_props(a, tls, allow_plaintext, why) == -1 ||
	    set_offered(a, mechs, why) == -1) {
		authsasl_free(&a);
		return NULL;
	}
	return a;
}

int
authsasl_mechs(const struct authsasl *a, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < a->noffered; i++)
		if ((i > 0 && buf_addc(out, ' ') == -1) ||
		    buf_adds(out, supported[a->offered[i]]) == -1) {
			buf_reset(out);
			return -1;
		}
	return 0;
}

/* SASL's name for mech if we offer it, else NULL. */
static const char *
offered_name(const struct authsasl *a, const char *mech)
{
	size_t i;

	if (mech == NULL)
		return NULL;
	for (i = 0; i < a->noffered; i++)
		if (strcasecmp(mech, supported[a->offered[i]]) == 0)
			return supported[a->offered[i]];
	return NULL;
}

/* Copy a response into a->resp (NUL-terminated for SASL). */
static int
take_response(struct authsasl *a, struct span r, struct why *why)
{
	buf_wipe(&a->resp);
	if (r.len > AUTHSASL_MAX_RESPONSE)
		return why_set(why, "response longer than %d bytes",
		    AUTHSASL_MAX_RESPONSE);
	if (buf_set(&a->resp, r.len > 0 ? r.p : (const void *)"", r.len) == -1)
		return why_set(why, "response does not fit");
	return 0;
}

static const char *
response_ptr(const struct authsasl *a)
{
	return a->resp.p != NULL ? (const char *)a->resp.p : "";
}

/* SASL's detail for the last error, escaped, into why.  Returns -1. */
static int
why_sasl(struct authsasl *a, struct why *why, const char *what)
{
	char esc[LOG_ESC_SIZE];

	return why_set(why, "%s: %s", what,
	    log_esc(span_str(sasl_errdetail(a->conn)), esc));
}

/* SASL said OK: believe it only for the user our function approved. */
static enum authsasl_res
accept_user(struct authsasl *a, struct why *why)
{
	const char *authz = NULL;
	const char *authc = NULL;

	if (!a->checked || a->verdict != AUTHSASL_CHECK_OK ||
	    a->checked_user == NULL) {
		why_set(why, "SASL succeeded without our password check");
		return AUTHSASL_FAIL;
	}
	if (sasl_getprop(a->conn, SASL_AUTHUSER, (const void **)&authc) !=
		SASL_OK ||
	    sasl_getprop(a->conn, SASL_USERNAME, (const void **)&authz) !=
		SASL_OK ||
	    authc == NULL || strcmp(authc, a->checked_user) != 0) {
		why_set(why, "authenticated identity is not the checked one");
		return AUTHSASL_FAIL;
	}
	if (authz != NULL && authz[0] != '\0' && strcmp(authz, authc) != 0) {
		why_set(why, "authorization identity refused");
		return AUTHSASL_FAIL;
	}
	a->user = a->checked_user;
	a->checked_user = NULL;
	a->state = EXCH_DONE;
	return AUTHSASL_OK;
}

/* SASL said no: the verdict of our function, if asked, decides. */
static enum authsasl_res
refuse(struct authsasl *a, int r, struct why *why)
{
	if (a->checked && a->verdict == AUTHSASL_CHECK_TEMP) {
		why_set(why, "password check temporarily unavailable");
		return AUTHSASL_TEMP;
	}
	if (a->checked) {
		why_sasl(a, why, "authentication failed");
		return AUTHSASL_FAIL;
	}
	switch (r) {
	case SASL_BADPROT:
		why_sasl(a, why, "malformed response");
		return AUTHSASL_BADPROT;
	case SASL_NOMEM:
	case SASL_TRYAGAIN:
	case SASL_UNAVAIL:
		why_sasl(a, why, "SASL temporary failure");
		return AUTHSASL_TEMP;
	default:
		why_sasl(a, why, "authentication failed");
		return AUTHSASL_FAIL;
	}
}

static enum authsasl_res
finish(struct authsasl *a, int r, const char *out, unsigned outlen,
    struct buf *challenge_out, struct why *why)
{
	buf_wipe(&a->resp);
	if (r == SASL_CONTINUE) {
		if (outlen > 0 && buf_add(challenge_out, out, outlen) == -1) {
			a->state = EXCH_IDLE;
			why_set(why, "challenge does not fit");
			return AUTHSASL_FAIL;
		}
		a->state = EXCH_STEP;
		return AUTHSASL_CONTINUE;
	}
	a->state = EXCH_IDLE;
	if (r == SASL_OK)
		return accept_user(a, why);
	xfree(&a->checked_user);
	return refuse(a, r, why);
}

enum authsasl_res
authsasl_start(struct authsasl *a, const char *mech,
    const struct span *initial, struct buf *challenge_out, struct why *why)
{
	const char *name;
	const char *out = NULL;
	unsigned outlen = 0;
	int r;

	buf_reset(challenge_out);
	if (a->state == EXCH_DONE) {
		why_set(why, "already authenticated");
		return AUTHSASL_BADPROT;
	}
	a->state = EXCH_IDLE;
	a->checked = false;
	a->verdict = AUTHSASL_CHECK_FAIL;
	xfree(&a->checked_user);
	name = offered_name(a, mech);
	if (name == NULL) {
		why_set(why, "mechanism not offered");
		return AUTHSASL_BADPROT;
	}
	if (initial != NULL && take_response(a, *initial, why) == -1)
		return AUTHSASL_BADPROT;
	r = sasl_server_start(a->conn, name,
	    initial != NULL ? response_ptr(a) : NULL,
	    initial != NULL ? (unsigned)initial->len : 0, &out, &outlen);
	return finish(a, r, out, outlen, challenge_out, why);
}

enum authsasl_res
authsasl_step(struct authsasl *a, struct span response,
    struct buf *challenge_out, struct why *why)
{
	const char *out = NULL;
	unsigned outlen = 0;
	int r;

	buf_reset(challenge_out);
	if (a->state != EXCH_STEP) {
		why_set(why, "no authentication exchange in progress");
		return AUTHSASL_BADPROT;
	}
	if (take_response(a, response, why) == -1) {
		a->state = EXCH_IDLE;
		return AUTHSASL_BADPROT;
	}
	r = sasl_server_step(a->conn, response_ptr(a), (unsigned)response.len,
	    &out, &outlen);
	return finish(a, r, out, outlen, challenge_out, why);
}

const char *
authsasl_user(const struct authsasl *a)
{
	return a->state == EXCH_DONE ? a->user : NULL;
}

void
authsasl_free(struct authsasl **ap)
{
	struct authsasl *a = *ap;

	if (a == NULL)
		return;
	if (a->conn != NULL)
		sasl_dispose(&a->conn);
	buf_wipe(&a->resp);
	xfree(&a->checked_user);
	xfree(&a->user);
	xfree(ap);
}
