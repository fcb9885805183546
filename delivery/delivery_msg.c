/*
 * delivery_msg.c - what the clients send, from the queue file (sender,
 * recipients with their DSN parameters, the content, whether it is 8-bit
 * and whether it needs SMTPUTF8), and how an outcome becomes a result:
 * its status code and a text worded as Postfix words it.
 * Linked into: delivery.  Runs as mail_owner.  Trust: the queue file is
 * ours and was checked by qfile_open; server text in outcomes is already
 * sanitised (smtpreply).
 */
#include <stdio.h>
#include <string.h>

#include "base/xmem.h"
#include "delivery.h"

/* The header: up to the first empty line (all of it when none). */
static struct span
header_of(struct span content)
{
	size_t i;

	for (i = 0; i + 1 < content.len; i++)
		if (content.p[i] == '\n' && content.p[i + 1] == '\r' &&
		    i + 2 < content.len && content.p[i + 2] == '\n')
			return span_sub(content, 0, i + 1);
	return content;
}

/*
 * RFC 6531 3.4: SMTPUTF8 is needed when the sender asked for it and an
 * address or the header holds UTF-8; a message that asked for it but is
 * all ASCII goes to any server (Postfix does the same).
 */
static bool
needs_smtputf8(const struct delivery_req *r)
{
	const struct qfile *q = r->q;
	size_t i;

	if (!q->env.smtputf8)
		return false;
	if (span_has_8bit(q->env.sender) ||
	    span_has_8bit(header_of(r->msg.content)))
		return true;
	for (i = 0; i < r->req.nrcpt; i++)
		if (span_has_8bit(q->rcpt[r->rcpt[i].index].addr))
			return true;
	return false;
}

void
delivery_msg_build(struct delivery_req *r)
{
	const struct qfile *q = r->q;
	size_t i;

	r->crcpt = xcalloc(r->req.nrcpt, sizeof(*r->crcpt));
	for (i = 0; i < r->req.nrcpt; i++) {
		const struct qfile_rcpt *qr = &q->rcpt[r->rcpt[i].index];
		struct smtpclient_rcpt *c = &r->crcpt[i];

		c->addr = qr->addr;
		c->notify = qr->notify;
		/* orig is the ORCPT address only when a type was given. */
		if (qr->orcpt_type.len > 0) {
			c->orcpt_type = qr->orcpt_type;
			c->orcpt = qr->orig;
		}
	}
	memset(&r->msg, 0, sizeof(r->msg));
	r->msg.sender = q->env.sender;
	r->msg.rcpt = r->crcpt;
	r->msg.nrcpt = r->req.nrcpt;
	r->msg.content = span_make((const unsigned char *)q->map +
	    q->content_off, (size_t)q->content_len);
	/*
	 * BODY=8BITMIME when declared or when 8-bit bytes are there.  A
	 * server without 8BITMIME gets the text as it is, as Postfix sends
	 * it (smtp(8) says why).
	 */
	r->msg.eightbit = q->env.body != QFILE_BODY_7BIT ||
	    span_has_8bit(r->msg.content);
	r->msg.smtputf8 = needs_smtputf8(r);
	r->msg.ret = q->env.ret;
	r->msg.envid = q->env.envid;
}

void
delivery_msg_dsn(const struct smtpclient_reply *e, char *state,
    char dsn[QFILE_DSN_SIZE])
{
	int cls = e->code / 100;

	*state = cls == 2 ? DELIVERREQ_SENT :
	    cls == 5 ? DELIVERREQ_BOUNCED : DELIVERREQ_DEFERRED;
	if (*state == DELIVERREQ_DEFERRED)
		cls = 4;
	if (e->enh[0] == '0' + cls && deliverreq_dsn_ok(e->enh, *state))
		snprintf(dsn, QFILE_DSN_SIZE, "%s", e->enh);
	else
		snprintf(dsn, QFILE_DSN_SIZE, "%c.0.0", (char)('0' + cls));
}

void
delivery_msg_text(const struct smtpclient_reply *e, const char *peer,
    char *out, size_t size)
{
	const char *stage = e->stage != NULL ? e->stage : "talking";

	if (peer[0] == '\0') {
		snprintf(out, size, "%s", e->text);
		return;
	}
	switch (e->kind) {
	case SMTPCLIENT_REPLY:
		if (e->cmd == NULL || strcmp(e->cmd, "greeting") == 0)
			snprintf(out, size, "host %s refused to talk to me: %s",
			    peer, e->text);
		else
			snprintf(out, size, "host %s said: %s (in reply to %s "
			    "command)", peer, e->text, e->cmd);
		return;
	case SMTPCLIENT_CONNECT:
		snprintf(out, size, "connect to %s: %s", peer, e->text);
		return;
	case SMTPCLIENT_LOST:
		snprintf(out, size, "lost connection with %s while %s", peer,
		    stage);
		return;
	case SMTPCLIENT_TIMEOUT:
		snprintf(out, size, "conversation with %s timed out while %s",
		    peer, stage);
		return;
	case SMTPCLIENT_PROTOCOL:
		snprintf(out, size, "host %s: %s while %s", peer, e->text,
		    stage);
		return;
	default:
		snprintf(out, size, "host %s: %s", peer, e->text);
		return;
	}
}
