/*
 * hdraddr_test.c - unit tests for lib/mail/hdraddr: address lists as IMAP
 * ENVELOPE tuples (display names, quoted names, comments as names,
 * source routes, groups, missing parts), best-effort results for broken
 * lists, every prefix of every case, and a long list in linear time.
 */
#include <time.h>

#include "mail/hdraddr.h"
#include "mcheck.h"
#include "tap.h"

/*
 * want: the items joined by " ; ": a mailbox as "name|route|mailbox|host"
 * (NIL for an empty name or route), "<group:name>" and "</group>".
 */
static const struct acase {
	const char *in;   /* a field value */
	const char *want; /* the items */
} cases[] = {
    {"", ""},
    {"  \r\n\t ", ""},
    {"a@b.example", "NIL|NIL|a|b.example"},
    {"Alice <alice@example.org>", "Alice|NIL|alice|example.org"},
    {"\"Smith, John\" <john@example.org>, bob@example.org",
     "Smith, John|NIL|john|example.org ; NIL|NIL|bob|example.org"},
    {"John Q. Public <jqp@example.org>", "John Q. Public|NIL|jqp|example.org"},
    {"a@b.example (Alice)", "Alice|NIL|a|b.example"},
    {"(c1) a (c2) . (c3) b @ (c4) x . y (c5)", "c1|NIL|a.b|x.y"},
    {"a@b (x (y) z)", "x (y) z|NIL|a|b"},
    {"Ann (the boss) <a@b>", "Ann|NIL|a|b"},
    {"\"john doe\"@example.org", "NIL|NIL|\"john doe\"|example.org"},
    {"\"john.doe\"@example.org", "NIL|NIL|john.doe|example.org"},
    {"\"a\\\"b\" <c@d>", "a\"b|NIL|c|d"},
    {"\"a\\\"b\"@d", "NIL|NIL|\"a\\\"b\"|d"},
    {"To Folded\r\n\t<a@x.example>", "To Folded|NIL|a|x.example"},
    {"\"fold\r\n ed\" <a@x>", "fold ed|NIL|a|x"},
    {"=?UTF-8?Q?J=C3=BCrgen?= <j@x.example>",
     "=?UTF-8?Q?J=C3=BCrgen?=|NIL|j|x.example"},
    {"=?a?q?x?= =?a?q?y?= <j@x>", "=?a?q?x?= =?a?q?y?=|NIL|j|x"},
    {"J\xc3\xbcrgen <j\xc3\xbc@ex\xc3\xa4mple>",
     "J\xc3\xbcrgen|NIL|j\xc3\xbc|ex\xc3\xa4mple"},
    {"user@[192.0.2.1]", "NIL|NIL|user|[192.0.2.1]"},
    {"<@r1.example,@r2.example:a@x.example>",
     "NIL|@r1.example,@r2.example|a|x.example"},
    {"Relayed <@r1.example: a@x.example>", "Relayed|@r1.example|a|x.example"},
    {"undisclosed-recipients:;", "<group:undisclosed-recipients> ; </group>"},
    {"team: a@x.example, Bee <b@x.example>;, c@x.example",
     "<group:team> ; NIL|NIL|a|x.example ; Bee|NIL|b|x.example ; </group> ; "
     "NIL|NIL|c|x.example"},
    {"\"The Team\": a@x;", "<group:The Team> ; NIL|NIL|a|x ; </group>"},
    {"team: a@x", "<group:team> ; NIL|NIL|a|x ; </group>"},
    {"g1: g2: a@x;;",
     "<group:g1> ; </group> ; <group:g2> ; NIL|NIL|a|x ; </group>"},
    {": a@x;", "<group:> ; NIL|NIL|a|x ; </group>"},
    {"Name <a@x.example", "Name|NIL|a|x.example"},
    {"<a@x> junk, b@y", "NIL|NIL|a|x ; NIL|NIL|b|y"},
    {"<a@x> (Ann)", "Ann|NIL|a|x"},
    {"root", "NIL|NIL|root|"},
    {"Root User <root>", "Root User|NIL|root|"},
    {"root (Root User)", "Root User|NIL|root|"},
    {"John Smith", "John Smith|NIL||"},
    {"John Smith, a@b", "John Smith|NIL|| ; NIL|NIL|a|b"},
    {",, a@x ,,, b@y,", "NIL|NIL|a|x ; NIL|NIL|b|y"},
    {"a@x; b@y", "NIL|NIL|a|x ; NIL|NIL|b|y"},
    {"a@x> b@y", "NIL|NIL|a|x ; NIL|NIL|b|y"},
    {"<>", "NIL|NIL||"},
    {"Name <>", "Name|NIL||"},
    {"@", "NIL|NIL||"},
    {"a@b@c", "NIL|NIL|\"a@b\"|c"},
    {"a..b@x", "NIL|NIL|\"a..b\"|x"},
    {"a)b@c", "NIL|NIL|\"a)b\"|c"},
    {"\"open <a@b>", "NIL|NIL|\"open <a@b>\"|"},
    {"a@b (open", "open|NIL|a|b"},
    {"<a@b, c@d>", "NIL|NIL|a|b ; NIL|NIL|c|d"},
    {"a@[1.2", "NIL|NIL|a|[1.2"},
    {"x\x01y@z", "NIL|NIL|\"x\x01y\"|z"},
};

/* s, or NIL when it is empty. */
static void
put_nil(struct buf *b, struct span s)
{
	if (s.len == 0)
		buf_adds(b, "NIL");
	else
		buf_addspan(b, s);
}

/* Walk in; the items in the format of cases[].want.  Checks that group
 * ends match starts and that the walk ends. */
static void
walk(struct span in, struct buf *got)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct buf text;
	bool open = false;
	size_t n = 0;
	int r;

	buf_init(&text, 1 << 20);
	buf_reset(got);
	hdraddr_init(&it, in);
	while ((r = hdraddr_next(&it, &a, &text)) != 0) {
		if (got->len > 0)
			buf_adds(got, " ; ");
		if (r == -1 || ++n > in.len + 2) {
			buf_adds(got, "<ERROR>");
			break;
		}
		if (a.kind == HDRADDR_GROUP_START) {
			buf_addf(got, "<group:%.*s>", (int)a.name.len,
			         (const char *)a.name.p);
			buf_adds(got, open ? "<NESTED>" : "");
			open = true;
			continue;
		}
		if (a.kind == HDRADDR_GROUP_END) {
			buf_adds(got, open ? "</group>" : "<UNOPENED>");
			open = false;
			continue;
		}
		put_nil(got, a.name);
		buf_addc(got, '|');
		put_nil(got, a.route);
		buf_addc(got, '|');
		buf_addspan(got, a.mailbox);
		buf_addc(got, '|');
		buf_addspan(got, a.host);
	}
	if (open)
		buf_adds(got, "<LEFT OPEN>");
	buf_fini(&text);
}

static void
test_cases(void)
{
	struct buf got;
	size_t i;

	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char e[256];

		walk(span_str(cases[i].in), &got);
		is_str(buf_str(&got), cases[i].want, "%s",
		       mcheck_esc(cases[i].in, e));
	}
	buf_fini(&got);
}

/* Every prefix of every case: no error, groups paired, the walk ends. */
static void
test_prefixes(void)
{
	struct buf got;
	size_t bad = 0;
	size_t i;
	size_t n;

	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);

		for (n = 0; n <= len; n++) {
			char *copy = malloc(n + 1);

			memcpy(copy, cases[i].in, n);
			walk(span_make(copy, n), &got);
			free(copy);
			if (strchr(buf_str(&got), '<') != NULL &&
			    (strstr(buf_str(&got), "<ERROR>") ||
			     strstr(buf_str(&got), "<NESTED>") ||
			     strstr(buf_str(&got), "<UNOPENED>") ||
			     strstr(buf_str(&got), "<LEFT OPEN>")))
				bad++;
		}
	}
	ok(bad == 0, "every prefix of every case");
	buf_fini(&got);
}

/* A text buffer too small: the item is still there, cut short. */
static void
test_small_text(void)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct buf text;

	buf_init(&text, 8);
	hdraddr_init(&it, span_str("A Very Long Name <someone@example.org>, "
	                           "b@c"));
	ok(hdraddr_next(&it, &a, &text) == -1 && a.kind == HDRADDR_MAILBOX &&
	       a.name.len <= 8,
	   "strings cut short: -1");
	ok(hdraddr_next(&it, &a, &text) == 1 && span_eq(a.mailbox, "b") &&
	       span_eq(a.host, "c"),
	   "the walk goes on");
	ok(hdraddr_next(&it, &a, &text) == 0, "end");
	buf_fini(&text);
}

/* 100,000 addresses, and deep comments, in linear time. */
static void
test_linear(void)
{
	struct hdraddr_iter it;
	struct hdraddr a;
	struct buf in;
	struct buf text;
	struct timespec t0;
	struct timespec t1;
	size_t n = 0;
	int k;

	buf_init(&in, 1 << 24);
	buf_init(&text, 1 << 20);
	for (k = 0; k < 100000; k++)
		buf_addf(&in, "Name %d <user%d@example.org>, ", k, k);
	for (k = 0; k < 1 << 20; k++)
		buf_addc(&in, '(');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hdraddr_init(&it, buf_span(&in));
	while (hdraddr_next(&it, &a, &text) == 1)
		n++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	is_int(n, 100000, "100,000 addresses");
	ok(t1.tv_sec - t0.tv_sec < 10, "in linear time (%ld ms)",
	   (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	          (t1.tv_nsec - t0.tv_nsec) / 1000000));
	buf_fini(&in);
	buf_fini(&text);
}

int
main(void)
{
	test_cases();
	test_prefixes();
	test_small_text();
	test_linear();
	return done_testing();
}
