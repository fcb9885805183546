/*
 * mailtext_test.c - unit tests for lib/mail/mailtext: quoted-printable
 * (soft breaks, trailing blanks, stray "="), lenient base64, charset
 * conversion (Latin-1, unknown names, invalid bytes, names refused),
 * RFC 2047 encoded words (blanks between words, words split inside a
 * character, broken words kept), bodies, and the output bound.  Each
 * case is also decoded into buffers cut short, which must hold a prefix
 * of the full answer.
 */
#include <string.h>

#include "mail/mailtext.h"
#include "tap.h"

#define L(s) s, sizeof(s) - 1

enum which { QP, QW, B64, CS, HDR, BODY };

static const struct {
	enum which fn;
	const char *in;
	size_t len;
	const char *arg;  /* charset (CS, BODY) */
	const char *arg2; /* encoding (BODY) */
	const char *want;
} cases[] = {
    {QP, L("caf=C3=A9 au lait"), NULL, NULL, "caf\xc3\xa9 au lait"},
    {QP, L("lower =c3=a9"), NULL, NULL, "lower \xc3\xa9"},
    {QP, L("soft=\r\nbreak"), NULL, NULL, "softbreak"},
    {QP, L("soft= \t\nbreak"), NULL, NULL, "softbreak"},
    {QP, L("end="), NULL, NULL, "end"},
    {QP, L("trailing   \r\nnext"), NULL, NULL, "trailing\r\nnext"},
    {QP, L("inner  blanks"), NULL, NULL, "inner  blanks"},
    {QP, L("stray = sign =4"), NULL, NULL, "stray = sign =4"},
    {QP, L("=ZZ"), NULL, NULL, "=ZZ"},
    {QW, L("a_b=5Fc"), NULL, NULL, "a b_c"},
    {B64, L("aGVsbG8gd29ybGQ="), NULL, NULL, "hello world"},
    {B64, L("aGVs\r\nbG8g\r\n d29y!!bGQ="), NULL, NULL, "hello world"},
    {B64, L("aGk=aGk="), NULL, NULL, "hi"},
    {B64, L(""), NULL, NULL, ""},
    {CS, L("caf\xe9"), "iso-8859-1", NULL, "caf\xc3\xa9"},
    {CS, L("caf\xe9"), " ISO-8859-1 ", NULL, "caf\xc3\xa9"},
    {CS, L("caf\xe9"), "iso-8859-1*fr", NULL, "caf\xc3\xa9"},
    {CS, L("caf\xe9"), "no-such-charset", NULL, "caf\xe9"},
    {CS, L("caf\xe9"), "../../etc/x", NULL, "caf\xe9"},
    {CS, L("caf\xe9"), "UTF-8//IGNORE", NULL, "caf\xe9"},
    {CS,
     L("a\xff"
       "b"),
     "utf-16le", NULL, "\xef\xbd\xa1\xef\xbf\xbd"},
    {CS, L("ok\xc3"), "utf-8", NULL, "ok\xc3"},
    {CS, L("\xa4"), "iso-8859-15", NULL, "\xe2\x82\xac"},
    {CS, L("x\x80y"), "us-ascii", NULL, "x\x80y"},
    {HDR, L("plain text"), NULL, NULL, "plain text"},
    {HDR, L("  folded\r\n  value  "), NULL, NULL, "folded  value"},
    {HDR, L("=?utf-8?q?J=C3=B6rg?= <j@x>"), NULL, NULL, "J\xc3\xb6rg <j@x>"},
    {HDR, L("=?ISO-8859-1?B?Y2Fm6Q==?="), NULL, NULL, "caf\xc3\xa9"},
    {HDR, L("=?utf-8?q?a?= =?utf-8?q?b?=  \r\n =?utf-8?q?c?="), NULL, NULL,
     "abc"},
    {HDR, L("=?utf-8?q?a?= x =?utf-8?q?b?="), NULL, NULL, "a x b"},
    {HDR, L("=?utf-8?b?w6k=?==?utf-8?b?w6k=?="), NULL, NULL,
     "\xc3\xa9\xc3\xa9"},
    /* One character split over two words of one charset. */
    {HDR, L("=?utf-16be?b?AA==?= =?UTF-16BE?b?6Q==?="), NULL, NULL, "\xc3\xa9"},
    {HDR, L("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?="), NULL, NULL,
     "\xc3\xa9\xc3\xa9"},
    {HDR, L("pre=?utf-8?q?x?=post"), NULL, NULL, "prexpost"},
    {HDR, L("=?utf-8?x?bad?= =?utf-8?q?no end"), NULL, NULL,
     "=?utf-8?x?bad?= =?utf-8?q?no end"},
    {HDR, L("=??q?empty?="), NULL, NULL, "=??q?empty?="},
    {HDR, L("=?utf-8?q?a b?="), NULL, NULL, "=?utf-8?q?a b?="},
    {HDR, L("=?=?=?"), NULL, NULL, "=?=?=?"},
    {HDR, L("=?utf-8*en?q?lang?="), NULL, NULL, "lang"},
    {BODY, L("caf=E9\r\n"), "iso-8859-1", "Quoted-Printable",
     "caf\xc3\xa9\r\n"},
    {BODY, L("Y2Fmw6k=\r\n"), "utf-8", " BASE64 ", "caf\xc3\xa9"},
    {BODY, L("as =3D is"), "", "8bit", "as =3D is"},
    {BODY, L("caf\xe9"), "windows-1252", "", "caf\xc3\xa9"},
};

static int
run(size_t i, struct buf *out)
{
	struct span in = span_make(cases[i].in, cases[i].len);
	struct span arg = span_str(cases[i].arg != NULL ? cases[i].arg : "");
	struct span arg2 = span_str(cases[i].arg2 != NULL ? cases[i].arg2 : "");

	switch (cases[i].fn) {
	case QP:
		return mailtext_qp(in, false, out);
	case QW:
		return mailtext_qp(in, true, out);
	case B64:
		return mailtext_base64(in, out);
	case CS:
		return mailtext_charset(in, arg, out);
	case HDR:
		return mailtext_header(in, out);
	case BODY:
		return mailtext_body(in, arg2, arg, out);
	}
	return -1;
}

static void
test_cases(void)
{
	struct buf out;
	size_t i, cut, wlen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want = cases[i].want;

		wlen = strlen(want);
		buf_init(&out, 1 << 16);
		ok(run(i, &out) == 0 && out.len == wlen &&
		       memcmp(out.p == NULL ? (const unsigned char *)"" : out.p,
		              want, wlen) == 0,
		   "case %zu: \"%s\"", i, cases[i].in);
		buf_fini(&out);
		/* Every shorter buffer: -1 and a prefix. */
		for (cut = 0; cut < wlen; cut++) {
			buf_init(&out, cut);
			if (run(i, &out) != -1 || out.len > cut ||
			    (out.len > 0 &&
			     memcmp(out.p, want, out.len) != 0)) {
				ok(false, "case %zu cut at %zu", i, cut);
				break;
			}
			buf_fini(&out);
		}
		if (cut < wlen)
			buf_fini(&out);
	}
}

static void
test_large(void)
{
	struct buf in, out;
	size_t i;
	bool same = true;

	/* More than one output chunk, through iconv and without. */
	buf_init(&in, 1 << 20);
	for (i = 0; i < 20000; i++)
		buf_adds(&in, "=E9");
	buf_init(&out, 1 << 20);
	ok(mailtext_body(buf_span(&in), span_str("quoted-printable"),
	                 span_str("latin1"), &out) == 0 &&
	       out.len == 40000,
	   "20000 escaped Latin-1 letters");
	for (i = 0; i + 1 < out.len; i += 2)
		same &= out.p[i] == 0xc3 && out.p[i + 1] == 0xa9;
	ok(same, "all of them U+00E9");
	buf_fini(&out);
	buf_init(&out, 1 << 20);
	ok(mailtext_qp(buf_span(&in), false, &out) == 0 && out.len == 20000,
	   "20000 bytes without conversion");
	buf_fini(&out);
	buf_fini(&in);
}

int
main(void)
{
	test_cases();
	test_large();
	return done_testing();
}
