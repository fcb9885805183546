/*
 * pop3top.c - the cut of TOP: the header, its empty line, n body lines.
 * Linked into: pop3d.  Trust: any bytes; only the state changes.
 */
#include "mail/pop3top.h"

void
pop3top_init(struct pop3top *t, uint64_t lines)
{
	t->left = lines;
	t->body = false;
	t->bol = true;
	t->cr_only = false;
	t->done = false;
}

/* A line ended (its LF is at the current byte). */
static void
line_end(struct pop3top *t, bool empty)
{
	if (!t->body) {
		/* The empty line is sent; the body starts after it. */
		if (empty) {
			t->body = true;
			t->done = t->left == 0;
		}
		return;
	}
	if (--t->left == 0)
		t->done = true;
}

size_t
pop3top_take(struct pop3top *t, struct span in)
{
	size_t i;

	if (t->done)
		return 0;
	for (i = 0; i < in.len; i++) {
		unsigned char c = in.p[i];

		if (c == '\n') {
			line_end(t, t->bol || t->cr_only);
			t->bol = true;
			t->cr_only = false;
			if (t->done)
				return i + 1;
			continue;
		}
		t->cr_only = t->bol && c == '\r';
		t->bol = false;
	}
	return in.len;
}
