/*
 * qfile_impl.h - what qfile.c (reader) and qfile_write.c (writer) share:
 * the record layout constants of postern-queue(5), the envelope record
 * table and the encoding helpers.  Not for use outside lib/mail/qfile*.
 * Linked into: smtpd, qmgr, tools.  Trust: not applicable.
 */
#ifndef POSTERN_QFILE_IMPL_H
#define POSTERN_QFILE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/qfile.h"

#define QF_MAGIC "POSTERNQ"
#define QF_MAGIC_LEN 8
#define QF_HDR_LEN 5		/* type byte + 4-byte big-endian length */
#define QF_STATUS_LEN 32
#define QF_STATUS_CHECKED 28	/* bytes covered by the status checksum */
#define QF_SECTOR 512
#define QF_END_DATA 24
#define QF_END_LEN (QF_HDR_LEN + QF_END_DATA)
#define QF_RCPT_FIXED (QF_STATUS_LEN + 1 + 1 + 2 + 2)
#define QF_FNV64_INIT 0xcbf29ce484222325ull

/* Record types other than the envelope fields of qfile_fields[]. */
enum {
	QF_REC_HEADER = 'Q', QF_REC_RCPT = 'R', QF_REC_PAD = '_',
	QF_REC_CONTENT = 'D', QF_REC_END = 'E'
};

/* Value kinds; the numeric ones are their big-endian width in bytes. */
enum qfile_kind {
	QF_STR = 0, QF_U8 = 1, QF_U16 = 2, QF_U32 = 4, QF_U64 = 8,
	QF_TIME = 12
};

/* One envelope record type: where its value lives in struct qfile_env. */
struct qfile_field {
	unsigned char type;
	unsigned char kind;		/* enum qfile_kind */
	bool required;
	size_t off;			/* offsetof(struct qfile_env, ...) */
	uint64_t min;
	uint64_t max;
};

/* The envelope records, in the order the writer emits them. */
extern const struct qfile_field qfile_fields[];
extern const size_t qfile_nfields;

uint64_t qfile_fnv64(uint64_t h, const unsigned char *p, size_t n);
void	qfile_put_be(unsigned char *p, uint64_t v, size_t width);
uint64_t qfile_get_be(const unsigned char *p, size_t width);
/* The fixed-size on-disk status field, with its checksum. */
void	qfile_status_encode(unsigned char p[QF_STATUS_LEN],
	    const struct qfile_status *st);
/* A numeric envelope value, by its table row. */
uint64_t qfile_num_get(const struct qfile_env *e, const struct qfile_field *f);

#endif
