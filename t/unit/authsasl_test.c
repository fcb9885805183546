/*
 * authsasl_test.c - unit tests for lib/auth/sasl: real PLAIN and LOGIN
 * exchanges through libsasl2 in process, hand-built and driven by Cyrus's
 * own client API; the offered list under TLS, plaintext and configured
 * restrictions; temporary failures; authorization identities; malformed,
 * over-long and out-of-sequence input; the exact bytes the check function
 * sees; two connections on two threads at once; no configuration file
 * read and no password logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>

#include <sasl/sasl.h>

#include "auth/sasl.h"
#include "base/log.h"
#include "base/xmem.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define WITH_LEN(s) s, sizeof(s) - 1
#define CB_PROC(f) ((int (*)(void))(void (*)(void))(f))

#define USER "alice@example.org"
#define PASS "p\xc3\xa4ss w0rd!"	/* UTF-8 and a blank */
#define FQDN "mx.example.org"
#define NCONC 200			/* exchanges per thread */

/* The check function's view: what it accepts and what it was given. */
struct checker {
	const char *user;		/* the one good user and password */
	const char *pass;
	bool temp;			/* answer TEMP */
	bool meet;			/* first call waits for the other thread */
	bool met;
	int calls;
	bool bad_args;			/* got other bytes than sent */
	const char *sent_user;		/* what the client sent, if checked */
	const char *sent_pass;
	size_t sent_len;
};

/* Two threads meet inside the check function, or give up after 10 s. */
static pthread_mutex_t rv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rv_cond = PTHREAD_COND_INITIALIZER;
static int rv_arrived;

static bool
rendezvous(void)
{
	struct timespec ts;
	bool met;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&rv_lock);
	rv_arrived++;
	pthread_cond_broadcast(&rv_cond);
	while (rv_arrived < 2)
		if (pthread_cond_timedwait(&rv_cond, &rv_lock, &ts) ==
		    ETIMEDOUT)
			break;
	met = rv_arrived >= 2;
	pthread_mutex_unlock(&rv_lock);
	return met;
}

static enum authsasl_check
check_fn(void *arg, const char *user, const char *pass, size_t len)
{
	struct checker *c = arg;

	c->calls++;
	if (c->sent_user != NULL && strcmp(user, c->sent_user) != 0)
		c->bad_args = true;
	if (c->sent_pass != NULL &&
	    (len != c->sent_len || memcmp(pass, c->sent_pass, len) != 0 ||
		pass[len] != '\0'))
		c->bad_args = true;
	if (c->meet) {
		c->meet = false;
		c->met = rendezvous();
	}
	if (c->temp)
		return AUTHSASL_CHECK_TEMP;
	if (strcmp(user, c->user) == 0 && len == strlen(c->pass) &&
	    memcmp(pass, c->pass, len) == 0)
		return AUTHSASL_CHECK_OK;
	return AUTHSASL_CHECK_FAIL;
}

static void
checker_init(struct checker *c)
{
	memset(c, 0, sizeof(*c));
	c->user = USER;
	c->pass = PASS;
}

static struct authsasl *
mk(const char *mechs, bool tls, bool plain_ok, struct checker *c)
{
	struct why why = { "" };
	struct authsasl *a;

	a = authsasl_new("smtp", FQDN, mechs, tls, plain_ok, check_fn, c, &why);
	if (a == NULL)
		diag("authsasl_new: %s", why.msg);
	return a;
}

/* authzid NUL authcid NUL password, into b. */
static struct span
plain_msg(struct buf *b, const char *authz, const char *user, const char *pw)
{
	buf_reset(b);
	buf_adds(b, authz);
	buf_addc(b, '\0');
	buf_adds(b, user);
	buf_addc(b, '\0');
	buf_adds(b, pw);
	return buf_span(b);
}

/* One PLAIN exchange with an initial response on a fresh TLS object. */
static enum authsasl_res
plain_run(struct checker *c, struct span msg, char *user_out, size_t size)
{
	struct authsasl *a = mk("PLAIN LOGIN", true, false, c);
	struct buf ch;
	struct why why = { "" };
	enum authsasl_res r;

	snprintf(user_out, size, "(no object)");
	if (a == NULL)
		return -1;
	buf_init(&ch, 1024);
	r = authsasl_start(a, "PLAIN", &msg, &ch, &why);
	snprintf(user_out, size, "%s",
	    authsasl_user(a) != NULL ? authsasl_user(a) : "(null)");
	if (r != AUTHSASL_OK)
		diag("PLAIN: %s", why.msg);
	buf_fini(&ch);
	authsasl_free(&a);
	return r;
}

static void
test_init(void)
{
	struct why why = { "" };

	ok(authsasl_init(&why) == 0, "authsasl_init: %s", why.msg);
	ok(authsasl_init(&why) == 0, "authsasl_init again (idempotent)");
}

/* Only the PLAIN and LOGIN plugins (and SASL's built-in EXTERNAL). */
static void
test_plugins(void)
{
	const char **m = sasl_global_listmech();
	bool plain = false;
	bool login = false;
	bool other = false;
	size_t i;

	for (i = 0; m != NULL && m[i] != NULL; i++) {
		if (strcmp(m[i], "PLAIN") == 0)
			plain = true;
		else if (strcmp(m[i], "LOGIN") == 0)
			login = true;
		else if (strcmp(m[i], "EXTERNAL") != 0) {
			diag("unexpected mechanism loaded: %s", m[i]);
			other = true;
		}
	}
	ok(plain && login, "PLAIN and LOGIN plugins loaded");
	ok(!other, "no other mechanism plugin loaded");
}

static void
test_mechs_check(void)
{
	static const struct {
		const char *list;
		int want;
	} cases[] = {
		{ "PLAIN LOGIN", 0 }, { "", 0 }, { "plain\tlogin", 0 },
		{ " LOGIN ", 0 }, { "PLAIN CRAM-MD5", -1 }, { "EXTERNAL", -1 },
		{ "PLAINLOGIN", -1 }, { "ANONYMOUS", -1 },
		/* The parameter is a list: commas separate too. */
		{ "PLAIN, LOGIN", 0 }, { "PLAIN,LOGIN", 0 },
		{ ",PLAIN,,LOGIN,", 0 }, { " , ", 0 },
		{ "PLAIN, CRAM-MD5", -1 }, { "PLAIN;LOGIN", -1 },
	};
	struct why why = { "" };
	struct checker c;
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		is_int(authsasl_mechs_check(cases[i].list, &why),
		    cases[i].want, "mechs_check '%s'", cases[i].list);
	authsasl_mechs_check("PLAIN CRAM-MD5", &why);
	ok(strstr(why.msg, "CRAM-MD5") != NULL, "why names it: %s", why.msg);
	checker_init(&c);
	ok(authsasl_new("smtp", FQDN, "PLAIN GSSAPI", true, false, check_fn,
	       &c, &why) == NULL,
	    "authsasl_new refuses an unsupported mechanism");
}

/* The offered list for one configuration, or "(none)" on failure. */
static void
offered(const char *mechs, bool tls, bool plain_ok, char *out, size_t size)
{
	struct checker c;
	struct authsasl *a;
	struct buf b;

	checker_init(&c);
	a = mk(mechs, tls, plain_ok, &c);
	buf_init(&b, 64);
	if (a == NULL || authsasl_mechs(a, &b) == -1)
		snprintf(out, size, "(none)");
	else
		snprintf(out, size, "%s", buf_str(&b));
	buf_fini(&b);
	authsasl_free(&a);
}

static void
test_offered(void)
{
	static const struct {
		const char *mechs;
		bool tls;
		bool plain_ok;
		const char *want;
	} cases[] = {
		{ "PLAIN LOGIN", false, false, "" },
		{ "PLAIN LOGIN", true, false, "PLAIN LOGIN" },
		{ "PLAIN LOGIN", false, true, "PLAIN LOGIN" },
		{ "PLAIN LOGIN", true, true, "PLAIN LOGIN" },
		{ "LOGIN PLAIN", true, false, "LOGIN PLAIN" },
		{ "LOGIN", true, false, "LOGIN" },
		{ "plain", true, false, "PLAIN" },
		{ "PLAIN plain", true, false, "PLAIN" },
		{ "", true, false, "" },
		{ "PLAIN, LOGIN", true, false, "PLAIN LOGIN" },
		{ "LOGIN,PLAIN", true, false, "LOGIN PLAIN" },
		{ " , LOGIN", true, false, "LOGIN" },
		{ "PLAIN, LOGIN", false, false, "" },
	};
	char got[64];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		offered(cases[i].mechs, cases[i].tls, cases[i].plain_ok, got,
		    sizeof(got));
		is_str(got, cases[i].want, "offered '%s' tls=%d plaintext=%d",
		    cases[i].mechs, cases[i].tls, cases[i].plain_ok);
	}
}

/* Without TLS neither plaintext mechanism can even be started. */
static void
test_not_offered(void)
{
	static const char *const names[] = { "PLAIN", "LOGIN", "plain" };
	struct checker c;
	struct authsasl *a;
	struct buf b;
	struct buf ch;
	struct why why;
	size_t i;

	checker_init(&c);
	buf_init(&b, 1024);
	buf_init(&ch, 1024);
	a = mk("PLAIN LOGIN", false, false, &c);
	for (i = 0; i < NELEM(names); i++) {
		struct span m = plain_msg(&b, "", USER, PASS);

		is_int(authsasl_start(a, names[i], &m, &ch, &why),
		    AUTHSASL_BADPROT, "no TLS: %s refused", names[i]);
	}
	is_int(c.calls, 0, "no TLS: the check function was never asked");
	authsasl_free(&a);
	a = mk("LOGIN", true, false, &c);
	{
		struct span m = plain_msg(&b, "", USER, PASS);

		is_int(authsasl_start(a, "PLAIN", &m, &ch, &why),
		    AUTHSASL_BADPROT, "mechs=LOGIN: PLAIN refused");
	}
	is_int(authsasl_start(a, "login", NULL, &ch, &why), AUTHSASL_CONTINUE,
	    "mechs=LOGIN: login (lower case) starts");
	authsasl_free(&a);
	buf_fini(&b);
	buf_fini(&ch);
}

/*
 * "auth_mechanisms = PLAIN, LOGIN" (list syntax): both are offered and
 * both can be started; before, "PLAIN," and "LOGIN" were taken as names,
 * so the EHLO list showed them and AUTH then failed.
 */
static void
test_comma_list(void)
{
	struct checker c;
	struct authsasl *a;
	struct buf b;
	struct buf ch;
	struct why why = { "" };
	struct span m;

	checker_init(&c);
	buf_init(&b, 1024);
	buf_init(&ch, 1024);
	a = mk("PLAIN, LOGIN", true, false, &c);
	ok(a != NULL, "'PLAIN, LOGIN' makes an object");
	if (a == NULL)
		goto out;
	m = plain_msg(&b, "", USER, PASS);
	is_int(authsasl_start(a, "PLAIN", &m, &ch, &why), AUTHSASL_OK,
	    "'PLAIN, LOGIN': PLAIN authenticates");
	authsasl_free(&a);
	a = mk("PLAIN, LOGIN", true, false, &c);
	is_int(authsasl_start(a, "LOGIN", NULL, &ch, &why), AUTHSASL_CONTINUE,
	    "'PLAIN, LOGIN': LOGIN starts");
	authsasl_free(&a);
	a = mk("LOGIN,PLAIN", true, false, &c);
	m = plain_msg(&b, "", USER, PASS);
	is_int(authsasl_start(a, "plain", &m, &ch, &why), AUTHSASL_OK,
	    "'LOGIN,PLAIN': plain authenticates");
	authsasl_free(&a);
out:
	buf_fini(&b);
	buf_fini(&ch);
}

static void
test_plain_initial(void)
{
	struct checker c;
	struct buf b;
	char user[400];

	buf_init(&b, 1024);
	checker_init(&c);
	c.sent_user = USER;
	c.sent_pass = PASS;
	c.sent_len = strlen(PASS);
	is_int(plain_run(&c, plain_msg(&b, "", USER, PASS), user,
		   sizeof(user)),
	    AUTHSASL_OK, "PLAIN good password: OK");
	is_str(user, USER, "authsasl_user is the user");
	is_int(c.calls, 1, "checked once");
	ok(!c.bad_args, "the check function got exactly the bytes sent");

	checker_init(&c);
	is_int(plain_run(&c, plain_msg(&b, USER, USER, PASS), user,
		   sizeof(user)),
	    AUTHSASL_OK, "PLAIN authzid == authcid: OK");
	is_str(user, USER, "authsasl_user with authzid");

	checker_init(&c);
	c.sent_user = USER;
	is_int(plain_run(&c, plain_msg(&b, "", " " USER "\t", PASS), user,
		   sizeof(user)),
	    AUTHSASL_OK, "PLAIN user with surrounding blanks: OK");
	ok(strcmp(user, USER) == 0 && !c.bad_args,
	    "SASL removed the blanks before the check");

	checker_init(&c);
	is_int(plain_run(&c, plain_msg(&b, "", USER, "wrong"), user,
		   sizeof(user)),
	    AUTHSASL_FAIL, "PLAIN wrong password: FAIL");
	is_str(user, "(null)", "no user after FAIL");
	is_int(c.calls, 1, "wrong password checked once");

	checker_init(&c);
	c.temp = true;
	is_int(plain_run(&c, plain_msg(&b, "", USER, PASS), user,
		   sizeof(user)),
	    AUTHSASL_TEMP, "PLAIN with the directory down: TEMP");
	is_str(user, "(null)", "no user after TEMP");
	buf_fini(&b);
}

static void
test_plain_authzid_other(void)
{
	struct checker c;
	struct buf b;
	char user[400];

	buf_init(&b, 1024);
	checker_init(&c);
	is_int(plain_run(&c, plain_msg(&b, "bob@example.org", USER, PASS),
		   user, sizeof(user)),
	    AUTHSASL_FAIL, "PLAIN authzid other than authcid: FAIL");
	is_str(user, "(null)", "no user when proxying was asked for");
	is_int(c.calls, 1, "the password itself was good (checked once)");
	buf_fini(&b);
}

/* An empty challenge first, then the response. */
static void
test_plain_no_initial(void)
{
	struct checker c;
	struct authsasl *a;
	struct buf b;
	struct buf ch;
	struct why why;

	checker_init(&c);
	buf_init(&b, 1024);
	buf_init(&ch, 1024);
	a = mk("PLAIN", true, false, &c);
	is_int(authsasl_start(a, "PLAIN", NULL, &ch, &why), AUTHSASL_CONTINUE,
	    "PLAIN without initial response: CONTINUE");
	is_int(ch.len, 0, "with an empty challenge");
	is_int(authsasl_step(a, plain_msg(&b, "", USER, PASS), &ch, &why),
	    AUTHSASL_OK, "then the response: OK");
	is_str(authsasl_user(a), USER, "user after two steps");
	is_int(authsasl_step(a, plain_msg(&b, "", USER, PASS), &ch, &why),
	    AUTHSASL_BADPROT, "a step after OK: BADPROT");
	is_int(authsasl_start(a, "PLAIN", NULL, &ch, &why), AUTHSASL_BADPROT,
	    "a new start after OK: BADPROT");
	is_str(authsasl_user(a), USER, "still authenticated");
	authsasl_free(&a);
	buf_fini(&b);
	buf_fini(&ch);
}

/* Malformed PLAIN messages are BADPROT and never reach the checker. */
static void
test_plain_malformed(void)
{
	static const struct {
		const char *msg;
		size_t len;
	} cases[] = {
		{ WITH_LEN("") },
		{ WITH_LEN("alicesecret") },
		{ WITH_LEN("alice\0secret") },
		{ WITH_LEN("\0alice\0secret\0") },
		{ WITH_LEN("\0alice\0sec\0ret") },
	};
	struct checker c;
	char user[400];
	size_t i;

	checker_init(&c);
	for (i = 0; i < NELEM(cases); i++)
		is_int(plain_run(&c, span_make(cases[i].msg, cases[i].len),
			   user, sizeof(user)),
		    AUTHSASL_BADPROT, "malformed PLAIN case %zu: BADPROT", i);
	is_int(c.calls, 0, "malformed PLAIN never reaches the checker");
}

/* Names and passwords we refuse before asking authd. */
static void
test_plain_refused_early(void)
{
	char longuser[AUTHSASL_MAX_USER + 2];
	struct checker c;
	struct buf b;
	char user[400];

	buf_init(&b, 1024);
	checker_init(&c);
	is_int(plain_run(&c, plain_msg(&b, "", "   ", PASS), user,
		   sizeof(user)),
	    AUTHSASL_FAIL, "all-blank user: FAIL");
	is_int(plain_run(&c, plain_msg(&b, "", "al\x01ice", PASS), user,
		   sizeof(user)),
	    AUTHSASL_FAIL, "control byte in user: FAIL");
	is_int(plain_run(&c, plain_msg(&b, "", USER, ""), user, sizeof(user)),
	    AUTHSASL_FAIL, "empty password: FAIL");
	memset(longuser, 'u', sizeof(longuser) - 1);
	longuser[AUTHSASL_MAX_USER + 1] = '\0';
	is_int(plain_run(&c, plain_msg(&b, "", longuser, PASS), user,
		   sizeof(user)),
	    AUTHSASL_FAIL, "user of %d bytes: FAIL", AUTHSASL_MAX_USER + 1);
	is_int(c.calls, 0, "none of these reached the checker");
	longuser[AUTHSASL_MAX_USER] = '\0';
	c.sent_user = longuser;
	plain_run(&c, plain_msg(&b, "", longuser, PASS), user, sizeof(user));
	ok(c.calls == 1 && !c.bad_args, "user of %d bytes is checked",
	    AUTHSASL_MAX_USER);
	buf_fini(&b);
}

static void
test_unknown_mech(void)
{
	static const char *const names[] = { "CRAM-MD5", "XYZ", "", "EXTERNAL",
		"PLAINX", "ANONYMOUS", "PLAIN LOGIN" };
	struct checker c;
	struct authsasl *a;
	struct buf ch;
	struct why why;
	size_t i;

	checker_init(&c);
	buf_init(&ch, 1024);
	a = mk("PLAIN LOGIN", true, true, &c);
	for (i = 0; i < NELEM(names); i++)
		is_int(authsasl_start(a, names[i], NULL, &ch, &why),
		    AUTHSASL_BADPROT, "mechanism '%s': BADPROT", names[i]);
	is_int(authsasl_start(a, NULL, NULL, &ch, &why), AUTHSASL_BADPROT,
	    "mechanism NULL: BADPROT");
	is_int(authsasl_step(a, span_str("x"), &ch, &why), AUTHSASL_BADPROT,
	    "step without start: BADPROT");
	authsasl_free(&a);
	buf_fini(&ch);
}

static void
test_too_long(void)
{
	static char big[AUTHSASL_MAX_RESPONSE + 1];
	struct checker c;
	struct authsasl *a;
	struct buf ch;
	struct why why;
	struct span s;
	char user[400];

	checker_init(&c);
	buf_init(&ch, 1024);
	memset(big, 'p', sizeof(big));
	memcpy(big, "\0alice\0", 7);
	s = span_make(big, sizeof(big));
	is_int(plain_run(&c, s, user, sizeof(user)), AUTHSASL_BADPROT,
	    "initial response of %d bytes: BADPROT", AUTHSASL_MAX_RESPONSE + 1);
	is_int(c.calls, 0, "not checked");
	s.len--;
	is_int(plain_run(&c, s, user, sizeof(user)), AUTHSASL_FAIL,
	    "initial response of %d bytes: checked, FAIL",
	    AUTHSASL_MAX_RESPONSE);
	is_int(c.calls, 1, "checked once");

	a = mk("LOGIN", true, false, &c);
	authsasl_start(a, "LOGIN", NULL, &ch, &why);
	is_int(authsasl_step(a, span_make(big, sizeof(big)), &ch, &why),
	    AUTHSASL_BADPROT, "LOGIN step of %d bytes: BADPROT",
	    AUTHSASL_MAX_RESPONSE + 1);
	is_int(authsasl_step(a, span_str(USER), &ch, &why), AUTHSASL_BADPROT,
	    "and the exchange is over");
	authsasl_free(&a);
	buf_fini(&ch);
}

/* LOGIN: "Username:", "Password:", verdict. */
static enum authsasl_res
login_run(struct checker *c, const char *initial_user, const char *user,
    const char *pass)
{
	struct authsasl *a = mk("PLAIN LOGIN", true, false, c);
	struct buf ch;
	struct why why = { "" };
	struct span init;
	enum authsasl_res r;

	buf_init(&ch, 1024);
	init = span_str(initial_user != NULL ? initial_user : "");
	r = authsasl_start(a, "LOGIN", initial_user != NULL ? &init : NULL,
	    &ch, &why);
	if (initial_user == NULL) {
		ok(r == AUTHSASL_CONTINUE && span_eq(buf_span(&ch), "Username:"),
		    "LOGIN asks for the user name");
		r = authsasl_step(a, span_str(user), &ch, &why);
	}
	ok(r == AUTHSASL_CONTINUE && span_eq(buf_span(&ch), "Password:"),
	    "LOGIN asks for the password");
	r = authsasl_step(a, span_str(pass), &ch, &why);
	ok(ch.len == 0, "no challenge after the last step");
	if (r == AUTHSASL_OK)
		ok(strcmp(authsasl_user(a), USER) == 0, "LOGIN user is %s",
		    authsasl_user(a));
	buf_fini(&ch);
	authsasl_free(&a);
	return r;
}

static void
test_login(void)
{
	struct checker c;

	checker_init(&c);
	c.sent_user = USER;
	c.sent_pass = PASS;
	c.sent_len = strlen(PASS);
	is_int(login_run(&c, NULL, USER, PASS), AUTHSASL_OK,
	    "LOGIN good password: OK");
	ok(c.calls == 1 && !c.bad_args, "LOGIN: exact bytes, checked once");
	is_int(login_run(&c, USER, NULL, PASS), AUTHSASL_OK,
	    "LOGIN with the user name as initial response: OK");
	checker_init(&c);
	is_int(login_run(&c, NULL, USER, "wrong"), AUTHSASL_FAIL,
	    "LOGIN wrong password: FAIL");
	is_int(login_run(&c, NULL, "bob", PASS), AUTHSASL_FAIL,
	    "LOGIN wrong user: FAIL");
	c.temp = true;
	is_int(login_run(&c, NULL, USER, PASS), AUTHSASL_TEMP,
	    "LOGIN with the directory down: TEMP");
}

/* LOGIN can carry a NUL in the password; we refuse it unasked. */
static void
test_login_nul(void)
{
	struct checker c;
	struct authsasl *a;
	struct buf ch;
	struct why why;

	checker_init(&c);
	buf_init(&ch, 1024);
	a = mk("LOGIN", true, false, &c);
	authsasl_start(a, "LOGIN", NULL, &ch, &why);
	authsasl_step(a, span_str(USER), &ch, &why);
	is_int(authsasl_step(a, span_make("p\0ss", 4), &ch, &why),
	    AUTHSASL_FAIL, "LOGIN password with a NUL: FAIL");
	is_int(c.calls, 0, "not checked");
	authsasl_free(&a);
	buf_fini(&ch);
}

/* A failed attempt leaves the object ready for another one. */
static void
test_retry(void)
{
	struct checker c;
	struct authsasl *a;
	struct buf b;
	struct buf ch;
	struct why why;
	struct span m;

	checker_init(&c);
	buf_init(&b, 1024);
	buf_init(&ch, 1024);
	a = mk("PLAIN LOGIN", true, false, &c);
	m = plain_msg(&b, "", USER, "wrong");
	is_int(authsasl_start(a, "PLAIN", &m, &ch, &why), AUTHSASL_FAIL,
	    "first attempt fails");
	authsasl_start(a, "LOGIN", NULL, &ch, &why);
	authsasl_step(a, span_str(USER), &ch, &why);
	m = plain_msg(&b, "", USER, PASS);
	is_int(authsasl_start(a, "PLAIN", &m, &ch, &why), AUTHSASL_OK,
	    "an abandoned LOGIN, then PLAIN on the same object: OK");
	is_str(authsasl_user(a), USER, "user after the retry");
	authsasl_free(&a);
	buf_fini(&b);
	buf_fini(&ch);
}

/* Cyrus's client side, with user, authname and password callbacks. */
struct client {
	const char *user;
	sasl_secret_t *secret;		/* malloc'ed */
};

static int
client_simple(void *ctx, int id, const char **result, unsigned *len)
{
	struct client *cl = ctx;

	*result = id == SASL_CB_AUTHNAME ? cl->user : "";
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
client_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **out)
{
	struct client *cl = ctx;

	(void)conn;
	(void)id;
	*out = cl->secret;
	return SASL_OK;
}

/* Drive one exchange: Cyrus client against authsasl. */
static enum authsasl_res
client_exchange(sasl_conn_t *cc, struct authsasl *a, const char *mech)
{
	const char *out = NULL;
	const char *chosen = NULL;
	unsigned outlen = 0;
	struct buf ch;
	struct why why = { "" };
	struct span init;
	enum authsasl_res r;
	int n;

	if (sasl_client_start(cc, mech, NULL, &out, &outlen, &chosen) < 0)
		return -1;
	buf_init(&ch, 1024);
	init = span_make(out, outlen);
	r = authsasl_start(a, chosen, out != NULL ? &init : NULL, &ch, &why);
	for (n = 0; r == AUTHSASL_CONTINUE && n < 5; n++) {
		if (sasl_client_step(cc, ch.len > 0 ? buf_str(&ch) : "",
			(unsigned)ch.len, NULL, &out, &outlen) < 0) {
			r = -1;
			break;
		}
		r = authsasl_step(a, span_make(out, outlen), &ch, &why);
	}
	buf_fini(&ch);
	return r;
}

static enum authsasl_res
client_run(struct checker *c, const char *mech, const char *user,
    const char *pass)
{
	struct client cl = { user, NULL };
	sasl_callback_t cbs[] = {
		{ SASL_CB_USER, CB_PROC(client_simple), &cl },
		{ SASL_CB_AUTHNAME, CB_PROC(client_simple), &cl },
		{ SASL_CB_PASS, CB_PROC(client_pass), &cl },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	struct authsasl *a = mk("PLAIN LOGIN", true, false, c);
	sasl_conn_t *cc = NULL;
	enum authsasl_res r = -1;

	cl.secret = xcalloc(1, sizeof(sasl_secret_t) + strlen(pass));
	cl.secret->len = strlen(pass);
	memcpy(cl.secret->data, pass, strlen(pass));
	if (sasl_client_new("smtp", FQDN, NULL, NULL, cbs, 0, &cc) == SASL_OK)
		r = client_exchange(cc, a, mech);
	if (r == AUTHSASL_OK)
		ok(strcmp(authsasl_user(a), user) == 0, "%s user is %s", mech,
		    authsasl_user(a));
	sasl_dispose(&cc);
	authsasl_free(&a);
	xfree(&cl.secret);
	return r;
}

/* The client library loads PLAIN and LOGIN only, like the server. */
static int
client_verifyfile(void *ctx, const char *file, sasl_verify_type_t type)
{
	const char *base = strrchr(file, '/');

	(void)ctx;
	base = base != NULL ? base + 1 : file;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_CONTINUE;
	return strcmp(base, "libplain.so") == 0 ||
		   strcmp(base, "liblogin.so") == 0
	    ? SASL_OK
	    : SASL_CONTINUE;
}

static const sasl_callback_t client_global_cbs[] = {
	{ SASL_CB_VERIFYFILE, CB_PROC(client_verifyfile), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static void
test_cyrus_client(void)
{
	static const char *const mechs[] = { "PLAIN", "LOGIN" };
	struct checker c;
	size_t i;

	if (!ok(sasl_client_init(client_global_cbs) == SASL_OK,
		"sasl_client_init"))
		return;
	for (i = 0; i < NELEM(mechs); i++) {
		checker_init(&c);
		c.sent_user = USER;
		c.sent_pass = PASS;
		c.sent_len = strlen(PASS);
		is_int(client_run(&c, mechs[i], USER, PASS), AUTHSASL_OK,
		    "Cyrus client %s good password: OK", mechs[i]);
		ok(c.calls == 1 && !c.bad_args,
		    "Cyrus client %s: exact bytes, checked once", mechs[i]);
		checker_init(&c);
		is_int(client_run(&c, mechs[i], USER, "wrong"), AUTHSASL_FAIL,
		    "Cyrus client %s wrong password: FAIL", mechs[i]);
		c.temp = true;
		is_int(client_run(&c, mechs[i], USER, PASS), AUTHSASL_TEMP,
		    "Cyrus client %s, directory down: TEMP", mechs[i]);
	}
}

/* One thread: its own object per exchange, all of them must succeed. */
struct worker {
	struct checker c;
	int ok;
	const char *user;
	const char *pass;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct buf b;
	char user[400];
	int i;

	buf_init(&b, 1024);
	w->c.user = w->user;
	w->c.pass = w->pass;
	w->c.meet = true;
	for (i = 0; i < NCONC; i++)
		if (plain_run(&w->c, plain_msg(&b, "", w->user, w->pass), user,
			sizeof(user)) == AUTHSASL_OK &&
		    strcmp(user, w->user) == 0)
			w->ok++;
	buf_fini(&b);
	return NULL;
}

static void
test_threads(void)
{
	struct worker w[2];
	pthread_t t[2];
	int i;

	memset(w, 0, sizeof(w));
	w[0].user = "alice";
	w[0].pass = "alice's secret";
	w[1].user = "bob";
	w[1].pass = "bob's secret";
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(w[0].c.met && w[1].c.met,
	    "both threads were inside the check function at once");
	is_int(w[0].ok, NCONC, "thread 1: every exchange succeeded");
	is_int(w[1].ok, NCONC, "thread 2: every exchange succeeded");
}

/* Run some exchanges with debug logging on stderr, captured in a file. */
static void
test_no_password_logged(void)
{
	char path[] = "/tmp/authsasl_test.XXXXXX";
	char text[65536];
	struct checker c;
	struct buf b;
	char user[400];
	int fd;
	int saved;
	ssize_t n;

	fd = mkstemp(path);
	saved = dup(2);
	fflush(stderr);
	dup2(fd, 2);
	log_set_level(LOG_LVL_DEBUG);
	buf_init(&b, 1024);
	checker_init(&c);
	plain_run(&c, plain_msg(&b, "", USER, "Wr0ngPassw0rd"), user,
	    sizeof(user));
	plain_run(&c, plain_msg(&b, "bob", USER, PASS), user, sizeof(user));
	plain_run(&c, plain_msg(&b, "", USER, PASS), user, sizeof(user));
	login_run(&c, NULL, USER, "Wr0ngLoginPass");
	buf_fini(&b);
	fflush(stderr);
	log_set_level(LOG_LVL_INFO);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	ok(strstr(text, "sasl: ") != NULL, "SASL's messages were logged");
	ok(strstr(text, "Wr0ngPassw0rd") == NULL &&
	    strstr(text, "Wr0ngLoginPass") == NULL &&
	    strstr(text, "w0rd!") == NULL, "no password in the log");
}

/*
 * A postern.conf that would break initialisation if SASL read it
 * (plugin_list names a file that does not exist).
 */
static char confdir[] = "/tmp/authsasl_conf.XXXXXX";

static void
make_trap_conf(void)
{
	char path[sizeof(confdir) + 16];
	FILE *f;

	if (mkdtemp(confdir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/postern.conf", confdir);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fprintf(f, "plugin_list: %s/missing\nmech_list: ANONYMOUS\n", confdir);
	fclose(f);
	setenv("SASL_CONF_PATH", confdir, 1);
}

static void
remove_trap_conf(void)
{
	char path[sizeof(confdir) + 16];

	snprintf(path, sizeof(path), "%s/postern.conf", confdir);
	unlink(path);
	rmdir(confdir);
}

int
main(void)
{
	make_trap_conf();
	test_init();
	remove_trap_conf();
	test_plugins();
	test_mechs_check();
	test_offered();
	test_not_offered();
	test_comma_list();
	test_plain_initial();
	test_plain_authzid_other();
	test_plain_no_initial();
	test_plain_malformed();
	test_plain_refused_early();
	test_unknown_mech();
	test_too_long();
	test_login();
	test_login_nul();
	test_retry();
	test_cyrus_client();
	test_threads();
	test_no_password_logged();
	authsasl_done();
	sasl_client_done();
	return done_testing();
}
