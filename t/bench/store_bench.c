/*
 * store_bench.c - benchmark of lib/store (not a test; run by make bench):
 * durable appends of 2 KB messages from one thread, then the envelope
 * FETCH-equivalent read of every cached envelope of a 10,000-message
 * mailbox through the store API (list, cache blob, msgcache_open, the
 * envelope and its addresses).  Prints table rows: workload | rate |
 * peak RSS.  The store lives under $TMPDIR (default /tmp), on disk.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mail/msgcache.h"
#include "store/store.h"

#define N 10000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A 2 KB message with a realistic header. */
static void
make_message(struct buf *b, int i)
{
	buf_addf(b, "Return-Path: <sender%d@example.net>\r\n"
		    "Received: from mx.example.net (mx.example.net "
		    "[192.0.2.1])\r\n\tby mail.example.org (Postern) with "
		    "ESMTPS id 0123456789ABCDEFGH; Sun, 22 Nov 2026 12:00:00 "
		    "+0000\r\n"
		    "From: \"Sender %d\" <sender%d@example.net>\r\n"
		    "To: Alice <alice@example.org>, bob@example.org\r\n"
		    "Cc: list@example.org\r\n"
		    "Subject: benchmark message number %d\r\n"
		    "Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
		    "Message-ID: <%d.bench@example.net>\r\n"
		    "MIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n",
	    i, i, i, i, i);
	while (b->len < 2048)
		buf_adds(b, "The quick brown fox jumps over the lazy dog.\r\n");
}

struct walk {
	struct store *s;
	uint32_t box;
	struct buf blob;
	unsigned long envelopes;
	unsigned long addrs;
};

static bool
read_envelope(void *arg, const struct store_msg *m)
{
	struct walk *w = arg;
	struct msgcache mc;
	struct msgcache_env env;
	struct why why;

	buf_reset(&w->blob);
	if (store_msg_cache(w->s, w->box, m->uid, &w->blob, &why) !=
		STORE_OK ||
	    msgcache_open(buf_span(&w->blob), &mc, &why) == -1 ||
	    msgcache_envelope(&mc, 0, &env) == -1)
		return true;
	w->envelopes++;
	for (int l = 0; l < MSGCACHE_NLISTS; l++)
		for (uint32_t a = 0; a < env.count[l]; a++) {
			struct msgcache_addr ad;

			msgcache_addr(&mc, env.first[l] + a, &ad);
			w->addrs += ad.mailbox.s.len > 0;
		}
	return true;
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char root[256];
	struct store_conf conf = { root, 1ull << 30, "Sent", "Drafts", "Trash",
		"Junk" };
	struct store_mailbox mb;
	struct store *s;
	struct why why = { "" };
	struct walk w;
	struct buf msg;
	double t0;
	double t1;

	snprintf(root, sizeof(root), "%s/store_bench.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(root) == NULL ||
	    store_open(&conf, "bench@example.org", &s, &why) != STORE_OK ||
	    store_mailbox_get(s, "INBOX", &mb, &why) != STORE_OK) {
		fprintf(stderr, "store_bench: %s\n", why.msg);
		return 1;
	}
	buf_init(&msg, 1 << 20);
	t0 = now();
	for (int i = 0; i < N; i++) {
		struct store_append a = { mb.id, { NULL, 0 }, 0, NULL, 0, 0 };
		struct store_msg m;

		buf_reset(&msg);
		make_message(&msg, i);
		a.msg = buf_span(&msg);
		if (store_append(s, &a, &m, &why) != STORE_OK) {
			fprintf(stderr, "store_bench: append: %s\n", why.msg);
			return 1;
		}
	}
	t1 = now();
	printf("store append 2 KB, durable, 1 thread | %.0f msg/s | %ld KB\n",
	    N / (t1 - t0), peak_rss_kb());
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.box = mb.id;
	buf_init(&w.blob, 1 << 20);
	t0 = now();
	store_msg_list(s, mb.id, 1, read_envelope, &w, &why);
	t1 = now();
	printf("store envelope read, %d cached envelopes | %.0f env/s "
	       "(%.1f ms in all, %lu read) | %ld KB\n", N,
	    (double)w.envelopes / (t1 - t0), (t1 - t0) * 1000, w.envelopes,
	    peak_rss_kb());
	buf_fini(&w.blob);
	buf_fini(&msg);
	store_free(&s);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return w.envelopes == N ? 0 : 1;
}
