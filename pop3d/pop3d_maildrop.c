/*
 * pop3d_maildrop.c - the maildrop: the INBOX as it was at login, locked
 * against other POP3 sessions; STAT, LIST, UIDL, DELE and RSET on it
 * (RFC 1939 section 5), and the UPDATE state after QUIT (section 6),
 * when the messages marked deleted are expunged through the store (so
 * IMAP sessions see them go) and the messages sent get \Seen.  A session
 * that ends any other way deletes nothing; it still sets \Seen on what
 * it sent, in a last job.
 *
 * The lock is an flock() on pop3.lock in the user's store directory,
 * held by the session's descriptor: one POP3 session per mailbox across
 * every pop3d process, released when the descriptor closes, even by a
 * crash.  IMAP sessions take no part in it.
 *
 * UIDL (RFC 1939 section 7) is the message's UID and the mailbox's
 * UIDVALIDITY as 8 hexadecimal digits each, Dovecot's default format
 * (%08Xu%08Xv), so that clients moved from Dovecot keep what they know.
 *
 * Linked into: pop3d.  Runs as store_owner.  Trust: message numbers are
 * the client's (checked against the maildrop); records come from the
 * store, which checks them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "pop3d.h"

/* The lock file in the user's store directory (postern-store(5)). */
#define POP3D_LOCK_FILE "pop3.lock"

static bool
add_msg(void *arg, const struct store_msg *m)
{
	struct pop3d_maildrop *md = arg;
	struct pop3d_msg *x;

	if (md->n == md->cap) {
		md->cap = md->cap == 0 ? 64 : md->cap * 2;
		md->msg = xreallocarray(md->msg, md->cap, sizeof(*md->msg));
	}
	x = &md->msg[md->n++];
	x->size = m->size;
	x->uid = m->uid;
	x->deleted = false;
	x->seen = (m->flags & STORE_SEEN) != 0;
	x->retrieved = false;
	md->size += m->size;
	return true;
}

/* Take the lock: STORE_OK with the descriptor, STORE_EXISTS when another
 * session holds it. */
static enum store_res
lock(struct store *st, int *fd_out, struct why *why)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", store_dir(st), POP3D_LOCK_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		why_syserr(why, "open %s", path);
		return STORE_TEMP;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		if (e == EWOULDBLOCK) {
			why_set(why, "in use");
			return STORE_EXISTS;
		}
		why_syserr(why, "flock %s", path);
		return STORE_TEMP;
	}
	*fd_out = fd;
	return STORE_OK;
}

enum store_res
pop3d_maildrop_open(struct store *st, struct pop3d_maildrop **out,
    struct why *why)
{
	struct pop3d_maildrop *md = xcalloc(1, sizeof(*md));
	struct store_mailbox m;
	enum store_res r;

	md->lock_fd = -1;
	r = lock(st, &md->lock_fd, why);
	if (r == STORE_OK) {
		r = store_mailbox_get(st, "INBOX", &m, why);
		if (r == STORE_NOTFOUND)
			r = STORE_TEMP;
	}
	if (r == STORE_OK) {
		md->mailbox = m.id;
		md->uidvalidity = m.uidvalidity;
		r = store_msg_list(st, m.id, 1, add_msg, md, why);
	}
	if (r != STORE_OK) {
		pop3d_maildrop_free(&md);
		return r;
	}
	*out = md;
	return STORE_OK;
}

void
pop3d_maildrop_free(struct pop3d_maildrop **mp)
{
	struct pop3d_maildrop *md = *mp;

	if (md == NULL)
		return;
	if (md->lock_fd != -1)
		close(md->lock_fd);
	free(md->msg);
	free(md);
	*mp = NULL;
}

struct pop3d_msg *
pop3d_maildrop_msg(struct pop3d_sess *s, uint32_t msg)
{
	struct pop3d_maildrop *md = s->drop;

	if (msg == 0 || msg > md->n) {
		pop3d_err(s, "No such message");
		return NULL;
	}
	if (md->msg[msg - 1].deleted) {
		pop3d_err(s, "Message %u is deleted", msg);
		return NULL;
	}
	return &md->msg[msg - 1];
}

void
pop3d_stat(struct pop3d_sess *s)
{
	const struct pop3d_maildrop *md = s->drop;

	pop3d_ok(s, "%zu %llu", md->n - md->ndeleted,
	    (unsigned long long)md->size);
}

/* LIST and UIDL: one message's line, or every message not deleted. */
static void
listing(struct pop3d_sess *s, bool uidl)
{
	const struct pop3d_maildrop *md = s->drop;
	struct buf b;
	size_t i;

	if (s->cmd.has_msg) {
		const struct pop3d_msg *m = pop3d_maildrop_msg(s, s->cmd.msg);

		if (m == NULL)
			return;
		if (uidl)
			pop3d_ok(s, "%u %08x%08x", s->cmd.msg, m->uid,
			    md->uidvalidity);
		else
			pop3d_ok(s, "%u %llu", s->cmd.msg,
			    (unsigned long long)m->size);
		return;
	}
	/* A line is at most 10 + 1 + 20 + 2 bytes. */
	buf_init(&b, 64 + (md->n + 1) * 40);
	buf_addf(&b, "+OK %zu messages (%llu octets)\r\n", md->n - md->ndeleted,
	    (unsigned long long)md->size);
	for (i = 0; i < md->n; i++) {
		const struct pop3d_msg *m = &md->msg[i];

		if (m->deleted)
			continue;
		if (uidl)
			buf_addf(&b, "%zu %08x%08x\r\n", i + 1, m->uid,
			    md->uidvalidity);
		else
			buf_addf(&b, "%zu %llu\r\n", i + 1,
			    (unsigned long long)m->size);
	}
	buf_adds(&b, ".\r\n");
	pop3d_write(s, b.p, b.len);
	buf_fini(&b);
	s->errors = 0;
}

void
pop3d_list(struct pop3d_sess *s)
{
	listing(s, false);
}

void
pop3d_uidl(struct pop3d_sess *s)
{
	listing(s, true);
}

void
pop3d_dele(struct pop3d_sess *s)
{
	struct pop3d_msg *m = pop3d_maildrop_msg(s, s->cmd.msg);

	if (m == NULL)
		return;
	m->deleted = true;
	s->drop->ndeleted++;
	s->drop->size -= m->size;
	pop3d_ok(s, "Message %u deleted", s->cmd.msg);
}

void
pop3d_rset(struct pop3d_sess *s)
{
	struct pop3d_maildrop *md = s->drop;
	size_t i;

	for (i = 0; i < md->n; i++)
		if (md->msg[i].deleted) {
			md->msg[i].deleted = false;
			md->size += md->msg[i].size;
		}
	md->ndeleted = 0;
	pop3d_ok(s, "Maildrop has %zu messages (%llu octets)", md->n,
	    (unsigned long long)md->size);
}

/* ---- the end: UPDATE after QUIT, or \Seen only ---- */

struct update_job {
	struct pop3d_sess *s;		/* NULL: the session is gone */
	struct store *st;		/* borrowed from s, or owned */
	struct pop3d_maildrop *drop;	/* likewise */
	char id[16];
	uint32_t *del;			/* UIDs to expunge */
	size_t ndel;
	uint32_t *seen;			/* UIDs to set \Seen on */
	size_t nseen;
	enum store_res res;		/* of the expunge */
	struct why why;
};

/* The UIDs to expunge (with expunge) and to set \Seen on. */
static struct update_job *
update_new(struct pop3d_sess *s, bool expunge)
{
	struct update_job *j = xcalloc(1, sizeof(*j));
	const struct pop3d_maildrop *md = s->drop;
	size_t i;

	snprintf(j->id, sizeof(j->id), "%s", s->id);
	j->st = s->store;
	j->drop = s->drop;
	j->del = xcalloc(md->n + 1, sizeof(*j->del));
	j->seen = xcalloc(md->n + 1, sizeof(*j->seen));
	for (i = 0; i < md->n; i++) {
		const struct pop3d_msg *m = &md->msg[i];

		if (expunge && m->deleted)
			j->del[j->ndel++] = m->uid;
		else if (m->retrieved && !m->seen)
			j->seen[j->nseen++] = m->uid;
	}
	return j;
}

static void
update_work(void *arg)
{
	struct update_job *j = arg;
	struct store_flags fl = { STORE_FLAGS_ADD, STORE_SEEN, NULL, 0, 0 };
	struct why why;

	/* RFC 1939 does not speak of \Seen; Dovecot sets it on what RETR
	 * sent, and mail clients that also use IMAP expect that. */
	if (j->nseen > 0 && store_flags_change(j->st, j->drop->mailbox,
				j->seen, j->nseen, &fl, NULL, NULL, &why) !=
			STORE_OK)
		log_warn("%s: setting \\Seen: %s", j->id, why.msg);
	j->res = STORE_OK;
	if (j->ndel > 0)
		j->res = store_expunge(j->st, j->drop->mailbox, j->del, j->ndel,
		    NULL, NULL, &j->why);
}

static void
update_free(void *arg)
{
	struct update_job *j = arg;

	if (j->s == NULL) {
		pop3d_maildrop_free(&j->drop);
		store_free(&j->st);
	}
	free(j->del);
	free(j->seen);
	free(j);
}

static void
update_done(void *arg)
{
	struct update_job *j = arg;
	struct pop3d_sess *s = j->s;
	size_t left = s->drop->n - s->drop->ndeleted;

	/* Done with the maildrop: the lock goes now, after the expunge. */
	pop3d_maildrop_free(&s->drop);
	if (j->res != STORE_OK) {
		log_warn("%s: expunge: %s", s->id, j->why.msg);
		if (!s->ended)
			pop3d_err(s, "[SYS/TEMP] The deleted messages could "
				     "not be removed");
	} else {
		if (j->ndel > 0)
			log_info("%s: deleted %zu messages", s->id, j->ndel);
		if (!s->ended)
			pop3d_ok(s, "Logging out (%zu messages left)", left);
	}
	if (!s->ended)
		pop3d_close(s);
	update_free(j);
	pop3d_job_end(s);
}

/* The pool is full: still in TRANSACTION (the -ERR is sent). */
static void
update_release(void *arg)
{
	struct update_job *j = arg;

	j->s->state = POP3D_TRANSACTION;
	update_free(j);
}

void
pop3d_update(struct pop3d_sess *s)
{
	struct update_job *j = update_new(s, true);
	size_t left = s->drop->n - s->drop->ndeleted;

	j->s = s;
	s->state = POP3D_UPDATE;
	if (j->ndel == 0 && j->nseen == 0) {
		update_free(j);
		pop3d_maildrop_free(&s->drop);
		pop3d_ok(s, "Logging out (%zu messages left)", left);
		pop3d_close(s);
		return;
	}
	pop3d_job(s, update_work, update_done, update_release, j);
}

void
pop3d_maildrop_end(struct pop3d_sess *s)
{
	struct update_job *j;

	if (s->drop == NULL) {
		store_free(&s->store);
		return;
	}
	j = update_new(s, false);
	s->store = NULL;
	s->drop = NULL;
	if (j->nseen == 0) {
		update_free(j);
		return;
	}
	/* At the end of the process, the pool is gone: at once. */
	if (s->d->stopping) {
		update_work(j);
		update_free(j);
		return;
	}
	if (worker_submit(s->d->pool, update_work, update_free, j) == -1) {
		log_warn("%s: no worker: \\Seen not set on %zu messages", s->id,
		    j->nseen);
		update_free(j);
	}
}
