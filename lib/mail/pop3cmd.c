/*
 * pop3cmd.c - parse one POP3 command line: the keyword, then the
 * arguments its row of the table asks for.
 * Linked into: pop3d.  Trust: the line is peer data; it is only scanned
 * within its span, and arguments stay spans of it (numbers are parsed
 * strictly).
 */
#include <string.h>

#include "base/parse.h"
#include "mail/pop3cmd.h"

/* What follows a keyword. */
enum args {
	A_NONE,		/* nothing */
	A_OPTMSG,	/* [msg] */
	A_MSG,		/* msg */
	A_TOP,		/* msg n */
	A_TEXT,		/* the rest of the line, trailing blanks dropped */
	A_PASS,		/* the rest of the line, as it is */
	A_AUTH,		/* [mechanism [initial-response]] */
};

static const struct verb {
	const char *name;
	enum pop3cmd_verb verb;
	enum args args;
} verbs[] = {
	{ "USER", POP3CMD_USER, A_TEXT },
	{ "PASS", POP3CMD_PASS, A_PASS },
	{ "QUIT", POP3CMD_QUIT, A_NONE },
	{ "STAT", POP3CMD_STAT, A_NONE },
	{ "LIST", POP3CMD_LIST, A_OPTMSG },
	{ "RETR", POP3CMD_RETR, A_MSG },
	{ "DELE", POP3CMD_DELE, A_MSG },
	{ "NOOP", POP3CMD_NOOP, A_NONE },
	{ "RSET", POP3CMD_RSET, A_NONE },
	{ "TOP", POP3CMD_TOP, A_TOP },
	{ "UIDL", POP3CMD_UIDL, A_OPTMSG },
	{ "CAPA", POP3CMD_CAPA, A_NONE },
	{ "STLS", POP3CMD_STLS, A_NONE },
	{ "AUTH", POP3CMD_AUTH, A_AUTH },
};

static int
fail(struct pop3cmd *out, enum pop3cmd_err err, struct why *why,
    const char *msg)
{
	out->err = err;
	return why_set(why, "%s", msg);
}

/* RFC 4422 3.1: sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"),
 * taken in any case. */
static bool
mech_ok(struct span m)
{
	size_t i;

	if (m.len == 0 || m.len > POP3CMD_MAX_MECH)
		return false;
	for (i = 0; i < m.len; i++) {
		unsigned c = m.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The characters of base64, or a lone "=" (RFC 5034 4: empty). */
static bool
b64_chars_ok(struct span s)
{
	size_t i;

	if (span_eq(s, "="))
		return true;
	for (i = 0; i < s.len; i++) {
		unsigned c = s.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '+' || c == '/' ||
			c == '='))
			return false;
	}
	return s.len > 0;
}

/* Split rest into at most max words separated by single spaces; -1 when
 * there are more, or an empty one. */
static int
words(struct span rest, struct span *w, size_t max, size_t *n_out)
{
	size_t n = 0;
	long sp;

	*n_out = 0;
	while (rest.len > 0) {
		if (n == max)
			return -1;
		sp = span_chr(rest, ' ');
		if (sp == 0)
			return -1;
		if (sp < 0) {
			w[n++] = rest;
			break;
		}
		w[n++] = span_sub(rest, 0, (size_t)sp);
		rest = span_sub(rest, (size_t)sp + 1,
		    rest.len - (size_t)sp - 1);
		if (rest.len == 0)
			return -1;
	}
	*n_out = n;
	return 0;
}

static int
message_number(struct span s, struct pop3cmd *out)
{
	uint64_t v;

	if (parse_u64(s, 0, UINT32_MAX, &v) == -1)
		return -1;
	out->msg = (uint32_t)v;
	out->has_msg = true;
	return 0;
}

static int
parse_auth(const struct span *w, size_t n, struct pop3cmd *out,
    struct why *why)
{
	if (n == 0)
		return 0;
	if (!mech_ok(w[0]))
		return fail(out, POP3CMD_ERR_SYNTAX, why, "bad mechanism name");
	out->mech = w[0];
	if (n == 1)
		return 0;
	if (!b64_chars_ok(w[1]))
		return fail(out, POP3CMD_ERR_SYNTAX, why,
		    "bad initial response");
	out->has_ir = true;
	out->ir = w[1];
	return 0;
}

/* The arguments of a known keyword: rest follows its space (empty when
 * there was none), trailing blanks removed except for PASS. */
static int
parse_args(const struct verb *v, struct span rest, struct pop3cmd *out,
    struct why *why)
{
	struct span w[3];
	size_t n;

	if (v->args == A_PASS || v->args == A_TEXT) {
		if (rest.len == 0)
			return fail(out, POP3CMD_ERR_SYNTAX, why,
			    v->args == A_PASS ? "PASS needs a password" :
						"USER needs a name");
		out->arg = rest;
		return 0;
	}
	if (words(rest, w, 3, &n) == -1)
		return fail(out, POP3CMD_ERR_SYNTAX, why, "bad arguments");
	switch (v->args) {
	case A_NONE:
		if (n == 0)
			return 0;
		return fail(out, POP3CMD_ERR_SYNTAX, why,
		    "no argument allowed");
	case A_OPTMSG:
	case A_MSG:
		if (n == 0 && v->args == A_OPTMSG)
			return 0;
		if (n != 1 || message_number(w[0], out) == -1)
			return fail(out, POP3CMD_ERR_SYNTAX, why,
			    "bad message number");
		return 0;
	case A_TOP:
		if (n != 2 || message_number(w[0], out) == -1)
			return fail(out, POP3CMD_ERR_SYNTAX, why,
			    "TOP needs a message number and a line count");
		if (parse_u64(w[1], 0, UINT64_MAX, &out->lines) == -1)
			return fail(out, POP3CMD_ERR_SYNTAX, why,
			    "bad line count");
		return 0;
	default:
		if (n > 2)
			return fail(out, POP3CMD_ERR_SYNTAX, why,
			    "bad arguments");
		return parse_auth(w, n, out, why);
	}
}

/* What follows the first space of s (empty when there is none). */
static struct span
after_space(struct span s)
{
	long sp = span_chr(s, ' ');

	if (sp < 0)
		return span_make(NULL, 0);
	return span_sub(s, (size_t)sp + 1, s.len - (size_t)sp - 1);
}

int
pop3cmd_parse(struct span line, struct pop3cmd *out, struct why *why)
{
	struct span trimmed = line, kw;
	long sp;
	size_t i;

	memset(out, 0, sizeof(*out));
	why->msg[0] = '\0';
	if (span_chr(line, '\0') >= 0 || span_chr(line, '\r') >= 0 ||
	    span_chr(line, '\n') >= 0)
		return fail(out, POP3CMD_ERR_VERB, why, "bad character");
	while (trimmed.len > 0 && (trimmed.p[trimmed.len - 1] == ' ' ||
				      trimmed.p[trimmed.len - 1] == '\t'))
		trimmed.len--;
	sp = span_chr(trimmed, ' ');
	kw = sp < 0 ? trimmed : span_sub(trimmed, 0, (size_t)sp);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (span_eq_nocase(kw, verbs[i].name))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return fail(out, POP3CMD_ERR_VERB, why, "unknown command");
	out->verb = verbs[i].verb;
	/* PASS: the password is the rest of the line, blanks included. */
	return parse_args(&verbs[i], after_space(verbs[i].args == A_PASS ?
					 line : trimmed), out, why);
}

const char *
pop3cmd_name(enum pop3cmd_verb verb)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == verb)
			return verbs[i].name;
	return "?";
}
