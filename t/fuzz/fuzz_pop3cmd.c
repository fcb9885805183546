/*
 * fuzz_pop3cmd.c - libFuzzer target for lib/mail/pop3cmd: every output
 * span lies inside the line, a failure names its kind and a reason, an
 * accepted command is known and carries the arguments its verb needs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mail/pop3cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(struct span s, struct span in)
{
	if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

static void
check_accepted(const struct pop3cmd *c)
{
	if (c->err != POP3CMD_ERR_NONE || c->verb == POP3CMD_UNKNOWN)
		abort();
	switch (c->verb) {
	case POP3CMD_RETR:
	case POP3CMD_DELE:
	case POP3CMD_TOP:
		if (!c->has_msg)
			abort();
		break;
	case POP3CMD_USER:
	case POP3CMD_PASS:
		if (c->arg.len == 0 || span_chr(c->arg, '\0') >= 0 ||
		    span_chr(c->arg, '\r') >= 0 || span_chr(c->arg, '\n') >= 0)
			abort();
		break;
	case POP3CMD_AUTH:
		if ((c->has_ir && c->mech.len == 0) ||
		    c->mech.len > POP3CMD_MAX_MECH ||
		    span_chr(c->ir, ' ') >= 0)
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3cmd c;
	struct why why;
	struct span in = span_make(data, size);

	if (pop3cmd_parse(in, &c, &why) == 0)
		check_accepted(&c);
	else if (c.err == POP3CMD_ERR_NONE || why.msg[0] == '\0')
		abort();
	check_inside(c.arg, in);
	check_inside(c.mech, in);
	check_inside(c.ir, in);
	return 0;
}
