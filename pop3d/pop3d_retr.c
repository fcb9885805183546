/*
 * pop3d_retr.c - RETR and TOP (RFC 1939 section 7): the message read
 * from its file in the store and sent as a multi-line response (a dot
 * doubled at the start of each line, ".CRLF" at the end: lib/mail/
 * smtpstuff), exactly as stored otherwise: 8-bit bytes, NULs and lines
 * of any length.  TOP sends the header, the empty line and the first n
 * lines of the body (lib/mail/pop3top).  RETR sets \Seen on the message,
 * at the end of the session (pop3d_maildrop.c); TOP does not.
 *
 * The work runs on a worker, a chunk at a time, and never holds a whole
 * message: a batch reads and encodes up to POP3D_RETR_CHUNK bytes, and
 * the next one starts only when the client has read all but
 * POP3D_RETR_LOW bytes of the output (the connection's drain callback),
 * so a slow reader holds about a chunk and a half of pop3d's memory.
 *
 * Linked into: pop3d.  Trust: the message number is the client's
 * (checked against the maildrop); the file is the store's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/pop3top.h"
#include "mail/smtpstuff.h"
#include "pop3d.h"

/* Output of one batch, at most (about). */
#define POP3D_RETR_CHUNK (256 * 1024)
/* The next batch is prepared once the client has left no more than this
 * of the output unread (so that the connection does not run dry). */
#define POP3D_RETR_LOW (64 * 1024)

struct retr_job {
	struct pop3d_sess *s;
	struct store *st;		/* borrowed: s->store */
	uint32_t mailbox;
	uint32_t msgno;
	uint32_t uid;
	uint64_t size;
	bool top;
	struct pop3top cut;		/* TOP */
	int fd;				/* the message file, or -1 */
	uint64_t off;			/* read up to here */
	bool eof;			/* nothing more to read */
	struct buf in;			/* read, not yet encoded from in_at */
	size_t in_at;
	size_t in_room;			/* reserved in in: read at most */
	struct smtpstuff stuff;
	struct buf out;			/* this batch's output */
	bool started;
	bool finished;			/* ".CRLF" is in out */
	bool notfound;			/* expunged by another session */
	bool failed;			/* before the +OK: -ERR */
	bool broken;			/* inside the response: the end */
	struct why why;
};

/* The next bytes of the message into j->in.  0, or -1 with why. */
static int
fill(struct retr_job *j)
{
	ssize_t r;

	buf_reset(&j->in);
	j->in_at = 0;
	do
		r = pread(j->fd, j->in.p, j->in_room, (off_t)j->off);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return why_syserr(&j->why, "pread");
	if (r == 0) {
		j->eof = true;
		return 0;
	}
	j->off += (uint64_t)r;
	j->in.len = (size_t)r;
	if (j->top) {
		j->in.len = pop3top_take(&j->cut, buf_span(&j->in));
		j->eof = j->cut.done;
	}
	return 0;
}

/* Start: open the file, the +OK line. */
static void
start(struct retr_job *j)
{
	enum store_res r = store_msg_open(j->st, j->mailbox, j->uid, &j->fd,
	    &j->why);

	j->started = true;
	if (r == STORE_NOTFOUND) {
		j->notfound = true;
		return;
	}
	if (r != STORE_OK) {
		j->failed = true;
		return;
	}
	if (j->top)
		buf_adds(&j->out, "+OK Top of message follows\r\n");
	else
		buf_addf(&j->out, "+OK %llu octets\r\n",
		    (unsigned long long)j->size);
}

static void
retr_work(void *arg)
{
	struct retr_job *j = arg;

	if (!j->started) {
		start(j);
		if (j->notfound || j->failed)
			return;
	}
	while (!j->finished && j->out.len < POP3D_RETR_CHUNK) {
		if (j->in_at < j->in.len) {
			struct span rest = span_make(j->in.p + j->in_at,
			    j->in.len - j->in_at);

			j->in_at += smtpstuff_encode(&j->stuff, rest, &j->out,
			    POP3D_RETR_CHUNK + 16);
		} else if (!j->eof) {
			if (fill(j) == -1) {
				j->broken = true;
				return;
			}
		} else {
			/* The out buffer has room for the end marker. */
			if (smtpstuff_finish(&j->stuff, &j->out) == -1)
				log_panic("pop3d: no room for the end marker");
			j->finished = true;
		}
	}
}

static void
retr_free(void *arg)
{
	struct retr_job *j = arg;

	if (j->fd != -1)
		close(j->fd);
	buf_fini(&j->in);
	buf_fini(&j->out);
	free(j);
}

static void retr_done(void *arg);

/* The client has read enough of the last batch: the next one. */
static void
retr_next(void *arg)
{
	struct retr_job *j = arg;
	struct pop3d_sess *s = j->s;

	if (worker_submit(s->d->pool, retr_work, retr_done, j) == 0)
		return;
	/* Inside the response nothing else may be said. */
	log_warn("%s: RETR: no worker to go on with", s->id);
	pop3d_close(s);
	retr_free(j);
	pop3d_job_end(s);
}

static void
retr_done(void *arg)
{
	struct retr_job *j = arg;
	struct pop3d_sess *s = j->s;

	if (s->ended) {
		retr_free(j);
		pop3d_job_end(s);
		return;
	}
	pop3d_write(s, j->out.p, j->out.len);
	buf_reset(&j->out);
	if (j->notfound) {
		pop3d_err(s, "Message %u is gone (expunged by another session)",
		    j->msgno);
	} else if (j->failed) {
		log_warn("%s: RETR of UID %u: %s", s->id, j->uid, j->why.msg);
		pop3d_err(s, "[SYS/TEMP] Cannot read message %u now", j->msgno);
	} else if (j->broken) {
		/* The client cannot tell a cut response from a whole one
		 * unless the connection ends. */
		log_warn("%s: RETR of UID %u: %s; closing", s->id, j->uid,
		    j->why.msg);
		pop3d_close(s);
	} else if (!j->finished) {
		mailjob_wait_output(&s->job, POP3D_RETR_LOW, retr_next, retr_free, j);
		return;
	} else {
		s->errors = 0;
		if (!j->top)
			s->drop->msg[j->msgno - 1].retrieved = true;
	}
	retr_free(j);
	pop3d_job_end(s);
}

void
pop3d_retr(struct pop3d_sess *s)
{
	const struct pop3d_msg *m = pop3d_maildrop_msg(s, s->cmd.msg);
	struct retr_job *j;

	if (m == NULL)
		return;
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->st = s->store;
	j->mailbox = s->drop->mailbox;
	j->msgno = s->cmd.msg;
	j->uid = m->uid;
	j->size = m->size;
	j->top = s->cmd.verb == POP3CMD_TOP;
	pop3top_init(&j->cut, s->cmd.lines);
	smtpstuff_init(&j->stuff);
	j->fd = -1;
	/* Most messages are small: a buffer their size (the read that
	 * finds the end then reads nothing), not a chunk's mapping each. */
	j->in_room = m->size < POP3D_RETR_CHUNK ? (size_t)m->size + 1 :
						  POP3D_RETR_CHUNK;
	buf_init(&j->in, POP3D_RETR_CHUNK);
	buf_reserve(&j->in, j->in_room);
	buf_init(&j->out, 2 * POP3D_RETR_CHUNK);
	pop3d_job(s, retr_work, retr_done, retr_free, j);
}
