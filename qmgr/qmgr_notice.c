/*
 * qmgr_notice.c - qmgr's socket: one line per notice, LF-ended:
 *   NEW QID    smtpd queued QID in incoming/
 *   SCAN       scan incoming/ and the due part of deferred/ now
 *              (postern queue flush makes deferred files due first)
 * Anything else is logged and ignored; a sender may close at any time.
 * Linked into: qmgr.  Trust: the socket is reachable by mail_owner's
 * group only; lines are still parsed strictly and ids checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

/* Notice lines are short; idle senders are dropped after this. */
#define NOTICE_MAX_LINE 128
#define NOTICE_IDLE_MS (60 * 1000)
/* Connections at once (beyond: refused at once). */
#define NOTICE_MAX_CONN 1000

struct qmgr_notice {
	struct qmgr *qm;
	struct lineio *io;
	struct qmgr_notice *next;
	struct qmgr_notice **prevp;
};

static size_t nconn;

static void
notice_free(struct qmgr_notice *n)
{
	*n->prevp = n->next;
	if (n->next != NULL)
		n->next->prevp = n->prevp;
	lineio_free(&n->io);
	free(n);
	nconn--;
}

static void
on_line(void *arg, struct span line)
{
	struct qmgr_notice *n = arg;
	char esc[LOG_ESC_SIZE];
	char qid[QID_SIZE];

	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	if (span_startswith_nocase(line, "NEW ") && line.len > 4 &&
	    qid_valid(span_sub(line, 4, line.len - 4))) {
		snprintf(qid, sizeof(qid), "%.*s", (int)line.len - 4,
		    (const char *)line.p + 4);
		qmgr_incoming(n->qm, qid);
		return;
	}
	if (span_eq(line, "SCAN")) {
		qmgr_scan(n->qm, true);
		return;
	}
	log_warn("notice socket: unknown notice: %s", log_esc(line, esc));
}

static void
on_event(void *arg, enum lineio_event ev)
{
	(void)ev;
	notice_free(arg);
}

void
qmgr_notice_accept(struct qmgr *qm, int fd)
{
	struct qmgr_notice *n;

	if (nconn >= NOTICE_MAX_CONN) {
		close(fd);
		return;
	}
	n = xcalloc(1, sizeof(*n));
	n->qm = qm;
	n->io = lineio_new(qm->svc->base, fd, NOTICE_MAX_LINE, NOTICE_IDLE_MS,
	    on_line, on_event, n);
	if (n->io == NULL) {
		free(n);
		return;
	}
	n->next = qm->notices;
	if (n->next != NULL)
		n->next->prevp = &n->next;
	n->prevp = &qm->notices;
	qm->notices = n;
	nconn++;
}

void
qmgr_notice_free_all(struct qmgr *qm)
{
	while (qm->notices != NULL)
		notice_free(qm->notices);
}
