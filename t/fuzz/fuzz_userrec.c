/*
 * fuzz_userrec.c - libFuzzer target for userrec_parse() and
 * userrec_format() (lib/mail/userrec), the user records authd reads from
 * the users table.
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: a record either parses or comes with a reason; every span
 * of a parsed record lies inside the input, in field order, within its
 * limit and without control characters (the hash also without ':'); a
 * host is letters, digits, '-' and '.'; a parsed record formats, and the
 * formatted text parses back to the same record; parsing is
 * deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/userrec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static bool
inside(struct span in, struct span s)
{
	if (s.len == 0)
		return true;
	return s.p >= in.p && s.len <= in.len &&
	    (size_t)(s.p - in.p) <= in.len - s.len;
}

static void
check_text(struct span s, size_t max, bool colon_ok)
{
	size_t i;

	check(s.len <= max);
	for (i = 0; i < s.len; i++) {
		check(s.p[i] >= 0x20 && s.p[i] != 0x7f);
		check(colon_ok || s.p[i] != ':');
	}
}

static void
check_host(struct span s)
{
	size_t i;

	check(s.len <= USERREC_MAX_HOST);
	for (i = 0; i < s.len; i++)
		check((s.p[i] >= 'a' && s.p[i] <= 'z') ||
		    (s.p[i] >= 'A' && s.p[i] <= 'Z') ||
		    (s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '-' ||
		    s.p[i] == '.');
	check(s.len == 0 || (s.p[0] != '.' && s.p[s.len - 1] != '.'));
}

static bool
same(const struct userrec *a, const struct userrec *b)
{
	return span_eq_span(a->password, b->password) &&
	    a->enabled == b->enabled && a->quota_bytes == b->quota_bytes &&
	    a->quota_messages == b->quota_messages &&
	    span_eq_span(a->mailhost, b->mailhost) &&
	    span_eq_span(a->name, b->name);
}

static void
check_record(struct span in, const struct userrec *u)
{
	struct userrec again;
	struct buf out;
	struct why why;

	check(inside(in, u->password) && inside(in, u->mailhost) &&
	    inside(in, u->name));
	if (u->password.len > 0)
		check(u->password.p == in.p);
	check_text(u->password, USERREC_MAX_HASH, false);
	check_host(u->mailhost);
	check_text(u->name, USERREC_MAX_NAME, true);
	buf_init(&out, 4 * 1024);
	check(userrec_format(u, &out) == 0);
	check(userrec_parse(buf_span(&out), &again, &why) == 0);
	check(same(u, &again));
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);
	struct userrec u;
	struct userrec u2;
	struct why why;
	struct why why2;
	int r;

	why.msg[0] = '\0';
	r = userrec_parse(in, &u, &why);
	check(userrec_parse(in, &u2, &why2) == r);
	if (r == -1) {
		check(why.msg[0] != '\0' && strcmp(why.msg, why2.msg) == 0);
		return 0;
	}
	check(r == 0 && same(&u, &u2));
	check_record(in, &u);
	return 0;
}
