/*
 * imapd_append.c - APPEND (and MULTIAPPEND's several messages) into a
 * mailbox of the user's store, with flags and INTERNALDATE, answered
 * with UIDPLUS's APPENDUID; on a worker.
 * Linked into: imapd.  Trust: the message is the client's literal,
 * bounded by imapd_max_literal; the store checks the quota.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"

struct append_job {
	struct imapd_sess *s;
	char name[STORE_MAX_NAME + 1];
	const struct imapcmd_append *a;	/* borrowed: the command */
	const char *status;
	char text[300];
	struct why why;
};

static void
append_work(void *arg)
{
	struct append_job *j = arg;
	struct store_mailbox m;
	struct buf uids;
	enum store_res r;
	size_t i, k;

	buf_init(&uids, 1024 * 1024);
	r = store_mailbox_get(j->s->store, j->name, &m, &j->why);
	if (r == STORE_OK && m.noselect)
		r = STORE_NOTALLOWED;
	for (i = 0; r == STORE_OK && i < j->a->nmsg; i++) {
		const struct imapcmd_append_msg *am = &j->a->msg[i];
		char **kw = xcalloc(am->flags.nkw + 1, sizeof(*kw));
		struct store_append sa = { 0 };
		struct store_msg out;

		for (k = 0; k < am->flags.nkw; k++)
			kw[k] = span_dup(am->flags.kw[k]);
		sa.mailbox = m.id;
		sa.msg = am->data;
		sa.flags = imapd_store_flags(am->flags.sys);
		sa.keywords = (const char *const *)kw;
		sa.nkeywords = am->flags.nkw;
		sa.internaldate = am->has_date ? (int64_t)am->date : 0;
		r = store_append(j->s->store, &sa, &out, &j->why);
		if (r == STORE_OK)
			buf_addf(&uids, "%s%u", i > 0 ? "," : "", out.uid);
		for (k = 0; k < am->flags.nkw; k++)
			free(kw[k]);
		free(kw);
	}
	if (r == STORE_OK) {
		j->status = "OK";
		snprintf(j->text, sizeof(j->text), "[APPENDUID %u %.200s] "
						   "APPEND completed",
		    m.uidvalidity, (const char *)uids.p);
	} else {
		if (r == STORE_TEMP)
			log_warn("%s: append: %s", j->s->id, j->why.msg);
		j->status = "NO";
		snprintf(j->text, sizeof(j->text), "%s",
		    r == STORE_NOTFOUND ? "[TRYCREATE] No such mailbox" :
		    r == STORE_OVERQUOTA ? "[OVERQUOTA] Quota exceeded" :
		    r == STORE_NOTALLOWED ? "[CANNOT] Not allowed" :
					    "[UNAVAILABLE] Try again later");
	}
	buf_fini(&uids);
}

static void
append_done(void *arg)
{
	struct append_job *j = arg;
	struct imapd_sess *s = j->s;

	if (!s->ended)
		imapd_tagged(s, j->status, "%s", j->text);
	free(j);
	imapd_job_end(s);
}

static void
append_free(void *arg)
{
	free(arg);
}

void
imapd_append(struct imapd_sess *s)
{
	struct append_job *j = xcalloc(1, sizeof(*j));
	struct why why = { "" };

	j->s = s;
	j->a = &s->cmd.u.append;
	if (imapd_name_in(s, &j->a->mbox, j->name, &why) == -1) {
		imapd_tagged(s, "NO", "[CANNOT] %s", why.msg);
		free(j);
		return;
	}
	imapd_job(s, append_work, append_done, append_free, j);
}
