/*
 * imapcmd.c - IMAP command framing (lines and literals), the tokenizer
 * that turns an assembled command into the generic argument tree, and the
 * dispatch to the typed argument parsers.
 * Linked into: imapd.  Trust: every byte is peer data; the tokenizer
 * reads only inside the input's spans, counts its nodes and depth, and
 * never takes literal bytes for syntax.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/xmem.h"
#include "mail/imapcmd_impl.h"

/* ---- Limits and replies ---- */

void
imapcmd_limits_default(struct imapcmd_limits *lim)
{
	lim->max_line = IMAPCMD_MAX_LINE_DEFAULT;
	lim->max_literal = IMAPCMD_MAX_LITERAL_DEFAULT;
	lim->max_nonsync = IMAPCMD_MAX_LITERAL_DEFAULT;
	lim->max_command = IMAPCMD_MAX_COMMAND_DEFAULT;
	lim->max_literals = IMAPCMD_MAX_LITERALS_DEFAULT;
	lim->max_depth = IMAPCMD_MAX_DEPTH_DEFAULT;
	lim->max_nodes = IMAPCMD_MAX_NODES_DEFAULT;
	lim->max_seq = IMAPCMD_MAX_SEQ_DEFAULT;
}

#define CLAMP(f, ceil)                                                         \
	do {                                                                   \
		if (lim->f > (ceil))                                           \
			lim->f = (ceil);                                       \
	} while (0)

void
imapcmd_limits_clamp(struct imapcmd_limits *lim)
{
	CLAMP(max_line, IMAPCMD_MAX_LINE_CEILING);
	CLAMP(max_literal, IMAPCMD_MAX_LITERAL_CEILING);
	CLAMP(max_nonsync, lim->max_literal);
	CLAMP(max_command, IMAPCMD_MAX_COMMAND_CEILING);
	CLAMP(max_literals, IMAPCMD_MAX_LITERALS_CEILING);
	CLAMP(max_depth, IMAPCMD_MAX_DEPTH_CEILING);
	CLAMP(max_nodes, IMAPCMD_MAX_NODES_CEILING);
	CLAMP(max_seq, IMAPSEQ_MAX_CEILING);
	/* One set needs a slot for its ranges and one for "*". */
	if (lim->max_seq < 2)
		lim->max_seq = 2;
}

const char *
imapcmd_err_reply(enum imapcmd_err err, bool nonsync, const char **status_out)
{
	*status_out = "BAD";
	switch (err) {
	case IMAPCMD_ERR_LIMIT:
		return "[LIMIT]";
	case IMAPCMD_ERR_TOOBIG:
		/* RFC 7888 section 4: an oversized {N+} is BAD; a {N} the
		 * client has not sent yet is simply refused. */
		if (!nonsync)
			*status_out = "NO";
		return "[TOOBIG]";
	case IMAPCMD_ERR_BADCHARSET:
		*status_out = "NO";
		return "[BADCHARSET (US-ASCII UTF-8)]";
	case IMAPCMD_ERR_BAD:
		return "[PARSE]";
	default:
		return "";
	}
}

/* ---- Framing ---- */

bool
imapcmd_literal_at_end(struct span line, uint64_t *n_out, bool *nonsync_out)
{
	size_t end, i;
	uint64_t n = 0;
	bool big = false;

	if (line.len < 3 || line.p[line.len - 1] != '}')
		return false;
	end = line.len - 1;
	*nonsync_out = line.p[end - 1] == '+';
	if (*nonsync_out)
		end--;
	for (i = end; i > 0 && line.p[i - 1] >= '0' && line.p[i - 1] <= '9';)
		i--;
	if (i == end || i == 0 || line.p[i - 1] != '{')
		return false;
	for (; i < end; i++) {
		unsigned d = line.p[i] - '0';

		if (n > (UINT64_MAX - d) / 10)
			big = true;
		else
			n = n * 10 + d;
	}
	*n_out = big ? UINT64_MAX : n;
	return true;
}

/* RFC 3501 tag: ASTRING-CHAR except "+": printable, not ( ) { SP % * " \ */
static bool
is_tag_char(unsigned c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", (int)c) == NULL;
}

bool
imapcmd_tag(struct span line, struct span *tag_out)
{
	size_t i = 0;

	while (i < line.len && is_tag_char(line.p[i]))
		i++;
	if (i == 0 || i == line.len || line.p[i] != ' ')
		return false;
	*tag_out = span_make(line.p, i);
	return true;
}

void
imapcmd_frame_init(struct imapcmd_frame *f, const struct imapcmd_limits *lim)
{
	memset(f, 0, sizeof(*f));
	f->lim = *lim;
	imapcmd_limits_clamp(&f->lim);
	buf_init(&f->text, f->lim.max_command);
	buf_init(&f->lits, f->lim.max_command);
	f->lit_len = xcalloc(f->lim.max_literals + 1, sizeof(*f->lit_len));
}

/* Buffers past this size are given back after the command. */
#define FRAME_KEEP (256 * 1024)

static void
wipe_buf(struct buf *b)
{
	if (b->cap > FRAME_KEEP) {
		size_t max = b->max;

		buf_wipe(b);
		buf_init(b, max);
	} else if (b->p != NULL) {
		secret_wipe(b->p, b->len);
		buf_reset(b);
	}
}

void
imapcmd_frame_reset(struct imapcmd_frame *f)
{
	wipe_buf(&f->text);
	wipe_buf(&f->lits);
	f->nlit = 0;
	f->need = 0;
	f->nonsync = false;
	f->skipping = false;
	f->total = 0;
	f->tag = span_make(NULL, 0);
	f->err = IMAPCMD_ERR_NONE;
	f->why.msg[0] = '\0';
	f->ended = false;
}

void
imapcmd_frame_fini(struct imapcmd_frame *f)
{
	buf_wipe(&f->text);
	buf_wipe(&f->lits);
	xfree(&f->lit_len);
	xfree(&f->lit);
}

static enum imapcmd_frame_res
refuse(struct imapcmd_frame *f, enum imapcmd_err err, uint64_t skip,
       bool nonsync, const char *msg)
{
	f->err = err;
	why_set(&f->why, "%s", msg);
	/* A {N+} literal comes anyway: swallow it and the command's rest.
	 * One of unknown length cannot be followed: its bytes are read as
	 * commands and refused in turn. */
	f->skipping = nonsync && skip != UINT64_MAX;
	f->need = f->skipping ? skip : 0;
	f->nonsync = nonsync;
	f->ended = f->need == 0;
	return IMAPCMD_FRAME_REFUSED;
}

static enum imapcmd_frame_res
skip_line(struct imapcmd_frame *f, struct span line)
{
	uint64_t n;
	bool ns;

	if (imapcmd_literal_at_end(line, &n, &ns) && ns && n != UINT64_MAX) {
		f->need = n;
		return IMAPCMD_FRAME_SKIPPED;
	}
	f->ended = true;
	return IMAPCMD_FRAME_SKIPPED;
}

enum imapcmd_frame_res
imapcmd_frame_line(struct imapcmd_frame *f, struct span line)
{
	const struct imapcmd_limits *lim = &f->lim;
	uint64_t n = 0;
	bool ns = false, lit;

	if (f->ended)
		imapcmd_frame_reset(f);
	if (f->skipping)
		return skip_line(f, line);
	lit = imapcmd_literal_at_end(line, &n, &ns);
	if (f->text.len == 0 && !imapcmd_tag(line, &f->tag))
		f->tag = span_make(NULL, 0);
	if (line.len > lim->max_line)
		return refuse(f, IMAPCMD_ERR_LIMIT, n, lit && ns,
		              "command line too long");
	if (line.len + 2 > lim->max_command - f->total ||
	    buf_add(&f->text, line.p, line.len) == -1)
		return refuse(f, IMAPCMD_ERR_LIMIT, n, lit && ns,
		              "command too long");
	f->total += line.len;
	/* The tag lives in text from now on. */
	if (f->tag.len > 0 && f->total == line.len)
		f->tag.p = f->text.p;
	if (!lit) {
		f->ended = true;
		return IMAPCMD_FRAME_DONE;
	}
	if (f->nlit >= lim->max_literals)
		return refuse(f, IMAPCMD_ERR_LIMIT, n, ns, "too many literals");
	if (n > lim->max_literal || (ns && n > lim->max_nonsync))
		return refuse(f, IMAPCMD_ERR_TOOBIG, n, ns,
		              "literal too large");
	if (n > lim->max_command - f->total - 2 ||
	    buf_add(&f->text, "\r\n", 2) == -1)
		return refuse(f, IMAPCMD_ERR_LIMIT, n, ns, "command too long");
	f->total += 2 + n;
	f->lit_len[f->nlit++] = (size_t)n;
	f->need = n;
	f->nonsync = ns;
	return IMAPCMD_FRAME_LITERAL;
}

size_t
imapcmd_frame_literal(struct imapcmd_frame *f, struct span data)
{
	size_t take = data.len;

	if (take > f->need)
		take = (size_t)f->need;
	/* The room was checked against max_command when it was announced. */
	if (!f->skipping && buf_add(&f->lits, data.p, take) == -1)
		take = 0;
	f->need -= take;
	return take;
}

void
imapcmd_frame_input(struct imapcmd_frame *f, struct imapcmd_input *in)
{
	size_t i, off = 0;

	xfree(&f->lit);
	f->lit = xcalloc(f->nlit + 1, sizeof(*f->lit));
	for (i = 0; i < f->nlit; i++) {
		size_t len = f->lit_len[i];

		/* A literal still incomplete (a session bug) comes out short,
		 * and the parser refuses its length. */
		if (len > f->lits.len - off)
			len = f->lits.len - off;
		f->lit[i] = span_make(f->lits.p + off, len);
		off += len;
	}
	in->text = buf_span(&f->text);
	in->lit = f->lit;
	in->nlit = f->nlit;
}

/* ---- The tokenizer ---- */

struct lex {
	struct imapcmd_cx *cx;
	const struct imapcmd_input *in;
	const unsigned char *t; /* in->text */
	size_t len;
	size_t i;
	size_t lit; /* the next literal of in->lit */
	size_t nodes;
};

int
imapcmd_fail(struct imapcmd_cx *cx, enum imapcmd_err err, const char *fmt, ...)
{
	va_list ap;

	cx->err = err;
	va_start(ap, fmt);
	vsnprintf(cx->why->msg, sizeof(cx->why->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void *
imapcmd_alloc(struct imapcmd_cx *cx, size_t nmemb, size_t size)
{
	void *p = arena_allocarray(cx->a, nmemb, size);

	if (p == NULL)
		imapcmd_fail(cx, IMAPCMD_ERR_LIMIT, "command too complex");
	return p;
}

static struct imapcmd_node *
new_node(struct lex *lx, enum imapcmd_type type)
{
	struct imapcmd_node *n;

	if (lx->nodes >= lx->cx->lim->max_nodes) {
		imapcmd_fail(lx->cx, IMAPCMD_ERR_LIMIT, "too many arguments");
		return NULL;
	}
	n = imapcmd_alloc(lx->cx, 1, sizeof(*n));
	if (n != NULL) {
		lx->nodes++;
		n->type = type;
	}
	return n;
}

/*
 * Atom characters, leniently: any printable ASCII but atom-specials, with
 * "%" and "*" (list-wildcards, sequence sets) and "]" (astring) allowed;
 * the typed readers check what each argument may hold.  Inside a section
 * "[...]" the brackets end atoms.
 */
static bool
is_atom_char(unsigned c, bool in_section)
{
	if (c <= 0x20 || c >= 0x7f || strchr("(){\"\\", (int)c) != NULL)
		return false;
	return !in_section || (c != ']' && c != '[');
}

static int
bad_char(struct lex *lx, unsigned c)
{
	struct imapcmd_cx *cx = lx->cx;

	if (c == 0)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD, "NUL in command");
	if (c == '\r' || c == '\n')
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD,
		                    "CR or LF outside a literal");
	if (c >= 0x80)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD,
		                    "8-bit byte outside a string");
	if (c == ')' || c == ']')
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD, "unbalanced '%c'", c);
	return imapcmd_fail(cx, IMAPCMD_ERR_BAD, "unexpected '%c'", c);
}

static int
quoted(struct lex *lx, struct imapcmd_node *n)
{
	size_t start = ++lx->i, esc = 0, j, k;
	unsigned char *d;

	for (; lx->i < lx->len; lx->i++) {
		unsigned c = lx->t[lx->i];

		if (c == '"')
			break;
		if (c == 0 || c == '\r' || c == '\n')
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD, "%s",
			                    c == 0
			                        ? "NUL in quoted string"
			                        : "CR or LF in quoted string");
		if (c == '\\') {
			if (lx->i + 1 >= lx->len || (lx->t[lx->i + 1] != '\\' &&
			                             lx->t[lx->i + 1] != '"'))
				return imapcmd_fail(
				    lx->cx, IMAPCMD_ERR_BAD,
				    "bad escape in quoted string");
			lx->i++;
			esc++;
		}
	}
	if (lx->i >= lx->len)
		return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
		                    "unterminated quoted string");
	n->type = IMAPCMD_N_QUOTED;
	n->s = span_make(lx->t + start, lx->i - start);
	lx->i++;
	if (esc == 0)
		return 0;
	if ((d = imapcmd_alloc(lx->cx, n->s.len - esc, 1)) == NULL)
		return -1;
	for (j = 0, k = 0; j < n->s.len; j++) {
		if (n->s.p[j] == '\\')
			j++;
		d[k++] = n->s.p[j];
	}
	n->s = span_make(d, k);
	return 0;
}

static int
literal(struct lex *lx, struct imapcmd_node *n)
{
	struct imapcmd_cx *cx = lx->cx;
	uint64_t len = 0;
	size_t start = ++lx->i;

	for (; lx->i < lx->len && lx->t[lx->i] >= '0' && lx->t[lx->i] <= '9';
	     lx->i++) {
		unsigned d = lx->t[lx->i] - '0';

		if (len > (UINT64_MAX - d) / 10)
			return imapcmd_fail(cx, IMAPCMD_ERR_TOOBIG,
			                    "literal too large");
		len = len * 10 + d;
	}
	if (lx->i == start)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD, "bad literal length");
	if (lx->i < lx->len && lx->t[lx->i] == '+') {
		n->nonsync = true;
		lx->i++;
	}
	if (lx->i + 3 > lx->len || memcmp(lx->t + lx->i, "}\r\n", 3) != 0)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD,
		                    "literal not at the end of a line");
	lx->i += 3;
	if (len > cx->lim->max_literal)
		return imapcmd_fail(cx, IMAPCMD_ERR_TOOBIG,
		                    "literal too large");
	if (lx->lit >= lx->in->nlit || lx->in->lit[lx->lit].len != len)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD,
		                    "literal length mismatch");
	n->type = IMAPCMD_N_LITERAL;
	n->s = lx->in->lit[lx->lit++];
	/* RFC 3501 literal: CHAR8 is %x01-ff. */
	if (memchr(n->s.p, 0, n->s.len) != NULL)
		return imapcmd_fail(cx, IMAPCMD_ERR_BAD, "NUL in literal");
	return 0;
}

static int items(struct lex *lx, unsigned depth, int stop,
                 const struct imapcmd_node **first);

static bool
is_section_name(struct span s)
{
	return span_eq_nocase(s, "BODY") || span_eq_nocase(s, "BODY.PEEK") ||
	       span_eq_nocase(s, "BINARY") ||
	       span_eq_nocase(s, "BINARY.PEEK") ||
	       span_eq_nocase(s, "BINARY.SIZE");
}

static int
partial_num(struct lex *lx, uint64_t *out)
{
	size_t start = lx->i;

	*out = 0;
	while (lx->i < lx->len && lx->t[lx->i] >= '0' && lx->t[lx->i] <= '9') {
		if (lx->i - start >= 10)
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
			                    "number in <partial> too large");
		*out = *out * 10 + (lx->t[lx->i++] - '0');
	}
	if (lx->i == start)
		return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD, "bad <partial>");
	return 0;
}

/* BODY[...]<o.n>: lx->i is at "[". */
static int
section(struct lex *lx, struct imapcmd_node *n, unsigned depth)
{
	n->type = IMAPCMD_N_SECTION;
	lx->i++;
	if (items(lx, depth + 1, ']', &n->child) == -1)
		return -1;
	if (lx->i >= lx->len || lx->t[lx->i] != '<')
		return 0;
	lx->i++;
	n->partial = true;
	if (partial_num(lx, &n->off) == -1)
		return -1;
	if (lx->i >= lx->len || lx->t[lx->i] != '.')
		return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD, "bad <partial>");
	lx->i++;
	if (partial_num(lx, &n->len) == -1)
		return -1;
	if (lx->i >= lx->len || lx->t[lx->i] != '>')
		return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD, "bad <partial>");
	lx->i++;
	return 0;
}

static int
atom(struct lex *lx, struct imapcmd_node *n, unsigned depth, bool in_section)
{
	size_t start = lx->i, j;
	bool digits = true;

	/* A flag's leading backslash (RFC 3501 flag-extension). */
	if (lx->t[lx->i] == '\\')
		lx->i++;
	while (lx->i < lx->len && is_atom_char(lx->t[lx->i], in_section)) {
		if (lx->t[lx->i] == '[' &&
		    is_section_name(span_make(lx->t + start, lx->i - start))) {
			n->s = span_make(lx->t + start, lx->i - start);
			return section(lx, n, depth);
		}
		lx->i++;
	}
	if (lx->i == start || (lx->i == start + 1 && lx->t[start] == '\\'))
		return bad_char(lx, lx->i < lx->len ? lx->t[lx->i] : '\\');
	n->type = IMAPCMD_N_ATOM;
	n->s = span_make(lx->t + start, lx->i - start);
	for (j = 0; j < n->s.len && digits; j++)
		digits = n->s.p[j] >= '0' && n->s.p[j] <= '9';
	if (digits && n->s.len <= 20) {
		uint64_t v = 0;

		for (j = 0; j < n->s.len && digits; j++) {
			unsigned d = n->s.p[j] - '0';

			digits = v <= (UINT64_MAX - d) / 10;
			v = v * 10 + d;
		}
		if (digits) {
			n->type = IMAPCMD_N_NUMBER;
			n->num = v;
		}
	} else if (span_eq_nocase(n->s, "NIL")) {
		n->type = IMAPCMD_N_NIL;
	}
	return 0;
}

static int
item(struct lex *lx, unsigned depth, int stop, struct imapcmd_node **out)
{
	struct imapcmd_node *n = new_node(lx, IMAPCMD_N_ATOM);
	unsigned c = lx->t[lx->i];

	if ((*out = n) == NULL)
		return -1;
	switch (c) {
	case '(':
		if (depth + 1 > lx->cx->lim->max_depth)
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_LIMIT,
			                    "parentheses nested too deep");
		n->type = IMAPCMD_N_LIST;
		lx->i++;
		return items(lx, depth + 1, ')', &n->child);
	case '"':
		return quoted(lx, n);
	case '{':
		return literal(lx, n);
	case '~':
		if (lx->i + 1 < lx->len && lx->t[lx->i + 1] == '{')
			return imapcmd_fail(
			    lx->cx, IMAPCMD_ERR_BAD,
			    "binary literals are not supported");
		break;
	}
	return atom(lx, n, depth, stop == ']');
}

/* Items up to stop (")" or "]", consumed) or, with stop 0, the end. */
static int
items(struct lex *lx, unsigned depth, int stop,
      const struct imapcmd_node **first)
{
	const struct imapcmd_node **tail = first;
	bool need_sep = false;

	*first = NULL;
	for (;;) {
		struct imapcmd_node *n;

		if (lx->i >= lx->len) {
			if (stop == 0)
				return 0;
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
			                    "missing '%c'", stop);
		}
		if (stop != 0 && lx->t[lx->i] == stop) {
			lx->i++;
			return 0;
		}
		if (lx->t[lx->i] == ' ') {
			/* Lenient: more than one space, or one before the
			 * end, is taken as one. */
			lx->i++;
			need_sep = false;
			continue;
		}
		if (lx->t[lx->i] == ')')
			return bad_char(lx, ')');
		if (need_sep && (lx->t[lx->i] < 0x20 || lx->t[lx->i] >= 0x7f))
			return bad_char(lx, lx->t[lx->i]);
		if (need_sep)
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
			                    "space expected before '%c'",
			                    lx->t[lx->i]);
		if (item(lx, depth, stop, &n) == -1)
			return -1;
		*tail = n;
		tail = &n->next;
		need_sep = true;
	}
}

/* ---- Commands ---- */

static const struct {
	const char *name;
	enum imapcmd_name id;
	bool uid; /* may follow UID */
} names[] = {
    {"CAPABILITY", IMAPCMD_CAPABILITY, false},
    {"NOOP", IMAPCMD_NOOP, false},
    {"LOGOUT", IMAPCMD_LOGOUT, false},
    {"STARTTLS", IMAPCMD_STARTTLS, false},
    {"AUTHENTICATE", IMAPCMD_AUTHENTICATE, false},
    {"LOGIN", IMAPCMD_LOGIN, false},
    {"SELECT", IMAPCMD_SELECT, false},
    {"EXAMINE", IMAPCMD_EXAMINE, false},
    {"CREATE", IMAPCMD_CREATE, false},
    {"DELETE", IMAPCMD_DELETE, false},
    {"RENAME", IMAPCMD_RENAME, false},
    {"SUBSCRIBE", IMAPCMD_SUBSCRIBE, false},
    {"UNSUBSCRIBE", IMAPCMD_UNSUBSCRIBE, false},
    {"LIST", IMAPCMD_LIST, false},
    {"LSUB", IMAPCMD_LSUB, false},
    {"STATUS", IMAPCMD_STATUS, false},
    {"APPEND", IMAPCMD_APPEND, false},
    {"CHECK", IMAPCMD_CHECK, false},
    {"CLOSE", IMAPCMD_CLOSE, false},
    {"EXPUNGE", IMAPCMD_EXPUNGE, true},
    {"SEARCH", IMAPCMD_SEARCH, true},
    {"FETCH", IMAPCMD_FETCH, true},
    {"STORE", IMAPCMD_STORE, true},
    {"COPY", IMAPCMD_COPY, true},
    {"MOVE", IMAPCMD_MOVE, true},
    {"IDLE", IMAPCMD_IDLE, false},
    {"NAMESPACE", IMAPCMD_NAMESPACE, false},
    {"ENABLE", IMAPCMD_ENABLE, false},
    {"ID", IMAPCMD_ID, false},
    {"UNSELECT", IMAPCMD_UNSELECT, false},
    {"GETQUOTA", IMAPCMD_GETQUOTA, false},
    {"GETQUOTAROOT", IMAPCMD_GETQUOTAROOT, false},
    {"SETQUOTA", IMAPCMD_SETQUOTA, false},
};

const char *
imapcmd_name_str(enum imapcmd_name name)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].id == name)
			return names[i].name;
	return "?";
}

/* The command name at lx->i: letters only, then a space or the end. */
static int
command_name(struct lex *lx, struct imapcmd *out, bool after_uid)
{
	size_t start = lx->i, k;
	struct span w;

	while (lx->i < lx->len && lx->t[lx->i] != ' ')
		lx->i++;
	w = span_make(lx->t + start, lx->i - start);
	if (!after_uid && span_eq_nocase(w, "UID")) {
		if (lx->i + 1 >= lx->len)
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
			                    "UID needs a command");
		lx->i++;
		out->uid = true;
		return command_name(lx, out, true);
	}
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!span_eq_nocase(w, names[k].name))
			continue;
		out->name = names[k].id;
		if (after_uid && !names[k].uid)
			return imapcmd_fail(lx->cx, IMAPCMD_ERR_BAD,
			                    "UID %s is not a command",
			                    names[k].name);
		return 0;
	}
	return imapcmd_fail(lx->cx, IMAPCMD_ERR_UNKNOWN, "unknown command");
}

int
imapcmd_parse(const struct imapcmd_input *in, const struct imapcmd_limits *lim,
              struct arena *a, struct imapcmd *out, struct why *why)
{
	struct imapcmd_limits l = *lim;
	struct imapcmd_cx cx = {a, &l, why, IMAPCMD_ERR_NONE};
	struct lex lx = {&cx, in, in->text.p, in->text.len, 0, 0, 0};

	imapcmd_limits_clamp(&l);
	memset(out, 0, sizeof(*out));
	why->msg[0] = '\0';
	if (!imapcmd_tag(in->text, &out->tag)) {
		size_t i = 0;

		while (i < in->text.len && is_tag_char(in->text.p[i]))
			i++;
		/* "a1" alone: a tag without a command gets a tagged BAD. */
		if (i > 0 && i == in->text.len) {
			out->tag = in->text;
			out->err = IMAPCMD_ERR_BAD;
			return why_set(why, "command name expected");
		}
		out->tag = span_make(NULL, 0);
		out->err = IMAPCMD_ERR_UNTAGGED;
		return why_set(why, "%s",
		               in->text.len == 0 ? "empty command"
		                                 : "bad or missing tag");
	}
	lx.i = out->tag.len + 1;
	if (command_name(&lx, out, false) == -1 ||
	    items(&lx, 0, 0, &out->args) == -1)
		goto fail;
	if (lx.lit != in->nlit) {
		imapcmd_fail(&cx, IMAPCMD_ERR_BAD, "literal length mismatch");
		goto fail;
	}
	if (imapcmd_parse_args(&cx, out) == 0)
		return 0;
fail:
	out->err = cx.err;
	return -1;
}
