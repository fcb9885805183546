/*
 * mime_test.c - unit tests for lib/mail/mime: the tree, offsets, sizes and
 * line counts of hand-checked messages (CRLF and LF, preamble and
 * epilogue, nesting, message/rfc822, digest defaults, missing and absent
 * boundaries, empty parts, NULs), the content fields and parameters
 * (quoting, comments, RFC 2231), the limits (1000-deep nesting, the part
 * limit, a 10 MB header line in linear time), and the invariants over
 * every prefix of every case.
 */
#include <time.h>

#include "mail/mime.h"
#include "mcheck.h"
#include "tap.h"

/*
 * want: for each part "index:type/subtype:flags:off:header:body:lines",
 * joined by " | "; flags are M multipart, R message/rfc822 with its
 * message, E a message, D default type, L limit.  The offsets were worked
 * out from the text of each message, independently of the parser.
 */
static const struct mcase {
	const char *name;
	const char *msg;
	size_t len;
	const char *want;
} cases[] = {
    {"simple text",
     "From: a@example.org\r\n"
     "Subject: hi\r\n"
     "\r\n"
     "Hello\r\n"
     "world\r\n"
     "",
     50, "0:text/plain:ED:0:36:14:2"},
    {"simple text LF",
     "From: a@example.org\n"
     "Subject: hi\n"
     "\n"
     "Hello\n"
     "world\n"
     "",
     45, "0:text/plain:ED:0:33:12:2"},
    {"header only, no EOL", "Subject: no body", 16, "0:text/plain:ED:0:16:0:0"},
    {"empty header",
     "\r\n"
     "body only",
     11, "0:text/plain:ED:0:2:9:1"},
    {"empty message", "", 0, "0:text/plain:ED:0:0:0:0"},
    {"mixed with attachment",
     "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
     "\r\n"
     "preamble\r\n"
     "--b1\r\n"
     "Content-Type: text/plain\r\n"
     "\r\n"
     "hello\r\n"
     "--b1\r\n"
     "Content-Type: application/pdf; name=x.pdf\r\n"
     "Content-Transfer-Encoding: base64\r\n"
     "Content-Disposition: attachment; filename=\"x.pdf\"\r\n"
     "\r\n"
     "AAAA\r\n"
     "BBBB\r\n"
     "--b1--\r\n"
     "epilogue\r\n"
     "",
     266,
     "0:multipart/mixed:ME:0:48:218:14 | 1:text/plain::64:28:5:1 | "
     "2:application/pdf::105:131:10:2"},
    {"mixed with attachment, LF",
     "Content-Type: multipart/mixed; boundary=\"b1\"\n"
     "\n"
     "preamble\n"
     "--b1\n"
     "Content-Type: text/plain\n"
     "\n"
     "hello\n"
     "--b1\n"
     "Content-Type: application/pdf; name=x.pdf\n"
     "Content-Transfer-Encoding: base64\n"
     "Content-Disposition: attachment; filename=\"x.pdf\"\n"
     "\n"
     "AAAA\n"
     "BBBB\n"
     "--b1--\n"
     "epilogue\n"
     "",
     250,
     "0:multipart/mixed:ME:0:46:204:14 | 1:text/plain::60:26:5:1 | "
     "2:application/pdf::97:127:9:2"},
    {"alternative in mixed",
     "Content-Type: multipart/mixed; boundary=outer\r\n"
     "\r\n"
     "--outer\r\n"
     "Content-Type: multipart/alternative; boundary=inner\r\n"
     "\r\n"
     "--inner\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n"
     "\r\n"
     "plain\r\n"
     "--inner\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "<p>html</p>\r\n"
     "--inner--\r\n"
     "--outer\r\n"
     "Content-Type: image/png\r\n"
     "\r\n"
     "PNG\r\n"
     "--outer--\r\n"
     "",
     284,
     "0:multipart/mixed:ME:0:49:235:17 | 1:multipart/alternative:M:58:55:117:9 "
     "| 2:text/plain::122:43:5:1 | 3:text/html::181:27:11:1 | "
     "4:image/png::241:27:3:1"},
    {"message/rfc822 with its own multipart", mcheck_rfc822,
     sizeof(mcheck_rfc822) - 1,
     "0:multipart/mixed:ME:0:70:302:22 | 1:text/plain::77:28:12:1 | "
     "2:message/rfc822:R:126:64:171:12 | 3:multipart/mixed:ME:190:86:85:8 | "
     "4:text/plain:D:283:2:10:1 | 5:application/octet-stream::304:42:4:1"},
    {"digest default",
     "Content-Type: multipart/digest; boundary=d\r\n"
     "\r\n"
     "--d\r\n"
     "\r\n"
     "Subject: one\r\n"
     "\r\n"
     "first\r\n"
     "--d\r\n"
     "Content-Type: text/plain\r\n"
     "\r\n"
     "not a message\r\n"
     "--d--\r\n"
     "",
     131,
     "0:multipart/digest:ME:0:46:85:10 | 1:message/rfc822:RD:51:2:21:3 | "
     "2:text/plain:ED:53:16:5:1 | 3:text/plain::81:28:13:1"},
    {"missing final boundary",
     "Content-Type: multipart/mixed; boundary=b\r\n"
     "\r\n"
     "--b\r\n"
     "Content-Type: text/plain\r\n"
     "\r\n"
     "one\r\n"
     "--b\r\n"
     "\r\n"
     "two, and no close delimiter\r\n"
     "",
     119,
     "0:multipart/mixed:ME:0:45:74:7 | 1:text/plain::50:28:3:1 | "
     "2:text/plain:D:88:2:29:1"},
    {"boundary never found",
     "Content-Type: multipart/mixed; boundary=nothere\r\n"
     "\r\n"
     "--other\r\n"
     "text\r\n"
     "",
     66, "0:multipart/mixed:ME:0:51:15:2"},
    {"no boundary parameter",
     "Content-Type: multipart/mixed\r\n"
     "\r\n"
     "--\r\n"
     "x\r\n"
     "",
     40, "0:multipart/mixed:ME:0:33:7:2"},
    {"outer boundary ends the inner parts",
     "Content-Type: multipart/mixed; boundary=o\r\n"
     "\r\n"
     "--o\r\n"
     "Content-Type: multipart/related; boundary=i\r\n"
     "\r\n"
     "--i\r\n"
     "\r\n"
     "inner, never closed\r\n"
     "--o\r\n"
     "\r\n"
     "second\r\n"
     "--o--\r\n"
     "",
     147,
     "0:multipart/mixed:ME:0:45:102:10 | 1:multipart/related:M:50:47:26:3 | "
     "2:text/plain:D:102:2:19:1 | 3:text/plain:D:130:2:6:1"},
    {"delimiter matching",
     "Content-Type: multipart/mixed; boundary=b1\r\n"
     "\r\n"
     "--b1\r\n"
     "\r\n"
     "--b1x is not a delimiter\r\n"
     "--b1  \x09"
     "\r\n"
     "\r\n"
     "blanks after the boundary are allowed\r\n"
     "--b1--trailing text\r\n"
     "epilogue\r\n"
     "",
     161,
     "0:multipart/mixed:ME:0:46:115:8 | 1:text/plain:D:52:2:24:1 | "
     "2:text/plain:D:89:2:37:1"},
    {"NULs are data",
     "Content-Type: multipart/mixed; boundary=z\n"
     "\n"
     "--z\n"
     "X-Nul: a\0"
     "b\n"
     "\n"
     "bo\0"
     "dy\n"
     "--z\n"
     "\n"
     "\0"
     "\n"
     "--z--",
     77,
     "0:multipart/mixed:ME:0:43:34:8 | 1:text/plain:D:47:12:5:1 | "
     "2:text/plain:D:69:1:1:1"},
    {"empty parts",
     "Content-Type: multipart/mixed; boundary=e\r\n"
     "\r\n"
     "--e\r\n"
     "--e\r\n"
     "Content-Type: text/plain\r\n"
     "--e\r\n"
     "\r\n"
     "--e--\r\n"
     "",
     95,
     "0:multipart/mixed:ME:0:45:50:6 | 1:text/plain:D:50:0:0:0 | "
     "2:text/plain::55:24:0:0 | 3:text/plain:D:86:0:0:0"},
    {"the delimiter takes the empty line's end",
     "Content-Type: multipart/digest; boundary=g\r\n"
     "\r\n"
     "--g\r\n"
     "\r\n"
     "To: a@b\r\n"
     "\r\n"
     "--g--\r\n"
     "",
     71,
     "0:multipart/digest:ME:0:46:25:5 | 1:message/rfc822:RD:51:2:9:1 | "
     "2:text/plain:ED:53:9:0:0"},
};

static void
add_flags(struct buf *b, uint32_t f)
{
	if (f & MIME_F_MULTIPART)
		buf_addc(b, 'M');
	if (f & MIME_F_RFC822)
		buf_addc(b, 'R');
	if (f & MIME_F_MESSAGE)
		buf_addc(b, 'E');
	if (f & MIME_F_DEFAULT)
		buf_addc(b, 'D');
	if (f & MIME_F_LIMIT)
		buf_addc(b, 'L');
}

/* The tree in the format of cases[].want. */
static void
dump(const struct mime *m, struct buf *out)
{
	uint32_t i;

	buf_reset(out);
	for (i = 0; i < m->nparts; i++) {
		const struct mime_part *p = mime_part(m, i);
		struct span t = mime_str(m, p->type);
		struct span s = mime_str(m, p->subtype);

		buf_addf(out, "%s%u:%.*s/%.*s:", i ? " | " : "", i, (int)t.len,
		         (const char *)t.p, (int)s.len, (const char *)s.p);
		add_flags(out, p->flags);
		buf_addf(out, ":%zu:%zu:%zu:%zu", p->off, p->header_len,
		         p->body_len, p->body_lines);
	}
}

static void
test_cases(void)
{
	struct mime m;
	struct why why;
	struct buf got;
	size_t i;

	mime_init(&m);
	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mcase *c = &cases[i];

		if (!ok(mime_parse(&m, span_make(c->msg, c->len), &why) == 0,
		        "%s: parses", c->name))
			continue;
		dump(&m, &got);
		is_str(buf_str(&got), c->want, "%s", c->name);
		ok(mcheck_tree(&m, c->len), "%s: invariants", c->name);
	}
	buf_fini(&got);
	mime_fini(&m);
}

/* Every prefix of every case (copied, so reads past the end are caught). */
static void
test_prefixes(void)
{
	struct mime m;
	struct why why;
	size_t i;
	size_t n;
	size_t bad = 0;

	mime_init(&m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (n = 0; n <= cases[i].len; n++) {
			char *copy = malloc(n + 1);

			memcpy(copy, cases[i].msg, n);
			if (mime_parse(&m, span_make(copy, n), &why) != 0 ||
			    !mcheck_tree(&m, n))
				bad++;
			free(copy);
		}
	}
	ok(bad == 0, "every prefix of every case keeps the invariants");
	mime_fini(&m);
}

/* The parameters of part i: "attr=value;..." ("*" for a NIL attr). */
static void
dump_params(const struct mime *m, uint32_t i, uint32_t from, uint32_t n,
            struct buf *out)
{
	const struct mime_part *p = mime_part(m, i);
	uint32_t k;

	buf_reset(out);
	for (k = from; k < from + n; k++) {
		const struct mime_param *prm = mime_param(m, p->params + k);
		struct span a = mime_str(m, prm->attr);
		struct span v = mime_str(m, prm->value);

		buf_addf(out, "%s%.*s=", k > from ? ";" : "",
		         mime_is_nil(prm->attr) ? 1 : (int)a.len,
		         mime_is_nil(prm->attr) ? "*" : (const char *)a.p);
		buf_addspan(out, v);
	}
}

static const char *
str_of(const struct mime *m, struct mime_ref r)
{
	static char s[256];
	struct span v = mime_str(m, r);

	if (mime_is_nil(r))
		return "NIL";
	snprintf(s, sizeof(s), "%.*s", (int)v.len, (const char *)v.p);
	return s;
}

static const struct pcase {
	const char *ctype; /* a Content-Type value */
	const char *want;  /* type/subtype then the parameters */
} pcases[] = {
    {"text/plain; charset=\"utf-8\"", "text/plain charset=utf-8"},
    {"Text/HTML;Charset=ISO-8859-1;format=flowed",
     "Text/HTML Charset=ISO-8859-1;format=flowed"},
    {"text/plain (a comment); charset = us-ascii (Plain text)",
     "text/plain charset=us-ascii"},
    {"multipart/mixed;\r\n boundary=\"----=_Part_1\"",
     "multipart/mixed boundary=----=_Part_1"},
    {"multipart/mixed; boundary=----=_NextPart_000_0001",
     "multipart/mixed boundary=----=_NextPart_000_0001"},
    {"application/x; name=\"a \\\"quoted\\\" \\\\ name\"",
     "application/x name=a \"quoted\" \\ name"},
    {"application/x; name=\"folded\r\n name\"",
     "application/x name=folded name"},
    {"application/x; name=\"unterminated", "application/x name=unterminated"},
    {"application/x; junk; a=1; =2; b; c=3;;", "application/x a=1;c=3"},
    {"application/x; title*0=\"part one, \"; title*1=\"part two\"",
     "application/x title=part one, part two"},
    {"application/x; title*1=B; title*0=A; title*2=C",
     "application/x title=ABC"},
    {"application/x; title*0*=us-ascii'en'This%20is; title*1*=%20fun",
     "application/x title*=us-ascii'en'This%20is%20fun"},
    {"application/x; title*0*=utf-8''a%20b; title*1=\"c d%\"",
     "application/x title*=utf-8''a%20bc%20d%25"},
    {"application/x; t*0=a; t*2=c", "application/x t=a;t*2=c"},
    {"application/x; t*1=b", "application/x t*1=b"},
    {"application/x; name*=utf-8''%e2%82%ac",
     "application/x name*=utf-8''%e2%82%ac"},
    {"application/x; a*01x=1", "application/x a*01x=1"},
    {"text", "text/plain charset=us-ascii"},
    {"text/", "text/plain charset=us-ascii"},
    {"/plain", "text/plain charset=us-ascii"},
    {"", "text/plain charset=us-ascii"},
};

static void
test_params(void)
{
	struct mime m;
	struct why why;
	struct buf msg;
	struct buf got;
	size_t i;

	mime_init(&m);
	buf_init(&msg, 1 << 20);
	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		char e[256];
		size_t n = strlen(c->ctype);
		const struct mime_part *p;

		buf_reset(&msg);
		buf_adds(&msg, "Content-Type: ");
		buf_add(&msg, c->ctype, n);
		buf_adds(&msg, "\r\n\r\nbody\r\n");
		if (mime_parse(&m, buf_span(&msg), &why) == -1)
			continue;
		p = mime_part(&m, 0);
		dump_params(&m, 0, 0, p->n_type_params, &got);
		buf_truncate(&msg, 0);
		buf_addf(&msg, "%s/", str_of(&m, p->type));
		buf_addf(&msg, "%s %s", str_of(&m, p->subtype), buf_str(&got));
		is_str(buf_str(&msg), c->want, "Content-Type: %s",
		       mcheck_esc(c->ctype, e));
	}
	buf_fini(&msg);
	buf_fini(&got);
	mime_fini(&m);
}

static void
test_fields(void)
{
	static const char msg[] =
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Type: text/html\r\n"
	    "content-transfer-encoding:  Quoted-Printable \r\n"
	    "Content-ID: <id1@example.org>\r\n"
	    "Content-Description: a\r\n  folded description\r\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	    "Content-Disposition: inline; filename=\"a.txt\";\r\n"
	    "\tsize=42\r\n"
	    "Content-Language: en, de-CH (Swiss), ,fr\r\n"
	    "Content-Location: http://example.org/\r\n a.txt\r\n"
	    "Content-ID: <second@example.org>\r\n"
	    "\r\n"
	    "body";
	static const char nul[] = "Content-Type: text/x\0y; a=b\r\n\r\n";
	struct mime m;
	struct why why;
	struct buf got;
	const struct mime_part *p;

	mime_init(&m);
	buf_init(&got, 1 << 20);
	mime_parse(&m, span_make(msg, sizeof(msg) - 1), &why);
	p = mime_part(&m, 0);
	is_str(str_of(&m, p->subtype), "plain", "first Content-Type wins");
	ok(!(p->flags & MIME_F_DEFAULT), "not the default type");
	dump_params(&m, 0, 0, p->n_type_params, &got);
	is_str(buf_str(&got), "charset=utf-8", "type parameters");
	is_str(str_of(&m, p->encoding), "Quoted-Printable", "encoding trimmed");
	is_str(str_of(&m, p->id), "<id1@example.org>", "first Content-ID");
	is_str(str_of(&m, p->description), "a  folded description",
	       "description unfolded");
	is_str(str_of(&m, p->md5), "Q2hlY2sgSW50ZWdyaXR5IQ==", "md5");
	is_str(str_of(&m, p->disposition), "inline", "disposition");
	dump_params(&m, 0, p->n_type_params, p->n_disp_params, &got);
	is_str(buf_str(&got), "filename=a.txt;size=42", "disposition params");
	dump_params(&m, 0, p->n_type_params + p->n_disp_params, p->n_lang,
	            &got);
	is_str(buf_str(&got), "*=en;*=de-CH (Swiss);*=fr", "language tags");
	is_str(str_of(&m, p->location), "http://example.org/ a.txt",
	       "location unfolded");

	mime_parse(&m, span_str("Subject: x\r\n\r\n"), &why);
	p = mime_part(&m, 0);
	is_str(str_of(&m, p->encoding), "7BIT", "default encoding");
	ok(mime_is_nil(p->id) && mime_is_nil(p->description) &&
	       mime_is_nil(p->md5) && mime_is_nil(p->disposition) &&
	       mime_is_nil(p->location) && p->n_lang == 0 &&
	       p->n_disp_params == 0,
	   "absent fields are NIL");
	mime_parse(&m, span_str("Content-Disposition: ;x=y\r\n\r\n"), &why);
	ok(mime_is_nil(mime_part(&m, 0)->disposition),
	   "a disposition without its type is NIL");

	mime_parse(&m,
	           span_str("Content-Type: message/rfc822\r\n"
	                    "Content-Transfer-Encoding: BASE64\r\n\r\n"
	                    "U3ViamVjdDogeA0KDQp4DQo=\r\n"),
	           &why);
	ok(m.nparts == 1 && !(mime_part(&m, 0)->flags & MIME_F_RFC822),
	   "an encoded message/rfc822 stays opaque");
	mime_parse(&m, span_make(nul, sizeof(nul) - 1), &why);
	p = mime_part(&m, 0);
	dump_params(&m, 0, 0, p->n_type_params, &got);
	ok(!(p->flags & MIME_F_DEFAULT) &&
	       span_eq(mime_str(&m, p->subtype), "x"),
	   "a NUL ends a token");
	is_str(buf_str(&got), "a=b", "and the parameters go on");
	buf_fini(&got);
	mime_fini(&m);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nesting 1000 deep: parsed down to MIME_MAX_DEPTH, the rest a leaf. */
static void
test_depth(void)
{
	struct mime m;
	struct why why;
	struct buf msg;
	const struct mime_part *p;
	int d;

	mime_init(&m);
	buf_init(&msg, 1 << 24);
	for (d = 0; d < 1000; d++)
		buf_addf(&msg,
		         "Content-Type: multipart/mixed; boundary=b%d\r\n"
		         "\r\n--b%d\r\n",
		         d, d);
	buf_adds(&msg, "\r\ninnermost\r\n");
	for (d = 999; d >= 0; d--)
		buf_addf(&msg, "--b%d--\r\n", d);
	ok(mime_parse(&m, buf_span(&msg), &why) == 0, "1000 multiparts deep");
	is_int(m.nparts, MIME_MAX_DEPTH + 1, "parts down to the depth limit");
	p = mime_part(&m, m.nparts - 1);
	ok(p->depth == MIME_MAX_DEPTH && (p->flags & MIME_F_LIMIT) &&
	       (p->flags & MIME_F_MULTIPART) && p->end == m.nparts && m.limited,
	   "the deepest is a leaf marked with the limit");
	ok(mcheck_tree(&m, msg.len), "invariants");

	buf_reset(&msg);
	for (d = 0; d < 1000; d++)
		buf_adds(&msg, "Content-Type: message/rfc822\r\n\r\n");
	buf_adds(&msg, "Subject: innermost\r\n\r\nbody\r\n");
	ok(mime_parse(&m, buf_span(&msg), &why) == 0, "1000 messages deep");
	is_int(m.nparts, MIME_MAX_DEPTH + 1, "parts down to the depth limit");
	p = mime_part(&m, m.nparts - 1);
	ok((p->flags & MIME_F_LIMIT) && (p->flags & MIME_F_MESSAGE) &&
	       !(p->flags & MIME_F_RFC822) && mcheck_tree(&m, msg.len),
	   "the deepest message/rfc822 has no embedded message");
	p = mime_part(&m, 1);
	ok((p->flags & (MIME_F_MESSAGE | MIME_F_RFC822)) ==
	       (MIME_F_MESSAGE | MIME_F_RFC822),
	   "an embedded message that is itself message/rfc822");
	buf_fini(&msg);
	mime_fini(&m);
}

/* More parts than MIME_MAX_PARTS: the rest of the multipart is epilogue. */
static void
test_part_limit(void)
{
	struct mime m;
	struct why why;
	struct buf msg;
	int k;

	mime_init(&m);
	buf_init(&msg, 1 << 24);
	buf_adds(&msg, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (k = 0; k < 2 * MIME_MAX_PARTS; k++)
		buf_adds(&msg, "--p\r\n\r\nx\r\n");
	buf_adds(&msg, "--p--\r\n");
	ok(mime_parse(&m, buf_span(&msg), &why) == 0, "20000 parts");
	is_int(m.nparts, MIME_MAX_PARTS, "stopped at the part limit");
	ok(m.limited && (mime_part(&m, 0)->flags & MIME_F_LIMIT) &&
	       mcheck_tree(&m, msg.len),
	   "the multipart is marked");
	is_int(mime_part(&m, m.nparts - 1)->body_len, 1,
	       "the last part ends at the next delimiter");
	buf_fini(&msg);
	mime_fini(&m);
}

/* Long lines and many "--" lines cost linear time. */
static void
test_linear(void)
{
	struct mime m;
	struct why why;
	struct buf msg;
	double t;
	int k;

	mime_init(&m);
	buf_init(&msg, 1 << 26);
	buf_adds(&msg, "Subject: ");
	for (k = 0; k < 10 << 20; k++)
		buf_addc(&msg, k % 64 ? 'a' : ' ');
	buf_adds(&msg, "\r\nContent-Type: text/plain; name=\"");
	for (k = 0; k < 10 << 20; k++)
		buf_addc(&msg, 'n');
	buf_adds(&msg, "\"\r\n\r\nbody\r\n");
	t = now();
	ok(mime_parse(&m, buf_span(&msg), &why) == 0, "10 MB header lines");
	t = now() - t;
	ok(t < 10, "in linear time (%.3f s)", t);
	is_int(mime_part(&m, 0)->body_len, 6, "body found after them");
	is_int(mime_param(&m, 0)->value.len, 10 << 20, "long parameter kept");

	/* 100 nested multiparts with one boundary each, then 1 MB of lines
	 * that start like every one of them. */
	buf_reset(&msg);
	for (k = 0; k < MIME_MAX_DEPTH; k++)
		buf_addf(&msg,
		         "Content-Type: multipart/mixed; boundary="
		         "\"%064d\"\r\n\r\n--%064d\r\n",
		         k, k);
	while (msg.len < (10 << 20))
		buf_adds(&msg, "--000000000000000000000000000000000000000000000"
		               "00000000000000000x\r\n");
	t = now();
	ok(mime_parse(&m, buf_span(&msg), &why) == 0, "10 MB of '--' lines");
	t = now() - t;
	ok(t < 10 && mcheck_tree(&m, msg.len), "in linear time (%.3f s)", t);
	buf_fini(&msg);
	mime_fini(&m);
}

/* Random bytes flipped in the cases: the invariants hold. */
static void
test_mutations(void)
{
	struct mime m;
	struct why why;
	unsigned seed = 12345;
	size_t bad = 0;
	size_t i;
	int r;

	mime_init(&m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *copy = malloc(cases[i].len + 1);

		for (r = 0; r < 200 && cases[i].len > 0; r++) {
			memcpy(copy, cases[i].msg, cases[i].len);
			seed = seed * 1103515245 + 12345;
			copy[(seed >> 8) % cases[i].len] =
			    "-\r\n\"\\;=:\0x"[(seed >> 20) % 10];
			if (mime_parse(&m, span_make(copy, cases[i].len),
			               &why) != 0 ||
			    !mcheck_tree(&m, cases[i].len)) {
				struct buf d;

				buf_init(&d, 1 << 20);
				dump(&m, &d);
				diag("case %zu at %u: %s", i,
				     (seed >> 8) % (unsigned)cases[i].len,
				     buf_str(&d));
				buf_fini(&d);
				bad++;
			}
		}
		free(copy);
	}
	ok(bad == 0, "mutated cases keep the invariants");
	mime_fini(&m);
}

int
main(void)
{
	test_cases();
	test_prefixes();
	test_params();
	test_fields();
	test_depth();
	test_part_limit();
	test_linear();
	test_mutations();
	return done_testing();
}
