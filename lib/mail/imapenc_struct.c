/*
 * imapenc_struct.c - ENVELOPE, BODYSTRUCTURE and BODY (RFC 3501 section
 * 7.4.2) written from a message cache, without reading the message.
 * Linked into: imapd.  Trust: the cache passed msgcache_open's checks
 * (links, extents, string and list bounds, tree depth at most
 * MIME_MAX_DEPTH, so the recursion here is bounded); its strings are a
 * remote sender's and go through imapenc_string.  A string shared by
 * many records can make the output far larger than the blob: out's max
 * bounds it, and the walk stops at the first append that fails.
 *
 * Where the cache leaves a choice, the output is Dovecot 2.3's (checked
 * against it, message by message): a text part without a charset
 * parameter gets ("charset" "us-ascii"), RFC 2046's default, after its
 * other parameters; a message/rfc822 part is always written with an
 * envelope, a body and lines, all empty (NIL envelope, one empty
 * text/plain part) when the cache holds no embedded message (an encoded
 * one, a header without a body, a limit), since clients parse those
 * three fields by type; message/global is a basic part, as RFC 3501's
 * grammar (IMAP4rev1) has it; and a mailbox of an address is sent
 * without its RFC 5322 quoting (RFC 3501: "local-part after removing
 * [RFC-2822] quoting").
 */
#include "mail/imapenc.h"

/* The empty part written for a multipart without children and as the
 * body of an empty message/rfc822 (before its extension data and ')'),
 * and the envelope of the latter: what Dovecot writes. */
#define EMPTY_PART                                                             \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"
#define NIL_ENVELOPE "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

struct writer {
	struct buf *out;
	const struct msgcache *mc;
	bool full; /* an append failed: write nothing more */
};

static void
put(struct writer *w, const char *s)
{
	if (!w->full && buf_adds(w->out, s) == -1)
		w->full = true;
}

static void
put_num(struct writer *w, uint32_t n)
{
	if (!w->full && buf_addf(w->out, "%u", n) == -1)
		w->full = true;
}

/* A string that the grammar says cannot be NIL: NIL is written "". */
static void
put_string(struct writer *w, struct msgcache_str s)
{
	if (!w->full && imapenc_string(w->out, s.s) == -1)
		w->full = true;
}

static void
put_nstring(struct writer *w, struct msgcache_str s)
{
	if (!w->full && imapenc_nstring(w->out, s.nil ? NULL : &s.s) == -1)
		w->full = true;
}

/*
 * An address's mailbox: the cache keeps a local part that is no dot-atom
 * quoted ("a b"), a backslash before each quote and backslash
 * (mail/hdraddr.h); IMAP wants it unquoted.  A dot-atom never starts
 * with a quote.
 */
static void
put_mailbox(struct writer *w, struct msgcache_str s)
{
	struct buf plain;
	size_t i;

	if (s.nil || s.s.len < 2 || s.s.p[0] != '"' ||
	    s.s.p[s.s.len - 1] != '"') {
		put_nstring(w, s);
		return;
	}
	buf_init(&plain, s.s.len);
	for (i = 1; i + 1 < s.s.len; i++) {
		if (s.s.p[i] == '\\' && i + 2 < s.s.len)
			i++;
		buf_addc(&plain, s.s.p[i]);
	}
	if (!w->full && imapenc_string(w->out, buf_span(&plain)) == -1)
		w->full = true;
	buf_fini(&plain);
}

/* An address list: NIL when empty, else "(" 1*address ")". */
static void
put_addrs(struct writer *w, const struct msgcache_env *e, enum msgcache_list k)
{
	struct msgcache_addr a;
	uint32_t i;

	if (e->count[k] == 0) {
		put(w, "NIL");
		return;
	}
	put(w, "(");
	for (i = 0; i < e->count[k] && !w->full; i++) {
		msgcache_addr(w->mc, e->first[k] + i, &a);
		put(w, "(");
		put_nstring(w, a.name);
		put(w, " ");
		put_nstring(w, a.route);
		put(w, " ");
		if (a.host.nil)
			put_nstring(w, a.mailbox); /* a group's name */
		else
			put_mailbox(w, a.mailbox);
		put(w, " ");
		put_nstring(w, a.host);
		put(w, ")");
	}
	put(w, ")");
}

static void
envelope(struct writer *w, uint32_t i)
{
	struct msgcache_env e;
	enum msgcache_list k;

	if (msgcache_envelope(w->mc, i, &e) == -1) {
		put(w, NIL_ENVELOPE);
		return;
	}
	put(w, "(");
	put_nstring(w, e.date);
	put(w, " ");
	put_nstring(w, e.subject);
	for (k = MSGCACHE_FROM; k < MSGCACHE_NLISTS; k++) {
		put(w, " ");
		put_addrs(w, &e, k);
	}
	put(w, " ");
	put_nstring(w, e.in_reply_to);
	put(w, " ");
	put_nstring(w, e.message_id);
	put(w, ")");
}

/* body-fld-param: NIL, or "(" attribute SP value ... ")" for the n
 * parameters from first; with charset, a charset parameter is added
 * when there is none. */
static void
put_params(struct writer *w, uint32_t first, uint32_t n, bool charset)
{
	struct msgcache_str attr;
	struct msgcache_str value;
	uint32_t k;

	for (k = 0; k < n && charset; k++) {
		msgcache_param(w->mc, first + k, &attr, &value);
		charset = !span_eq_nocase(attr.s, "charset");
	}
	if (n == 0 && !charset) {
		put(w, "NIL");
		return;
	}
	put(w, "(");
	for (k = 0; k < n && !w->full; k++) {
		msgcache_param(w->mc, first + k, &attr, &value);
		if (k > 0)
			put(w, " ");
		put_string(w, attr);
		put(w, " ");
		put_string(w, value);
	}
	if (charset)
		put(w, n > 0 ? " \"charset\" \"us-ascii\""
		             : "\"charset\" \"us-ascii\"");
	put(w, ")");
}

/* The extension data every part has after its own: disposition,
 * language and location (body-fld-dsp SP body-fld-lang SP body-fld-loc). */
static void
put_ext_tail(struct writer *w, const struct msgcache_part *p)
{
	struct msgcache_str attr;
	struct msgcache_str value;
	uint32_t lang = p->params + p->n_type_params + p->n_disp_params;
	uint32_t k;

	if (p->disposition.nil) {
		put(w, "NIL");
	} else {
		put(w, "(");
		put_string(w, p->disposition);
		put(w, " ");
		put_params(w, p->params + p->n_type_params, p->n_disp_params,
		           false);
		put(w, ")");
	}
	put(w, " ");
	if (p->n_lang == 0)
		put(w, "NIL");
	else
		put(w, "(");
	for (k = 0; k < p->n_lang && !w->full; k++) {
		msgcache_param(w->mc, lang + k, &attr, &value);
		if (k > 0)
			put(w, " ");
		put_string(w, value);
	}
	if (p->n_lang > 0)
		put(w, ")");
	put(w, " ");
	put_nstring(w, p->location);
}

static void body(struct writer *w, uint32_t i, bool ext);

/* body-type-mpart: the children, the subtype, then body-ext-mpart. */
static void
multipart(struct writer *w, uint32_t i, const struct msgcache_part *p, bool ext)
{
	uint32_t c = msgcache_first_child(w->mc, i);

	if (c == MSGCACHE_NONE)
		put(w, ext ? EMPTY_PART " NIL NIL NIL NIL)" : EMPTY_PART ")");
	for (; c != MSGCACHE_NONE && !w->full;
	     c = msgcache_next_sibling(w->mc, c))
		body(w, c, ext);
	put(w, " ");
	put_string(w, p->subtype);
	if (!ext)
		return;
	put(w, " ");
	put_params(w, p->params, p->n_type_params, false);
	put(w, " ");
	put_ext_tail(w, p);
}

static bool
is_text(const struct msgcache_part *p)
{
	return span_eq_nocase(p->type.s, "text");
}

/* RFC 3501's media-message: the one type written as body-type-msg. */
static bool
is_rfc822(const struct msgcache_part *p)
{
	return span_eq_nocase(p->type.s, "message") &&
	       span_eq_nocase(p->subtype.s, "rfc822");
}

/* body-type-basic, -msg or -text, then body-ext-1part. */
static void
single(struct writer *w, uint32_t i, const struct msgcache_part *p, bool ext)
{
	put_string(w, p->type);
	put(w, " ");
	put_string(w, p->subtype);
	put(w, " ");
	put_params(w, p->params, p->n_type_params, is_text(p));
	put(w, " ");
	put_nstring(w, p->id);
	put(w, " ");
	put_nstring(w, p->description);
	put(w, " ");
	put_string(w, p->encoding);
	put(w, " ");
	put_num(w, p->body_len);
	if (is_rfc822(p) && (p->flags & MIME_F_RFC822)) {
		/* The one child is the embedded message (msgcache_open). */
		put(w, " ");
		envelope(w, i + 1);
		put(w, " ");
		body(w, i + 1, ext);
	} else if (is_rfc822(p)) {
		put(w, " " NIL_ENVELOPE " ");
		put(w, ext ? EMPTY_PART " NIL NIL NIL NIL)" : EMPTY_PART ")");
	}
	if (is_rfc822(p) || is_text(p)) {
		put(w, " ");
		put_num(w, p->body_lines);
	}
	if (!ext)
		return;
	put(w, " ");
	put_nstring(w, p->md5);
	put(w, " ");
	put_ext_tail(w, p);
}

static void
body(struct writer *w, uint32_t i, bool ext)
{
	struct msgcache_part p;

	msgcache_part(w->mc, i, &p);
	put(w, "(");
	if (p.flags & MIME_F_MULTIPART)
		multipart(w, i, &p, ext);
	else
		single(w, i, &p, ext);
	put(w, ")");
}

static int
finish(struct writer *w, size_t old)
{
	if (!w->full)
		return 0;
	buf_truncate(w->out, old);
	return -1;
}

int
imapenc_envelope(struct buf *out, const struct msgcache *mc, uint32_t i)
{
	struct writer w = {out, mc, false};
	size_t old = out->len;

	envelope(&w, i);
	return finish(&w, old);
}

int
imapenc_bodystructure(struct buf *out, const struct msgcache *mc, uint32_t i,
                      bool ext)
{
	struct writer w = {out, mc, false};
	size_t old = out->len;

	body(&w, i, ext);
	return finish(&w, old);
}
