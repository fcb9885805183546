/*
 * userrec.c - parse and format user records, the values of the users
 * table (format: userrec.h, postern-users(5)).
 * Linked into: authd, postern (user), the unit tests and the fuzz
 * target.  Trust: values are admin-written but may be anything; each
 * field is bounded and checked, no allocation, no I/O, no logging.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/parse.h"
#include "mail/userrec.h"

#define NFIELDS 6
#define MAX_LABEL 63

enum field { F_HASH, F_ENABLED, F_QBYTES, F_QMSGS, F_HOST, F_NAME };

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
has_ctl(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (is_ctl(s.p[i]))
			return true;
	return false;
}

/* Split value at the first five ':'; fields not present are empty. */
static void
split_fields(struct span value, struct span f[NFIELDS])
{
	struct span rest = value;
	size_t i;
	long c;

	for (i = 0; i < NFIELDS - 1; i++) {
		/* No span_chr on an empty span: its pointer may be NULL. */
		c = rest.len > 0 ? span_chr(rest, ':') : -1;
		if (c == -1) {
			f[i] = rest;
			if (rest.len > 0)
				rest = span_sub(rest, rest.len, 0);
		} else {
			f[i] = span_sub(rest, 0, (size_t)c);
			rest = span_sub(rest, (size_t)c + 1, rest.len);
		}
	}
	f[NFIELDS - 1] = rest;
}

static int
check_hash(struct span s, struct why *why)
{
	if (s.len > USERREC_MAX_HASH)
		return why_set(why, "HASH: longer than %d bytes",
		    USERREC_MAX_HASH);
	if (has_ctl(s))
		return why_set(why, "HASH: holds a control character");
	return 0;
}

static int
parse_enabled(struct span s, bool *out)
{
	static const char *const yes[] = { "y", "yes", "true", "1" };
	static const char *const no[] = { "n", "no", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (span_eq_nocase(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (span_eq_nocase(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static bool
is_label(struct span l)
{
	size_t i;

	if (l.len == 0 || l.len > MAX_LABEL || l.p[0] == '-' ||
	    l.p[l.len - 1] == '-')
		return false;
	for (i = 0; i < l.len; i++)
		if (!((l.p[i] >= 'a' && l.p[i] <= 'z') ||
			(l.p[i] >= 'A' && l.p[i] <= 'Z') ||
			(l.p[i] >= '0' && l.p[i] <= '9') || l.p[i] == '-'))
			return false;
	return true;
}

/* Empty, or a host name: labels separated by single dots. */
static int
check_host(struct span s, struct why *why)
{
	struct span rest = s;
	long dot;

	if (s.len > USERREC_MAX_HOST)
		return why_set(why, "MAILHOST: longer than %d bytes",
		    USERREC_MAX_HOST);
	while (rest.len > 0) {
		dot = span_chr(rest, '.');
		if (!is_label(span_sub(rest, 0,
			    dot == -1 ? rest.len : (size_t)dot)))
			return why_set(why, "MAILHOST: not a host name");
		if (dot == -1)
			return 0;
		rest = span_sub(rest, (size_t)dot + 1, rest.len);
		if (rest.len == 0)
			return why_set(why, "MAILHOST: not a host name");
	}
	return 0;
}

static int
check_name(struct span s, struct why *why)
{
	if (s.len > USERREC_MAX_NAME)
		return why_set(why, "DISPLAY_NAME: longer than %d bytes",
		    USERREC_MAX_NAME);
	if (has_ctl(s))
		return why_set(why, "DISPLAY_NAME: holds a control character");
	return 0;
}

int
userrec_parse(struct span value, struct userrec *out, struct why *why)
{
	struct span f[NFIELDS];

	memset(out, 0, sizeof(*out));
	out->enabled = true;
	split_fields(value, f);
	if (check_hash(f[F_HASH], why) == -1)
		return -1;
	out->password = f[F_HASH];
	if (f[F_ENABLED].len > 0 &&
	    parse_enabled(f[F_ENABLED], &out->enabled) == -1)
		return why_set(why, "ENABLED: expected y or n");
	if (f[F_QBYTES].len > 0 &&
	    parse_size(f[F_QBYTES], &out->quota_bytes) == -1)
		return why_set(why, "QUOTA_BYTES: not a size");
	if (f[F_QMSGS].len > 0 &&
	    parse_u64(f[F_QMSGS], 0, UINT64_MAX, &out->quota_messages) == -1)
		return why_set(why, "QUOTA_MESSAGES: not a number");
	if (check_host(f[F_HOST], why) == -1)
		return -1;
	out->mailhost = f[F_HOST];
	if (check_name(f[F_NAME], why) == -1)
		return -1;
	out->name = f[F_NAME];
	return 0;
}

/* A size in its shortest exact form: 0, 512, 10k, 3m, 1g. */
static int
add_size(struct buf *out, uint64_t v)
{
	static const struct {
		uint64_t mult;
		char unit;
	} units[] = { { 1024ULL * 1024 * 1024, 'g' }, { 1024ULL * 1024, 'm' },
		{ 1024, 'k' } };
	size_t i;

	for (i = 0; v != 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (v % units[i].mult == 0)
			return buf_addf(out, "%" PRIu64 "%c", v / units[i].mult,
			    units[i].unit);
	return buf_addf(out, "%" PRIu64, v);
}

/* How many fields the record needs: trailing defaults are left out. */
static int
field_count(const struct userrec *u)
{
	if (u->name.len > 0)
		return 6;
	if (u->mailhost.len > 0)
		return 5;
	if (u->quota_messages != 0)
		return 4;
	if (u->quota_bytes != 0)
		return 3;
	return 2;
}

static int
add_fields(const struct userrec *u, struct buf *out)
{
	int n = field_count(u);

	if (buf_addspan(out, u->password) == -1 ||
	    buf_adds(out, u->enabled ? ":y" : ":n") == -1)
		return -1;
	if (n >= 3 && (buf_addc(out, ':') == -1 ||
			  add_size(out, u->quota_bytes) == -1))
		return -1;
	if (n >= 4 && buf_addf(out, ":%" PRIu64, u->quota_messages) == -1)
		return -1;
	if (n >= 5 && (buf_addc(out, ':') == -1 ||
			  buf_addspan(out, u->mailhost) == -1))
		return -1;
	if (n >= 6 && (buf_addc(out, ':') == -1 ||
			  buf_addspan(out, u->name) == -1))
		return -1;
	return 0;
}

int
userrec_format(const struct userrec *u, struct buf *out)
{
	struct why why;
	size_t start = out->len;

	if (check_hash(u->password, &why) == -1 ||
	    (u->password.len > 0 && span_chr(u->password, ':') != -1) ||
	    check_host(u->mailhost, &why) == -1 ||
	    check_name(u->name, &why) == -1)
		return -1;
	if (add_fields(u, out) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}
