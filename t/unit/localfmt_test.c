/*
 * localfmt_test.c - unit tests for lib/mail/localfmt: the mbox From_
 * line, the envelope header fields, line conversion with and without
 * mboxrd quoting (whole, and in small chunks), environment values, and
 * buffers that are too small.
 */
#include <string.h>

#include "mail/localfmt.h"
#include "tap.h"

static void
test_from_line(void)
{
	struct tm tm = { .tm_sec = 5, .tm_min = 4, .tm_hour = 15,
		.tm_mday = 2, .tm_mon = 10, .tm_year = 126, .tm_wday = 1 };
	struct buf b;

	buf_init(&b, 200);
	ok(localfmt_from_line(&b, span_str("alice@example.org"), &tm) == 0,
	    "From_ line");
	is_str(buf_str(&b), "From alice@example.org Mon Nov  2 15:04:05 2026\n",
	    "its text");
	buf_reset(&b);
	localfmt_from_line(&b, span_str(""), &tm);
	is_str(buf_str(&b), "From MAILER-DAEMON Mon Nov  2 15:04:05 2026\n",
	    "the null sender");
	buf_reset(&b);
	localfmt_from_line(&b, span_str("\"a b\"\n@x"), &tm);
	is_str(buf_str(&b), "From \"a_b\"_@x Mon Nov  2 15:04:05 2026\n",
	    "blanks and control bytes in the sender");
	buf_fini(&b);
	buf_init(&b, 20);
	buf_adds(&b, "keep");
	ok(localfmt_from_line(&b, span_str("alice@example.org"), &tm) == -1 &&
		strcmp(buf_str(&b), "keep") == 0,
	    "too small: the buffer is unchanged");
	buf_fini(&b);
}

static void
test_headers(void)
{
	struct buf b;

	buf_init(&b, 200);
	ok(localfmt_headers(&b, span_str("s@x"), span_str("list@y")) == 0,
	    "headers");
	is_str(buf_str(&b), "Return-Path: <s@x>\nDelivered-To: list@y\n",
	    "their text");
	buf_reset(&b);
	localfmt_headers(&b, span_str(""), span_str("a\r\nX: y@z"));
	is_str(buf_str(&b), "Return-Path: <>\nDelivered-To: a??X: y@z\n",
	    "no line break gets through");
	buf_fini(&b);
	buf_init(&b, 10);
	ok(localfmt_headers(&b, span_str("s@x"), span_str("r@y")) == -1 &&
		b.len == 0,
	    "too small: nothing added");
	buf_fini(&b);
}

static const char msg[] =
    "Subject: hi\r\n"
    "\r\n"
    "From here\r\n"
    ">From there\r\n"
    ">>From everywhere\r\n"
    "From\r\n"
    " From indented\r\n"
    "Fromage\r\n"
    "bare\nlast";

static const char want_file[] =
    "Subject: hi\n"
    "\n"
    ">From here\n"
    ">>From there\n"
    ">>>From everywhere\n"
    "From\n"
    " From indented\n"
    "Fromage\n"
    "bare\nlast\n";

static const char want_cmd[] =
    "Subject: hi\n"
    "\n"
    "From here\n"
    ">From there\n"
    ">>From everywhere\n"
    "From\n"
    " From indented\n"
    "Fromage\n"
    "bare\nlast\n";

static void
convert(bool quote, size_t chunk, struct buf *all)
{
	struct localfmt_conv c = { quote };
	struct span rest = span_make(msg, sizeof(msg) - 1);
	struct buf out;

	buf_init(&out, 4096);
	while (rest.len > 0) {
		if (localfmt_convert(&c, &rest, chunk, &out) == -1)
			break;
		buf_addspan(all, buf_span(&out));
		buf_reset(&out);
	}
	buf_fini(&out);
}

static void
test_convert(void)
{
	struct buf all;
	size_t chunk;

	buf_init(&all, 4096);
	convert(true, 65536, &all);
	is_str(buf_str(&all), want_file, "file: CRLF to LF, mboxrd quoting");
	buf_reset(&all);
	convert(false, 65536, &all);
	is_str(buf_str(&all), want_cmd, "command: CRLF to LF, no quoting");
	for (chunk = 1; chunk < 40; chunk += 3) {
		buf_reset(&all);
		convert(true, chunk, &all);
		ok(strcmp(buf_str(&all), want_file) == 0,
		    "in chunks of %zu", chunk);
	}
	buf_fini(&all);
}

static void
test_convert_small(void)
{
	struct localfmt_conv c = { true };
	struct span rest = span_str("one\r\nFrom two\r\n");
	struct buf out;

	buf_init(&out, 6);
	ok(localfmt_convert(&c, &rest, 100, &out) == -1 &&
		strcmp(buf_str(&out), "one\n") == 0 &&
		span_eq(rest, "From two\r\n"),
	    "a line that does not fit stays in rest");
	buf_fini(&out);
	rest = span_str("");
	buf_init(&out, 6);
	ok(localfmt_convert(&c, &rest, 100, &out) == 0 && out.len == 0,
	    "empty text");
	buf_fini(&out);
}

static void
test_env(void)
{
	struct buf b;

	buf_init(&b, 64);
	buf_adds(&b, "old");
	ok(localfmt_env_value(&b, span_str("a$b`c@x")) == 0 &&
		strcmp(buf_str(&b), "a$b`c@x") == 0,
	    "printable ASCII is kept (the value is data, not code)");
	localfmt_env_value(&b, span_str("a\nb\x01\xc3\xa9"));
	is_str(buf_str(&b), "a_b___", "control and 8-bit bytes replaced");
	buf_fini(&b);
}

int
main(void)
{
	test_from_line();
	test_headers();
	test_convert();
	test_convert_small();
	test_env();
	return done_testing();
}
