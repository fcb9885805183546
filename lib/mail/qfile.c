/*
 * qfile.c - write, read and update queue files (format: postern-queue(5)).
 * Linked into: smtpd (write, on worker threads), qmgr (read, status
 * updates), tools, the qfile fuzz target.
 * Trust: files are ours but may be torn by a crash or damaged on disk;
 * every record is length-checked on read, both checksums are verified,
 * and a bad file is refused with a reason (qmgr moves it to corrupt/).
 * No function here logs or uses global state: writers run on workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "mail/qfile_impl.h"

/* The envelope records, in the order the writer emits them. */
const struct qfile_field qfile_fields[] = {
	{ 'T', QF_TIME, true, 0, 0, 0 },
	{ 'S', QF_STR, true, offsetof(struct qfile_env, sender), 0, 0 },
	{ 'P', QF_U8, true, offsetof(struct qfile_env, proto),
	    QFILE_PROTO_SMTP, QFILE_PROTO_LOCAL },
	{ 'n', QF_STR, false, offsetof(struct qfile_env, client_name), 0, 0 },
	{ 'a', QF_STR, false, offsetof(struct qfile_env, client_addr), 0, 0 },
	{ 'p', QF_U16, true, offsetof(struct qfile_env, client_port), 0,
	    UINT16_MAX },
	{ 'h', QF_STR, false, offsetof(struct qfile_env, helo), 0, 0 },
	{ 'l', QF_STR, false, offsetof(struct qfile_env, tls_proto), 0, 0 },
	{ 'c', QF_STR, false, offsetof(struct qfile_env, tls_cipher), 0, 0 },
	{ 'A', QF_STR, false, offsetof(struct qfile_env, auth_user), 0, 0 },
	{ 'u', QF_U32, true, offsetof(struct qfile_env, local_uid), 0,
	    UINT32_MAX },
	{ 'r', QF_U8, true, offsetof(struct qfile_env, ret), 0,
	    QFILE_RET_HDRS },
	{ 'e', QF_STR, false, offsetof(struct qfile_env, envid), 0, 0 },
	{ 'Z', QF_U64, true, offsetof(struct qfile_env, size), 0, UINT64_MAX },
	{ 'B', QF_U8, true, offsetof(struct qfile_env, body), 0,
	    QFILE_BODY_BINARY },
	{ '8', QF_U8, true, offsetof(struct qfile_env, smtputf8), 0, 1 },
};
const size_t qfile_nfields = sizeof(qfile_fields) / sizeof(qfile_fields[0]);

/* The states, and "defer": the reasons of deferred recipients. */
static const char *const states[] = {
	"incoming", "active", "deferred", "hold", "corrupt", "defer"
};

uint64_t
qfile_fnv64(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

void
qfile_put_be(unsigned char *p, uint64_t v, size_t width)
{
	while (width-- > 0) {
		p[width] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
qfile_get_be(const unsigned char *p, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
status_check(const unsigned char *p)
{
	uint32_t h = 2166136261u;	/* FNV-1a, 32 bits */
	size_t i;

	for (i = 0; i < QF_STATUS_CHECKED; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static bool
dsn_valid(const char *dsn)
{
	size_t len = strnlen(dsn, QFILE_DSN_SIZE);
	size_t i;

	if (len == QFILE_DSN_SIZE)
		return false;
	for (i = 0; i < len; i++)
		if ((dsn[i] < '0' || dsn[i] > '9') && dsn[i] != '.')
			return false;
	for (; i < QFILE_DSN_SIZE; i++)
		if (dsn[i] != '\0')
			return false;
	return true;
}

static bool
rstate_valid(unsigned int s)
{
	return s == QFILE_PENDING || s == QFILE_SENT || s == QFILE_DEFERRED ||
	    s == QFILE_BOUNCED;
}

void
qfile_status_encode(unsigned char p[QF_STATUS_LEN],
    const struct qfile_status *st)
{
	memset(p, 0, QF_STATUS_LEN);
	p[0] = st->state;
	p[1] = st->flags;
	qfile_put_be(p + 2, st->attempts, 2);
	qfile_put_be(p + 4, st->last_attempt, 8);
	memcpy(p + 12, st->dsn, QFILE_DSN_SIZE);
	qfile_put_be(p + QF_STATUS_CHECKED, status_check(p), 4);
}

static int
status_decode(const unsigned char *p, struct qfile_status *st,
    struct why *why)
{
	if (qfile_get_be(p + QF_STATUS_CHECKED, 4) != status_check(p))
		return why_set(why, "recipient status checksum mismatch");
	st->state = p[0];
	st->flags = p[1];
	st->attempts = (uint16_t)qfile_get_be(p + 2, 2);
	st->last_attempt = qfile_get_be(p + 4, 8);
	memcpy(st->dsn, p + 12, QFILE_DSN_SIZE);
	if (!rstate_valid(st->state) || (p[1] & ~QFILE_FLAGS) != 0 ||
	    !dsn_valid(st->dsn) ||
	    qfile_get_be(p + 24, 4) != 0)
		return why_set(why, "bad recipient status field");
	return 0;
}

uint64_t
qfile_num_get(const struct qfile_env *e, const struct qfile_field *f)
{
	const unsigned char *p = (const unsigned char *)e + f->off;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (f->kind) {
	case QF_U8:
		memcpy(&v8, p, 1);
		return v8;
	case QF_U16:
		memcpy(&v16, p, 2);
		return v16;
	case QF_U32:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

static void
num_set(struct qfile_env *e, const struct qfile_field *f, uint64_t v)
{
	unsigned char *p = (unsigned char *)e + f->off;
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	if (f->kind == QF_U8)
		memcpy(p, &v8, 1);
	else if (f->kind == QF_U16)
		memcpy(p, &v16, 2);
	else if (f->kind == QF_U32)
		memcpy(p, &v32, 4);
	else
		memcpy(p, &v, 8);
}

/* ---- reading: a pure parser over the file's bytes ---- */

struct parse {
	struct span f;
	size_t pos;			/* next record */
	size_t limit;			/* where the end record starts */
	uint64_t env_hash;
	uint32_t seen;			/* a bit per qfile_fields[] row */
	size_t cap;
};

static int
parse_field(struct parse *ps, struct qfile *q, size_t i, struct span d,
    struct why *why)
{
	const struct qfile_field *f = &qfile_fields[i];
	uint64_t v;

	if (ps->seen & (1u << i))
		return why_set(why, "record '%c' repeated", f->type);
	ps->seen |= 1u << i;
	if (f->kind == QF_STR) {
		memcpy((unsigned char *)&q->env + f->off, &d, sizeof(d));
		return 0;
	}
	if (d.len != f->kind)
		return why_set(why, "record '%c' has length %zu", f->type,
		    d.len);
	if (f->kind == QF_TIME) {
		q->env.arrival_sec = qfile_get_be(d.p, 8);
		q->env.arrival_usec = (uint32_t)qfile_get_be(d.p + 8, 4);
		if (q->env.arrival_usec >= 1000000)
			return why_set(why, "bad arrival microseconds");
		return 0;
	}
	v = qfile_get_be(d.p, f->kind);
	if (v < f->min || v > f->max)
		return why_set(why, "record '%c' value out of range", f->type);
	num_set(&q->env, f, v);
	return 0;
}

/* A length-prefixed field inside a recipient record. */
static int
rcpt_part(struct span *d, size_t width, struct span *out)
{
	size_t n;

	if (d->len < width)
		return -1;
	n = (size_t)qfile_get_be(d->p, width);
	if (d->len - width < n)
		return -1;
	*out = span_make(d->p + width, n);
	*d = span_sub(*d, width + n, d->len);
	return 0;
}

static int
parse_rcpt(struct parse *ps, struct qfile *q, struct span d, struct why *why)
{
	struct qfile_rcpt *r;
	size_t status_off = ps->pos + QF_HDR_LEN;
	struct span rest;

	if (q->nrcpt >= QFILE_MAX_RCPT)
		return why_set(why, "more than %d recipients", QFILE_MAX_RCPT);
	if (d.len < QF_RCPT_FIXED)
		return why_set(why, "recipient record too short");
	if (status_off % QF_SECTOR > QF_SECTOR - QF_STATUS_LEN)
		return why_set(why, "recipient status crosses a sector");
	if (q->nrcpt == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		q->rcpt = xreallocarray(q->rcpt, ps->cap, sizeof(*q->rcpt));
	}
	r = &q->rcpt[q->nrcpt];
	memset(r, 0, sizeof(*r));
	if (status_decode(d.p, &r->status, why) == -1)
		return -1;
	r->status_off = status_off;
	r->notify = d.p[QF_STATUS_LEN];
	if (r->notify > 15 || ((r->notify & QFILE_NOTIFY_NEVER) &&
		r->notify != QFILE_NOTIFY_NEVER))
		return why_set(why, "bad recipient NOTIFY mask");
	rest = span_sub(d, QF_STATUS_LEN + 1, d.len);
	if (rcpt_part(&rest, 1, &r->orcpt_type) == -1 ||
	    rcpt_part(&rest, 2, &r->addr) == -1 ||
	    rcpt_part(&rest, 2, &r->orig) == -1 || rest.len != 0 ||
	    r->addr.len == 0)
		return why_set(why, "bad recipient record");
	q->nrcpt++;
	return 0;
}

static int
parse_record(struct parse *ps, struct qfile *q, unsigned char type,
    struct span d, struct why *why)
{
	size_t i;

	if (type == QF_REC_PAD)
		return 0;
	if (type == QF_REC_RCPT)
		return parse_rcpt(ps, q, d, why);
	for (i = 0; i < qfile_nfields; i++) {
		if (qfile_fields[i].type != type)
			continue;
		if (q->nrcpt > 0)
			return why_set(why, "record '%c' after recipients",
			    type);
		return parse_field(ps, q, i, d, why);
	}
	return why_set(why, "unknown record type 0x%02x", type);
}

/* The header record, then records up to and including the content mark. */
static int
parse_envelope(struct parse *ps, struct qfile *q, struct why *why)
{
	const unsigned char *p = ps->f.p;

	if (ps->f.len < QF_HDR_LEN + QF_MAGIC_LEN + 1 + QF_END_LEN ||
	    p[0] != QF_REC_HEADER || qfile_get_be(p + 1, 4) != 9 ||
	    memcmp(p + QF_HDR_LEN, QF_MAGIC, QF_MAGIC_LEN) != 0)
		return why_set(why, "not a queue file (or truncated)");
	if (p[QF_HDR_LEN + QF_MAGIC_LEN] != QFILE_VERSION)
		return why_set(why, "unsupported version %u",
		    p[QF_HDR_LEN + QF_MAGIC_LEN]);
	ps->pos = QF_HDR_LEN + QF_MAGIC_LEN + 1;
	for (;;) {
		unsigned char type;
		uint64_t len;
		struct span d;

		if (ps->limit - ps->pos < QF_HDR_LEN)
			return why_set(why, "truncated before content");
		type = p[ps->pos];
		len = qfile_get_be(p + ps->pos + 1, 4);
		if (len > QFILE_MAX_RECORD ||
		    len > ps->limit - ps->pos - QF_HDR_LEN)
			return why_set(why, "record '%c' at %zu too long",
			    type, ps->pos);
		d = span_make(p + ps->pos + QF_HDR_LEN, (size_t)len);
		if (type == QF_REC_CONTENT)
			return len == 0 ? 0 : why_set(why, "bad content mark");
		if (parse_record(ps, q, type, d, why) == -1)
			return -1;
		ps->pos += QF_HDR_LEN + (size_t)len;
	}
}

/* Hash the envelope as the writer did: status fields excluded. */
static uint64_t
envelope_hash(const struct qfile *q, struct span f, size_t end)
{
	uint64_t h = QF_FNV64_INIT;
	size_t at = 0;
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		h = qfile_fnv64(h, f.p + at, q->rcpt[i].status_off - at);
		at = q->rcpt[i].status_off + QF_STATUS_LEN;
	}
	return qfile_fnv64(h, f.p + at, end - at);
}

static int
parse_end(struct parse *ps, struct qfile *q, struct why *why)
{
	const unsigned char *e = ps->f.p + ps->limit;
	size_t i;

	for (i = 0; i < qfile_nfields; i++)
		if (qfile_fields[i].required && !(ps->seen & (1u << i)))
			return why_set(why, "record '%c' missing",
			    qfile_fields[i].type);
	if (q->nrcpt == 0)
		return why_set(why, "no recipients");
	q->content_off = ps->pos + QF_HDR_LEN;
	q->content_len = ps->limit - q->content_off;
	if (e[0] != QF_REC_END || qfile_get_be(e + 1, 4) != QF_END_DATA ||
	    qfile_get_be(e + QF_HDR_LEN, 8) != q->content_len)
		return why_set(why, "no end record (truncated)");
	if (qfile_get_be(e + QF_HDR_LEN + 8, 8) != qfile_fnv64(QF_FNV64_INIT,
		ps->f.p + q->content_off, q->content_len))
		return why_set(why, "content checksum mismatch");
	if (qfile_get_be(e + QF_HDR_LEN + 16, 8) !=
	    envelope_hash(q, ps->f, q->content_off))
		return why_set(why, "envelope checksum mismatch");
	return 0;
}

int
qfile_parse(struct span file, struct qfile **out, struct why *why)
{
	struct parse ps;
	struct qfile *q = xcalloc(1, sizeof(*q));

	q->fd = -1;
	memset(&ps, 0, sizeof(ps));
	ps.f = file;
	ps.limit = file.len >= QF_END_LEN ? file.len - QF_END_LEN : 0;
	if (parse_envelope(&ps, q, why) == -1 || parse_end(&ps, q, why) == -1) {
		qfile_close(&q);
		return -1;
	}
	*out = q;
	return 0;
}

/* ---- reading files, updating status in place ---- */

int
qfile_open(const char *path, struct qfile **out, struct why *why)
{
	struct stat st;
	void *map;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return why_syserr(why, "open %s", path);
	if (fstat(fd, &st) == -1) {
		why_syserr(why, "fstat %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < QF_END_LEN ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		why_set(why, "%s: not a queue file (or truncated)", path);
		goto fail;
	}
	/* Only qmgr changes queue files, and never their size: the
	 * mapping cannot shrink under us. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		why_syserr(why, "mmap %s", path);
		goto fail;
	}
	if (qfile_parse(span_make(map, (size_t)st.st_size), out, why) == -1) {
		munmap(map, (size_t)st.st_size);
		goto fail;
	}
	(*out)->fd = fd;
	(*out)->map = map;
	(*out)->map_len = (size_t)st.st_size;
	return 0;
fail:
	close(fd);
	return -1;
}

int
qfile_put_status(struct qfile *q, size_t rcpt_index,
    const struct qfile_status *st, struct why *why)
{
	unsigned char field[QF_STATUS_LEN];
	struct qfile_rcpt *r;
	ssize_t n;

	if (rcpt_index >= q->nrcpt)
		return why_set(why, "no recipient %zu", rcpt_index);
	if (!rstate_valid(st->state) || !dsn_valid(st->dsn) ||
	    (st->flags & ~QFILE_FLAGS) != 0)
		return why_set(why, "bad status");
	if (q->fd == -1)
		return why_set(why, "queue file not open for update");
	r = &q->rcpt[rcpt_index];
	qfile_status_encode(field, st);
	/* One small write inside one sector: it lands whole or not at
	 * all, and the checksum in the field catches anything else. */
	do
		n = pwrite(q->fd, field, sizeof(field), (off_t)r->status_off);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(field))
		return n == -1 ? why_syserr(why, "pwrite") :
				 why_set(why, "short pwrite");
	r->status = *st;
	return 0;
}

int
qfile_sync(struct qfile *q, struct why *why)
{
	if (q->fd == -1)
		return why_set(why, "queue file not open for update");
	if (fdatasync(q->fd) == -1)
		return why_syserr(why, "fdatasync");
	return 0;
}

int
qfile_set_status(struct qfile *q, size_t rcpt_index,
    const struct qfile_status *st, struct why *why)
{
	if (qfile_put_status(q, rcpt_index, st, why) == -1)
		return -1;
	return qfile_sync(q, why);
}

void
qfile_close(struct qfile **qp)
{
	struct qfile *q = *qp;

	if (q == NULL)
		return;
	if (q->map != NULL)
		munmap(q->map, q->map_len);
	if (q->fd != -1)
		close(q->fd);
	xfree(&q->rcpt);
	xfree(qp);
}

/* ---- paths ---- */

static bool
state_valid(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(state, states[i]) == 0)
			return true;
	return false;
}

int
qfile_path(const char *queue_dir, const char *state, const char *qid,
    char *out, size_t size)
{
	char h1;
	char h2;
	int n;

	if (!state_valid(state) || !qid_valid_str(qid))
		return -1;
	qid_hash_dirs(qid, &h1, &h2);
	n = snprintf(out, size, "%s/%s/%c/%c/%s", queue_dir, state, h1, h2,
	    qid);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* mkdir that accepts an existing directory; a new one makes its parent
 * change, so the parent is fsynced before anything relies on it. */
static int
mkdir_synced(const char *dir, struct why *why)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return file_sync_dir(dir, why);
	if (errno != EEXIST)
		return why_syserr(why, "mkdir %s", dir);
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return why_set(why, "%s: not a directory", dir);
	return 0;
}

int
qfile_mkdirs(const char *queue_dir, const char *state, const char *qid,
    struct why *why)
{
	char path[PATH_MAX];
	size_t cut[3];
	size_t len;
	int i;

	if (qfile_path(queue_dir, state, qid, path, sizeof(path)) == -1)
		return why_set(why, "bad queue path for %s", qid);
	len = strlen(path);
	/* .../state/H1/H2/QID: cut after state, after H1, after H2. */
	cut[2] = len - QID_LEN - 1;
	cut[1] = cut[2] - 2;
	cut[0] = cut[1] - 2;
	for (i = 0; i < 3; i++) {
		path[cut[i]] = '\0';
		if (mkdir_synced(path, why) == -1)
			return -1;
		path[cut[i]] = '/';
	}
	return 0;
}
