/*
 * authd_session.c - one client connection: read request lines, check
 * them, hand each to a worker thread, write the answers (in completion
 * order, matched by id).  A malformed request gets an ERROR answer and
 * the session goes on; an over-long line gets an ERROR and the session
 * ends.
 * Linked into: authd.  Trust: request lines are hostile input.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/authproto.h"
#include "authd.h"
#include "authd_map.h"
#include "base/log.h"
#include "base/xmem.h"

/* Requests of one session in flight before reading pauses. */
#define AUTHD_PIPELINE 64
#define AUTHD_MAX_ADDR 256

struct authd_session {
	struct authd *ad;
	struct lineio *io;
	unsigned int inflight;
	bool ended;
	struct authd_session *next;
	struct authd_session **prevp;
};

static const struct {
	const char *word;
	enum authd_cmd cmd;
	size_t nargs;
} commands[] = {
	{ "LOOKUP", AUTHD_LOOKUP, 1 },
	{ "VERIFY", AUTHD_VERIFY, 4 },
	{ "EXPAND", AUTHD_EXPAND, 1 },
	{ "DOMAIN", AUTHD_DOMAIN, 1 },
	{ "ACCESS", AUTHD_ACCESS, 5 },
};

static void
session_free(struct authd_session *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	lineio_free(&s->io);
	free(s);
}

static void
reply_error(struct authd_session *s, uint32_t id, const char *reason)
{
	struct buf out;
	struct span f = span_str(reason);

	buf_init(&out, 1024);
	authproto_format(&out, id, "ERROR", &f, 1);
	lineio_write(s->io, out.p, out.len);
	buf_fini(&out);
}

/* Fields must fit their role: addresses bounded, names simple. */
static int
check_args(const struct authproto_msg *m, enum authd_cmd cmd,
    struct why *why)
{
	size_t i;

	for (i = 0; i < m->nfield; i++) {
		bool is_pass = cmd == AUTHD_VERIFY && i == 2;

		if (!is_pass && (m->field[i].len > AUTHD_MAX_ADDR ||
				    span_chr(m->field[i], '\0') != -1))
			return why_set(why, "field %zu too long", i + 1);
	}
	if (cmd == AUTHD_VERIFY && (m->field[0].len == 0 ||
				       m->field[0].len > 16))
		return why_set(why, "bad service name");
	/* ACCESS: an empty field skips its list. */
	if (cmd != AUTHD_ACCESS && m->field[cmd == AUTHD_VERIFY ? 1 : 0].len ==
	    0)
		return why_set(why, "empty address");
	return 0;
}

static struct authd_job *
make_job(struct authd_session *s, const struct authproto_msg *m,
    enum authd_cmd cmd)
{
	struct authd_job *job = xcalloc(1, sizeof(*job));
	size_t i;

	job->ad = s->ad;
	job->sess = s;
	job->id = m->id;
	job->cmd = cmd;
	for (i = 0; i < AUTHD_MAX_ARGS; i++) {
		struct span f = i < m->nfield ? m->field[i] : span_make(NULL, 0);

		job->arg[i] = span_dup(f);
		job->arg_len[i] = f.len;
	}
	buf_init(&job->cached, 65536);
	buf_init(&job->answer, 1024 * 1024 + 64);
	buf_init(&job->fetched, 65536);
	return job;
}

void
authd_cache_key(const char *addr, struct buf *out)
{
	size_t i;

	for (i = 0; addr[i] != '\0'; i++)
		buf_addc(out, addr[i] >= 'A' && addr[i] <= 'Z' ? addr[i] + 32 :
								 addr[i]);
}

static void
use_cache(struct authd *ad, struct authd_job *job)
{
	const struct buf *hit;
	struct buf key;

	if (job->cmd != AUTHD_LOOKUP && job->cmd != AUTHD_VERIFY)
		return;
	buf_init(&key, 1024);
	authd_cache_key(job->arg[job->cmd == AUTHD_VERIFY ? 1 : 0], &key);
	hit = authd_map_get(ad->cache, buf_span(&key), event_now_ms());
	if (hit != NULL) {
		buf_addspan(&job->cached, buf_span(hit));
		job->have_cached = true;
	}
	buf_fini(&key);
}

static void
submit(struct authd_session *s, struct authd_job *job)
{
	s->inflight++;
	if (s->inflight >= AUTHD_PIPELINE)
		lineio_pause(s->io);
	if (job->cmd == AUTHD_VERIFY && authd_limit_locked(s->ad, job)) {
		/* Locked out: fail without looking at the password. */
		job->outcome = AUTHD_OUT_FAIL;
		snprintf(job->reason, sizeof(job->reason), "locked out");
		authd_done(job);
		return;
	}
	use_cache(s->ad, job);
	if (worker_submit(s->ad->pool, authd_work, authd_done, job) == -1) {
		struct span f = span_str("authd is overloaded");

		authproto_format(&job->answer, job->id, "TEMP", &f, 1);
		authd_done(job);
	}
}

static void
on_line(void *arg, struct span line)
{
	struct authd_session *s = arg;
	struct authproto_msg m;
	struct why why;
	size_t i;

	authproto_init(&m, s->ad->p->authd_request_limit);
	if (authproto_parse(line, &m, &why) == -1) {
		reply_error(s, m.id, why.msg);
		authproto_fini(&m);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (span_eq(m.word, commands[i].word))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		reply_error(s, m.id, "unknown command");
	else if (m.nfield != commands[i].nargs)
		reply_error(s, m.id, "wrong number of fields");
	else if (check_args(&m, commands[i].cmd, &why) == -1)
		reply_error(s, m.id, why.msg);
	else
		submit(s, make_job(s, &m, commands[i].cmd));
	authproto_fini(&m);
}

static void
on_event(void *arg, enum lineio_event ev)
{
	struct authd_session *s = arg;

	if (ev == LINEIO_TOO_LONG) {
		reply_error(s, 0, "request too long");
		lineio_close_flush(s->io);
		return;
	}
	s->ended = true;
	if (s->inflight == 0)
		session_free(s);
}

void
authd_session_new(struct authd *ad, int fd)
{
	struct authd_session *s = xcalloc(1, sizeof(*s));

	s->ad = ad;
	s->io = lineio_new(ad->svc->base, fd,
	    (size_t)ad->p->authd_request_limit, 0, on_line, on_event, s);
	if (s->io == NULL) {
		free(s);
		return;
	}
	s->next = ad->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &ad->sessions;
	ad->sessions = s;
}

/* A job's answer is ready: write it unless the client is gone. */
void
authd_session_write(struct authd_job *job)
{
	struct authd_session *s = job->sess;

	if (!s->ended)
		lineio_write(s->io, job->answer.p, job->answer.len);
	s->inflight--;
	if (s->ended && s->inflight == 0) {
		session_free(s);
		return;
	}
	if (!s->ended && s->inflight < AUTHD_PIPELINE)
		lineio_resume(s->io);
}

void
authd_session_free_all(struct authd *ad)
{
	while (ad->sessions != NULL)
		session_free(ad->sessions);
}
