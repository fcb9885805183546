/*
 * postern_usertab.c - the text file behind the users table for "postern
 * user": locate, read and check it, rewrite one entry keeping every
 * other line, install it and the rebuilt table with safe owners and
 * modes; and read a password from stdin or the terminal.
 * Linked into: postern.  Runs as root (system instance) or the owner of
 * the instance.  Trust: the files are the admin's; the password is a
 * secret and every copy of it is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "auth/passwd.h"
#include "base/file.h"
#include "base/xmem.h"
#include "mail/dict_build.h"
#include "mail/maptext.h"
#include "postern_user.h"

/* Largest users text file handled. */
#define USERTAB_MAX_TEXT ((size_t)256 << 20)
#define USERTAB_MODE 0640

/* Split spec into type and path; refuse what cannot be edited here. */
static int
parse_spec(struct usertab *t, const char *spec, struct why *why)
{
	const char *colon = strchr(spec, ':');
	size_t tlen = colon != NULL ? (size_t)(colon - spec) : 0;

	if (strpbrk(spec, ", \t") != NULL)
		return why_set(why, "virtual_mailbox_maps = %s: postern user "
				    "edits a single table", spec);
	if (colon == NULL || spec[0] == '/') {
		t->type = xstrdup("hash");
		t->path = xstrdup(spec);
	} else if ((tlen == 4 && strncmp(spec, "hash", 4) == 0) ||
	    (tlen == 4 && strncmp(spec, "lmdb", 4) == 0)) {
		t->type = xstrndup(spec, tlen);
		t->path = xstrdup(colon + 1);
	} else if (tlen == 4 && strncmp(spec, "ldap", 4) == 0) {
		return why_set(why, "users in ldap: tables are managed in the "
				    "directory");
	} else {
		return why_set(why, "%.*s: tables cannot be changed by "
				    "postern user", (int)tlen, spec);
	}
	if (t->path[0] == '\0')
		return why_set(why, "%s: no file name", spec);
	return 0;
}

static int
locate(struct usertab *t, const struct instance *inst, struct why *why)
{
	const char *spec = cfg_value(inst->cfg, "virtual_mailbox_maps");
	char def[4096];

	if (spec == NULL) {
		if (snprintf(def, sizeof(def), "hash:%s/users",
			inst->params.config_directory) >= (int)sizeof(def))
			return why_set(why, "config_directory too long");
		spec = def;
	}
	return parse_spec(t, spec, why);
}

static void
on_diag(void *arg, size_t line, bool is_error, const char *reason)
{
	struct usertab *t = arg;

	fprintf(stderr, "postern: %s%s:%zu: %s\n",
	    is_error ? "" : "warning: ", t->path, line, reason);
	t->errors += is_error;
}

static int
on_entry(void *arg, size_t line, struct span key, struct span value)
{
	struct usertab *t = arg;

	if (t->key == NULL || t->found || !span_eq_nocase(key, t->key))
		return 0;
	t->found = true;
	t->line = line;
	return buf_set(&t->value, value.p, value.len);
}

int
usertab_open(struct usertab *t, const struct instance *inst,
    const char *key)
{
	struct maptext_cb cb = { on_entry, on_diag, t };
	struct why why;

	memset(t, 0, sizeof(*t));
	buf_init(&t->text, USERTAB_MAX_TEXT);
	buf_init(&t->value, MAPTEXT_MAX_VALUE + 1);
	t->key = key;
	t->auth_owner = inst->params.auth_owner;
	if (locate(t, inst, &why) == -1 ||
	    file_read(t->path, &t->text, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	maptext_parse(buf_span(&t->text), &cb, NULL);
	if (t->errors > 0) {
		fprintf(stderr, "postern: %s: fix the lines above first\n",
		    t->path);
		return -1;
	}
	return 0;
}

void
usertab_close(struct usertab *t)
{
	xfree(&t->type);
	xfree(&t->path);
	buf_fini(&t->text);
	buf_fini(&t->value);
}

/* The blanks of the text table format (maptext.h), and the newline. */
static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
	    c == '\v' || c == '\n';
}

enum line_kind { L_OTHER, L_CONT, L_ENTRY };

/* As maptext sees a line: comment or blank, continuation, new entry. */
static enum line_kind
line_kind(struct span l)
{
	size_t i = 0;

	while (i < l.len && is_blank(l.p[i]))
		i++;
	if (i == l.len || l.p[i] == '#')
		return L_OTHER;
	return i == 0 ? L_ENTRY : L_CONT;
}

static struct span
line_key(struct span l)
{
	size_t i = 0;

	while (i < l.len && !is_blank(l.p[i]))
		i++;
	return span_sub(l, 0, i);
}

/* The new text (see usertab_save) into out.  0, or -1 when too big. */
static int
rewrite(const struct usertab *t, size_t line, const char *repl,
    struct buf *out)
{
	struct span rest = buf_span(&t->text);
	struct span l;
	bool drop = false;
	size_t n = 0;
	long nl;
	int r = 0;

	while (rest.len > 0) {
		nl = span_chr(rest, '\n');
		l = span_sub(rest, 0, nl == -1 ? rest.len : (size_t)nl + 1);
		rest = span_sub(rest, l.len, rest.len);
		n++;
		if (line_kind(l) == L_ENTRY) {
			drop = n == line || (repl == NULL &&
						span_eq_nocase(line_key(l),
						    t->key));
			if (n == line && repl != NULL)
				r |= buf_addf(out, "%s\n", repl);
		}
		if (!drop || line_kind(l) == L_OTHER)
			r |= buf_addspan(out, l);
	}
	if (line == 0 && out->len > 0 && out->p[out->len - 1] != '\n')
		r |= buf_addc(out, '\n');
	if (line == 0)
		r |= buf_addf(out, "%s\n", repl);
	return r == 0 ? 0 : -1;
}

/* Mode 0640 and, as root, owner root and group gid (-1: not root). */
static int
set_owner(const char *path, gid_t gid)
{
	if ((gid != (gid_t)-1 && chown(path, 0, gid) == -1) ||
	    chmod(path, USERTAB_MODE) == -1) {
		fprintf(stderr, "postern: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Build errors name the private copy; report them against the file. */
static void
build_diag(void *arg, size_t line, bool is_error, const char *msg)
{
	struct usertab *t = arg;
	const char *reason = strstr(msg, ": ");

	fprintf(stderr, "postern: %s%s:%zu: %s\n",
	    is_error ? "" : "warning: ", t->path, line,
	    reason != NULL ? reason + 2 : msg);
}

/* "DIR/.BASE.XXXXXX" made with mode 0700, next to the text file. */
static int
make_private_dir(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL)
		n = snprintf(out, size, "./.%s.XXXXXX", path);
	else
		n = snprintf(out, size, "%.*s/.%s.XXXXXX",
		    (int)(slash - path), path, slash + 1);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "postern: %s: path too long\n", path);
		return -1;
	}
	if (mkdtemp(out) == NULL) {
		fprintf(stderr, "postern: mkdtemp %s: %s\n", out,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct paths {
	char tmp[4096];		/* private directory */
	char src[4096];		/* tmp/BASE: what dict_build is told */
	char built[4096];	/* tmp/BASE.SUFFIX */
	char final[4096];	/* PATH.SUFFIX */
};

static int
make_paths(const struct usertab *t, struct paths *p)
{
	const char *suffix = strcmp(t->type, "lmdb") == 0 ? "lmdb" : "db";
	const char *base = strrchr(t->path, '/');

	base = base != NULL ? base + 1 : t->path;
	if (snprintf(p->src, sizeof(p->src), "%s/%s", p->tmp, base) >=
		(int)sizeof(p->src) ||
	    snprintf(p->built, sizeof(p->built), "%s.%s", p->src, suffix) >=
		(int)sizeof(p->built) ||
	    snprintf(p->final, sizeof(p->final), "%s.%s", t->path, suffix) >=
		(int)sizeof(p->final)) {
		fprintf(stderr, "postern: %s: path too long\n", t->path);
		return -1;
	}
	return 0;
}

/*
 * Build the table as p->built, set its owner and mode there (no one
 * else can enter p->tmp), replace the text file, then move the table
 * into place.  The text goes first, so a failure in between leaves a
 * text newer than its table, which postern map fixes.
 */
static int
install(struct usertab *t, struct span text, const struct paths *p,
    gid_t gid)
{
	struct dict_build_report rep = { build_diag, t, 0, 0, 0 };
	struct why why;

	if (dict_build_text(t->type, p->src, text, &rep, &why) == -1) {
		if (rep.errors == 0)
			fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	if (set_owner(p->built, gid) == -1)
		return -1;
	if (file_write_atomic(t->path, text, USERTAB_MODE, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	if (set_owner(t->path, gid) == -1)
		return -1;
	if (rename(p->built, p->final) == -1) {
		fprintf(stderr, "postern: rename %s to %s: %s\n", p->built,
		    p->final, strerror(errno));
		return -1;
	}
	if (file_sync_dir(p->final, &why) == -1) {
		fprintf(stderr, "postern: %s\n", why.msg);
		return -1;
	}
	return 0;
}

/* The group files get: auth_owner's as root, -1 (keep) otherwise. */
static int
file_group(const struct usertab *t, gid_t *gid_out)
{
	struct passwd *pw;

	*gid_out = (gid_t)-1;
	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(t->auth_owner)) == NULL) {
		fprintf(stderr, "postern: auth_owner %s: no such user "
				"(postern start creates it)\n", t->auth_owner);
		return -1;
	}
	*gid_out = pw->pw_gid;
	return 0;
}

int
usertab_save(struct usertab *t, size_t line, const char *repl)
{
	struct paths *p = xcalloc(1, sizeof(*p));
	struct buf out;
	gid_t gid;
	int r = -1;

	buf_init(&out, USERTAB_MAX_TEXT);
	if (rewrite(t, line, repl, &out) == -1)
		fprintf(stderr, "postern: %s: too large\n", t->path);
	else if (file_group(t, &gid) == 0 &&
	    make_private_dir(t->path, p->tmp, sizeof(p->tmp)) == 0) {
		if (make_paths(t, p) == 0)
			r = install(t, buf_span(&out), p, gid);
		if (p->built[0] != '\0')
			(void)unlink(p->built);
		if (rmdir(p->tmp) == -1)
			fprintf(stderr, "postern: rmdir %s: %s\n", p->tmp,
			    strerror(errno));
	}
	buf_fini(&out);
	xfree(&p);
	return r;
}

/*
 * One line from fd into pw (size bytes): the newline (and a CR before
 * it) is not kept.  Read a byte at a time so that no stdio buffer holds
 * a copy.  0, or -1 with why.
 */
static int
read_line(int fd, char *pw, size_t size, struct why *why)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return why_syserr(why, "reading the password");
		if (r == 0 || c == '\n')
			break;
		if (c == '\0' || n + 1 >= size) {
			secret_wipe(&c, 1);
			return why_set(why, "password longer than %d bytes or "
					    "holding a NUL", PASSWD_MAX_LEN);
		}
		pw[n++] = c;
	}
	secret_wipe(&c, 1);
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	return 0;
}

/* Prompt on the terminal fd and read a line with echo off. */
static int
read_quiet(int fd, const char *prompt, char *pw, size_t size,
    struct why *why)
{
	struct termios old;
	struct termios quiet;
	int r;

	if (tcgetattr(fd, &old) == -1)
		return why_syserr(why, "/dev/tty");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1)
		return why_syserr(why, "/dev/tty");
	if (write(fd, prompt, strlen(prompt)) == -1)
		r = why_syserr(why, "/dev/tty");
	else
		r = read_line(fd, pw, size, why);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) == -1)
		r = why_syserr(why, "/dev/tty");
	return r;
}

int
usertab_password(bool from_stdin, char *pw, size_t size, struct why *why)
{
	char again[PASSWD_MAX_LEN + 2];
	int fd;
	int r;

	if (from_stdin)
		return read_line(STDIN_FILENO, pw, size, why);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return why_syserr(why, "/dev/tty (use --password-stdin)");
	r = read_quiet(fd, "Password: ", pw, size, why);
	if (r == 0)
		r = read_quiet(fd, "Again: ", again, sizeof(again), why);
	if (r == 0 && !passwd_equal(pw, strlen(pw), again, strlen(again)))
		r = why_set(why, "the passwords do not match");
	secret_wipe(again, sizeof(again));
	close(fd);
	return r;
}
