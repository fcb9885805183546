/*
 * qid.c - make and check queue ids (format: postern-queue(5)).
 * Linked into: smtpd, qmgr, tools.  Trust: ids read back from directory
 * listings or IPC are untrusted until qid_valid() says otherwise.
 *
 * An id is the time in microseconds (10 base-52 digits, most significant
 * first, so that ids sort by time) followed by 8 random base-52 digits.
 * The alphabet is in ASCII order, has no vowels (no words appear in logs)
 * and no punctuation (safe in file names, logs and shell words).
 */
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/qid.h"

static const char alphabet[] =
    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
#define BASE 52

/* Write v as exactly n base-52 digits (the most significant first). */
static void
encode(char *out, size_t n, uint64_t v)
{
	while (n > 0) {
		out[--n] = alphabet[v % BASE];
		v /= BASE;
	}
}

int
qid_new(char out[QID_SIZE], struct why *why)
{
	struct timeval tv;
	uint64_t usec;
	uint64_t rnd;
	uint64_t span8 = 1;
	int i;

	if (gettimeofday(&tv, NULL) == -1)
		return why_syserr(why, "gettimeofday");
	if (getentropy(&rnd, sizeof(rnd)) == -1)
		return why_syserr(why, "getentropy");
	for (i = 0; i < QID_RAND_LEN; i++)
		span8 *= BASE;
	usec = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	encode(out, QID_TIME_LEN, usec);
	encode(out + QID_TIME_LEN, QID_RAND_LEN, rnd % span8);
	out[QID_LEN] = '\0';
	return 0;
}

bool
qid_valid(struct span s)
{
	size_t i;

	if (s.len != QID_LEN)
		return false;
	for (i = 0; i < s.len; i++)
		if (s.p[i] == '\0' || memchr(alphabet, s.p[i], BASE) == NULL)
			return false;
	return true;
}

bool
qid_valid_str(const char *s)
{
	return s != NULL && qid_valid(span_str(s));
}

void
qid_hash_dirs(const char *qid, char *h1_out, char *h2_out)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t h = 2166136261u;	/* FNV-1a, 32 bits */
	size_t i;

	for (i = 0; qid[i] != '\0'; i++) {
		h ^= (unsigned char)qid[i];
		h *= 16777619u;
	}
	*h1_out = hex[h & 0xf];
	*h2_out = hex[(h >> 4) & 0xf];
}
