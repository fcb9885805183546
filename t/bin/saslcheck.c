/*
 * saslcheck.c - a test program: run one SASL exchange through the SASL
 * glue with its password check done by a running authd, as the protocol
 * daemons will.
 *   saslcheck SOCKET PLAIN|LOGIN USER PASSWORD
 * Prints "OK canonical-user", "FAIL", "TEMP reason" or "BADPROT reason".
 * Linked into: the tests only.  Trust: not applicable.
 */
#include <stdio.h>
#include <string.h>

#include "auth/authsasl_authd.h"
#include "base/buf.h"

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

int
main(int argc, char **argv)
{
	struct authsasl_authd check = { .service = "imap",
		.client_addr = "127.0.0.1" };
	struct authsasl *a;
	struct why why = { "" };
	enum authsasl_res r;

	if (argc != 5 || authsasl_init(&why) == -1)
		return 2;
	check.client = authclient_new(argv[1], 30000);
	buf_init(&check.user, 1024);
	a = authsasl_new("imap", "localhost", "PLAIN LOGIN", true, false,
	    authsasl_authd_check, &check, &why);
	if (a == NULL)
		return 2;
	r = exchange(a, argv[2], argv[3], argv[4], &why);
	if (r == AUTHSASL_OK)
		printf("OK %s %s\n", authsasl_user(a), buf_str(&check.user));
	else if (r == AUTHSASL_FAIL)
		printf("FAIL\n");
	else
		printf("%s %s\n", r == AUTHSASL_TEMP ? "TEMP" : "BADPROT",
		    r == AUTHSASL_TEMP ? check.why.msg : why.msg);
	authsasl_free(&a);
	authclient_free(&check.client);
	buf_fini(&check.user);
	authsasl_done();
	return r == AUTHSASL_OK ? 0 : 1;
}
