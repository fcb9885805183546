/*
 * hosts_test.c - unit tests for lib/base/hosts: parsing (comments, blanks,
 * CRLF, aliases, every kind of skipped line, the line and entry bounds),
 * look-ups (IPv4, IPv6, IPv4-mapped, first entry wins), forward look-ups
 * by name and alias (hosts_find), and the check of
 * the names it keeps (net_host_name_valid with ldh_only), every rejection
 * branch.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "base/hosts.h"
#include "tap.h"

/* A sockaddr for a textual address (IPv4 or IPv6). */
static struct sockaddr_storage
sa_of(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(25);
		inet_pton(AF_INET6, text, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(25);
		inet_pton(AF_INET, text, &s4->sin_addr);
	}
	return ss;
}

static const char *
look(const struct hosts *h, const char *addr)
{
	struct sockaddr_storage ss = sa_of(addr);

	return hosts_lookup(h, (struct sockaddr *)&ss);
}

static const char sample[] =
    "# The hosts file\n"
    "127.0.0.1\tlocalhost loopback\n"
    "127.0.0.1 second.example   # a later name for the same address\n"
    "  192.0.2.1   mail.example.org.  mail  \r\n"
    "::1 ip6-localhost ip6-loopback\n"
    "2001:DB8::25 mx6.example.org\n"
    "::ffff:198.51.100.7 mapped.example\n"
    "\n"
    "   \t  \n"
    "# 192.0.2.2 commented.example\n"
    "192.0.2.3\n"
    "192.0.2.4 # only a comment after the address\n"
    "192.0.2.256 badaddr.example\n"
    "example.org 192.0.2.5\n"
    "fe80::1%eth0 scoped.example\n"
    "192.0.2.6 bad_name.example\n"
    "192.0.2.7 -dash.example\n"
    "192.0.2.8 10.0.0.1\n"
    "192.0.2.9#glued.example\n"
    "192.0.2.10 last.example";

static void
test_parse(void)
{
	struct hosts *h = hosts_parse(span_str(sample));
	struct sockaddr_storage ss;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	is_int(hosts_count(h), 7, "seven good lines");
	is_str(look(h, "127.0.0.1"), "localhost", "first entry wins");
	is_str(look(h, "192.0.2.1"), "mail.example.org",
	    "leading blanks, final dot dropped, CRLF");
	is_str(look(h, "::1"), "ip6-localhost", "IPv6");
	is_str(look(h, "2001:db8::25"), "mx6.example.org",
	    "IPv6 compared as bytes, not text");
	is_str(look(h, "198.51.100.7"), "mapped.example",
	    "an IPv4-mapped entry is IPv4");
	is_str(look(h, "::ffff:198.51.100.7"), "mapped.example",
	    "an IPv4-mapped client is IPv4");
	is_str(look(h, "::ffff:192.0.2.1"), "mail.example.org",
	    "an IPv4-mapped client finds an IPv4 entry");
	is_str(look(h, "192.0.2.10"), "last.example", "no LF at the end");
	ok(look(h, "192.0.2.2") == NULL, "commented out");
	ok(look(h, "192.0.2.3") == NULL, "no name");
	ok(look(h, "192.0.2.4") == NULL, "only a comment after the address");
	ok(look(h, "192.0.2.6") == NULL, "underscore in the name");
	ok(look(h, "192.0.2.7") == NULL, "name starts with a dash");
	ok(look(h, "192.0.2.8") == NULL, "an address as the name");
	ok(look(h, "192.0.2.9") == NULL, "'#' ends the address field too");
	ok(look(h, "198.51.100.8") == NULL, "not listed");
	ok(look(h, "::2") == NULL, "IPv6 not listed");
	ok(hosts_lookup(h, (struct sockaddr *)&sun) == NULL,
	    "a unix address has no entry");
	is_str(hosts_entry(h, 1, &ss), "second.example", "entries in order");
	ok(ss.ss_family == AF_INET, "entry address family");
	is_str(hosts_entry(h, 3, &ss), "ip6-localhost", "IPv6 entry");
	ok(ss.ss_family == AF_INET6, "IPv6 entry family");
	hosts_free(&h);
	ok(h == NULL, "free clears");
	hosts_free(&h);
	h = hosts_parse(span_str(""));
	is_int(hosts_count(h), 0, "empty text, empty table");
	hosts_free(&h);
}

/* The addresses hosts_find() gives for name, as text, space-separated. */
static const char *
find(const struct hosts *h, const char *name, int family, size_t max)
{
	static char out[512];
	struct sockaddr_storage ss[8];
	size_t n = hosts_find(h, span_str(name), family, ss, max);
	size_t len = 0;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		char text[INET6_ADDRSTRLEN];
		const void *a = ss[i].ss_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)&ss[i])->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)&ss[i])->sin6_addr;

		inet_ntop(ss[i].ss_family, a, text, sizeof(text));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? " " : "", text);
	}
	return out;
}

static void
test_find(void)
{
	static const char text[] =
	    "192.0.2.1 mx.example mx mail\n"
	    "2001:db8::1 mx.example\n"
	    "192.0.2.2 other.example mx bad_alias ok.alias\n"
	    "192.0.2.1 MX.example.\n"			/* the same again */
	    "192.0.2.3 a.example\n";
	struct hosts *h = hosts_parse(span_str(text));

	is_str(find(h, "mx.example", AF_UNSPEC, 8), "192.0.2.1 2001:db8::1",
	    "by name, both families, each address once");
	is_str(find(h, "MX.Example.", AF_INET6, 8), "2001:db8::1",
	    "case and final dot aside, IPv6 only");
	is_str(find(h, "mx.example", AF_INET, 8), "192.0.2.1", "IPv4 only");
	is_str(find(h, "mx", AF_UNSPEC, 8), "192.0.2.1 192.0.2.2",
	    "aliases of two lines");
	is_str(find(h, "mail", AF_INET, 8), "192.0.2.1", "a second alias");
	is_str(find(h, "ok.alias", AF_INET, 8), "192.0.2.2",
	    "an alias after a bad one");
	is_str(find(h, "bad_alias", AF_UNSPEC, 8), "", "a bad alias is "
	    "skipped");
	is_str(find(h, "mx", AF_INET6, 8), "", "no IPv6 for the alias");
	is_str(find(h, "a.example", AF_UNSPEC, 1), "192.0.2.3", "max 1");
	is_str(find(h, "mx.example", AF_UNSPEC, 1), "192.0.2.1",
	    "max 1 of two");
	is_str(find(h, "nowhere.example", AF_UNSPEC, 8), "", "not listed");
	is_str(look(h, "192.0.2.2"), "other.example", "reverse look-ups "
	    "never give an alias");
	is_int(hosts_count(h), 5, "aliases are not entries");
	hosts_free(&h);
}

static void
test_nul_and_lengths(void)
{
	static const char nul[] = "192.0.2.1\0junk a.example\n"
				  "192.0.2.2 b\0.example\n"
				  "192.0.2.3 c.example\n";
	struct hosts *h = hosts_parse(span_make(nul, sizeof(nul) - 1));
	struct buf text;
	char line[HOSTS_LINE_MAX + 2];
	size_t i;

	ok(look(h, "192.0.2.1") == NULL, "NUL in the address: skipped");
	ok(look(h, "192.0.2.2") == NULL, "NUL in the name: skipped");
	is_str(look(h, "192.0.2.3"), "c.example", "the next line is read");
	hosts_free(&h);

	/* A line of exactly HOSTS_LINE_MAX bytes is read, one more is not. */
	buf_init(&text, 1 << 20);
	memset(line, ' ', sizeof(line));
	memcpy(line, "192.0.2.1 a.example", 19);
	buf_add(&text, line, HOSTS_LINE_MAX);
	buf_adds(&text, "\n");
	memcpy(line, "192.0.2.2 b.example", 19);
	buf_add(&text, line, HOSTS_LINE_MAX + 1);
	buf_adds(&text, "\n192.0.2.3 c.example\n");
	h = hosts_parse(buf_span(&text));
	is_str(look(h, "192.0.2.1"), "a.example", "longest line read");
	ok(look(h, "192.0.2.2") == NULL, "over-long line skipped");
	is_str(look(h, "192.0.2.3"), "c.example", "and the next line read");
	hosts_free(&h);
	buf_fini(&text);

	/* At most HOSTS_MAX_ENTRIES entries. */
	buf_init(&text, 64 * (size_t)(HOSTS_MAX_ENTRIES + 10));
	for (i = 0; i <= HOSTS_MAX_ENTRIES; i++)
		buf_addf(&text, "10.%zu.%zu.%zu h%zu.example\n",
		    (i >> 16) & 255, (i >> 8) & 255, i & 255, i);
	h = hosts_parse(buf_span(&text));
	is_int(hosts_count(h), HOSTS_MAX_ENTRIES, "entry count is bounded");
	is_str(look(h, "10.1.134.159"), "h99999.example", "last entry kept");
	ok(look(h, "10.1.134.160") == NULL, "the one past the bound is not");
	hosts_free(&h);
	buf_fini(&text);
}

/* The names hosts keeps and dns accepts from a PTR record. */
static bool
valid(struct span name)
{
	return net_host_name_valid(name, true);
}

static void
test_names(void)
{
	static const char *const good[] = { "a", "localhost", "mx.example.org",
		"mx.example.org.", "a-b.c-d", "0x7f.example", "1.example",
		"xn--bcher-kva.example", "a1", "example.c0m" };
	static const char *const bad[] = { "", ".", "..", "a..b", ".a", "-a",
		"a-", "a.-b", "a.b-", "a_b", "a b", "a/b", "1.2.3.4", "10",
		"a.10", "0x7f.1", "a.b..", "caf\xc3\xa9.example", "a:b",
		"[192.0.2.1]" };
	char name[HOSTS_NAME_MAX + 3];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(valid(span_str(good[i])), "valid: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!valid(span_str(bad[i])), "invalid: \"%s\"",
		    bad[i]);
	ok(!valid(span_make("a\0b", 3)), "invalid: NUL");
	/* 63-byte labels: 252 = 4 x 63; with one more byte (".x" would
	 * be 254): the bound is HOSTS_NAME_MAX without the final dot. */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[HOSTS_NAME_MAX] = '\0';
	ok(valid(span_str(name)), "%d characters", HOSTS_NAME_MAX);
	name[HOSTS_NAME_MAX] = '.';
	name[HOSTS_NAME_MAX + 1] = '\0';
	ok(valid(span_str(name)), "and a final dot");
	name[HOSTS_NAME_MAX] = 'a';
	ok(!valid(span_str(name)), "%d characters",
	    HOSTS_NAME_MAX + 1);
	memset(name, 'a', 64);
	name[64] = '\0';
	ok(!valid(span_str(name)), "a label of 64");
	name[63] = '\0';
	ok(valid(span_str(name)), "a label of 63");
}

static void
test_addr(void)
{
	struct sockaddr_storage ss = sa_of("::ffff:192.0.2.1");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char addr[16];
	int family = 0;

	ok(hosts_addr((struct sockaddr *)&ss, &family, addr) == 0 &&
	    family == AF_INET && memcmp(addr, "\xc0\x00\x02\x01", 4) == 0,
	    "v4-mapped address as IPv4");
	ss = sa_of("2001:db8::1");
	ok(hosts_addr((struct sockaddr *)&ss, &family, addr) == 0 &&
	    family == AF_INET6 && addr[0] == 0x20 && addr[15] == 1, "IPv6");
	family = 0;
	ok(hosts_addr((struct sockaddr *)&sun, &family, addr) == -1 &&
	    family == 0, "unix: refused, nothing written");
}

int
main(void)
{
	test_parse();
	test_find();
	test_nul_and_lengths();
	test_names();
	test_addr();
	return done_testing();
}
