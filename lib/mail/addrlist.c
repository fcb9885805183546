/*
 * addrlist.c - walk an RFC 5322 address list (sections 3.4 and 4.4) and
 * produce each mailbox in canonical RFC 5321 form.
 * Linked into: sendmail, the unit test and the fuzz target.  Trust: the
 * text is hostile; every scan is bounded by the input's length, comment
 * nesting is counted (no recursion) and the output has a fixed size.
 *
 * The text is first cut into tokens (atoms, quoted strings, domain
 * literals and the specials) with white space and comments dropped, as
 * the obsolete syntax allows CFWS between any two of them.  One list
 * element is then a "run" of words, dots and '@' ended by '<' (the run
 * was a display name), ':' (a group name) or anything else (the run was
 * an addr-spec).  Tokens are found again from a position, so nothing is
 * stored but the iterator's offset.
 */
#include <string.h>

#include "mail/addrlist.h"

enum tok_kind { T_END, T_ATOM, T_QUOTED, T_LITERAL, T_SPECIAL };

struct tok {
	enum tok_kind kind;
	unsigned char c; /* T_SPECIAL: which */
	size_t start;    /* [start, end) of the input */
	size_t end;
};

/* Bytes written into a fixed array; full is set instead of overflowing. */
struct out {
	char *p;
	size_t len;
	size_t max;
	bool full;
};

static void
put(struct out *o, unsigned char c)
{
	if (o->len < o->max)
		o->p[o->len++] = (char)c;
	else
		o->full = true;
}

/* RFC 5322 atext, with RFC 6532's UTF-8 (every byte >= 0x80). */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(const struct tok *t, unsigned char c)
{
	return t->kind == T_SPECIAL && t->c == c;
}

/* Skip white space (folding included) and comments. */
static int
skip_cfws(struct span in, size_t *pos, struct why *why)
{
	size_t i = *pos;

	while (i < in.len) {
		unsigned depth = 0;

		if (is_wsp(in.p[i])) {
			i++;
			continue;
		}
		if (in.p[i] != '(')
			break;
		while (i < in.len) {
			unsigned char c = in.p[i++];

			if (c == '\\' && i < in.len)
				i++;
			else if (c == '(' &&
			         ++depth > ADDRLIST_MAX_COMMENT_DEPTH)
				return why_set(why,
				               "comments nested too deeply");
			else if (c == ')' && --depth == 0)
				break;
		}
		if (depth > 0)
			return why_set(why, "unterminated comment");
	}
	*pos = i;
	return 0;
}

/* The rest of a quoted string or domain literal after its first byte. */
static int
lex_delimited(struct span in, size_t *pos, unsigned char close, struct why *why)
{
	size_t i = *pos + 1;

	for (;;) {
		unsigned char c;

		if (i >= in.len)
			return why_set(
			    why, close == '"' ? "unterminated quoted string"
			                      : "unterminated domain literal");
		c = in.p[i++];
		if (c == close)
			break;
		if (close == ']' && (c == '[' || c == '\\'))
			return why_set(why, "bad domain literal");
		if (c == '\\')
			i++;
	}
	*pos = i;
	return 0;
}

/* The token at pos (after CFWS); pure, so callers may look ahead. */
static int
lex(struct span in, size_t pos, struct tok *t, struct why *why)
{
	unsigned char c;

	if (skip_cfws(in, &pos, why) == -1)
		return -1;
	t->start = pos;
	t->kind = T_END;
	t->c = 0;
	if (pos < in.len) {
		c = in.p[pos];
		if (is_atext(c)) {
			while (pos < in.len && is_atext(in.p[pos]))
				pos++;
			t->kind = T_ATOM;
		} else if (c == '"' || c == '[') {
			if (lex_delimited(in, &pos, c == '"' ? '"' : ']',
			                  why) == -1)
				return -1;
			t->kind = c == '"' ? T_QUOTED : T_LITERAL;
		} else if (c != '\0' && strchr("<>:;@,.", c) != NULL) {
			t->kind = T_SPECIAL;
			t->c = c;
			pos++;
		} else if (c == ')') {
			return why_set(why, "unbalanced ')'");
		} else if (c == ']' || c == '\\') {
			return why_set(why, "unexpected '%c'", c);
		} else {
			return why_set(why, "control character in address");
		}
	}
	t->end = pos;
	return 0;
}

/* The content of a quoted string: no quotes, no backslashes, unfolded. */
static void
put_quoted_content(struct out *o, struct span in, const struct tok *t)
{
	size_t i;

	for (i = t->start + 1; i + 1 < t->end; i++) {
		unsigned char c = in.p[i];

		if (c == '\\')
			c = in.p[++i];
		else if (c == '\r' || c == '\n')
			continue;
		put(o, c);
	}
}

/* atom *("." atom), or a domain literal without its white space. */
static int
parse_domain(struct span in, size_t *posp, struct out *o, struct why *why)
{
	struct tok t;
	size_t i;

	if (lex(in, *posp, &t, why) == -1)
		return -1;
	if (t.kind == T_LITERAL) {
		for (i = t.start; i < t.end; i++) {
			if (is_wsp(in.p[i]))
				continue;
			if (in.p[i] < 0x20 || in.p[i] == 0x7f)
				return why_set(why, "control character in "
				                    "address");
			put(o, in.p[i]);
		}
		*posp = t.end;
		return 0;
	}
	for (;;) {
		if (t.kind != T_ATOM)
			return why_set(why, "bad domain");
		for (i = t.start; i < t.end; i++)
			put(o, in.p[i]);
		*posp = t.end;
		if (lex(in, *posp, &t, why) == -1)
			return -1;
		if (!is_special(&t, '.'))
			return 0;
		put(o, '.');
		if (lex(in, t.end, &t, why) == -1)
			return -1;
	}
}

/* A dot-string needs no quotes in RFC 5321: atoms joined by single dots. */
static bool
is_dot_string(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.'
		                : !is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The local part's content into o: as a dot-string, or quoted. */
static int
put_local(struct out *o, const char *s, size_t n, struct why *why)
{
	size_t i;

	if (n == 0)
		return why_set(why, "empty local part");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return why_set(why, "control character in address");
	if (is_dot_string(s, n)) {
		for (i = 0; i < n; i++)
			put(o, (unsigned char)s[i]);
		return 0;
	}
	put(o, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			put(o, '\\');
		put(o, (unsigned char)s[i]);
	}
	put(o, '"');
	return 0;
}

/* local-part ["@" domain]: word *("." word), decoded, then canonical. */
static int
parse_addrspec(struct span in, size_t *posp, struct addrlist_mailbox *m,
               struct why *why)
{
	char local[ADDRLIST_ADDR_MAX + 1];
	struct out lo = {local, 0, ADDRLIST_ADDR_MAX, false};
	struct out o = {m->addr, 0, ADDRLIST_ADDR_MAX, false};
	size_t pos = *posp;
	struct tok t;
	size_t i;

	for (;;) {
		if (lex(in, pos, &t, why) == -1)
			return -1;
		if (t.kind == T_ATOM)
			for (i = t.start; i < t.end; i++)
				put(&lo, in.p[i]);
		else if (t.kind == T_QUOTED)
			put_quoted_content(&lo, in, &t);
		else
			return why_set(why, lo.len == 0 ? "empty local part"
			                                : "bad local part");
		if (lex(in, t.end, &t, why) == -1)
			return -1;
		pos = t.start;
		if (!is_special(&t, '.'))
			break;
		put(&lo, '.');
		pos = t.end;
	}
	if (lo.full || put_local(&o, local, lo.len, why) == -1)
		return lo.full ? why_set(why, "address too long") : -1;
	m->local_len = o.len;
	if (is_special(&t, '@')) {
		put(&o, '@');
		pos = t.end;
		if (parse_domain(in, &pos, &o, why) == -1)
			return -1;
		m->has_domain = true;
	}
	if (o.full)
		return why_set(why, "address too long");
	m->addr[o.len] = '\0';
	m->len = o.len;
	*posp = pos;
	return 0;
}

/* After "<": an optional obsolete route "@a,@b:", the addr-spec, ">". */
static int
parse_angle(struct span in, size_t *posp, struct addrlist_mailbox *m,
            struct why *why)
{
	char scratch[ADDRLIST_ADDR_MAX];
	struct tok t;
	size_t pos = *posp;

	if (lex(in, pos, &t, why) == -1)
		return -1;
	if (is_special(&t, '>'))
		return why_set(why, "empty address <>");
	/* RFC 5322 section 4.4: the route is checked, then ignored. */
	if (is_special(&t, '@') || is_special(&t, ',')) {
		bool seen_domain = false;

		for (;;) {
			pos = t.end;
			if (is_special(&t, '@')) {
				struct out o = {scratch, 0, sizeof(scratch),
				                false};

				if (parse_domain(in, &pos, &o, why) == -1)
					return -1;
				seen_domain = true;
			}
			if (lex(in, pos, &t, why) == -1)
				return -1;
			if (is_special(&t, ':') && seen_domain) {
				pos = t.end;
				break;
			}
			if (!is_special(&t, '@') && !is_special(&t, ','))
				return why_set(why, "bad route in address");
		}
	}
	if (parse_addrspec(in, &pos, m, why) == -1 ||
	    lex(in, pos, &t, why) == -1)
		return -1;
	if (!is_special(&t, '>'))
		return why_set(why, "missing '>' after address");
	*posp = t.end;
	return 0;
}

static bool
is_run(const struct tok *t)
{
	return t->kind == T_ATOM || t->kind == T_QUOTED ||
	       t->kind == T_LITERAL || is_special(t, '.') || is_special(t, '@');
}

void
addrlist_init(struct addrlist *al, struct span in)
{
	memset(al, 0, sizeof(*al));
	al->in = in;
}

/* The mailbox is done: the element must end here. */
static int
end_element(struct addrlist *al, struct addrlist_mailbox *m, struct why *why)
{
	struct tok t;
	size_t i;

	if (lex(al->in, al->pos, &t, why) == -1)
		return -1;
	if (is_special(&t, ','))
		al->pos = t.end;
	else if (t.kind != T_END && !(al->in_group && is_special(&t, ';')))
		return why_set(why, "unexpected text after address");
	if (al->in_group)
		m->group = al->group;
	for (i = 0; i < m->len; i++)
		if ((unsigned char)m->addr[i] >= 0x80)
			m->has_utf8 = true;
	return 1;
}

/* One element that is not empty: a mailbox, or the start of a group. */
static int
element(struct addrlist *al, const struct tok *first,
        struct addrlist_mailbox *m, struct why *why)
{
	struct span in = al->in;
	struct tok t = *first;
	size_t end = first->start;
	size_t pos;

	while (is_run(&t)) {
		end = t.end;
		if (lex(in, t.end, &t, why) == -1)
			return -1;
	}
	if (is_special(&t, '<')) {
		m->display = span_make(in.p + first->start, end - first->start);
		pos = t.end;
		if (parse_angle(in, &pos, m, why) == -1)
			return -1;
		al->pos = pos;
		return end_element(al, m, why);
	}
	if (is_special(&t, ':')) {
		if (al->in_group)
			return why_set(why, "group inside a group");
		if (end == first->start)
			return why_set(why, "group without a name");
		al->in_group = true;
		al->group = span_make(in.p + first->start, end - first->start);
		al->pos = t.end;
		return 0;
	}
	if (end == first->start)
		return t.kind == T_SPECIAL
		           ? why_set(why, "unexpected '%c'", t.c)
		           : why_set(why, "unexpected end of address");
	pos = first->start;
	if (parse_addrspec(in, &pos, m, why) == -1)
		return -1;
	al->pos = pos;
	return end_element(al, m, why);
}

int
addrlist_next(struct addrlist *al, struct addrlist_mailbox *out,
              struct why *why)
{
	struct tok t;
	int r;

	if (al->failed)
		return why_set(why, "bad address list");
	memset(out, 0, sizeof(*out));
	for (;;) {
		if (lex(al->in, al->pos, &t, why) == -1)
			break;
		if (t.kind == T_END) {
			/* A group left open at the end counts as closed. */
			al->pos = t.end;
			al->in_group = false;
			return 0;
		}
		if (is_special(&t, ',') ||
		    (is_special(&t, ';') && al->in_group)) {
			if (t.c == ';')
				al->in_group = false;
			al->pos = t.end;
			continue;
		}
		r = element(al, &t, out, why);
		if (r == 1)
			return 1;
		if (r == -1)
			break;
	}
	al->failed = true;
	memset(out, 0, sizeof(*out));
	return -1;
}
