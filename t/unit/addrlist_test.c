/*
 * addrlist_test.c - unit tests for lib/mail/addrlist: every form of RFC
 * 5322 address lists (with the obsolete syntax), canonical output, display
 * and group names, every rejection branch, and every prefix of every case
 * (which must not crash and must stay inside the input).
 */
#include "base/xmem.h"
#include "mail/addrlist.h"
#include "tap.h"

/*
 * want: the mailboxes joined by "|" (a bare local part marked with a
 * trailing "!"), or, when it starts with "ERR:", a piece of the reason.
 */
static const struct {
	const char *in;
	const char *want;
} cases[] = {
    {"", ""},
    {"   \r\n\t ", ""},
    {"a@b.example", "a@b.example"},
    {"a@b.example, c@d.example", "a@b.example|c@d.example"},
    {"Alice <alice@example.org>", "alice@example.org"},
    {"\"Smith, John\" <john@example.org>, bob@example.org",
     "john@example.org|bob@example.org"},
    {"John Q. Public <jqp@example.org>", "jqp@example.org"},
    {"john@example.org <john@example.org>", "john@example.org"},
    {"<a@b.example>", "a@b.example"},
    {"a@b.example (Alice)", "a@b.example"},
    {"(c1) a (c2) . (c3) b @ (c4) x . y (c5)", "a.b@x.y"},
    {"a(nested (comment (deep)) here)@x.example", "a@x.example"},
    {"a(esc \\) paren)@x.example", "a@x.example"},
    {"\"john.doe\"@example.org", "john.doe@example.org"},
    {"\"john doe\"@example.org", "\"john doe\"@example.org"},
    {"\"a\\\"b\"@x.example", "\"a\\\"b\"@x.example"},
    {"\"a\\\\b\"@x.example", "\"a\\\\b\"@x.example"},
    {"\"a\\b\"@x.example", "ab@x.example"},
    {"\"a..b\"@x.example", "\"a..b\"@x.example"},
    {"\"a\".b@x.example", "a.b@x.example"},
    {"\"a b\".c@x.example", "\"a b.c\"@x.example"},
    {"\"fold\r\n ed\"@x.example", "\"fold ed\"@x.example"},
    {"!#$%&'*+-/=?^_`{|}~@x.example", "!#$%&'*+-/=?^_`{|}~@x.example"},
    {"user@[192.0.2.1]", "user@[192.0.2.1]"},
    {"user@[ IPv6:2001:db8::1 ]", "user@[IPv6:2001:db8::1]"},
    {"User@Example.ORG", "User@Example.ORG"},
    {"root", "root!"},
    {"root, postmaster", "root!|postmaster!"},
    {"Root User <root>", "root!"},
    {"\"odd name\"", "\"odd name\"!"},
    {"undisclosed-recipients:;", ""},
    {"undisclosed-recipients: ;", ""},
    {"undisclosed-recipients:", ""},
    {"team: a@x.example, Bee <b@x.example>;, c@x.example",
     "a@x.example|b@x.example|c@x.example"},
    {"team: a@x.example; other: b@x.example;", "a@x.example|b@x.example"},
    {",, a@x.example ,,, b@x.example,", "a@x.example|b@x.example"},
    {"<@relay.example:a@x.example>", "a@x.example"},
    {"<@r1.example,@r2.example:a@x.example>", "a@x.example"},
    {"<,@r1.example,,@r2.example:a@x.example>", "a@x.example"},
    {"To Folded\r\n\t<a@x.example>,\r\n b@x.example",
     "a@x.example|b@x.example"},
    {"\xc3\xbc@ex\xc3\xa4mple.example", "\xc3\xbc@ex\xc3\xa4mple.example"},
    {"J\xc3\xbcrgen <j@x.example>", "j@x.example"},
    {"=?UTF-8?Q?J=C3=BCrgen?= <j@x.example>", "j@x.example"},
    /* Rejections. */
    {"\"unterminated@x.example", "ERR:unterminated quoted string"},
    {"a@x.example (open", "ERR:unterminated comment"},
    {"a@x.example (a (b (c", "ERR:unterminated comment"},
    {"a@x.example)", "ERR:unbalanced ')'"},
    {"a@[1.2.3.4", "ERR:unterminated domain literal"},
    {"a@[1.2[3.4]", "ERR:bad domain literal"},
    {"a@[1.2\\3.4]", "ERR:bad domain literal"},
    {"a@[1.2\x01.4]", "ERR:control character"},
    {"a]@x.example", "ERR:unexpected ']'"},
    {"a\\b@x.example", "ERR:unexpected '\\'"},
    {"a\x01@x.example", "ERR:control character"},
    {"a@x.example\x7f", "ERR:control character"},
    {"\"a\x01\"@x.example", "ERR:control character"},
    {"\"a\\\x01\"@x.example", "ERR:control character"},
    {"g1: g2: a@x.example;;", "ERR:group inside a group"},
    {": a@x.example;", "ERR:group without a name"},
    {"a@x.example;", "ERR:unexpected text after address"},
    {"a@x.example; b@x.example", "ERR:unexpected text after address"},
    {">", "ERR:unexpected '>'"},
    {"John Smith", "ERR:unexpected text after address"},
    {"a@b@c", "ERR:unexpected text after address"},
    {"<a@x.example> junk", "ERR:unexpected text after address"},
    {"<a@x.example", "ERR:missing '>'"},
    {"<>", "ERR:empty address <>"},
    {"Name <>", "ERR:empty address <>"},
    {"<@relay.example a@x.example>", "ERR:bad route"},
    {"<@:a@x.example>", "ERR:bad domain"},
    {"a..b@x.example", "ERR:bad local part"},
    {".a@x.example", "ERR:empty local part"},
    {"a.@x.example", "ERR:bad local part"},
    {"\"\"@x.example", "ERR:empty local part"},
    {"<\"\"@x.example>", "ERR:empty local part"},
    {"<@x.example>", "ERR:bad route"},
    {"<,,:a@x.example>", "ERR:bad route"},
    {"a@", "ERR:bad domain"},
    {"a@x..example", "ERR:bad domain"},
    {"a@x.example.", "ERR:bad domain"},
    {"a@[1.2.3.4].x", "ERR:unexpected text"},
    {"a@x.example, b@", "ERR:bad domain"},
};

/* A case for a TAP line: control bytes and non-ASCII as \xHH. */
static const char *
esc(const char *s, char out[256])
{
	size_t n = 0;

	for (; *s != '\0' && n < 250; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, 256 - n, "\\x%02x", c);
	}
	out[n] = '\0';
	return out;
}

/* Walk in; the result in the format of cases[].want. */
static void
walk(struct span in, struct buf *got, bool check_spans)
{
	struct addrlist al;
	struct addrlist_mailbox m;
	struct why why;
	int r;

	buf_reset(got);
	addrlist_init(&al, in);
	while ((r = addrlist_next(&al, &m, &why)) == 1) {
		if (check_spans &&
		    ((m.display.len > 0 &&
		      (m.display.p < in.p ||
		       m.display.p + m.display.len > in.p + in.len)) ||
		     m.len != strlen(m.addr) || m.local_len > m.len ||
		     (m.has_domain && m.addr[m.local_len] != '@') ||
		     (!m.has_domain && m.local_len != m.len)))
			buf_adds(got, "<BAD SPAN>");
		if (got->len > 0)
			buf_addc(got, '|');
		buf_adds(got, m.addr);
		if (!m.has_domain)
			buf_addc(got, '!');
	}
	if (r == -1) {
		buf_reset(got);
		buf_addf(got, "ERR:%s", why.msg);
		/* A failed list stays failed. */
		if (addrlist_next(&al, &m, &why) != -1)
			buf_adds(got, "<NOT STICKY>");
	}
}

static void
test_cases(void)
{
	struct buf got;
	size_t i;

	buf_init(&got, 65536);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *w = cases[i].want;
		char e[256];
		bool match;

		walk(span_str(cases[i].in), &got, true);
		if (strncmp(w, "ERR:", 4) == 0)
			match = strncmp(buf_str(&got), "ERR:", 4) == 0 &&
			        strstr(buf_str(&got), w + 4) != NULL;
		else
			match = strcmp(buf_str(&got), w) == 0;
		if (!ok(match, "case %zu: %s", i, esc(cases[i].in, e)))
			diag("got '%s', want '%s'", buf_str(&got), w);
	}
	buf_fini(&got);
}

/* The display and group names are the raw text. */
static void
test_names(void)
{
	const char *in = "Team (x): \"Smith, J.\" <j@x.example>, k@x.example;"
	                 " Zed <z@x.example>";
	struct addrlist al;
	struct addrlist_mailbox m;
	struct why why;

	addrlist_init(&al, span_str(in));
	ok(addrlist_next(&al, &m, &why) == 1 &&
	       span_eq(m.display, "\"Smith, J.\"") &&
	       span_eq(m.group, "Team") && strcmp(m.addr, "j@x.example") == 0 &&
	       m.local_len == 1,
	   "display and group of a group member");
	ok(addrlist_next(&al, &m, &why) == 1 && m.display.len == 0 &&
	       span_eq(m.group, "Team"),
	   "no display name, still in the group");
	ok(addrlist_next(&al, &m, &why) == 1 && span_eq(m.display, "Zed") &&
	       m.group.len == 0,
	   "after the group");
	ok(addrlist_next(&al, &m, &why) == 0, "end");
	ok(addrlist_next(&al, &m, &why) == 0, "end again");

	addrlist_init(&al, span_str("\xc3\xbc@x.example, a@x.example"));
	ok(addrlist_next(&al, &m, &why) == 1 && m.has_utf8, "utf8 flagged");
	ok(addrlist_next(&al, &m, &why) == 1 && !m.has_utf8, "ascii not");
}

/* The canonical form parses to itself. */
static void
test_round_trip(void)
{
	struct buf got;
	struct buf again;
	size_t i;
	int bad = 0;

	buf_init(&got, 65536);
	buf_init(&again, 65536);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		walk(span_str(cases[i].in), &got, false);
		if (strncmp(buf_str(&got), "ERR:", 4) == 0 || got.len == 0 ||
		    memchr(got.p, '!', got.len) != NULL)
			continue;
		{
			char *text = span_dup(buf_span(&got));
			char *p;

			/* "|" joins the output; the list syntax uses ",". */
			for (p = text; *p; p++)
				if (*p == '|')
					*p = ',';
			walk(span_str(text), &again, false);
			for (p = (char *)again.p; p && *p; p++)
				if (*p == '|')
					*p = ',';
			if (strcmp(text, buf_str(&again)) != 0) {
				diag("round trip of '%s' gave '%s'", text,
				     buf_str(&again));
				bad++;
			}
			free(text);
		}
	}
	ok(bad == 0, "canonical output parses to itself");
	buf_fini(&got);
	buf_fini(&again);
}

/* Limits: a long address, deep comments, every prefix of every case. */
static void
test_limits(void)
{
	struct buf in;
	struct buf got;
	size_t i;
	size_t n;

	buf_init(&in, 1 << 20);
	buf_init(&got, 1 << 20);
	for (i = 0; i < ADDRLIST_ADDR_MAX; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "@x.example");
	walk(buf_span(&in), &got, true);
	ok(strstr(buf_str(&got), "ERR:address too long") != NULL,
	   "too long an address");
	buf_reset(&in);
	for (i = 0; i < ADDRLIST_ADDR_MAX - 10; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "@x.example");
	walk(buf_span(&in), &got, true);
	ok(got.len == ADDRLIST_ADDR_MAX, "the longest address fits");

	buf_reset(&in);
	buf_adds(&in, "a@x.example ");
	for (i = 0; i < ADDRLIST_MAX_COMMENT_DEPTH; i++)
		buf_addc(&in, '(');
	for (i = 0; i < ADDRLIST_MAX_COMMENT_DEPTH; i++)
		buf_addc(&in, ')');
	walk(buf_span(&in), &got, true);
	is_str(buf_str(&got), "a@x.example", "comments at the depth limit");
	buf_reset(&in);
	for (i = 0; i <= ADDRLIST_MAX_COMMENT_DEPTH; i++)
		buf_addc(&in, '(');
	walk(buf_span(&in), &got, true);
	ok(strstr(buf_str(&got), "nested too deeply") != NULL,
	   "comments past the depth limit");

	/* Prefixes, copied so that reading past the end is caught. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);

		for (n = 0; n <= len; n++) {
			char *copy = xmalloc(n + 1);

			memcpy(copy, cases[i].in, n);
			walk(span_make(copy, n), &got, true);
			free(copy);
			if (strstr(buf_str(&got), "<BAD SPAN>") != NULL)
				break;
		}
		if (n <= len)
			break;
	}
	ok(i == sizeof(cases) / sizeof(cases[0]), "every prefix of every case");
	buf_fini(&in);
	buf_fini(&got);
}

int
main(void)
{
	test_cases();
	test_names();
	test_round_trip();
	test_limits();
	return done_testing();
}
