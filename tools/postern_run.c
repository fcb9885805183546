/*
 * postern_run.c - "postern run --dir DIR [-o name=value]...": a complete
 * development instance in the foreground, rooted at DIR, created on first
 * use with unprivileged loopback ports and a self-signed certificate.
 * Linked into: postern.  Runs as the invoking user.  Trust: arguments are
 * the user's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/xmem.h"
#include "postern.h"

/* The demo user a development instance gets on first use; its password
 * is kept in DIR/demo-password (mode 0600). */
#define RUN_DEMO_DOMAIN "example.com"
#define RUN_DEMO_USER "demo@" RUN_DEMO_DOMAIN
#define RUN_DEMO_PWLEN 16

/* Listen addresses of a development instance (postern(1)), local mail to
 * its LMTP port, and the demo user's domain. */
static const char *const run_ports[] = {
	"smtp_listen = 127.0.0.1:2525",
	"submission_listen = 127.0.0.1:2587",
	"smtps_listen = 127.0.0.1:2465",
	"lmtp_listen = 127.0.0.1:2424",
	"local_transport = lmtp:inet:127.0.0.1:2424",
	"imap_listen = 127.0.0.1:2143",
	"imaps_listen = 127.0.0.1:2993",
	"pop3_listen = 127.0.0.1:2110",
	"pop3s_listen = 127.0.0.1:2995",
	"virtual_mailbox_domains = " RUN_DEMO_DOMAIN,
	NULL,
};

/* The services a development instance runs: those implemented so far,
 * as in conf/master.conf, but LMTP on TCP (lmtp_listen above: easy to
 * try by hand; loopback is in lmtpd_client_networks; local_transport
 * points there). */
static const char run_master_conf[] =
    "# master.conf of a development instance made by \"postern run\".\n"
    "# name  type  listen  chroot  limit  user  command [args]\n"
    "# See master.conf(5).\n"
    "authd  unix  $queue_directory/$authd_socket  n  1  $auth_owner  "
    "authd\n"
    "smtp   inet  $smtp_listen  y  -  -  smtpd\n"
    "submission  inet  $submission_listen  y  -  -  smtpd\n"
    "    -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes\n"
    "    -o smtpd_auth_required=yes\n"
    "smtps  inet  $smtps_listen  y  -  -  smtpd\n"
    "    -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes\n"
    "    -o smtpd_auth_required=yes\n"
    "submit unix  $queue_directory/$sendmail_socket  y  -  -  smtpd\n"
    "lmtp   inet  $lmtp_listen  n  -  $store_owner  lmtpd\n"
    "qmgr   unix  $queue_directory/$qmgr_socket  n  1  -  qmgr\n"
    "delivery-lmtp  unix  $queue_directory/private/deliver-lmtp  n  -  -  "
    "delivery lmtp\n"
    "delivery-smtp  unix  $queue_directory/private/deliver-smtp  y  -  -  "
    "delivery smtp\n"
    "imap   inet  $imap_listen  n  -  $store_owner  imapd\n"
    "imaps  inet  $imaps_listen  n  -  $store_owner  imapd\n"
    "    -o imapd_tls_wrappermode=yes\n"
    "pop3   inet  $pop3_listen  n  -  $store_owner  pop3d\n"
    "pop3s  inet  $pop3s_listen  n  -  $store_owner  pop3d\n"
    "    -o pop3d_tls_wrappermode=yes\n";

static int
usage(void)
{
	fprintf(stderr, "usage: postern run --dir DIR [-o name=value]...\n");
	return 2;
}

/* The libexec directory next to this program (build/ or PREFIX/). */
static void
find_libexec(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(out, size, "%s", POSTERN_LIBEXECDIR);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	if (snprintf(out, size, "%s/libexec/master", self) < (int)size &&
	    access(out, X_OK) == 0 &&
	    snprintf(out, size, "%s/libexec", self) < (int)size)
		return;
	snprintf(out, size, "%s", POSTERN_LIBEXECDIR);
}

static int
write_conf(const char *dir, struct why *why)
{
	char libexec[PATH_MAX];
	char path[PATH_MAX + 32];
	struct buf text;
	int r;
	int i;

	find_libexec(libexec, sizeof(libexec));
	buf_init(&text, 65536);
	buf_addf(&text, "# postern.conf of a development instance made by "
			"\"postern run\".\n# See postern.conf(5).\n"
			"queue_directory = %s/queue\n"
			"data_directory = %s/data\n"
			"daemon_directory = %s\n", dir, dir, libexec);
	for (i = 0; run_ports[i] != NULL; i++)
		buf_addf(&text, "%s\n", run_ports[i]);
	snprintf(path, sizeof(path), "%s/postern.conf", dir);
	r = file_write_atomic(path, buf_span(&text), 0644, why);
	snprintf(path, sizeof(path), "%s/master.conf", dir);
	if (r == 0)
		r = file_write_atomic(path, span_str(run_master_conf), 0644,
		    why);
	buf_fini(&text);
	return r;
}

static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "postern: mkdir %s: %s\n", path, strerror(errno));
	return -1;
}

/* A new instance's demo user, with a random password kept in
 * DIR/demo-password.  0 or -1 (printed). */
static int
create_demo_user(const char *dir)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	unsigned char rnd[RUN_DEMO_PWLEN];
	char pw[RUN_DEMO_PWLEN + 2];
	char path[PATH_MAX + 32];
	struct why why;
	size_t i;
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		fprintf(stderr, "postern: getrandom: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < RUN_DEMO_PWLEN; i++)
		pw[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	pw[RUN_DEMO_PWLEN] = '\n';
	pw[RUN_DEMO_PWLEN + 1] = '\0';
	snprintf(path, sizeof(path), "%s/demo-password", dir);
	r = file_write_atomic(path, span_make(pw, RUN_DEMO_PWLEN + 1), 0600,
	    &why);
	if (r == -1)
		fprintf(stderr, "postern: %s\n", why.msg);
	pw[RUN_DEMO_PWLEN] = '\0';
	if (r == 0 && postern_user_add(dir, RUN_DEMO_USER, pw) != 0)
		r = -1;
	secret_wipe(pw, sizeof(pw));
	return r;
}

/* First use: DIR, its config, its certificate, the demo user. */
static int
create_instance(const char *dir)
{
	char path[PATH_MAX + 32];
	char key[PATH_MAX + 32];
	struct why why;

	snprintf(path, sizeof(path), "%s/postern.conf", dir);
	if (access(path, F_OK) == 0)
		return 0;
	printf("postern: creating a development instance in %s\n", dir);
	if (write_conf(dir, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/tls", dir);
	if (make_dir(path) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/tls/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/tls/key.pem", dir);
	if (postern_cert_make(path, key, "localhost", &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	return create_demo_user(dir);
}

/* The first listen address of service name, or NULL. */
static const char *
first_listen(const struct instance *inst, const char *name)
{
	size_t i;

	for (i = 0; i < inst->services.n; i++)
		if (strcmp(inst->services.v[i].name, name) == 0 &&
		    inst->services.v[i].nlisten > 0)
			return inst->services.v[i].listen[0];
	return NULL;
}

/* How to try the instance: the demo user and a command each to send it
 * mail and to read it over IMAP and POP3. */
static void
describe_demo(const struct instance *inst)
{
	char path[PATH_MAX + 32];
	char pw[64] = "";
	const char *smtp = first_listen(inst, "smtp");
	const char *imaps = first_listen(inst, "imaps");
	const char *pop3s = first_listen(inst, "pop3s");
	FILE *f;

	snprintf(path, sizeof(path), "%s/demo-password", inst->config_dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fgets(pw, sizeof(pw), f) != NULL)
		pw[strcspn(pw, "\n")] = '\0';
	fclose(f);
	printf("postern: demo user %s, password %s\n", RUN_DEMO_USER, pw);
	if (smtp != NULL)
		printf("postern: send it mail:  swaks --server %s --to %s\n",
		    smtp, RUN_DEMO_USER);
	if (imaps != NULL)
		printf("postern: read it:       curl --insecure "
		       "'imaps://%s/INBOX;UID=1' -u %s:%s\n",
		    imaps, RUN_DEMO_USER, pw);
	if (pop3s != NULL)
		printf("postern: or over POP3:  curl --insecure "
		       "'pop3s://%s/1' -u %s:%s\n",
		    pop3s, RUN_DEMO_USER, pw);
	secret_wipe(pw, sizeof(pw));
}

static void
describe(const struct instance *inst)
{
	size_t i;
	size_t j;

	printf("postern: instance %s\n", inst->config_dir);
	for (i = 0; i < inst->services.n; i++) {
		const struct mastercf_service *s = &inst->services.v[i];

		printf("postern:   %-12s", s->name);
		for (j = 0; j < s->nlisten; j++)
			printf(" %s", s->listen[j]);
		printf("\n");
	}
	if (inst->services.n == 0)
		printf("postern:   (no services in master.conf yet)\n");
	describe_demo(inst);
	printf("postern: stop with Ctrl-C\n");
	fflush(stdout);
}

/* As root the daemons run as the instance's system users: they must be
 * able to reach dir.  1 when a directory on the way is closed to them
 * (printed), else 0. */
static int
closed_path(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	if (geteuid() != 0)
		return 0;
	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		if (stat(path, &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
			fprintf(stderr, "postern: %s is closed to other users "
					"(mode %03o), but the daemons of an "
					"instance run by root run as system "
					"users: use a directory they can "
					"reach, or run as another user\n",
			    path[0] != '\0' ? path : "/",
			    (unsigned)(st.st_mode & 0777));
			return 1;
		}
		slash = strrchr(path, '/');
		if (slash == NULL || slash == path)
			return 0;
		*slash = '\0';
	}
}

static int
parse_args(int argc, char **argv, const char **dir, char **ov, int *nov)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			*dir = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc &&
		    *nov < 64)
			ov[(*nov)++] = argv[++i];
		else
			return -1;
	}
	return *dir == NULL ? -1 : 0;
}

int
postern_run(int argc, char **argv)
{
	char *overrides[64];
	int noverrides = 0;
	const char *arg_dir = NULL;
	char dir[PATH_MAX];
	struct instance inst;

	if (parse_args(argc, argv, &arg_dir, overrides, &noverrides) == -1)
		return usage();
	if (make_dir(arg_dir) == -1 || realpath(arg_dir, dir) == NULL ||
	    closed_path(dir))
		return 1;
	if (create_instance(dir) == -1)
		return 1;
	if (postern_load(&inst, dir, overrides, noverrides) == -1)
		return 2;
	if (postern_prepare(&inst) == -1) {
		instance_fini(&inst);
		return 1;
	}
	describe(&inst);
	return postern_exec_master(&inst, true, overrides, noverrides);
}
