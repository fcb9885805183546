/*
 * smtpcmd_test.c - unit tests for lib/mail/smtpcmd: every verb, every
 * ESMTP parameter, every rejection branch, xtext decoding, and every
 * prefix of every case.
 */
#include "mail/smtpcmd.h"
#include "tap.h"

#define V(x) SMTPCMD_##x
#define E(x) SMTPCMD_ERR_##x

/* why: a piece of the reason when ret is -1. */
static const struct {
	const char *line;
	size_t len; /* 0: strlen */
	int ret;
	enum smtpcmd_verb verb;
	enum smtpcmd_err err;
	const char *why;
} cases[] = {
    {"EHLO mx.example.com", 0, 0, V(EHLO), E(NONE), NULL},
    {"helo mx.example.com", 0, 0, V(HELO), E(NONE), NULL},
    {"EHLO [192.0.2.1]", 0, 0, V(EHLO), E(NONE), NULL},
    {"EHLO my host name!", 0, 0, V(EHLO), E(NONE), NULL},
    {"EHLO", 0, -1, V(EHLO), E(SYNTAX), "domain name"},
    {"EHLO ", 0, -1, V(EHLO), E(SYNTAX), "domain name"},
    {"LHLO mx.example.com", 0, 0, V(LHLO), E(NONE), NULL},
    {"lhlo", 0, -1, V(LHLO), E(SYNTAX), "domain name"},
    {"MAIL FROM:<a@b.example>", 0, 0, V(MAIL), E(NONE), NULL},
    {"mail from:<>", 0, 0, V(MAIL), E(NONE), NULL},
    {"MAIL FROM: <a@b.example>", 0, 0, V(MAIL), E(NONE), NULL},
    {"MAIL FROM:  <a@b.example>", 0, -1, V(MAIL), E(ADDR), "enclosed"},
    {"MAIL FROM:a@b.example", 0, -1, V(MAIL), E(ADDR), "enclosed"},
    {"MAIL TO:<a@b.example>", 0, -1, V(MAIL), E(SYNTAX), "FROM:"},
    {"MAIL", 0, -1, V(MAIL), E(SYNTAX), "FROM:"},
    {"MAIL FROM:<a@b.example>x", 0, -1, V(MAIL), E(SYNTAX), "after address"},
    {"MAIL FROM:<a@b.example.>", 0, -1, V(MAIL), E(ADDR), "dot"},
    {"MAIL FROM:<Postmaster>", 0, -1, V(MAIL), E(ADDR), "@domain"},
    {"RCPT TO:<a@b.example>", 0, 0, V(RCPT), E(NONE), NULL},
    {"RCPT TO:<Postmaster>", 0, 0, V(RCPT), E(NONE), NULL},
    {"RCPT TO:<>", 0, -1, V(RCPT), E(ADDR), "null address"},
    {"RCPT FROM:<a@b.example>", 0, -1, V(RCPT), E(SYNTAX), "TO:"},
    {"RCPT TO:<\xc3\xa4@b.example>", 0, 0, V(RCPT), E(NONE), NULL},
    {"DATA", 0, 0, V(DATA), E(NONE), NULL},
    {"data  ", 0, 0, V(DATA), E(NONE), NULL},
    {"DATA x", 0, -1, V(DATA), E(SYNTAX), "no argument"},
    {"RSET", 0, 0, V(RSET), E(NONE), NULL},
    {"RSET now", 0, -1, V(RSET), E(SYNTAX), "no argument"},
    {"QUIT", 0, 0, V(QUIT), E(NONE), NULL},
    {"QUIT x", 0, -1, V(QUIT), E(SYNTAX), "no argument"},
    {"STARTTLS", 0, 0, V(STARTTLS), E(NONE), NULL},
    {"STARTTLS x", 0, -1, V(STARTTLS), E(SYNTAX), "no argument"},
    {"NOOP", 0, 0, V(NOOP), E(NONE), NULL},
    {"NOOP any thing", 0, 0, V(NOOP), E(NONE), NULL},
    {"HELP", 0, 0, V(HELP), E(NONE), NULL},
    {"HELP MAIL", 0, 0, V(HELP), E(NONE), NULL},
    {"VRFY user", 0, 0, V(VRFY), E(NONE), NULL},
    {"EXPN list", 0, 0, V(EXPN), E(NONE), NULL},
    {"BDAT 1000", 0, 0, V(BDAT), E(NONE), NULL},
    {"BDAT 0 LAST", 0, 0, V(BDAT), E(NONE), NULL},
    {"bdat 5 last", 0, 0, V(BDAT), E(NONE), NULL},
    {"BDAT", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT -1", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT +1", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT 18446744073709551616", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT 1x", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT  1", 0, -1, V(BDAT), E(SYNTAX), "chunk size"},
    {"BDAT 1 FIRST", 0, -1, V(BDAT), E(SYNTAX), "LAST"},
    {"BDAT 1 LAST x", 0, -1, V(BDAT), E(SYNTAX), "LAST"},
    {"AUTH PLAIN", 0, 0, V(AUTH), E(NONE), NULL},
    {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", 0, 0, V(AUTH), E(NONE), NULL},
    {"AUTH PLAIN =", 0, 0, V(AUTH), E(NONE), NULL},
    {"auth scram-sha-256", 0, 0, V(AUTH), E(NONE), NULL},
    {"AUTH X_Y-Z", 0, 0, V(AUTH), E(NONE), NULL},
    {"AUTH", 0, -1, V(AUTH), E(SYNTAX), "mechanism"},
    {"AUTH  PLAIN", 0, -1, V(AUTH), E(SYNTAX), "mechanism"},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU", 0, -1, V(AUTH), E(SYNTAX), "mechanism"},
    {"AUTH PL.AIN", 0, -1, V(AUTH), E(SYNTAX), "mechanism"},
    {"AUTH PLAIN abc", 0, -1, V(AUTH), E(SYNTAX), "initial response"},
    {"AUTH PLAIN ab=c", 0, -1, V(AUTH), E(SYNTAX), "initial response"},
    {"AUTH PLAIN a===", 0, -1, V(AUTH), E(SYNTAX), "initial response"},
    {"AUTH PLAIN ab!c", 0, -1, V(AUTH), E(SYNTAX), "initial response"},
    {"AUTH PLAIN abcd efgh", 0, -1, V(AUTH), E(SYNTAX), "initial response"},
    {"", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {"FOO", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {"DATAX", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {" DATA", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {"QUIT\tx", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {"GET / HTTP/1.0", 0, -1, V(UNKNOWN), E(VERB), "unknown command"},
    {"NOOP a\0b", 8, -1, V(UNKNOWN), E(VERB), "bad character"},
    {"NOOP a\rb", 0, -1, V(UNKNOWN), E(VERB), "bad character"},
    {"NOOP a\nb", 0, -1, V(UNKNOWN), E(VERB), "bad character"},
    {"DATA\r", 0, -1, V(UNKNOWN), E(VERB), "bad character"},
    /* ESMTP parameters. */
    {"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", 0, 0, V(MAIL), E(NONE),
     NULL},
    {"MAIL FROM:<a@b.example>  size=0   SMTPUTF8", 0, 0, V(MAIL), E(NONE),
     NULL},
    {"MAIL FROM:<> RET=HDRS ENVID=QQ+2B1 AUTH=<>", 0, 0, V(MAIL), E(NONE),
     NULL},
    {"MAIL FROM:<a@b.example> SIZE=-1", 0, -1, V(MAIL), E(PARAM), "bad SIZE"},
    {"MAIL FROM:<a@b.example> SIZE=99999999999999999999", 0, -1, V(MAIL),
     E(PARAM), "bad SIZE"},
    {"MAIL FROM:<a@b.example> SIZE", 0, -1, V(MAIL), E(PARAM), "needs a value"},
    {"MAIL FROM:<a@b.example> SIZE=", 0, -1, V(MAIL), E(PARAM), "syntax"},
    {"MAIL FROM:<a@b.example> SIZE=1=2", 0, -1, V(MAIL), E(PARAM), "syntax"},
    {"MAIL FROM:<a@b.example> -X=1", 0, -1, V(MAIL), E(PARAM), "syntax"},
    {"MAIL FROM:<a@b.example> X_Y=1", 0, -1, V(MAIL), E(PARAM), "syntax"},
    {"MAIL FROM:<a@b.example> =1", 0, -1, V(MAIL), E(PARAM), "syntax"},
    {"MAIL FROM:<a@b.example> SIZE=\xc3\xa4", 0, -1, V(MAIL), E(PARAM),
     "syntax"},
    {"MAIL FROM:<a@b.example> SIZE=1 SIZE=2", 0, -1, V(MAIL), E(PARAM),
     "duplicate"},
    {"MAIL FROM:<a@b.example> X-FOO=1", 0, -1, V(MAIL), E(PARAM),
     "unknown parameter"},
    {"MAIL FROM:<a@b.example> NOTIFY=NEVER", 0, -1, V(MAIL), E(PARAM),
     "not valid"},
    {"RCPT TO:<a@b.example> SIZE=1", 0, -1, V(RCPT), E(PARAM), "not valid"},
    {"MAIL FROM:<a@b.example> BODY=7BIT", 0, 0, V(MAIL), E(NONE), NULL},
    {"MAIL FROM:<a@b.example> BODY=binarymime", 0, 0, V(MAIL), E(NONE), NULL},
    {"MAIL FROM:<a@b.example> BODY=8BIT", 0, -1, V(MAIL), E(PARAM), "bad BODY"},
    {"MAIL FROM:<a@b.example> SMTPUTF8=yes", 0, -1, V(MAIL), E(PARAM),
     "no value"},
    {"MAIL FROM:<a@b.example> RET=FULL", 0, 0, V(MAIL), E(NONE), NULL},
    {"MAIL FROM:<a@b.example> RET=ALL", 0, -1, V(MAIL), E(PARAM), "bad RET"},
    {"MAIL FROM:<a@b.example> ENVID=a+2", 0, -1, V(MAIL), E(PARAM),
     "bad ENVID"},
    {"MAIL FROM:<a@b.example> ENVID=a+GG", 0, -1, V(MAIL), E(PARAM),
     "bad ENVID"},
    {"MAIL FROM:<a@b.example> AUTH=a+", 0, -1, V(MAIL), E(PARAM), "bad AUTH"},
    {"MAIL FROM:<a@b.example> AUTH=<a+40b.example>", 0, 0, V(MAIL), E(NONE),
     NULL},
    {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY", 0, 0, V(RCPT),
     E(NONE), NULL},
    {"RCPT TO:<a@b.example> NOTIFY=never", 0, 0, V(RCPT), E(NONE), NULL},
    {"RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", 0, -1, V(RCPT), E(PARAM),
     "stand alone"},
    {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,NEVER", 0, -1, V(RCPT), E(PARAM),
     "stand alone"},
    {"RCPT TO:<a@b.example> NOTIFY=NEVER,", 0, -1, V(RCPT), E(PARAM),
     "stand alone"},
    {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,", 0, -1, V(RCPT), E(PARAM),
     "bad NOTIFY"},
    {"RCPT TO:<a@b.example> NOTIFY=DELAY,DELAY", 0, -1, V(RCPT), E(PARAM),
     "bad NOTIFY"},
    {"RCPT TO:<a@b.example> NOTIFY=SOMETIMES", 0, -1, V(RCPT), E(PARAM),
     "bad NOTIFY"},
    {"RCPT TO:<a@b.example> NOTIFY=,SUCCESS", 0, -1, V(RCPT), E(PARAM),
     "bad NOTIFY"},
    {"RCPT TO:<a@b.example> ORCPT=rfc822;a+40b.example", 0, 0, V(RCPT), E(NONE),
     NULL},
    {"RCPT TO:<a@b.example> ORCPT=UTF-8;\\x{E4}@b.example", 0, 0, V(RCPT),
     E(NONE), NULL},
    {"RCPT TO:<a@b.example> ORCPT=rfc822", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT value"},
    {"RCPT TO:<a@b.example> ORCPT=rfc822;", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=x400;a", 0, -1, V(RCPT), E(PARAM),
     "unsupported ORCPT"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;a+40b", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;\\x{}", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;\\x{1234567}", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;\\x{12", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;\\y{12}", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
    {"RCPT TO:<a@b.example> ORCPT=utf-8;\\x", 0, -1, V(RCPT), E(PARAM),
     "bad ORCPT address"},
};

static bool
inside(struct span s, const unsigned char *p, size_t len)
{
	return s.len == 0 || (s.p >= p && s.p + s.len <= p + len);
}

static bool
all_inside(const struct smtpcmd *c, const unsigned char *p, size_t len)
{
	return inside(c->arg, p, len) && inside(c->path.local, p, len) &&
	       inside(c->path.domain, p, len) && inside(c->envid, p, len) &&
	       inside(c->auth_param, p, len) && inside(c->orcpt_type, p, len) &&
	       inside(c->orcpt, p, len) && inside(c->auth_mech, p, len) &&
	       inside(c->auth_initial, p, len);
}

/* Parse from an exactly sized copy, so that ASan sees any overread. */
static int
parse_copy(const char *s, size_t len, struct smtpcmd *c, struct why *why,
           bool *inside_out)
{
	unsigned char *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, s, len);
	r = smtpcmd_parse(span_make(copy, len), c, why);
	*inside_out = all_inside(c, copy, len);
	free(copy);
	return r;
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len =
		    cases[i].len ? cases[i].len : strlen(cases[i].line);
		struct smtpcmd c;
		struct why why = {""};
		bool in;
		int r = parse_copy(cases[i].line, len, &c, &why, &in);

		/* The line itself may hold CR or LF: keep it off TAP. */
		is_int(r, cases[i].ret, "case %zu: %s", i, why.msg);
		is_int(c.verb, cases[i].verb, "verb of %zu", i);
		is_int(c.err, cases[i].err, "error kind of %zu", i);
		ok(in, "spans inside %zu", i);
		if (cases[i].why != NULL)
			ok(strstr(why.msg, cases[i].why) != NULL,
			   "reason of %zu: %s", i, why.msg);
	}
}

/* Every prefix of every case: no crash, no overread, spans inside. */
static void
test_prefixes(void)
{
	size_t i, n, bad = 0, tried = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len =
		    cases[i].len ? cases[i].len : strlen(cases[i].line);

		for (n = 0; n < len; n++) {
			struct smtpcmd c;
			struct why why;
			bool in;
			int r = parse_copy(cases[i].line, n, &c, &why, &in);

			tried++;
			if ((r != 0 && r != -1) || !in ||
			    (r == -1 && c.err == SMTPCMD_ERR_NONE))
				bad++;
		}
	}
	is_int(bad, 0, "%zu prefixes parsed sanely", tried);
}

static int
parse(const char *s, struct smtpcmd *c)
{
	struct why why;

	return smtpcmd_parse(span_str(s), c, &why);
}

static void
test_fields(void)
{
	struct smtpcmd c;
	struct buf b;

	ok(parse("EHLO mx.example.com", &c) == 0 && c.helo_ok &&
	       span_eq(c.arg, "mx.example.com"),
	   "EHLO name");
	ok(parse("EHLO [192.0.2.1]", &c) == 0 && c.helo_ok, "EHLO literal");
	{
		const char *enh = NULL;
		char text[100];
		struct why w;

		ok(smtpcmd_parse(span_str("RCPT TO:<a@@b>"), &c, &w) == -1 &&
		       smtpcmd_err_reply(&c, &w, &enh, text, sizeof(text)) ==
		           501 &&
		       strcmp(enh, "5.1.3") == 0 &&
		       strncmp(text, "Bad address syntax: ", 20) == 0,
		   "err_reply: RCPT address");
		ok(smtpcmd_parse(span_str("FOO"), &c, &w) == -1 &&
		       smtpcmd_err_reply(&c, &w, &enh, text, sizeof(text)) ==
		           500 &&
		       strcmp(text, "Error: command not recognized") == 0,
		   "err_reply: unknown verb");
	}
	ok(parse("LHLO [192.0.2.1]", &c) == 0 && c.helo_ok &&
	       c.verb == SMTPCMD_LHLO,
	   "LHLO literal (RFC 2033 4.1)");
	ok(parse("HELO [192.0.2.1]", &c) == 0 && !c.helo_ok,
	   "HELO literal flagged (RFC 5321 4.1.1.1)");
	ok(parse("EHLO my host", &c) == 0 && !c.helo_ok &&
	       span_eq(c.arg, "my host"),
	   "junk EHLO kept, flagged");
	ok(parse("EHLO host.example.", &c) == 0 && !c.helo_ok,
	   "EHLO trailing dot flagged");
	ok(parse("EHLO [999.1.1.1]", &c) == 0 && !c.helo_ok,
	   "EHLO bad literal flagged");
	ok(parse("MAIL FROM:<>", &c) == 0 && c.path.is_null && c.params == 0,
	   "null sender");
	buf_init(&b, 512);
	ok(parse("MAIL FROM: <@r.example:User@EX.Example> SIZE=1000 "
	         "BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=a+2Bb AUTH=<>",
	         &c) == 0 &&
	       smtpaddr_format(&c.path, &b) == 0 &&
	       strcmp(buf_str(&b), "User@ex.example") == 0,
	   "MAIL path");
	ok(c.size == 1000 && c.body == SMTPCMD_BODY_8BITMIME && c.smtputf8 &&
	       c.ret == SMTPCMD_RET_HDRS && span_eq(c.envid, "a+2Bb") &&
	       span_eq(c.auth_param, "<>") &&
	       c.params ==
	           (SMTPCMD_P_SIZE | SMTPCMD_P_BODY | SMTPCMD_P_SMTPUTF8 |
	            SMTPCMD_P_RET | SMTPCMD_P_ENVID | SMTPCMD_P_AUTH),
	   "MAIL parameters");
	ok(parse("RCPT TO:<x@y.example> NOTIFY=success,Delay "
	         "ORCPT=rfc822;x+40y.example",
	         &c) == 0 &&
	       c.notify == (SMTPCMD_NOTIFY_SUCCESS | SMTPCMD_NOTIFY_DELAY) &&
	       span_eq(c.orcpt_type, "rfc822") &&
	       span_eq(c.orcpt, "x+40y.example"),
	   "RCPT parameters");
	ok(parse("RCPT TO:<x@y.example> NOTIFY=NEVER", &c) == 0 &&
	       c.notify == 0 && (c.params & SMTPCMD_P_NOTIFY),
	   "NOTIFY=NEVER");
	ok(parse("RCPT TO:<postmaster>", &c) == 0 && c.path.domain.len == 0 &&
	       span_eq(c.path.local, "postmaster"),
	   "bare postmaster");
	ok(parse("RCPT TO:<\xc3\xa4@y.example>", &c) == 0 && c.path.has_utf8,
	   "UTF-8 path reported for the session");
	buf_fini(&b);
}

static void
test_fields_other(void)
{
	struct smtpcmd c;

	ok(parse("BDAT 18446744073709551615 LAST", &c) == 0 &&
	       c.bdat_size == UINT64_MAX && c.bdat_last,
	   "BDAT max LAST");
	ok(parse("BDAT 7", &c) == 0 && c.bdat_size == 7 && !c.bdat_last,
	   "BDAT 7");
	ok(parse("AUTH plain dGVzdA==", &c) == 0 &&
	       span_eq(c.auth_mech, "plain") &&
	       span_eq(c.auth_initial, "dGVzdA=="),
	   "AUTH initial response");
	ok(parse("AUTH LOGIN", &c) == 0 && c.auth_initial.len == 0,
	   "AUTH without initial response");
	ok(parse("NOOP  hello  ", &c) == 0 && span_eq(c.arg, " hello"),
	   "NOOP text, trailing blanks dropped");
	ok(parse("VRFY", &c) == 0 && c.arg.len == 0, "VRFY without text");
}

static void
test_xtext(void)
{
	struct buf b;

	buf_init(&b, 64);
	ok(smtpcmd_xtext_decode(span_str("a+2Bb+3d+40"), &b) == 0 &&
	       strcmp(buf_str(&b), "a+b=@") == 0,
	   "xtext decoded");
	buf_reset(&b);
	ok(smtpcmd_xtext_decode(span_str("+00"), &b) == 0 && b.len == 1 &&
	       b.p[0] == 0,
	   "xtext NUL decoded (binary-safe)");
	buf_reset(&b);
	ok(smtpcmd_xtext_decode(span_str("a+4"), &b) == -1 && b.len == 0,
	   "short hexchar");
	ok(smtpcmd_xtext_decode(span_str("a=b"), &b) == -1, "bare =");
	ok(smtpcmd_xtext_decode(span_str("a b"), &b) == -1, "space");
	ok(smtpcmd_xtext_decode(span_str(""), &b) == -1, "empty");
	buf_fini(&b);
	buf_init(&b, 3);
	ok(smtpcmd_xtext_decode(span_str("abcd"), &b) == -1 && b.len == 0,
	   "full buffer: -1, unchanged");
	buf_fini(&b);
}

static void
test_xtext_encode(void)
{
	unsigned char all[256];
	struct buf enc, dec;
	size_t i;
	bool clean = true;

	buf_init(&enc, 1024);
	ok(smtpcmd_xtext_encode(span_str("a+b=c d@e"), &enc) == 0 &&
	       strcmp(buf_str(&enc), "a+2Bb+3Dc+20d@e") == 0,
	   "xtext: +, = and space encoded, the rest kept");
	buf_reset(&enc);
	ok(smtpcmd_xtext_encode(span_make("\0\x7f\xff~!", 5), &enc) == 0 &&
	       strcmp(buf_str(&enc), "+00+7F+FF~!") == 0,
	   "xtext: NUL, DEL and 8-bit bytes encoded, ! and ~ kept");
	buf_reset(&enc);
	ok(smtpcmd_xtext_encode(span_str(""), &enc) == 0 && enc.len == 0,
	   "xtext: empty in, nothing out");

	/* Every byte value survives encode then decode. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	buf_reset(&enc);
	buf_init(&dec, 1024);
	ok(smtpcmd_xtext_encode(span_make(all, sizeof(all)), &enc) == 0 &&
	       smtpcmd_xtext_decode(buf_span(&enc), &dec) == 0 &&
	       dec.len == sizeof(all) && memcmp(dec.p, all, dec.len) == 0,
	   "xtext: all 256 bytes round-trip");
	for (i = 0; i < enc.len; i++)
		if (enc.p[i] < 0x21 || enc.p[i] > 0x7e || enc.p[i] == '=')
			clean = false;
	ok(clean, "xtext: the encoding is printable ASCII without =");
	buf_fini(&dec);
	buf_fini(&enc);

	/* A max of 4 holding "x" has room for "ab" but not for "+2B" too. */
	buf_init(&enc, 4);
	buf_adds(&enc, "x");
	ok(smtpcmd_xtext_encode(span_str("ab+"), &enc) == -1 &&
	       strcmp(buf_str(&enc), "x") == 0,
	   "xtext: full buffer: -1, unchanged");
	buf_fini(&enc);
}

static void
test_reply_line(void)
{
	char line[32];
	size_t n;

	n = smtpcmd_reply_line(line, sizeof(line), 250, "2.0.0", "Ok");
	ok(n == 14 && strcmp(line, "250 2.0.0 Ok\r\n") == 0,
	    "reply with an enhanced code");
	n = smtpcmd_reply_line(line, sizeof(line), 220, NULL, "hi");
	ok(n == 8 && strcmp(line, "220 hi\r\n") == 0, "reply without one");
	n = smtpcmd_reply_line(line, sizeof(line), 550, "5.1.1",
	    "a text far too long for the line");
	ok(n == sizeof(line) - 1 && strcmp(line + n - 2, "\r\n") == 0 &&
	       strncmp(line, "550 5.1.1 a text far too", 24) == 0,
	    "a long text is cut, the line still ends in CRLF");
}

int
main(void)
{
	test_cases();
	test_prefixes();
	test_fields();
	test_fields_other();
	test_xtext();
	test_xtext_encode();
	test_reply_line();
	return done_testing();
}
