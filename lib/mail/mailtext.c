/*
 * mailtext.c - decode header values (RFC 2047) and bodies
 * (quoted-printable, base64) of a message, and convert their charsets to
 * UTF-8 with iconv(3), so that a search sees the text a reader sees.
 * Linked into: imapd.  Trust: all input is hostile mail; every scan is
 * linear, output is bounded by the caller's buffer, and only charset
 * names made of letters, digits and "-_.:+" reach iconv_open.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "base/base64.h"
#include "mail/hdr.h"
#include "mail/mailtext.h"

/* ---- Output in chunks ---- */

struct sink {
	struct buf *out;
	unsigned char b[4096];
	size_t n;
	int err;
};

static void
sink_flush(struct sink *k)
{
	size_t room = k->out->max - k->out->len;

	if (k->n == 0)
		return;
	if (k->n > room) {
		/* Keep what fits; the caller learns of the rest by -1. */
		k->err = -1;
		k->n = room;
	}
	if (k->n > 0 && buf_add(k->out, k->b, k->n) == -1)
		k->err = -1;
	k->n = 0;
}

static inline void
sink_put(struct sink *k, unsigned char c)
{
	if (k->n == sizeof(k->b))
		sink_flush(k);
	k->b[k->n++] = c;
}

static int
sink_end(struct sink *k)
{
	sink_flush(k);
	return k->err;
}

/* Append as much of s as fits. */
static int
add_capped(struct buf *out, struct span s)
{
	size_t room = out->max - out->len;

	if (s.len <= room)
		return buf_addspan(out, s);
	if (room > 0)
		buf_add(out, s.p, room);
	return -1;
}

/* ---- Transfer encodings ---- */

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mailtext_qp(struct span in, bool q, struct buf *out)
{
	struct sink k = {out, {0}, 0, 0};
	size_t i = 0, j;

	while (i < in.len) {
		unsigned char c = in.p[i];

		if (c == '=' && i + 2 < in.len && hex_val(in.p[i + 1]) >= 0 &&
		    hex_val(in.p[i + 2]) >= 0) {
			sink_put(&k, (unsigned char)(hex_val(in.p[i + 1]) << 4 |
			                             hex_val(in.p[i + 2])));
			i += 3;
			continue;
		}
		if (c == '=' && !q) {
			/* A soft line break: "=", blanks the transport may
			 * have added, then the line end (or the end). */
			for (j = i + 1; j < in.len && hdr_is_blank(in.p[j]);
			     j++)
				;
			if (j + 1 < in.len && in.p[j] == '\r' &&
			    in.p[j + 1] == '\n')
				j++;
			if (j == in.len || in.p[j] == '\n') {
				i = j + 1;
				continue;
			}
		}
		if (hdr_is_blank(c) && !q) {
			/* RFC 2045 6.7 (3): blanks that end a line were
			 * added in transport; drop them. */
			for (j = i; j < in.len && hdr_is_blank(in.p[j]); j++)
				;
			if (j < in.len && in.p[j] != '\r' && in.p[j] != '\n') {
				for (; i < j; i++)
					sink_put(&k, in.p[i]);
			}
			i = j;
			continue;
		}
		sink_put(&k, q && c == '_' ? ' ' : c);
		i++;
	}
	return sink_end(&k);
}

int
mailtext_base64(struct span in, struct buf *out)
{
	struct sink k = {out, {0}, 0, 0};
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i;
	int v;

	for (i = 0; i < in.len && in.p[i] != '='; i++) {
		if ((v = base64_value(in.p[i], '/')) < 0)
			continue;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sink_put(&k, (unsigned char)(acc >> bits));
		}
	}
	return sink_end(&k);
}

/* ---- Charsets ---- */

static bool
is_identity(struct span cs)
{
	return cs.len == 0 || span_eq_nocase(cs, "us-ascii") ||
	       span_eq_nocase(cs, "ascii") || span_eq_nocase(cs, "utf-8") ||
	       span_eq_nocase(cs, "utf8");
}

/* The charset's name for iconv_open, or false when it is not a name
 * (an RFC 2231 language suffix "*en" is dropped). */
static bool
charset_name(struct span cs, char name[MAILTEXT_MAX_CHARSET + 1])
{
	size_t i;

	for (i = 0; i < cs.len && cs.p[i] != '*'; i++) {
		unsigned char c = cs.p[i];

		if (i == MAILTEXT_MAX_CHARSET)
			return false;
		/* No '/': glibc reads "//" as options. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ':' || c == '+'))
			return false;
		name[i] = (char)c;
	}
	name[i] = '\0';
	return i > 0;
}

static void
convert(iconv_t cd, struct span in, struct sink *k)
{
	char *ip = (char *)(uintptr_t)in.p;
	size_t il = in.len, ol, r;
	char *op;

	for (;;) {
		sink_flush(k);
		op = (char *)k->b;
		ol = sizeof(k->b);
		r = il > 0 ? iconv(cd, &ip, &il, &op, &ol)
		           : iconv(cd, NULL, NULL, &op, &ol);
		k->n = sizeof(k->b) - ol;
		if (k->err != 0)
			return;
		if (r != (size_t)-1 && il == 0) {
			if (ip == NULL)
				break;
			ip = NULL; /* now the shift back to the start */
			continue;
		}
		if (r == (size_t)-1 && errno == E2BIG)
			continue;
		if (r == (size_t)-1 && il > 0) {
			/* EILSEQ or EINVAL: one byte is not valid. */
			sink_flush(k);
			sink_put(k, 0xef);
			sink_put(k, 0xbf);
			sink_put(k, 0xbd);
			ip++;
			il--;
			continue;
		}
		break;
	}
	sink_flush(k);
}

int
mailtext_charset(struct span in, struct span cs, struct buf *out)
{
	char name[MAILTEXT_MAX_CHARSET + 1];
	struct sink k = {out, {0}, 0, 0};
	iconv_t cd;

	cs = span_trim(cs);
	if (is_identity(cs) || !charset_name(cs, name))
		return add_capped(out, in);
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return add_capped(out, in);
	convert(cd, in, &k);
	iconv_close(cd);
	return sink_end(&k);
}

/* ---- Bodies ---- */

int
mailtext_body(struct span body, struct span encoding, struct span charset,
              struct buf *out)
{
	struct buf dec;
	int r;

	encoding = span_trim(encoding);
	if (span_eq_nocase(encoding, "quoted-printable") ||
	    span_eq_nocase(encoding, "base64")) {
		buf_init(&dec, body.len + 1);
		if (span_eq_nocase(encoding, "base64"))
			mailtext_base64(body, &dec);
		else
			mailtext_qp(body, false, &dec);
		r = mailtext_charset(buf_span(&dec), charset, out);
		buf_fini(&dec);
		return r;
	}
	return mailtext_charset(body, charset, out);
}

/* ---- Header values (RFC 2047) ---- */

/* An encoded word "=?charset?e?text?=" at s.p[i]: its parts and end. */
struct word {
	struct span charset;
	bool b64;
	struct span text;
	size_t end;
};

/* Bytes that may be in a word's charset or text: no blanks, no '?'. */
static size_t
word_run(struct span s, size_t i)
{
	size_t j = i;

	while (j < s.len && s.p[j] != '?' && s.p[j] != ' ' && s.p[j] != '\t' &&
	       s.p[j] != '\r' && s.p[j] != '\n')
		j++;
	return j;
}

static bool
word_at(struct span s, size_t i, struct word *w)
{
	size_t j;

	if (i + 1 >= s.len || s.p[i] != '=' || s.p[i + 1] != '?')
		return false;
	j = word_run(s, i + 2);
	if (j == i + 2 || j + 3 > s.len || s.p[j] != '?')
		return false;
	w->charset = span_make(s.p + i + 2, j - (i + 2));
	if (s.p[j + 1] != 'b' && s.p[j + 1] != 'B' && s.p[j + 1] != 'q' &&
	    s.p[j + 1] != 'Q')
		return false;
	w->b64 = s.p[j + 1] == 'b' || s.p[j + 1] == 'B';
	if (s.p[j + 2] != '?')
		return false;
	i = j + 3;
	j = word_run(s, i);
	if (j + 1 >= s.len || s.p[j] != '?' || s.p[j + 1] != '=')
		return false;
	w->text = span_make(s.p + i, j - i);
	w->end = j + 2;
	return true;
}

struct hdec {
	struct buf *out;
	struct buf raw;      /* decoded bytes of the words in a row */
	struct span charset; /* theirs */
	int err;
};

static void
hdec_flush(struct hdec *h)
{
	if (h->raw.len > 0 &&
	    mailtext_charset(buf_span(&h->raw), h->charset, h->out) == -1)
		h->err = -1;
	buf_reset(&h->raw);
}

static void
hdec_text(struct hdec *h, struct span s)
{
	hdec_flush(h);
	if (s.len > 0 && add_capped(h->out, s) == -1)
		h->err = -1;
}

static void
hdec_word(struct hdec *h, const struct word *w)
{
	/* Charset names differ by case only: one conversion. */
	if (h->raw.len > 0 && !span_eq_span_nocase(h->charset, w->charset))
		hdec_flush(h);
	h->charset = w->charset;
	if (w->b64)
		mailtext_base64(w->text, &h->raw);
	else
		mailtext_qp(w->text, true, &h->raw);
}

int
mailtext_header(struct span value, struct buf *out)
{
	struct buf un;
	struct hdec h = {out, {0}, {NULL, 0}, 0};
	struct word w;
	struct span s, held = {NULL, 0};
	bool after_word = false;
	size_t i = 0, j;

	buf_init(&un, value.len + 1);
	hdr_unfold(value, &un);
	s = buf_span(&un);
	buf_init(&h.raw, value.len + 1);
	while (i < s.len) {
		if (word_at(s, i, &w)) {
			/* Blanks between two words are dropped (6.2). */
			held.len = 0;
			hdec_word(&h, &w);
			i = w.end;
			after_word = true;
			continue;
		}
		if (after_word && hdr_is_blank(s.p[i])) {
			for (j = i; j < s.len && hdr_is_blank(s.p[j]); j++)
				;
			held = span_make(s.p + i, j - i);
			i = j;
			after_word = false;
			continue;
		}
		/* Text up to the next blank or "=?". */
		for (j = i + 1;
		     j < s.len && !hdr_is_blank(s.p[j]) &&
		     !(s.p[j] == '=' && j + 1 < s.len && s.p[j + 1] == '?');
		     j++)
			;
		if (hdr_is_blank(s.p[i]))
			for (; j < s.len && hdr_is_blank(s.p[j]); j++)
				;
		hdec_text(&h, held);
		held.len = 0;
		hdec_text(&h, span_make(s.p + i, j - i));
		i = j;
		after_word = false;
	}
	hdec_text(&h, held);
	buf_fini(&h.raw);
	buf_fini(&un);
	return h.err;
}
