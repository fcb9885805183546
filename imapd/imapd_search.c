/*
 * imapd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4), with
 * ESEARCH's RETURN options (RFC 4731) and CONDSTORE's MODSEQ key (RFC
 * 7162 3.1.5).  The keys come parsed (mail/imapsearch); they are matched
 * on a worker, a batch of messages at a time, against the index records
 * (flags, keywords, sizes, dates, modseqs).  Header keys read the
 * store's cache, and the message header only for fields the cache does
 * not hold; BODY and TEXT read the message file and decode it
 * (mail/mailtext).  Nothing is read that no key asks for.
 * Linked into: imapd.  Runs as store_owner.  Trust: the keys are the
 * client's (parsed and bounded by mail/imapcmd); records and caches are
 * checked by the store; message bytes are hostile mail, decoded by
 * mail/mailtext within fixed bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "mail/hdr.h"
#include "mail/imapenc.h"
#include "mail/imapsearch.h"
#include "mail/mailtext.h"
#include "mail/msgcache.h"

/* Index records looked at in one batch of work. */
#define SEARCH_BATCH_MSGS 128
/* Message bytes read in one batch (one message may take it past). */
#define SEARCH_BATCH_BYTES (8 * 1024 * 1024)
/* Most bytes of one message file read, and of its decoded text. */
#define SEARCH_MAX_FILE ((size_t)256 * 1024 * 1024)
#define SEARCH_MAX_TEXT ((size_t)256 * 1024 * 1024)

struct search_job;

/* What has been read of the message being matched (reset for each). */
struct search_msg {
	struct search_job *j;
	const struct store_msg *rec;
	int cache_st;			/* 0: not tried, 1: mc is good, -1 */
	struct msgcache mc;		/* borrowed from the job's snapshot */
	int head_st;			/* the header block in head */
	struct buf head;
	int file_st;			/* the whole file in file */
	struct buf file;
	int body_st;			/* BODY's text in body */
	struct buf body;
	int text_st;			/* TEXT's text in text */
	struct buf text;
	struct buf val;			/* the header value last asked for */
};

struct search_job {
	struct imapd_sess *s;
	const struct imapsearch *q;	/* borrowed: the session's command */
	bool uid_cmd;
	bool started;
	size_t next;			/* view index of the next message */
	struct store_mailbox m;		/* keyword names */
	struct store_msg *rec;		/* this batch's records */
	struct store_snap *snap;	/* this batch's reads of caches */
	size_t nrec;
	bool list_end;			/* the store has no more records */
	uint64_t bytes;			/* read in this batch */
	uint32_t *hit;			/* message numbers that matched */
	uint64_t *hitmod;		/* and their modseqs */
	size_t nhit;
	size_t hitcap;
	struct search_msg x;
	bool failed;
	struct why why;
};

/* ---- Reading a message, as far as the keys need ---- */

static bool
load_cache(struct search_msg *x)
{
	struct search_job *j = x->j;
	struct span blob;

	if (x->cache_st == 0) {
		x->cache_st = -1;
		if (store_snap_cache(j->snap, j->s->view->mailbox,
			x->rec->uid, &blob, &j->why) == STORE_OK &&
		    msgcache_open(blob, &x->mc, &j->why) == 0)
			x->cache_st = 1;
	}
	return x->cache_st == 1;
}

/* Read up to n bytes of the message file from its start into out. */
static bool
read_file(struct search_msg *x, size_t n, struct buf *out)
{
	struct search_job *j = x->j;
	ssize_t r;
	int fd;

	if (store_msg_open(j->s->store, j->s->view->mailbox, x->rec->uid, &fd,
		&j->why) != STORE_OK)
		return false;
	if (n > out->max)
		n = out->max;
	if (buf_reserve(out, n) == -1) {
		close(fd);
		return false;
	}
	while (out->len < n) {
		r = pread(fd, out->p + out->len, n - out->len,
		    (off_t)out->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		out->len += (size_t)r;
	}
	close(fd);
	j->bytes += out->len;
	return true;
}

static bool
load_file(struct search_msg *x)
{
	if (x->file_st == 0)
		x->file_st = read_file(x, x->rec->size, &x->file) ? 1 : -1;
	return x->file_st == 1;
}

/* The message's header block: from the file if it is read, else only
 * the header's bytes (the whole file when the cache cannot tell how
 * long the header is). */
static bool
load_head(struct search_msg *x, struct span *out)
{
	if (x->file_st == 0 && x->head_st == 0 && !load_cache(x))
		load_file(x);
	if (x->file_st == 1) {
		*out = span_make(x->file.p,
		    hdr_block_len(buf_span(&x->file)));
		return true;
	}
	if (x->head_st == 0)
		x->head_st = x->cache_st == 1 &&
			read_file(x, x->mc.header_size, &x->head) ? 1 : -1;
	*out = buf_span(&x->head);
	return x->head_st == 1;
}

/* The value of the field f (one whole field as written), decoded. */
static struct span
field_value(struct search_msg *x, struct span f)
{
	struct hdr_iter it;
	struct hdr_field hf;

	buf_reset(&x->val);
	hdr_init(&it, f);
	if (hdr_next(&it, &hf))
		mailtext_header(hf.value, &x->val);
	return buf_span(&x->val);
}

static bool
cb_header(void *arg, struct span name, size_t i, struct span *out)
{
	struct search_msg *x = arg;
	struct hdr_iter it;
	struct hdr_field hf;
	struct span fname, field, head;
	uint32_t k;
	size_t seen = 0;

	if (load_cache(x) && msgcache_field_cached(&x->mc, name)) {
		for (k = 0; k < x->mc.nfields; k++) {
			msgcache_field(&x->mc, k, &fname, &field);
			if (span_eq_span_nocase(fname, name) && seen++ == i) {
				*out = field_value(x, field);
				return true;
			}
		}
		return false;
	}
	if (!load_head(x, &head))
		return false;
	hdr_init(&it, head);
	while (hdr_next(&it, &hf))
		if (span_eq_span_nocase(hf.name, name) && seen++ == i) {
			*out = field_value(x, hf.line);
			return true;
		}
	return false;
}

static bool
cb_keyword(void *arg, struct span kw)
{
	struct search_msg *x = arg;
	const struct store_mailbox *m = &x->j->m;
	unsigned i;

	for (i = 0; i < m->nkeywords; i++)
		if ((x->rec->keywords & (UINT64_C(1) << i)) &&
		    span_eq_nocase(kw, m->keywords[i]))
			return true;
	return false;
}

/* Every field of a header block, decoded, as "name: value" lines. */
static void
add_fields(struct buf *out, struct span head)
{
	struct hdr_iter it;
	struct hdr_field hf;

	hdr_init(&it, head);
	while (hdr_next(&it, &hf)) {
		buf_addspan(out, hf.name);
		buf_adds(out, ": ");
		mailtext_header(hf.value, out);
		buf_addc(out, '\n');
	}
}

/* Part p's Content-Type charset parameter (empty: none). */
static struct span
part_charset(const struct msgcache *mc, const struct msgcache_part *p)
{
	struct msgcache_str attr, val;
	uint32_t i;

	for (i = 0; i < p->n_type_params; i++) {
		msgcache_param(mc, p->params + i, &attr, &val);
		if (!attr.nil && span_eq_nocase(attr.s, "charset"))
			return val.s;
	}
	return span_make(NULL, 0);
}

/*
 * BODY's text: the decoded bodies of the text parts (text/..., and parts
 * without a usable Content-Type), embedded messages' included; with
 * headers, TEXT's: every header of the message and its parts first.
 * Without a usable cache, the body as it is.
 */
static void
build_text(struct search_msg *x, bool headers, struct buf *out)
{
	struct span f = buf_span(&x->file);
	struct msgcache_part p;
	uint32_t i;

	if (f.len == 0)
		return;
	if (!load_cache(x)) {
		size_t hl = hdr_block_len(f);

		if (headers)
			add_fields(out, span_make(f.p, hl));
		buf_add(out, f.p + hl, f.len - hl);
		return;
	}
	for (i = 0; headers && i < x->mc.nparts; i++) {
		msgcache_part(&x->mc, i, &p);
		if (p.off <= f.len && p.header_len <= f.len - p.off)
			add_fields(out, span_make(f.p + p.off, p.header_len));
	}
	for (i = 0; i < x->mc.nparts; i++) {
		size_t at;

		msgcache_part(&x->mc, i, &p);
		at = (size_t)p.off + p.header_len;
		if ((p.flags & (MIME_F_MULTIPART | MIME_F_RFC822)) ||
		    !span_eq_nocase(p.type.s, "text") || at > f.len ||
		    p.body_len > f.len - at)
			continue;
		mailtext_body(span_make(f.p + at, p.body_len), p.encoding.s,
		    part_charset(&x->mc, &p), out);
		buf_addc(out, '\n');
	}
}

static bool
cb_text(void *arg, bool whole, struct span *out)
{
	struct search_msg *x = arg;
	int *st = whole ? &x->text_st : &x->body_st;
	struct buf *b = whole ? &x->text : &x->body;

	if (*st == 0) {
		*st = -1;
		if (load_file(x)) {
			build_text(x, whole, b);
			*st = 1;
		}
	}
	*out = buf_span(b);
	return *st == 1;
}

/* ---- The batches ---- */

static bool
collect(void *arg, const struct store_msg *m)
{
	struct search_job *j = arg;
	const struct imapd_view *v = j->s->view;

	/* Messages the session has not been told of are not searched. */
	if (m->uid > uidmap_last(&v->uids))
		return false;
	j->rec[j->nrec++] = *m;
	return j->nrec < SEARCH_BATCH_MSGS;
}

static void
msg_reset(struct search_msg *x, const struct store_msg *rec)
{
	x->rec = rec;
	x->cache_st = x->head_st = x->file_st = 0;
	x->body_st = x->text_st = 0;
	buf_reset(&x->head);
	buf_reset(&x->file);
	buf_reset(&x->body);
	buf_reset(&x->text);
}

static void
add_hit(struct search_job *j, uint32_t msn, uint64_t modseq)
{
	if (j->nhit == j->hitcap) {
		j->hitcap = j->hitcap == 0 ? 256 : j->hitcap * 2;
		j->hit = xreallocarray(j->hit, j->hitcap, sizeof(*j->hit));
		j->hitmod = xreallocarray(j->hitmod, j->hitcap,
		    sizeof(*j->hitmod));
	}
	j->hit[j->nhit] = msn;
	j->hitmod[j->nhit++] = modseq;
}

static void
match_one(struct search_job *j, const struct store_msg *r, uint32_t msn)
{
	const struct imapd_view *v = j->s->view;
	struct imapsearch_msg m = { 0 };

	msg_reset(&j->x, r);
	m.msn = msn;
	m.uid = r->uid;
	m.flags = imapd_cmd_flags(r->flags) |
	    (r->uid >= v->first_recent ? IMAPCMD_F_RECENT : 0);
	m.size = r->size;
	m.modseq = r->modseq;
	m.internal = (time_t)r->internaldate;
	m.internal_tz = imapd_local_zone(r->internaldate);
	m.arg = &j->x;
	m.keyword = cb_keyword;
	m.header = cb_header;
	m.text = cb_text;
	if (imapsearch_eval(j->q, &m, (uint32_t)uidmap_count(&v->uids),
		uidmap_last(&v->uids)))
		add_hit(j, msn, r->modseq);
}

static void
search_work(void *arg)
{
	struct search_job *j = arg;
	const struct imapd_view *v = j->s->view;
	struct store *st = j->s->store;
	size_t i, n = uidmap_count(&v->uids);

	if (!j->started) {
		j->started = true;
		if (store_mailbox_by_id(st, v->mailbox, &j->m, &j->why) !=
		    STORE_OK) {
			j->failed = true;
			return;
		}
	}
	j->nrec = 0;
	j->bytes = 0;
	if (store_msg_list(st, v->mailbox, uidmap_uid(&v->uids, j->next),
		collect, j, &j->why) != STORE_OK) {
		j->failed = true;
		return;
	}
	j->list_end = j->nrec < SEARCH_BATCH_MSGS;
	if (store_snap_begin(st, &j->snap, &j->why) != STORE_OK) {
		j->failed = true;
		return;
	}
	/* Both lists ascend; a message of the view that the store no
	 * longer has (expunged elsewhere, not yet announced) matches
	 * nothing. */
	for (i = 0; i < j->nrec && j->bytes < SEARCH_BATCH_BYTES; i++) {
		size_t at = uidmap_lower(&v->uids, j->rec[i].uid);

		if (at > j->next)
			j->next = at;
		if (j->next < n &&
		    uidmap_uid(&v->uids, j->next) == j->rec[i].uid) {
			match_one(j, &j->rec[i], (uint32_t)(j->next + 1));
			j->next++;
		}
	}
	store_snap_end(&j->snap);
	if (i == j->nrec && j->list_end)
		j->next = n;
}

/* ---- The answer ---- */

/* The highest modseq of the messages the answer names (RFC 4731 3.2:
 * with only MIN and MAX, of those two). */
static uint64_t
answer_modseq(const struct search_job *j)
{
	uint64_t best = 0;
	size_t i;

	if (!j->q->esearch ||
	    (j->q->ret & (IMAPSEARCH_RET_ALL | IMAPSEARCH_RET_COUNT))) {
		for (i = 0; i < j->nhit; i++)
			if (j->hitmod[i] > best)
				best = j->hitmod[i];
		return best;
	}
	if (j->q->ret & IMAPSEARCH_RET_MIN)
		best = j->hitmod[0];
	if ((j->q->ret & IMAPSEARCH_RET_MAX) && j->hitmod[j->nhit - 1] > best)
		best = j->hitmod[j->nhit - 1];
	return best;
}

static void
answer(struct search_job *j, struct buf *out)
{
	const struct imapd_view *v = j->s->view;
	unsigned ret = j->q->ret;
	size_t i;

	/* Message numbers become UIDs in place: both ascend. */
	for (i = 0; j->uid_cmd && i < j->nhit; i++)
		j->hit[i] = uidmap_uid(&v->uids, j->hit[i] - 1);
	if (!j->q->esearch) {
		buf_adds(out, "* SEARCH");
		for (i = 0; i < j->nhit; i++)
			buf_addf(out, " %u", j->hit[i]);
	} else {
		buf_adds(out, "* ESEARCH (TAG ");
		imapenc_string(out, span_str(j->s->tag));
		buf_adds(out, j->uid_cmd ? ") UID" : ")");
		if ((ret & IMAPSEARCH_RET_MIN) && j->nhit > 0)
			buf_addf(out, " MIN %u", j->hit[0]);
		if ((ret & IMAPSEARCH_RET_MAX) && j->nhit > 0)
			buf_addf(out, " MAX %u", j->hit[j->nhit - 1]);
		if (ret & IMAPSEARCH_RET_COUNT)
			buf_addf(out, " COUNT %zu", j->nhit);
		if ((ret & IMAPSEARCH_RET_ALL) && j->nhit > 0) {
			buf_adds(out, " ALL ");
			imapd_uidset_format(j->hit, j->nhit, out);
		}
	}
	if (j->q->modseq && j->nhit > 0)
		buf_addf(out, j->q->esearch ? " MODSEQ %llu" : " (MODSEQ %llu)",
		    (unsigned long long)answer_modseq(j));
	buf_adds(out, "\r\n");
}

static void
search_free(void *arg)
{
	struct search_job *j = arg;

	buf_fini(&j->x.head);
	buf_fini(&j->x.file);
	buf_fini(&j->x.body);
	buf_fini(&j->x.text);
	buf_fini(&j->x.val);
	free(j->rec);
	free(j->hit);
	free(j->hitmod);
	free(j);
}

/* The untagged answer and the tagged OK. */
static void
reply(struct search_job *j)
{
	struct imapd_sess *s = j->s;
	struct buf out;

	buf_init(&out, BUF_MAX_CEILING);
	answer(j, &out);
	imapd_write(s, out.p, out.len);
	buf_fini(&out);
	imapd_tagged(s, "OK", "%sSEARCH completed", j->uid_cmd ? "UID " : "");
}

static void
search_done(void *arg)
{
	struct search_job *j = arg;
	struct imapd_sess *s = j->s;

	if (s->ended) {
		search_free(j);
		imapd_job_end(s);
		return;
	}
	if (j->failed) {
		log_warn("%s: search: %s", s->id, j->why.msg);
		imapd_tagged(s, "NO", "[UNAVAILABLE] SEARCH failed, try again "
				      "later");
	} else if (j->next < uidmap_count(&s->view->uids)) {
		/* The next batch, on the same job (the session stays busy,
		 * and so the view stays as it is). */
		if (worker_submit(s->d->pool, search_work, search_done, j) == 0)
			return;
		imapd_tagged(s, "NO", "[UNAVAILABLE] Server busy");
	} else {
		reply(j);
	}
	search_free(j);
	imapd_job_end(s);
}

/* ---- The command ---- */

/* A message number in k's tree past the last (RFC 3501 6.4.4 names
 * numbers "in the mailbox"; "*" and ranges ending in it never are). */
static bool
past_end(const struct imapsearch_key *k, size_t n)
{
	const struct imapsearch_key *x;
	size_t i;

	if (k->op == IMAPSEARCH_SEQ) {
		for (i = 0; i < k->set.n; i++)
			if (k->set.r[i].hi > n)
				return true;
		if (k->set.star && n > 0 && k->set.star_lo <= k->set.star_hi &&
		    k->set.star_hi > n)
			return true;
	}
	for (x = k->kid; x != NULL; x = x->next)
		if (past_end(x, n))
			return true;
	return false;
}

void
imapd_search(struct imapd_sess *s)
{
	const struct imapsearch *q = s->cmd.u.search;
	struct search_job *j;

	if (q->ret & IMAPSEARCH_RET_SAVE) {
		imapd_tagged(s, "BAD", "RETURN (SAVE) is not supported");
		return;
	}
	if (past_end(q->root, uidmap_count(&s->view->uids))) {
		imapd_tagged(s, "BAD", "Invalid message number");
		return;
	}
	/* RFC 7162 3.1: the MODSEQ key enables CONDSTORE. */
	if (q->modseq)
		imapd_condstore_on(s);
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->q = q;
	j->uid_cmd = s->cmd.uid;
	if (uidmap_count(&s->view->uids) == 0) {
		/* Nothing to read: the answer is empty. */
		reply(j);
		search_free(j);
		return;
	}
	j->rec = xcalloc(SEARCH_BATCH_MSGS, sizeof(*j->rec));
	j->x.j = j;
	buf_init(&j->x.head, 64 * 1024 * 1024);
	buf_init(&j->x.file, SEARCH_MAX_FILE);
	buf_init(&j->x.body, SEARCH_MAX_TEXT);
	buf_init(&j->x.text, SEARCH_MAX_TEXT);
	buf_init(&j->x.val, 1024 * 1024);
	imapd_job(s, search_work, search_done, search_free, j);
}
