/*
 * smtpaddr.c - parse RFC 5321 paths and mailboxes (RFC 6531 UTF-8 on
 * request) and write their canonical form.
 * Linked into: smtpd, the sendmail command.  Trust: every byte is peer
 * data; each scanner checks its index against the span before reading, and
 * nothing is routed on "%", "!" or a source route.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "mail/smtpaddr.h"

static bool
is_alnum(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5322 atext: the characters of a dot-string atom. */
static bool
is_atext(unsigned c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * At in.p[i] >= 0x80: the length of its UTF-8 character, or 0 with why
 * when 8-bit is not allowed or the bytes are not UTF-8.
 */
static size_t
eight_bit(struct span in, size_t i, unsigned flags, bool *utf8, struct why *why)
{
	size_t n;

	if (!(flags & SMTPADDR_UTF8)) {
		why_set(why, "non-ASCII address without SMTPUTF8");
		return 0;
	}
	if ((n = span_utf8_len(span_sub(in, i, in.len - i))) == 0) {
		why_set(why, "invalid UTF-8 in address");
		return 0;
	}
	*utf8 = true;
	return n;
}

/* The local part as a dot-string from in.p[i]; *end gets where it stops. */
static int
scan_dot_string(struct span in, size_t i, unsigned flags, size_t *end,
                bool *utf8, struct why *why)
{
	size_t start = i, n;

	while (i < in.len) {
		unsigned char c = in.p[i];

		if (c == '.') {
			if (i == start)
				return why_set(why,
				               "local part starts with a dot");
			if (in.p[i - 1] == '.')
				return why_set(why, "two dots in local part");
			i++;
		} else if (is_atext(c)) {
			i++;
		} else if (c >= 0x80) {
			if ((n = eight_bit(in, i, flags, utf8, why)) == 0)
				return -1;
			i += n;
		} else {
			break;
		}
	}
	if (i == start)
		return why_set(why, "empty local part");
	if (in.p[i - 1] == '.')
		return why_set(why, "local part ends with a dot");
	*end = i;
	return 0;
}

/* A quoted-string from the '"' at in.p[i]; *end gets the byte after it. */
static int
scan_quoted(struct span in, size_t i, unsigned flags, size_t *end, bool *utf8,
            struct why *why)
{
	size_t start = i++, n;

	while (i < in.len) {
		unsigned char c = in.p[i];

		if (c == '"') {
			if (i == start + 1)
				return why_set(why, "empty quoted local part");
			*end = i + 1;
			return 0;
		}
		if (c == '\\') {
			if (i + 1 >= in.len || in.p[i + 1] < 32 ||
			    in.p[i + 1] > 126)
				return why_set(why,
				               "bad quoted pair in local part");
			i += 2;
		} else if (c >= 32 && c <= 126) {
			i++;
		} else if (c >= 0x80) {
			if ((n = eight_bit(in, i, flags, utf8, why)) == 0)
				return -1;
			i += n;
		} else {
			return why_set(why, "control character in local part");
		}
	}
	return why_set(why, "unterminated quoted local part");
}

/* One LDH label (U-labels with the UTF-8 flag); 8-bit already checked. */
static int
check_label(struct span l, bool last, struct why *why)
{
	size_t i;

	if (l.len == 0)
		return why_set(why, last ? "domain ends with a dot"
		                         : "empty label in domain");
	if (l.len > SMTPADDR_MAX_LABEL)
		return why_set(why, "domain label too long");
	if (l.p[0] == '-' || l.p[l.len - 1] == '-')
		return why_set(why,
		               "domain label starts or ends with a hyphen");
	for (i = 0; i < l.len; i++)
		if (!is_alnum(l.p[i]) && l.p[i] != '-' && l.p[i] < 0x80)
			return why_set(why, "bad character in domain");
	return 0;
}

static int
check_hostname(struct span d, unsigned flags, bool *utf8, struct why *why)
{
	size_t i, start = 0, n;

	if (d.len == 0)
		return why_set(why, "empty domain");
	if (d.len > SMTPADDR_MAX_DOMAIN)
		return why_set(why, "domain too long");
	for (i = 0; i < d.len; i++)
		if (d.p[i] >= 0x80) {
			if ((n = eight_bit(d, i, flags, utf8, why)) == 0)
				return -1;
			i += n - 1;
		}
	for (i = 0; i <= d.len; i++) {
		if (i < d.len && d.p[i] != '.')
			continue;
		if (check_label(span_make(d.p + start, i - start),
		                i == d.len && i > 0, why) == -1)
			return -1;
		start = i + 1;
	}
	return 0;
}

/* The content of "[...]": IPv4, "IPv6:" and an IPv6 address. */
static int
check_literal(struct span c, struct why *why)
{
	unsigned char addr[16];
	char tmp[64];

	if (c.len >= 5 && strncasecmp((const char *)c.p, "IPv6:", 5) == 0) {
		if (c.len - 5 >= sizeof(tmp))
			return why_set(why, "bad IPv6 address literal");
		memcpy(tmp, c.p + 5, c.len - 5);
		tmp[c.len - 5] = '\0';
		if (inet_pton(AF_INET6, tmp, addr) != 1)
			return why_set(why, "bad IPv6 address literal");
		return 0;
	}
	if (memchr(c.p, ':', c.len) != NULL)
		return why_set(why, "general address literal not supported");
	if (c.len >= sizeof(tmp))
		return why_set(why, "bad IPv4 address literal");
	memcpy(tmp, c.p, c.len);
	tmp[c.len] = '\0';
	if (inet_pton(AF_INET, tmp, addr) != 1)
		return why_set(why, "bad IPv4 address literal");
	return 0;
}

/* "[...]" from in.p[i]; *end gets the byte after "]". */
static int
scan_literal(struct span in, size_t i, size_t *end, struct why *why)
{
	size_t start = i++;

	/* RFC 5321 dcontent: printable ASCII but "[", "\" and "]". */
	while (i < in.len && in.p[i] >= 33 && in.p[i] <= 126 &&
	       in.p[i] != '[' && in.p[i] != '\\' && in.p[i] != ']')
		i++;
	if (i >= in.len || in.p[i] != ']')
		return why_set(why, "unterminated address literal");
	if (check_literal(span_make(in.p + start + 1, i - start - 1), why) ==
	    -1)
		return -1;
	*end = i + 1;
	return 0;
}

/* A host name from in.p[i]: it runs over LDH, dots and 8-bit bytes. */
static int
scan_hostname(struct span in, size_t i, unsigned flags, size_t *end, bool *utf8,
              struct why *why)
{
	size_t start = i;

	while (i < in.len && (is_alnum(in.p[i]) || in.p[i] == '-' ||
	                      in.p[i] == '.' || in.p[i] >= 0x80))
		i++;
	if (check_hostname(span_make(in.p + start, i - start), flags, utf8,
	                   why) == -1)
		return -1;
	*end = i;
	return 0;
}

/* local "@" domain from in.p[i]; *end gets where the domain stops. */
static int
scan_mailbox(struct span in, size_t i, unsigned flags, struct smtpaddr *out,
             size_t *end, struct why *why)
{
	size_t j = i;
	int r;

	out->is_quoted = i < in.len && in.p[i] == '"';
	r = out->is_quoted
	        ? scan_quoted(in, i, flags, &j, &out->has_utf8, why)
	        : scan_dot_string(in, i, flags, &j, &out->has_utf8, why);
	if (r == -1)
		return -1;
	out->local = span_make(in.p + i, j - i);
	if (out->local.len > SMTPADDR_MAX_LOCAL)
		return why_set(why, "local part too long");
	if (j >= in.len || in.p[j] == '>')
		return why_set(why, "missing @domain");
	if (in.p[j] != '@')
		return why_set(why, "bad character in local part");
	i = ++j;
	out->is_literal = i < in.len && in.p[i] == '[';
	r = out->is_literal
	        ? scan_literal(in, i, &j, why)
	        : scan_hostname(in, i, flags, &j, &out->has_utf8, why);
	if (r == -1)
		return -1;
	out->domain = span_make(in.p + i, j - i);
	if (out->domain.len > SMTPADDR_MAX_DOMAIN)
		return why_set(why, "domain too long");
	*end = j;
	return 0;
}

/* A source route "@a,@b:" from in.p[*i]; checked, then skipped. */
static int
skip_route(struct span in, size_t *i, unsigned flags, struct why *why)
{
	size_t j = *i;
	bool utf8 = false;

	for (;;) {
		if (j >= in.len || in.p[j] != '@')
			return why_set(why, "bad source route");
		if (scan_hostname(in, j + 1, flags, &j, &utf8, why) == -1)
			return -1;
		if (j < in.len && in.p[j] == ':')
			break;
		if (j >= in.len || in.p[j] != ',')
			return why_set(why, "bad source route");
		j++;
	}
	*i = j + 1;
	return 0;
}

static void
clear(struct smtpaddr *out)
{
	memset(out, 0, sizeof(*out));
	out->local = span_make("", 0);
	out->domain = span_make("", 0);
}

int
smtpaddr_parse_path(struct span in, unsigned flags, struct smtpaddr *out,
                    size_t *consumed_out, struct why *why)
{
	size_t i = 1, end;

	clear(out);
	if (in.len == 0 || in.p[0] != '<')
		return why_set(why, "address must be enclosed in <>");
	if (in.len > 1 && in.p[1] == '>') {
		if (!(flags & SMTPADDR_NULL_OK))
			return why_set(why, "null address not allowed here");
		out->is_null = true;
		*consumed_out = 2;
		return 0;
	}
	if ((flags & SMTPADDR_POSTMASTER_OK) && in.len >= 12 &&
	    strncasecmp((const char *)in.p + 1, "postmaster>", 11) == 0) {
		out->local = span_make(in.p + 1, 10);
		*consumed_out = 12;
		return 0;
	}
	if (in.len > 1 && in.p[1] == '@' &&
	    skip_route(in, &i, flags, why) == -1)
		return -1;
	if (scan_mailbox(in, i, flags, out, &end, why) == -1)
		return -1;
	if (end >= in.len)
		return why_set(why, "missing closing >");
	if (in.p[end] != '>')
		return why_set(why, "bad character after domain");
	if (end + 1 > SMTPADDR_MAX_PATH)
		return why_set(why, "address too long");
	*consumed_out = end + 1;
	return 0;
}

int
smtpaddr_parse_mailbox(struct span in, unsigned flags, struct smtpaddr *out,
                       struct why *why)
{
	size_t end;

	clear(out);
	if (scan_mailbox(in, 0, flags, out, &end, why) == -1)
		return -1;
	if (end != in.len)
		return why_set(why, "bad character after domain");
	if (in.len + 2 > SMTPADDR_MAX_PATH)
		return why_set(why, "address too long");
	return 0;
}

int
smtpaddr_check_domain(struct span in, unsigned flags, bool allow_literal,
                      bool *is_literal_out, struct why *why)
{
	bool utf8 = false;
	size_t end;

	*is_literal_out = in.len > 0 && in.p[0] == '[';
	if (*is_literal_out) {
		if (!allow_literal)
			return why_set(why, "address literal not allowed here");
		if (scan_literal(in, 0, &end, why) == -1)
			return -1;
		if (end != in.len)
			return why_set(why, "bad character after domain");
		return 0;
	}
	return check_hostname(in, flags, &utf8, why);
}

/* Whether the quoted local part q, unquoted, is a valid dot-string. */
static bool
unquoted_is_dot_string(struct span q)
{
	size_t i, n = 0;
	unsigned char prev = '.';

	for (i = 1; i + 1 < q.len; i++) {
		unsigned char c = q.p[i];

		if (c == '\\')
			c = q.p[++i];
		if (c == '.' && prev == '.')
			return false;
		if (c != '.' && !is_atext(c) && c < 0x80)
			return false;
		prev = c;
		n++;
	}
	return n > 0 && prev != '.';
}

static int
format_quoted(struct span q, struct buf *out)
{
	bool bare = unquoted_is_dot_string(q);
	size_t i;
	int r = 0;

	if (!bare)
		r |= buf_addc(out, '"');
	for (i = 1; i + 1 < q.len; i++) {
		if (q.p[i] == '\\')
			i++;
		if (!bare && (q.p[i] == '"' || q.p[i] == '\\'))
			r |= buf_addc(out, '\\');
		r |= buf_addc(out, q.p[i]);
	}
	if (!bare)
		r |= buf_addc(out, '"');
	return r;
}

int
smtpaddr_format(const struct smtpaddr *a, struct buf *out)
{
	size_t old = out->len, i;
	int r = 0;

	if (a->is_null)
		return 0;
	if (a->is_quoted)
		r |= format_quoted(a->local, out);
	else
		r |= buf_addspan(out, a->local);
	if (a->domain.len > 0)
		r |= buf_addc(out, '@');
	for (i = 0; i < a->domain.len; i++)
		r |= buf_addc(out, a->is_literal ? a->domain.p[i]
		                                 : lower(a->domain.p[i]));
	if (r != 0) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

bool
smtpaddr_domain_eq(struct span a, struct span b)
{
	return span_eq_span_nocase(a, b);
}
