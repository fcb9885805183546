/*
 * postern_user.c - "postern user": add, delete, change and list the
 * users in the text source of the users table (virtual_mailbox_maps),
 * then rebuild the table.
 *
 *   postern [-c DIR] user add ADDRESS [--name NAME] [--quota SIZE]
 *       [--quota-messages N] [--host HOST] [--disabled]
 *       [--password-stdin] [--scheme yescrypt|sha512]
 *   postern [-c DIR] user del | enable | disable | show ADDRESS
 *   postern [-c DIR] user passwd ADDRESS [--password-stdin] [--scheme S]
 *   postern [-c DIR] user list
 *
 * Linked into: postern.  Runs as root (a system instance: the files
 * become root:$auth_owner 0640) or as the instance's owner.  Trust:
 * arguments, the password and the files are the admin's; the password
 * is read from the terminal or stdin, never argv, and wiped after
 * hashing; hashes are never printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/passwd.h"
#include "base/parse.h"
#include "base/xmem.h"
#include "mail/maptext.h"
#include "mail/userrec.h"
#include "postern.h"
#include "postern_user.h"

/* Options, parsed and checked before anything is read. */
struct uopts {
	struct userrec rec;	/* name, quotas, host, enabled; the spans
				 * are borrowed from argv */
	bool password_stdin;
	const char *password;	/* given by the caller: not read */
	enum passwd_scheme scheme;
};

/* getopt_long values; above 0xff so that '?' and ':' match none. */
enum {
	O_NAME = 1 << 8,
	O_QUOTA = 1 << 9,
	O_QMSGS = 1 << 10,
	O_HOST = 1 << 11,
	O_DISABLED = 1 << 12,
	O_STDIN = 1 << 13,
	O_SCHEME = 1 << 14,
};

typedef int user_cmd_fn(struct usertab *t, const char *addr,
    const struct uopts *o);

static user_cmd_fn user_add, user_del, user_passwd, user_enable,
    user_disable, user_list, user_show;

static const struct {
	const char *name;
	int nargs;		/* ADDRESS or nothing */
	unsigned int opts;	/* O_* allowed */
	user_cmd_fn *fn;
} subs[] = {
	{ "add", 1, O_NAME | O_QUOTA | O_QMSGS | O_HOST | O_DISABLED | O_STDIN |
		O_SCHEME, user_add },
	{ "del", 1, 0, user_del },
	{ "passwd", 1, O_STDIN | O_SCHEME, user_passwd },
	{ "enable", 1, 0, user_enable },
	{ "disable", 1, 0, user_disable },
	{ "list", 0, 0, user_list },
	{ "show", 1, 0, user_show },
};

static int
usage(void)
{
	fprintf(stderr,
	    "usage: postern [-c DIR] user add ADDRESS [--name NAME] "
	    "[--quota SIZE]\n"
	    "           [--quota-messages N] [--host HOST] [--disabled]\n"
	    "           [--password-stdin] [--scheme yescrypt|sha512]\n"
	    "       postern [-c DIR] user del|enable|disable|show ADDRESS\n"
	    "       postern [-c DIR] user passwd ADDRESS [--password-stdin] "
	    "[--scheme S]\n"
	    "       postern [-c DIR] user list\n");
	return 2;
}

/* Is the value of --host or --name one a record can hold? */
static int
check_field(const char *opt, struct span host, struct span name)
{
	struct userrec u = { .enabled = true, .mailhost = host,
		.name = name };
	struct buf b;
	int r;

	buf_init(&b, 4096);
	r = userrec_format(&u, &b);
	buf_fini(&b);
	if (r == -1)
		fprintf(stderr, "postern: %s: not valid in a user record\n",
		    opt);
	return r;
}

/* One option with its argument into o.  0, or -1 after a message. */
static int
set_option(struct uopts *o, int c, const char *arg)
{
	struct span none = { NULL, 0 };

	switch (c) {
	case O_NAME:
		o->rec.name = span_trim(span_str(arg));
		return check_field("--name", none, o->rec.name);
	case O_QUOTA:
		if (parse_size(span_str(arg), &o->rec.quota_bytes) == 0)
			return 0;
		fprintf(stderr, "postern: --quota: not a size: %s\n", arg);
		return -1;
	case O_QMSGS:
		if (parse_u64(span_str(arg), 0, UINT64_MAX,
			&o->rec.quota_messages) == 0)
			return 0;
		fprintf(stderr, "postern: --quota-messages: not a number\n");
		return -1;
	case O_HOST:
		o->rec.mailhost = span_str(arg);
		return check_field("--host", o->rec.mailhost, none);
	case O_DISABLED:
		o->rec.enabled = false;
		return 0;
	case O_STDIN:
		o->password_stdin = true;
		return 0;
	case O_SCHEME:
		if (passwd_scheme_from_name(arg, &o->scheme) == 0)
			return 0;
		fprintf(stderr, "postern: --scheme: yescrypt or sha512\n");
		return -1;
	}
	return -1;
}

/*
 * Options may come before or after ADDRESS.  argv[0] is the
 * subcommand.  Returns the index of the first operand, or -1.
 */
static int
parse_options(int argc, char **argv, unsigned int allowed, struct uopts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "quota", required_argument, NULL, O_QUOTA },
		{ "quota-messages", required_argument, NULL, O_QMSGS },
		{ "host", required_argument, NULL, O_HOST },
		{ "disabled", no_argument, NULL, O_DISABLED },
		{ "password-stdin", no_argument, NULL, O_STDIN },
		{ "scheme", required_argument, NULL, O_SCHEME },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->rec.enabled = true;
	o->scheme = PASSWD_YESCRYPT;
	/* optind 0 makes glibc start afresh and permute (main used "+"). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c <= 0 || ((unsigned int)c & allowed) == 0) {
			usage();
			return -1;
		}
		if (set_option(o, c, optarg) == -1)
			return -1;
	}
	return optind;
}

/*
 * A mailbox address as a table key: one '@' with text on both sides, no
 * blank, control character or ':', not starting with '#', 1..254 bytes;
 * ASCII letters are folded to lower case into out (255 bytes).
 */
static int
check_address(const char *in, char out[255])
{
	size_t len = strnlen(in, 255);
	size_t at = 0;
	size_t nat = 0;
	size_t i;

	if (len == 0 || len > 254 || in[0] == '#')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= ' ' || c == 0x7f || c == ':')
			return -1;
		if (c == '@') {
			nat++;
			at = i;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[len] = '\0';
	if (nat != 1 || at == 0 || at == len - 1)
		return -1;
	return 0;
}

/* Read the password (terminal or stdin), hash it, wipe it. */
static int
new_hash(const struct uopts *o, char *hash, size_t size)
{
	char pw[PASSWD_MAX_LEN + 2];
	struct why why;
	int r;

	if (o->password != NULL)
		r = snprintf(pw, sizeof(pw), "%s", o->password) <
			(int)sizeof(pw) - 1 ? 0 : why_set(&why, "password too long");
	else
		r = usertab_password(o->password_stdin, pw, sizeof(pw), &why);
	if (r == 0 && pw[0] == '\0')
		r = why_set(&why, "empty password refused");
	if (r == 0)
		r = passwd_hash(pw, o->scheme, hash, size, &why);
	secret_wipe(pw, sizeof(pw));
	if (r == -1)
		fprintf(stderr, "postern: %s\n", why.msg);
	return r;
}

/* Write "ADDRESS<tab>RECORD" for u into line.  0 or -1. */
static int
format_line(const char *addr, const struct userrec *u, struct buf *line)
{
	buf_reset(line);
	if (buf_adds(line, addr) == -1 || buf_addc(line, '\t') == -1 ||
	    userrec_format(u, line) == -1) {
		fprintf(stderr, "postern: %s: cannot write the record\n",
		    addr);
		return -1;
	}
	return 0;
}

static int
user_add(struct usertab *t, const char *addr, const struct uopts *o)
{
	struct userrec u = o->rec;
	char hash[PASSWD_HASH_SIZE];
	struct buf line;
	int r = -1;

	if (t->found) {
		fprintf(stderr, "postern: %s: user exists\n", addr);
		return -1;
	}
	if (new_hash(o, hash, sizeof(hash)) == -1)
		return -1;
	u.password = span_str(hash);
	buf_init(&line, MAPTEXT_MAX_VALUE);
	if (format_line(addr, &u, &line) == 0)
		r = usertab_save(t, 0, buf_str(&line));
	buf_fini(&line);
	if (r == 0)
		printf("postern: added %s\n", addr);
	return r;
}

static int
user_del(struct usertab *t, const char *addr, const struct uopts *o)
{
	(void)o;
	if (usertab_save(t, t->line, NULL) == -1)
		return -1;
	printf("postern: deleted %s\n", addr);
	return 0;
}

/* Change the existing record of addr with change(u, o). */
static int
modify(struct usertab *t, const char *addr, const struct uopts *o,
    int (*change)(struct userrec *, const struct uopts *, char *))
{
	char hash[PASSWD_HASH_SIZE];
	struct userrec u;
	struct buf line;
	struct why why;
	int r = -1;

	if (userrec_parse(buf_span(&t->value), &u, &why) == -1) {
		fprintf(stderr, "postern: %s:%zu: %s: %s\n", t->path, t->line,
		    addr, why.msg);
		return -1;
	}
	if (change(&u, o, hash) == -1)
		return -1;
	buf_init(&line, MAPTEXT_MAX_VALUE);
	if (format_line(addr, &u, &line) == 0)
		r = usertab_save(t, t->line, buf_str(&line));
	buf_fini(&line);
	return r;
}

static int
set_password(struct userrec *u, const struct uopts *o, char *hash)
{
	if (new_hash(o, hash, PASSWD_HASH_SIZE) == -1)
		return -1;
	u->password = span_str(hash);
	return 0;
}

static int
set_enabled(struct userrec *u, const struct uopts *o, char *hash)
{
	(void)hash;
	u->enabled = o->rec.enabled;
	return 0;
}

static int
user_passwd(struct usertab *t, const char *addr, const struct uopts *o)
{
	if (modify(t, addr, o, set_password) == -1)
		return -1;
	printf("postern: changed the password of %s\n", addr);
	return 0;
}

static int
user_enable(struct usertab *t, const char *addr, const struct uopts *o)
{
	struct uopts on = *o;

	on.rec.enabled = true;
	if (modify(t, addr, &on, set_enabled) == -1)
		return -1;
	printf("postern: enabled %s\n", addr);
	return 0;
}

static int
user_disable(struct usertab *t, const char *addr, const struct uopts *o)
{
	struct uopts off = *o;

	off.rec.enabled = false;
	if (modify(t, addr, &off, set_enabled) == -1)
		return -1;
	printf("postern: disabled %s\n", addr);
	return 0;
}

/* "1g", "512", or "unlimited" for 0. */
static const char *
show_size(uint64_t v, bool bytes, char *out, size_t size)
{
	static const char units[] = "gmk";
	uint64_t mult = 1024ULL * 1024 * 1024;
	size_t i;

	if (v == 0)
		return "unlimited";
	for (i = 0; bytes && i < 3; i++, mult /= 1024) {
		if (v % mult == 0) {
			snprintf(out, size, "%llu%c",
			    (unsigned long long)(v / mult), units[i]);
			return out;
		}
	}
	snprintf(out, size, "%llu", (unsigned long long)v);
	return out;
}

static const char *
password_state(struct span hash)
{
	if (hash.len == 0)
		return "none";
	return passwd_locked(hash) ? "locked" : "set";
}

static int
list_one(void *arg, size_t line, struct span key, struct span value)
{
	int *status = arg;
	struct userrec u;
	struct why why;
	char q[32];
	char m[32];

	(void)line;
	if (userrec_parse(value, &u, &why) == -1) {
		printf("%.*s invalid\n", (int)key.len, (const char *)key.p);
		*status = 1;
		return 0;
	}
	printf("%.*s %s quota=%s messages=%s\n", (int)key.len,
	    (const char *)key.p, u.enabled ? "enabled" : "disabled",
	    show_size(u.quota_bytes, true, q, sizeof(q)),
	    show_size(u.quota_messages, false, m, sizeof(m)));
	return 0;
}

static int
user_list(struct usertab *t, const char *addr, const struct uopts *o)
{
	struct maptext_cb cb = { list_one, NULL, NULL };
	int status = 0;

	(void)addr;
	(void)o;
	cb.arg = &status;
	maptext_parse(buf_span(&t->text), &cb, NULL);
	if (status != 0)
		fprintf(stderr, "postern: %s: some records are invalid (see "
				"postern user show)\n", t->path);
	return status == 0 ? 0 : -1;
}

static int
user_show(struct usertab *t, const char *addr, const struct uopts *o)
{
	struct userrec u;
	struct why why;
	char q[32];
	char m[32];

	(void)o;
	if (userrec_parse(buf_span(&t->value), &u, &why) == -1) {
		fprintf(stderr, "postern: %s:%zu: %s: %s\n", t->path, t->line,
		    addr, why.msg);
		return -1;
	}
	printf("address: %s\npassword: %s\nenabled: %s\nquota: %s\n"
	       "quota-messages: %s\nmailhost: %.*s\nname: %.*s\n",
	    addr, password_state(u.password), u.enabled ? "yes" : "no",
	    show_size(u.quota_bytes, true, q, sizeof(q)),
	    show_size(u.quota_messages, false, m, sizeof(m)),
	    (int)u.mailhost.len, (const char *)u.mailhost.p,
	    (int)u.name.len, (const char *)u.name.p);
	return 0;
}

/* Run sub on the table of the instance in dir.  The exit status. */
static int
run(const char *dir, size_t sub, const char *addr, const struct uopts *o)
{
	struct instance inst;
	struct usertab t;
	int r;

	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	r = usertab_open(&t, &inst, addr);
	if (r == 0 && subs[sub].nargs == 1 && !t.found &&
	    subs[sub].fn != user_add) {
		fprintf(stderr, "postern: %s: no such user\n", addr);
		r = -1;
	}
	if (r == 0)
		r = subs[sub].fn(&t, addr, o);
	usertab_close(&t);
	instance_fini(&inst);
	return r == 0 ? 0 : 1;
}

int
postern_user_add(const char *dir, const char *addr, const char *password)
{
	struct uopts o;

	memset(&o, 0, sizeof(o));
	o.rec.enabled = true;
	o.scheme = PASSWD_YESCRYPT;
	o.password = password;
	return run(dir, 0, addr, &o);
}

int
postern_user(const char *dir, int argc, char **argv)
{
	struct uopts o;
	char addr[255];
	size_t sub;
	int first;

	if (argc < 2)
		return usage();
	for (sub = 0; sub < sizeof(subs) / sizeof(subs[0]); sub++)
		if (strcmp(argv[1], subs[sub].name) == 0)
			break;
	if (sub == sizeof(subs) / sizeof(subs[0]))
		return usage();
	first = parse_options(argc - 1, argv + 1, subs[sub].opts, &o);
	if (first == -1)
		return 2;
	if (argc - 1 - first != subs[sub].nargs)
		return usage();
	if (subs[sub].nargs == 1 && check_address(argv[1 + first], addr) == -1) {
		fprintf(stderr, "postern: bad address (want local@domain, "
				"without blanks, control characters or "
				"':')\n");
		return 2;
	}
	return run(dir, sub, subs[sub].nargs == 1 ? addr : NULL, &o);
}
