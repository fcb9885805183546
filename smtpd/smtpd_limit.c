/*
 * smtpd_limit.c - connection limits per client address: how many
 * connections it has open now, and how many it opened in the current
 * period (smtpd_client_connection_count_limit, _rate_limit).  One table
 * per smtpd process: master runs one smtpd per service, so the counts are
 * exact for that service.  Clients in mynetworks and local ones are not
 * counted.
 * Linked into: smtpd.  Trust: addresses come from accept(), not from the
 * client's words; the table's size is bounded by the open connections
 * plus the addresses seen in one period.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/event.h"
#include "base/xmem.h"
#include "smtpd.h"

#define NBUCKET 4096

struct client {
	char addr[64];
	uint64_t open;		/* connections now */
	uint64_t period_start;	/* ms */
	uint64_t opened;	/* connections in this period */
	struct client *next;
};

struct smtpd_limit {
	struct client *bucket[NBUCKET];
	uint64_t period_ms;
	uint64_t count_limit;
	uint64_t rate_limit;
};

static size_t
hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKET;
}

struct smtpd_limit *
smtpd_limit_new(const struct params *p)
{
	struct smtpd_limit *l = xcalloc(1, sizeof(*l));

	l->period_ms = p->smtpd_client_rate_time_unit * 1000;
	l->count_limit = p->smtpd_client_connection_count_limit;
	l->rate_limit = p->smtpd_client_connection_rate_limit;
	return l;
}

void
smtpd_limit_free(struct smtpd_limit **lp)
{
	struct smtpd_limit *l = *lp;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < NBUCKET; i++)
		while (l->bucket[i] != NULL) {
			struct client *c = l->bucket[i];

			l->bucket[i] = c->next;
			free(c);
		}
	free(l);
	*lp = NULL;
}

/* Find addr in its bucket, dropping entries that count nothing now. */
static struct client **
find(struct smtpd_limit *l, const char *addr, uint64_t now)
{
	struct client **cp = &l->bucket[hash(addr)];

	while (*cp != NULL) {
		struct client *c = *cp;

		if (strcmp(c->addr, addr) == 0)
			return cp;
		if (c->open == 0 && now - c->period_start >= l->period_ms) {
			*cp = c->next;
			free(c);
			continue;
		}
		cp = &c->next;
	}
	return cp;
}

enum smtpd_limit_res
smtpd_limit_enter(struct smtpd_limit *l, const char *addr)
{
	uint64_t now = event_now_ms();
	struct client **cp = find(l, addr, now);
	struct client *c = *cp;

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->period_start = now;
		*cp = c;
	}
	if (now - c->period_start >= l->period_ms) {
		c->period_start = now;
		c->opened = 0;
	}
	if (l->count_limit > 0 && c->open >= l->count_limit)
		return SMTPD_LIMIT_COUNT;
	if (l->rate_limit > 0 && c->opened >= l->rate_limit)
		return SMTPD_LIMIT_RATE;
	c->open++;
	c->opened++;
	return SMTPD_LIMIT_OK;
}

void
smtpd_limit_leave(struct smtpd_limit *l, const char *addr)
{
	struct client *c = *find(l, addr, event_now_ms());

	if (c != NULL && c->open > 0)
		c->open--;
}
