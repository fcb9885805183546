/*
 * smtpcmd.c - parse one SMTP command line: the verb, its arguments and the
 * ESMTP parameters of MAIL and RCPT.
 * Linked into: smtpd, lmtpd.  Trust: the line is peer data; it is only scanned
 * within its span, values stay undecoded spans, and every parameter is
 * checked against a table of the verbs that may carry it.
 */
#include <stdio.h>
#include <string.h>

#include "base/parse.h"
#include "mail/smtpcmd.h"

#define VERB_BIT(v) (1u << (v))
#define MAX_ENVID 100 /* RFC 3461 section 4.4 */
#define MAX_XTEXT 500 /* RFC 3461 section 4.2, RFC 4954 */
#define MAX_MECH 20   /* RFC 4422 section 3.1 */

static int
fail(struct smtpcmd *out, enum smtpcmd_err err, struct why *why,
     const char *msg)
{
	out->err = err;
	return why_set(why, "%s", msg);
}

static bool
is_alnum(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int
hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/* RFC 3461 xtext: xchar (printable but "+" and "=") or "+" HEX HEX. */
static bool
xtext_valid(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '+') {
			if (i + 2 >= s.len || hexval(s.p[i + 1]) < 0 ||
			    hexval(s.p[i + 2]) < 0)
				return false;
			i += 2;
		} else if (s.p[i] < 33 || s.p[i] > 126 || s.p[i] == '=') {
			return false;
		}
	}
	return s.len > 0;
}

/* RFC 6533 utf-8-addr-xtext: QCHAR or "\x{" hex "}". */
static bool
utf8_xtext_valid(struct span s)
{
	size_t i, j;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\\') {
			if (i + 3 >= s.len || s.p[i + 1] != 'x' ||
			    s.p[i + 2] != '{')
				return false;
			for (j = i + 3; j < s.len && hexval(s.p[j]) >= 0; j++)
				;
			if (j == i + 3 || j - i - 3 > 6 || j >= s.len ||
			    s.p[j] != '}')
				return false;
			i = j;
		} else if (s.p[i] < 33 || s.p[i] > 126 || s.p[i] == '+' ||
		           s.p[i] == '=') {
			return false;
		}
	}
	return s.len > 0;
}

int
smtpcmd_xtext_decode(struct span in, struct buf *out)
{
	size_t old = out->len, i;
	int r = 0;

	if (!xtext_valid(in))
		return -1;
	for (i = 0; i < in.len; i++) {
		if (in.p[i] == '+') {
			r |= buf_addc(out, hexval(in.p[i + 1]) * 16 +
			                       hexval(in.p[i + 2]));
			i += 2;
		} else {
			r |= buf_addc(out, in.p[i]);
		}
	}
	if (r != 0) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

int
smtpcmd_xtext_encode(struct span in, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t old = out->len, i;
	int r = 0;

	for (i = 0; i < in.len && r == 0; i++) {
		unsigned c = in.p[i];

		/* xchar is "!" to "~" less "+" and "=" (RFC 3461 section 4). */
		if (c < 0x21 || c > 0x7e || c == '+' || c == '=') {
			r |= buf_addc(out, '+');
			r |= buf_addc(out, hex[c >> 4]);
			r |= buf_addc(out, hex[c & 15]);
		} else {
			r |= buf_addc(out, (int)c);
		}
	}
	if (r != 0) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* RFC 4954 initial-response: "=" or base64 with correct padding. */
static bool
base64_valid(struct span s)
{
	size_t i, pad = 0;

	if (s.len == 1 && s.p[0] == '=')
		return true;
	if (s.len == 0 || s.len % 4 != 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned c = s.p[i];

		if (c == '=') {
			pad++;
		} else if (pad > 0 || (!is_alnum(c) && c != '+' && c != '/')) {
			return false;
		}
	}
	return pad <= 2;
}

/* Split *s at the first space: the word before it, *s after it. */
static struct span
next_word(struct span *s)
{
	long sp = span_chr(*s, ' ');
	struct span w = *s;

	if (sp < 0) {
		*s = span_make(s->p + s->len, 0);
		return w;
	}
	w.len = (size_t)sp;
	*s = span_make(s->p + sp + 1, s->len - (size_t)sp - 1);
	return w;
}

/* The ESMTP parameters, one handler each. */

static int
p_size(struct span v, struct smtpcmd *out, struct why *why)
{
	if (parse_u64(v, 0, UINT64_MAX, &out->size) == -1)
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad SIZE value");
	return 0;
}

static int
p_body(struct span v, struct smtpcmd *out, struct why *why)
{
	if (span_eq_nocase(v, "7BIT"))
		out->body = SMTPCMD_BODY_7BIT;
	else if (span_eq_nocase(v, "8BITMIME"))
		out->body = SMTPCMD_BODY_8BITMIME;
	else if (span_eq_nocase(v, "BINARYMIME"))
		out->body = SMTPCMD_BODY_BINARYMIME;
	else
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad BODY value");
	return 0;
}

static int
p_smtputf8(struct span v, struct smtpcmd *out, struct why *why)
{
	if (v.p != NULL)
		return fail(out, SMTPCMD_ERR_PARAM, why,
		            "SMTPUTF8 takes no value");
	out->smtputf8 = true;
	return 0;
}

static int
p_ret(struct span v, struct smtpcmd *out, struct why *why)
{
	if (span_eq_nocase(v, "FULL"))
		out->ret = SMTPCMD_RET_FULL;
	else if (span_eq_nocase(v, "HDRS"))
		out->ret = SMTPCMD_RET_HDRS;
	else
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad RET value");
	return 0;
}

static int
p_envid(struct span v, struct smtpcmd *out, struct why *why)
{
	if (v.len > MAX_ENVID || !xtext_valid(v))
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad ENVID value");
	out->envid = v;
	return 0;
}

static int
p_auth(struct span v, struct smtpcmd *out, struct why *why)
{
	if (v.len > MAX_XTEXT || !xtext_valid(v))
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad AUTH value");
	out->auth_param = v;
	return 0;
}

static int
p_notify(struct span v, struct smtpcmd *out, struct why *why)
{
	struct span item;
	unsigned bit;
	bool never = false;

	for (;;) {
		long comma = span_chr(v, ',');

		item = comma < 0 ? v : span_make(v.p, (size_t)comma);
		bit = span_eq_nocase(item, "SUCCESS")   ? SMTPCMD_NOTIFY_SUCCESS
		      : span_eq_nocase(item, "FAILURE") ? SMTPCMD_NOTIFY_FAILURE
		      : span_eq_nocase(item, "DELAY")   ? SMTPCMD_NOTIFY_DELAY
		                                        : 0;
		if (bit == 0 && span_eq_nocase(item, "NEVER") && !never)
			never = true;
		else if (bit == 0 || (out->notify & bit))
			return fail(out, SMTPCMD_ERR_PARAM, why,
			            "bad NOTIFY value");
		out->notify |= bit;
		if (never && (out->notify != 0 || comma >= 0))
			return fail(out, SMTPCMD_ERR_PARAM, why,
			            "NOTIFY=NEVER must stand alone");
		if (comma < 0)
			break;
		v = span_make(v.p + comma + 1, v.len - (size_t)comma - 1);
	}
	return 0;
}

static int
p_orcpt(struct span v, struct smtpcmd *out, struct why *why)
{
	long semi = span_chr(v, ';');
	struct span type, addr;

	if (semi < 0 || v.len > MAX_XTEXT)
		return fail(out, SMTPCMD_ERR_PARAM, why, "bad ORCPT value");
	type = span_make(v.p, (size_t)semi);
	addr = span_make(v.p + semi + 1, v.len - (size_t)semi - 1);
	if (span_eq_nocase(type, "rfc822")) {
		if (!xtext_valid(addr))
			return fail(out, SMTPCMD_ERR_PARAM, why,
			            "bad ORCPT address");
	} else if (span_eq_nocase(type, "utf-8")) {
		if (!utf8_xtext_valid(addr))
			return fail(out, SMTPCMD_ERR_PARAM, why,
			            "bad ORCPT address");
	} else {
		return fail(out, SMTPCMD_ERR_PARAM, why,
		            "unsupported ORCPT address type");
	}
	out->orcpt_type = type;
	out->orcpt = addr;
	return 0;
}

static const struct param_rule {
	const char *name;
	unsigned bit;   /* SMTPCMD_P_* */
	unsigned verbs; /* VERB_BIT()s that may carry it */
	bool needs_value;
	int (*fn)(struct span, struct smtpcmd *, struct why *);
} param_rules[] = {
    {"SIZE", SMTPCMD_P_SIZE, VERB_BIT(SMTPCMD_MAIL), true, p_size},
    {"BODY", SMTPCMD_P_BODY, VERB_BIT(SMTPCMD_MAIL), true, p_body},
    {"SMTPUTF8", SMTPCMD_P_SMTPUTF8, VERB_BIT(SMTPCMD_MAIL), false, p_smtputf8},
    {"RET", SMTPCMD_P_RET, VERB_BIT(SMTPCMD_MAIL), true, p_ret},
    {"ENVID", SMTPCMD_P_ENVID, VERB_BIT(SMTPCMD_MAIL), true, p_envid},
    {"AUTH", SMTPCMD_P_AUTH, VERB_BIT(SMTPCMD_MAIL), true, p_auth},
    {"NOTIFY", SMTPCMD_P_NOTIFY, VERB_BIT(SMTPCMD_RCPT), true, p_notify},
    {"ORCPT", SMTPCMD_P_ORCPT, VERB_BIT(SMTPCMD_RCPT), true, p_orcpt},
};

/* keyword = alnum *(alnum / "-"); value = 1*(printable but "=" and SP). */
static bool
param_syntax_ok(struct span kw, struct span v)
{
	size_t i;

	if (kw.len == 0 || !is_alnum(kw.p[0]))
		return false;
	for (i = 1; i < kw.len; i++)
		if (!is_alnum(kw.p[i]) && kw.p[i] != '-')
			return false;
	if (v.p == NULL)
		return true;
	for (i = 0; i < v.len; i++)
		if (v.p[i] < 33 || v.p[i] > 126 || v.p[i] == '=')
			return false;
	return v.len > 0;
}

/* One "keyword[=value]"; a value-less parameter gets a NULL value span. */
static int
parse_param(struct span tok, struct smtpcmd *out, struct why *why)
{
	long eq = span_chr(tok, '=');
	struct span kw = tok, v = {NULL, 0};
	const struct param_rule *r;
	size_t i;

	if (eq >= 0) {
		kw.len = (size_t)eq;
		v = span_make(tok.p + eq + 1, tok.len - (size_t)eq - 1);
	}
	if (!param_syntax_ok(kw, v))
		return fail(out, SMTPCMD_ERR_PARAM, why,
		            "bad parameter syntax");
	for (i = 0; i < sizeof(param_rules) / sizeof(param_rules[0]); i++)
		if (span_eq_nocase(kw, param_rules[i].name))
			break;
	if (i == sizeof(param_rules) / sizeof(param_rules[0]))
		return fail(out, SMTPCMD_ERR_PARAM, why, "unknown parameter");
	r = &param_rules[i];
	if (!(r->verbs & VERB_BIT(out->verb)))
		return fail(out, SMTPCMD_ERR_PARAM, why,
		            "parameter not valid for this command");
	if (out->params & r->bit)
		return fail(out, SMTPCMD_ERR_PARAM, why, "duplicate parameter");
	if (r->needs_value && v.p == NULL)
		return fail(out, SMTPCMD_ERR_PARAM, why,
		            "parameter needs a value");
	out->params |= r->bit;
	return r->fn(v, out, why);
}

/* The verbs' arguments; rest is what follows "VERB ", has_arg if any. */

static int
a_none(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	(void)rest;
	if (has_arg)
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            "command takes no argument");
	return 0;
}

static int
a_text(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	(void)has_arg;
	(void)why;
	out->arg = rest;
	return 0;
}

static int
a_helo(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	struct why ignored;
	bool lit;

	if (!has_arg || rest.len == 0)
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            "domain name or address literal required");
	out->arg = rest;
	/* RFC 5321 section 4.1.1.1: only EHLO (and LHLO, RFC 2033 4.1, which
	 * has EHLO's syntax) may name an address literal. */
	out->helo_ok = smtpaddr_check_domain(rest, 0,
	                                     out->verb != SMTPCMD_HELO, &lit,
	                                     &ignored) == 0;
	return 0;
}

/* MAIL FROM:<path> / RCPT TO:<path>, then the parameters. */
static int
path_and_params(struct span rest, const char *prefix, unsigned flags,
                struct smtpcmd *out, struct why *why)
{
	size_t used, n = strlen(prefix);

	if (!span_startswith_nocase(rest, prefix))
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            out->verb == SMTPCMD_MAIL
		                ? "expected FROM:<address>"
		                : "expected TO:<address>");
	rest = span_sub(rest, n, rest.len);
	/* "MAIL FROM: <a@b>": many clients send one space; accept it. */
	if (rest.len > 0 && rest.p[0] == ' ')
		rest = span_sub(rest, 1, rest.len);
	if (smtpaddr_parse_path(rest, flags, &out->path, &used, why) == -1) {
		out->err = SMTPCMD_ERR_ADDR;
		return -1;
	}
	rest = span_sub(rest, used, rest.len);
	if (rest.len > 0 && rest.p[0] != ' ')
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            "bad character after address");
	while (rest.len > 0) {
		struct span tok = next_word(&rest);

		if (tok.len > 0 && parse_param(tok, out, why) == -1)
			return -1;
	}
	return 0;
}

static int
a_mail(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	(void)has_arg;
	return path_and_params(rest, "FROM:", SMTPADDR_NULL_OK | SMTPADDR_UTF8,
	                       out, why);
}

static int
a_rcpt(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	(void)has_arg;
	return path_and_params(
	    rest, "TO:", SMTPADDR_POSTMASTER_OK | SMTPADDR_UTF8, out, why);
}

/* RFC 3030: "BDAT" SP chunk-size [SP "LAST"]. */
static int
a_bdat(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	struct span size = next_word(&rest);

	if (!has_arg || parse_u64(size, 0, UINT64_MAX, &out->bdat_size) == -1)
		return fail(out, SMTPCMD_ERR_SYNTAX, why, "bad chunk size");
	if (rest.len > 0 && !span_eq_nocase(rest, "LAST"))
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            "expected BDAT size [LAST]");
	out->bdat_last = rest.len > 0;
	return 0;
}

/* RFC 4954: "AUTH" SP mechanism [SP initial-response]. */
static int
a_auth(struct span rest, bool has_arg, struct smtpcmd *out, struct why *why)
{
	struct span mech = next_word(&rest);
	bool more = mech.p + mech.len < rest.p;
	size_t i;

	if (!has_arg || mech.len == 0 || mech.len > MAX_MECH)
		return fail(out, SMTPCMD_ERR_SYNTAX, why, "bad mechanism name");
	for (i = 0; i < mech.len; i++)
		if (!is_alnum(mech.p[i]) && mech.p[i] != '-' &&
		    mech.p[i] != '_')
			return fail(out, SMTPCMD_ERR_SYNTAX, why,
			            "bad mechanism name");
	if (more && !base64_valid(rest))
		return fail(out, SMTPCMD_ERR_SYNTAX, why,
		            "bad initial response");
	out->auth_mech = mech;
	out->auth_initial = rest;
	return 0;
}

static const struct verb_rule {
	const char *name;
	enum smtpcmd_verb verb;
	int (*args)(struct span, bool, struct smtpcmd *, struct why *);
} verb_rules[] = {
    {"EHLO", SMTPCMD_EHLO, a_helo},         {"HELO", SMTPCMD_HELO, a_helo},
    {"MAIL", SMTPCMD_MAIL, a_mail},         {"RCPT", SMTPCMD_RCPT, a_rcpt},
    {"DATA", SMTPCMD_DATA, a_none},         {"BDAT", SMTPCMD_BDAT, a_bdat},
    {"RSET", SMTPCMD_RSET, a_none},         {"NOOP", SMTPCMD_NOOP, a_text},
    {"QUIT", SMTPCMD_QUIT, a_none},         {"VRFY", SMTPCMD_VRFY, a_text},
    {"EXPN", SMTPCMD_EXPN, a_text},         {"HELP", SMTPCMD_HELP, a_text},
    {"STARTTLS", SMTPCMD_STARTTLS, a_none}, {"AUTH", SMTPCMD_AUTH, a_auth},
    {"LHLO", SMTPCMD_LHLO, a_helo},
};

static void
clear(struct smtpcmd *out, struct span line)
{
	struct span empty = span_make(line.p, 0);

	memset(out, 0, sizeof(*out));
	out->arg = out->envid = out->auth_param = empty;
	out->orcpt_type = out->orcpt = empty;
	out->auth_mech = out->auth_initial = empty;
	out->path.local = out->path.domain = empty;
}

int
smtpcmd_parse(struct span line, struct smtpcmd *out, struct why *why)
{
	struct span rest, word;
	size_t i;

	clear(out, line);
	/* A NUL, CR or LF inside a line is smuggling, never a client bug. */
	for (i = 0; i < line.len; i++)
		if (line.p[i] == '\0' || line.p[i] == '\r' || line.p[i] == '\n')
			return fail(out, SMTPCMD_ERR_VERB, why,
			            "bad character in command line");
	while (line.len > 0 &&
	       (line.p[line.len - 1] == ' ' || line.p[line.len - 1] == '\t'))
		line.len--;
	rest = line;
	word = next_word(&rest);
	for (i = 0; i < sizeof(verb_rules) / sizeof(verb_rules[0]); i++)
		if (span_eq_nocase(word, verb_rules[i].name))
			break;
	if (i == sizeof(verb_rules) / sizeof(verb_rules[0]))
		return fail(out, SMTPCMD_ERR_VERB, why, "unknown command");
	out->verb = verb_rules[i].verb;
	return verb_rules[i].args(rest, word.len < line.len, out, why);
}

size_t
smtpcmd_reply_line(char *out, size_t size, int code, const char *enh,
    const char *text)
{
	int n = snprintf(out, size - 2, "%d %s%s%s", code,
	    enh != NULL ? enh : "", enh != NULL ? " " : "", text);
	size_t len = n < 0 ? 0 : (size_t)n < size - 2 ? (size_t)n : size - 3;

	memcpy(out + len, "\r\n", 3);
	return len + 2;
}

int
smtpcmd_err_reply(const struct smtpcmd *c, const struct why *why,
                  const char **enh_out, char *text, size_t size)
{
	switch (c->err) {
	case SMTPCMD_ERR_SYNTAX:
		*enh_out = "5.5.4";
		snprintf(text, size, "Syntax: %s", why->msg);
		return 501;
	case SMTPCMD_ERR_ADDR:
		*enh_out = c->verb == SMTPCMD_MAIL ? "5.1.7" : "5.1.3";
		snprintf(text, size, "Bad address syntax: %s", why->msg);
		return 501;
	case SMTPCMD_ERR_PARAM:
		*enh_out = "5.5.4";
		snprintf(text, size, "Unsupported option: %s", why->msg);
		return 555;
	default:
		*enh_out = "5.5.2";
		snprintf(text, size, "Error: command not recognized");
		return 500;
	}
}
