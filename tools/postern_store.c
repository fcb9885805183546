/*
 * postern_store.c - "postern store": check, repair and inspect users'
 * mailbox stores (postern-store(5)).
 *
 *   postern [-c DIR] store check [-n] [USER]   (every user without USER)
 *   postern [-c DIR] store rebuild USER
 *   postern [-c DIR] store stats USER
 *   postern [-c DIR] store quota USER
 *
 * Linked into: postern.  Runs as root (it then becomes store_owner
 * before it touches a store) or as the instance's owner.  Trust:
 * arguments are the admin's; stores may be damaged.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "postern.h"
#include "store/store.h"

static int
usage(void)
{
	fprintf(stderr, "usage: postern [-c DIR] store check [-n] [USER]\n"
			"       postern [-c DIR] store rebuild | stats | quota "
			"USER\n");
	return 2;
}

static int
check_user(const struct store_conf *conf, const char *user, bool repair)
{
	struct store *s;
	struct store_report rep;
	struct why why = { "" };
	bool bad;

	if (store_open(conf, user, &s, &why) != STORE_OK ||
	    store_check(s, repair, &rep, &why) != STORE_OK) {
		fprintf(stderr, "postern: %s: %s\n", user, why.msg);
		store_free(&s);
		return 1;
	}
	store_free(&s);
	bad = rep.orphans > 0 || rep.missing > 0 || rep.bad_counters > 0;
	printf("%s: messages=%llu orphans=%llu missing=%llu bad_counters=%llu"
	       "%s\n", user, (unsigned long long)rep.messages,
	    (unsigned long long)rep.orphans, (unsigned long long)rep.missing,
	    (unsigned long long)rep.bad_counters, !bad ? "" : repair ?
	    " (repaired)" : "");
	return bad ? 1 : 0;
}

/* A hash level's name: two lower-case hexadecimal digits. */
static bool
hash_name(const char *name)
{
	return strlen(name) == 2 && strspn(name, "0123456789abcdef") == 2;
}

/* Every user directory: ROOT/xx/yy/USER. */
static int
check_all(const struct store_conf *conf, bool repair)
{
	char path[4200];
	DIR *d1 = opendir(conf->root);
	struct dirent *a;
	int status = 0;

	if (d1 == NULL) {
		perror(conf->root);
		return 1;
	}
	while ((a = readdir(d1)) != NULL) {
		DIR *d2;
		struct dirent *b;

		if (!hash_name(a->d_name) || (snprintf(path, sizeof(path),
			"%s/%s", conf->root, a->d_name),
			(d2 = opendir(path)) == NULL))
			continue;
		while ((b = readdir(d2)) != NULL) {
			DIR *d3;
			struct dirent *c;
			char sub[4500];

			snprintf(sub, sizeof(sub), "%s/%s", path, b->d_name);
			if (!hash_name(b->d_name) || (d3 = opendir(sub)) == NULL)
				continue;
			while ((c = readdir(d3)) != NULL) {
				struct buf user;

				buf_init(&user, 1024);
				if (c->d_name[0] != '.' &&
				    store_user_name(c->d_name, &user) == 0)
					status |= check_user(conf,
					    buf_str(&user), repair);
				buf_fini(&user);
			}
			closedir(d3);
		}
		closedir(d2);
	}
	closedir(d1);
	return status;
}

static bool
print_box(void *arg, const struct store_mailbox *m)
{
	static const char *const roles[] = { "", " \\Sent", " \\Drafts",
		" \\Trash", " \\Junk", " \\Archive" };

	(void)arg;
	printf("%s: messages=%u unseen=%u size=%llu uidvalidity=%u uidnext=%u"
	       " highestmodseq=%llu%s%s%s\n", m->name, m->messages, m->unseen,
	    (unsigned long long)m->size, m->uidvalidity, m->uidnext,
	    (unsigned long long)m->highestmodseq, roles[m->role],
	    m->noselect ? " \\Noselect" : "",
	    m->subscribed ? " subscribed" : "");
	return true;
}

static int
inspect(const struct store_conf *conf, const char *what, const char *user)
{
	struct store *s;
	struct store_usage u;
	struct why why = { "" };
	enum store_res r = store_open(conf, user, &s, &why);

	if (r == STORE_OK && strcmp(what, "stats") == 0)
		r = store_mailbox_list(s, print_box, NULL, &why);
	else if (r == STORE_OK && (r = store_usage(s, &u, &why)) == STORE_OK)
		printf("%s: bytes=%llu messages=%llu\n", user,
		    (unsigned long long)u.bytes,
		    (unsigned long long)u.messages);
	store_free(&s);
	if (r != STORE_OK) {
		fprintf(stderr, "postern: %s: %s\n", user, why.msg);
		return 1;
	}
	return 0;
}

int
postern_store(const char *dir, int argc, char **argv)
{
	struct instance inst;
	struct store_conf conf;
	struct why why = { "" };
	bool repair = true;
	int status;

	/* "check -n [USER]": drop the -n (argv[argc] is NULL). */
	if (argc >= 3 && strcmp(argv[1], "check") == 0 &&
	    strcmp(argv[2], "-n") == 0) {
		repair = false;
		argv[2] = argv[3];
		argc--;
	}
	if (argc < 2 || argc > 3 || (argc == 2 && strcmp(argv[1], "check")) ||
	    (argc == 3 && argv[2][0] == '-'))
		return usage();
	if (strcmp(argv[1], "check") && strcmp(argv[1], "rebuild") &&
	    strcmp(argv[1], "stats") && strcmp(argv[1], "quota"))
		return usage();
	if (postern_load(&inst, dir, NULL, 0) == -1)
		return 2;
	store_conf_init(&conf, &inst.params);
	if (postern_become(inst.params.store_owner) == -1)
		status = 2;
	else if (strcmp(argv[1], "check") == 0)
		status = argc == 3 ? check_user(&conf, argv[2], repair) :
				     check_all(&conf, repair);
	else if (strcmp(argv[1], "rebuild") == 0) {
		status = store_rebuild(&conf, argv[2], &why) == STORE_OK ? 0 : 1;
		if (status != 0)
			fprintf(stderr, "postern: %s: %s\n", argv[2], why.msg);
	} else
		status = inspect(&conf, argv[1], argv[2]);
	instance_fini(&inst);
	return status;
}
