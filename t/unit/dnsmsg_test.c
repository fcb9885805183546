/*
 * dnsmsg_test.c - unit tests for lib/base/dnsmsg: queries (bytes on the
 * wire, every refused name), responses (header flags, the question,
 * A/AAAA/MX/CNAME records, compression, records not kept, the record
 * cap, TC) and every rejection: short header, question count, pointer
 * loops and forward pointers, long names and labels, extended label
 * types, records cut short or with bad data.  Every proper prefix of a
 * good response is refused, read from a heap copy of exactly its size
 * (so the sanitizer build sees any read past the end).
 */
#include "base/dnsmsg.h"
#include "tap.h"

/* A message under construction. */
struct msg {
	unsigned char p[4096];
	size_t len;
};

static void
put(struct msg *m, const void *p, size_t n)
{
	if (m->len + n > sizeof(m->p))
		abort();
	memcpy(m->p + m->len, p, n);
	m->len += n;
}

static void
put8(struct msg *m, unsigned int v)
{
	unsigned char c = (unsigned char)v;

	put(m, &c, 1);
}

static void
put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

/* A name without compression; "" is the root. */
static void
put_name(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		put8(m, (unsigned int)n);
		put(m, p, n);
		p += n + (dot != NULL);
	}
	put8(m, 0);
}

static void
put_ptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned int)off);
}

static void
put_header(struct msg *m, unsigned int id, unsigned int flags,
    unsigned int qd, unsigned int an)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* Header and the question "name type IN"; the name lies at offset 12. */
static void
put_question(struct msg *m, unsigned int id, unsigned int flags,
    unsigned int an, const char *name, unsigned int type)
{
	put_header(m, id, flags, 1, an);
	put_name(m, name);
	put16(m, type);
	put16(m, DNSMSG_CLASS_IN);
}

/* The fixed part of a record after its owner name. */
static void
put_rr_fixed(struct msg *m, unsigned int type, unsigned int class,
    unsigned int rdlen)
{
	put16(m, type);
	put16(m, class);
	put16(m, 0);
	put16(m, 300);
	put16(m, rdlen);
}

/* Parse a heap copy of exactly len bytes. */
static int
parse(const struct msg *m, size_t len, struct dnsmsg_reply *r,
    struct why *why)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);
	int rc;

	memcpy(copy, m->p, len);
	why->msg[0] = '\0';
	rc = dnsmsg_parse(span_make(copy, len), r, why);
	free(copy);
	return rc;
}

static void
test_query(void)
{
	static const unsigned char want[] = { 0x12, 0x34, 0x01, 0x00, 0, 1,
		0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C',
		'o', 'm', 0, 0, 15, 0, 1 };
	static const char *const bad[] = { "", ".", "a..b", ".a", "a.b..",
		"a b.-.." };
	unsigned char out[DNSMSG_QUERY_MAX];
	char name[300];
	struct why why;
	size_t len = 0;
	size_t i;

	ok(dnsmsg_query(0x1234, "example.Com", DNSMSG_MX, out, sizeof(out),
	    &len, &why) == 0 && len == sizeof(want) &&
	    memcmp(out, want, len) == 0, "an MX query, byte by byte");
	ok(dnsmsg_query(0x1234, "example.Com.", DNSMSG_MX, out, sizeof(out),
	    &len, &why) == 0 && len == sizeof(want) &&
	    memcmp(out, want, len) == 0, "a final dot changes nothing");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(dnsmsg_query(1, bad[i], DNSMSG_A, out, sizeof(out), &len,
		    &why) == -1, "refused: \"%s\" (%s)", bad[i], why.msg);
	memset(name, 'a', 64);
	name[64] = '\0';
	ok(dnsmsg_query(1, name, DNSMSG_A, out, sizeof(out), &len, &why) ==
	    -1, "refused: a 64-byte label (%s)", why.msg);
	name[63] = '\0';
	ok(dnsmsg_query(1, name, DNSMSG_A, out, sizeof(out), &len, &why) ==
	    0 && len == 12 + 65 + 4, "a 63-byte label");
	/* 253 characters are 255 octets on the wire; 254 are too many. */
	for (i = 0; i < 253; i++)
		name[i] = i % 2 ? '.' : 'x';
	name[253] = '\0';
	ok(dnsmsg_query(1, name, DNSMSG_A, out, sizeof(out), &len, &why) ==
	    0 && len == DNSMSG_QUERY_MAX, "a 253-character name fills it");
	ok(dnsmsg_query(1, name, DNSMSG_A, out, len - 1, &len, &why) == -1,
	    "refused: no room (%s)", why.msg);
	name[253] = 'y';
	name[254] = '\0';
	ok(dnsmsg_query(1, name, DNSMSG_A, out, sizeof(out), &len, &why) ==
	    -1, "refused: 254 characters (%s)", why.msg);
}

/* example.com MX: two records, compressed against the question and
 * against each other. */
static void
make_mx(struct msg *m)
{
	size_t first;

	put_question(m, 0xbeef, 0x8180, 2, "example.com", DNSMSG_MX);
	put_ptr(m, 12);
	put_rr_fixed(m, DNSMSG_MX, DNSMSG_CLASS_IN, 2 + 4 + 2);
	put16(m, 10);
	put(m, "\3mx1", 4);
	first = m->len;
	put_ptr(m, 12);				/* mx1.example.com */
	put_ptr(m, 12);
	put_rr_fixed(m, DNSMSG_MX, DNSMSG_CLASS_IN, 2 + 4 + 2);
	put16(m, 20);
	put(m, "\3MX2", 4);
	put_ptr(m, first);			/* a pointer to a pointer */
}

static void
test_mx(void)
{
	struct dnsmsg_reply *r = malloc(sizeof(*r));
	struct msg m;
	struct why why;
	size_t i;
	bool prefixes = true;

	make_mx(&m);
	ok(parse(&m, m.len, r, &why) == 0, "MX response (%s)", why.msg);
	ok(r->id == 0xbeef && r->qr && r->rd && r->ra && !r->aa && !r->tc &&
	    r->opcode == 0 && r->rcode == DNSMSG_NOERROR && r->ancount == 2,
	    "its header");
	ok(strcmp(r->qname, "example.com") == 0 && r->qtype == DNSMSG_MX &&
	    r->qclass == DNSMSG_CLASS_IN, "its question");
	is_int(r->nrr, 2, "two records");
	is_int(r->nother, 0, "nothing else");
	ok(r->rr[0].type == DNSMSG_MX && r->rr[0].pref == 10 &&
	    strcmp(r->rr[0].owner, "example.com") == 0, "first: 10");
	is_str(r->rr[0].target, "mx1.example.com", "first exchange");
	ok(r->rr[1].pref == 20, "second: 20");
	is_str(r->rr[1].target, "MX2.example.com", "second exchange, "
	    "through a pointer into the first record");
	ok(dnsmsg_is_reply_to(r, 0xbeef, "EXAMPLE.com.", DNSMSG_MX),
	    "the reply to its query (case and final dot aside)");
	ok(!dnsmsg_is_reply_to(r, 0xbeee, "example.com", DNSMSG_MX),
	    "not with another id");
	ok(!dnsmsg_is_reply_to(r, 0xbeef, "example.org", DNSMSG_MX),
	    "not for another name");
	ok(!dnsmsg_is_reply_to(r, 0xbeef, "example.co", DNSMSG_MX),
	    "not for a shorter name");
	ok(!dnsmsg_is_reply_to(r, 0xbeef, "example.com", DNSMSG_A),
	    "not for another type");
	m.p[2] &= 0x7f;
	ok(parse(&m, m.len, r, &why) == 0 &&
	    !dnsmsg_is_reply_to(r, 0xbeef, "example.com", DNSMSG_MX),
	    "not without QR (a query)");
	m.p[2] |= 0x80 | 0x08;
	ok(parse(&m, m.len, r, &why) == 0 &&
	    !dnsmsg_is_reply_to(r, 0xbeef, "example.com", DNSMSG_MX),
	    "not with another opcode");
	m.p[2] &= (unsigned char)~0x08;
	m.p[12 + 13 + 3] = 3;			/* class CH */
	ok(parse(&m, m.len, r, &why) == 0 &&
	    !dnsmsg_is_reply_to(r, 0xbeef, "example.com", DNSMSG_MX),
	    "not for another class");
	make_mx(&m);
	for (i = 0; i < m.len; i++)
		if (parse(&m, i, r, &why) != -1) {
			diag("prefix of %zu bytes accepted", i);
			prefixes = false;
		}
	ok(prefixes, "every proper prefix is refused");
	free(r);
}

static void
test_records(void)
{
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct dnsmsg_reply *r = malloc(sizeof(*r));
	struct msg m;
	struct why why;

	put_question(&m, 7, 0x8583, 5, "www.example.com", DNSMSG_A);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_CNAME, DNSMSG_CLASS_IN, 6);
	put8(&m, 3);
	put(&m, "web", 3);
	put_ptr(&m, 16);			/* web.example.com */
	put_ptr(&m, m.len - 6);
	put_rr_fixed(&m, DNSMSG_A, DNSMSG_CLASS_IN, 4);
	put(&m, "\xc0\x00\x02\x01", 4);
	put_ptr(&m, 12);
	put_rr_fixed(&m, 16, DNSMSG_CLASS_IN, 3);	/* TXT: not kept */
	put(&m, "\x02hi", 3);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_A, 3, 4);		/* class CH */
	put(&m, "\x7f\x00\x00\x01", 4);
	put_name(&m, "six.example.com");
	put_rr_fixed(&m, DNSMSG_AAAA, DNSMSG_CLASS_IN, 16);
	put(&m, v6, 16);
	ok(parse(&m, m.len, r, &why) == 0, "CNAME, A, TXT, CH and AAAA (%s)",
	    why.msg);
	ok(r->aa && r->rcode == DNSMSG_NXDOMAIN, "AA and NXDOMAIN");
	is_int(r->nrr, 3, "three kept");
	is_int(r->nother, 2, "two counted");
	ok(r->rr[0].type == DNSMSG_CNAME &&
	    strcmp(r->rr[0].owner, "www.example.com") == 0 &&
	    strcmp(r->rr[0].target, "web.example.com") == 0, "the CNAME");
	ok(r->rr[1].type == DNSMSG_A &&
	    strcmp(r->rr[1].owner, "web.example.com") == 0 &&
	    memcmp(r->rr[1].addr, "\xc0\x00\x02\x01", 4) == 0, "the A");
	ok(r->rr[2].type == DNSMSG_AAAA &&
	    strcmp(r->rr[2].owner, "six.example.com") == 0 &&
	    memcmp(r->rr[2].addr, v6, 16) == 0, "the AAAA");

	/* Odd bytes in a label come out as '?'. */
	put_question(&m, 7, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_MX, DNSMSG_CLASS_IN, 2 + 6);
	put16(&m, 0);
	put(&m, "\x04" "a.\n\xff" "\x00", 6);
	ok(parse(&m, m.len, r, &why) == 0 && r->nrr == 1, "odd label bytes");
	is_str(r->rr[0].target, "a???", "shown as '?'");
	/* A null MX (RFC 7505): the exchange is the root. */
	put_question(&m, 7, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_MX, DNSMSG_CLASS_IN, 3);
	put16(&m, 0);
	put8(&m, 0);
	ok(parse(&m, m.len, r, &why) == 0 && r->nrr == 1 &&
	    r->rr[0].pref == 0 && r->rr[0].target[0] == '\0', "null MX");
	free(r);
}

/* More records than are kept, and TC. */
static void
test_cap_tc(void)
{
	struct dnsmsg_reply *r = malloc(sizeof(*r));
	struct msg m;
	struct why why;
	unsigned int i;

	put_question(&m, 1, 0x8180, 100, "many", DNSMSG_A);
	for (i = 0; i < 100; i++) {
		put_ptr(&m, 12);
		put_rr_fixed(&m, DNSMSG_A, DNSMSG_CLASS_IN, 4);
		put8(&m, 10);
		put8(&m, 0);
		put8(&m, 0);
		put8(&m, i);
	}
	ok(parse(&m, m.len, r, &why) == 0 && r->nrr == DNSMSG_MAX_RR &&
	    r->nother == 100 - DNSMSG_MAX_RR, "100 records: %d kept",
	    DNSMSG_MAX_RR);
	ok(r->rr[DNSMSG_MAX_RR - 1].addr[3] == DNSMSG_MAX_RR - 1 &&
	    strcmp(r->rr[DNSMSG_MAX_RR - 1].owner, "many") == 0,
	    "the last kept is intact");
	m.len -= 30;
	ok(parse(&m, m.len, r, &why) == -1, "cut: refused (%s)", why.msg);
	m.p[2] |= 0x02;
	ok(parse(&m, m.len, r, &why) == 0 && r->tc && r->nrr == 0,
	    "with TC the answers are not read");
	put_header(&m, 1, 0x8380, 1, 3);
	put_name(&m, "t");
	ok(parse(&m, m.len, r, &why) == -1, "TC still needs the question");
	free(r);
}

/* A response of one MX record whose exchange is given by raw bytes. */
static int
parse_exchange(const void *raw, size_t n, struct dnsmsg_reply *r,
    struct why *why)
{
	struct msg m;

	put_question(&m, 1, 0x8180, 1, "ab.cd", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_MX, DNSMSG_CLASS_IN, 2 + (unsigned int)n);
	put16(&m, 5);
	put(&m, raw, n);
	return parse(&m, m.len, r, why);
}

static void
test_names(void)
{
	static const struct {
		const char *raw;
		size_t len;
		const char *what;
	} bad[] = {
		{ "\xc0\x25", 2, "a pointer to itself" },
		{ "\xc0\x30", 2, "a pointer forwards" },
		{ "\x01x\xc0\x25", 4, "a pointer to its own name" },
		{ "\x40" "x", 2, "label type 0x40" },
		{ "\x80" "x", 2, "label type 0x80" },
		{ "\x05" "ab", 3, "a label past the end" },
		{ "\x01" "a", 2, "no end" },
		{ "\xc0", 1, "half a pointer" },
		{ "\x01" "a\x00\x00", 4, "data after the name" },
		{ "", 0, "no name" },
	};
	struct dnsmsg_reply *r = malloc(sizeof(*r));
	unsigned char raw[300];
	struct why why;
	struct msg m;
	size_t i;

	ok(parse_exchange("\x02mx\xc0\x0c", 5, r, &why) == 0 &&
	    strcmp(r->rr[0].target, "mx.ab.cd") == 0, "a pointer backwards");
	/* The exchange starts at 0x25; the record's owner at 0x17 is a
	 * pointer to 12: a pointer to a pointer still goes backwards. */
	ok(parse_exchange("\x02mx\xc0\x17", 5, r, &why) == 0 &&
	    strcmp(r->rr[0].target, "mx.ab.cd") == 0, "a pointer to a "
	    "pointer");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse_exchange(bad[i].raw, bad[i].len, r, &why) == -1,
		    "refused: %s (%s)", bad[i].what, why.msg);
	/* 127 one-byte labels are 255 octets; 128 are too many. */
	for (i = 0; i < 127; i++) {
		raw[2 * i] = 1;
		raw[2 * i + 1] = 'a';
	}
	raw[254] = 0;
	ok(parse_exchange(raw, 255, r, &why) == 0 &&
	    strlen(r->rr[0].target) == 253, "a 255-octet name");
	raw[254] = 1;
	raw[255] = 'a';
	raw[256] = 0;
	ok(parse_exchange(raw, 257, r, &why) == -1, "refused: 257 octets");
	/* A long name made of pointers: pieces in a record not kept, each
	 * a label and a pointer to the piece before; the exchange points at
	 * the last.  Every pointer goes backwards, but the name is 400
	 * octets long. */
	put_question(&m, 1, 0x8180, 2, "q", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, 99, DNSMSG_CLASS_IN, 200 * 4);
	{
		size_t prev = 12;	/* "q" */

		for (i = 0; i < 200; i++) {
			size_t here = m.len;

			put(&m, "\x01z", 2);
			put_ptr(&m, prev);
			prev = here;
		}
		put_ptr(&m, 12);
		put_rr_fixed(&m, DNSMSG_MX, DNSMSG_CLASS_IN, 4);
		put16(&m, 1);
		put_ptr(&m, prev);
	}
	ok(parse(&m, m.len, r, &why) == -1, "refused: a pointer chain past "
	    "255 octets (%s)", why.msg);
	free(r);
}

static void
test_malformed(void)
{
	struct dnsmsg_reply *r = malloc(sizeof(*r));
	struct msg m;
	struct why why;

	put_header(&m, 1, 0x8180, 0, 0);
	ok(parse(&m, 11, r, &why) == -1, "refused: short header (%s)",
	    why.msg);
	ok(parse(&m, 12, r, &why) == -1, "refused: no question (%s)",
	    why.msg);
	put_header(&m, 1, 0x8180, 2, 0);
	put_name(&m, "a");
	put(&m, "\0\1\0\1", 4);
	put_name(&m, "b");
	put(&m, "\0\1\0\1", 4);
	ok(parse(&m, m.len, r, &why) == -1, "refused: two questions (%s)",
	    why.msg);
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_A);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_A, DNSMSG_CLASS_IN, 5);
	put(&m, "\1\2\3\4\5", 5);
	ok(parse(&m, m.len, r, &why) == -1, "refused: A of 5 bytes (%s)",
	    why.msg);
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_AAAA);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_AAAA, DNSMSG_CLASS_IN, 4);
	put(&m, "\1\2\3\4", 4);
	ok(parse(&m, m.len, r, &why) == -1, "refused: AAAA of 4 bytes");
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_MX, DNSMSG_CLASS_IN, 2);
	put16(&m, 1);
	ok(parse(&m, m.len, r, &why) == -1, "refused: MX without a name");
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, DNSMSG_CNAME, DNSMSG_CLASS_IN, 4);
	put(&m, "\1b\0", 3);
	put8(&m, 0);
	ok(parse(&m, m.len, r, &why) == -1, "refused: CNAME with a byte "
	    "after its name");
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put_rr_fixed(&m, 99, DNSMSG_CLASS_IN, 40);
	put(&m, "\1b\0", 3);
	ok(parse(&m, m.len, r, &why) == -1, "refused: data past the end "
	    "(%s)", why.msg);
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_MX);
	put_ptr(&m, 12);
	put(&m, "\0\1\0\1\0", 5);
	ok(parse(&m, m.len, r, &why) == -1, "refused: record cut short "
	    "(%s)", why.msg);
	put_question(&m, 1, 0x8180, 1, "a", DNSMSG_MX);
	put(&m, "\xc0", 1);
	ok(parse(&m, m.len, r, &why) == -1, "refused: owner cut short "
	    "(%s)", why.msg);
	put_question(&m, 1, 0x8180, 0, "a", DNSMSG_MX);
	m.len -= 1;
	ok(parse(&m, m.len, r, &why) == -1, "refused: question cut short "
	    "(%s)", why.msg);
	put_header(&m, 1, 0x8180, 1, 0);
	put(&m, "\xc0\x0c\0\1\0\1", 6);
	ok(parse(&m, m.len, r, &why) == -1, "refused: a question name that "
	    "points at itself");
	free(r);
}

static void
test_misc(void)
{
	char out[16];

	is_str(dnsmsg_rcode_str(DNSMSG_SERVFAIL, out), "SERVFAIL", "rcode 2");
	is_str(dnsmsg_rcode_str(DNSMSG_NXDOMAIN, out), "NXDOMAIN", "rcode 3");
	is_str(dnsmsg_rcode_str(15, out), "rcode 15", "rcode 15");
	ok(dnsmsg_name_eq("A.b.", "a.B"), "names: case and final dot");
	ok(!dnsmsg_name_eq("a.b", "a.c"), "names: different");
	ok(dnsmsg_name_eq("", "."), "names: the root");
}

int
main(void)
{
	test_query();
	test_mx();
	test_records();
	test_cap_tc();
	test_names();
	test_malformed();
	test_misc();
	return done_testing();
}
