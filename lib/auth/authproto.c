/*
 * authproto.c - parse and format authd protocol lines.
 * Linked into: authd and its clients.  Trust: hostile input in authd;
 * every byte is checked, every length bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/authproto.h"
#include "base/parse.h"
#include "base/xmem.h"

void
authproto_init(struct authproto_msg *msg, size_t max)
{
	memset(msg, 0, sizeof(*msg));
	buf_init(&msg->store, max);
}

void
authproto_fini(struct authproto_msg *msg)
{
	buf_wipe(&msg->store);
	free(msg->field);
	msg->field = NULL;
	msg->nfield = 0;
}

/* Unescape one field into store; -1 on a bad byte or escape. */
static int
unescape(struct span in, struct buf *store, struct why *why)
{
	size_t i;

	for (i = 0; i < in.len; i++) {
		unsigned char c = in.p[i];

		if (c == '\0' || c == '\r' || c == '\n')
			return why_set(why, "control byte in a field");
		if (c == '\\') {
			const char *from = "\\tnr";
			const char *to = "\\\t\n\r";
			const char *hit = i + 1 < in.len ?
			    strchr(from, in.p[i + 1]) : NULL;

			if (hit == NULL || in.p[i + 1] == '\0')
				return why_set(why, "bad escape in a field");
			c = (unsigned char)to[hit - from];
			i++;
		}
		if (buf_addc(store, c) == -1)
			return why_set(why, "message too long");
	}
	return 0;
}

static int
check_word(struct span w, struct why *why)
{
	size_t i;

	if (w.len == 0 || w.len > 16)
		return why_set(why, "bad command word");
	for (i = 0; i < w.len; i++)
		if (w.p[i] < 'A' || w.p[i] > 'Z')
			return why_set(why, "bad command word");
	return 0;
}

/* Split the fields after id and word; offsets first, spans after. */
static int
parse_fields(struct span rest, struct authproto_msg *msg, struct why *why)
{
	size_t *end = NULL;
	size_t n = 0;
	size_t i;
	int r = 0;

	while (r == 0 && rest.len > 0) {
		long tab = span_chr(rest, '\t');
		size_t len = tab == -1 ? rest.len : (size_t)tab;

		if (n == AUTHPROTO_MAX_FIELDS) {
			r = why_set(why, "too many fields");
			break;
		}
		r = unescape(span_make(rest.p, len), &msg->store, why);
		end = xreallocarray(end, n + 1, sizeof(*end));
		end[n++] = msg->store.len;
		rest = tab == -1 ? span_make(NULL, 0) :
				   span_sub(rest, len + 1, rest.len);
		if (tab != -1 && rest.len == 0 && r == 0) {
			end = xreallocarray(end, n + 1, sizeof(*end));
			end[n++] = msg->store.len;	/* trailing empty */
		}
	}
	msg->field = xreallocarray(NULL, n + 1, sizeof(*msg->field));
	for (i = 0; i < n; i++)
		msg->field[i] = span_make(msg->store.p + (i ? end[i - 1] : 0),
		    end[i] - (i ? end[i - 1] : 0));
	msg->nfield = n;
	free(end);
	return r;
}

int
authproto_parse(struct span line, struct authproto_msg *msg,
    struct why *why)
{
	long tab = span_chr(line, '\t');
	struct span id = span_make(line.p, tab == -1 ? line.len : (size_t)tab);
	struct span rest = tab == -1 ? span_make(NULL, 0) :
				       span_sub(line, (size_t)tab + 1, line.len);
	uint64_t v;

	buf_reset(&msg->store);
	free(msg->field);
	msg->field = NULL;
	msg->nfield = 0;
	msg->id = 0;
	msg->word = span_make(NULL, 0);
	if (parse_u64(id, 1, UINT32_MAX, &v) == -1)
		return why_set(why, "bad request id");
	msg->id = (uint32_t)v;
	tab = span_chr(rest, '\t');
	msg->word = span_make(rest.p, tab == -1 ? rest.len : (size_t)tab);
	if (check_word(msg->word, why) == -1)
		return -1;
	rest = tab == -1 ? span_make(NULL, 0) :
			   span_sub(rest, (size_t)tab + 1, rest.len);
	if (tab != -1 && rest.len == 0) {
		/* One empty field. */
		msg->field = xcalloc(1, sizeof(*msg->field));
		msg->field[0] = span_make(NULL, 0);
		msg->nfield = 1;
		return 0;
	}
	return parse_fields(rest, msg, why);
}

static int
escape(struct buf *out, struct span f)
{
	size_t i;

	for (i = 0; i < f.len; i++) {
		unsigned char c = f.p[i];
		const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" :
		    c == '\n'		    ? "\\n" :
		    c == '\r'		    ? "\\r" : NULL;

		if (c == '\0')
			return -1;
		if (esc != NULL ? buf_adds(out, esc) : buf_addc(out, c))
			return -1;
	}
	return 0;
}

int
authproto_format(struct buf *out, uint32_t id, const char *word,
    const struct span *fields, size_t n)
{
	size_t old = out->len;
	size_t i;

	if (buf_addf(out, "%u\t%s", (unsigned)id, word) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (buf_addc(out, '\t') == -1 || escape(out, fields[i]) == -1) {
			buf_truncate(out, old);
			return -1;
		}
	}
	if (buf_addc(out, '\n') == -1) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}
