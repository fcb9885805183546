/*
 * smtpreply.c - parse SMTP/LMTP reply lines: the code, its consistency
 * across lines, the enhanced status code, the text, EHLO keywords.
 * Linked into: the delivery agents.  Pure.  Trust: every line is hostile;
 * it is only scanned within its span and copied into bounded fields.
 */
#include <string.h>

#include "base/parse.h"
#include "mail/smtpreply.h"

void
smtpreply_init(struct smtpreply *r)
{
	memset(r, 0, sizeof(*r));
}

int
smtpreply_class(const struct smtpreply *r)
{
	return r->code / 100;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* 1 to 3 digits at s[*i]; *i is then past them.  False if none or more. */
static bool
digits3(struct span s, size_t *i)
{
	size_t start = *i;

	while (*i < s.len && is_digit(s.p[*i]) && *i - start < 4)
		(*i)++;
	return *i > start && *i - start <= 3;
}

size_t
smtpreply_enh_len(struct span s, char klass)
{
	size_t i = 2;

	if (s.len < 5 || s.p[1] != '.' ||
	    (klass != 0 ? s.p[0] != (unsigned char)klass :
			  s.p[0] != '2' && s.p[0] != '4' && s.p[0] != '5'))
		return 0;
	if (!digits3(s, &i) || i >= s.len || s.p[i] != '.')
		return 0;
	i++;
	if (!digits3(s, &i) || (i < s.len && s.p[i] != ' '))
		return 0;
	return i;
}

/* The status code at the start of s into out; false when s has none. */
static bool
enhanced_code(struct span s, char want, char out[SMTPREPLY_ENH_SIZE])
{
	size_t n = smtpreply_enh_len(s, want);

	if (n == 0 || n >= SMTPREPLY_ENH_SIZE)
		return false;
	memcpy(out, s.p, n);
	out[n] = '\0';
	return true;
}

static const struct {
	const char *name;
	unsigned int bit;
} keywords[] = {
	{ "PIPELINING", SMTPREPLY_EXT_PIPELINING },
	{ "SIZE", SMTPREPLY_EXT_SIZE },
	{ "STARTTLS", SMTPREPLY_EXT_STARTTLS },
	{ "8BITMIME", SMTPREPLY_EXT_8BITMIME },
	{ "DSN", SMTPREPLY_EXT_DSN },
	{ "SMTPUTF8", SMTPREPLY_EXT_SMTPUTF8 },
	{ "CHUNKING", SMTPREPLY_EXT_CHUNKING },
	{ "ENHANCEDSTATUSCODES", SMTPREPLY_EXT_ENHANCEDSTATUSCODES },
};

/* One EHLO line's text: "KEYWORD [params]" (RFC 5321 4.1.1.1). */
static void
keyword(struct smtpreply *r, struct span text)
{
	struct span word;
	size_t i;

	if (!span_token(&text, " ", &word))
		return;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (!span_eq_nocase(word, keywords[i].name))
			continue;
		r->ext |= keywords[i].bit;
		/* "SIZE" alone or "SIZE 0": no fixed limit (RFC 1870 4). */
		if (keywords[i].bit == SMTPREPLY_EXT_SIZE) {
			struct span n;
			uint64_t v;

			r->size_max = 0;
			if (span_token(&text, " ", &n) &&
			    parse_u64(n, 0, UINT64_MAX, &v) == 0)
				r->size_max = v;
		}
		return;
	}
}

/* Append the line to the text, sanitised, within SMTPREPLY_TEXT_MAX. */
static void
add_text(struct smtpreply *r, struct span line)
{
	size_t i;

	if (r->text_len > 0 && r->text_len < SMTPREPLY_TEXT_MAX)
		r->text[r->text_len++] = ' ';
	for (i = 0; i < line.len; i++) {
		unsigned char c = line.p[i];

		if (r->text_len == SMTPREPLY_TEXT_MAX) {
			r->truncated = true;
			break;
		}
		r->text[r->text_len++] = c == '\t' ? ' ' :
		    (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	r->text[r->text_len] = '\0';
}

int
smtpreply_line(struct smtpreply *r, struct span line, struct why *why)
{
	struct span text;
	int code;

	if (r->done)
		return why_set(why, "line after the end of the reply");
	if (r->nlines == SMTPREPLY_MAX_LINES)
		return why_set(why, "reply has more than %d lines",
		    SMTPREPLY_MAX_LINES);
	if (line.len < 3 || line.p[0] < '2' || line.p[0] > '5' ||
	    line.p[1] < '0' || line.p[1] > '5' || !is_digit(line.p[2]))
		return why_set(why, "reply line without a valid code");
	if (line.len > 3 && line.p[3] != '-' && line.p[3] != ' ')
		return why_set(why, "bad separator after the reply code");
	code = (line.p[0] - '0') * 100 + (line.p[1] - '0') * 10 +
	    (line.p[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return why_set(why, "reply code changed from %d to %d",
		    r->code, code);
	text = span_sub(line, 4, line.len > 4 ? line.len - 4 : 0);
	if (r->nlines == 0) {
		r->code = code;
		if (!enhanced_code(text, (char)line.p[0], r->enh))
			r->enh[0] = '\0';
	} else if (line.p[0] == '2') {
		keyword(r, text);
	}
	r->nlines++;
	add_text(r, line);
	if (line.len > 3 && line.p[3] == '-')
		return 0;
	r->done = true;
	return 1;
}
