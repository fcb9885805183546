/*
 * qmgr_sched.c - destinations and scheduling: a message's recipients
 * wait on their destination (transport and next hop) in groups; the
 * scheduler takes one group from each destination in turn (round robin,
 * so that one destination with many messages cannot starve the others),
 * within a limit per destination and a limit over all.  A destination
 * that failed as a whole is suspended for minimal_backoff_time, and what
 * waits for it is deferred at once instead of trying it again for each
 * message.
 * Linked into: qmgr.  Trust: only our own state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

/* The key of a destination: "transport:nexthop". */
static void
dest_key(struct buf *b, const char *transport, const char *nexthop)
{
	buf_reset(b);
	buf_addf(b, "%s:%s", transport, nexthop);
}

static struct qmgr_dest *
dest_get(struct qmgr *qm, const char *transport, const char *nexthop)
{
	struct qmgr_dest *d;
	struct buf key;

	buf_init(&key, 2 * DELIVERREQ_NEXTHOP_SIZE);
	dest_key(&key, transport, nexthop);
	d = hmap_get(qm->dest_map, buf_span(&key));
	if (d == NULL) {
		d = xcalloc(1, sizeof(*d));
		snprintf(d->transport, sizeof(d->transport), "%s", transport);
		snprintf(d->nexthop, sizeof(d->nexthop), "%s", nexthop);
		d->tailp = &d->head;
		d->next = qm->dests;
		if (d->next != NULL)
			d->next->prevp = &d->next;
		d->prevp = &qm->dests;
		qm->dests = d;
		hmap_put(qm->dest_map, buf_span(&key), d);
	}
	buf_fini(&key);
	return d;
}

static void
dest_free(struct qmgr *qm, struct qmgr_dest *d)
{
	struct buf key;

	buf_init(&key, 2 * DELIVERREQ_NEXTHOP_SIZE);
	dest_key(&key, d->transport, d->nexthop);
	hmap_del(qm->dest_map, buf_span(&key));
	buf_fini(&key);
	*d->prevp = d->next;
	if (d->next != NULL)
		d->next->prevp = d->prevp;
	free(d);
}

void
qmgr_dest_release(struct qmgr *qm, struct qmgr_dest *d)
{
	if (d->active == 0 && d->head == NULL && !d->in_ring &&
	    (d->dead_until == 0 || d->dead_until <= qmgr_now()))
		dest_free(qm, d);
}

void
qmgr_dests_expire(struct qmgr *qm)
{
	struct qmgr_dest *d = qm->dests, *next;

	for (; d != NULL; d = next) {
		next = d->next;
		qmgr_dest_release(qm, d);
	}
}

/* Put d at the end of the ring of destinations with waiting entries. */
static void
ring_add(struct qmgr *qm, struct qmgr_dest *d)
{
	if (d->in_ring)
		return;
	d->ring_next = NULL;
	if (qm->ring_tail != NULL)
		qm->ring_tail->ring_next = d;
	else
		qm->ring = d;
	qm->ring_tail = d;
	d->in_ring = true;
	qm->nring++;
}

static void
ring_remove(struct qmgr *qm, struct qmgr_dest *d)
{
	struct qmgr_dest **pp, *prev = NULL;

	if (!d->in_ring)
		return;
	for (pp = &qm->ring; *pp != NULL; prev = *pp, pp = &(*pp)->ring_next)
		if (*pp == d) {
			*pp = d->ring_next;
			if (qm->ring_tail == d)
				qm->ring_tail = prev;
			break;
		}
	d->ring_next = NULL;
	d->in_ring = false;
	qm->nring--;
}

static void
dest_push(struct qmgr *qm, struct qmgr_dest *d, struct qmgr_entry *e)
{
	e->dest = d;
	e->next = NULL;
	*d->tailp = e;
	d->tailp = &e->next;
	d->nwaiting++;
	ring_add(qm, d);
}

static struct qmgr_entry *
dest_pop(struct qmgr_dest *d)
{
	struct qmgr_entry *e = d->head;

	if (e == NULL)
		return NULL;
	d->head = e->next;
	if (d->head == NULL)
		d->tailp = &d->head;
	d->nwaiting--;
	e->next = NULL;
	return e;
}

static struct qmgr_entry *
entry_new(struct qmgr_msg *m)
{
	struct qmgr_entry *e = xcalloc(1, sizeof(*e));

	e->msg = m;
	m->nentries++;
	return e;
}

void
qmgr_entry_done(struct qmgr *qm, struct qmgr_entry *e)
{
	struct qmgr_msg *m = e->msg;

	(void)qm;
	m->nentries--;
	free(e);
}

void
qmgr_enqueue(struct qmgr *qm, struct qmgr_msg *m)
{
	size_t limit = (size_t)qm->p->default_destination_recipient_limit;
	struct qmgr_entry *decided = NULL;
	struct qmgr_entry **open = NULL;	/* one open entry a dest */
	struct qmgr_dest **dests = NULL;
	struct hmap *slot = hmap_new();		/* dest -> index in open */
	size_t nopen = 0, i;

	if (limit > DELIVERREQ_MAX_RCPT)
		limit = DELIVERREQ_MAX_RCPT;
	for (i = 0; i < m->q->nrcpt; i++) {
		const struct qmgr_route *r = &m->route[i];
		char s = (char)m->q->rcpt[i].status.state;
		struct qmgr_entry **ep;
		struct qmgr_dest *d;
		size_t *k;

		if (s == QFILE_SENT || s == QFILE_BOUNCED)
			continue;
		if (r->state != 0) {
			/* Decided without a delivery. */
			if (decided != NULL && decided->nrcpt == limit) {
				qmgr_entry_fail(qm, decided, 0, NULL, NULL,
				    NULL);
				decided = NULL;
			}
			if (decided == NULL)
				decided = entry_new(m);
			decided->rcpt[decided->nrcpt++] = (uint32_t)i;
			continue;
		}
		d = dest_get(qm, r->transport, r->nexthop);
		k = hmap_get(slot, span_make(&d, sizeof(d)));
		if (k == NULL) {
			open = xreallocarray(open, nopen + 1, sizeof(*open));
			dests = xreallocarray(dests, nopen + 1,
			    sizeof(*dests));
			open[nopen] = NULL;
			dests[nopen] = d;
			k = xmalloc(sizeof(*k));
			*k = nopen++;
			hmap_put(slot, span_make(&d, sizeof(d)), k);
		}
		/* Recipients of one destination go in groups of limit. */
		ep = &open[*k];
		if (*ep != NULL && (*ep)->nrcpt == limit) {
			dest_push(qm, d, *ep);
			*ep = NULL;
		}
		if (*ep == NULL)
			*ep = entry_new(m);
		(*ep)->rcpt[(*ep)->nrcpt++] = (uint32_t)i;
	}
	for (i = 0; i < nopen; i++) {
		if (open[i] != NULL)
			dest_push(qm, dests[i], open[i]);
		free(hmap_del(slot, span_make(&dests[i], sizeof(dests[i]))));
	}
	hmap_free(&slot);
	free(open);
	free(dests);
	if (decided != NULL)
		qmgr_entry_fail(qm, decided, 0, NULL, NULL, NULL);
	if (m->nentries == 0)
		qmgr_finish(qm, m);
	else
		qmgr_kick(qm);
}

/* Defer everything waiting for a suspended destination. */
static void
drain_dead(struct qmgr *qm, struct qmgr_dest *d)
{
	struct qmgr_entry *e;

	while ((e = dest_pop(d)) != NULL)
		qmgr_entry_fail(qm, e, DELIVERREQ_DEFERRED, d->dead_dsn,
		    NULL, d->dead_reason);
	ring_remove(qm, d);
}

void
qmgr_schedule(struct qmgr *qm)
{
	size_t limit = (size_t)qm->p->qmgr_delivery_limit;
	size_t per_dest = (size_t)qm->p->default_destination_concurrency_limit;
	uint64_t now = qmgr_now();
	size_t idle = 0;

	event_timer_stop(qm->kick_timer);
	if (qm->svc->stopping)
		return;
	/* Round robin: one entry per destination per turn; stop when every
	 * destination in the ring had a turn without starting anything. */
	while (qm->ring != NULL && qm->ndeliveries < limit) {
		struct qmgr_dest *d = qm->ring;
		struct qmgr_entry *e;

		if (idle >= qm->nring)
			break;
		if (d->dead_until != 0 && d->dead_until <= now)
			d->dead_until = 0;
		if (d->dead_until != 0) {
			drain_dead(qm, d);
			idle = 0;
			continue;
		}
		ring_remove(qm, d);
		if (d->head == NULL) {
			qmgr_dest_release(qm, d);
			continue;
		}
		if (d->active >= per_dest) {
			ring_add(qm, d);
			idle++;
			continue;
		}
		e = dest_pop(d);
		if (d->head != NULL)
			ring_add(qm, d);
		idle = 0;
		d->active++;
		qm->ndeliveries++;
		qmgr_deliver(qm, e);
	}
	if (qm->backlog && qmgr_has_room(qm))
		qmgr_scan(qm, false);
}

void
qmgr_kick(struct qmgr *qm)
{
	if (!event_timer_is_pending(qm->kick_timer))
		event_timer_start(qm->kick_timer, 0, false);
}

void
qmgr_dest_dead(struct qmgr *qm, struct qmgr_dest *d, const char *dsn,
    const char *text)
{
	if (d->dead_until == 0)
		log_info("destination %s:%s suspended for %llus: %s",
		    d->transport, d->nexthop,
		    (unsigned long long)qm->p->minimal_backoff_time, text);
	d->dead_until = qmgr_now() + qm->p->minimal_backoff_time;
	snprintf(d->dead_dsn, sizeof(d->dead_dsn), "%s", dsn);
	snprintf(d->dead_reason, sizeof(d->dead_reason),
	    "delivery temporarily suspended: %s", text);
	if (d->in_ring)
		drain_dead(qm, d);
}

void
qmgr_dests_free(struct qmgr *qm)
{
	struct qmgr_dest *d;
	struct qmgr_entry *e;

	while ((d = qm->dests) != NULL) {
		while ((e = dest_pop(d)) != NULL)
			free(e);
		dest_free(qm, d);
	}
	qm->ring = qm->ring_tail = NULL;
	qm->nring = 0;
	hmap_free(&qm->dest_map);
}
