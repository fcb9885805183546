/*
 * qfile.h - queue files: smtpd writes them, qmgr reads them and records
 * per-recipient results in place (format: postern-queue(5)).
 * Linked into: smtpd (write), qmgr (read, status updates), tools, the
 * qfile fuzz target.  Trust: files are ours but may be torn by a crash or
 * damaged on disk; every record is length-checked on read and a bad file
 * is refused with a reason, so that qmgr can move it to corrupt/.
 */
#ifndef POSTERN_QFILE_H
#define POSTERN_QFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/why.h"
#include "mail/qid.h"

#define QFILE_VERSION 1
#define QFILE_MAX_RCPT 100000
/* Largest envelope record body (postern-queue(5): LIMITS). */
#define QFILE_MAX_RECORD 65536
#define QFILE_NO_UID 0xffffffffu
/* A DSN status code "c.sss.ddd" and its NUL. */
#define QFILE_DSN_SIZE 12

enum qfile_proto {
	QFILE_PROTO_SMTP = 1, QFILE_PROTO_ESMTP, QFILE_PROTO_ESMTPS,
	QFILE_PROTO_ESMTPA, QFILE_PROTO_ESMTPSA, QFILE_PROTO_LMTP,
	QFILE_PROTO_LOCAL
};
enum qfile_body { QFILE_BODY_7BIT, QFILE_BODY_8BITMIME, QFILE_BODY_BINARY };
enum qfile_ret { QFILE_RET_NONE, QFILE_RET_FULL, QFILE_RET_HDRS };
/* DSN NOTIFY bits; 0 means the parameter was not given. */
enum {
	QFILE_NOTIFY_NEVER = 1, QFILE_NOTIFY_SUCCESS = 2,
	QFILE_NOTIFY_FAILURE = 4, QFILE_NOTIFY_DELAY = 8
};
enum qfile_rstate {
	QFILE_PENDING = 'P', QFILE_SENT = 'S', QFILE_DEFERRED = 'D',
	QFILE_BOUNCED = 'B'
};

/*
 * The envelope.  Writing: spans are borrowed from the caller for the call;
 * a span with p == NULL is an absent record (the sender is always
 * written; empty means the null sender <>).  Reading: spans are borrowed
 * from the file's bytes and valid until qfile_close().
 */
struct qfile_env {
	uint64_t arrival_sec;
	uint32_t arrival_usec;
	struct span sender;
	struct span client_name;
	struct span client_addr;
	uint16_t client_port;		/* 0: none */
	struct span helo;
	uint8_t proto;			/* enum qfile_proto */
	struct span tls_proto;
	struct span tls_cipher;
	struct span auth_user;
	uint32_t local_uid;		/* QFILE_NO_UID: none */
	uint8_t ret;			/* enum qfile_ret */
	struct span envid;
	uint64_t size;			/* SIZE= declared, 0: none */
	uint8_t body;			/* enum qfile_body */
	uint8_t smtputf8;		/* 0 or 1 */
};

/* Status flags. */
enum {
	QFILE_FLAG_DELAY_SENT = 1,	/* a delay notice went out for it */
	QFILE_FLAG_NOTICE_SENT = 2,	/* its failure or success notice */
	QFILE_FLAGS = 3,		/* every flag defined */
};

/* A recipient's delivery status: fixed size on disk, updated in place. */
struct qfile_status {
	uint8_t state;			/* enum qfile_rstate */
	uint8_t flags;			/* QFILE_FLAG_* */
	uint16_t attempts;
	uint64_t last_attempt;		/* unix seconds, 0: never */
	char dsn[QFILE_DSN_SIZE];	/* "5.1.1" or "", NUL-terminated */
};

struct qfile_rcpt {
	struct span addr;		/* final address */
	struct span orig;		/* ORCPT address or the RCPT as given */
	struct span orcpt_type;		/* "rfc822", "utf-8", or empty */
	uint8_t notify;			/* QFILE_NOTIFY_* bits */
	struct qfile_status status;
	uint64_t status_off;		/* reading: file offset of the field */
};

/* A parsed queue file; fields are read-only for callers. */
struct qfile {
	struct qfile_env env;
	struct qfile_rcpt *rcpt;	/* owned array of nrcpt */
	size_t nrcpt;
	uint64_t content_off;		/* message content: headers + body */
	uint64_t content_len;
	int fd;				/* owned; -1 after qfile_parse() */
	void *map;			/* owned mapping of map_len bytes */
	size_t map_len;
};

struct qfile_writer;

/* Fill e with an empty envelope: no uid, 7bit, no RET, arrival now. */
void	qfile_env_init(struct qfile_env *e);

/*
 * Writing (smtpd).  Each call may block on the disk: run them on a worker
 * thread.  None logs or touches global state.  The order is fixed:
 * qfile_create, qfile_set_env, qfile_add_rcpt (1..QFILE_MAX_RCPT times),
 * qfile_write_content (any number of chunks), qfile_commit.
 *
 * qfile_create makes queue_dir/incoming/H1/H2/QID.tmp (directories made
 * on demand, mode 0700).  Returns the writer (free with qfile_abort or
 * qfile_writer_free), or NULL with why.
 */
struct qfile_writer *qfile_create(const char *queue_dir, struct why *why);
/* The same in queue state "incoming" or "hold" (a message held by an
 * access rule: qmgr leaves it alone until the admin releases it). */
struct qfile_writer *qfile_create_in(const char *queue_dir,
	    const char *state, struct why *why);
/* The id chosen by qfile_create (borrowed; valid while w lives). */
const char *qfile_writer_qid(const struct qfile_writer *w);
int	qfile_set_env(struct qfile_writer *w, const struct qfile_env *e,
	    struct why *why);
/* r->status and r->status_off are ignored: recipients start pending. */
int	qfile_add_rcpt(struct qfile_writer *w, const struct qfile_rcpt *r,
	    struct why *why);
/* Append message bytes (CRLF lines); buffered.  0 or -1 with why. */
int	qfile_write_content(struct qfile_writer *w, struct span chunk,
	    struct why *why);
/*
 * Write the end record, fsync the file, link it to its final name
 * incoming/H1/H2/QID (never replacing a file), remove the .tmp name and
 * fsync the directory.  On success the message is safely queued and the
 * id is copied to qid_out; free w with qfile_writer_free.  On -1 (with
 * why) nothing is queued once the caller has called qfile_abort.
 */
int	qfile_commit(struct qfile_writer *w, char qid_out[QID_SIZE],
	    struct why *why);
/* Remove whatever an uncommitted writer made, free it, clear *wp. */
void	qfile_abort(struct qfile_writer **wp);
/* Free a writer; an uncommitted one is aborted first.  NULL is fine. */
void	qfile_writer_free(struct qfile_writer **wp);

/*
 * Reading (qmgr).  qfile_parse checks a whole file image: every record,
 * the limits, the end record and both checksums; it never reads outside
 * file.  On success *out (free with qfile_close) borrows from file.
 * Returns 0, or -1 with why (a corrupt file).  No I/O, no logging.
 */
int	qfile_parse(struct span file, struct qfile **out, struct why *why);
/*
 * Open path (O_RDWR, O_NOFOLLOW), map it and qfile_parse it.  The
 * content is at [content_off, content_off + content_len) of q->fd.
 * Returns 0, or -1 with why.
 */
int	qfile_open(const char *path, struct qfile **out, struct why *why);
/*
 * Record a recipient's status: one pwrite of the fixed-size field, then
 * fdatasync.  The file's size never changes.  0 or -1 with why.
 */
int	qfile_set_status(struct qfile *q, size_t rcpt_index,
	    const struct qfile_status *st, struct why *why);
/* The same without the fdatasync, for several statuses in a row: call
 * qfile_sync() before acting on any of them. */
int	qfile_put_status(struct qfile *q, size_t rcpt_index,
	    const struct qfile_status *st, struct why *why);
int	qfile_sync(struct qfile *q, struct why *why);
/* Release everything; NULL is fine; clears *qp. */
void	qfile_close(struct qfile **qp);

/*
 * queue_dir/state/H1/H2/qid into out.  state is one of incoming, active,
 * deferred, hold, corrupt, or defer (the reasons file of a message).  Returns 0, or -1 for a bad state or id or
 * when out is too small.
 */
int	qfile_path(const char *queue_dir, const char *state, const char *qid,
	    char *out, size_t size);
/* Make queue_dir/state/H1/H2 for qid (mkdir -p, mode 0700, parents
 * fsynced when a directory is new).  0 or -1 with why. */
int	qfile_mkdirs(const char *queue_dir, const char *state,
	    const char *qid, struct why *why);

#endif
