/*
 * smtpclient_tx.c - one mail transaction of the SMTP/LMTP client: local
 * checks (SMTPUTF8, SIZE, address syntax), MAIL and RCPT with their ESMTP
 * parameters (pipelined with DATA when the server offers PIPELINING),
 * the text streamed from the borrowed content with back-pressure, and
 * the reply (SMTP) or replies (LMTP, one per accepted recipient) to the
 * final dot.
 * Linked into: the delivery agents.  Runs as mail_owner.  Trust: replies
 * are hostile but already parsed (smtpreply); addresses come from our
 * queue file and are still checked for control characters, so that no
 * byte of them can end a command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/qfile.h"
#include "mail/smtpclient_impl.h"
#include "mail/smtpcmd.h"

/* The text is queued in pieces of BODY_CHUNK while less than BODY_HIGH
 * bytes wait, and refilled when BODY_LOW bytes are left. */
#define BODY_CHUNK (64 * 1024)
#define BODY_HIGH (256 * 1024)
#define BODY_LOW (64 * 1024)
/* Longest address sent (RFC 5321 4.5.3.1.3 says 256; be lenient). */
#define MAX_ADDR 1000

/*
 * RFC 6533 3 utf-8-addr-xtext: UTF-8 is sent as it is; controls, space,
 * "+", "=" and "\" as "\x{HEX}".
 */
static int
utf8_xtext_encode(struct span in, struct buf *out)
{
	size_t mark = out->len;
	size_t i;
	int r = 0;

	for (i = 0; i < in.len && r == 0; i++) {
		unsigned char c = in.p[i];

		if (c <= 0x20 || c == 0x7f || c == '+' || c == '=' ||
		    c == '\\')
			r = buf_addf(out, "\\x{%02X}", c);
		else
			r = buf_addc(out, c);
	}
	if (r == -1)
		buf_truncate(out, mark);
	return r;
}

/* No byte of an address may end or bend a command line. */
static bool
addr_ok(struct span a)
{
	size_t i;

	if (a.len > MAX_ADDR)
		return false;
	for (i = 0; i < a.len; i++)
		if (a.p[i] < 0x20 || a.p[i] == 0x7f)
			return false;
	return true;
}

static void
local_reply(struct smtpclient_reply *r, int code, const char *enh,
    const char *text)
{
	smtpclient_set_reply(r, SMTPCLIENT_LOCAL, code, enh, SC_READY, "%s",
	    text);
	r->stage = NULL;
}

void
smtpclient_tx_clear(struct smtpclient *c)
{
	c->m = NULL;
	c->res = NULL;
	free(c->sendidx);
	free(c->accepted);
	c->sendidx = NULL;
	c->accepted = NULL;
	c->nsend = c->naccepted = 0;
}

void
smtpclient_tx_fail(struct smtpclient *c, const struct smtpclient_reply *e)
{
	size_t i;

	for (i = 0; i < c->m->nrcpt; i++)
		if (c->res[i].code == 0)
			c->res[i] = *e;
	smtpclient_tx_clear(c);
}

/* Every result is in: close the transaction, then call back. */
static void
tx_done(struct smtpclient *c)
{
	struct smtpclient_reply none;

	local_reply(&none, 451, "4.3.0", "no reply for this recipient");
	smtpclient_tx_fail(c, &none);
	if (c->tx_open) {
		/* MAIL was taken but no text went: end it for the next. */
		c->tx_open = false;
		smtpclient_cmd(c, "RSET", 4);
		smtpclient_wait(c, SC_TX_RSET, smtpclient_rset_ms(c));
		return;
	}
	smtpclient_idle(c);
	smtpclient_notify(c);
}

static void
mail_line(struct smtpclient *c)
{
	const struct smtpclient_msg *m = c->m;
	struct buf *b = &c->out;

	buf_reset(b);
	buf_adds(b, "MAIL FROM:<");
	buf_addspan(b, m->sender);
	buf_addc(b, '>');
	if (c->ext & SMTPREPLY_EXT_SIZE)
		buf_addf(b, " SIZE=%llu", (unsigned long long)m->content.len);
	if (m->eightbit && (c->ext & SMTPREPLY_EXT_8BITMIME))
		buf_adds(b, " BODY=8BITMIME");
	if (m->smtputf8 && (c->ext & SMTPREPLY_EXT_SMTPUTF8))
		buf_adds(b, " SMTPUTF8");
	if (!(c->ext & SMTPREPLY_EXT_DSN))
		return;
	if (m->ret == QFILE_RET_FULL || m->ret == QFILE_RET_HDRS)
		buf_adds(b, m->ret == QFILE_RET_FULL ? " RET=FULL" :
						      " RET=HDRS");
	if (m->envid.len > 0) {
		buf_adds(b, " ENVID=");
		smtpcmd_xtext_encode(m->envid, b);
	}
}

static void
orcpt_param(struct smtpclient *c, const struct smtpclient_rcpt *r)
{
	struct buf *b = &c->out;

	if (r->orcpt_type.len == 0 || r->orcpt.len == 0)
		return;
	if (span_eq_nocase(r->orcpt_type, "utf-8") &&
	    (c->ext & SMTPREPLY_EXT_SMTPUTF8)) {
		buf_adds(b, " ORCPT=utf-8;");
		utf8_xtext_encode(r->orcpt, b);
	} else if (!span_has_8bit(r->orcpt)) {
		/* RFC 6533 3: an ASCII address goes as rfc822 anyway. */
		buf_adds(b, " ORCPT=rfc822;");
		smtpcmd_xtext_encode(r->orcpt, b);
	}
}

static void
rcpt_line(struct smtpclient *c, size_t k)
{
	const struct smtpclient_rcpt *r = &c->m->rcpt[k];
	struct buf *b = &c->out;
	const char *sep = "=";

	buf_reset(b);
	buf_adds(b, "RCPT TO:<");
	buf_addspan(b, r->addr);
	buf_addc(b, '>');
	if (!(c->ext & SMTPREPLY_EXT_DSN))
		return;
	if (r->notify & QFILE_NOTIFY_NEVER)
		buf_adds(b, " NOTIFY=NEVER");
	else if (r->notify != 0) {
		buf_adds(b, " NOTIFY");
		if (r->notify & QFILE_NOTIFY_SUCCESS) {
			buf_addf(b, "%sSUCCESS", sep);
			sep = ",";
		}
		if (r->notify & QFILE_NOTIFY_FAILURE) {
			buf_addf(b, "%sFAILURE", sep);
			sep = ",";
		}
		if (r->notify & QFILE_NOTIFY_DELAY)
			buf_addf(b, "%sDELAY", sep);
	}
	orcpt_param(c, r);
}

static void
send_rcpt(struct smtpclient *c)
{
	rcpt_line(c, c->sendidx[c->rcpt_sent++]);
	smtpclient_cmd(c, (const char *)c->out.p, c->out.len);
}

/* Every result the checks here decide; false when nothing is to send. */
static bool
local_checks(struct smtpclient *c)
{
	const struct smtpclient_msg *m = c->m;
	struct smtpclient_reply all;
	char text[200];
	bool refuse = false;
	size_t i;

	if (!addr_ok(m->sender)) {
		local_reply(&all, 550, "5.1.7", "bad sender address syntax");
		refuse = true;
	} else if (m->smtputf8 && !(c->ext & SMTPREPLY_EXT_SMTPUTF8)) {
		local_reply(&all, 550, "5.6.7",
		    "SMTPUTF8 is required, but was not offered");
		refuse = true;
	} else if (c->size_max > 0 && m->content.len > c->size_max) {
		snprintf(text, sizeof(text), "message size %llu exceeds "
		    "size limit %llu of server",
		    (unsigned long long)m->content.len,
		    (unsigned long long)c->size_max);
		local_reply(&all, 552, "5.3.4", text);
		refuse = true;
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (refuse)
			c->res[i] = all;
		else if (!addr_ok(m->rcpt[i].addr))
			local_reply(&c->res[i], 550, "5.1.3",
			    "bad recipient address syntax");
		else
			c->sendidx[c->nsend++] = i;
	}
	return c->nsend > 0;
}

int
smtpclient_send(struct smtpclient *c, const struct smtpclient_msg *m,
    struct smtpclient_reply *results, smtpclient_fn *fn, void *arg)
{
	size_t i;

	if (!smtpclient_usable(c) || m->nrcpt == 0)
		return -1;
	c->m = m;
	c->res = results;
	c->fn = fn;
	c->arg = arg;
	memset(results, 0, m->nrcpt * sizeof(*results));
	c->sendidx = xcalloc(m->nrcpt, sizeof(*c->sendidx));
	c->accepted = xcalloc(m->nrcpt, sizeof(*c->accepted));
	c->rcpt_sent = c->rcpt_replied = c->dot_replied = 0;
	c->mail_ok = c->tx_open = false;
	c->pipelining = (c->ext & SMTPREPLY_EXT_PIPELINING) != 0;
	if (!local_checks(c)) {
		tx_done(c);
		return 0;
	}
	mail_line(c);
	smtpclient_cmd(c, (const char *)c->out.p, c->out.len);
	if (c->pipelining) {
		/* RFC 2920 3.1: MAIL, the RCPTs and DATA in one group. */
		for (i = 0; i < c->nsend; i++)
			send_rcpt(c);
		smtpclient_cmd(c, "DATA", 4);
	}
	smtpclient_wait(c, SC_MAIL, c->to.mail);
	return 0;
}

static void
on_mail(struct smtpclient *c)
{
	struct smtpclient_reply r;
	size_t i;

	smtpclient_take_reply(c, SC_MAIL, &r);
	if (smtpreply_class(&c->reply) == 2) {
		c->mail_ok = true;
		c->tx_open = true;
	} else {
		for (i = 0; i < c->nsend; i++)
			c->res[c->sendidx[i]] = r;
	}
	if (c->pipelining) {
		smtpclient_wait(c, SC_RCPT, c->to.rcpt);
	} else if (!c->mail_ok) {
		tx_done(c);
	} else {
		send_rcpt(c);
		smtpclient_wait(c, SC_RCPT, c->to.rcpt);
	}
}

static void
on_rcpt(struct smtpclient *c)
{
	size_t k = c->sendidx[c->rcpt_replied++];

	if (c->mail_ok) {
		if (smtpreply_class(&c->reply) == 2)
			c->accepted[c->naccepted++] = k;
		else
			smtpclient_take_reply(c, SC_RCPT, &c->res[k]);
	}
	if (c->rcpt_replied < c->nsend) {
		if (!c->pipelining)
			send_rcpt(c);
		smtpclient_wait(c, SC_RCPT, c->to.rcpt);
		return;
	}
	if (!c->pipelining) {
		if (c->naccepted == 0) {
			tx_done(c);
			return;
		}
		smtpclient_cmd(c, "DATA", 4);
	}
	smtpclient_wait(c, SC_DATA, c->to.data_init);
}

void
smtpclient_tx_pump(void *arg)
{
	struct smtpclient *c = arg;
	struct span content;
	size_t took;

	if (c->state != SC_BODY || c->m == NULL)
		return;
	content = c->m->content;
	while (lineio_pending(c->io) < BODY_HIGH) {
		buf_reset(&c->out);
		took = smtpstuff_encode(&c->stuff, span_sub(content,
		    (size_t)c->body_off, content.len - (size_t)c->body_off),
		    &c->out, BODY_CHUNK);
		c->body_off += took;
		if (c->body_off == content.len &&
		    smtpstuff_finish(&c->stuff, &c->out) == -1)
			log_panic("smtpclient: no room for the end of data");
		if (lineio_write(c->io, c->out.p, c->out.len) == -1)
			return;		/* ending: the event follows */
		if (c->body_off == content.len) {
			lineio_set_drain(c->io, 0, NULL, NULL);
			lineio_resume(c->io);
			smtpclient_wait(c, SC_DOT, c->to.data_done);
			return;
		}
	}
}

/*
 * The text goes out piece by piece as the server takes it.  Reading
 * stops meanwhile, so that the idle timeout measures the progress of the
 * text (data_xfer) rather than the server's silence, which is expected.
 */
static void
start_body(struct smtpclient *c)
{
	smtpstuff_init(&c->stuff);
	c->body_off = 0;
	lineio_pause(c->io);
	smtpclient_wait(c, SC_BODY, c->to.data_xfer);
	lineio_set_drain(c->io, BODY_LOW, smtpclient_tx_pump, c);
	smtpclient_tx_pump(c);
}

static void
give_accepted(struct smtpclient *c, enum sc_state st)
{
	size_t i;

	for (i = 0; i < c->naccepted; i++)
		smtpclient_take_reply(c, st, &c->res[c->accepted[i]]);
}

static void
on_data(struct smtpclient *c)
{
	if (c->reply.code == 354) {
		if (!c->mail_ok || c->naccepted == 0) {
			/* RFC 2920 3.1: no recipient, yet 354: end it. */
			smtpclient_cmd(c, ".", 1);
			smtpclient_wait(c, SC_DOT_EMPTY, c->to.data_done);
			return;
		}
		start_body(c);
		return;
	}
	if (c->mail_ok)
		give_accepted(c, SC_DATA);
	tx_done(c);
}

static void
on_dot(struct smtpclient *c)
{
	if (c->lmtp) {
		/* RFC 2033 4.2: one reply per accepted recipient, in order. */
		size_t k = c->accepted[c->dot_replied++];

		smtpclient_take_reply(c, SC_DOT, &c->res[k]);
		if (c->dot_replied < c->naccepted) {
			smtpclient_wait(c, SC_DOT, c->to.data_done);
			return;
		}
	} else {
		give_accepted(c, SC_DOT);
	}
	c->tx_open = false;
	tx_done(c);
}

void
smtpclient_tx_reply(struct smtpclient *c)
{
	switch (c->state) {
	case SC_MAIL:
		on_mail(c);
		return;
	case SC_RCPT:
		on_rcpt(c);
		return;
	case SC_DATA:
		on_data(c);
		return;
	case SC_BODY:
	case SC_DOT:
		on_dot(c);
		return;
	case SC_DOT_EMPTY:
		c->tx_open = false;
		tx_done(c);
		return;
	case SC_TX_RSET:
		if (smtpreply_class(&c->reply) != 2) {
			struct smtpclient_reply e;

			smtpclient_take_reply(c, SC_TX_RSET, &e);
			smtpclient_fail(c, &e);
			return;
		}
		smtpclient_idle(c);
		smtpclient_notify(c);
		return;
	default:
		return;
	}
}
