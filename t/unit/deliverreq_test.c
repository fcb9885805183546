/*
 * deliverreq_test.c - unit tests for lib/mail/deliverreq: requests and
 * results round-trip, and every rejection branch of both parsers.
 */
#include <string.h>

#include "mail/deliverreq.h"
#include "tap.h"

#define QID "0123456789BCDFGHJK"

/* Feed text (LF-separated lines); the last parse result. */
static int
feed(struct deliverreq *r, const char *text, struct why *why)
{
	const char *p = text;
	int rc = 0;

	deliverreq_init(r);
	while (*p != '\0') {
		const char *lf = strchr(p, '\n');
		size_t n = lf != NULL ? (size_t)(lf - p) : strlen(p);

		rc = deliverreq_parse_line(r, span_make(p, n), why);
		if (rc == -1)
			return rc;
		p += n + (lf != NULL);
	}
	return rc;
}

static void
test_request(void)
{
	static const uint32_t idx[] = { 0, 3, 7 };
	struct deliverreq r;
	struct why why;
	struct buf b;

	buf_init(&b, 4096);
	ok(deliverreq_format(&b, QID, "unix:/x/lmtp", idx, 3) == 0,
	    "request formats");
	is_int(feed(&r, (const char *)b.p, &why), 1, "and parses whole");
	is_str(r.qid, QID, "queue id");
	is_str(r.nexthop, "unix:/x/lmtp", "next hop");
	ok(r.nrcpt == 3 && r.rcpt[0] == 0 && r.rcpt[1] == 3 && r.rcpt[2] == 7,
	    "recipient indexes");
	buf_reset(&b);
	ok(deliverreq_format(&b, "bad", "x", idx, 1) == -1 && b.len == 0,
	    "bad id refused, nothing written");
	ok(deliverreq_format(&b, QID, "a b", idx, 1) == -1, "blank in hop");
	ok(deliverreq_format(&b, QID, "x", idx, 0) == -1, "no recipients");
	b.max = 20;
	ok(deliverreq_format(&b, QID, "x", idx, 3) == -1 && b.len == 0,
	    "too long for the buffer: unchanged");
	buf_fini(&b);
}

static void
test_request_bad(void)
{
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{ "queue_id x\n", "bad queue id" },
		{ "queue_id " QID "\nqueue_id " QID "\n", "repeated" },
		{ "nexthop \n", "bad next hop" },
		{ "nexthop a\x01\n", "bad next hop" },
		{ "nexthop a\nnexthop b\n", "repeated" },
		{ "rcpt -1\n", "bad recipient index" },
		{ "rcpt 100000\n", "bad recipient index" },
		{ "rcpt 2\nrcpt 2\n", "not ascending" },
		{ "rcpt 2\nrcpt 1\n", "not ascending" },
		{ "end\n", "incomplete" },
		{ "queue_id " QID "\nnexthop x\nend\n", "incomplete" },
		{ "queue_id " QID "\nnexthop x\nrcpt 1\nend\nrcpt 2\n",
		    "after end" },
		{ "end x\n", "unknown" },
		{ "RCPT 1\n", "unknown" },
		{ "\n", "unknown" },
	};
	struct deliverreq r;
	struct why why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why.msg[0] = '\0';
		rc = feed(&r, bad[i].text, &why);
		ok(rc == -1 && strstr(why.msg, bad[i].why) != NULL,
		    "refused: %s", bad[i].why);
	}
	deliverreq_init(&r);
	for (i = 0, rc = 0; i <= DELIVERREQ_MAX_RCPT && rc == 0; i++) {
		char line[32];

		snprintf(line, sizeof(line), "rcpt %zu", i);
		rc = deliverreq_parse_line(&r, span_str(line), &why);
	}
	ok(rc == -1 && i == DELIVERREQ_MAX_RCPT + 1 &&
	       strstr(why.msg, "too many") != NULL,
	    "at most DELIVERREQ_MAX_RCPT recipients");
}

static void
test_dsn(void)
{
	ok(deliverreq_dsn_ok("2.0.0", 'S'), "2.0.0 sent");
	ok(deliverreq_dsn_ok("4.4.1", 'D'), "4.4.1 deferred");
	ok(deliverreq_dsn_ok("5.123.999", 'B'), "three digits");
	ok(!deliverreq_dsn_ok("5.1.1", 'S'), "class must fit the state");
	ok(!deliverreq_dsn_ok("4.1.1", 'B'), "class must fit (bounce)");
	ok(!deliverreq_dsn_ok("2.0.0", 'X'), "unknown state");
	ok(!deliverreq_dsn_ok("2.0", 'S'), "two parts");
	ok(!deliverreq_dsn_ok("2.0.0.0", 'S'), "four parts");
	ok(!deliverreq_dsn_ok("2.1000.0", 'S'), "four digits");
	ok(!deliverreq_dsn_ok("2..0", 'S'), "empty part");
	ok(!deliverreq_dsn_ok("", 'S'), "empty");
}

static void
test_result(void)
{
	struct deliverreq_result r = { 0 }, back;
	struct why why;
	struct buf b;
	int rc;

	buf_init(&b, 8192);
	r.index = 42;
	r.state = DELIVERREQ_BOUNCED;
	snprintf(r.dsn, sizeof(r.dsn), "%s", "5.1.1");
	r.dest = false;
	snprintf(r.relay, sizeof(r.relay), "%s",
	    "mx.example[192.0.2.1]:25");
	r.conn_ms = 12;
	r.xmit_ms = 345;
	snprintf(r.reply, sizeof(r.reply), "%s",
	    "550 5.1.1 no\tsuch\r\nuser");
	snprintf(r.text, sizeof(r.text), "%s",
	    "host mx.example said: 550");
	ok(deliverreq_result_format(&b, &r) == 0, "result formats");
	ok(b.len > 0 && b.p[b.len - 1] == '\n', "ends in LF");
	rc = deliverreq_result_parse(span_make(b.p, b.len - 1), &back, &why);
	is_int(rc, 0, "and parses");
	ok(back.index == 42 && back.state == 'B' && !back.dest &&
	       back.conn_ms == 12 && back.xmit_ms == 345,
	    "numbers and state");
	is_str(back.dsn, "5.1.1", "dsn");
	is_str(back.relay, "mx.example[192.0.2.1]:25", "relay");
	is_str(back.reply, "550 5.1.1 no such  user", "control characters "
						     "became spaces");
	is_str(back.text, "host mx.example said: 550", "text");

	buf_reset(&b);
	r.state = DELIVERREQ_DEFERRED;
	snprintf(r.dsn, sizeof(r.dsn), "%s", "4.4.1");
	r.dest = true;
	r.relay[0] = '\0';
	r.reply[0] = '\0';
	ok(deliverreq_result_format(&b, &r) == 0, "deferred, no relay");
	rc = deliverreq_result_parse(span_make(b.p, b.len - 1), &back, &why);
	ok(rc == 0 && back.dest && strcmp(back.relay, "none") == 0 &&
	       back.reply[0] == '\0',
	    "scope d, relay none, empty reply");
	buf_reset(&b);
	snprintf(r.dsn, sizeof(r.dsn), "%s", "5.0.0");
	ok(deliverreq_result_format(&b, &r) == -1 && b.len == 0,
	    "a dsn that does not fit the state is not written");
	ok(deliverreq_done_format(&b) == 0 &&
	       deliverreq_result_parse(span_make(b.p, b.len - 1), &back,
		   &why) == 1,
	    "done");
	buf_fini(&b);
}

static void
test_result_bad(void)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "", "too few" },
		{ "done ", "too few" },
		{ "result\t1\tS\t2.0.0\tr\tnone\t1\t2\treply", "too few" },
		{ "rezult\t1\tS\t2.0.0\tr\tnone\t1\t2\t\t", "not a result" },
		{ "result\tx\tS\t2.0.0\tr\tnone\t1\t2\t\t", "bad number" },
		{ "result\t1\tS\t2.0.0\tr\tnone\t-1\t2\t\t", "bad number" },
		{ "result\t1\tS\t2.0.0\tr\tnone\t1\t4294967296\t\t",
		    "bad number" },
		{ "result\t1\tSS\t2.0.0\tr\tnone\t1\t2\t\t", "bad state" },
		{ "result\t1\tS\t5.0.0\tr\tnone\t1\t2\t\t", "bad state" },
		{ "result\t1\tS\t2.0.0\tx\tnone\t1\t2\t\t", "bad scope" },
		{ "result\t1\tS\t2.0.0\tr\t\t1\t2\t\t", "bad text" },
		{ "result\t1\tS\t2.0.0\tr\tnone\t1\t2\t\ttext\r", "bad text" },
		{ "result\t1\tS\t2.0.0\tr\tnone\t1\t2\t\ttext\tmore",
		    "bad text" },
	};
	struct deliverreq_result out;
	struct why why;
	size_t i;
	char big[DELIVERREQ_MAX_LINE + 100];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why.msg[0] = '\0';
		ok(deliverreq_result_parse(span_str(bad[i].line), &out,
		       &why) == -1 &&
		       strstr(why.msg, bad[i].why) != NULL,
		    "refused: %s (%zu)", bad[i].why, i);
	}
	memset(big, 'a', sizeof(big));
	ok(deliverreq_result_parse(span_make(big, sizeof(big)), &out, &why) ==
		   -1 &&
	       strstr(why.msg, "too long") != NULL,
	    "refused: a line too long");
	snprintf(big, sizeof(big), "result\t1\tS\t2.0.0\tr\tnone\t1\t2\t\t%*s",
	    DELIVERREQ_TEXT_MAX + 1, "x");
	ok(deliverreq_result_parse(span_str(big), &out, &why) == -1,
	    "refused: a text longer than DELIVERREQ_TEXT_MAX");
}

int
main(void)
{
	test_request();
	test_request_bad();
	test_dsn();
	test_result();
	test_result_bad();
	return done_testing();
}
