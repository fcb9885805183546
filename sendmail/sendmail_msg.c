/*
 * sendmail_msg.c - the message of a submission: read it from standard
 * input, normalise line ends to CRLF, take the header apart, remove Bcc:
 * (RFC 5322 section 3.6.3: blind copies must not show it), add the
 * Date:, Message-ID: and From: fields a message needs (section 3.6), and
 * with -t collect the recipients from the header.
 * Linked into: sendmail.  Runs as the invoking user.  Trust: the message
 * is the user's or one it passes on, possibly hostile; it is bounded by
 * message_size_limit and nothing in it reaches a format string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/xmem.h"
#include "mail/qid.h"
#include "sendmail.h"

/* Longest full name put into a From: field. */
#define FULL_NAME_MAX 200
/* Room for the fields sendmail adds, beyond message_size_limit. */
#define ADDED_MAX 4096

/* A header field kept for -t: its name and its value (after ':'). */
struct field {
	struct span name;
	struct span value;
};

struct fields {
	struct field *v;
	size_t n;
	size_t cap;
};

/* The header as it is being read. */
struct header {
	struct fields to;     /* To:, Cc:, Bcc: */
	struct fields resent; /* Resent-To:, Resent-Cc:, Resent-Bcc: */
	bool has_from;
	bool has_date;
	bool has_msgid;
};

/* One input line (LF removed, and a CR before it): add it with CRLF.
 * Returns 1 at a lone "." without -i, 0 to go on, -1 when too big. */
static int
add_line(struct sendmail *sm, struct buf *in, size_t *lines,
         const unsigned char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (!sm->o->ignore_dots && n == 1 && p[0] == '.')
		return 1;
	/* A leading mbox separator is not part of the message. */
	if ((*lines)++ == 0 && n >= 5 && memcmp(p, "From ", 5) == 0)
		return 0;
	if (buf_add(in, p, n) == -1 || buf_add(in, "\r\n", 2) == -1)
		return -1;
	return 0;
}

static int
read_input(struct sendmail *sm, int fd, struct buf *in, struct why *why)
{
	unsigned char chunk[65536];
	struct buf part;
	size_t lines = 0;
	int r = 0;

	buf_init(&part, in->max);
	while (r == 0) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		const unsigned char *p = chunk;
		const unsigned char *lf;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			buf_fini(&part);
			return why_syserr(why, "reading the message"), EX_IOERR;
		}
		if (n == 0)
			break;
		while (r == 0 &&
		       (lf = memchr(p, '\n', (size_t)(chunk + n - p))) !=
		           NULL) {
			if (part.len > 0) {
				if (buf_add(&part, p, (size_t)(lf - p)) == -1)
					r = -1;
				else
					r = add_line(sm, in, &lines, part.p,
					             part.len);
				buf_reset(&part);
			} else {
				r = add_line(sm, in, &lines, p,
				             (size_t)(lf - p));
			}
			p = lf + 1;
		}
		if (r == 0 && buf_add(&part, p, (size_t)(chunk + n - p)) == -1)
			r = -1;
	}
	/* The last line may lack its newline. */
	if (r == 0 && part.len > 0)
		r = add_line(sm, in, &lines, part.p, part.len);
	buf_fini(&part);
	if (r == -1)
		return why_set(why,
		               "message too large (message_size_limit "
		               "is %llu bytes)",
		               (unsigned long long)in->max),
		       EX_DATAERR;
	return EX_OK;
}

/* RFC 5322 section 3.6.8: ftext is printable ASCII but ':'; the obsolete
 * syntax allows blanks before the colon.  The name's length, or 0. */
static size_t
field_name_len(struct span line)
{
	size_t i = 0;
	size_t n;

	while (i < line.len && line.p[i] > 0x20 && line.p[i] < 0x7f &&
	       line.p[i] != ':')
		i++;
	n = i;
	while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
		i++;
	return n > 0 && i < line.len && line.p[i] == ':' ? n : 0;
}

static void
fields_add(struct fields *f, struct span name, struct span value)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	f->v[f->n].name = name;
	f->v[f->n++].value = value;
}

/* One whole field (continuation lines and final CRLF included): note
 * it, keep it for -t, and copy it out unless it is a blind copy. */
static void
field(struct header *h, struct span f, struct buf *out)
{
	struct span name = span_make(f.p, field_name_len(f));
	long colon = span_chr(f, ':');
	struct span value = span_sub(f, (size_t)colon + 1, f.len);
	bool resent = span_startswith_nocase(name, "Resent-");
	struct span base = resent ? span_sub(name, 7, name.len) : name;
	bool is_bcc = span_eq_nocase(base, "Bcc");

	if (span_eq_nocase(base, "To") || span_eq_nocase(base, "Cc") || is_bcc)
		fields_add(resent ? &h->resent : &h->to, name, value);
	if (span_eq_nocase(name, "From"))
		h->has_from = true;
	else if (span_eq_nocase(name, "Date"))
		h->has_date = true;
	else if (span_eq_nocase(name, "Message-ID"))
		h->has_msgid = true;
	/* out has room for all of the input: this cannot fail. */
	if (!is_bcc)
		buf_addspan(out, f);
}

/*
 * Copy the header of in to out, field by field.  Returns the offset in
 * in where the header ends (at its empty line, or at the first line that
 * is neither a field nor a continuation), and sets *blank_out when an
 * empty line is there.
 */
static size_t
scan_header(struct header *h, const struct buf *in, struct buf *out,
            bool *blank_out)
{
	size_t off = 0;
	size_t start = 0;
	bool open = false;

	*blank_out = false;
	while (off < in->len) {
		struct span rest = span_make(in->p + off, in->len - off);
		size_t len = (size_t)span_chr(rest, '\n') + 1;
		struct span line = span_sub(rest, 0, len - 2);
		bool cont =
		    line.len > 0 && (line.p[0] == ' ' || line.p[0] == '\t');

		if (cont && open) {
			off += len;
			continue;
		}
		if (open)
			field(h, span_make(in->p + start, off - start), out);
		open = false;
		if (line.len == 0)
			*blank_out = true;
		if (cont || field_name_len(line) == 0)
			break;
		start = off;
		open = true;
		off += len;
	}
	if (open)
		field(h, span_make(in->p + start, off - start), out);
	return off;
}

/* The display name of From: as atoms, a quoted string, or (with 8-bit
 * bytes) RFC 2047 encoded words of at most 75 characters, never
 * splitting a UTF-8 character. */
static void
add_phrase(struct buf *out, const unsigned char *s, size_t n)
{
	bool plain = true;
	bool ascii = true;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80)
			ascii = false;
		else if (strchr("()<>[]:;@\\,.\"", s[i]) != NULL)
			plain = false;
	}
	if (ascii && plain) {
		buf_add(out, s, n);
	} else if (ascii) {
		buf_addc(out, '"');
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_addc(out, '\\');
			buf_addc(out, s[i]);
		}
		buf_addc(out, '"');
	} else {
		for (i = 0; i < n;) {
			size_t k = n - i > 45 ? 45 : n - i;

			while (k > 1 && i + k < n && (s[i + k] & 0xc0) == 0x80)
				k--;
			buf_adds(out, i > 0 ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
			base64_encode(span_make(s + i, k), out);
			buf_adds(out, "?=");
			i += k;
		}
	}
}

/* From: with the full name (-F, $NAME or the passwd entry). */
static void
add_from(struct sendmail *sm, struct buf *out)
{
	const char *name = sm->o->full_name;
	unsigned char clean[FULL_NAME_MAX];
	size_t n = 0;

	if (name == NULL)
		name = getenv("NAME");
	if (name == NULL)
		name = sm->gecos != NULL ? sm->gecos : "";
	/* No control character may end the field early (header injection). */
	for (; *name != '\0' && n < sizeof(clean); name++) {
		unsigned char c = (unsigned char)*name;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c != ' ' || (n > 0 && clean[n - 1] != ' '))
			clean[n++] = c;
	}
	/* Where the name was cut, drop what may be half a UTF-8 character. */
	if (*name != '\0')
		while (n > 0 && clean[n - 1] >= 0x80)
			n--;
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	buf_adds(out, "From: ");
	if (n > 0) {
		add_phrase(out, clean, n);
		buf_adds(out, " <");
	}
	if (sm->sender[0] != '\0')
		buf_adds(out, sm->sender);
	else
		buf_addf(out, "MAILER-DAEMON@%s", sm->p->myorigin);
	buf_adds(out, n > 0 ? ">\r\n" : "\r\n");
}

/* The fields a message must have (RFC 5322 section 3.6), when missing. */
static int
add_missing(struct sendmail *sm, const struct header *h, struct buf *out,
            struct why *why)
{
	char date[64];
	char id[QID_SIZE];
	time_t now = time(NULL);
	struct tm tm;

	if (!h->has_date) {
		/* C locale: sendmail never calls setlocale. */
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
		buf_addf(out, "Date: %s\r\n", date);
	}
	if (!h->has_msgid) {
		if (qid_new(id, why) == -1)
			return EX_OSERR;
		buf_addf(out, "Message-ID: <%s@%s>\r\n", id, sm->p->myhostname);
	}
	if (!h->has_from)
		add_from(sm, out);
	return EX_OK;
}

/* -t: the recipients of Resent- fields when there are any (a resent
 * message goes to them only), else those of To:, Cc: and Bcc:. */
static int
extract(struct sendmail *sm, const struct header *h, struct why *why)
{
	const struct fields *f = h->resent.n > 0 ? &h->resent : &h->to;
	char what[64];
	size_t i;
	int status = EX_OK;

	for (i = 0; status == EX_OK && i < f->n; i++) {
		snprintf(what, sizeof(what), "%.*s: header",
		         (int)f->v[i].name.len, (const char *)f->v[i].name.p);
		status =
		    sendmail_rcpts_add(sm, &sm->rcpt, f->v[i].value, what, why);
	}
	return status;
}

static bool
has_8bit(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x80)
			return true;
	return false;
}

int
sendmail_msg_read(struct sendmail *sm, int fd, struct why *why)
{
	struct header h = {0};
	struct buf in;
	size_t body;
	size_t hdr_len;
	bool blank;
	int status;

	buf_init(&in, (size_t)sm->p->message_size_limit);
	buf_init(&sm->text, (size_t)sm->p->message_size_limit + ADDED_MAX);
	status = read_input(sm, fd, &in, why);
	if (status == EX_OK) {
		body = scan_header(&h, &in, &sm->text, &blank);
		status = add_missing(sm, &h, &sm->text, why);
		hdr_len = sm->text.len;
		/* A body that follows the header directly gets its empty
		 * line, so that the fields added above stay in the header. */
		if (!blank && body < in.len)
			buf_adds(&sm->text, "\r\n");
		buf_add(&sm->text, in.p + body, in.len - body);
		if (has_8bit(sm->text.p, hdr_len))
			sm->utf8 = true;
		sm->eight_bit = has_8bit(sm->text.p, sm->text.len);
	}
	if (status == EX_OK && sm->o->extract)
		status = extract(sm, &h, why);
	free(h.to.v);
	free(h.resent.v);
	buf_fini(&in);
	return status;
}
