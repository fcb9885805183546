/*
 * authd_work.c - the work of one request, on a worker thread: directory
 * look-ups (which may block on LDAP) and password hashing.  Each thread
 * has its own directory, opened on first use, since tables are not shared
 * between threads.  The answer line is formatted here (but for a failed
 * VERIFY's, which needs the failure counters); nothing here touches the
 * event loop or authd's maps.
 * Linked into: authd.  Runs as postern-auth.  Trust: request fields are
 * peer data, already checked for count and length.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authproto.h"
#include "auth/passwd.h"
#include "authd.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/userrec.h"

#define AUTHD_MAX_ANSWER (1024 * 1024)
#define AUTHD_MAX_RECORD 65536

static pthread_key_t dir_key;
static pthread_once_t dir_once = PTHREAD_ONCE_INIT;
static const struct directory_conf *dir_conf;

static void
dir_destroy(void *p)
{
	struct directory *dir = p;

	directory_free(&dir);
}

static void
make_key(void)
{
	if (pthread_key_create(&dir_key, dir_destroy) != 0)
		log_panic("pthread_key_create failed");
}

void
authd_work_init(const struct authd *ad)
{
	dir_conf = &ad->dconf;
	pthread_once(&dir_once, make_key);
}

static struct directory *
thread_directory(struct why *why)
{
	struct directory *dir = pthread_getspecific(dir_key);

	if (dir == NULL) {
		dir = directory_new(dir_conf, why);
		if (dir != NULL)
			pthread_setspecific(dir_key, dir);
	}
	return dir;
}

static void
answer(struct authd_job *job, const char *word, const struct span *f,
    size_t n)
{
	buf_reset(&job->answer);
	if (authproto_format(&job->answer, job->id, word, f, n) == -1) {
		struct span r = span_str("answer too long");

		authproto_format(&job->answer, job->id, "TEMP", &r, 1);
	}
}

static void
answer1(struct authd_job *job, const char *word, const char *field)
{
	struct span f = span_str(field);

	answer(job, word, &f, field[0] != '\0' ? 1 : 0);
}

/* The user record of job->arg[addr]: cached, or from the directory.
 * On DIR_OK key and record are set (spans into job buffers). */
static enum dir_res
fetch_user(struct authd_job *job, int addr, struct span *key,
    struct span *record, struct why *why)
{
	struct directory *dir;
	struct buf k;
	struct buf rec;
	enum dir_res r;

	if (job->have_cached) {
		if (job->cached.len == 0)
			return DIR_NOTFOUND;
		*key = span_str(buf_str(&job->cached));
		*record = span_sub(buf_span(&job->cached), key->len + 1,
		    job->cached.len);
		return DIR_OK;
	}
	if ((dir = thread_directory(why)) == NULL)
		return DIR_TEMP;
	buf_init(&k, 1024);
	buf_init(&rec, AUTHD_MAX_RECORD);
	r = directory_user(dir, span_str(job->arg[addr]), &rec, &k, why);
	if (r == DIR_OK || r == DIR_NOTFOUND) {
		job->fetch = r == DIR_OK ? AUTHD_FETCH_FOUND :
					   AUTHD_FETCH_NOTFOUND;
		buf_reset(&job->fetched);
		if (r == DIR_OK && (buf_addspan(&job->fetched, buf_span(&k)) ||
			buf_addc(&job->fetched, '\0') ||
			buf_addspan(&job->fetched, buf_span(&rec))))
			r = DIR_TEMP;
	}
	buf_wipe(&rec);
	buf_fini(&k);
	if (r == DIR_OK) {
		*key = span_str(buf_str(&job->fetched));
		*record = span_sub(buf_span(&job->fetched), key->len + 1,
		    job->fetched.len);
	}
	return r;
}

static void
work_lookup(struct authd_job *job)
{
	struct span key, record;
	struct userrec u;
	struct why why;
	char qb[32], qm[32];
	enum dir_res r = fetch_user(job, 0, &key, &record, &why);

	if (r == DIR_NOTFOUND || r == DIR_PERM) {
		answer1(job, "NOTFOUND", "");
		return;
	}
	if (r == DIR_OK && userrec_parse(record, &u, &why) == -1) {
		log_error("user %s: bad record in the users table: %s",
		    job->arg[0], why.msg);
		r = DIR_TEMP;
	}
	if (r != DIR_OK) {
		answer1(job, "TEMP", why.msg);
		return;
	}
	snprintf(qb, sizeof(qb), "%llu", (unsigned long long)u.quota_bytes);
	snprintf(qm, sizeof(qm), "%llu", (unsigned long long)u.quota_messages);
	{
		struct span f[6] = { key, span_str(u.enabled ? "y" : "n"),
			span_str(qb), span_str(qm), u.mailhost, u.name };

		answer(job, "OK", f, 6);
	}
}

/* The FAIL answer is formatted on the loop, with its delay (done.c). */
static void
fail(struct authd_job *job, const char *reason)
{
	job->outcome = AUTHD_OUT_FAIL;
	snprintf(job->reason, sizeof(job->reason), "%s", reason);
}

static void
check_password(struct authd_job *job, struct span key, struct userrec *u)
{
	char *stored = span_dup(u->password);
	struct why why;
	enum passwd_res pr = passwd_verify(span_make(job->arg[2],
	    job->arg_len[2]), stored, &why);

	secret_wipe(stored, u->password.len);
	free(stored);
	if (pr == PASSWD_MATCH) {
		job->outcome = AUTHD_OUT_OK;
		answer(job, "OK", &key, 1);
	} else if (pr == PASSWD_MISMATCH) {
		fail(job, "password mismatch");
	} else if (pr == PASSWD_LOCKED) {
		fail(job, "no usable password");
	} else {
		log_error("user %s: unusable password hash: %s", job->arg[1],
		    why.msg);
		fail(job, "unusable password hash");
	}
}

static void
work_verify(struct authd_job *job)
{
	struct span key, record;
	struct userrec u;
	struct why why;
	enum dir_res r = fetch_user(job, 1, &key, &record, &why);

	if (r == DIR_NOTFOUND || r == DIR_PERM) {
		fail(job, "unknown user");
		return;
	}
	if (r == DIR_OK && userrec_parse(record, &u, &why) == -1) {
		log_error("user %s: bad record in the users table: %s",
		    job->arg[1], why.msg);
		r = DIR_TEMP;
	}
	if (r != DIR_OK) {
		answer1(job, "TEMP", why.msg);
		return;
	}
	if (!u.enabled)
		fail(job, "account disabled");
	else
		check_password(job, key, &u);
}

static void
work_expand(struct authd_job *job)
{
	struct directory *dir;
	struct dir_rcpts rc = { NULL, 0 };
	struct why why;
	enum dir_res r = DIR_TEMP;
	struct buf all;
	struct span *f;
	size_t *ends;
	size_t i;
	size_t n;

	if ((dir = thread_directory(&why)) != NULL)
		r = directory_expand(dir, span_str(job->arg[0]), &rc, &why);
	if (r != DIR_OK) {
		answer1(job, r == DIR_NOTFOUND ? "NOTFOUND" :
			    r == DIR_PERM  ? "PERM" : "TEMP",
		    r == DIR_NOTFOUND ? "" : why.msg);
		dir_rcpts_fini(&rc);
		return;
	}
	/* Each recipient as "+addr" (deliverable) or "-addr" (unknown); a
	 * command of a local alias as "|text" (its addr), a file as
	 * "/path".  ends[i] is where field i ends in all. */
	buf_init(&all, AUTHD_MAX_ANSWER);
	ends = xcalloc(rc.n + 1, sizeof(*ends));
	f = xcalloc(rc.n + 1, sizeof(*f));
	for (i = 0; i < rc.n; i++) {
		if ((rc.v[i].kind == DIR_ADDRESS &&
			buf_addc(&all, rc.v[i].res == DIR_OK ? '+' : '-') ==
			    -1) ||
		    buf_adds(&all, rc.v[i].addr) == -1)
			break;
		ends[i] = all.len;
	}
	for (n = 0; n < i; n++)
		f[n] = span_sub(buf_span(&all), n ? ends[n - 1] : 0,
		    ends[n] - (n ? ends[n - 1] : 0));
	if (i == rc.n)
		answer(job, "OK", f, rc.n);
	else
		answer1(job, "PERM", "expansion too long");
	free(ends);
	free(f);
	buf_fini(&all);
	dir_rcpts_fini(&rc);
}

static void
work_domain(struct authd_job *job)
{
	static const char *const names[] = { "local", "virtual", "relay",
		"remote" };
	struct directory *dir;
	enum dir_class cls;
	struct why why;

	if ((dir = thread_directory(&why)) == NULL ||
	    directory_class(dir, span_str(job->arg[0]), &cls, &why) !=
		DIR_OK) {
		answer1(job, "TEMP", why.msg);
		return;
	}
	answer1(job, "OK", names[cls]);
}

/*
 * ACCESS: the access tables in smtpd's order (client, helo, sender,
 * recipient); an empty field skips its check.  The first decision
 * answers: "OK" action code enh text kind table key; no decision:
 * "NOTFOUND"; a table that fails: "TEMP" reason (logged here, where the
 * configuration is).
 */
static void
work_access(struct authd_job *job)
{
	static const enum access_kind kinds[4] = { ACCESS_CLIENT, ACCESS_HELO,
		ACCESS_SENDER, ACCESS_RECIPIENT };
	struct access_result res;
	struct why why;
	size_t i;

	for (i = 0; i < 4; i++) {
		const char *key1 = job->arg[i == 0 ? 0 : i + 1];
		enum access_action a;
		char code[8];
		struct span f[7];

		if (key1[0] == '\0')
			continue;
		a = access_check(job->ad->access[i], kinds[i], key1,
		    i == 0 ? job->arg[1] : NULL, &res, &why);
		if (a == ACCESS_NONE)
			continue;
		if (a == ACCESS_TEMP) {
			log_warn("access %s: %s", access_kind_name(kinds[i]),
			    why.msg);
			answer1(job, "TEMP", why.msg);
			return;
		}
		snprintf(code, sizeof(code), "%d", res.code);
		f[0] = span_str(access_action_name(a));
		f[1] = span_str(code);
		f[2] = span_str(res.enh);
		f[3] = span_str(res.text);
		f[4] = span_str(access_kind_name(kinds[i]));
		f[5] = span_str(res.table != NULL ? res.table : "");
		f[6] = span_str(res.key);
		answer(job, "OK", f, 7);
		return;
	}
	answer1(job, "NOTFOUND", "");
}

void
authd_work(void *arg)
{
	struct authd_job *job = arg;

	job->outcome = AUTHD_OUT_OTHER;
	switch (job->cmd) {
	case AUTHD_LOOKUP: work_lookup(job); break;
	case AUTHD_VERIFY: work_verify(job); break;
	case AUTHD_EXPAND: work_expand(job); break;
	case AUTHD_DOMAIN: work_domain(job); break;
	case AUTHD_ACCESS: work_access(job); break;
	}
}
