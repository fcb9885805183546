/*
 * smtpd_data.c - the end of DATA or BDAT (the session core read the text
 * through lib/mail/smtpdata: dot-unstuffing, the smuggling defence,
 * limits): the hop count, then the queue file, written on a worker thread;
 * 250 is answered only once it and its directory are on disk
 * (postern-queue(5)).  Nothing that is not on disk is ever acknowledged.
 * Linked into: smtpd.  Trust: the text is hostile; it is bounded by
 * message_size_limit and only ever copied into the queue file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "smtpd.h"

struct commit_job {
	struct smtpd_sess *sess;	/* borrowed: kept while busy */
	const char *queue_dir;		/* borrowed: the daemon's */
	const char *myhostname;		/* borrowed: the params' */
	const char *qmgr_path;		/* borrowed: the daemon's */
	struct qfile_env env;		/* spans into the strings below */
	char *sender;
	char *helo;
	char *client_addr;
	char *client_name;		/* verified, or "unknown" */
	char *envid;
	char *tls_proto;		/* NULL: no TLS */
	char *tls_cipher;
	int tls_bits;
	char *auth_user;		/* NULL: not authenticated */
	struct qfile_rcpt *rcpt;
	struct smtpd_rcpt *own;		/* owned recipient strings */
	size_t nrcpt;
	struct buf text;
	char qid[QID_SIZE];
	int verdict;			/* SMTPD_KEEP, _HOLD, _DISCARD */
	char *verdict_reason;
	bool disk_full;
	struct why why;
	bool ok;
};

/* Count Received: headers (RFC 5321 6.3: loop detection). */
static unsigned int
hop_count(struct span text)
{
	unsigned int n = 0;

	while (text.len > 0) {
		long nl = span_chr(text, '\n');
		struct span line = span_make(text.p, nl == -1 ? text.len :
							      (size_t)nl);

		if (line.len <= 1)
			break;		/* the empty line ends the header */
		if (span_startswith_nocase(line, "received:"))
			n++;
		text = span_sub(text, line.len + 1, text.len);
	}
	return n;
}

/* A HELO name in a header: printable and harmless characters only. */
static char *
clean_helo(const char *helo)
{
	char *out = xstrdup(helo[0] != '\0' ? helo : "unknown");
	size_t i;

	for (i = 0; out[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789.-_:[]", out[i]) == NULL)
			out[i] = '?';
	return out;
}

/* The protocol name of RFC 3848 for the Received: header. */
static const char *
proto_name(uint8_t proto)
{
	static const char *const names[] = { "SMTP", "ESMTP", "ESMTPS",
		"ESMTPA", "ESMTPSA", "LMTP", "local" };

	return proto >= QFILE_PROTO_SMTP && proto <= QFILE_PROTO_LOCAL ?
	    names[proto - QFILE_PROTO_SMTP] : "SMTP";
}

/* RFC 5321 4.4: where the message came from, when, and how. */
static int
received(struct commit_job *j, struct buf *out)
{
	char date[64];
	struct tm tm;
	time_t now = time(NULL);
	bool v6 = strchr(j->client_addr, ':') != NULL;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (j->env.proto == QFILE_PROTO_LOCAL)
		buf_addf(out, "Received: by %s (Postern, from userid %u)\r\n"
			      "\tid %s", j->myhostname, (unsigned)j->env.local_uid,
		    j->qid);
	else
		buf_addf(out, "Received: from %s (%s [%s%s])\r\n", j->helo,
		    j->client_name, v6 ? "IPv6:" : "", j->client_addr);
	if (j->env.proto != QFILE_PROTO_LOCAL && j->tls_proto != NULL)
		buf_addf(out, "\t(using %s with cipher %s (%d bits))\r\n",
		    j->tls_proto, j->tls_cipher, j->tls_bits);
	if (j->env.proto != QFILE_PROTO_LOCAL)
		buf_addf(out, "\tby %s (Postern) with %s id %s", j->myhostname,
		    proto_name(j->env.proto), j->qid);
	if (j->nrcpt == 1)
		buf_addf(out, "\r\n\tfor <%s>", j->own[0].addr);
	return buf_addf(out, "; %s\r\n", date);
}

static int
write_file(struct commit_job *j, struct qfile_writer *w)
{
	struct buf hdr;
	size_t i;
	int r = 0;

	snprintf(j->qid, sizeof(j->qid), "%s", qfile_writer_qid(w));
	buf_init(&hdr, 8192);
	if (received(j, &hdr) == -1 ||
	    qfile_set_env(w, &j->env, &j->why) == -1)
		r = -1;
	for (i = 0; r == 0 && i < j->nrcpt; i++)
		r = qfile_add_rcpt(w, &j->rcpt[i], &j->why);
	if (r == 0)
		r = qfile_write_content(w, buf_span(&hdr), &j->why);
	if (r == 0)
		r = qfile_write_content(w, buf_span(&j->text), &j->why);
	buf_fini(&hdr);
	return r;
}

/*
 * Tell qmgr there is a new message: one line, "NEW qid".  Best effort:
 * when qmgr is not there the file waits in incoming/ for its next scan.
 */
static void
notify_qmgr(const char *path, const char *qid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[QID_SIZE + 8];
	int fd, n;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	n = snprintf(line, sizeof(line), "NEW %s\n", qid);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL);
	close(fd);
}

/* On a worker thread: create, write, fsync, rename, fsync the dir. */
static void
commit_work(void *arg)
{
	struct commit_job *j = arg;
	struct qfile_writer *w;

	if (j->verdict == SMTPD_DISCARD) {
		j->ok = true;
		return;
	}
	w = qfile_create_in(j->queue_dir, j->verdict == SMTPD_HOLD ? "hold" :
	    "incoming", &j->why);
	errno = 0;
	if (w == NULL || write_file(j, w) == -1 ||
	    qfile_commit(w, j->qid, &j->why) == -1) {
		j->disk_full = errno == ENOSPC || errno == EDQUOT ||
		    errno == EFBIG;
		qfile_abort(&w);
		return;
	}
	qfile_writer_free(&w);
	j->ok = true;
	if (j->verdict == SMTPD_KEEP)
		notify_qmgr(j->qmgr_path, j->qid);
}

static void
job_free(struct commit_job *j)
{
	size_t i;

	for (i = 0; i < j->nrcpt; i++) {
		free(j->own[i].addr);
		free(j->own[i].orcpt);
		free(j->own[i].orcpt_type);
	}
	free(j->own);
	free(j->rcpt);
	free(j->sender);
	free(j->helo);
	free(j->client_addr);
	free(j->client_name);
	free(j->envid);
	free(j->tls_proto);
	free(j->tls_cipher);
	free(j->auth_user);
	free(j->verdict_reason);
	buf_fini(&j->text);
	free(j);
}

static void
commit_done(void *arg)
{
	struct commit_job *j = arg;
	struct smtpd_sess *s = j->sess;

	if (j->ok && j->verdict == SMTPD_DISCARD) {
		s->nmessages++;
		log_info("%s: discard: from=<%s>, nrcpt=%zu, client=%s[%s]: %s",
		    s->srv.id, j->sender, j->nrcpt, j->client_name,
		    j->client_addr, j->verdict_reason);
		if (!s->srv.ended)
			smtpsrv_reply(&s->srv, 250, "2.0.0", "Ok");
	} else if (j->ok) {
		s->nmessages++;
		if (j->verdict == SMTPD_HOLD)
			log_info("%s: %s: hold: %s", s->srv.id, j->qid,
			    j->verdict_reason);
		log_info("%s: %s: from=<%s>, size=%zu, nrcpt=%zu, "
			 "client=%s[%s]", s->srv.id, j->qid, j->sender,
		    j->text.len, j->nrcpt, j->client_name, j->client_addr);
		if (!s->srv.ended)
			smtpsrv_reply(&s->srv, 250, "2.0.0",
			    "Ok: queued as %s", j->qid);
	} else {
		log_error("%s: queue file: %s", s->srv.id, j->why.msg);
		if (!s->srv.ended && j->disk_full)
			smtpsrv_reply(&s->srv, 452, "4.3.1",
			    "Insufficient system storage");
		else if (!s->srv.ended)
			smtpsrv_reply(&s->srv, 451, "4.3.0",
			    "Error: queue file write error");
	}
	job_free(j);
	smtpsrv_resume(&s->srv);
}

/* RFC 3848: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA; or local. */
static uint8_t
session_proto(const struct smtpsrv *s)
{
	if (s->local)
		return QFILE_PROTO_LOCAL;
	if (!s->esmtp)
		return QFILE_PROTO_SMTP;
	if (s->tls && s->auth_user != NULL)
		return QFILE_PROTO_ESMTPSA;
	if (s->tls)
		return QFILE_PROTO_ESMTPS;
	return s->auth_user != NULL ? QFILE_PROTO_ESMTPA : QFILE_PROTO_ESMTP;
}

/* Move the transaction into a commit job (the text is not copied). */
static struct commit_job *
make_job(struct smtpd_sess *s)
{
	struct commit_job *j = xcalloc(1, sizeof(*j));
	struct smtpd_tx *tx = &s->tx;
	const struct smtpsrv *c = &s->srv;
	struct timeval tv;
	size_t i;

	j->sess = s;
	j->queue_dir = s->sd->queue_dir;
	j->myhostname = s->sd->p->myhostname;
	j->qmgr_path = s->sd->qmgr_path;
	j->verdict = tx->verdict;
	j->verdict_reason = xstrdup(tx->verdict_reason);
	j->sender = xstrdup(c->sender);
	j->helo = clean_helo(c->helo);
	j->client_addr = xstrdup(c->client_addr);
	j->client_name = xstrdup(s->client_name);
	j->envid = tx->envid != NULL ? xstrdup(tx->envid) : NULL;
	smtpsrv_take_text(&s->srv, &j->text);
	j->own = tx->rcpt;
	j->nrcpt = tx->nrcpt;
	tx->rcpt = NULL;
	tx->nrcpt = 0;
	j->rcpt = xcalloc(j->nrcpt + 1, sizeof(*j->rcpt));
	for (i = 0; i < j->nrcpt; i++) {
		j->rcpt[i].addr = span_str(j->own[i].addr);
		j->rcpt[i].orig = span_str(j->own[i].orcpt != NULL ?
		    j->own[i].orcpt : j->own[i].addr);
		j->rcpt[i].orcpt_type = span_str(j->own[i].orcpt_type != NULL ?
		    j->own[i].orcpt_type : "");
		j->rcpt[i].notify = (uint8_t)j->own[i].notify;
	}
	qfile_env_init(&j->env);
	gettimeofday(&tv, NULL);
	j->env.arrival_sec = (uint64_t)tv.tv_sec;
	j->env.arrival_usec = (uint32_t)tv.tv_usec;
	j->env.sender = span_str(j->sender);
	j->env.client_addr = span_str(j->client_addr);
	if (strcmp(j->client_name, "unknown") != 0)
		j->env.client_name = span_str(j->client_name);
	j->env.client_port = c->client_port;
	j->env.helo = span_str(c->helo);
	j->env.proto = session_proto(c);
	j->env.local_uid = c->local ? c->local_uid : QFILE_NO_UID;
	if (c->tls) {
		j->tls_proto = xstrdup(c->tls_proto);
		j->tls_cipher = xstrdup(c->tls_cipher);
		j->tls_bits = c->tls_bits;
		j->env.tls_proto = span_str(j->tls_proto);
		j->env.tls_cipher = span_str(j->tls_cipher);
	}
	if (c->auth_user != NULL) {
		j->auth_user = xstrdup(c->auth_user);
		j->env.auth_user = span_str(j->auth_user);
	}
	j->env.ret = (uint8_t)tx->ret;
	j->env.envid = span_str(j->envid != NULL ? j->envid : "");
	j->env.size = tx->declared_size;
	j->env.body = (uint8_t)tx->body;
	j->env.smtputf8 = c->smtputf8;
	return j;
}

/* The end of the text (ops->message): refuse it, or queue it. */
void
smtpd_message(struct smtpsrv *c, int code, const char *enh, const char *text)
{
	struct smtpd_sess *s = smtpd_sess_of(c);
	struct commit_job *j;

	if (code != 0) {
		smtpsrv_reply(c, code, enh, "%s", text);
		smtpsrv_tx_reset(c);
		return;
	}
	if (hop_count(buf_span(&c->text)) >= s->sd->p->hopcount_limit) {
		smtpsrv_reply(c, 554, "5.4.6", "Too many hops (mail loop)");
		smtpsrv_tx_reset(c);
		return;
	}
	j = make_job(s);
	smtpsrv_tx_reset(c);
	smtpsrv_suspend(c);
	if (worker_submit(s->sd->pool, commit_work, commit_done, j) == -1) {
		snprintf(j->why.msg, sizeof(j->why.msg), "busy");
		commit_done(j);
	}
}
