/*
 * instance_test.c - unit tests for lib/mail/instance: loading postern.conf
 * and master.conf together, $name expansion into master.conf fields, and
 * the checks on listen addresses.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/file.h"
#include "mail/instance.h"
#include "tap.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char path[128];
	struct why why;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (file_write_atomic(path, span_str(text), 0644, &why) == -1)
		diag("%s", why.msg);
}

static int
load(struct instance *inst, struct why *why)
{
	char *ov[] = { "pop3_listen = 127.0.0.1:2110" };

	return instance_load(inst, dir, ov, 1, NULL, NULL, why);
}

static void
expect_error(const char *master, const char *want, const char *name)
{
	struct instance inst;
	struct why why = { "" };

	put("master.conf", master);
	ok(load(&inst, &why) == -1 && strstr(why.msg, want) != NULL, "%s",
	    name);
	if (strstr(why.msg, want) == NULL)
		diag("got: %s", why.msg);
	instance_fini(&inst);
}

int
main(void)
{
	struct instance inst;
	struct why why;
	char path[256];

	snprintf(dir, sizeof(dir), "/tmp/instance-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	put("postern.conf", "smtp_listen = 127.0.0.1:25, [::1]:25\n"
			    "data_directory = /var/x\n");
	put("master.conf", "smtp inet $smtp_listen n - - smtpd\n"
			   "pop3 inet ${pop3_listen} n 2 vmail pop3d -o a=b\n"
			   "sock unix unix:$data_directory/s n - - x\n");
	ok(load(&inst, &why) == 0, "a good instance loads");
	is_int(inst.services.n, 3, "three services");
	is_int(inst.services.v[0].nlisten, 2, "$smtp_listen expands to a list");
	is_str(inst.services.v[0].listen[1], "[::1]:25", "second address");
	is_str(inst.services.v[1].listen[0], "127.0.0.1:2110",
	    "an override reaches master.conf");
	is_str(inst.services.v[2].listen[0], "unix:/var/x/s",
	    "expansion inside a field");
	ok(instance_pid_path(&inst, path, sizeof(path)) == 0 &&
		strcmp(path, "/var/x/master.pid") == 0,
	    "pid file in data_directory");
	ok(memmem(inst.fingerprint.p, inst.fingerprint.len,
	       "pop3_listen = 127.0.0.1:2110", 28) != NULL,
	    "the fingerprint covers overrides");
	instance_fini(&inst);

	expect_error("a inet nowhere n - - x\n", "master.conf:1: nowhere:",
	    "an unparsable address is refused with its line");
	expect_error("# c\na unix 127.0.0.1:25 n - - x\n",
	    "master.conf:2: 127.0.0.1:25: not a unix socket address",
	    "an inet address on a unix service is refused");
	expect_error("a inet /tmp/s n - - x\n", "not an inet address",
	    "a path on an inet service is refused");
	expect_error("a inet 127.0.0.1:1 n - - x\nb inet 127.0.0.1:1 n - - x\n",
	    "master.conf:2: 127.0.0.1:1 is already the address of service a",
	    "two services on one address are refused");
	expect_error("a inet 127.0.0.1:1,127.0.0.1:1 n - - x\n",
	    "already the address of service a",
	    "one address twice in a service is refused");
	expect_error("a inet $nonesuch n - - x\n", "undefined parameter",
	    "an undefined $name in master.conf is refused");
	snprintf(path, sizeof(path), "%s/master.conf", dir);
	unlink(path);
	ok(load(&inst, &why) == 0 && inst.services.n == 0,
	    "a missing master.conf means no services");
	instance_fini(&inst);
	put("master.conf", "");
	put("postern.conf", "\n\nqueue_directory\n");
	ok(load(&inst, &why) == -1 && strstr(why.msg, "postern.conf:3:") !=
		NULL, "postern.conf errors carry their line");
	instance_fini(&inst);
	snprintf(path, sizeof(path), "%s/postern.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/master.conf", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
