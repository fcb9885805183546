/*
 * dsn_test.c - unit tests for lib/mail/dsn: every kind of notice, mixes
 * of actions, RET and bounce_size_limit, SMTPUTF8, hostile addresses and
 * replies (CR/LF, control bytes, long lines), the boundary, every refusal,
 * and the encoders of dsn_enc.c.
 */
#include "mail/dsn.h"
#include "mail/dsn_impl.h"
#include "mail/hdr.h"
#include "tap.h"

#define QID "0AbCdEfGhIjKlMnOpQ"
#define BOUNDARY0 "=_dsn." QID ".0"
#define BOUNDARY_STR_SPACE 4096
#define ORIG                                                                   \
	"From: alice@example.com\r\nTo: bob@example.net\r\n"                   \
	"Subject: hi\r\n\r\nhello\r\nthere\r\n"

static struct dsn_rcpt rcpt[4];
static struct dsn_notice n;
static struct buf out;
static struct dsn_info info;
static struct why why;

/* A failure notice for bob, RET=FULL, the original above. */
static void
reset(void)
{
	memset(rcpt, 0, sizeof(rcpt));
	rcpt[0].addr = span_str("bob@example.net");
	rcpt[0].action = DSN_FAILED;
	rcpt[0].status = span_str("5.1.1");
	rcpt[0].remote_mta = span_str("mx.example.net");
	rcpt[0].diag = span_str("550 5.1.1 <bob@example.net>: no such user");
	rcpt[0].last_attempt = 1700000000;
	memset(&n, 0, sizeof(n));
	n.mta = span_str("mx.example.org");
	n.to = span_str("alice@example.com");
	n.date = 1700000000;
	n.message_id = span_str("1700000000." QID "@mx.example.org");
	n.queue_id = span_str(QID);
	n.arrival = 1699990000;
	n.ret = DSN_RET_FULL;
	n.content = span_str(ORIG);
	n.size_limit = 50000;
	n.rcpt = rcpt;
	n.nrcpt = 1;
	buf_fini(&out);
	buf_init(&out, 1 << 20);
	memset(&info, 0xff, sizeof(info));
}

/* A fresh notice in out. */
static int
make(void)
{
	buf_reset(&out);
	return dsn_make(&n, &out, &info, &why);
}

static bool
has(const char *s)
{
	return strstr(buf_str(&out), s) != NULL;
}

static bool
starts(const char *s)
{
	return strncmp(buf_str(&out), s, strlen(s)) == 0;
}

static size_t
count(const char *s)
{
	const char *p = buf_str(&out);
	size_t k = 0;

	while ((p = strstr(p, s)) != NULL) {
		k++;
		p += strlen(s);
	}
	return k;
}

/* CRLF only as a pair, no line over 998, no NUL; 7-bit unless eight. */
static bool
lines_ok(struct span s, bool eight)
{
	size_t i, col = 0;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\r') {
			if (i + 1 >= s.len || s.p[i + 1] != '\n')
				return false;
			col = 0;
			i++;
			continue;
		}
		if (s.p[i] == '\n' || s.p[i] == '\0' || ++col > 998 ||
		    (!eight && s.p[i] >= 0x80))
			return false;
	}
	return s.len >= 2 && s.p[s.len - 1] == '\n';
}

static void
test_failure(void)
{
	static const char want_hdr[] =
	    "From: \"Mail Delivery System\" <MAILER-DAEMON@mx.example.org>\r\n"
	    "To: <alice@example.com>\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "Message-ID: <1700000000." QID "@mx.example.org>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"" BOUNDARY0 "\"\r\n"
	    "\r\n";

	reset();
	ok(make() == 0, "failure notice made");
	ok(info.kind == DSN_KIND_FAILURE &&
	       info.returned == DSN_RETURNED_FULL && !info.eight_bit,
	   "info: failure, whole message, 7-bit");
	ok(lines_ok(buf_span(&out), false), "CRLF lines within 998, 7-bit");
	ok(strncmp(buf_str(&out), want_hdr, strlen(want_hdr)) == 0,
	   "the notice's header, exactly");
	is_int(count("--" BOUNDARY0 "\r\n"), 3, "three parts");
	ok(has("\r\n--" BOUNDARY0 "--\r\n"), "closing boundary");
	ok(has("\r\nContent-Type: text/plain; charset=us-ascii\r\n") &&
	       has("This is the mail system at mx.example.org.") &&
	       has("<bob@example.net>: could not be delivered (status 5.1.1)"),
	   "text part names the host and the recipient");
	ok(has("\r\nContent-Type: message/delivery-status\r\n") &&
	       has("\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
	           "X-Postern-Queue-ID: " QID "\r\n"
	           "Arrival-Date: Tue, 14 Nov 2023 19:26:40 +0000\r\n"
	           "\r\nFinal-Recipient: rfc822; bob@example.net\r\n"
	           "Action: failed\r\nStatus: 5.1.1\r\n"
	           "Remote-MTA: dns; mx.example.net\r\n"
	           "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no "
	           "such user\r\n"
	           "Last-Attempt-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"),
	   "delivery-status fields");
	ok(!has("Original-Recipient") && !has("Original-Envelope-Id") &&
	       !has("Will-Retry-Until"),
	   "absent fields are left out");
	ok(has("\r\nContent-Type: message/rfc822\r\n"
	       "Content-Description: Undelivered Message\r\n\r\n" ORIG
	       "\r\n--" BOUNDARY0 "--\r\n"),
	   "the original whole, then the end");
}

static void
test_kinds(void)
{
	reset();
	rcpt[0].action = DSN_DELAYED;
	rcpt[0].status = span_str("4.4.1");
	rcpt[0].retry_until = 1700400000;
	n.tz_minutes = -150;
	ok(make() == 0 && info.kind == DSN_KIND_DELAY &&
	       info.returned == DSN_RETURNED_HDRS,
	   "delay notice: header only despite RET=FULL");
	ok(has("\r\nSubject: Delayed Mail (still being retried)\r\n") &&
	       has("\r\nAction: delayed\r\nStatus: 4.4.1\r\n") &&
	       has("\r\nWill-Retry-Until: Sun, 19 Nov 2023 10:50:00 "
	           "-0230\r\n") &&
	       has("\r\nDate: Tue, 14 Nov 2023 19:43:20 -0230\r\n") &&
	       has("still trying until Sun, 19 Nov"),
	   "delay: subject, action, retry date in the caller's zone");
	ok(has("\r\nContent-Type: text/rfc822-headers\r\n"
	       "Content-Description: Delayed Message Headers\r\n\r\n"
	       "From: alice@example.com\r\nTo: bob@example.net\r\n"
	       "Subject: hi\r\n\r\n\r\n--"),
	   "delay: the header alone");

	reset();
	rcpt[0].action = DSN_DELIVERED;
	rcpt[0].status = span_str("2.0.0");
	rcpt[0].retry_until = 1700400000;
	ok(make() == 0 && info.kind == DSN_KIND_SUCCESS &&
	       has("\r\nSubject: Successful Mail Delivery Report\r\n") &&
	       has("\r\nAction: delivered\r\n") && !has("Will-Retry-Until") &&
	       has("Delivered Message Headers"),
	   "success notice; no Will-Retry-Until but for delayed");
	rcpt[0].action = DSN_RELAYED;
	ok(make() == 0 && has("\r\nAction: relayed\r\n") &&
	       has("passed on to a mail system"),
	   "relayed");
	rcpt[0].action = DSN_EXPANDED;
	ok(make() == 0 && has("\r\nAction: expanded\r\n") &&
	       has("alias or mailing list"),
	   "expanded");

	/* A mix: each recipient with its own action; the worst names it. */
	reset();
	rcpt[1] = rcpt[0];
	rcpt[1].addr = span_str("carol@example.net");
	rcpt[1].action = DSN_DELAYED;
	rcpt[1].status = span_str("4.4.7");
	rcpt[2] = rcpt[0];
	rcpt[2].addr = span_str("dave@example.net");
	rcpt[2].action = DSN_DELIVERED;
	rcpt[2].status = span_str("2.0.0");
	n.nrcpt = 3;
	ok(make() == 0 && info.kind == DSN_KIND_FAILURE &&
	       count("\r\n\r\nFinal-Recipient: ") == 3 &&
	       has("rfc822; carol@example.net\r\nAction: delayed\r\n"
	           "Status: 4.4.7\r\n") &&
	       has("rfc822; dave@example.net\r\nAction: delivered\r\n"
	           "Status: 2.0.0\r\n"),
	   "mixed notice: a group for each recipient, in order");
	is_int(dsn_kind(rcpt + 1, 2), DSN_KIND_DELAY, "delayed + delivered");
	is_int(dsn_kind(rcpt + 2, 1), DSN_KIND_SUCCESS, "delivered");
	is_int(dsn_kind(rcpt, 3), DSN_KIND_FAILURE, "any failed");
}

static void
test_status(void)
{
	static const struct {
		const char *in;
		enum dsn_action act;
		const char *want;
	} cases[] = {
	    {"5.1.1", DSN_FAILED, "Status: 5.1.1\r\n"},
	    {"5.123.456", DSN_FAILED, "Status: 5.123.456\r\n"},
	    {"5.1234.1", DSN_FAILED, "Status: 5.0.0\r\n"},
	    {"4.1.1", DSN_FAILED, "Status: 5.0.0\r\n"},
	    {"5.1.", DSN_FAILED, "Status: 5.0.0\r\n"},
	    {"5.1.1\r\nX: y", DSN_FAILED, "Status: 5.0.0\r\n"},
	    {"", DSN_DELAYED, "Status: 4.0.0\r\n"},
	    {"2.0.0", DSN_DELAYED, "Status: 4.0.0\r\n"},
	    {"5.0.0", DSN_DELIVERED, "Status: 2.0.0\r\n"},
	    {"2.1.5", DSN_RELAYED, "Status: 2.1.5\r\n"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		rcpt[0].status = span_str(cases[i].in);
		rcpt[0].action = cases[i].act;
		ok(make() == 0 && has(cases[i].want), "status case %zu", i);
	}
}

static void
test_ret(void)
{
	reset();
	n.ret = DSN_RET_HDRS;
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS &&
	       has("\r\nContent-Type: text/rfc822-headers\r\n"
	           "Content-Description: Undelivered Message Headers\r\n\r\n"
	           "From: alice@example.com\r\n") &&
	       !has("hello"),
	   "RET=HDRS: the header only");
	reset();
	n.ret = DSN_RET_NONE;
	ok(make() == 0 && info.returned == DSN_RETURNED_FULL && has("hello"),
	   "no RET, within the limit: whole");
	reset();
	n.size_limit = strlen(ORIG);
	ok(make() == 0 && info.returned == DSN_RETURNED_FULL,
	   "size exactly the limit: whole");
	n.size_limit = strlen(ORIG) - 1;
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS && !has("hello"),
	   "one byte over the limit: header only");
	n.ret = DSN_RET_NONE;
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS,
	   "no RET, over the limit: header only");
	n.size_limit = 0;
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS,
	   "a limit of 0: header only");

	/* A message without body or blank line: all of it is header. */
	reset();
	n.ret = DSN_RET_HDRS;
	n.content = span_str("Subject: x\r\nX-A: b");
	ok(make() == 0 && has("\r\n\r\nSubject: x\r\nX-A: b\r\n\r\n--"),
	   "header without an end: given a line end");
	n.content = span_str("");
	ok(make() == 0 && lines_ok(buf_span(&out), false), "an empty original");
}

static void
test_eight_bit(void)
{
	static char big[3000];

	reset();
	n.content = span_str("Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f"
	                     "e\r\n");
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS &&
	       !info.eight_bit && lines_ok(buf_span(&out), false) &&
	       has("Subject: x\r\n\r\n\r\n--"),
	   "8-bit body, 7-bit notice: the header only");
	n.allow_8bit = true;
	ok(make() == 0 && info.returned == DSN_RETURNED_FULL &&
	       info.eight_bit &&
	       has("\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThis is") &&
	       has("\r\nContent-Type: message/rfc822\r\n"
	           "Content-Description: Undelivered Message\r\n"
	           "Content-Transfer-Encoding: 8bit\r\n\r\n"
	           "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f"
	           "e\r\n"),
	   "8-bit body, 8-bit allowed: whole, marked 8bit");

	reset();
	n.allow_8bit = true;
	n.content = span_str("Subject: Gr\xc3\xbc\xc3\x9f"
	                     "e \r\n\r\nbody\r\n");
	n.ret = DSN_RET_HDRS;
	ok(make() == 0 && !info.eight_bit && lines_ok(buf_span(&out), false) &&
	       has("\r\nContent-Type: text/rfc822-headers\r\n"
	           "Content-Description: Undelivered Message Headers\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	           "Subject: Gr=C3=BC=C3=9Fe=20\r\n\r\n"),
	   "8-bit header: quoted-printable text/rfc822-headers");

	reset();
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "Subject: x\r\n\r\n", 14);
	n.content = span_str(big);
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS &&
	       lines_ok(buf_span(&out), false) &&
	       !has("Content-Transfer-Encoding"),
	   "a body line over 998: the header only");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "Subject: ", 9);
	big[2000] = '\n';
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS &&
	       lines_ok(buf_span(&out), false) &&
	       has("Content-Transfer-Encoding: quoted-printable"),
	   "a header line over 998: quoted-printable");
	reset();
	n.content = span_make("Subject: x\r\n\r\na\0b\r\n", 19);
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS,
	   "NUL in the body: the header only");
	n.content = span_str("Subject: x\r\n\r\na\rb\r\n");
	ok(make() == 0 && info.returned == DSN_RETURNED_HDRS,
	   "a lone CR in the body: the header only");
	n.content = span_str("Subject: x\nTo: y\n\nbody\nend");
	ok(make() == 0 && info.returned == DSN_RETURNED_FULL &&
	       has("\r\n\r\nSubject: x\r\nTo: y\r\n\r\nbody\r\nend\r\n\r\n--"),
	   "LF line ends become CRLF");
}

static void
test_smtputf8(void)
{
	reset();
	n.smtputf8 = true;
	n.to = span_str("j\xc3\xbcrgen@b\xc3\xbc"
	                "cher.example");
	rcpt[0].addr = span_str("\xe7\x94\xa8\xe6\x88\xb7@example.net");
	rcpt[0].orcpt_type = span_str("utf-8");
	rcpt[0].orcpt = span_str("B\xc3\xb6"
	                         "b+x@example.net");
	rcpt[1] = rcpt[0];
	rcpt[1].addr = span_str("plain@example.net");
	rcpt[1].orcpt_type = span_str("rfc822");
	rcpt[1].orcpt = span_str("Plain@example.net");
	n.nrcpt = 2;
	rcpt[0].diag = span_str("550 5.1.1 \xe7\x94\xa8 unknown \xff");
	n.content = span_str("Subject: Gr\xc3\xbc\xc3\x9f"
	                     "e\r\n\r\nhi\r\n");
	ok(make() == 0 && info.eight_bit &&
	       info.returned == DSN_RETURNED_FULL &&
	       lines_ok(buf_span(&out), true),
	   "SMTPUTF8 notice made, 8-bit");
	ok(has("\r\nTo: <j\xc3\xbcrgen@b\xc3\xbc"
	       "cher.example>\r\n") &&
	       has("report-type=global-delivery-status;") &&
	       has("\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThis is"),
	   "UTF-8 To, global report type, 8bit");
	ok(has("\r\nContent-Type: text/plain; charset=utf-8\r\n") &&
	       has("<\xe7\x94\xa8\xe6\x88\xb7@example.net>: could not"),
	   "UTF-8 text part");
	ok(has("\r\nContent-Type: message/global-delivery-status\r\n") &&
	       has("\r\nOriginal-Recipient: utf-8; B\xc3\xb6"
	           "b\\x{2B}x@"
	           "example.net\r\nFinal-Recipient: utf-8; "
	           "\xe7\x94\xa8\xe6\x88\xb7@example.net\r\n") &&
	       has("\r\nOriginal-Recipient: rfc822; Plain@example.net\r\n"
	           "Final-Recipient: utf-8; plain@example.net\r\n") &&
	       has("Diagnostic-Code: smtp; 550 5.1.1 \xe7\x94\xa8 unknown "
	           "?\r\n"),
	   "RFC 6533 address forms; invalid UTF-8 replaced");
	ok(has("\r\nContent-Type: message/global\r\n"
	       "Content-Description: Undelivered Message\r\n"
	       "Content-Transfer-Encoding: 8bit\r\n\r\nSubject: Gr"),
	   "message/global, 8bit");
	n.ret = DSN_RET_HDRS;
	ok(make() == 0 && has("\r\nContent-Type: message/global-headers\r\n"),
	   "message/global-headers");
	n.ret = DSN_RET_FULL;
	n.content = span_str("Subject: x\r\n\r\na\rb\r\n");
	ok(make() == 0 && info.returned == DSN_RETURNED_FULL &&
	       has("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	           "Subject: x\r\n\r\na=0Db\r\n"),
	   "message/global may be quoted-printable: still whole");

	/* A UTF-8 address in a 7-bit notice: utf-8-addr-xtext. */
	reset();
	rcpt[0].addr = span_str("j\xc3\xbcrgen+x@example.net");
	ok(make() == 0 && lines_ok(buf_span(&out), false) &&
	       has("\r\nFinal-Recipient: utf-8; j\\x{FC}rgen\\x{2B}x@"
	           "example.net\r\n") &&
	       has("<j??rgen+x@example.net>: could not"),
	   "7-bit notice: a UTF-8 address as xtext");
}

/* No line of the notice starts with name (a header injected). */
static bool
no_line_starts(const char *name)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\n%s", name);
	return !has(pat);
}

static void
test_hostile(void)
{
	static char longtext[6000];
	const char *p;

	static const char head[] =
	    "550 a\r\nBcc: evil@example.org\r\n\x01\x7f\xff";

	memset(longtext, 'A', sizeof(longtext) - 1);
	memcpy(longtext, head, sizeof(head) - 1);
	reset();
	n.to = span_str("alice@example.com>\r\nBcc: evil@example.org");
	n.from_name = span_str("Mail \"Daemon\" \\ x\r\nBcc: y");
	n.envid = span_str("a b\r\nBcc: z");
	rcpt[0].addr = span_str("bob@x\r\nBcc: evil@example.org");
	rcpt[0].orcpt_type = span_str("rfc822");
	rcpt[0].orcpt = span_str("x\r\nBcc: y");
	rcpt[0].remote_mta = span_str("evil\r\nBcc: mta");
	rcpt[0].diag = span_str(longtext);
	rcpt[0].reason = span_str(longtext);
	ok(make() == 0 && lines_ok(buf_span(&out), false),
	   "hostile values: CRLF lines within 998, 7-bit");
	ok(no_line_starts("Bcc") && no_line_starts("AAAA") &&
	       no_line_starts("\x01"),
	   "no injected line");
	ok(has("\r\nTo: <alice@example.com> Bcc: evil@example.org>\r\n"),
	   "To: CR LF become a space");
	ok(starts("From: \"Mail \\\"Daemon\\\" \\\\ x Bcc: y\" "
	          "<MAILER-DAEMON@mx.example.org>\r\n"),
	   "From: display name quoted and escaped");
	ok(has("\r\nOriginal-Envelope-Id: a+20b+0D+0ABcc:+20z\r\n"),
	   "an ENVID with blanks and CR LF as xtext");
	ok(has("\r\nOriginal-Recipient: utf-8; x\\x{0D}\\x{0A}Bcc:\\x{20}y\r\n"
	       "Final-Recipient: utf-8; bob@x\\x{0D}\\x{0A}Bcc:\\x{20}"
	       "evil@example.org\r\n"),
	   "addresses with CR LF as utf-8-addr-xtext");
	ok(has("\r\nRemote-MTA: dns; evil Bcc: mta\r\n"), "Remote-MTA cleaned");
	p = strstr(buf_str(&out), "\r\nDiagnostic-Code: smtp; 550 a Bcc: "
	                          "evil@example.org\r\n ???AAAA");
	ok(p != NULL && strstr(p, "...\r\n") != NULL &&
	       strstr(p, "...\r\n") - p < DSN_VALUE_MAX + 60,
	   "Diagnostic-Code cleaned and cut at the limit");
	ok(has("\r\n    550 a Bcc: evil@example.org\r\n    ???AAA"),
	   "the reason in the text part, cleaned");
}

static void
test_boundary(void)
{
	static char many[BOUNDARY_STR_SPACE];
	size_t i, len = 0;

	reset();
	n.content = span_str("Subject: x\r\n\r\n--" BOUNDARY0 "\r\n");
	ok(make() == 0 && has("boundary=\"=_dsn." QID ".1\"") &&
	       count("--=_dsn." QID ".1\r\n") == 3,
	   "the boundary in the original: the next one");
	n.ret = DSN_RET_HDRS;
	ok(make() == 0 && has("boundary=\"" BOUNDARY0 "\""),
	   "in a body left out: no matter");
	reset();
	rcpt[0].diag = span_str("550 --" BOUNDARY0);
	ok(make() == 0 && has("boundary=\"=_dsn." QID ".1\""),
	   "the boundary in a remote reply: the next one");
	reset();
	n.queue_id = span_str("A-B_C.D");
	ok(make() == 0 && has("boundary=\"=_dsn.ABCD.0\""),
	   "only letters and digits of the queue id");

	reset();
	len = (size_t)snprintf(many, sizeof(many), "Subject: x\r\n\r\n");
	for (i = 0; i < 100; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len,
		                        "=_dsn.%s.%zu\r\n", QID, i);
	n.content = span_make(many, len);
	buf_adds(&out, "kept");
	ok(dsn_make(&n, &out, &info, &why) == -1 &&
	       strstr(why.msg, "boundary") != NULL &&
	       strcmp(buf_str(&out), "kept") == 0,
	   "every boundary taken: -1, out unchanged (%s)", why.msg);
}

static void
test_refused(void)
{
	reset();
	buf_fini(&out);
	buf_init(&out, 600);
	buf_adds(&out, "abc");
	ok(dsn_make(&n, &out, &info, &why) == -1 && out.len == 3 &&
	       strcmp(buf_str(&out), "abc") == 0 &&
	       strstr(why.msg, "600") != NULL,
	   "past out's max: -1, unchanged (%s)", why.msg);

#define REFUSED(what, change)                                                  \
	do {                                                                   \
		reset();                                                       \
		change;                                                        \
		ok(make() == -1 && out.len == 0 &&                             \
		       strstr(why.msg, "would pass") == NULL,                  \
		   "refused: %s (%s)", what, why.msg);                         \
	} while (0)
	REFUSED("no to", n.to = span_str(""));
	REFUSED("no recipients", n.nrcpt = 0);
	REFUSED("a recipient without address", rcpt[0].addr = span_str(""));
	REFUSED("no mta", n.mta = span_str(""));
	REFUSED("mta with a space", n.mta = span_str("mx example"));
	REFUSED("mta with CR LF", n.mta = span_str("mx\r\nX: y"));
	REFUSED("no message id", n.message_id = span_str(""));
	REFUSED("message id with <", n.message_id = span_str("a<b@c"));
	REFUSED("message id with a space", n.message_id = span_str("a b@c"));
	REFUSED("no queue id", n.queue_id = span_str(""));
	REFUSED("from with CR LF", n.from = span_str("a@b\r\nX: y"));
	REFUSED("negative date", n.date = -1);
	REFUSED("date past 9999", n.date = DSN_DATE_MAX + 1);
	REFUSED("UTC offset past a day", n.tz_minutes = 1440);
	REFUSED("arrival past 9999", n.arrival = DSN_DATE_MAX + 1);
	REFUSED("last attempt < 0", rcpt[0].last_attempt = -5);
	REFUSED("retry until past 9999",
	        rcpt[0].retry_until = DSN_DATE_MAX + 1);

	reset();
	n.from = span_str("bounces@example.org");
	n.tz_minutes = 1439;
	ok(make() == 0 &&
	       starts("From: \"Mail Delivery System\" "
	              "<bounces@example.org>\r\n") &&
	       has("\r\nDate: Wed, 15 Nov 2023 22:12:20 +2359\r\n"),
	   "the caller's From; an offset of +2359");
}

static void
test_deterministic(void)
{
	struct buf first;

	reset();
	rcpt[1] = rcpt[0];
	rcpt[1].action = DSN_DELAYED;
	n.nrcpt = 2;
	ok(make() == 0, "made once");
	buf_init(&first, 1 << 20);
	buf_addspan(&first, buf_span(&out));
	buf_reset(&out);
	ok(make() == 0 && span_eq_span(buf_span(&first), buf_span(&out)),
	   "the same input gives the same bytes");
	buf_fini(&first);
}

static void
test_clean(void)
{
	struct buf b;

	buf_init(&b, 1024);
#define CLEAN(in, len, utf8, max, want, what)                                  \
	do {                                                                   \
		buf_reset(&b);                                                 \
		ok(dsn_clean(&b, span_make(in, len), utf8, max) == 0,          \
		   "clean: %s", what);                                         \
		is_str(buf_str(&b), want, "clean: %s: text", what);            \
	} while (0)
	CLEAN("  a \t\r\n b  ", 11, false, 100, "a b",
	      "blanks folded, trimmed");
	CLEAN("\x01x\x7f\0y", 5, false, 100, "?x??y", "control bytes");
	CLEAN("\xc3\xbc", 2, false, 100, "??", "8-bit in 7-bit text");
	CLEAN("\xc3\xbc", 2, true, 100, "\xc3\xbc", "UTF-8 kept");
	CLEAN("a\xff\xc3", 3, true, 100, "a??", "bad UTF-8 replaced");
	CLEAN("abcdefghijklmnop", 16, false, 10, "abcdefg...", "cut");
	CLEAN("abcdefghij", 10, false, 10, "abcdefg...",
	      "cut: no room for ...");
	CLEAN("abcdefg", 7, false, 10, "abcdefg", "fits");
	CLEAN("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, true, 8,
	      "\xc3\xa9\xc3\xa9...", "cut at a character");
	buf_fini(&b);
	buf_init(&b, 5);
	buf_adds(&b, "xy");
	ok(dsn_clean(&b, span_str("abcdef"), false, 100) == -1 &&
	       strcmp(buf_str(&b), "xy") == 0,
	   "clean: full buffer: -1, unchanged");
	buf_fini(&b);
}

static void
test_field_wrap(void)
{
	static const char words[] =
	    "one two three four five six seven eight nine ten eleven twelve "
	    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen";
	struct buf b, unfolded;
	size_t i, col = 0, maxcol = 0;

	buf_init(&b, 4096);
	buf_init(&unfolded, 4096);
	ok(dsn_field(&b, "X-Test", span_str(words)) == 0 &&
	       lines_ok(buf_span(&b), false),
	   "field made");
	for (i = 0; i < b.len; i++) {
		if (b.p[i] == '\r') {
			maxcol = col > maxcol ? col : maxcol;
			col = 0;
			i++;
			continue;
		}
		col++;
	}
	ok(maxcol <= 78 && b.p[b.len - 3] != ' ', "folded within 78 (%zu)",
	   maxcol);
	hdr_unfold(span_sub(buf_span(&b), 8, b.len - 8), &unfolded);
	is_str(buf_str(&unfolded), words, "unfolding gives the value back");
	ok(strstr(buf_str(&b), "\r\n ") != NULL && b.p[8] == 'o',
	   "continuation lines start with the blank");

	buf_reset(&b);
	ok(dsn_wrap(&b, span_str(words), 2, 4) == 0 &&
	       strncmp(buf_str(&b), "  one two", 9) == 0 &&
	       strstr(buf_str(&b), "\r\n    ") != NULL &&
	       strstr(buf_str(&b), " \r\n") == NULL,
	   "wrap: indents, no blank before a break");
	buf_fini(&b);
	buf_fini(&unfolded);
}

static void
test_dates(void)
{
	char d[DSN_DATE_SIZE];

	ok(dsn_date(0, 0, d) == 0, "date: the epoch");
	is_str(d, "Thu, 01 Jan 1970 00:00:00 +0000", "date: the epoch, text");
	ok(dsn_date(DSN_DATE_MAX, 0, d) == 0, "date: the latest");
	is_str(d, "Fri, 31 Dec 9999 23:59:59 +0000", "date: the latest, text");
	ok(dsn_date(1700000000, -330, d) == 0, "date: negative offset");
	is_str(d, "Tue, 14 Nov 2023 16:43:20 -0530", "date: -0530");
	ok(dsn_date(-1, 0, d) == -1, "date: before the epoch");
	ok(dsn_date(DSN_DATE_MAX + 1, 0, d) == -1, "date: after 9999");
	ok(dsn_date(0, 1440, d) == -1 && dsn_date(0, -1440, d) == -1,
	   "date: offsets of a day or more");
}

/* Undo quoted-printable (for the test). */
static void
qp_decode(struct span in, struct buf *dec)
{
	size_t i;

	for (i = 0; i < in.len; i++) {
		if (in.p[i] != '=') {
			buf_addc(dec, in.p[i]);
		} else if (in.p[i + 1] == '\r') {
			i += 2;
		} else {
			char hex[3] = {(char)in.p[i + 1], (char)in.p[i + 2], 0};

			buf_addc(dec, (int)strtol(hex, NULL, 16));
			i += 2;
		}
	}
}

static void
test_qp(void)
{
	static unsigned char in[5000];
	struct buf b, dec;
	size_t i, col = 0;
	bool short_lines = true;
	uint32_t x = 12345;

	/* Every byte value, long lines, blanks before line ends. */
	for (i = 0; i < sizeof(in); i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (unsigned char)(x >> 16);
		if (in[i] == '\n' || in[i] == '\r')
			in[i] = 'x';
	}
	memcpy(in + 100, " \r\n", 3);
	memcpy(in + 300, "\t\r\n", 3);
	memcpy(in + sizeof(in) - 2, "\r\n", 2);
	buf_init(&b, 1 << 16);
	buf_init(&dec, 1 << 16);
	ok(dsn_qp(&b, span_make(in, sizeof(in))) == 0 &&
	       lines_ok(buf_span(&b), false),
	   "qp: 7-bit CRLF lines");
	for (i = 0; i < b.len; i++) {
		if (b.p[i] == '\r') {
			short_lines &= col <= 76;
			col = 0;
			i++;
		} else {
			col++;
		}
	}
	ok(short_lines, "qp: no line over 76");
	ok(strstr(buf_str(&b), " \r\n") == NULL &&
	       strstr(buf_str(&b), "\t\r\n") == NULL,
	   "qp: no blank at a line end");
	qp_decode(buf_span(&b), &dec);
	ok(dec.len == sizeof(in) && memcmp(dec.p, in, dec.len) == 0,
	   "qp: decodes to the input");
	buf_reset(&b);
	ok(dsn_qp(&b, span_str("a=b\nc")) == 0 &&
	       strcmp(buf_str(&b), "a=3Db\r\nc\r\n") == 0,
	   "qp: = encoded, LF becomes CRLF, a last line end added");
	buf_fini(&b);
	buf_fini(&dec);
}

static void
test_scan_addr(void)
{
	struct dsn_scan sc;
	struct buf b;

	dsn_scan(span_str("a\r\nb\nc"), &sc);
	ok(!sc.eight_bit && !sc.long_line && !sc.bad, "scan: clean");
	dsn_scan(span_str("a\rb"), &sc);
	ok(sc.bad, "scan: a lone CR");
	dsn_scan(span_str("a\xc3\xbc\r\n"), &sc);
	ok(sc.eight_bit && !sc.bad, "scan: 8-bit");
	buf_init(&b, 4096);
	ok(dsn_addr(&b, span_str("rfc822"), span_str("a b@c"), false, false) ==
	           0 &&
	       strcmp(buf_str(&b), "rfc822; a b@c") == 0,
	   "addr: printable ASCII as it is");
	buf_reset(&b);
	ok(dsn_addr(&b, span_str("rfc822"), span_str("\xf0\x9f\x98\x80=\\@x"),
	            false, true) == 0 &&
	       strcmp(buf_str(&b), "utf-8; \\x{1F600}\\x{3D}\\x{5C}@x") == 0,
	   "addr: xtext of a 4-byte character, = and backslash (%s)",
	   buf_str(&b));
	buf_reset(&b);
	ok(dsn_addr(&b, span_str("utf-8"), span_str("a\xffz"), true, true) ==
	           0 &&
	       strcmp(buf_str(&b), "utf-8; a\\x{FFFD}z") == 0,
	   "addr: bad UTF-8 as U+FFFD");
	buf_fini(&b);
}

int
main(void)
{
	test_failure();
	test_kinds();
	test_status();
	test_ret();
	test_eight_bit();
	test_smtputf8();
	test_hostile();
	test_boundary();
	test_refused();
	test_deterministic();
	test_clean();
	test_field_wrap();
	test_dates();
	test_qp();
	test_scan_addr();
	buf_fini(&out);
	return done_testing();
}
