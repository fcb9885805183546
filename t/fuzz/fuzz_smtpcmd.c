/*
 * fuzz_smtpcmd.c - libFuzzer target for lib/mail/smtpcmd: every output
 * span lies inside the line, a failure names its kind, accepted xtext
 * decodes, and an accepted path survives a format/parse round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtpcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

static void
check_spans(const struct smtpcmd *c, struct span in)
{
	check_inside(c->arg, in);
	check_inside(c->path.local, in);
	check_inside(c->path.domain, in);
	check_inside(c->envid, in);
	check_inside(c->auth_param, in);
	check_inside(c->orcpt_type, in);
	check_inside(c->orcpt, in);
	check_inside(c->auth_mech, in);
	check_inside(c->auth_initial, in);
}

static void
check_accepted(const struct smtpcmd *c)
{
	struct smtpaddr b;
	struct why why;
	struct buf out;

	buf_init(&out, 2048);
	if ((c->params & SMTPCMD_P_ENVID) &&
	    smtpcmd_xtext_decode(c->envid, &out) == -1)
		abort();
	if ((c->params & SMTPCMD_P_AUTH) &&
	    smtpcmd_xtext_decode(c->auth_param, &out) == -1)
		abort();
	if ((c->params & SMTPCMD_P_ORCPT) &&
	    span_eq_nocase(c->orcpt_type, "rfc822") &&
	    smtpcmd_xtext_decode(c->orcpt, &out) == -1)
		abort();
	buf_reset(&out);
	if ((c->verb == SMTPCMD_MAIL || c->verb == SMTPCMD_RCPT) &&
	    !c->path.is_null && c->path.domain.len > 0 &&
	    (smtpaddr_format(&c->path, &out) == -1 ||
	     smtpaddr_parse_mailbox(buf_span(&out), SMTPADDR_UTF8, &b, &why) ==
	         -1))
		abort();
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpcmd c;
	struct why why;
	struct span in = span_make(data, size);

	if (smtpcmd_parse(in, &c, &why) == 0) {
		if (c.err != SMTPCMD_ERR_NONE || c.verb == SMTPCMD_UNKNOWN)
			abort();
		check_accepted(&c);
	} else if (c.err == SMTPCMD_ERR_NONE || why.msg[0] == '\0') {
		abort();
	}
	check_spans(&c, in);
	return 0;
}
