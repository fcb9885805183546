/*
 * imaputf7_test.c - unit tests for lib/mail/imaputf7: RFC 3501's
 * examples, surrogate pairs, every rejection branch of the decoder, and
 * round trips.
 */
#include "mail/imaputf7.h"
#include "tap.h"

static const struct {
	const char *utf7;
	const char *utf8;
} good[] = {
    {"INBOX", "INBOX"},
    {"", ""},
    {"&-", "&"},
    {"a&-b&-", "a&b&"},
    {"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
                                        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
    {"Entw&APw-rfe", "Entw\xc3\xbc"
                     "rfe"},
    {"&AOQA9gD8-", "\xc3\xa4\xc3\xb6\xc3\xbc"},
    {"&2D3eAA-", "\xf0\x9f\x98\x80"}, /* U+1F600, a surrogate pair */
    {"a&AAk-b", "a\tb"},
    {"&AH8-", "\x7f"},
};

static const char *const bad[] = {
    "&",          /* unterminated */
    "&AOQ",       /* unterminated */
    "&AOQ-&APY-", /* two runs in a row */
    "&AGE-",      /* encodes printable "a" */
    "&ACY-",      /* encodes "&" */
    "&AO-",       /* 12 bits: an odd byte */
    "&AOR-",      /* non-zero padding */
    "&2D0-",      /* a lone high surrogate */
    "&3gA-",      /* a lone low surrogate */
    "&2D0AYQ-",   /* high surrogate, then no low one */
    "&A.Q-",      /* not base64 */
    "&AOQ=-",     /* base64 padding is not used */
    "a\tb",       /* a control character */
    "\xc3\xa4",   /* 8-bit */
    "&AOQA-",     /* 30 bits */
};

int
main(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(&b);
		ok(imaputf7_decode(span_str(good[i].utf7), &b) == 0 &&
		       strcmp(buf_str(&b), good[i].utf8) == 0,
		   "decode '%s'", good[i].utf7);
		buf_reset(&b);
		ok(imaputf7_encode(span_str(good[i].utf8), &b) == 0 &&
		       strcmp(b.len ? buf_str(&b) : "", good[i].utf7) == 0,
		   "encode to '%s' (%s)", good[i].utf7,
		   b.len ? buf_str(&b) : "");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		buf_adds(&b, "x");
		ok(imaputf7_decode(span_str(bad[i]), &b) == -1 && b.len == 1,
		   "refuse %zu, out unchanged", i);
	}
	buf_reset(&b);
	ok(imaputf7_encode(span_str("a\xc3"), &b) == -1 && b.len == 0,
	   "encode refuses bad UTF-8");
	ok(imaputf7_encode(span_str("\xed\xa0\x80"), &b) == -1,
	   "and UTF-8 surrogates");
	buf_fini(&b);
	buf_init(&b, 4);
	ok(imaputf7_decode(span_str("abcdef"), &b) == -1 && b.len == 0,
	   "a full buffer");
	ok(imaputf7_encode(span_str("\xc3\xa4\xc3\xa4"), &b) == -1 &&
	       b.len == 0,
	   "a full buffer (encode)");
	buf_fini(&b);
	return done_testing();
}
