/*
 * fuzz_dnsmsg.c - libFuzzer target for dnsmsg_parse() and dnsmsg_query()
 * (lib/base/dnsmsg), what the SMTP client makes of a DNS response.
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Invariants: the result is 0 or -1, and the same for a second parse;
 * an accepted message has at most DNSMSG_MAX_RR records, none with TC,
 * only records of the kept types with the right data, and every name
 * (question, owners, targets) is text of at most 253 printable bytes,
 * without empty labels; the question name, asked again with
 * dnsmsg_query(), gives a query that parses back to the same question
 * (or is refused only when it is the root).  The input taken as a name
 * either is refused by dnsmsg_query() or gives a query that parses (to
 * that name, when it is printable).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dnsmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_name(const char *name)
{
	size_t len = strnlen(name, DNSMSG_NAME_SIZE);
	size_t i;

	check(len < DNSMSG_NAME_SIZE);
	if (len == 0)
		return;
	check(name[0] != '.' && name[len - 1] != '.' &&
	    strstr(name, "..") == NULL);
	for (i = 0; i < len; i++)
		check(name[i] > ' ' && name[i] < 0x7f);
}

static void
check_rr(const struct dnsmsg_rr *rr)
{
	check_name(rr->owner);
	check(rr->type == DNSMSG_A || rr->type == DNSMSG_AAAA ||
	    rr->type == DNSMSG_MX || rr->type == DNSMSG_CNAME);
	check(rr->pref <= 0xffff);
	if (rr->type == DNSMSG_MX || rr->type == DNSMSG_CNAME)
		check_name(rr->target);
}

/* Two parses of the same record agree (the bytes past each name's NUL
 * are left over from earlier parses). */
static bool
same_rr(const struct dnsmsg_rr *a, const struct dnsmsg_rr *b)
{
	if (a->type != b->type || strcmp(a->owner, b->owner) != 0)
		return false;
	if (a->type == DNSMSG_A || a->type == DNSMSG_AAAA)
		return memcmp(a->addr, b->addr, a->type == DNSMSG_A ? 4 : 16) ==
		    0;
	return a->pref == b->pref && strcmp(a->target, b->target) == 0;
}

/* Ask name again: the query must parse back to the same question. */
static void
round_trip(const char *name, uint16_t type, struct dnsmsg_reply *r)
{
	unsigned char q[DNSMSG_QUERY_MAX];
	struct why why;
	size_t len;

	if (dnsmsg_query(0x4242, name, type, q, sizeof(q), &len, &why) == -1) {
		check(name[0] == '\0');
		return;
	}
	check(len <= sizeof(q));
	check(dnsmsg_parse(span_make(q, len), r, &why) == 0);
	check(!r->qr && r->rd && r->id == 0x4242 && r->qtype == type &&
	    r->nrr == 0 && strcmp(r->qname, name) == 0);
	check(!dnsmsg_is_reply_to(r, 0x4242, name, type));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsmsg_reply r;
	static struct dnsmsg_reply again;
	struct span in = span_make(data, size);
	struct why why;
	char name[DNSMSG_NAME_SIZE + 8];
	size_t i;
	int rc = dnsmsg_parse(in, &r, &why);

	check(rc == 0 || rc == -1);
	check(dnsmsg_parse(in, &again, &why) == rc);
	if (rc == 0) {
		check(r.nrr <= DNSMSG_MAX_RR && r.nrr + r.nother <= r.ancount);
		check(!r.tc || r.nrr + r.nother == 0);
		check(r.rcode <= 15 && r.opcode <= 15);
		check_name(r.qname);
		check(strcmp(r.qname, again.qname) == 0 && r.nrr == again.nrr);
		for (i = 0; i < r.nrr; i++) {
			check_rr(&r.rr[i]);
			check(same_rr(&r.rr[i], &again.rr[i]));
		}
		memcpy(name, r.qname, sizeof(r.qname));
		round_trip(name, r.qtype, &again);
	}
	/* The input as a name: a query that parses back to it. */
	if (size < sizeof(name) && memchr(data, '\0', size) == NULL) {
		unsigned char q[DNSMSG_QUERY_MAX];
		bool printable = true;
		size_t len;

		memcpy(name, data, size);
		name[size] = '\0';
		for (i = 0; i < size; i++)
			printable = printable && data[i] > ' ' &&
			    data[i] < 0x7f;
		if (dnsmsg_query(7, name, DNSMSG_MX, q, sizeof(q), &len,
			&why) == 0) {
			check(dnsmsg_parse(span_make(q, len), &r, &why) == 0);
			check(!printable || dnsmsg_name_eq(r.qname, name));
		}
	}
	return 0;
}
