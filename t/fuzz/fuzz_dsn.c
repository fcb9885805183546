/*
 * fuzz_dsn.c - libFuzzer target for lib/mail/dsn: notices made from
 * hostile addresses, replies and originals keep their shape.  The first
 * byte holds flags (SMTPUTF8, 8BITMIME allowed, RET, a small size limit,
 * the recipients' actions); the rest is split at 0x1e into the To
 * address, the From name, the ENVID, the original, then for each of up
 * to three recipients its address, ORCPT, Remote-MTA, reply, reason and
 * status.  Checked: every line ends in CRLF and fits in 998 octets, no
 * NUL, a notice without SMTPUTF8 or 8BITMIME is 7-bit, the header holds
 * only our fields, the boundary delimits exactly three parts, and the
 * same input gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn.h"
#include "mail/hdr.h"

#define MAX_FIELDS 22

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_lines(struct span s, bool eight)
{
	size_t i, col = 0;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\r') {
			if (i + 1 >= s.len || s.p[i + 1] != '\n')
				abort();
			col = 0;
			i++;
			continue;
		}
		if (s.p[i] == '\n' || s.p[i] == '\0' || ++col > 998 ||
		    (!eight && s.p[i] >= 0x80))
			abort();
	}
	if (s.len < 2 || s.p[s.len - 1] != '\n')
		abort();
}

/* Only our fields in the notice's header; returns the boundary line
 * (CRLF "--" boundary) from the Content-Type field. */
static struct span
check_header(struct span s, char *bline, size_t size)
{
	static const char *const ours[] = {
	    "From",         "To",           "Subject",
	    "Date",         "Message-ID",   "Auto-Submitted",
	    "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
	struct hdr_iter it;
	struct hdr_field f;
	struct span ct = {0};
	const char *b;
	size_t i, n = 0;

	hdr_init(&it, s);
	while (hdr_next(&it, &f)) {
		for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			if (span_eq(f.name, ours[i]))
				break;
		if (i == sizeof(ours) / sizeof(ours[0]))
			abort();
		if (i == 7)
			ct = f.value;
		n++;
	}
	b = ct.len > 0 ? memmem(ct.p, ct.len, "boundary=\"", 10) : NULL;
	if (n < 8 || b == NULL)
		abort();
	b += 10;
	n = (size_t)((const char *)memchr(b, '"', ct.len) - b);
	if (n + 8 > size)
		abort();
	memcpy(bline, "\r\n--", 4);
	memcpy(bline + 4, b, n);
	bline[n + 4] = '\0';
	return span_make(bline, n + 4);
}

static size_t
count(struct span hay, struct span needle)
{
	size_t i, k = 0;

	for (i = 0; i + needle.len <= hay.len; i++)
		if (memcmp(hay.p + i, needle.p, needle.len) == 0)
			k++;
	return k;
}

static void
check_notice(struct span s, bool eight)
{
	char bline[128];
	struct span b;

	check_lines(s, eight);
	b = check_header(s, bline, sizeof(bline));
	/* Three part delimiters and the close, and nothing else. */
	if (count(s, b) != 4)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span f[MAX_FIELDS] = {{0}};
	struct dsn_rcpt r[3];
	struct dsn_notice n = {0};
	struct dsn_info info;
	struct buf out, again;
	struct why why;
	size_t nf = 0, i, start;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	for (i = start = 1; i <= size && nf < MAX_FIELDS; i++)
		if (i == size || data[i] == 0x1e) {
			f[nf++] = span_make(data + start, i - start);
			start = i + 1;
		}
	n.mta = span_str("mx.example.org");
	n.to = f[0].len > 0 ? f[0] : span_str("a@example.org");
	n.from_name = f[1];
	n.envid = f[2];
	n.content = f[3];
	n.date = 1700000000;
	n.tz_minutes = (int)(flags & 0x0f) * 60 - 420;
	n.message_id = span_str("id@mx.example.org");
	n.queue_id = span_str("0AbCdEfGhIjKlMnOpQ");
	n.arrival = 1699990000;
	n.smtputf8 = flags & 0x10;
	n.allow_8bit = flags & 0x20;
	n.ret = (enum dsn_ret)((flags >> 6) % 3);
	n.size_limit = flags & 0x80 ? 64 : 50000;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 3; i++) {
		struct span *rf = f + 4 + 6 * i;

		r[i].addr = rf[0].len > 0 ? rf[0] : span_str("b@example.net");
		r[i].orcpt_type = span_str(i == 1 ? "utf-8" : "rfc822");
		r[i].orcpt = rf[1];
		r[i].remote_mta = rf[2];
		r[i].diag = rf[3];
		r[i].reason = rf[4];
		r[i].status = rf[5];
		r[i].action = (enum dsn_action)((flags + i) % 5);
		r[i].last_attempt = 1700000000;
		r[i].retry_until = 1700400000;
	}
	n.rcpt = r;
	n.nrcpt = 1 + (size % 3);
	buf_init(&out, 1 << 22);
	buf_init(&again, 1 << 22);
	/* Only a boundary found everywhere can make it fail. */
	if (dsn_make(&n, &out, &info, &why) == 0) {
		check_notice(buf_span(&out),
		             info.eight_bit && (n.smtputf8 || n.allow_8bit));
		if (dsn_make(&n, &again, NULL, &why) != 0 ||
		    !span_eq_span(buf_span(&out), buf_span(&again)))
			abort();
	} else if (strstr(why.msg, "boundary") == NULL) {
		abort();
	}
	buf_fini(&out);
	buf_fini(&again);
	return 0;
}
