/*
 * master_listen.c - the listening sockets, shared by address across
 * reloads so that a service whose address did not change never stops
 * accepting.
 * Linked into: master.  Trust: addresses come from master.conf.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/net.h"
#include "base/xmem.h"
#include "master.h"

static struct master_listener *
find(struct master *m, enum mastercf_type type, const char *addr)
{
	struct master_listener *l;

	for (l = m->listeners; l != NULL; l = l->next)
		if (l->type == type && strcmp(l->addr, addr) == 0)
			return l;
	return NULL;
}

static int
open_listener(struct master *m, enum mastercf_type type, const char *addr,
    char **unix_path_out, struct why *why)
{
	struct net_addr na;
	struct net_addr res;
	struct why inner;
	size_t n;

	if (net_addr_parse(span_str(addr), &na, &inner) == -1)
		return why_set(why, "%s: %s", addr, inner.msg);
	/* A host name listens on its first address. */
	if (na.kind == NET_NAME) {
		if (net_addr_resolve(&na, &res, 1, &n, &inner) == -1)
			return why_set(why, "%s: %s", addr, inner.msg);
		na = res;
	}
	if ((type == MASTERCF_UNIX) != (na.kind == NET_UNIX))
		return why_set(why, "%s: %s", addr, type == MASTERCF_UNIX ?
		    "a unix service needs a socket path" :
		    "an inet service needs host:port");
	*unix_path_out = type == MASTERCF_UNIX ? xstrdup(na.path) : NULL;
	/* The socket's directory decides who may connect. */
	return net_listen(&na, (int)m->inst.params.service_listen_backlog,
	    0666, why);
}

/* A socket in $queue_directory/public/ is for every local user. */
static bool
is_public(const struct master *m, const char *path)
{
	const char *q = m->inst.params.queue_directory;
	size_t n = strlen(q);

	return strncmp(path, q, n) == 0 && strncmp(path + n, "/public/", 8) ==
	    0 && strchr(path + n + 8, '/') == NULL;
}

/*
 * As root, a unix socket belongs to its service's user and group, mode
 * 0660: members of that group may connect (authd(8)); a socket in
 * $queue_directory/public/ stays 0666 (sendmail(1) for every user).
 * Otherwise 0666, and the directory decides.
 */
static int
set_owner(const struct master *m, const struct master_listener *l,
    const struct master_owner *o, struct why *why)
{
	if (l->unix_path == NULL || o == NULL)
		return 0;
	if (chown(l->unix_path, o->uid, o->gid) == -1 ||
	    chmod(l->unix_path, is_public(m, l->unix_path) ? 0666 : 0660) ==
		-1)
		return why_syserr(why, "%s", l->unix_path);
	return 0;
}

int
master_listen_claim(struct master *m, enum mastercf_type type,
    const char *addr, const struct master_owner *owner, struct why *why)
{
	struct master_listener *l = find(m, type, addr);
	char *unix_path = NULL;
	int fd;

	if (l != NULL) {
		l->in_use = true;
		return set_owner(m, l, owner, why) == -1 ? -1 : l->fd;
	}
	fd = open_listener(m, type, addr, &unix_path, why);
	if (fd == -1) {
		free(unix_path);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->type = type;
	l->addr = xstrdup(addr);
	l->unix_path = unix_path;
	l->fd = fd;
	l->in_use = true;
	l->next = m->listeners;
	m->listeners = l;
	log_debug("listening on %s", addr);
	return set_owner(m, l, owner, why) == -1 ? -1 : fd;
}

void
master_listen_unclaim_all(struct master *m)
{
	struct master_listener *l;

	for (l = m->listeners; l != NULL; l = l->next)
		l->in_use = false;
}

static void
close_listener(struct master_listener *l)
{
	close(l->fd);
	if (l->unix_path != NULL)
		unlink(l->unix_path);
	free(l->unix_path);
	free(l->addr);
	free(l);
}

void
master_listen_sweep(struct master *m)
{
	struct master_listener **lp = &m->listeners;

	while (*lp != NULL) {
		struct master_listener *l = *lp;

		if (l->in_use) {
			lp = &l->next;
			continue;
		}
		log_info("closing listener %s", l->addr);
		*lp = l->next;
		close_listener(l);
	}
}

void
master_listen_close_all(struct master *m)
{
	master_listen_unclaim_all(m);
	while (m->listeners != NULL) {
		struct master_listener *l = m->listeners;

		m->listeners = l->next;
		close_listener(l);
	}
}
