/*
 * postern_auth.c - "postern auth": ask the running authd, as the other
 * daemons do, to check the directory by hand.
 *
 *   postern [-c DIR] auth lookup ADDRESS
 *   postern [-c DIR] auth expand ADDRESS
 *   postern [-c DIR] auth domain DOMAIN
 *   postern [-c DIR] auth verify ADDRESS [SERVICE [CLIENT-ADDRESS]]
 *       (the password is read from standard input, one line)
 *
 * Exit status: 0 found/verified, 1 not found/failed, 75 temporary
 * failure, 2 usage or other errors.
 * Linked into: postern.  Trust: the admin's arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/authclient.h"
#include "base/xmem.h"
#include "postern.h"

#define EXIT_TEMP 75

static int
usage(void)
{
	fprintf(stderr, "usage: postern auth lookup|expand ADDRESS\n"
			"       postern auth domain DOMAIN\n"
			"       postern auth verify ADDRESS [SERVICE "
			"[CLIENT-ADDRESS]] < password\n");
	return 2;
}

static int
socket_path(const char *dir, char *out, size_t size, uint64_t *timeout_ms)
{
	struct instance inst;
	int n;

	if (postern_load(&inst, dir, NULL, 0) == -1)
		return -1;
	n = snprintf(out, size, "%s/%s", inst.params.queue_directory,
	    inst.params.authd_socket);
	if (inst.params.authd_socket[0] == '/')
		n = snprintf(out, size, "%s", inst.params.authd_socket);
	*timeout_ms = inst.params.authd_timeout * 1000;
	instance_fini(&inst);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int
status_of(enum authclient_res r, const char *why)
{
	if (r == AUTHC_OK)
		return 0;
	if (r == AUTHC_NOTFOUND || r == AUTHC_FAIL)
		return 1;
	fprintf(stderr, "postern: %s\n", why);
	return r == AUTHC_TEMP ? EXIT_TEMP : 2;
}

static void
print_answer(const struct authproto_msg *ans)
{
	size_t i;

	printf("%.*s", (int)ans->word.len, (const char *)ans->word.p);
	for (i = 0; i < ans->nfield; i++)
		printf("\t%.*s", (int)ans->field[i].len,
		    (const char *)ans->field[i].p);
	printf("\n");
}

/* Wait ms milliseconds, signals notwithstanding. */
static void
wait_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
verify(struct authclient *c, int argc, char **argv)
{
	char pass[4096];
	struct buf user;
	struct why why = { "" };
	uint64_t delay_ms = 0;
	size_t len;
	enum authclient_res r;

	if (fgets(pass, sizeof(pass), stdin) == NULL)
		return usage();
	len = strcspn(pass, "\n");
	buf_init(&user, 1024);
	r = authclient_verify(c, argc > 3 ? argv[3] : "imap", argv[2],
	    span_make(pass, len), argc > 4 ? argv[4] : "", &user, &delay_ms,
	    &why);
	secret_wipe(pass, sizeof(pass));
	/* Like a daemon, tell of a failure only after authd's delay (a
	 * script that checks passwords with this must not be faster). */
	if (r == AUTHC_FAIL)
		wait_ms(delay_ms);
	if (r == AUTHC_OK)
		printf("OK\t%s\n", buf_str(&user));
	else if (r == AUTHC_FAIL)
		printf("FAIL\n");
	buf_fini(&user);
	return status_of(r, why.msg);
}

int
postern_auth(const char *dir, int argc, char **argv)
{
	static const char *const words[] = { "lookup", "LOOKUP", "expand",
		"EXPAND", "domain", "DOMAIN" };
	struct authproto_msg ans;
	struct authclient *c;
	struct why why = { "" };
	char path[4096];
	uint64_t timeout_ms = 0;
	size_t i;
	int status = -1;

	if (argc < 3 || argc > 5 ||
	    socket_path(dir, path, sizeof(path), &timeout_ms) == -1)
		return usage();
	c = authclient_new(path, timeout_ms);
	if (strcmp(argv[1], "verify") == 0)
		status = verify(c, argc, argv);
	for (i = 0; status == -1 && argc == 3 && i < 6; i += 2) {
		struct span f = span_str(argv[2]);
		enum authclient_res r;

		if (strcmp(argv[1], words[i]) != 0)
			continue;
		authproto_init(&ans, 2 * 1024 * 1024);
		r = authclient_call(c, words[i + 1], &f, 1, &ans, &why);
		if (r == AUTHC_OK || r == AUTHC_NOTFOUND || r == AUTHC_PERM)
			print_answer(&ans);
		status = status_of(r, why.msg);
		authproto_fini(&ans);
	}
	authclient_free(&c);
	return status == -1 ? usage() : status;
}
