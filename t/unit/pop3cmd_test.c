/*
 * pop3cmd_test.c - unit tests for lib/mail/pop3cmd: every command, every
 * rejection branch, the fields of each, and every prefix of every case.
 */
#include "mail/pop3cmd.h"
#include "tap.h"

#define V(x) POP3CMD_##x
#define E(x) POP3CMD_ERR_##x

/* why: a piece of the reason when ret is -1. */
static const struct {
	const char *line;
	size_t len;	/* 0: strlen */
	int ret;
	enum pop3cmd_verb verb;
	enum pop3cmd_err err;
	const char *why;
} cases[] = {
	{ "USER alice@example.org", 0, 0, V(USER), E(NONE), NULL },
	{ "user a b", 0, 0, V(USER), E(NONE), NULL },
	{ "USER", 0, -1, V(USER), E(SYNTAX), "needs a name" },
	{ "USER ", 0, -1, V(USER), E(SYNTAX), "needs a name" },
	{ "PASS secret", 0, 0, V(PASS), E(NONE), NULL },
	{ "PASS  two words ", 0, 0, V(PASS), E(NONE), NULL },
	{ "pass \xc3\xa4\x01", 0, 0, V(PASS), E(NONE), NULL },
	{ "PASS", 0, -1, V(PASS), E(SYNTAX), "needs a password" },
	{ "PASS ", 0, -1, V(PASS), E(SYNTAX), "needs a password" },
	{ "PASS a\0b", 8, -1, V(UNKNOWN), E(VERB), "bad character" },
	{ "QUIT", 0, 0, V(QUIT), E(NONE), NULL },
	{ "quit  ", 0, 0, V(QUIT), E(NONE), NULL },
	{ "QUIT\t", 0, 0, V(QUIT), E(NONE), NULL },
	{ "QUIT now", 0, -1, V(QUIT), E(SYNTAX), "no argument" },
	{ "STAT", 0, 0, V(STAT), E(NONE), NULL },
	{ "STAT 1", 0, -1, V(STAT), E(SYNTAX), "no argument" },
	{ "NOOP", 0, 0, V(NOOP), E(NONE), NULL },
	{ "RSET", 0, 0, V(RSET), E(NONE), NULL },
	{ "CAPA", 0, 0, V(CAPA), E(NONE), NULL },
	{ "STLS", 0, 0, V(STLS), E(NONE), NULL },
	{ "STLS x", 0, -1, V(STLS), E(SYNTAX), "no argument" },
	{ "LIST", 0, 0, V(LIST), E(NONE), NULL },
	{ "LIST ", 0, 0, V(LIST), E(NONE), NULL },
	{ "LIST 1", 0, 0, V(LIST), E(NONE), NULL },
	{ "list 4294967295", 0, 0, V(LIST), E(NONE), NULL },
	{ "LIST 4294967296", 0, -1, V(LIST), E(SYNTAX), "message number" },
	{ "LIST 0", 0, 0, V(LIST), E(NONE), NULL },
	{ "LIST -1", 0, -1, V(LIST), E(SYNTAX), "message number" },
	{ "LIST +1", 0, -1, V(LIST), E(SYNTAX), "message number" },
	{ "LIST 1x", 0, -1, V(LIST), E(SYNTAX), "message number" },
	{ "LIST 1 2", 0, -1, V(LIST), E(SYNTAX), "message number" },
	{ "LIST  1", 0, -1, V(LIST), E(SYNTAX), "bad arguments" },
	{ "LIST 1  2", 0, -1, V(LIST), E(SYNTAX), "bad arguments" },
	{ "UIDL", 0, 0, V(UIDL), E(NONE), NULL },
	{ "UIDL 7", 0, 0, V(UIDL), E(NONE), NULL },
	{ "UIDL x", 0, -1, V(UIDL), E(SYNTAX), "message number" },
	{ "RETR 1", 0, 0, V(RETR), E(NONE), NULL },
	{ "RETR", 0, -1, V(RETR), E(SYNTAX), "message number" },
	{ "RETR a", 0, -1, V(RETR), E(SYNTAX), "message number" },
	{ "DELE 2", 0, 0, V(DELE), E(NONE), NULL },
	{ "DELE", 0, -1, V(DELE), E(SYNTAX), "message number" },
	{ "TOP 1 0", 0, 0, V(TOP), E(NONE), NULL },
	{ "top 1 18446744073709551615", 0, 0, V(TOP), E(NONE), NULL },
	{ "TOP 1 18446744073709551616", 0, -1, V(TOP), E(SYNTAX),
	    "line count" },
	{ "TOP 1", 0, -1, V(TOP), E(SYNTAX), "line count" },
	{ "TOP", 0, -1, V(TOP), E(SYNTAX), "line count" },
	{ "TOP x 1", 0, -1, V(TOP), E(SYNTAX), "line count" },
	{ "TOP 1 -1", 0, -1, V(TOP), E(SYNTAX), "bad line count" },
	{ "TOP 1 2 3", 0, -1, V(TOP), E(SYNTAX), "needs a message number" },
	{ "AUTH", 0, 0, V(AUTH), E(NONE), NULL },
	{ "AUTH PLAIN", 0, 0, V(AUTH), E(NONE), NULL },
	{ "auth plain AGFsaWNlAHNlY3JldA==", 0, 0, V(AUTH), E(NONE), NULL },
	{ "AUTH PLAIN =", 0, 0, V(AUTH), E(NONE), NULL },
	{ "AUTH X_Y-Z9", 0, 0, V(AUTH), E(NONE), NULL },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, -1, V(AUTH), E(SYNTAX),
	    "mechanism" },
	{ "AUTH PL.AIN", 0, -1, V(AUTH), E(SYNTAX), "mechanism" },
	{ "AUTH PLAIN ab!c", 0, -1, V(AUTH), E(SYNTAX), "initial response" },
	{ "AUTH PLAIN a b", 0, -1, V(AUTH), E(SYNTAX), "bad arguments" },
	{ "AUTH  PLAIN", 0, -1, V(AUTH), E(SYNTAX), "bad arguments" },
	{ "", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ " QUIT", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "APOP a b", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "LAST", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "RETRX 1", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "RET 1", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "LIST\t1", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "GET / HTTP/1.0", 0, -1, V(UNKNOWN), E(VERB), "unknown command" },
	{ "NOOP\r", 0, -1, V(UNKNOWN), E(VERB), "bad character" },
	{ "USER a\nb", 0, -1, V(UNKNOWN), E(VERB), "bad character" },
};

static bool
inside(struct span s, const unsigned char *p, size_t len)
{
	return s.len == 0 || (s.p >= p && s.p + s.len <= p + len);
}

/* Parse from an exactly sized copy, so that ASan sees any overread. */
static int
parse_copy(const char *s, size_t len, struct pop3cmd *c, struct why *why,
    bool *inside_out)
{
	unsigned char *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, s, len);
	r = pop3cmd_parse(span_make(copy, len), c, why);
	*inside_out = inside(c->arg, copy, len) &&
	    inside(c->mech, copy, len) && inside(c->ir, copy, len);
	free(copy);
	return r;
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
					    strlen(cases[i].line);
		struct pop3cmd c;
		struct why why = { "" };
		bool in;
		int r = parse_copy(cases[i].line, len, &c, &why, &in);

		/* The line may hold CR or LF: keep it off TAP. */
		is_int(r, cases[i].ret, "case %zu: %s", i, why.msg);
		is_int(c.verb, cases[i].verb, "verb of %zu", i);
		is_int(c.err, cases[i].err, "error kind of %zu", i);
		ok(in, "spans inside %zu", i);
		if (cases[i].why != NULL)
			ok(strstr(why.msg, cases[i].why) != NULL,
			    "reason of %zu: %s", i, why.msg);
	}
}

/* Every prefix of every case: no crash, no overread, spans inside, and
 * a result consistent with its error kind. */
static void
test_prefixes(void)
{
	size_t i, n, bad = 0, tried = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
					    strlen(cases[i].line);

		for (n = 0; n < len; n++) {
			struct pop3cmd c;
			struct why why;
			bool in;
			int r = parse_copy(cases[i].line, n, &c, &why, &in);

			tried++;
			if ((r != 0 && r != -1) || !in ||
			    (r == -1 && c.err == POP3CMD_ERR_NONE) ||
			    (r == 0 && (c.err != POP3CMD_ERR_NONE ||
					   c.verb == POP3CMD_UNKNOWN)))
				bad++;
		}
	}
	is_int(bad, 0, "%zu prefixes parsed sanely", tried);
}

static int
parse(const char *s, struct pop3cmd *c)
{
	struct why why;

	return pop3cmd_parse(span_str(s), c, &why);
}

static void
test_fields(void)
{
	struct pop3cmd c;

	ok(parse("USER alice@example.org  ", &c) == 0 &&
	    span_eq(c.arg, "alice@example.org"), "USER name, blanks dropped");
	ok(parse("PASS  pass word ", &c) == 0 &&
	    span_eq(c.arg, " pass word "), "PASS: the rest, as it is");
	ok(parse("PASS   ", &c) == 0 && span_eq(c.arg, "  "),
	    "PASS: a password of blanks");
	ok(parse("LIST", &c) == 0 && !c.has_msg, "LIST: no number");
	ok(parse("LIST 12", &c) == 0 && c.has_msg && c.msg == 12,
	    "LIST 12");
	ok(parse("UIDL 007", &c) == 0 && c.has_msg && c.msg == 7,
	    "UIDL 007: leading zeros");
	ok(parse("RETR 4294967295", &c) == 0 && c.msg == UINT32_MAX,
	    "RETR: the largest number");
	ok(parse("DELE 3", &c) == 0 && c.has_msg && c.msg == 3, "DELE 3");
	ok(parse("TOP 2 10", &c) == 0 && c.msg == 2 && c.lines == 10,
	    "TOP 2 10");
	ok(parse("TOP 2 0", &c) == 0 && c.lines == 0, "TOP 2 0");
	ok(parse("AUTH", &c) == 0 && c.mech.len == 0 && !c.has_ir,
	    "AUTH: no mechanism");
	ok(parse("AUTH login", &c) == 0 && span_eq(c.mech, "login") &&
	    !c.has_ir, "AUTH mechanism");
	ok(parse("AUTH PLAIN dGVzdA==", &c) == 0 && c.has_ir &&
	    span_eq(c.ir, "dGVzdA=="), "AUTH initial response");
	ok(parse("AUTH PLAIN =", &c) == 0 && c.has_ir && span_eq(c.ir, "="),
	    "AUTH empty initial response (RFC 5034)");
	is_str(pop3cmd_name(POP3CMD_RETR), "RETR", "name of RETR");
	is_str(pop3cmd_name(POP3CMD_TOP), "TOP", "name of TOP");
	is_str(pop3cmd_name(POP3CMD_UNKNOWN), "?", "name of UNKNOWN");
}

int
main(void)
{
	test_cases();
	test_prefixes();
	test_fields();
	return done_testing();
}
