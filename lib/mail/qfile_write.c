/*
 * qfile_write.c - write a new queue file into incoming/ durably
 * (format: postern-queue(5); the reader is qfile.c).
 * Linked into: smtpd (on worker threads), tools, tests.
 * Trust: the envelope comes from smtpd, already checked against its
 * limits; lengths are checked again here so that nothing is written
 * that the reader would refuse.  No logging, no global state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "mail/qfile_impl.h"

#define FLUSH_AT 65536
#define CREATE_TRIES 5

struct qfile_writer {
	int fd;				/* owned; -1 once closed */
	enum { W_ENV, W_RCPT, W_CONTENT, W_DONE, W_FAILED } step;
	bool linked;			/* the final name exists */
	char qid[QID_SIZE];
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	struct buf out;			/* bytes not yet written to fd */
	uint64_t written;		/* bytes already written to fd */
	uint64_t env_hash;
	uint64_t body_hash;
	uint64_t content_len;
	size_t nrcpt;
};

void
qfile_env_init(struct qfile_env *e)
{
	struct timeval tv;

	memset(e, 0, sizeof(*e));
	gettimeofday(&tv, NULL);
	e->arrival_sec = (uint64_t)tv.tv_sec;
	e->arrival_usec = (uint32_t)tv.tv_usec;
	e->sender = span_make("", 0);
	e->proto = QFILE_PROTO_ESMTP;
	e->local_uid = QFILE_NO_UID;
	e->ret = QFILE_RET_NONE;
	e->body = QFILE_BODY_7BIT;
}

static int
write_all(struct qfile_writer *w, const unsigned char *p, size_t n,
    struct why *why)
{
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->step = W_FAILED;
			return k == -1 ? why_syserr(why, "write %s", w->tmp) :
					 why_set(why, "write %s: no progress",
					     w->tmp);
		}
		p += k;
		n -= (size_t)k;
		w->written += (uint64_t)k;
	}
	return 0;
}

static int
flush(struct qfile_writer *w, struct why *why)
{
	int r = write_all(w, w->out.p, w->out.len, why);

	buf_reset(&w->out);
	return r;
}

/* Buffer n bytes (hashed into the envelope checksum when hash is set). */
static int
put(struct qfile_writer *w, const void *p, size_t n, bool hash,
    struct why *why)
{
	if (n == 0)
		return 0;
	if (hash)
		w->env_hash = qfile_fnv64(w->env_hash, p, n);
	if (w->out.len + n > FLUSH_AT && flush(w, why) == -1)
		return -1;
	if (n >= FLUSH_AT)
		return write_all(w, p, n, why);
	if (buf_add(&w->out, p, n) == -1) {
		w->step = W_FAILED;
		return why_set(why, "queue file buffer full");
	}
	return 0;
}

static int
put_rec(struct qfile_writer *w, int type, const void *p, size_t n,
    struct why *why)
{
	unsigned char hdr[QF_HDR_LEN];

	if (n > QFILE_MAX_RECORD)
		return why_set(why, "record '%c' longer than %d bytes", type,
		    QFILE_MAX_RECORD);
	hdr[0] = (unsigned char)type;
	qfile_put_be(hdr + 1, n, 4);
	if (put(w, hdr, sizeof(hdr), true, why) == -1)
		return -1;
	return put(w, p, n, true, why);
}

static int
open_tmp(struct qfile_writer *w, const char *queue_dir, const char *state,
    struct why *why)
{
	int i;

	for (i = 0; i < CREATE_TRIES; i++) {
		if (qid_new(w->qid, why) == -1 ||
		    qfile_mkdirs(queue_dir, state, w->qid, why) == -1)
			return -1;
		if (qfile_path(queue_dir, state, w->qid, w->final,
			sizeof(w->final)) == -1 ||
		    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", w->final) >=
			(int)sizeof(w->tmp))
			return why_set(why, "%s: path too long", queue_dir);
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0600);
		if (w->fd != -1)
			return 0;
		if (errno != EEXIST)
			return why_syserr(why, "create %s", w->tmp);
	}
	return why_set(why, "no unused queue id after %d tries",
	    CREATE_TRIES);
}

struct qfile_writer *
qfile_create(const char *queue_dir, struct why *why)
{
	return qfile_create_in(queue_dir, "incoming", why);
}

struct qfile_writer *
qfile_create_in(const char *queue_dir, const char *state, struct why *why)
{
	static const unsigned char header[QF_MAGIC_LEN + 1] = {
		'P', 'O', 'S', 'T', 'E', 'R', 'N', 'Q', QFILE_VERSION
	};
	struct qfile_writer *w = xcalloc(1, sizeof(*w));

	w->fd = -1;
	w->step = W_ENV;
	w->env_hash = QF_FNV64_INIT;
	w->body_hash = QF_FNV64_INIT;
	buf_init(&w->out, 2 * FLUSH_AT);
	if (open_tmp(w, queue_dir, state, why) == -1 ||
	    put_rec(w, QF_REC_HEADER, header, sizeof(header), why) == -1) {
		qfile_abort(&w);
		return NULL;
	}
	return w;
}

const char *
qfile_writer_qid(const struct qfile_writer *w)
{
	return w->qid;
}

static int
put_field(struct qfile_writer *w, const struct qfile_env *e,
    const struct qfile_field *f, struct why *why)
{
	unsigned char num[QF_TIME];
	struct span s;

	if (f->kind == QF_STR) {
		memcpy(&s, (const unsigned char *)e + f->off, sizeof(s));
		if (s.p == NULL && s.len == 0 && !f->required)
			return 0;
		return put_rec(w, f->type, s.p, s.len, why);
	}
	if (f->kind == QF_TIME) {
		qfile_put_be(num, e->arrival_sec, 8);
		qfile_put_be(num + 8, e->arrival_usec, 4);
	} else {
		uint64_t v = qfile_num_get(e, f);

		if (v < f->min || v > f->max)
			return why_set(why, "record '%c' out of range",
			    f->type);
		qfile_put_be(num, v, f->kind);
	}
	return put_rec(w, f->type, num, f->kind, why);
}

int
qfile_set_env(struct qfile_writer *w, const struct qfile_env *e,
    struct why *why)
{
	size_t i;

	if (w->step != W_ENV)
		return why_set(why, "envelope written out of order");
	if (e->arrival_usec >= 1000000)
		return why_set(why, "bad arrival microseconds");
	for (i = 0; i < qfile_nfields; i++)
		if (put_field(w, e, &qfile_fields[i], why) == -1)
			return -1;
	w->step = W_RCPT;
	return 0;
}

/* Pad so that the status field of a record starting here stays inside
 * one sector (postern-queue(5): STATUS UPDATES). */
static int
align_status(struct qfile_writer *w, struct why *why)
{
	static const unsigned char zeros[QF_SECTOR + QF_HDR_LEN];
	uint64_t at = w->written + w->out.len + QF_HDR_LEN;
	size_t pad;

	if (at % QF_SECTOR <= QF_SECTOR - QF_STATUS_LEN)
		return 0;
	pad = QF_SECTOR - (size_t)(at % QF_SECTOR);
	if (pad < QF_HDR_LEN)
		pad += QF_SECTOR;
	return put_rec(w, QF_REC_PAD, zeros, pad - QF_HDR_LEN, why);
}

int
qfile_add_rcpt(struct qfile_writer *w, const struct qfile_rcpt *r,
    struct why *why)
{
	static const struct qfile_status pending = { .state = QFILE_PENDING };
	unsigned char fixed[QF_HDR_LEN + QF_STATUS_LEN + 2];
	unsigned char len[2];
	size_t n = QF_RCPT_FIXED + r->orcpt_type.len + r->addr.len +
	    r->orig.len;

	if (w->step != W_RCPT)
		return why_set(why, "recipient written out of order");
	if (w->nrcpt >= QFILE_MAX_RCPT)
		return why_set(why, "more than %d recipients", QFILE_MAX_RCPT);
	if (r->addr.len == 0 || r->orcpt_type.len > 255 ||
	    r->addr.len > UINT16_MAX || r->orig.len > UINT16_MAX ||
	    n > QFILE_MAX_RECORD || r->notify > 15 ||
	    ((r->notify & QFILE_NOTIFY_NEVER) &&
		r->notify != QFILE_NOTIFY_NEVER))
		return why_set(why, "bad recipient");
	if (align_status(w, why) == -1)
		return -1;
	fixed[0] = QF_REC_RCPT;
	qfile_put_be(fixed + 1, n, 4);
	qfile_status_encode(fixed + QF_HDR_LEN, &pending);
	fixed[QF_HDR_LEN + QF_STATUS_LEN] = r->notify;
	fixed[QF_HDR_LEN + QF_STATUS_LEN + 1] =
	    (unsigned char)r->orcpt_type.len;
	/* The status field is left out of the envelope checksum: it
	 * changes in place and carries its own. */
	if (put(w, fixed, QF_HDR_LEN, true, why) == -1 ||
	    put(w, fixed + QF_HDR_LEN, QF_STATUS_LEN, false, why) == -1 ||
	    put(w, fixed + QF_HDR_LEN + QF_STATUS_LEN, 2, true, why) == -1 ||
	    put(w, r->orcpt_type.p, r->orcpt_type.len, true, why) == -1)
		return -1;
	qfile_put_be(len, r->addr.len, 2);
	if (put(w, len, 2, true, why) == -1 ||
	    put(w, r->addr.p, r->addr.len, true, why) == -1)
		return -1;
	qfile_put_be(len, r->orig.len, 2);
	if (put(w, len, 2, true, why) == -1 ||
	    put(w, r->orig.p, r->orig.len, true, why) == -1)
		return -1;
	w->nrcpt++;
	return 0;
}

int
qfile_write_content(struct qfile_writer *w, struct span chunk,
    struct why *why)
{
	if (w->step == W_RCPT && w->nrcpt > 0) {
		if (put_rec(w, QF_REC_CONTENT, "", 0, why) == -1)
			return -1;
		w->step = W_CONTENT;
	}
	if (w->step != W_CONTENT)
		return why_set(why, "content written out of order");
	w->body_hash = qfile_fnv64(w->body_hash, chunk.p, chunk.len);
	w->content_len += chunk.len;
	return put(w, chunk.p, chunk.len, false, why);
}

static int
sync_and_link(struct qfile_writer *w, struct why *why)
{
	if (fsync(w->fd) == -1)
		return why_syserr(why, "fsync %s", w->tmp);
	if (close(w->fd) == -1) {
		w->fd = -1;
		return why_syserr(why, "close %s", w->tmp);
	}
	w->fd = -1;
	/* link(2), not rename(2): it never replaces an existing file. */
	if (link(w->tmp, w->final) == -1)
		return why_syserr(why, "link %s", w->final);
	w->linked = true;
	if (unlink(w->tmp) == -1)
		return why_syserr(why, "unlink %s", w->tmp);
	return file_sync_dir(w->final, why);
}

int
qfile_commit(struct qfile_writer *w, char qid_out[QID_SIZE],
    struct why *why)
{
	unsigned char end[QF_END_DATA];

	if (w->step == W_RCPT && qfile_write_content(w, span_make("", 0),
		why) == -1)
		return -1;
	if (w->step != W_CONTENT)
		return why_set(why, "commit out of order");
	qfile_put_be(end, w->content_len, 8);
	qfile_put_be(end + 8, w->body_hash, 8);
	qfile_put_be(end + 16, w->env_hash, 8);
	if (put_rec(w, QF_REC_END, end, sizeof(end), why) == -1 ||
	    flush(w, why) == -1 || sync_and_link(w, why) == -1) {
		w->step = W_FAILED;
		return -1;
	}
	w->step = W_DONE;
	snprintf(qid_out, QID_SIZE, "%s", w->qid);
	return 0;
}

void
qfile_abort(struct qfile_writer **wp)
{
	struct qfile_writer *w = *wp;

	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	if (w->step != W_DONE) {
		if (w->tmp[0] != '\0')
			unlink(w->tmp);
		/* A failed commit told the client "try again": take the
		 * message back unless qmgr has already taken it. */
		if (w->linked)
			unlink(w->final);
	}
	buf_fini(&w->out);
	xfree(wp);
}

void
qfile_writer_free(struct qfile_writer **wp)
{
	qfile_abort(wp);
}
