/*
 * hdraddr.c - read an RFC 5322 address list the way IMAP's ENVELOPE
 * reports it, making the best of malformed lists.
 * Linked into: the message cache (lmtpd, imapd, the store tools), the
 * unit test and the fuzz target.  Trust: hostile text.  Tokens are found
 * again from a position rather than stored, so the only state is the
 * iterator's offset; an element is scanned once to find where it ends
 * and what shape it has, and once more to write its strings, so each
 * byte is looked at a bounded number of times.  Comments are counted,
 * not recursed into.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "mail/hdraddr.h"

/* What a token is: T_SPECIAL is one of the specials, in c. */
enum tok_kind { T_END, T_ATOM, T_QUOTED, T_LITERAL, T_SPECIAL };

struct tok {
	size_t start; /* the token is [start, end) of the input */
	size_t end;
	enum tok_kind kind;
	unsigned char c;
	/* White space or a comment came before it; the first such comment. */
	bool space;
	struct span comment;
};

/* The tokens from a position up to a stop token. */
struct run {
	size_t start;
	size_t ntok;
	size_t at;     /* start of the last '@' token, or SIZE_MAX */
	size_t at_end; /* and its end */
	bool spaced;   /* white space between two of its tokens */
	struct span comment;
	struct tok stop;
};

/* How the tokens of a range are written out. */
enum mode {
	M_PHRASE, /* words unquoted, one space where there was white space */
	M_LOCAL,  /* words unquoted, nothing between them */
	M_RAW,    /* the text of each token, white space and comments gone */
};

/* Offsets into the text buffer while an item is written. */
struct piece {
	size_t off;
	size_t len;
};

struct out {
	struct buf *b;
	bool full;
	struct piece name;
	struct piece route;
	struct piece mailbox;
	struct piece host;
};

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(unsigned char c)
{
	return c != '\0' && strchr("<>:;@,.", c) != NULL;
}

/* RFC 5322 atext, and every byte >= 0x80 (RFC 6532). */
static bool
is_atext(unsigned char c)
{
	return c >= 0x80 ||
	       (c != '\0' && (isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c)));
}

/* Past the comment that opens at i; *closed: it had its ')'. */
static size_t
skip_comment(struct span in, size_t i, bool *closed)
{
	size_t depth = 0;

	*closed = false;
	for (; i < in.len; i++) {
		if (in.p[i] == '\\') {
			i++;
		} else if (in.p[i] == '(') {
			depth++;
		} else if (in.p[i] == ')' && --depth == 0) {
			*closed = true;
			return i + 1;
		}
	}
	return in.len;
}

/* Past the quoted string or literal that opens at i. */
static size_t
skip_quoted(struct span in, size_t i, unsigned char close)
{
	for (i++; i < in.len; i++) {
		if (in.p[i] == '\\')
			i++;
		else if (in.p[i] == close)
			return i + 1;
	}
	return in.len;
}

/* Skip white space and comments from pos, noting the first comment. */
static size_t
skip_cfws(struct span in, size_t pos, struct tok *t)
{
	while (pos < in.len) {
		size_t end;
		bool closed;

		if (is_ws(in.p[pos])) {
			t->space = true;
			pos++;
			continue;
		}
		if (in.p[pos] != '(')
			break;
		end = skip_comment(in, pos, &closed);
		if (t->comment.len == 0)
			t->comment = span_trim(span_make(
			    in.p + pos + 1, end - pos - 1 - (closed ? 1 : 0)));
		t->space = true;
		pos = end;
	}
	return pos;
}

/* The token at pos (after CFWS); pure, so it can be found again. */
static void
lex(struct span in, size_t pos, struct tok *t)
{
	unsigned char c;

	memset(t, 0, sizeof(*t));
	t->comment = span_make(NULL, 0);
	pos = skip_cfws(in, pos, t);
	t->start = pos;
	t->end = pos;
	if (pos >= in.len)
		return;
	c = in.p[pos];
	if (c == '"' || c == '[') {
		t->kind = c == '"' ? T_QUOTED : T_LITERAL;
		t->end = skip_quoted(in, pos, c == '"' ? '"' : ']');
	} else if (is_special(c)) {
		t->kind = T_SPECIAL;
		t->c = c;
		t->end = pos + 1;
	} else {
		while (pos < in.len && !is_ws(in.p[pos]) &&
		       !is_special(in.p[pos]) && in.p[pos] != '(' &&
		       in.p[pos] != '"' && in.p[pos] != '[')
			pos++;
		t->kind = T_ATOM;
		t->end = pos;
	}
}

static bool
is_stop(const struct tok *t, const char *stops)
{
	return t->kind == T_END ||
	       (t->kind == T_SPECIAL && strchr(stops, t->c) != NULL);
}

/* Scan tokens from pos up to one of the specials in stops (or the end). */
static void
scan(struct span in, size_t pos, const char *stops, struct run *r)
{
	struct tok t;

	memset(r, 0, sizeof(*r));
	r->start = pos;
	r->at = SIZE_MAX;
	r->comment = span_make(NULL, 0);
	for (;;) {
		lex(in, pos, &t);
		if (r->comment.len == 0)
			r->comment = t.comment;
		if (is_stop(&t, stops))
			break;
		if (r->ntok++ > 0 && t.space)
			r->spaced = true;
		if (t.kind == T_SPECIAL && t.c == '@') {
			r->at = t.start;
			r->at_end = t.end;
		}
		pos = t.end;
	}
	r->stop = t;
}

static void
put(struct out *o, unsigned char c)
{
	if (!o->full && buf_addc(o->b, c) == -1)
		o->full = true;
}

/* Bytes of the input without CR and LF (folding inside a token). */
static void
put_bytes(struct out *o, struct span in, size_t from, size_t to)
{
	for (; from < to; from++)
		if (in.p[from] != '\r' && in.p[from] != '\n')
			put(o, in.p[from]);
}

/* The inside of a quoted string: quotes, quoted-pairs and folding gone. */
static void
put_unquoted(struct out *o, struct span in, const struct tok *t)
{
	size_t i;
	size_t end = t->end;

	if (end - t->start >= 2 && in.p[end - 1] == '"')
		end--;
	for (i = t->start + 1; i < end; i++) {
		if (in.p[i] == '\\' && i + 1 < end)
			i++;
		if (in.p[i] != '\r' && in.p[i] != '\n')
			put(o, in.p[i]);
	}
}

/* Write the tokens that start in [from, to); returns where they went. */
static struct piece
put_tokens(struct out *o, struct span in, size_t from, size_t to,
           enum mode mode)
{
	struct piece pc = {o->b->len, 0};
	struct tok t;

	for (;;) {
		lex(in, from, &t);
		if (t.kind == T_END || t.start >= to)
			break;
		if (mode == M_PHRASE && t.space && o->b->len > pc.off)
			put(o, ' ');
		if (t.kind == T_QUOTED && mode != M_RAW)
			put_unquoted(o, in, &t);
		else
			put_bytes(o, in, t.start, t.end);
		from = t.end;
	}
	pc.len = o->b->len - pc.off;
	return pc;
}

/* RFC 5322 dot-atom: atoms joined by single dots. */
static bool
is_dot_atom(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i]))
			return false;
	return true;
}

/* The local part in [from, to): its words, quoted again if need be. */
static struct piece
put_local(struct out *o, struct span in, size_t from, size_t to)
{
	struct piece raw = put_tokens(o, in, from, to, M_LOCAL);
	struct piece q = {o->b->len, 0};
	size_t i;

	if (o->full || raw.len == 0 || is_dot_atom(o->b->p + raw.off, raw.len))
		return raw;
	put(o, '"');
	for (i = raw.off; i < raw.off + raw.len && !o->full; i++) {
		/* Read through b->p each time: put() may move it. */
		unsigned char c = o->b->p[i];

		if (c == '"' || c == '\\')
			put(o, '\\');
		put(o, c);
	}
	put(o, '"');
	q.len = o->b->len - q.off;
	return q;
}

/* An addr-spec in [r->start, r->stop.start): split at its last '@'. */
static void
addr_spec(struct out *o, struct span in, const struct run *r)
{
	size_t end = r->stop.start;

	if (r->at == SIZE_MAX) {
		o->mailbox = put_local(o, in, r->start, end);
		return;
	}
	o->mailbox = put_local(o, in, r->start, r->at);
	o->host = put_tokens(o, in, r->at_end, end, M_RAW);
}

/* After '<': an optional route "@a,@b:", the address, an optional '>'. */
static void
angle(struct hdraddr_iter *it, struct out *o, size_t pos, struct span *cmt)
{
	struct span in = it->in;
	struct run rt;
	struct run ra;
	struct tok t;

	lex(in, pos, &t);
	if (t.kind == T_SPECIAL && (t.c == '@' || t.c == ',')) {
		scan(in, pos, ":<>;", &rt);
		if (rt.stop.kind == T_SPECIAL && rt.stop.c == ':') {
			o->route = put_tokens(o, in, pos, rt.stop.start, M_RAW);
			pos = rt.stop.end;
		}
	}
	scan(in, pos, "<>,;", &ra);
	addr_spec(o, in, &ra);
	if (cmt->len == 0)
		*cmt = ra.comment;
	it->pos = ra.stop.start;
	if (ra.stop.kind == T_SPECIAL && ra.stop.c == '>') {
		/* Whatever follows the '>' up to the next ',' is ignored. */
		scan(in, ra.stop.end, ",;", &ra);
		if (cmt->len == 0)
			*cmt = ra.comment;
		it->pos = ra.stop.start;
	}
}

/* One element that is not empty: an item, or the end of a group first. */
static void
element(struct hdraddr_iter *it, struct out *o, struct hdraddr *out)
{
	struct span in = it->in;
	struct span cmt;
	struct run r;

	scan(in, it->pos, "<>:,;", &r);
	cmt = r.comment;
	if (r.stop.kind == T_SPECIAL && r.stop.c == ':') {
		/* A group inside a group: end the first, then start again. */
		out->kind =
		    it->in_group ? HDRADDR_GROUP_END : HDRADDR_GROUP_START;
		if (!it->in_group) {
			o->name =
			    put_tokens(o, in, r.start, r.stop.start, M_PHRASE);
			it->pos = r.stop.end;
		}
		it->in_group = !it->in_group;
		return;
	}
	out->kind = HDRADDR_MAILBOX;
	if (r.stop.kind == T_SPECIAL && r.stop.c == '<') {
		o->name = put_tokens(o, in, r.start, r.stop.start, M_PHRASE);
		angle(it, o, r.stop.end, &cmt);
	} else if (r.at == SIZE_MAX && r.spaced) {
		o->name = put_tokens(o, in, r.start, r.stop.start, M_PHRASE);
		it->pos = r.stop.start;
	} else {
		addr_spec(o, in, &r);
		it->pos = r.stop.start;
	}
	if (o->name.len == 0 && cmt.len > 0) {
		o->name.off = o->b->len;
		put_bytes(o, cmt, 0, cmt.len);
		o->name.len = o->b->len - o->name.off;
	}
}

void
hdraddr_init(struct hdraddr_iter *it, struct span in)
{
	it->in = in;
	it->pos = 0;
	it->in_group = false;
}

static struct span
piece_span(const struct out *o, struct piece pc)
{
	return span_make(pc.len > 0 ? o->b->p + pc.off : NULL, pc.len);
}

int
hdraddr_next(struct hdraddr_iter *it, struct hdraddr *out, struct buf *text)
{
	struct out o;
	struct tok t;

	memset(&o, 0, sizeof(o));
	o.b = text;
	buf_reset(text);
	for (;;) {
		lex(it->in, it->pos, &t);
		if (t.kind == T_END && !it->in_group) {
			it->pos = t.start;
			return 0;
		}
		if (t.kind == T_END ||
		    (t.kind == T_SPECIAL && t.c == ';' && it->in_group)) {
			it->pos = t.end;
			it->in_group = false;
			out->kind = HDRADDR_GROUP_END;
			break;
		}
		if (t.kind != T_SPECIAL || strchr(",;>", t.c) == NULL) {
			element(it, &o, out);
			break;
		}
		it->pos = t.end;
	}
	out->name = piece_span(&o, o.name);
	out->route = piece_span(&o, o.route);
	out->mailbox = piece_span(&o, o.mailbox);
	out->host = piece_span(&o, o.host);
	return o.full ? -1 : 1;
}
