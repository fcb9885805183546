/*
 * msgcache_test.c - unit tests for lib/mail/msgcache: build, open and walk
 * the cache of hand-checked messages (IMAP part numbers and what BODY[n],
 * BODY[n.MIME], BODY[n.HEADER] and BODY[n.TEXT] cover; envelopes with
 * groups, quoted names, comments, source routes, missing and duplicate
 * fields; the cached header fields and their size bound); agreement with
 * a fresh parse; damaged blobs (every truncation, every flipped byte,
 * and records made wrong behind a good checksum) refused; and the time
 * to open 10,000 blobs and read their envelopes.
 */
#include <time.h>

#include "mail/msgcache.h"
#include "mail/msgcache_format.h"
#include "mcheck.h"
#include "tap.h"

/* The message/rfc822 case of mime_test, with its hand-checked parts:
 * 0 multipart/mixed 0+70+302, 1 text/plain 77+28+12, 2 message/rfc822
 * 126+64+171, 3 multipart/mixed (embedded) 190+86+85, 4 text/plain
 * 283+2+10, 5 application/octet-stream 304+42+4. */

static const char envelope_msg[] =
    "Received: from somewhere\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25\r\n"
    " -0800 (PST)\r\n"
    "From: \"Fred Foobar\" <foobar@Blurdybloop.example>\r\n"
    "Subject: afternoon meeting\r\n"
    "Subject: a second subject\r\n"
    "To: mooch@owatagu.siam.edu.example, Team: a@x.example,\r\n"
    "\tBee (the boss) <b@x.example>;, (Zed) z@y.example\r\n"
    "Cc: <@relay.example:c@z.example>, root, undisclosed:;\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "X-Other: not cached\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

#define L(s) s, sizeof(s) - 1

static bool
open_msg(const char *msg, size_t len, struct buf *blob, struct msgcache *mc)
{
	struct why why;

	buf_reset(blob);
	if (msgcache_build(span_make(msg, len), blob, &why) == -1) {
		diag("build: %s", why.msg);
		return false;
	}
	if (msgcache_open(buf_span(blob), mc, &why) == -1) {
		diag("open: %s", why.msg);
		return false;
	}
	return true;
}

/* "off+len" of what BODY[section] covers, or "none". */
static const char *
section(const struct msgcache *mc, const char *number, const char *what,
        char out[64])
{
	struct msgcache_part p;
	uint32_t i;

	if (msgcache_find(mc, span_str(number), &i) == -1)
		return "none";
	msgcache_part(mc, i, &p);
	if (strcmp(what, "HEADER") == 0 || strcmp(what, "TEXT") == 0) {
		if (!(p.flags & MIME_F_RFC822))
			return "none";
		msgcache_part(mc, msgcache_first_child(mc, i), &p);
	}
	if (strcmp(what, "MIME") == 0 || strcmp(what, "HEADER") == 0)
		snprintf(out, 64, "%u+%u", p.off, p.header_len);
	else
		snprintf(out, 64, "%u+%u", p.off + p.header_len, p.body_len);
	return out;
}

static void
test_sections(void)
{
	static const struct {
		const char *number;
		const char *what; /* "", MIME, HEADER or TEXT */
		const char *want;
	} secs[] = {
	    {"1", "", "105+12"},         {"1", "MIME", "77+28"},
	    {"2", "", "190+171"},        {"2", "MIME", "126+64"},
	    {"2", "HEADER", "190+86"},   {"2", "TEXT", "276+85"},
	    {"2.1", "", "285+10"},       {"2.1", "MIME", "283+2"},
	    {"2.2", "", "346+4"},        {"1", "HEADER", "none"},
	    {"3", "", "none"},           {"2.3", "", "none"},
	    {"1.1", "", "none"},         {"2.1.1", "", "none"},
	    {"0", "", "none"},           {"", "", "none"},
	    {"1.", "", "none"},          {".1", "", "none"},
	    {"2..1", "", "none"},        {"-1", "", "none"},
	    {"99999999999", "", "none"},
	};
	struct buf blob;
	struct msgcache mc;
	char out[64];
	size_t i;

	buf_init(&blob, 1 << 20);
	if (!ok(open_msg(L(mcheck_rfc822), &blob, &mc),
	        "message/rfc822 case: build and open"))
		return;
	is_int(mc.nparts, 6, "six parts");
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		is_str(section(&mc, secs[i].number, secs[i].what, out),
		       secs[i].want, "BODY[%s%s%s]", secs[i].number,
		       secs[i].what[0] ? "." : "", secs[i].what);

	/* A message that is not multipart: part 1 is its body. */
	open_msg(L("Subject: x\r\n\r\nbody\r\n"), &blob, &mc);
	is_str(section(&mc, "1", "", out), "14+6", "single part: BODY[1]");
	is_str(section(&mc, "1.1", "", out), "none", "single part: no 1.1");
	/* A message that is itself message/rfc822. */
	open_msg(L("Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx"),
	         &blob, &mc);
	is_str(section(&mc, "1", "", out), "32+16", "top message/rfc822: 1");
	is_str(section(&mc, "1", "HEADER", out), "32+15",
	       "top message/rfc822: 1.HEADER");
	is_str(section(&mc, "1.1", "", out), "47+1",
	       "top message/rfc822: 1.1 is the embedded body");
	is_str(section(&mc, "1.1.1", "", out), "none", "but not 1.1.1");
	buf_fini(&blob);
}

static void
put_str(struct buf *b, struct msgcache_str s)
{
	if (s.nil)
		buf_adds(b, "NIL");
	else
		buf_addf(b, "\"%.*s\"", (int)s.s.len, (const char *)s.s.p);
}

/* An address list as IMAP writes it. */
static const char *
list(const struct msgcache *mc, const struct msgcache_env *e,
     enum msgcache_list k, struct buf *b)
{
	struct msgcache_addr a;
	uint32_t i;

	buf_reset(b);
	if (e->count[k] == 0)
		return "NIL";
	buf_addc(b, '(');
	for (i = 0; i < e->count[k]; i++) {
		msgcache_addr(mc, e->first[k] + i, &a);
		buf_addc(b, '(');
		put_str(b, a.name);
		buf_addc(b, ' ');
		put_str(b, a.route);
		buf_addc(b, ' ');
		put_str(b, a.mailbox);
		buf_addc(b, ' ');
		put_str(b, a.host);
		buf_addc(b, ')');
	}
	buf_addc(b, ')');
	return buf_str(b);
}

static const char *
text(struct msgcache_str s, struct buf *b)
{
	buf_reset(b);
	put_str(b, s);
	return buf_str(b);
}

static void
test_envelope(void)
{
	struct buf blob;
	struct buf b;
	struct msgcache mc;
	struct msgcache_env e;
	struct span f;

	buf_init(&blob, 1 << 20);
	buf_init(&b, 1 << 20);
	if (!ok(open_msg(L(envelope_msg), &blob, &mc), "envelope: build, open"))
		return;
	ok(msgcache_envelope(&mc, 0, &e) == 0, "part 0 has an envelope");
	is_str(text(e.date, &b), "\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\"",
	       "date unfolded");
	is_str(text(e.subject, &b), "\"afternoon meeting\"",
	       "the first subject");
	is_str(list(&mc, &e, MSGCACHE_FROM, &b),
	       "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))",
	       "from");
	is_str(list(&mc, &e, MSGCACHE_SENDER, &b),
	       "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))",
	       "no sender: from");
	is_str(list(&mc, &e, MSGCACHE_REPLY_TO, &b),
	       "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))",
	       "no reply-to: from");
	is_str(list(&mc, &e, MSGCACHE_TO, &b),
	       "((NIL NIL \"mooch\" \"owatagu.siam.edu.example\")"
	       "(NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.example\")"
	       "(\"Bee\" NIL \"b\" \"x.example\")(NIL NIL NIL NIL)"
	       "(\"Zed\" NIL \"z\" \"y.example\"))",
	       "to: a group, a comment as the name");
	is_str(list(&mc, &e, MSGCACHE_CC, &b),
	       "((NIL \"@relay.example\" \"c\" \"z.example\")"
	       "(NIL NIL \"root\" \"\")"
	       "(NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL))",
	       "cc: a source route, no domain, an empty group");
	is_str(list(&mc, &e, MSGCACHE_BCC, &b), "NIL", "no bcc");
	is_str(text(e.in_reply_to, &b), "NIL", "no in-reply-to");
	is_str(text(e.message_id, &b),
	       "\"<B27397-0100000@Blurdybloop.example>\"", "message-id");
	ok(e.present ==
	       (1u << 0 | 1u << 1 | 1u << 2 | 1u << 5 | 1u << 6 | 1u << 9),
	   "present bits");
	ok(msgcache_envelope(&mc, 0, &e) == 0 && mc.nenvs == 1, "one envelope");

	ok(msgcache_field_cached(&mc, span_str("SUBJECT")) &&
	       msgcache_field_cached(&mc, span_str("bcc")) &&
	       !msgcache_field_cached(&mc, span_str("received")) &&
	       !msgcache_field_cached(&mc, span_str("x-other")),
	   "which names are cached");
	ok(msgcache_field_find(&mc, span_str("Subject"), &f) == 1 &&
	       span_eq(f, "Subject: afternoon meeting\r\n"),
	   "the first Subject field as written");
	ok(msgcache_field_find(&mc, span_str("Date"), &f) == 1 &&
	       span_eq(f, "Date: Mon, 7 Feb 1994 21:52:25\r\n -0800 (PST)\r\n"),
	   "a folded field as written");
	ok(msgcache_field_find(&mc, span_str("Bcc"), &f) == 0,
	   "a cached name the message lacks");
	ok(msgcache_field_find(&mc, span_str("Received"), &f) == -1,
	   "a name that is not cached");
	is_int(mc.nfields, 8, "eight fields cached");
	buf_fini(&b);
	buf_fini(&blob);
}

static void
test_field_budget(void)
{
	struct buf msg;
	struct buf blob;
	struct msgcache mc;
	struct span f;
	int k;

	buf_init(&msg, 1 << 20);
	buf_init(&blob, 1 << 20);
	buf_adds(&msg, "References:");
	for (k = 0; k < 500; k++)
		buf_addf(&msg, " <%032d@example.org>\r\n", k);
	buf_adds(&msg, "Subject: small\r\nTo: a@b\r\n\r\nbody\r\n");
	ok(open_msg((const char *)msg.p, msg.len, &blob, &mc),
	   "20 KB References: build and open");
	ok(msgcache_field_find(&mc, span_str("References"), &f) == -1,
	   "References does not fit: read the message");
	ok(msgcache_field_find(&mc, span_str("Subject"), &f) == 1 &&
	       span_eq(f, "Subject: small\r\n"),
	   "Subject still cached");
	ok(mc.fdata_len <= MSGCACHE_FIELDS_MAX, "cached bytes bounded");
	buf_fini(&msg);
	buf_fini(&blob);
}

/* Messages built, opened and compared with a fresh parse. */
static void
test_agree(void)
{
	struct buf msg;
	struct buf blob;
	struct msgcache mc;
	struct mime m;
	struct why why;
	int k;

	buf_init(&msg, 1 << 24);
	buf_init(&blob, 1 << 26);
	mime_init(&m);
	for (k = 0; k < 6; k++) {
		buf_reset(&msg);
		if (k == 0)
			buf_adds(&msg, mcheck_rfc822);
		else if (k == 1)
			buf_adds(&msg, envelope_msg);
		else if (k == 2)
			for (int d = 0; d < 300; d++)
				buf_adds(&msg, "Content-Type: message/rfc822"
				               "\r\nFrom: a@b\r\n\r\n");
		else if (k == 3) {
			buf_adds(&msg, "Content-Type: multipart/digest; "
			               "boundary=d\r\n\r\n");
			for (int d = 0; d < 12000; d++)
				buf_addf(&msg, "--d\r\n\r\nTo: u%d@x\r\n\r\n",
				         d);
		} else if (k == 4) {
			buf_adds(&msg, "To: g:");
			for (int d = 0; d < 2 * MSGCACHE_MAX_ADDRS; d++)
				buf_addf(&msg, "u%d@x,", d);
			buf_adds(&msg, ";\r\n\r\n");
		} else {
			buf_add(&msg, "Subject: \0\xff\r\n\r\n\0", 16);
		}
		if (!ok(open_msg((const char *)msg.p, msg.len, &blob, &mc),
		        "case %d: build and open", k))
			continue;
		mime_parse(&m, buf_span(&msg), &why);
		ok(mcheck_all(&mc, buf_span(&msg), &m),
		   "case %d: agrees with a fresh parse", k);
		mcheck_walk(&mc);
		if (k == 4)
			ok(mc.flags & MSGCACHE_F_ADDR_CUT,
			   "a long list is cut");
	}
	buf_fini(&msg);
	buf_fini(&blob);
	mime_fini(&m);
}

/* Put a right checksum on a blob that was changed. */
static void
resum(unsigned char *p, size_t len)
{
	uint64_t v = msgcache_sum(p, len - MC_SUM_LEN);

	mc_put32(p + len - 8, (uint32_t)v);
	mc_put32(p + len - 4, (uint32_t)(v >> 32));
}

static bool
opens(const unsigned char *p, size_t len)
{
	struct msgcache mc;
	struct why why;
	unsigned char *copy = malloc(len + 1);
	bool r;

	/* A copy of the exact length, so that ASan sees reads past it. */
	memcpy(copy, p, len);
	r = msgcache_open(span_make(copy, len), &mc, &why) == 0;
	if (r)
		mcheck_walk(&mc);
	free(copy);
	return r;
}

static void
test_corrupt(void)
{
	struct buf blob;
	struct buf bad;
	struct msgcache mc;
	size_t n;
	size_t i;
	size_t accepted = 0;
	size_t tries = 0;
	int v;

	buf_init(&blob, 1 << 20);
	buf_init(&bad, 1 << 20);
	open_msg(L(mcheck_rfc822), &blob, &mc);
	ok(opens(blob.p, blob.len), "the good blob opens");
	for (n = 0; n < blob.len && !opens(blob.p, n); n++)
		;
	ok(n == blob.len, "every truncation is refused");
	for (i = 0; i < blob.len; i++) {
		buf_set(&bad, blob.p, blob.len);
		bad.p[i] ^= (unsigned char)(1u << (i % 8));
		if (opens(bad.p, bad.len))
			break;
	}
	ok(i == blob.len, "every flipped bit is refused (checksum)");
	buf_set(&bad, blob.p, blob.len);
	buf_addc(&bad, 0);
	ok(!opens(bad.p, bad.len), "a byte too many is refused");

	/* Behind a good checksum: any value in any byte, never a crash. */
	for (i = 0; i + MC_SUM_LEN < blob.len; i++) {
		for (v = 0; v < 4; v++) {
			static const unsigned char vals[4] = {0, 1, 0x7f, 0xff};

			buf_set(&bad, blob.p, blob.len);
			if (bad.p[i] == vals[v])
				continue;
			bad.p[i] = vals[v];
			resum(bad.p, bad.len);
			tries++;
			accepted += opens(bad.p, bad.len);
		}
	}
	/* Those accepted changed bytes of strings, lengths or line counts
	 * into other values that are just as valid. */
	ok(accepted < tries,
	   "records made wrong: %zu of %zu accepted, "
	   "no crash, no stray read",
	   accepted, tries);
	buf_fini(&blob);
	buf_fini(&bad);
}

/* Each of these changes, with the checksum mended, is refused. */
static void
test_rules(void)
{
	static const struct {
		const char *what;
		size_t off; /* from the start of the blob */
		uint32_t val;
	} rules[] = {
	    {"version 2", 4, 2},
	    {"another header length", 6, 65},
	    {"no parts", MC_H_NPARTS, 0},
	    {"more envelopes than records", MC_H_NPARTS + 4, 3},
	    {"a field name outside the table", MC_H_MASK, 1u << 30},
	    {"unknown flags", MC_H_FLAGS, 8},
	    {"a message size beyond the parts", MC_H_MSG_SIZE, 1},
	    {"part 0 with a parent", MC_HDR_LEN + MC_P_PARENT, 0},
	    {"part 1 beyond the message", MC_HDR_LEN + MC_PART_LEN + MC_P_OFF,
	     100000},
	    {"part 1 before its parent's body",
	     MC_HDR_LEN + MC_PART_LEN + MC_P_OFF, 3},
	    {"part 1 with its own parent", MC_HDR_LEN + MC_PART_LEN, 1},
	    {"part 1 past the end of part 0",
	     MC_HDR_LEN + MC_PART_LEN + MC_P_END, 7},
	    {"a string beyond the strings", MC_HDR_LEN + MC_P_STR, 1u << 20},
	    {"a NIL type", MC_HDR_LEN + MC_P_STR, MC_NONE},
	    {"more lines than bytes", MC_HDR_LEN + MC_PART_LEN + MC_P_LINES,
	     13},
	    {"parameters out of order", MC_HDR_LEN + MC_P_PARAMS, 1},
	    {"an envelope on a part that is no message",
	     MC_HDR_LEN + MC_PART_LEN + MC_P_ENV, 0},
	    {"unknown part flags", MC_HDR_LEN + MC_P_FLAGS, 0x25},
	    {"part 0 not a message", MC_HDR_LEN + MC_P_FLAGS, 1},
	};
	struct buf blob;
	struct buf bad;
	struct msgcache mc;
	size_t i;

	buf_init(&blob, 1 << 20);
	buf_init(&bad, 1 << 20);
	open_msg(L(mcheck_rfc822), &blob, &mc);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		buf_set(&bad, blob.p, blob.len);
		if (rules[i].off == 4 || rules[i].off == 6)
			mc_put16(bad.p + rules[i].off, rules[i].val);
		else
			mc_put32(bad.p + rules[i].off, rules[i].val);
		resum(bad.p, bad.len);
		ok(!opens(bad.p, bad.len), "refused: %s", rules[i].what);
	}
	buf_fini(&blob);
	buf_fini(&bad);
}

/* Open 10,000 blobs and read every envelope's subject and addresses. */
static void
test_speed(void)
{
	struct buf msg;
	struct buf blobs;
	struct msgcache mc;
	struct msgcache_env e;
	struct msgcache_addr a;
	struct why why;
	struct timespec t0;
	struct timespec t1;
	size_t each;
	size_t sum = 0;
	size_t bad = 0;
	double ms;
	int k;
	uint32_t i;

	buf_init(&msg, 1 << 20);
	buf_init(&blobs, 1 << 28);
	buf_adds(&msg, envelope_msg);
	buf_adds(&msg, "Content-Type: text/plain\r\n\r\nand a body\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 10000; k++)
		msgcache_build(buf_span(&msg), &blobs, &why);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("10,000 blobs built in %.1f ms",
	     (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	         (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	each = blobs.len / 10000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 10000; k++) {
		if (msgcache_open(span_make(blobs.p + (size_t)k * each, each),
		                  &mc, &why) == -1 ||
		    msgcache_envelope(&mc, 0, &e) == -1) {
			bad++;
			continue;
		}
		sum += e.subject.s.len + e.date.s.len;
		for (i = 0; i < e.count[MSGCACHE_FROM]; i++) {
			msgcache_addr(&mc, e.first[MSGCACHE_FROM] + i, &a);
			sum += a.mailbox.s.len + a.host.s.len;
		}
		for (i = 0; i < e.count[MSGCACHE_TO]; i++) {
			msgcache_addr(&mc, e.first[MSGCACHE_TO] + i, &a);
			sum += a.mailbox.s.len;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(bad == 0 && sum > 0, "10,000 blobs of %zu bytes opened", each);
	ok(ms < 2000, "opened with envelopes read in %.1f ms", ms);
	buf_fini(&msg);
	buf_fini(&blobs);
}

int
main(void)
{
	test_sections();
	test_envelope();
	test_field_budget();
	test_agree();
	test_corrupt();
	test_rules();
	test_speed();
	return done_testing();
}
