/*
 * imapd_fetch.c - FETCH and UID FETCH: every RFC 3501 item (the
 * structures and header fields from the store's cache, never by parsing
 * the message again; body sections read from the message file), MODSEQ
 * and the CHANGEDSINCE and VANISHED modifiers (RFC 7162), and \Seen set
 * by a BODY[...] or RFC822 fetch of a read-write mailbox.
 *
 * The work runs on a worker, a batch at a time, and never holds a whole
 * message: one message's response is kept as segments (bytes built from
 * the cache, and byte ranges of the message file, which stays open), and
 * a batch renders at most IMAPD_FETCH_CHUNK bytes of them, reading a
 * long literal from the file a chunk at a time.  The next batch starts
 * only when the client has read all but IMAPD_FETCH_LOW bytes of the
 * output (the connection's drain callback), so a client that reads
 * slowly holds imapd's memory at about a chunk and a half.
 *
 * Linked into: imapd.  Trust: the items and sets are the client's (parsed
 * by mail/imapcmd); records and caches come from the store, which checks
 * them; message bytes are sent as they are (NULs made 0x80).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"
#include "imapd_condstore.h"
#include "mail/imapenc.h"
#include "mail/imapsect.h"

/* Output of one batch, at most: a literal longer than this is read from
 * the message file and sent a chunk at a time. */
#define IMAPD_FETCH_CHUNK (256 * 1024)
/* The next batch is prepared once the client has left no more than this
 * of the output unread (so that the connection does not run dry). */
#define IMAPD_FETCH_LOW (64 * 1024)

/* A piece of the response of the message in progress: len bytes at off
 * of the built bytes (text), or of the message file when file. */
struct fetch_seg {
	uint64_t off;
	uint64_t len;
	bool file;
};

struct fetch_job {
	struct imapd_sess *s;
	const struct imapcmd_fetch *f;	/* &fc */
	struct imapcmd_fetch fc;	/* the command's, with the items the
					   RFCs imply; borrows its arena */
	struct imapseq vset;		/* VANISHED: the UID set (arena) */
	bool uid_cmd;
	uint32_t *msn;			/* the messages, by number */
	size_t n;
	size_t next;			/* first not yet started */
	bool started;			/* keywords read, \Seen set */
	struct store_mailbox m;		/* keywords, for FLAGS */
	struct buf out;			/* this batch's output */
	struct store_snap *snap;	/* this batch's reads of the index */
	/* The message in progress: its response, sent segment by segment. */
	struct buf text;		/* the built bytes */
	size_t text_mark;		/* text not yet in a segment from here */
	struct fetch_seg *seg;
	size_t nseg;
	size_t segcap;
	size_t seg_at;			/* the segment being sent */
	uint64_t seg_done;		/* bytes of it sent */
	int fd;				/* the message file, or -1 */
	bool failed;			/* between two responses: tagged NO */
	bool broken;			/* inside a response: the end */
	struct why why;
};

int
imapd_local_zone(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return localtime_r(&tt, &tm) != NULL ? (int)(tm.tm_gmtoff / 60) : 0;
}

static bool
sets_seen(const struct imapcmd_fetch_att *a)
{
	return (a->item == IMAPCMD_FI_BODY_SECTION && !a->peek) ||
	    a->item == IMAPCMD_FI_RFC822 || a->item == IMAPCMD_FI_RFC822_TEXT;
}

/* pread n bytes at off of fd, appended to out (NULs made 0x80). */
static int
read_range(int fd, uint64_t off, uint64_t n, struct buf *out,
    struct why *why)
{
	size_t at = out->len;
	ssize_t r;

	if (n > SIZE_MAX || buf_reserve(out, (size_t)n) == -1)
		return why_set(why, "response too large");
	while (n > 0) {
		r = pread(fd, out->p + out->len, (size_t)n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? why_set(why, "message file too short") :
					why_syserr(why, "pread");
		out->len += (size_t)r;
		off += (uint64_t)r;
		n -= (uint64_t)r;
	}
	out->p[out->len] = '\0';
	imapsect_fix_nul(out->p + at, out->len - at);
	return 0;
}

/* A segment of the message in progress. */
static void
add_seg(struct fetch_job *j, uint64_t off, uint64_t len, bool file)
{
	if (len == 0)
		return;
	if (j->nseg == j->segcap) {
		j->segcap = j->segcap == 0 ? 8 : j->segcap * 2;
		j->seg = xreallocarray(j->seg, j->segcap, sizeof(*j->seg));
	}
	j->seg[j->nseg].off = off;
	j->seg[j->nseg].len = len;
	j->seg[j->nseg].file = file;
	j->nseg++;
}

/* The bytes built since the last segment become one. */
static void
end_text_seg(struct fetch_job *j)
{
	add_seg(j, j->text_mark, j->text.len - j->text_mark, false);
	j->text_mark = j->text.len;
}

static void
add_file_seg(struct fetch_job *j, uint64_t off, uint64_t len)
{
	end_text_seg(j);
	add_seg(j, off, len, true);
}

/* Done with the message in progress (sent, or dropped). */
static void
msg_reset(struct fetch_job *j)
{
	buf_reset(&j->text);
	j->text_mark = 0;
	j->nseg = 0;
	j->seg_at = 0;
	j->seg_done = 0;
	if (j->fd != -1) {
		close(j->fd);
		j->fd = -1;
	}
}

/* Move the message's segments into out until out holds a chunk.  0, or
 * -1 with why (the response is then cut short). */
static int
render(struct fetch_job *j)
{
	while (j->seg_at < j->nseg && j->out.len < IMAPD_FETCH_CHUNK) {
		const struct fetch_seg *g = &j->seg[j->seg_at];
		uint64_t n = g->len - j->seg_done;

		if (n > IMAPD_FETCH_CHUNK - j->out.len)
			n = IMAPD_FETCH_CHUNK - j->out.len;
		if (g->file) {
			if (read_range(j->fd, g->off + j->seg_done, n, &j->out,
				&j->why) == -1)
				return -1;
		} else if (buf_add(&j->out, j->text.p + g->off + j->seg_done,
			       (size_t)n) == -1) {
			return why_set(&j->why, "response too large");
		}
		j->seg_done += n;
		if (j->seg_done == g->len) {
			j->seg_at++;
			j->seg_done = 0;
		}
	}
	if (j->seg_at == j->nseg)
		msg_reset(j);
	return 0;
}

/* One section item: its label, the literal. */
static int
add_section(struct fetch_job *j, const struct imapcmd_fetch_att *a,
    const struct msgcache *mc, int fd)
{
	const struct imapcmd_section *sec = &a->sec;
	struct imapsect_spec spec = { 0 };
	struct imapsect is;
	struct buf hdr;
	size_t i;
	int r;

	spec.part = sec->part;
	spec.npart = sec->npart;
	spec.names = sec->field;
	spec.nnames = sec->nfield;
	spec.partial = a->partial;
	spec.start = a->off;
	spec.len = a->len;
	switch (a->item) {
	case IMAPCMD_FI_RFC822:
		spec.text = IMAPSECT_BODY;
		break;
	case IMAPCMD_FI_RFC822_HEADER:
		spec.text = IMAPSECT_HEADER;
		break;
	case IMAPCMD_FI_RFC822_TEXT:
		spec.text = IMAPSECT_TEXT;
		break;
	default:
		spec.text = sec->text == IMAPCMD_SEC_HEADER ? IMAPSECT_HEADER :
		    sec->text == IMAPCMD_SEC_HEADER_FIELDS ? IMAPSECT_FIELDS :
		    sec->text == IMAPCMD_SEC_HEADER_FIELDS_NOT ?
							 IMAPSECT_FIELDS_NOT :
		    sec->text == IMAPCMD_SEC_TEXT ? IMAPSECT_TEXT :
		    sec->text == IMAPCMD_SEC_MIME ? IMAPSECT_MIME :
						    IMAPSECT_BODY;
		break;
	}
	imapsect_init(&is, 64 * 1024 * 1024);
	buf_init(&hdr, 64 * 1024 * 1024);
	r = imapsect_get(&is, mc, &spec, span_make(NULL, 0), &j->why);
	if (r == 1) {
		r = read_range(fd, is.need_off, is.need_len, &hdr, &j->why);
		if (r == 0)
			r = imapsect_get(&is, mc, &spec, buf_span(&hdr),
			    &j->why);
	}
	if (r == 0) {
		if (a->item == IMAPCMD_FI_RFC822)
			buf_adds(&j->text, "RFC822");
		else if (a->item == IMAPCMD_FI_RFC822_HEADER)
			buf_adds(&j->text, "RFC822.HEADER");
		else if (a->item == IMAPCMD_FI_RFC822_TEXT)
			buf_adds(&j->text, "RFC822.TEXT");
		else
			r = imapsect_label(&j->text, &spec);
	}
	if (r == 0) {
		buf_addc(&j->text, ' ');
		r = imapenc_literal_head(&j->text, is.len);
	}
	for (i = 0; r == 0 && i < is.npieces; i++) {
		const struct imapsect_piece *p = imapsect_piece(&is, i);

		if (p->in_text) {
			size_t at = j->text.len;

			r = buf_add(&j->text, is.text.p + p->off, (size_t)p->len);
			if (r == 0)
				imapsect_fix_nul(j->text.p + at, (size_t)p->len);
			else
				why_set(&j->why, "response too large");
		} else {
			/* Read when it is sent, a chunk at a time. */
			add_file_seg(j, p->off, p->len);
		}
	}
	buf_fini(&hdr);
	imapsect_fini(&is);
	return r;
}

/* The response for message number msn.  0, or -1 with why. */
static int
fetch_one(struct fetch_job *j, uint32_t msn)
{
	const struct imapd_view *v = j->s->view;
	const struct imapcmd_fetch *f = j->f;
	struct store *st = j->s->store;
	uint32_t uid = uidmap_uid(&v->uids, msn - 1);
	const char *names[STORE_MAX_KEYWORDS];
	struct store_msg msg;
	struct msgcache mc;
	struct span blob;
	bool have_cache = false, flags_done = false;
	int r = 0;
	const char *sep = "";
	size_t i;
	enum store_res sr;

	sr = store_snap_msg(j->snap, v->mailbox, uid, &msg, &j->why);
	if (sr == STORE_NOTFOUND)
		return 0;	/* expunged by another session meanwhile */
	if (sr != STORE_OK)
		return -1;
	for (i = 0; i < j->m.nkeywords; i++)
		names[i] = j->m.keywords[i];
	buf_addf(&j->text, "* %u FETCH (", msn);
	if (j->uid_cmd || (f->items & (1u << IMAPCMD_FI_UID))) {
		buf_addf(&j->text, "UID %u", uid);
		sep = " ";
	}
	for (i = 0; r == 0 && i < f->natt; i++) {
		const struct imapcmd_fetch_att *a = &f->att[i];

		switch (a->item) {
		case IMAPCMD_FI_UID:
			continue;
		case IMAPCMD_FI_FLAGS:
			if (flags_done)
				continue;
			flags_done = true;
			buf_addf(&j->text, "%sFLAGS ", sep);
			r = imapenc_flags(&j->text, msg.flags |
			    (uid >= v->first_recent ? IMAPENC_RECENT : 0),
			    msg.keywords, names, j->m.nkeywords);
			break;
		case IMAPCMD_FI_INTERNALDATE:
			buf_addf(&j->text, "%sINTERNALDATE ", sep);
			r = imapenc_date_time(&j->text, msg.internaldate,
			    imapd_local_zone(msg.internaldate));
			break;
		case IMAPCMD_FI_RFC822_SIZE:
			buf_addf(&j->text, "%sRFC822.SIZE %llu", sep,
			    (unsigned long long)msg.size);
			break;
		case IMAPCMD_FI_MODSEQ:
			buf_addf(&j->text, "%sMODSEQ (%llu)", sep,
			    (unsigned long long)msg.modseq);
			break;
		default:
			if (!have_cache) {
				if (store_snap_cache(j->snap, v->mailbox, uid,
					&blob, &j->why) != STORE_OK ||
				    msgcache_open(blob, &mc, &j->why) == -1) {
					r = -1;
					break;
				}
				have_cache = true;
			}
			buf_adds(&j->text, sep);
			if (a->item == IMAPCMD_FI_ENVELOPE) {
				buf_adds(&j->text, "ENVELOPE ");
				r = imapenc_envelope(&j->text, &mc, 0);
			} else if (a->item == IMAPCMD_FI_BODYSTRUCTURE ||
			    a->item == IMAPCMD_FI_BODY) {
				bool ext = a->item == IMAPCMD_FI_BODYSTRUCTURE;

				buf_adds(&j->text, ext ? "BODYSTRUCTURE " :
							"BODY ");
				r = imapenc_bodystructure(&j->text, &mc, 0,
				    ext);
			} else if (a->item == IMAPCMD_FI_BINARY ||
			    a->item == IMAPCMD_FI_BINARY_SIZE) {
				r = why_set(&j->why, "BINARY is not "
						     "supported");
			} else {
				if (j->fd == -1 &&
				    store_msg_open(st, v->mailbox, uid, &j->fd,
					&j->why) != STORE_OK) {
					r = -1;
					break;
				}
				r = add_section(j, a, &mc, j->fd);
			}
			break;
		}
		sep = " ";
	}
	buf_adds(&j->text, ")\r\n");
	end_text_seg(j);
	return r;
}

/* The response shows the new FLAGS: the update need not again. */
static void
seen_shown(void *arg, const struct store_msg *m, bool changed)
{
	struct fetch_job *j = arg;

	if (changed && (j->f->items & (1u << IMAPCMD_FI_FLAGS)))
		imapd_view_own(j->s->view, m->uid, m->modseq);
}

static void
set_seen(struct fetch_job *j)
{
	const struct imapd_view *v = j->s->view;
	struct store_flags fl = { STORE_FLAGS_ADD, STORE_SEEN, NULL, 0, 0 };
	uint32_t *uids;
	size_t i, k;
	bool want = false;

	for (i = 0; i < j->f->natt; i++)
		want |= sets_seen(&j->f->att[i]);
	if (!want || v->readonly)
		return;
	uids = xcalloc(j->n, sizeof(*uids));
	for (i = k = 0; i < j->n; i++)
		uids[k++] = uidmap_uid(&v->uids, j->msn[i] - 1);
	/* The FLAGS the client sees in the response are the new ones. */
	if (store_flags_change(j->s->store, v->mailbox, uids, k, &fl,
		seen_shown, j, &j->why) != STORE_OK)
		log_warn("%s: setting \\Seen: %s", j->s->id, j->why.msg);
	free(uids);
}

/* CHANGEDSINCE: only the messages changed since; with VANISHED, the
 * UIDs of the set expunged since come first. */
static int
changed_only(struct fetch_job *j)
{
	const struct imapd_view *v = j->s->view;

	return imapd_changedsince(j->s->store, v, j->m.highestmodseq,
		   j->f->changedsince, j->f->vanished ? &j->vset : NULL,
		   j->msn, &j->n, &j->out, &j->why) == STORE_OK ? 0 : -1;
}

/* Responses until a chunk is ready or the messages are done. */
static void
fetch_batch(struct fetch_job *j)
{
	for (;;) {
		if (render(j) == -1) {
			j->broken = true;
			return;
		}
		if (j->nseg > 0 || j->out.len >= IMAPD_FETCH_CHUNK ||
		    j->next == j->n)
			return;
		if (fetch_one(j, j->msn[j->next++]) == -1) {
			/* Nothing of this response went out: drop it. */
			msg_reset(j);
			j->failed = true;
			return;
		}
	}
}

static void
fetch_work(void *arg)
{
	struct fetch_job *j = arg;

	if (!j->started) {
		j->started = true;
		if (store_mailbox_by_id(j->s->store, j->s->view->mailbox, &j->m,
			&j->why) != STORE_OK) {
			j->failed = true;
			return;
		}
		if (j->f->has_changedsince && changed_only(j) == -1) {
			j->failed = true;
			return;
		}
		set_seen(j);
	}
	/* The batch's records and caches: one snapshot. */
	if (store_snap_begin(j->s->store, &j->snap, &j->why) != STORE_OK) {
		j->failed = true;
		return;
	}
	fetch_batch(j);
	store_snap_end(&j->snap);
}

static void
fetch_free(void *arg)
{
	struct fetch_job *j = arg;

	msg_reset(j);
	free(j->seg);
	buf_fini(&j->text);
	buf_fini(&j->out);
	free(j->msn);
	free(j);
}

static void fetch_done(void *arg);

/* The client has read enough of the last batch: the next one. */
static void
fetch_next(void *arg)
{
	struct fetch_job *j = arg;
	struct imapd_sess *s = j->s;

	if (worker_submit(s->d->pool, fetch_work, fetch_done, j) == 0)
		return;
	if (j->nseg > 0) {
		/* Inside a literal nothing else may be said. */
		log_warn("%s: fetch: no worker to go on with", s->id);
		s->quitting = true;
		lineio_close_flush(s->io);
	} else {
		imapd_tagged(s, "NO", "[UNAVAILABLE] Server busy");
	}
	fetch_free(j);
	imapd_job_end(s);
}

static void
fetch_done(void *arg)
{
	struct fetch_job *j = arg;
	struct imapd_sess *s = j->s;

	if (s->ended) {
		fetch_free(j);
		imapd_job_end(s);
		return;
	}
	imapd_write(s, j->out.p, j->out.len);
	buf_reset(&j->out);
	if (j->broken) {
		/* The literal was announced with its length and cannot be
		 * finished: the client sees the connection end instead. */
		log_warn("%s: fetch: %s; closing", s->id, j->why.msg);
		s->quitting = true;
		lineio_close_flush(s->io);
	} else if (j->failed) {
		log_warn("%s: fetch: %s", s->id, j->why.msg);
		imapd_tagged(s, "NO", "[SERVERBUG] FETCH failed: %s", j->why.msg);
	} else if (j->nseg > 0 || j->next < j->n) {
		/* The session stays busy; the job goes on once the client
		 * has read most of what is queued (back-pressure). */
		mailjob_wait_output(&s->job, IMAPD_FETCH_LOW, fetch_next, fetch_free,
		    j);
		return;
	} else {
		imapd_tagged(s, "OK", "%sFETCH completed",
		    j->uid_cmd ? "UID " : "");
	}
	fetch_free(j);
	imapd_job_end(s);
}

/* Append to *msn (n long) the message numbers of the UIDs in r; returns
 * the new length. */
static size_t
range_msns(const struct uidmap *m, const struct imapseq_range *r,
    uint32_t **msn, size_t n)
{
	size_t a = uidmap_lower(m, r->lo), b;

	b = r->hi == UINT32_MAX ? uidmap_count(m) : uidmap_lower(m, r->hi + 1);
	if (a >= b)
		return n;
	*msn = xreallocarray(*msn, n + (b - a), sizeof(**msn));
	for (; a < b; a++)
		(*msn)[n++] = (uint32_t)(a + 1);
	return n;
}

/* The message numbers a command's set names (UIDs or numbers); -1 when
 * a message number is out of range. */
int
imapd_set_msns(struct imapd_sess *s, struct imapseq *set, bool uid,
    uint32_t **out, size_t *n_out)
{
	const struct imapd_view *v = s->view;
	struct imapseq_iter it = { 0 };
	uint32_t x, *msn = NULL;
	size_t n = 0, i;

	if (uid) {
		imapseq_resolve(set, uidmap_last(&v->uids));
		/* The ranges ascend apart: so do the numbers they hold. */
		for (i = 0; i < set->n; i++)
			n = range_msns(&v->uids, &set->r[i], &msn, n);
	} else {
		imapseq_resolve(set, (uint32_t)uidmap_count(&v->uids));
		if (set->n > 0 && imapseq_max(set) > uidmap_count(&v->uids)) {
			free(msn);
			return -1;
		}
		while (imapseq_next(set, &it, &x)) {
			msn = xreallocarray(msn, n + 1, sizeof(*msn));
			msn[n++] = x;
		}
	}
	*out = msn;
	*n_out = n;
	return 0;
}

/* Add item to the job's copy of the command (arena); -1 when full. */
static int
imply(struct fetch_job *j, enum imapcmd_fetch_item item)
{
	struct imapcmd_fetch_att *att;

	if (j->fc.items & (1u << item))
		return 0;
	att = arena_allocarray(&j->s->arena, j->fc.natt + 1, sizeof(*att));
	if (att == NULL)
		return -1;
	if (j->fc.natt > 0)
		memcpy(att, j->fc.att, j->fc.natt * sizeof(*att));
	att[j->fc.natt].item = item;
	j->fc.att = att;
	j->fc.natt++;
	j->fc.items |= 1u << item;
	return 0;
}

/* The items the RFCs add, and the UID set VANISHED reads (before the
 * set is resolved against the view's last UID). */
static int
fetch_prepare(struct fetch_job *j)
{
	const struct imapd_view *v = j->s->view;
	const struct imapseq *set = &j->fc.set;
	struct imapseq_range *r;
	bool seen = false;
	size_t i;

	for (i = 0; i < j->fc.natt; i++)
		seen |= sets_seen(&j->fc.att[i]);
	/* RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ; 3.1: a FETCH that
	 * sets \Seen shows UID, FLAGS and MODSEQ once CONDSTORE is on. */
	if (j->fc.has_changedsince && imply(j, IMAPCMD_FI_MODSEQ) == -1)
		return -1;
	if (seen && !v->readonly && j->s->condstore &&
	    (imply(j, IMAPCMD_FI_UID) == -1 ||
		imply(j, IMAPCMD_FI_FLAGS) == -1 ||
		imply(j, IMAPCMD_FI_MODSEQ) == -1))
		return -1;
	if (!j->fc.vanished)
		return 0;
	r = arena_allocarray(&j->s->arena, set->n + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	if (set->n > 0)
		memcpy(r, set->r, set->n * sizeof(*r));
	j->vset = *set;
	j->vset.r = r;
	j->vset.max = set->n + 1;
	/* "*" is the highest UID the client may have known. */
	return imapseq_resolve(&j->vset, v->uidnext - 1);
}

void
imapd_fetch(struct imapd_sess *s)
{
	struct fetch_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->fc = s->cmd.u.fetch;
	j->f = &j->fc;
	j->uid_cmd = s->cmd.uid;
	/* RFC 7162 3.1: CONDSTORE-enabling. */
	if (j->fc.has_changedsince || (j->fc.items & (1u << IMAPCMD_FI_MODSEQ)))
		imapd_condstore_on(s);
	if (fetch_prepare(j) == -1) {
		imapd_tagged(s, "BAD", "[LIMIT] FETCH too large");
		free(j);
		return;
	}
	if (imapd_set_msns(s, &j->fc.set, s->cmd.uid, &j->msn, &j->n) == -1) {
		imapd_tagged(s, "BAD", "Invalid message number");
		free(j);
		return;
	}
	buf_init(&j->out, 2 * IMAPD_FETCH_CHUNK);
	buf_init(&j->text, 64 * 1024 * 1024);
	j->fd = -1;
	imapd_job(s, fetch_work, fetch_done, fetch_free, j);
}
