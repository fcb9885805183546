/*
 * saslcheck.c - a test program: run one SASL exchange through the SASL
 * glue with its password check done by the instance's running authd, and
 * the mechanisms the instance's auth_mechanisms and auth_allow_plaintext
 * allow, as the protocol daemons will.
 *   saslcheck CONFIG_DIR tls|plain PLAIN|LOGIN USER PASSWORD
 * Prints "MECHS list", then "OK user", "FAIL delay=MS" (authd's failure
 * delay, which a daemon would wait out before answering), "TEMP reason"
 * or "BADPROT reason".
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <string.h>

#include "auth/authsasl_authd.h"
#include "base/buf.h"
#include "mail/params.h"

static enum authsasl_res
exchange(struct authsasl *a, const char *mech, const char *user,
    const char *pass, struct why *why)
{
	struct buf out;
	struct buf resp;
	enum authsasl_res r;

	buf_init(&out, 8192);
	buf_init(&resp, 8192);
	if (strcmp(mech, "PLAIN") == 0) {
		buf_addc(&resp, '\0');
		buf_adds(&resp, user);
		buf_addc(&resp, '\0');
		buf_adds(&resp, pass);
		r = authsasl_start(a, mech, &(struct span){ resp.p, resp.len },
		    &out, why);
	} else {
		r = authsasl_start(a, mech, NULL, &out, why);
		if (r == AUTHSASL_CONTINUE)
			r = authsasl_step(a, span_str(user), &out, why);
		if (r == AUTHSASL_CONTINUE)
			r = authsasl_step(a, span_str(pass), &out, why);
	}
	buf_fini(&out);
	buf_wipe(&resp);
	return r;
}

static void
report(enum authsasl_res r, struct authsasl *a,
    const struct authsasl_authd *check, const char *other)
{
	if (r == AUTHSASL_OK)
		printf("OK %s\n", authsasl_user(a));
	else if (r == AUTHSASL_FAIL)
		printf("FAIL delay=%llu\n",
		    (unsigned long long)check->delay_ms);
	else if (r == AUTHSASL_TEMP)
		printf("TEMP %s\n", check->why.msg);
	else
		printf("BADPROT %s\n", other);
}

int
main(int argc, char **argv)
{
	struct authsasl_authd check = { .service = "imap",
		.client_addr = "127.0.0.1" };
	struct params p;
	struct cfg *cfg;
	struct authsasl *a;
	struct why why = { "" };
	char path[4096];
	struct buf mechs;
	enum authsasl_res r;

	if (argc != 6 || (cfg = params_load(argv[1], NULL, 0, &p, NULL, NULL,
			      &why)) == NULL || authsasl_init(&why) == -1)
		return 2;
	snprintf(path, sizeof(path), "%s/%s", p.queue_directory,
	    p.authd_socket);
	check.client = authclient_new(path, p.authd_timeout * 1000);
	buf_init(&check.user, 1024);
	buf_init(&mechs, 1024);
	a = authsasl_new("imap", "localhost", p.auth_mechanisms,
	    strcmp(argv[2], "tls") == 0, p.auth_allow_plaintext,
	    authsasl_authd_check, &check, &why);
	if (a == NULL)
		return 2;
	authsasl_mechs(a, &mechs);
	printf("MECHS %s\n", buf_str(&mechs));
	r = exchange(a, argv[3], argv[4], argv[5], &why);
	report(r, a, &check, why.msg);
	authsasl_free(&a);
	authclient_free(&check.client);
	buf_fini(&check.user);
	buf_fini(&mechs);
	authsasl_done();
	cfg_free(&cfg);
	return r == AUTHSASL_OK ? 0 : 1;
}
